#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool status and the certificates' end: days left (text and JSON)
# against the end date the emulator card holds, the warning from 90 days
# ahead (exit 5), the expired certificate (exit 6), and a renewal on the
# same chip told once (emu init --serial again: a new certificate, the
# same card), never for another card, never with the cache off.
. "$(dirname "$0")/lib.sh"
need python3

export XDG_CACHE_HOME="$WORK/cache" LANG=C
unset LANGUAGE LC_ALL LC_MESSAGES || true

# days_left CARD: whole days from now to the end of the card's
# authentication certificate, as the emulator holds it (emu info).
days_left() {
    "$TOOL" emu info "$1" |
        awk '/^auth certificate/ { f = 1; next } f && /valid until/ { sub(/^ *valid until +/, ""); print; exit }' |
        python3 -c '
import sys, datetime, math
s = sys.stdin.read().strip()
end = datetime.datetime.strptime(s, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
print(math.floor((end - now).total_seconds() / 86400))'
}

# status_of CARD [ARGS]: runs status on CARD alone; exit status in $RC,
# and in $WANT the days left by the card's own end date, taken before and
# after the run ("A|B" when a second boundary fell in between: the emulator
# ends its certificates a whole number of days after they were made).
status_of() {
    card=$1; shift
    RC=0
    w1=$(days_left "$card")
    JPKI_PKCS11_EMULATOR="$card" "$TOOL" status "$@" > "$WORK/out" 2> "$WORK/err" || RC=$?
    w2=$(days_left "$card")
    WANT=$w1
    [ "$w1" = "$w2" ] || WANT="$w1|$w2"
}

step "a fresh card: five years, exit 0, no warning"
"$TOOL" emu init --out "$WORK/fresh.img" >/dev/null
status_of "$WORK/fresh.img"
[ "$RC" -eq 0 ] || { cat "$WORK/out"; fail "fresh card: exit $RC"; }
grep -Eq "valid, revocation not checked \(($WANT) days left\)\$" "$WORK/out" ||
    { cat "$WORK/out"; fail "fresh card: not $WANT days left"; }
grep -q '^RENEW\|^EXPIRED' "$WORK/out" && fail "a warning for a fresh card"
grep -q '^CRL      Revocation is not checked here' "$WORK/out" || fail "no revocation note"
grep -q 'J-LIS gives' "$WORK/out" || fail "no word on who receives CRLs"
grep -q '^Portals  マイナポータル and e-Tax' "$WORK/out" || fail "no portal hint"

for n in 92 91 90 30 1; do
    step "a card whose certificates end in $n days"
    "$TOOL" emu init --force --out "$WORK/soon.img" --expires-in "$n" >/dev/null
    status_of "$WORK/soon.img"
    grep -Eq "\(($WANT) days left\)\$" "$WORK/out" || { cat "$WORK/out"; fail "$n: not $WANT days left"; }
    status_of "$WORK/soon.img" --json
    python3 - "$WORK/out" "$WANT" <<'PY' || fail "$n: JSON days_left"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["readers"][0]["tokens"][0]["certificate"]
assert str(c["days_left"]) in sys.argv[2].split("|") and c["validity"] == "valid", c
assert c["revocation"] == "not checked", c
PY
    status_of "$WORK/soon.img"
    want=${WANT%|*}
    if [ "$want" -le 90 ]; then
        [ "$RC" -eq 5 ] || fail "$n days ($want left): exit $RC, not 5"
        grep -Eq "^RENEW    The authentication certificate ends on .* in ($WANT) days" "$WORK/out" ||
            { cat "$WORK/out"; fail "$n: no renewal warning"; }
        grep -q 'municipal office (市区町村窓口): free of charge' "$WORK/out" || fail "$n: where and what it costs"
        grep -q '3 months before the end' "$WORK/out" || fail "$n: from when"
    else
        [ "$RC" -eq 0 ] || fail "$n days ($want left): exit $RC, not 0"
        grep -q '^RENEW' "$WORK/out" && fail "$n days: a warning before 90 days"
    fi
done

step "an expired card: exit 6, it no longer works, where to get new ones"
for how in "--expires-in -3" "--expired"; do
    # shellcheck disable=SC2086
    "$TOOL" emu init --force --out "$WORK/old.img" $how >/dev/null
    status_of "$WORK/old.img"
    [ "$RC" -eq 6 ] || { cat "$WORK/out"; fail "$how: exit $RC, not 6"; }
    ago=$(echo "$WANT" | tr -d -)
    grep -Eq "EXPIRED ($ago) days ago, the certificate no longer works\$" "$WORK/out" ||
        { cat "$WORK/out"; fail "$how: not expired $ago days ago"; }
    grep -q '^EXPIRED  The authentication certificate ended on' "$WORK/out" || fail "$how: no note"
    grep -q 'New certificates are issued' "$WORK/out" || fail "$how: how to get new ones"
    status_of "$WORK/old.img" --json
    [ "$RC" -eq 6 ] || fail "$how --json: exit $RC"
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["readers"][0]["tokens"][0]["certificate"]; assert c["validity"]=="expired" and str(c["days_left"]) in sys.argv[2].split("|"), c' \
        "$WORK/out" "$WANT" || fail "$how: JSON"
done

step "two cards: the worse one decides the exit status"
JPKI_PKCS11_EMULATOR="$WORK/fresh.img:$WORK/soon.img:$WORK/old.img" "$TOOL" status > "$WORK/out" && rc=0 || rc=$?
[ "$rc" -eq 6 ] || fail "fresh + soon + expired: exit $rc, not 6"

step "a renewal on the same chip is told once"
S=RENEWTEST0001
"$TOOL" emu init --force --out "$WORK/r.img" --serial "$S" >/dev/null
"$TOOL" emu info "$WORK/r.img" | grep -q "^serial *$S\$" || fail "the card's serial is not $S"
status_of "$WORK/r.img"
grep -qi 'renew' "$WORK/out" && { cat "$WORK/out"; fail "a first run tells a renewal"; }
"$TOOL" emu info "$WORK/r.img" | grep '^auth certificate' > "$WORK/cert1"
"$TOOL" emu init --force --out "$WORK/r.img" --serial "$S" >/dev/null
"$TOOL" emu info "$WORK/r.img" | grep '^auth certificate' > "$WORK/cert2"
cmp -s "$WORK/cert1" "$WORK/cert2" && fail "setup: the emulator kept the old certificate"
status_of "$WORK/r.img"
[ "$RC" -eq 0 ] || fail "renewed card: exit $RC"
grep -q '^    renewed      this certificate is new since the last run$' "$WORK/out" ||
    { cat "$WORK/out"; fail "the renewal is not told on the token"; }
grep -q "^RENEWED  The card's authentication certificate changed" "$WORK/out" || fail "no renewal note"
grep -q 'jpki-tool ssh-key' "$WORK/out" || fail "the note does not say what to redo"
status_of "$WORK/r.img"
grep -qi 'renewed' "$WORK/out" && fail "the renewal is told twice"
"$TOOL" emu init --force --out "$WORK/r.img" --serial "$S" >/dev/null
status_of "$WORK/r.img" --json
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["readers"][0]["tokens"][0]["certificate"]; assert c["changed_since_last_run"] is True, c' \
    "$WORK/out" || fail "JSON: changed_since_last_run"
# The record holds a digest, not the chip serial; nor does status show it.
grep -rq "$S" "$XDG_CACHE_HOME" && fail "the chip serial in clear in the cache"
grep -q "$S" "$WORK/out" && fail "the chip serial in status --json"

step "another card (another chip) is no renewal; nor is anything with the cache off"
"$TOOL" emu init --force --out "$WORK/r.img" --serial RENEWTEST0002 >/dev/null
status_of "$WORK/r.img"
grep -qi 'renewed' "$WORK/out" && fail "another chip counted as a renewal"
before=$(find "$XDG_CACHE_HOME" -name 'seen-*' | wc -l)
"$TOOL" emu init --force --out "$WORK/r.img" --serial RENEWTEST0002 >/dev/null
JPKI_PKCS11_CACHE=off JPKI_PKCS11_EMULATOR="$WORK/r.img" "$TOOL" status > "$WORK/out"
grep -qi 'renewed' "$WORK/out" && fail "a renewal told with the cache off"
[ "$(find "$XDG_CACHE_HOME" -name 'seen-*' | wc -l)" -eq "$before" ] || fail "cache = off wrote a record"

step "bad switches"
"$TOOL" emu init --out "$WORK/x.img" --expires-in 2000 2>/dev/null && fail "--expires-in past five years"
"$TOOL" emu init --out "$WORK/x.img" --expires-in 10 --expired 2>/dev/null && fail "--expires-in with --expired"
"$TOOL" emu init --out "$WORK/x.img" --expires-in ten 2>/dev/null && fail "--expires-in ten"
"$TOOL" emu init --out "$WORK/x.img" --serial abc 2>/dev/null && fail "--serial abc"
[ -e "$WORK/x.img" ] && fail "a card was made from bad switches"
echo "PASS: expiry"
