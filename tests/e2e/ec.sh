#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end on a card of the ECDSA generation (emu init --key ec-p384),
# once for each answer encoding the module accepts (r||s and DER):
# pkcs11-tool lists EC keys and only the ECDSA mechanisms, signs with every
# one of them on both tokens and verifies, and passes --test; openssl
# verifies every signature itself. Then OpenSSL's pkcs11 engine (pkeyutl,
# dgst, cms), NSS certutil, GnuTLS p11tool, jpki-tool sign and ssh-key,
# and jpki-tool verify with the card's ECDSA-signed chain and CRLs. The card's own APDU log says what it
# was asked and what it answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cardlog.sh"
need pkcs11-tool openssl p11tool certutil modutil

P11="pkcs11-tool --module $MODULE"
T="timeout 60"
HOME="$WORK/home" XDG_CACHE_HOME="$WORK/cache" XDG_CONFIG_HOME="$WORK/config"
export HOME XDG_CACHE_HOME XDG_CONFIG_HOME
mkdir -p "$HOME"
printf 'a document to sign\n' > "$WORK/doc"

# der_of RS OUT: r||s (96 bytes) as the DER openssl verifies, made here
# and not by the client that signed.
der_of() {
    hex=$(od -An -v -tx1 "$1" | tr -d ' \n')
    [ ${#hex} -eq 192 ] || fail "signature is not 96 bytes (r||s)"
    printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
        "$(echo "$hex" | cut -c1-96)" "$(echo "$hex" | cut -c97-192)" > "$WORK/sig.cnf"
    openssl asn1parse -genconf "$WORK/sig.cnf" -out "$2" >/dev/null
}

# The card's answers to signatures so far: "len=N" of each, from its log.
answers() { sed -n 's/.*INS=2A P1=00 P2=[0-9A-F]* Lc=\([0-9]*\) .* len=\([0-9]*\) SW=9000$/\1:\2/p' "$JPKI_EMU_LOG" | sort -u; }
# Signatures the card made, the key selected (P2 80) or named by SFI.
signatures() { grep -c 'INS=2A P1=00 P2=[0-9A-F]* .* SW=9000$' "$JPKI_EMU_LOG" || true; }

for enc in raw der; do
    card_init --key ec-p384 --ec-sig-encoding "$enc" --force
    step "$enc card: the emulator made an ECDSA P-384 card"
    run_to "$WORK/info" "$TOOL" emu info "$CARD"; cat "$WORK/info"
    grep -q "^keys *ECDSA P-384, signature answered as $( [ $enc = raw ] && echo 'r||s' || echo DER)$" \
        "$WORK/info" || fail "emu info: not the $enc EC card"

    step "$enc card: EC keys, ECDSA mechanisms only"
    run_to "$WORK/O" $P11 --slot 0 -O; cat "$WORK/O"
    grep -q 'Public Key Object; EC  EC_POINT 384 bits' "$WORK/O" || fail "no P-384 public key"
    grep -q 'EC_PARAMS: *06052b81040022$' "$WORK/O" || fail "CKA_EC_PARAMS is not secp384r1"
    run_to "$WORK/M" $P11 --slot 0 -M; cat "$WORK/M"
    for m in ECDSA ECDSA-SHA256 ECDSA-SHA384 ECDSA-SHA512; do
        grep -q "^  $m, keySize={384,384}" "$WORK/M" || fail "mechanism $m missing"
    done
    grep -q 'RSA' "$WORK/M" && fail "an EC card offers an RSA mechanism"
    [ "$(grep -c '^  ' "$WORK/M")" -eq 4 ] || fail "more mechanisms than the four ECDSA ones"

    for t in "0 1234 01" "1 ABC123 02"; do
        set -- $t
        slot=$1 pin=$2 id=$3
        L="--slot $slot --login --pin $pin"
        $T $P11 $L --read-object --type cert --id "$id" -o "$WORK/cert.der" >/dev/null
        openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
        for h in sha256 sha384 sha512; do
            mech=ECDSA-$(echo "$h" | tr a-z A-Z)
            step "$enc card: slot $slot signs with $mech, openssl verifies"
            before=$(signatures)
            $T $P11 $L --sign -m "$mech" --id "$id" -i "$WORK/doc" -o "$WORK/sig"
            [ "$(signatures)" -eq $((before + 1)) ] ||
                fail "the card did not sign exactly once"
            der_of "$WORK/sig" "$WORK/sig.der"
            openssl dgst "-$h" -verify "$WORK/pub.pem" -signature "$WORK/sig.der" "$WORK/doc" ||
                fail "$mech: openssl does not verify"
            $T $P11 $L --verify -m "$mech" --id "$id" -i "$WORK/doc" \
                --signature-file "$WORK/sig" > "$WORK/v" 2>&1
            grep -q '^Signature is valid' "$WORK/v" || { cat "$WORK/v"; fail "C_Verify: $mech"; }
        done
        # CKM_ECDSA: the caller's hash, of any length (ECDSA truncates)
        for h in sha256 sha384 sha512; do
            step "$enc card: slot $slot signs a $h hash with ECDSA"
            openssl dgst "-$h" -binary "$WORK/doc" > "$WORK/hash"
            $T $P11 $L --sign -m ECDSA --id "$id" -i "$WORK/hash" -o "$WORK/sig"
            der_of "$WORK/sig" "$WORK/sig.der"
            openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -in "$WORK/hash" \
                -sigfile "$WORK/sig.der" || fail "ECDSA over $h: openssl does not verify"
        done
        step "$enc card: slot $slot, a wrong signature does not verify"
        printf 'another document\n' > "$WORK/doc2"
        $T $P11 $L --verify -m ECDSA-SHA384 --id "$id" -i "$WORK/doc2" \
            --signature-file "$WORK/sig" > "$WORK/v" 2>&1 || true
        grep -q '^Invalid signature' "$WORK/v" || { cat "$WORK/v"; fail "C_Verify accepted a wrong signature"; }

        step "$enc card: pkcs11-tool --test on slot $slot"
        $T $P11 $L --test > "$WORK/test.out" 2>&1 ||
            { cat "$WORK/test.out"; fail "pkcs11-tool --test exited non-zero on slot $slot"; }
        grep -q '^No errors' "$WORK/test.out" || { cat "$WORK/test.out"; fail "--test found errors"; }
    done

    step "$enc card: the card got bare 48-byte hashes and answered $enc"
    answers | tee "$WORK/answers"
    if [ "$enc" = raw ]; then
        [ "$(cat "$WORK/answers")" = "48:96" ] || fail "expected only 48-byte hashes answered with 96 bytes"
    else
        # DER: 8 to 104 bytes (r and s need not be 48 bytes long each)
        grep -v '^48:\([89]\|[1-9][0-9]\|10[0-4]\)$' "$WORK/answers" | grep -q . &&
            fail "expected only 48-byte hashes answered with 8-104 DER bytes"
        grep -v '^48:96$' "$WORK/answers" | grep -q . || fail "no DER answer in the card's log"
    fi
done

# The clients below use the last card (DER answers).
SIGN_CA="$CARD.pki/sign-ca.pem"
TOKEN='pkcs11:token=JPKI%20Digital%20Signature'
$T $P11 --slot 1 --login --pin ABC123 --read-object --type cert --id 02 -o "$WORK/cert.der" >/dev/null
openssl x509 -inform DER -in "$WORK/cert.der" -out "$WORK/cert.pem"
openssl x509 -in "$WORK/cert.pem" -pubkey -noout > "$WORK/pub.pem"
openssl verify -CAfile "$SIGN_CA" "$WORK/cert.pem" || fail "not issued by the EC test sign CA"
openssl dgst -sha384 -binary "$WORK/doc" > "$WORK/hash.bin"

step "OpenSSL + libp11 engine: pkeyutl, dgst, cms with the EC key"
ENGDIR=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -n "$ENGDIR" ] && [ -f "$ENGDIR/pkcs11.so" ] ||
    missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl)"
