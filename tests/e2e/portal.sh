#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The relying party: examples/portal, a TLS 1.2 server that demands a
# client certificate and checks it with the project's verify API (chain to
# the anchors, JPKI authentication profile, CRL). A valid card gets in
# (openssl s_client with the card's key through the engine); the same card
# after its certificate is revoked is refused, with the reason, to the
# client and in the portal's log; a client without a certificate, and one
# whose certificate comes from another CA, are refused too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
need openssl pkcs11-tool
ENGINES=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -f "$ENGINES/pkcs11.so" ] || missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl)"
PORTAL="$top_builddir/examples/portal"
[ -x "$PORTAL" ] || fail "not built: $PORTAL (make check builds it)"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CNF="$top_srcdir/examples/openssl-jpki.cnf"

START=$(date +%s)
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
AUTH_CA="$CARD.pki/auth-ca.pem"
CRL="$CARD.pki/auth-ca.crl"
T="timeout 30"
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
SERIAL=$(openssl x509 -in "$WORK/auth.pem" -noout -serial | sed 's/^serial=//')
tls_pki

# A current CRL of the card's CA that does not list the card, made with
# openssl ca: the CA's key is in the test PKI, and the CRL's
# issuingDistributionPoint is the card's CRL distribution point (JPKI CRLs
# are partitioned: a CRL covers only the certificates that name it).
DP=$(openssl x509 -in "$WORK/auth.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *DirName://p')
[ -n "$DP" ] || fail "the card's certificate has no DirName CRL distribution point"
{
    printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\n' "$WORK/ca-index" "$WORK/ca-crlnumber"
    printf 'default_md = sha256\ndefault_crl_days = 1\ncrl_extensions = ext\n'
    printf '[ext]\nauthorityKeyIdentifier = keyid\nissuingDistributionPoint = critical, @idp\n'
    printf '[idp]\nfullname = dirName:dp\n[dp]\n'
    echo "$DP" | tr ',' '\n' | sed 's/^ *//' | awk -F' = ' '{ printf "%d.%s = %s\n", NR, $1, $2 }'
} > "$WORK/ca.cnf"
: > "$WORK/ca-index"; echo 01 > "$WORK/ca-crlnumber"
openssl ca -gencrl -config "$WORK/ca.cnf" -cert "$AUTH_CA" -keyfile "$CARD.pki/auth-ca.key" \
    -out "$WORK/crl.pem" 2>"$WORK/ca.err" || { cat "$WORK/ca.cnf" "$WORK/ca.err"; fail "openssl ca -gencrl"; }
openssl crl -in "$WORK/crl.pem" -outform DER -out "$CRL"
openssl crl -inform DER -in "$CRL" -noout -text | grep -q 'No Revoked Certificates' || fail "the CRL lists a certificate"

"$PORTAL" --cert "$WORK/srv.pem" --key "$WORK/srv.key" --anchors "$AUTH_CA" --crl "$CRL" \
    --allow-test-pki > "$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
at_exit "kill $PORTAL_PID 2>/dev/null"
i=0
while :; do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/portal.log")
    [ -z "$PORT" ] || break
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$WORK/portal.log"; fail "the portal did not start"; }
    sleep 0.1
done

export PKCS11_MODULE_PATH="$MODULE"
# visit NAME [s_client options]: one HTTPS request with the card's key;
# the page in $WORK/page-NAME.
visit() {
    name=$1; shift
    SEEN=$(grep -c '^accepted:\|^refused:' "$WORK/portal.log" || true)
    printf 'GET / HTTP/1.0\r\n\r\n' | OPENSSL_CONF="$CNF" $T openssl s_client -quiet -connect "127.0.0.1:$PORT" \
        -CAfile "$WORK/srv-ca.pem" -verify_return_error "$@" > "$WORK/page-$name" 2> "$WORK/err-$name" || true
    cat "$WORK/page-$name"
}
# verdict: the portal's log line about the last visit, in $WORK/last, once
# the portal has written it (up to 10 s; no fixed wait).
verdict() {
    i=0
    while [ "$(grep -c '^accepted:\|^refused:' "$WORK/portal.log" || true)" -le "$SEEN" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || { cat "$WORK/portal.log"; fail "the portal logged no verdict"; }
        sleep 0.05
    done
    grep '^accepted:\|^refused:' "$WORK/portal.log" | tail -n 1 > "$WORK/last"
    cat "$WORK/last"
}
CARDKEY="-engine pkcs11 -keyform engine -key pkcs11:token=JPKI%20User%20Authentication;id=%01;type=private;pin-value=1234 -cert $WORK/auth.pem"

step "a valid card gets in"
# shellcheck disable=SC2086
visit valid $CARDKEY
grep -q '^HTTP/1.0 200 OK' "$WORK/page-valid" || { cat "$WORK/err-valid" "$WORK/portal.log"; fail "the valid card was refused"; }
verdict
grep -q "^accepted: .*serial=$SERIAL" "$WORK/last" || fail "the portal's log does not say the card was accepted"

step "no client certificate: no handshake"
visit none
grep -q '^HTTP' "$WORK/page-none" && fail "a client without a certificate got a page"
verdict
grep -q '^refused: no TLS 1.2 handshake with a client certificate' "$WORK/last" || fail "the portal's log"

step "a certificate from another CA is refused"
"$TOOL" emu init --out "$WORK/stranger.img" >/dev/null
JPKI_PKCS11_EMULATOR="$WORK/stranger.img" pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert \
    --id 01 -o "$WORK/stranger.der" >/dev/null
openssl x509 -inform DER -in "$WORK/stranger.der" -out "$WORK/stranger.pem"
# (visit runs in a subshell here: note the verdicts so far out here)
SEEN=$(grep -c '^accepted:\|^refused:' "$WORK/portal.log" || true)
(export JPKI_PKCS11_EMULATOR="$WORK/stranger.img"; visit stranger -engine pkcs11 -keyform engine \
    -key 'pkcs11:token=JPKI%20User%20Authentication;id=%01;type=private;pin-value=1234' -cert "$WORK/stranger.pem")
grep -q '^HTTP/1.0 403 Forbidden' "$WORK/page-stranger" || fail "the stranger was not refused"
verdict
grep -q '^refused: untrusted:' "$WORK/last" || fail "the portal's log does not say why"

step "the card revoked: refused, and the reason says so"
"$TOOL" emu revoke "$CARD" --which auth
# shellcheck disable=SC2086
visit revoked $CARDKEY
grep -q '^HTTP/1.0 403 Forbidden' "$WORK/page-revoked" || fail "the revoked card was not refused"
grep -q 'revoked' "$WORK/page-revoked" || fail "the refusal does not say revoked"
verdict
grep -q "^refused: revoked: .*revoked at .*serial=$SERIAL" "$WORK/last" || fail "the portal's log does not say revoked"

printf '\nPASS: the portal lets the valid card in and refuses the revoked one (%ss)\n' "$(($(date +%s) - START))"
