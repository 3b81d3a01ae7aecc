#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# GnuTLS certtool: a PKCS#7 signature with the signature key (pkcs11: URI,
# PIN from GNUTLS_PIN), checked by `certtool --p7-verify` against the test
# sign CA and by openssl cms; a changed document and a wrong CA must fail.
# certtool cannot load the signature certificate by URI: it does not log in
# to read a certificate, and the card shows that one only after login. The
# test shows that failure and the way round it (p11tool --login --export).
# (gnutls-cli's TLS client authentication is in tls.sh.)
. "$(dirname "$0")/lib.sh"
need certtool p11tool openssl
# Verifiers use no module: they run without the ASan runtime (certtool
# --p7-verify with it preloaded hangs when it refuses a signature).
plain() { env -u LD_PRELOAD "$@"; }
# GnuTLS's programs hang at random with the ASan runtime preloaded
# (gnutls-cli connecting nowhere, without our module, always does), so a
# sanitizer build does not run this test; the normal build does.
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    skip "certtool cannot run reliably with the ASan runtime preloaded; this test runs in the normal build"
fi

START=$(date +%s)
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
SIGN_CA="$CARD.pki/sign-ca.pem"
HOME="$WORK/home"; export HOME; mkdir -p "$HOME"
T="timeout 60"
TOK='pkcs11:token=JPKI%20Digital%20Signature'
KEY="$TOK;id=%02;type=private"
certtool --version | head -1
printf 'a document to sign\n' > "$WORK/doc"
printf 'a document to sign.\n' > "$WORK/doc.changed"

step "certtool: the signature certificate by URI fails (not visible before login)"
if GNUTLS_PIN=ABC123 $T certtool --provider "$MODULE" --p7-detached-sign --load-privkey "$KEY" \
        --load-certificate "$TOK;id=%02;type=cert" --infile "$WORK/doc" --outfile "$WORK/x.p7" \
        > "$WORK/uri.out" 2>&1; then
    fail "certtool loaded the signature certificate by URI (update the README)"
fi
cat "$WORK/uri.out"
grep -q 'Could not open pkcs11:' "$WORK/uri.out" || fail "certtool failed another way"

step "the certificate exported once with p11tool --login"
GNUTLS_PIN=ABC123 $T p11tool --provider "$MODULE" --login --export "$TOK;id=%02;type=cert" \
    > "$WORK/cert.pem" || fail "p11tool --export"
openssl x509 -in "$WORK/cert.pem" -noout -serial

for mode in detached attached; do
    step "certtool --p7-${mode%ached}-sign with the card's key"
    opt=--p7-sign; [ $mode = detached ] && opt=--p7-detached-sign
    GNUTLS_PIN=ABC123 $T certtool --provider "$MODULE" $opt --load-privkey "$KEY" \
        --load-certificate "$WORK/cert.pem" --infile "$WORK/doc" --outfile "$WORK/$mode.p7" \
        || fail "certtool $opt"
    data=""; [ $mode = detached ] && data="--load-data $WORK/doc"
    # shellcheck disable=SC2086
    plain $T certtool --p7-verify --load-ca-certificate "$SIGN_CA" $data --infile "$WORK/$mode.p7" \
        > "$WORK/$mode.v" 2>&1 || { cat "$WORK/$mode.v"; fail "certtool --p7-verify ($mode)"; }
    cat "$WORK/$mode.v"
    grep -q 'Signature status: ok' "$WORK/$mode.v" || fail "p7-verify: status not ok"
    grep -q "Signer's serial: $(openssl x509 -in "$WORK/cert.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f)" \
        "$WORK/$mode.v" || fail "p7-verify: another signer"
    content=""; [ $mode = detached ] && content="-content $WORK/doc"
    # shellcheck disable=SC2086
    plain openssl cms -verify -inform PEM -in "$WORK/$mode.p7" $content -binary -CAfile "$SIGN_CA" \
        -out "$WORK/$mode.out" || fail "openssl cms -verify ($mode)"
    cmp "$WORK/doc" "$WORK/$mode.out" || fail "openssl cms: another content ($mode)"
done

step "a changed document and a wrong CA are refused"
# refused CA DATA: certtool --p7-verify says no (exit 1, not a hang).
refused() {
    rc=0
    plain $T certtool --p7-verify --load-ca-certificate "$1" --load-data "$2" \
        --infile "$WORK/detached.p7" > "$WORK/refused" 2>&1 || rc=$?
    cat "$WORK/refused"
    [ "$rc" -eq 1 ] || fail "p7-verify with $1 on $2: exit $rc, expected 1"
    grep -q 'verification failed\|[Nn]ot verified\|[Ii]ssuer' "$WORK/refused" || fail "p7-verify: no reason given"
}
refused "$SIGN_CA" "$WORK/doc.changed"
refused "$CARD.pki/auth-ca.pem" "$WORK/doc"

printf '\nPASS: certtool PKCS#7 with the JPKI sign key (%ss)\n' "$(($(date +%s) - START))"