KEY="$TOKEN;id=%02;type=private;pin-value=ABC123"
export PKCS11_MODULE_PATH="$MODULE"
$T openssl pkeyutl -engine pkcs11 -keyform engine -inkey "$KEY" -sign \
    -in "$WORK/hash.bin" -out "$WORK/sig"
openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -in "$WORK/hash.bin" \
    -sigfile "$WORK/sig" || fail "engine pkeyutl: openssl does not verify"
$T openssl dgst -engine pkcs11 -keyform engine -sign "$KEY" -sha384 \
    -out "$WORK/sig" "$WORK/doc"
openssl dgst -sha384 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
$T openssl cms -sign -engine pkcs11 -keyform engine -inkey "$KEY" -md sha384 \
    -signer "$WORK/cert.pem" -in "$WORK/doc" -out "$WORK/doc.p7s" -outform DER -binary
openssl cms -verify -inform DER -in "$WORK/doc.p7s" -content "$WORK/doc" -binary \
    -CAfile "$SIGN_CA" -out "$WORK/doc.out"
cmp "$WORK/doc" "$WORK/doc.out" || fail "openssl cms: content differs"
openssl cms -cmsout -print -inform DER -in "$WORK/doc.p7s" > "$WORK/cms.txt"
grep -q 'algorithm: ecdsa-with-SHA384' "$WORK/cms.txt" || fail "cms: not an ECDSA signature"
unset PKCS11_MODULE_PATH

