#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end with OpenSC's pkcs11-tool: the module, in-process emulator,
# list, sign with both keys, verify with openssl, wrong and locked PINs,
# missing and corrupt card images. JPKI_TEST_CARD_KEY=ec-p384 runs it on a
# card of the ECDSA generation (tests/e2e/pkcs11-tool_ec.sh).
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl

P11="pkcs11-tool --module $MODULE"
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
KEY_OPT=${JPKI_TEST_CARD_KEY:+--key $JPKI_TEST_CARD_KEY}
"$TOOL" emu init $KEY_OPT --out "$CARD" >/dev/null
# This card's keys: what pkcs11-tool shows, its hash-and-sign mechanisms,
# and the one most steps sign with. pkcs11-tool writes ECDSA as DER
# (--signature-format openssl), which openssl verifies.
case "${JPKI_TEST_CARD_KEY:-rsa2048}" in
    rsa2048) PUBKEY='RSA 2048' SIG_MECHS='SHA256-RSA-PKCS SHA384-RSA-PKCS SHA512-RSA-PKCS SHA1-RSA-PKCS'
         SIGN_MECH=SHA256-RSA-PKCS SIG_FMT= ;;
    ec-p384) PUBKEY='EC  EC_POINT 384 bits' SIG_MECHS='ECDSA-SHA256 ECDSA-SHA384 ECDSA-SHA512'
         SIGN_MECH=ECDSA-SHA256 SIG_FMT='--signature-format openssl' ;;
    *) fail "unknown JPKI_TEST_CARD_KEY=$JPKI_TEST_CARD_KEY" ;;
esac

step "two tokens"
run_to "$WORK/L" $P11 -L; cat "$WORK/L"
[ "$(grep -c 'token label' "$WORK/L")" -eq 2 ] || fail "expected 2 tokens"
grep -q 'JPKI User Authentication' "$WORK/L" || fail "no auth token"
grep -q 'JPKI Digital Signature' "$WORK/L" || fail "no sign token"
# a serial per token, sharing the card's part: XXXXXXXXXXXXXX-A / -S
[ "$(grep 'serial num' "$WORK/L" | sort -u | wc -l)" -eq 2 ] ||
    fail "each token must have a serial of its own"
[ "$(grep 'serial num' "$WORK/L" | sed 's/.*: *//; s/-[AS]$//' | sort -u | wc -l)" -eq 1 ] ||
    fail "both tokens of one card must share the card's part of the serial"
grep 'serial num' "$WORK/L" | grep -q -- '-A$' || fail "no -A serial"

step "objects of the auth token, no login"
run_to "$WORK/O" $P11 --slot 0 -O; cat "$WORK/O"
grep -q 'Certificate Object' "$WORK/O" || fail "no certificate"
grep -q "Public Key Object; $PUBKEY" "$WORK/O" || fail "no $PUBKEY public key"
grep -q 'Private Key Object' "$WORK/O" && fail "private key visible before login"

step "objects of the sign token, before and after login"
run_to "$WORK/O1" $P11 --slot 1 -O; cat "$WORK/O1"
[ "$(grep -c 'Certificate Object' "$WORK/O1")" -eq 1 ] || fail "sign token before login: only its CA"
run_to "$WORK/O2" $P11 --slot 1 -O --login --pin ABC123; cat "$WORK/O2"
grep -q 'Private Key Object' "$WORK/O2" || fail "no sign key after login"
[ "$(grep -c 'Certificate Object' "$WORK/O2")" -eq 2 ] || fail "no sign cert after login"

printf 'a document to sign\n' > "$WORK/doc"
for t in "0 1234 01" "1 ABC123 02"; do
    set -- $t
    slot=$1 pin=$2 id=$3
    for mech in $SIG_MECHS; do
        step "sign with slot $slot, $mech"
        $P11 --slot "$slot" --login --pin "$pin" --sign -m "$mech" --id "$id" $SIG_FMT \
            -i "$WORK/doc" -o "$WORK/sig"
        $P11 --slot "$slot" --login --pin "$pin" --read-object --type cert \
            --id "$id" -o "$WORK/cert.der"
        openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
        if [ -z "$SIG_FMT" ]; then
            [ "$(stat -c %s "$WORK/sig")" -eq 256 ] || fail "signature is not 256 bytes"
        fi
        md=$(echo "$mech" | sed 's/-RSA-PKCS//; s/^ECDSA-//' | tr 'A-Z' 'a-z')
        openssl dgst "-$md" -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
    done
    if [ -n "$SIG_FMT" ]; then
        step "sign with slot $slot, ECDSA over a SHA-384 hash the caller made"
        openssl dgst -sha384 -binary "$WORK/doc" > "$WORK/hash"
        $P11 --slot "$slot" --login --pin "$pin" --sign -m ECDSA --id "$id" $SIG_FMT \
            -i "$WORK/hash" -o "$WORK/sig"
        openssl dgst -sha384 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
        continue
    fi
    step "sign with slot $slot, RSA-PKCS over a DigestInfo"
    openssl dgst -sha256 -binary "$WORK/doc" > "$WORK/hash"
    # DigestInfo for SHA-256 = fixed DER header + hash
    printf '\060\061\060\015\006\011\140\206\110\001\145\003\004\002\001\005\000\004\040' > "$WORK/di"
    cat "$WORK/hash" >> "$WORK/di"
    $P11 --slot "$slot" --login --pin "$pin" --sign -m RSA-PKCS --id "$id" \
        -i "$WORK/di" -o "$WORK/sig"
    openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
