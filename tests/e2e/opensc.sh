#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The emulator as a card in a PC/SC reader (pcscd + vsmartcard's vpcd):
# OpenSC's own JPKI driver, an implementation independent of ours, lists,
# reads and signs with it; then our module does the same through PC/SC (no
# in-process emulator); then the card is removed and its tokens go away.
# Prints the APDUs and the time of each flow: reference figures for speed
# work, not asserted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need pkcs11-tool openssl timeout awk
need_vpcd

use_opensc
# Through PC/SC only: no in-process emulator for our module, and PC/SC on
# (lib.sh turns it off for the tests that want only their own emulators).
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC

CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null
printf 'a document signed through PC/SC\n' > "$WORK/doc"

FIGURES="$WORK/figures"
: > "$FIGURES"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# flow NAME OUT CMD...: run CMD (output in OUT, then shown) and record the
# APDUs the card answered and the wall time it took.
flow() {
    _name=$1 _out=$2
    shift 2
    _a0=$(emu_apdus)
    _t0=$(now_ms)
    "$@" > "$_out" 2>&1 || { cat "$_out"; fail "$_name: failed"; }
    _t1=$(now_ms)
    grep -q 'AddressSanitizer\|runtime error' "$_out" && { cat "$_out"; fail "$_name: sanitizer report"; }
    _a1=$(emu_apdus)
    cat "$_out"
    printf '%-44s %4d APDUs %6d ms\n' "$_name" $((_a1 - _a0)) $((_t1 - _t0)) >> "$FIGURES"
}