step "NSS certutil: the EC keys and certificates"
NSS="sql:$WORK/nss"
mkdir "$WORK/nss"
certutil -N -d "$NSS" --empty-password
echo | $T modutil -dbdir "$NSS" -add jpki -libfile "$MODULE" -force
for t in "JPKI Digital Signature|ABC123|Digital Signature|02" \
         "JPKI User Authentication|1234|User Authentication|01"; do
    tok=${t%%|*}; rest=${t#*|}; pin=${rest%%|*}; rest=${rest#*|}
    name=${rest%%|*}; id=${rest#*|}
    printf '%s\n' "$pin" > "$WORK/pwfile"
    $T certutil -L -d "$NSS" -h "$tok" -f "$WORK/pwfile" | tee "$WORK/L"
    grep -q "$tok:$name Certificate *u,u,u" "$WORK/L" || fail "certutil -L: no user certificate on $tok"
    $T certutil -K -d "$NSS" -h "$tok" -f "$WORK/pwfile" | tee "$WORK/K"
    grep -q "ec *$id *$name Private Key" "$WORK/K" || fail "certutil -K: no EC key on $tok"
done
rm -f "$WORK/pwfile"

if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    echo "GnuTLS p11tool: left to the normal build (the ASan runtime hangs GnuTLS programs)"
else
    step "GnuTLS p11tool: test-sign with the EC key"
    for h in sha256 sha384 sha512; do
        GNUTLS_PIN=ABC123 $T p11tool --provider "$MODULE" --login --test-sign --hash "$h" \
            "$TOKEN;id=%02;type=private" > "$WORK/ts" 2>&1 || { cat "$WORK/ts"; fail "p11tool --test-sign $h"; }
        cat "$WORK/ts"
        grep -q "^Signing using ECDSA-$(echo "$h" | tr a-z A-Z)\.\.\. ok" "$WORK/ts" || fail "p11tool: signing $h"
        grep -q '^Verifying against public key in the token... ok' "$WORK/ts" || fail "p11tool: verify $h"
    done
fi

step "jpki-tool sign: a CMS signature by the EC key, openssl verifies"
printf 'ABC123\n' > "$WORK/pin"
before=$(signatures)
"$TOOL" sign "$WORK/doc" -o "$WORK/tool.p7s" --pin-fd 3 3<"$WORK/pin"
rm -f "$WORK/pin"
[ "$(signatures)" -eq $((before + 1)) ] || fail "jpki-tool sign: not one signature by the card"
openssl cms -verify -inform DER -in "$WORK/tool.p7s" -CAfile "$SIGN_CA" -out "$WORK/tool.out"
cmp "$WORK/doc" "$WORK/tool.out" || fail "jpki-tool sign: content differs"
openssl cms -cmsout -print -inform DER -in "$WORK/tool.p7s" > "$WORK/tool.txt"
grep -q 'algorithm: ecdsa-with-SHA256' "$WORK/tool.txt" || fail "jpki-tool sign: not an ECDSA signer"

if command -v pdfsig >/dev/null 2>&1 && command -v gs >/dev/null 2>&1; then
    step "jpki-tool sign --pdf: a PAdES signature by the EC key, pdfsig validates"
    gs -q -sDEVICE=pdfwrite -o "$WORK/doc.pdf" -c showpage
    printf 'ABC123\n' > "$WORK/pin"
    "$TOOL" sign --pdf "$WORK/doc.pdf" -o "$WORK/signed.pdf" --pin-fd 3 3<"$WORK/pin"
    rm -f "$WORK/pin"
    pdfsig -nocert "$WORK/signed.pdf" | tee "$WORK/pdfsig"
    grep -q 'Signature Validation: Signature is Valid\.' "$WORK/pdfsig" || fail "pdfsig: not valid"
fi

if command -v ssh-keygen >/dev/null 2>&1; then
    step "jpki-tool ssh-key: the EC key as ssh-keygen -D reads it from the module"
    "$TOOL" ssh-key > "$WORK/key.pub"
    cat "$WORK/key.pub"
    grep -q '^ecdsa-sha2-nistp384 ' "$WORK/key.pub" || fail "ssh-key: not an ecdsa-sha2-nistp384 key"
    ssh-keygen -D "$MODULE" 2>/dev/null | grep 'User Authentication Public Key$' > "$WORK/D.pub"
    [ "$(cut -d' ' -f1-2 "$WORK/key.pub")" = "$(cut -d' ' -f1-2 "$WORK/D.pub")" ] ||
        fail "ssh-key and ssh-keygen -D disagree"
fi

step "jpki-tool verify: the ECDSA chain, then an ECDSA-signed CRL"
AUTH_CA="$CARD.pki/auth-ca.pem"
$T $P11 --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
V="$TOOL verify $WORK/auth.der --anchors $CARD.pki --allow-test-pki"
run_to "$WORK/v" $V; grep -q '^status: *valid$' "$WORK/v" || { cat "$WORK/v"; fail "EC chain not valid"; }
"$TOOL" emu revoke "$CARD" --which auth >/dev/null
openssl crl -inform DER -in "$CARD.pki/auth-ca.crl" -noout -text > "$WORK/crl.txt"
grep -q 'Signature Algorithm: ecdsa-with-SHA384' "$WORK/crl.txt" || fail "the CRL is not ECDSA-signed"
for cache in "--no-crl-cache" "--crl-cache $WORK/crlcache" "--crl-cache $WORK/crlcache"; do
    rc=0; $V --crl "$CARD.pki/auth-ca.crl" $cache > "$WORK/v" 2>&1 || rc=$?
    [ "$rc" -eq 6 ] || { cat "$WORK/v"; fail "revoked EC certificate: exit $rc, expected 6 ($cache)"; }
done
ls "$WORK/crlcache" | grep -q . || fail "no CRL index was built from the ECDSA CRL"
# a CRL whose ECDSA signature is broken: never believed
# (one byte of the signature replaced; not with dd, which aborts under the
# sanitizer build's preloaded ASan runtime)
len=$(stat -c %s "$CARD.pki/auth-ca.crl")
old=$(tail -c 10 "$CARD.pki/auth-ca.crl" | head -c 1 | od -An -tu1 | tr -d ' ')
{
    head -c $((len - 10)) "$CARD.pki/auth-ca.crl"
    if [ "$old" = 1 ]; then printf '\002'; else printf '\001'; fi
    tail -c 9 "$CARD.pki/auth-ca.crl"
} > "$WORK/bad.crl"
cmp -s "$CARD.pki/auth-ca.crl" "$WORK/bad.crl" && fail "the CRL copy is not broken"
rc=0; $V --crl "$WORK/bad.crl" --no-crl-cache > "$WORK/v" 2>&1 || rc=$?
cat "$WORK/v"
[ "$rc" -ne 0 ] && [ "$rc" -ne 6 ] || fail "a CRL with a broken ECDSA signature decided the status (exit $rc)"
grep -q "CRL's signature does not verify\|revocation unknown\|unusable" "$WORK/v" ||
    fail "the broken CRL is not named as such"

printf '\nPASS: ECDSA P-384 card, raw and DER answers, pkcs11-tool, openssl, engine, NSS, p11tool, verify\n'
