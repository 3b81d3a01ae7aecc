#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# RSA-PSS end to end with OpenSC's pkcs11-tool: both tokens sign with
# SHA256-RSA-PKCS-PSS and RSA-PKCS-PSS (SHA-256, MGF1-SHA-256, salt 32),
# single- and multi-part, and openssl verifies; other parameters are
# refused before the card sees anything. On a card that knows P1 00 only
# (--sign-schemes v15-only): PSS fails cleanly with no extra VERIFY and no
# try spent, PKCS#1 v1.5 still signs in the same login, and a new process
# no longer lists PSS for the card. pss = off hides PSS. What the card did
# is read from its APDU log and its image, never from the module.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl

P11="pkcs11-tool --module $MODULE"
export JPKI_PKCS11_CACHE="$WORK/cache"
CARD="$WORK/card.img"
LOG="$WORK/apdu.log"
export JPKI_EMU_LOG="$LOG"
"$TOOL" emu init --out "$CARD" > /dev/null
export JPKI_PKCS11_EMULATOR="$CARD"
PSS_ARGS="--mgf MGF1-SHA256 --salt-len 32"
RAW_ARGS="--hash-algorithm SHA256 $PSS_ARGS" # RSA-PKCS-PSS: the caller hashed

# card_saw PATTERN: lines of the card's APDU log that match PATTERN
card_saw() { grep -c "$1" "$LOG" || true; }
# verifies: VERIFY commands that carried a PIN
verifies() { grep 'INS=20' "$LOG" | grep -vc 'Lc=-' || true; }
# tries KEY: what the card (its image) says is left of the auth or sign PIN
tries() { "$TOOL" emu info "$1" | sed -n "s/^$2 PIN *\([0-9]*\) of .*/\1/p"; }
# pss_verify PUB SIG FILE: openssl's RSA-PSS check with the card's parameters
pss_verify() {
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
        -sigopt rsa_mgf1_md:sha256 -verify "$1" -signature "$2" "$3" > /dev/null ||
        fail "openssl does not verify $2 as RSA-PSS"
}

printf 'a document to sign with RSA-PSS\n' > "$WORK/doc"
openssl dgst -sha256 -binary "$WORK/doc" > "$WORK/hash"
head -c 5000 /dev/urandom > "$WORK/big" # more than one C_SignUpdate

step "PSS is listed, with the right flags"
run_to "$WORK/M" $P11 --slot 0 -M; cat "$WORK/M"
grep -q 'RSA-PKCS-PSS, keySize={2048,2048}, hw, sign, verify' "$WORK/M" ||
    fail "RSA-PKCS-PSS not listed as the card's (hw) sign/verify mechanism"
grep -q 'SHA256-RSA-PKCS-PSS, keySize={2048,2048}, sign, verify' "$WORK/M" ||
    fail "SHA256-RSA-PKCS-PSS not listed"
grep -q 'SHA1-RSA-PKCS-PSS\|SHA384-RSA-PKCS-PSS\|SHA512-RSA-PKCS-PSS' "$WORK/M" &&
    fail "a PSS hash the card cannot do is listed"

for t in "0 1234 01" "1 ABC123 02"; do
    set -- $t
    slot=$1 pin=$2 id=$3
    $P11 --slot "$slot" --login --pin "$pin" --read-object --type cert --id "$id" \
        -o "$WORK/cert$slot.der" 2> /dev/null
    openssl x509 -inform DER -in "$WORK/cert$slot.der" -pubkey -noout > "$WORK/pub$slot.pem"
    for f in doc big; do
        step "slot $slot: SHA256-RSA-PKCS-PSS over $f, verified by openssl"
        : > "$LOG"
        run_to "$WORK/out" $P11 --slot "$slot" --login --pin "$pin" --sign \
            -m SHA256-RSA-PKCS-PSS $PSS_ARGS --id "$id" -i "$WORK/$f" -o "$WORK/sig"
        [ "$(stat -c %s "$WORK/sig")" -eq 256 ] || fail "signature is not 256 bytes"
        pss_verify "$WORK/pub$slot.pem" "$WORK/sig" "$WORK/$f"
        [ "$(card_saw 'INS=2A P1=04 P2=.. Lc=32 .*SW=9000')" -eq 1 ] ||
            fail "the card did not make exactly one P1=04 signature"
        [ "$(card_saw 'INS=2A P1=00')" -eq 0 ] || fail "a PKCS#1 v1.5 signature was made"
    done
    step "slot $slot: RSA-PKCS-PSS over a SHA-256 hash"
    : > "$LOG"
    run_to "$WORK/out" $P11 --slot "$slot" --login --pin "$pin" --sign \
        -m RSA-PKCS-PSS $RAW_ARGS --id "$id" -i "$WORK/hash" -o "$WORK/sig"
    pss_verify "$WORK/pub$slot.pem" "$WORK/sig" "$WORK/doc"
    [ "$(card_saw 'INS=2A P1=04 P2=.. Lc=32 .*SW=9000')" -eq 1 ] || fail "no P1=04 signature"
    step "slot $slot: the module verifies PSS on the host (C_Verify)"
    run_to "$WORK/out" $P11 --slot "$slot" --login --pin "$pin" --verify -m SHA256-RSA-PKCS-PSS $PSS_ARGS \
        --id "$id" -i "$WORK/doc" --signature-file "$WORK/sig"
    grep -q 'Signature is valid' "$WORK/out" || { cat "$WORK/out"; fail "not valid"; }
    printf 'another document\n' > "$WORK/other"
    run_to "$WORK/out" $P11 --slot "$slot" --login --pin "$pin" --verify -m SHA256-RSA-PKCS-PSS $PSS_ARGS \
        --id "$id" -i "$WORK/other" --signature-file "$WORK/sig"
    grep -q 'Invalid signature' "$WORK/out" || { cat "$WORK/out"; fail "another text verified"; }