done

step "mechanisms: sign only, no decryption; RSA-PSS (the card's P1 04) with SHA-256 only"
run_to "$WORK/M" $P11 --slot 0 -M; cat "$WORK/M"
grep -qi 'decrypt\|encrypt' "$WORK/M" && fail "advertises what the card cannot do"
[ -z "$SIG_FMT" ] || ! grep -q RSA "$WORK/M" || fail "an EC card offers an RSA mechanism"
grep -v 'SHA256-RSA-PKCS-PSS\|^ *RSA-PKCS-PSS' "$WORK/M" | grep -q PSS &&
    fail "a PSS mechanism the card cannot do (tests/e2e/pss.sh tests PSS)"

step "pkcs11-tool --test on both tokens"
for t in "0 1234" "1 ABC123"; do
    set -- $t
    $P11 --slot "$1" --login --pin "$2" --test > "$WORK/test.out" 2>&1 ||
        { cat "$WORK/test.out"; fail "pkcs11-tool --test exited non-zero on slot $1"; }
    grep -q '^No errors' "$WORK/test.out" || { cat "$WORK/test.out"; fail "--test found errors"; }
done

step "change both PINs, use the new ones, change them back"
$P11 --slot 0 --login --pin 1234 --change-pin --new-pin 5678
$P11 --slot 1 --login --pin ABC123 --change-pin --new-pin NEWPIN42
expect_ckr CKR_PIN_INCORRECT $P11 --slot 0 --login --pin 1234 -O
$P11 --slot 0 --login --pin 5678 --sign -m $SIGN_MECH --id 01 -i "$WORK/doc" -o "$WORK/sig"
$P11 --slot 1 --login --pin NEWPIN42 --sign -m $SIGN_MECH --id 02 -i "$WORK/doc" -o "$WORK/sig"
expect_ckr CKR_PIN_LEN_RANGE $P11 --slot 1 --login --pin NEWPIN42 --change-pin --new-pin ABC
expect_ckr CKR_PIN_INVALID $P11 --slot 1 --login --pin NEWPIN42 --change-pin --new-pin abc-def
$P11 --slot 0 --login --pin 5678 --change-pin --new-pin 1234
$P11 --slot 1 --login --pin NEWPIN42 --change-pin --new-pin ABC123

# flags LABEL: the token flags pkcs11-tool -L shows for the token LABEL, in
# $WORK/f (a file, not a pipe: a failing pkcs11-tool must fail the test).
flags() {
    run_to "$WORK/flags" $P11 -L
    grep -A8 "$1" "$WORK/flags" | grep 'token flags' > "$WORK/f" || true
}
# tries KEY: what the card (its image) says is left of the auth or sign PIN.
tries() { "$TOOL" emu info "$CARD" | sed -n "s/^$1 PIN *\([0-9]*\) of .*/\1/p"; }

step "wrong PIN is counted on the card, and shown"
expect_ckr CKR_PIN_INCORRECT $P11 --slot 0 --login --pin 9999 -O
[ "$(tries auth)" -eq 2 ] || fail "the card did not count the wrong PIN"
flags 'JPKI User Authentication'; grep -q 'count low' "$WORK/f" || fail "count-low flag not shown"

step "a PIN that cannot be right is refused without spending a try"
# At C_Login, PKCS#11 has CKR_PIN_INCORRECT for any PIN that is not the
# right one (CKR_PIN_LEN_RANGE and CKR_PIN_INVALID are C_SetPIN's); the card
# must never see such a PIN.
for bad in abc-12 ABC12 ABCDEFGHIJ1234567 'ABC 123'; do
    JPKI_EMU_LOG="$WORK/bad.log" expect_ckr CKR_PIN_INCORRECT \
        $P11 --slot 1 --login --pin "$bad" -O
    grep 'INS=20' "$WORK/bad.log" | grep -v 'Lc=-' && fail "a malformed PIN ($bad) reached the card"
    rm -f "$WORK/bad.log"
done
[ "$(tries sign)" -eq 5 ] || fail "a malformed PIN spent a try"
flags 'JPKI Digital Signature'; grep -q 'count low' "$WORK/f" && fail "count low after a malformed PIN"

