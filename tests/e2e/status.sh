#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool status, human and --json, with emulator cards: a fresh card, a
# card with one authentication try left and a locked signature PIN, an
# empty reader, no reader, pcscd unreachable, bad command lines. The tries
# left must be read without spending one.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool python3

P11="pkcs11-tool --module $MODULE"
"$TOOL" emu init --out "$WORK/good.img" >/dev/null
"$TOOL" emu init --out "$WORK/worn.img" >/dev/null
# A name that needs escaping in JSON.
BAD="$WORK/we\"ird\\name.img"
cp "$WORK/good.img" "$BAD"

step "wear a card: 2 wrong authentication PINs, 5 wrong signature PINs"
for i in 1 2; do
    JPKI_PKCS11_EMULATOR="$WORK/worn.img" $P11 --slot 0 --login --pin 9999 -O >/dev/null 2>&1 &&
        fail "a wrong PIN was accepted"
done
for i in 1 2 3 4 5; do
    JPKI_PKCS11_EMULATOR="$WORK/worn.img" $P11 --slot 1 --login --pin WRONG1 -O >/dev/null 2>&1 &&
        fail "a wrong PIN was accepted"
done
"$TOOL" emu info "$WORK/worn.img" > "$WORK/info-before"
grep -q 'auth PIN *1 of 3' "$WORK/info-before" || { cat "$WORK/info-before"; fail "setup: auth tries"; }

export JPKI_PKCS11_EMULATOR="$WORK/good.img:$WORK/worn.img:$WORK/gone.img"

step "human output"
"$TOOL" status > "$WORK/out" || fail "status exit $? with two cards"
cat "$WORK/out"
grep -q '^PC/SC  off' "$WORK/out" || fail "PC/SC state not shown"
[ "$(grep -c '^reader JPKI emulator' "$WORK/out")" -eq 3 ] || fail "expected 3 readers"
grep -q 'JPKI User Authentication (slot 0)' "$WORK/out" || fail "auth token of card 1"
grep -q 'JPKI Digital Signature (slot 3)' "$WORK/out" || fail "sign token of card 2"
grep -q 'PIN *3 of 3 tries left$' "$WORK/out" || fail "fresh auth PIN"
grep -q 'PIN *5 of 5 tries left$' "$WORK/out" || fail "fresh sign PIN"
grep -q 'PIN *1 of 3 tries left (FINAL TRY' "$WORK/out" || fail "final try not shown"
grep -q 'PIN *LOCKED (0 of 5 tries left)' "$WORK/out" || fail "locked PIN not shown"
grep -q 'certificate  CN=[0-9A-F]*,C=JP' "$WORK/out" || fail "auth certificate subject"
grep -q 'valid  .* JST to .* JST: valid, revocation not checked ([0-9]* days left)$' "$WORK/out" || fail "validity"
grep -q 'needs the signature PIN' "$WORK/out" || fail "sign certificate note"
grep -q 'card   none: insert' "$WORK/out" || fail "empty reader not shown"
# -w: the certificate's CN is hex and may hold the digits of a PIN.
grep -qw '1234\|ABC123' "$WORK/out" && fail "a PIN in the output"

step "no try was spent"
"$TOOL" emu info "$WORK/worn.img" > "$WORK/info-after"
cmp "$WORK/info-before" "$WORK/info-after" || fail "status changed the card's counters"
"$TOOL" emu info "$WORK/good.img" | grep -q 'auth PIN *3 of 3' || fail "good card worn"

step "--json: valid, the same facts"
"$TOOL" status --json > "$WORK/json" || fail "status --json exit $?"
python3 - "$WORK/json" <<'PY' || fail "JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pcsc"] == "off" and d["cards"] == 2, d
r = d["readers"]
assert [x["card"] for x in r] == ["jpki", "jpki", "none"], r
t = {(i, k["key"]): k for i, x in enumerate(r[:2]) for k in x["tokens"]}
assert t[(0, "auth")]["pin_tries_left"] == 3 and t[(0, "auth")]["pin_state"] == "ok"
assert t[(1, "auth")]["pin_tries_left"] == 1 and t[(1, "auth")]["pin_state"] == "final try"
assert t[(1, "sign")]["pin_tries_left"] == 0 and t[(1, "sign")]["pin_state"] == "locked"
assert [t[(1, k)]["slot"] for k in ("auth", "sign")] == [2, 3]
c = t[(0, "auth")]["certificate"]
assert c["read"] and c["subject"].endswith("C=JP") and c["validity"] == "valid", c
assert not t[(0, "sign")]["certificate"]["read"]
PY
python3 -m json.tool "$WORK/json" >/dev/null

step "--json escapes strings"
JPKI_PKCS11_EMULATOR="$BAD" "$TOOL" status --json > "$WORK/json2"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=d["readers"][0]["name"]; assert "\"" in n and "\\" in n, n' \
    "$WORK/json2" || { cat "$WORK/json2"; fail "bad JSON for an odd file name"; }

step "tokens = sign: the hidden token is marked"
JPKI_PKCS11_TOKENS=sign "$TOOL" status > "$WORK/out"
grep -q 'JPKI User Authentication (slot 0) - not offered' "$WORK/out" || fail "hidden token"

step "no card: exit 1, human and JSON"
rc=0; JPKI_PKCS11_EMULATOR="$WORK/gone.img" "$TOOL" status > "$WORK/out" || rc=$?
cat "$WORK/out"
[ $rc -eq 1 ] || fail "exit $rc without a card, expected 1"
grep -q 'no My Number Card found' "$WORK/out" || fail "no-card message"
rc=0; JPKI_PKCS11_EMULATOR= "$TOOL" status --json > "$WORK/json" || rc=$?
[ $rc -eq 1 ] || fail "exit $rc without a reader, expected 1"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["readers"]==[] and d["cards"]==0' "$WORK/json" ||
    fail "no-reader JSON"

step "pcscd unreachable: exit 3 and a hint"
rc=0
PCSCLITE_CSOCK_NAME="$WORK/no-pcscd.sock" JPKI_PKCS11_PCSC=on JPKI_PKCS11_EMULATOR= \
    "$TOOL" status > "$WORK/out" || rc=$?
cat "$WORK/out"
[ $rc -eq 3 ] || fail "exit $rc without pcscd, expected 3"
grep -q 'pcscd is NOT running' "$WORK/out" || fail "no pcscd hint"
# A card elsewhere still counts.
PCSCLITE_CSOCK_NAME="$WORK/no-pcscd.sock" JPKI_PKCS11_PCSC=on \
    JPKI_PKCS11_EMULATOR="$WORK/good.img" "$TOOL" status >/dev/null || fail "emulator card with pcscd down"

step "usage errors: exit 2"
for args in "--bogus" "extra" "--json extra"; do
    rc=0; "$TOOL" status $args 2>"$WORK/err" >/dev/null || rc=$?
    [ $rc -eq 2 ] || fail "status $args: exit $rc, expected 2"
    [ -s "$WORK/err" ] || fail "status $args: no message"
done
"$TOOL" status --help | grep -q 'Exit status' || fail "help"

echo "jpki-tool status: all steps passed"