# slot_of LIST LABEL: the slot id of the token whose label contains LABEL
# in our reader, from a "pkcs11-tool -L" listing.
slot_of() {
    awk -v r="$VPCD_READER" -v l="$2" '
        /^Slot / { cur = ""
                   if (index($0, r)) { s = $0; sub(/^[^(]*\(/, "", s); sub(/\).*/, "", s); cur = s } }
        /token label/ && cur != "" && index($0, l) { print cur; exit }' "$1"
}

# tokens_in LIST: how many tokens our reader holds in a "-L" listing.
tokens_in() {
    awk -v r="$VPCD_READER" '
        /^Slot / { ours = index($0, r) > 0 }
        /token label/ && ours { n++ }
        END { print n + 0 }' "$1"
}

# cert_id OBJECTS: the ID of the first certificate that is not a CA's.
cert_id() {
    awk '/^[A-Z]/ { cert = /^Certificate Object/; label = "" }
         cert && /label:/ { label = $0 }
         cert && /ID:/ && label !~ /CA *$/ { print $2; exit }' "$1"
}

# verify CERT.DER SIG: the signature over doc checks out with CERT's key.
verify() {
    openssl x509 -inform DER -in "$1" -pubkey -noout > "$WORK/pub.pem"
    [ "$(stat -c %s "$2")" -eq 256 ] || fail "$2: the signature is not 256 bytes"
    openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$2" "$WORK/doc"
}

step "pcscd and the card in a virtual reader"
pcscd_start
emu_serve "$CARD"
run_to "$WORK/readers" timeout 5 opensc-tool -l; cat "$WORK/readers"
grep "$VPCD_READER" "$WORK/readers" | grep -q Yes || fail "no card in $VPCD_READER"

OSC="pkcs11-tool --module $OPENSC"
step "OpenSC ($OPENSC, jpki driver): tokens"
flow "OpenSC: list tokens (-L)" "$WORK/osc-L" $OSC -L
[ "$(tokens_in "$WORK/osc-L")" -eq 2 ] || fail "OpenSC: expected 2 tokens in $VPCD_READER"
grep -q 'JPKI' "$WORK/osc-L" || fail "OpenSC: no JPKI token"
OA=$(slot_of "$WORK/osc-L" "User Authentication")
OS=$(slot_of "$WORK/osc-L" "Digital Signature")
[ -n "$OA" ] && [ -n "$OS" ] || fail "OpenSC: the two JPKI tokens are not both there"

step "OpenSC: objects and the authentication certificate"
flow "OpenSC: list auth objects (-O)" "$WORK/osc-O" $OSC --slot "$OA" -O
ID=$(cert_id "$WORK/osc-O")
[ -n "$ID" ] || fail "OpenSC: no authentication certificate"
flow "OpenSC: read auth certificate" "$WORK/osc-rd" \
    $OSC --slot "$OA" --read-object --type cert --id "$ID" -o "$WORK/osc-auth.der"
openssl x509 -inform DER -in "$WORK/osc-auth.der" -noout -subject

step "OpenSC: sign with the authentication key"
flow "OpenSC: sign, auth key (login, SHA256)" "$WORK/osc-sa" \
    $OSC --slot "$OA" --login --pin 1234 --sign -m SHA256-RSA-PKCS --id "$ID" \
    -i "$WORK/doc" -o "$WORK/osc-auth.sig"
verify "$WORK/osc-auth.der" "$WORK/osc-auth.sig"

step "OpenSC: sign with the signature key"
flow "OpenSC: sign, sign key (login, SHA256)" "$WORK/osc-ss" \
    $OSC --slot "$OS" --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 \
    -i "$WORK/doc" -o "$WORK/osc-sign.sig"
$OSC --slot "$OS" --login --pin ABC123 --read-object --type cert --id 02 \
    -o "$WORK/osc-sign.der" >/dev/null
verify "$WORK/osc-sign.der" "$WORK/osc-sign.sig"

P11="pkcs11-tool --module $MODULE"
step "our module through PC/SC: tokens"
flow "ours: list tokens (-L)" "$WORK/L" $P11 -L
[ "$(tokens_in "$WORK/L")" -eq 2 ] || fail "expected our 2 tokens in $VPCD_READER"
SA=$(slot_of "$WORK/L" "JPKI User Authentication")
SS=$(slot_of "$WORK/L" "JPKI Digital Signature")
[ -n "$SA" ] && [ -n "$SS" ] || fail "the two JPKI tokens are not both in $VPCD_READER"

step "our module: the authentication key"
flow "ours: read auth certificate" "$WORK/rd" \
    $P11 --slot "$SA" --read-object --type cert --id 01 -o "$WORK/auth.der"
cmp "$WORK/auth.der" "$WORK/osc-auth.der" || fail "OpenSC and we read different certificates"
flow "ours: sign, auth key (login, SHA256)" "$WORK/sa" \
    $P11 --slot "$SA" --login --pin 1234 --sign -m SHA256-RSA-PKCS --id 01 \
    -i "$WORK/doc" -o "$WORK/auth.sig"
verify "$WORK/auth.der" "$WORK/auth.sig"

step "our module: the signature key"
flow "ours: read sign certificate (login)" "$WORK/rs" \
    $P11 --slot "$SS" --login --pin ABC123 --read-object --type cert --id 02 \
    -o "$WORK/sign.der"
flow "ours: sign, sign key (login, SHA256)" "$WORK/ss" \
    $P11 --slot "$SS" --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 \
    -i "$WORK/doc" -o "$WORK/sign.sig"
verify "$WORK/sign.der" "$WORK/sign.sig"

step "card removal: the emulator stops, our tokens go"
tail -n 1 "$WORK/serve.log"
emu_stop || fail "emu serve did not exit cleanly on SIGTERM"
reader_is_empty "$VPCD_READER" || fail "$VPCD_READER still shows a card"
# (run_to: stdout and stderr, where sanitizer reports go, and the status)
run_to "$WORK/L2" $P11 -L; cat "$WORK/L2"
[ "$(tokens_in "$WORK/L2")" -eq 0 ] || fail "a token without a card in $VPCD_READER"

step "reference figures (APDUs the card answered, wall time; not asserted)"
cat "$FIGURES"
echo
echo "OpenSC and our module through PC/SC: all steps passed"