step "the right PIN resets the counter"
run_to "$WORK/O3" $P11 --slot 0 --login --pin 1234 -O
[ "$(tries auth)" -eq 3 ] || fail "the card's counter not reset"
flags 'JPKI User Authentication'; grep -q 'count low' "$WORK/f" && fail "counter not reset"

step "three wrong PINs lock the auth PIN; the flags follow; the sign PIN is untouched"
expect_ckr CKR_PIN_INCORRECT $P11 --slot 0 --login --pin 0000 -O
flags 'JPKI User Authentication'; grep -q 'count low' "$WORK/f" || fail "no count-low flag after 1 wrong PIN"
flags 'JPKI User Authentication'; grep -q 'final user PIN try' "$WORK/f" && fail "final-try flag after 1 wrong PIN"
expect_ckr CKR_PIN_INCORRECT $P11 --slot 0 --login --pin 0000 -O
flags 'JPKI User Authentication'; grep -q 'final user PIN try' "$WORK/f" || fail "no final-try flag after 2 wrong PINs"
expect_ckr CKR_PIN_LOCKED $P11 --slot 0 --login --pin 0000 -O
JPKI_EMU_LOG="$WORK/locked.log" expect_ckr CKR_PIN_LOCKED $P11 --slot 0 --login --pin 1234 -O
grep 'INS=20' "$WORK/locked.log" | grep -v 'Lc=-' && fail "a PIN was sent to a locked PIN"
[ "$(tries auth)" -eq 0 ] || fail "the card does not show the auth PIN locked"
run_to "$WORK/L2" $P11 -L; cat "$WORK/L2"
grep -A8 'JPKI User Authentication' "$WORK/L2" | grep 'token flags' | grep -q 'locked' ||
    fail "locked flag not shown"
$P11 --slot 1 --login --pin ABC123 --sign -m $SIGN_MECH --id 02 \
    -i "$WORK/doc" -o "$WORK/sig"

step "a card in a PIN-pad reader: protected authentication path, no PIN typed"
"$TOOL" emu init $KEY_OPT --pinpad --out "$WORK/pinpad.img" >/dev/null
run_to "$WORK/L5" env JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" $P11 -L; cat "$WORK/L5"
[ "$(grep -c 'PIN pad present' "$WORK/L5")" -eq 2 ] || fail "no protected authentication path"
JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" $P11 --slot 1 --login --sign \
    -m $SIGN_MECH $SIG_FMT --id 02 -i "$WORK/doc" -o "$WORK/sig"
run_to "$WORK/pp.out" env JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" $P11 --slot 1 --login \
    --read-object --type cert --id 02 -o "$WORK/pp.der"
openssl x509 -inform DER -in "$WORK/pp.der" -pubkey -noout > "$WORK/pp.pem"
openssl dgst -sha256 -verify "$WORK/pp.pem" -signature "$WORK/sig" "$WORK/doc" ||
    fail "the PIN-pad signature does not verify with the certificate's key"

step "PIN pad: the holder cancels (no try spent), then changes the PIN there"
JPKI_EMU_FAULTS=pinpad-cancel JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" \
    $P11 --slot 0 --login --test > "$WORK/cancel" 2>&1 && fail "a cancelled PIN entry logged in"
grep -q CKR_FUNCTION_CANCELED "$WORK/cancel" || { cat "$WORK/cancel"; fail "cancel not reported"; }
"$TOOL" emu info "$WORK/pinpad.img" | grep -q 'auth PIN *3 of 3' || fail "a cancelled entry spent a try"
JPKI_EMU_PINPAD_NEW_PIN=8642 JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" \
    $P11 --slot 0 --change-pin
run_to "$WORK/O5" env JPKI_PKCS11_EMULATOR="$WORK/pinpad.img" $P11 --slot 0 --login \
    --pin 8642 --list-objects --type privkey
grep -q 'Private Key' "$WORK/O5" || fail "the PIN changed on the PIN pad does not work"

step "missing card image: no token, no crash"
run_to "$WORK/L3" env JPKI_PKCS11_EMULATOR="$WORK/nothing-here.img" $P11 -L; cat "$WORK/L3"
grep -q 'token label' "$WORK/L3" && fail "a token without a card"

step "corrupt card image: a clear error, no token, no crash"
head -c 3000 /dev/urandom > "$WORK/bad.img"
rc=0
JPKI_PKCS11_EMULATOR="$WORK/bad.img" $P11 -L > "$WORK/L4" 2>&1 || rc=$?
cat "$WORK/L4"
[ $rc -lt 124 ] || fail "pkcs11-tool -L on a corrupt image: exit $rc (a crash)"
grep -q 'token label' "$WORK/L4" && fail "a token from a corrupt image"
grep -q 'bad.img' "$WORK/L4" || fail "no message naming the bad image"
grep -q 'AddressSanitizer\|runtime error\|Segmentation' "$WORK/L4" && fail "crash"

echo
echo "pkcs11-tool end-to-end: all steps passed"