done

step "other PSS parameters are refused before the card sees anything"
: > "$LOG"
for bad in "--mgf MGF1-SHA256 --salt-len 20" "--mgf MGF1-SHA1 --salt-len 32" \
           "--mgf MGF1-SHA512 --salt-len 64"; do
    # shellcheck disable=SC2086
    expect_ckr CKR_MECHANISM_PARAM_INVALID $P11 --slot 0 --login --pin 1234 --sign \
        -m SHA256-RSA-PKCS-PSS $bad --id 01 -i "$WORK/doc" -o "$WORK/sig"
done
openssl dgst -sha1 -binary "$WORK/doc" > "$WORK/hash1"
expect_ckr CKR_MECHANISM_PARAM_INVALID $P11 --slot 1 --login --pin ABC123 --sign \
    -m RSA-PKCS-PSS --hash-algorithm SHA-1 --mgf MGF1-SHA1 --salt-len 20 --id 02 \
    -i "$WORK/hash1" -o "$WORK/sig"
[ "$(card_saw 'INS=2A')" -eq 0 ] || fail "a refused parameter reached the card"
[ "$(tries "$CARD" auth)" -eq 3 ] && [ "$(tries "$CARD" sign)" -eq 5 ] || fail "a try was spent"

step "pss = off (JPKI_PKCS11_PSS=off): not listed, not usable"
run_to "$WORK/M" env JPKI_PKCS11_PSS=off $P11 --slot 1 -M
grep -q PSS "$WORK/M" && fail "PSS listed with pss = off"
JPKI_PKCS11_PSS=off expect_ckr CKR_MECHANISM_INVALID $P11 --slot 1 --login --pin ABC123 \
    --sign -m SHA256-RSA-PKCS-PSS $PSS_ARGS --id 02 -i "$WORK/doc" -o "$WORK/sig"

step "a card that knows P1 00 only: PSS fails cleanly, once"
V15="$WORK/v15.img"
"$TOOL" emu init --out "$V15" --sign-schemes v15-only > /dev/null
export JPKI_PKCS11_EMULATOR="$V15"
run_to "$WORK/M" $P11 --slot 1 -M
grep -q 'SHA256-RSA-PKCS-PSS' "$WORK/M" || fail "PSS must be listed until the card refuses it"
: > "$LOG"
expect_ckr CKR_MECHANISM_INVALID $P11 --slot 1 --login --pin ABC123 --sign \
    -m SHA256-RSA-PKCS-PSS $PSS_ARGS --id 02 -i "$WORK/doc" -o "$WORK/sig"
# asked once in each form of P2 (by SFI, then the classic SELECT + 80):
# only both refusals tell "no PSS" from "no SFI"
[ "$(card_saw 'INS=2A P1=04 .*SW=6A86')" -eq 2 ] || fail "the card was not asked P1=04 once per form"
[ "$(verifies)" -eq 1 ] || fail "$(verifies) VERIFYs for one login"
[ "$(tries "$V15" sign)" -eq 5 ] || fail "the refusal spent a try"
[ "$(card_saw 'INS=2A P1=00')" -eq 0 ] || fail "the module fell back to PKCS#1 v1.5 unasked"

step "v15-only: a new process no longer lists PSS, and never asks the card again"
: > "$LOG"
run_to "$WORK/M" $P11 --slot 1 -M; cat "$WORK/M"
grep -q PSS "$WORK/M" && fail "PSS still listed after the card refused it"
run_to "$WORK/M" $P11 --slot 0 -M
grep -q PSS "$WORK/M" && fail "PSS still listed on the other token of the card"
expect_ckr CKR_MECHANISM_INVALID $P11 --slot 1 --login --pin ABC123 --sign \
    -m SHA256-RSA-PKCS-PSS $PSS_ARGS --id 02 -i "$WORK/doc" -o "$WORK/sig"
[ "$(card_saw 'INS=2A')" -eq 0 ] || fail "the card was asked for PSS again"

step "v15-only: PKCS#1 v1.5 still signs"
: > "$LOG"
run_to "$WORK/out" $P11 --slot 1 --login --pin ABC123 --sign -m SHA256-RSA-PKCS \
    --id 02 -i "$WORK/doc" -o "$WORK/sig"
$P11 --slot 1 --login --pin ABC123 --read-object --type cert --id 02 \
    -o "$WORK/v15.der" 2> /dev/null
openssl x509 -inform DER -in "$WORK/v15.der" -pubkey -noout > "$WORK/v15.pem"
openssl dgst -sha256 -verify "$WORK/v15.pem" -signature "$WORK/sig" "$WORK/doc" > /dev/null ||
    fail "the PKCS#1 v1.5 signature does not verify"
[ "$(card_saw 'INS=2A P1=00 .*SW=9000')" -eq 1 ] || fail "no P1=00 signature"
[ "$(tries "$V15" sign)" -eq 5 ] || fail "a try was spent"
