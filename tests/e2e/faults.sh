#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults from the card, end to end through pkcs11-tool: GET RESPONSE chains
# and 6Cxx handled, the card pulled at every APDU of a signing flow,
# garbage answers; never a crash, never a hang, never a PIN try the user
# did not type (counted in the emulator's APDU log).
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl timeout

CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
printf 'fault test\n' > "$WORK/doc"
P11="timeout 30 pkcs11-tool --module $MODULE"
sign() { $P11 --slot 1 --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 \
             -i "$WORK/doc" -o "$WORK/sig"; }
# PIN tries carried to the card: VERIFY with data (Lc present).
verifies() { grep 'INS=20' "$1" | grep -vc 'Lc=-' || true; }
# no_crash RC OUT WHAT: pkcs11-tool exited RC (128 and above: killed by a
# signal; timeout passes the child's signal on the same way) with output OUT.
no_crash() {
    [ "$1" -lt 128 ] || { cat "$2"; fail "crash (exit $1): $3"; }
    grep -q 'AddressSanitizer\|runtime error\|Segmentation\|Aborted' "$2" &&
        { cat "$2"; fail "crash: $3"; }
    return 0
}
# lost_tries LOG: VERIFYs with a PIN that the card refused (63Cx, 6983):
# tries spent. Every PIN this test types is right, so there must be none.
lost_tries() { grep 'INS=20' "$1" | grep -v 'Lc=-' | grep -c 'SW=63C\|SW=6983' || true; }

step "PIN accounting: listing spends nothing, one login one VERIFY"
JPKI_EMU_LOG="$WORK/list.log" $P11 -L > /dev/null
[ "$(verifies "$WORK/list.log")" -eq 0 ] || fail "listing sent a PIN"
JPKI_EMU_LOG="$WORK/sign.log" sign
[ "$(verifies "$WORK/sign.log")" -eq 1 ] || fail "a login sent the PIN more than once"
total=$(wc -l < "$WORK/sign.log")
# 1-based position of COMPUTE DIGITAL SIGNATURE: a card pulled before it
# must fail the flow; after it (the closing logout) the signature stands.
sig_at=$(grep -n 'INS=2A' "$WORK/sign.log" | head -n 1 | cut -d: -f1)
echo "signing flow: $total APDUs, the signature is APDU $sig_at"

for fault in get-response wrong-le; do
    step "card answering with $fault: signatures still verify"
    JPKI_EMU_FAULTS=$fault sign
    $P11 --slot 1 --login --pin ABC123 --read-object --type cert --id 02 \
        -o "$WORK/cert.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
    openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
done

step "card pulled after each of the $total APDUs of the signing flow"
n=0
while [ $n -lt "$total" ]; do
    rc=0
    JPKI_EMU_FAULTS="drop-after=$n" JPKI_EMU_LOG="$WORK/drop.log" sign \
        > "$WORK/out" 2>&1 || rc=$?
    [ $rc -eq 0 ] && [ $n -lt "$sig_at" ] &&
        fail "signed although the card was pulled after APDU $n"
    [ $rc -eq 124 ] && fail "hang with the card pulled after APDU $n"
    no_crash $rc "$WORK/out" "drop-after=$n"
    [ "$(verifies "$WORK/drop.log")" -le 1 ] || fail "PIN re-sent after a drop at $n"
    [ "$(lost_tries "$WORK/drop.log")" -eq 0 ] || fail "a try lost with a drop at $n"
    rm -f "$WORK/drop.log"
    n=$((n + 1))
done
echo "$total drop positions: no crash, no hang, no signature without the card"

step "garbage or an odd status word at each APDU: no crash, no hang"
n=1
while [ $n -le "$total" ]; do
    for f in "garbage-at=$n" "sw-at=$n:6F00"; do
        rc=0
        JPKI_EMU_FAULTS="$f" JPKI_EMU_LOG="$WORK/f.log" sign > "$WORK/out" 2>&1 || rc=$?
        [ $rc -eq 124 ] && fail "hang with $f"
        no_crash $rc "$WORK/out" "$f"
        [ "$(lost_tries "$WORK/f.log")" -eq 0 ] || fail "a try lost with $f"
        rm -f "$WORK/f.log"
    done
    n=$((n + 1))
done
echo "$((2 * total)) garbage and status-word cases: no crash"

step "no try was lost, and the card still works"
# The card's counters before any further PIN: a right PIN restores them.
"$TOOL" emu info "$CARD" > "$WORK/info"
grep -q '^auth PIN *3 of 3' "$WORK/info" && grep -q '^sign PIN *5 of 5' "$WORK/info" ||
    { cat "$WORK/info"; fail "a fault cost a PIN try"; }
sign
echo "faults end-to-end: all steps passed"
