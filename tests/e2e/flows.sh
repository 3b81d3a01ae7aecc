# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced (after lib.sh and pcscd.sh, with a card served by emu_serve) by
# tests/e2e/apdus.sh and bench/run.sh: the pkcs11-tool flows both measure,
# run with any PKCS#11 module, and what each cost the card (the served
# emulator's counters, asked for with SIGUSR1).
#
# Results go to $FLOWS (one line per flow, tab-separated):
#   who flow apdus read_binary bytes_read signatures verifies ms

FLOWS="$WORK/flows.tsv"
: > "$FLOWS"
printf 'a document to sign\n' > "$WORK/flows-doc"

# emu_stats: the served card's counters now, as "apdus rb bytes sigs verifies".
emu_stats() {
    _n=$(grep -c '^stats:' "$WORK/serve.log" || true)
    kill -USR1 "$EMU_PID"
    wait_for 5 sh -c "[ \$(grep -c '^stats:' '$WORK/serve.log') -gt $_n ]" ||
        fail "emu serve printed no statistics"
    grep '^stats:' "$WORK/serve.log" | tail -n 1 | awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["apdus"], v["read_binary"], v["bytes_read"], v["signatures"], v["verifies"] }'
}

# flow_run WHO NAME CMD...: run CMD, record its cost under WHO/NAME.
flow_run() {
    _who=$1 _name=$2
    shift 2
    _s0=$(emu_stats)
    _t0=$(date +%s%N)
    "$@" > "$WORK/flow.out" 2>&1 || { cat "$WORK/flow.out"; fail "$_who: $_name failed: $*"; }
    _t1=$(date +%s%N)
    _s1=$(emu_stats)
    echo "$_s0 $_s1" | awk -v who="$_who" -v name="$_name" -v ms=$(((_t1 - _t0) / 1000000)) '{
        printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", who, name, $6 - $1, $7 - $2, $8 - $3, $9 - $4, $10 - $5, ms }' >> "$FLOWS"
    cp "$WORK/flow.out" "$WORK/flow-$_who-$(echo "$_name" | tr -c 'A-Za-z0-9\n' _)"
}

# flow_slot LISTING LABEL: slot id of the token whose label contains LABEL
# in the served reader, from "pkcs11-tool -L" output.
flow_slot() {
    awk -v r="$VPCD_READER" -v l="$2" '
        /^Slot / { cur = ""
                   if (index($0, r)) { s = $0; sub(/^[^(]*\(/, "", s); sub(/\).*/, "", s); cur = s } }
        /token label/ && cur != "" && index($0, l) { print cur; exit }' "$1"
}

# flow_cert_id OBJECTS: the ID of the first certificate that is not a CA's.
flow_cert_id() {
    awk '/^[A-Z]/ { cert = /^Certificate Object/; label = "" }
         cert && /label:/ { label = $0 }
         cert && /ID:/ && label !~ /CA *$/ { print $2; exit }' "$1"
}

# run_flows WHO MODULE [before-each-flow command]: the five flows of the
# issue's table with MODULE; the command (e.g. emptying a cache) runs
# before each flow.
run_flows() {
    _w=$1 _m=$2 _before=${3:-true}
    _p="pkcs11-tool --module $_m"
    $_p -L > "$WORK/flows-L" 2>&1 || { cat "$WORK/flows-L"; fail "$_w: -L"; }
    _sa=$(flow_slot "$WORK/flows-L" "User Authentication")
    _ss=$(flow_slot "$WORK/flows-L" "Digital Signature")
    [ -n "$_sa" ] && [ -n "$_ss" ] || { cat "$WORK/flows-L"; fail "$_w: no JPKI tokens in $VPCD_READER"; }
    $_p --slot "$_sa" -O > "$WORK/flows-O" 2>&1
    _id=$(flow_cert_id "$WORK/flows-O")
    [ -n "$_id" ] || { cat "$WORK/flows-O"; fail "$_w: no authentication certificate"; }
    $_before; flow_run "$_w" "-L" $_p -L
    $_before; flow_run "$_w" "-O auth" $_p --slot "$_sa" -O
    $_before; flow_run "$_w" "-O --login sign" $_p --slot "$_ss" --login --pin ABC123 -O
    $_before; flow_run "$_w" "sign auth" $_p --slot "$_sa" --login --pin 1234 \
        --sign -m SHA256-RSA-PKCS --id "$_id" -i "$WORK/flows-doc" -o "$WORK/flows-sig"
    $_before; flow_run "$_w" "sign sign" $_p --slot "$_ss" --login --pin ABC123 \
        --sign -m SHA256-RSA-PKCS --id 02 -i "$WORK/flows-doc" -o "$WORK/flows-sig"
}

# flow_get WHO NAME FIELD: one recorded figure (field 3 apdus, 4 READ
# BINARY, 5 bytes read, 6 signatures, 7 verifies, 8 ms).
flow_get() {
    awk -F '\t' -v w="$1" -v n="$2" -v f="$3" '$1 == w && $2 == n { print $f; exit }' "$FLOWS"
}

# flow_table: the table of the figures, with ratios and the time a user
# would wait on a real card (model of src/emu/latency.c, computed from the
# counts: 12 ms per APDU, 0.2 ms per byte read or signed, 350 ms per
# signature).
flow_table() {
    awk -F '\t' '
        function model(a, b, s) { return a * 12 + (b + 256 * s) * 0.2 + s * 350 }
        { k = $1 SUBSEP $2; ap[k] = $3; rb[k] = $4; by[k] = $5; sg[k] = $6; vf[k] = $7
          if (!seen[$2]++) order[++n] = $2 }
        END {
          printf "| flow | OpenSC APDUs | ours cold | ratio | ours warm | warm READ BINARY | bytes read OpenSC / cold / warm | real-card wait OpenSC / cold / warm |\n"
          printf "|---|---|---|---|---|---|---|---|\n"
          for (i = 1; i <= n; i++) {
            f = order[i]; o = "opensc" SUBSEP f; c = "cold" SUBSEP f; w = "warm" SUBSEP f
            printf "| `%s` | %d | %d | %.2f | %d | %d | %d / %d / %d | %.0f / %.0f / %.0f ms |\n", f, ap[o], ap[c],
                   ap[o] ? ap[c] / ap[o] : 0, ap[w], rb[w], by[o], by[c], by[w],
                   model(ap[o], by[o], sg[o]), model(ap[c], by[c], sg[c]), model(ap[w], by[w], sg[w])
          }
        }' "$FLOWS"
}
