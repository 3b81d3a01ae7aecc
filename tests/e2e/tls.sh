#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# TLS client authentication with the card's authentication key, end to end:
# openssl s_client (libp11 engine), curl (OpenSSL), gnutls-cli and NSS
# tstclnt, each against an `openssl s_server` that demands a client
# certificate from the test auth CA and prints the one that arrived; the
# test compares it with the card's certificate.
#
# TLS 1.2 only: the card signs with RSA PKCS#1 v1.5, and TLS 1.3 allows only
# RSA-PSS. Within TLS 1.2 OpenSSL prefers RSA-PSS when the server offers it:
# the test shows that failure and the fix the project ships
# (examples/openssl-jpki.cnf through OPENSSL_CONF), and what each client does
# against a server that also speaks TLS 1.3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
need pkcs11-tool openssl curl gnutls-cli tstclnt certutil modutil
ENGINES=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -f "$ENGINES/pkcs11.so" ] || missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl)"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CNF="$top_srcdir/examples/openssl-jpki.cnf"
[ -f "$CNF" ] || fail "no $CNF"

START=$(date +%s)
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
AUTH_CA="$CARD.pki/auth-ca.pem"
HOME="$WORK/home"; export HOME; mkdir -p "$HOME"
T="timeout 30"
TOK='pkcs11:token=JPKI%20User%20Authentication'
KEY="$TOK;id=%01;type=private;pin-value=1234"
PASSED=""
passed() { PASSED="$PASSED $1"; }
# serve NAME [s_server options...]: srv_start for the card's auth CA; the
# client that follows logs the card's APDUs to $WORK/apdu-NAME.log.
serve() {
    _n=$1; shift
    srv_start "$_n" "$AUTH_CA" "$@"
    JPKI_EMU_LOG="$WORK/apdu-$_n.log"; export JPKI_EMU_LOG
    : > "$JPKI_EMU_LOG"
}
# proved NAME PROTOCOL SCHEME P1: the server's trace proves a CertificateVerify
# on PROTOCOL with SCHEME from the card's certificate, and the card made
# that signature, once per handshake, with scheme P1.
proved() {
    srv_proves "$1" "$2" "$3" "$WORK/auth.pem"
    card_signed "$1" "$WORK/apdu-$1.log" "$4"
}
# unsigned NAME: the server received no client certificate and the card
# made no signature.
unsigned() {
    srv_saw_none "$1"
    [ -z "$(card_signs "$WORK/apdu-$1.log")" ] || fail "$1: the card signed"
}
# Only the test's own OpenSSL configuration counts.
unset OPENSSL_CONF

step "the card's authentication certificate (public: no login)"
$T pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
openssl x509 -in "$WORK/auth.pem" -noout -subject -serial
openssl verify -CAfile "$AUTH_CA" -purpose sslclient "$WORK/auth.pem"
tls_pki

step "the server proves which certificate arrived: a client with no certificate is refused"
serve nocert
$T openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$WORK/srv-ca.pem" \
    -verify_return_error < /dev/null > "$WORK/nocert.out" 2>&1 || true
srv_stop
cat "$WORK/srv-nocert.log" "$WORK/srv-nocert.err" | grep -q 'peer did not return a certificate' || fail "the server let a client without certificate in"
unsigned nocert

# s_client with the card's key through the engine; $@ are extra options.
export PKCS11_MODULE_PATH="$MODULE"
s_client() {
    $T openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$WORK/srv-ca.pem" -verify_return_error \
        -engine pkcs11 -keyform engine -key "$KEY" -cert "$WORK/auth.pem" "$@" < /dev/null
}

step "OpenSSL s_client, no workaround: picks RSA-PSS, the module refuses it"
serve ossl-pss
s_client > "$WORK/ossl-pss.out" 2>&1 && fail "s_client succeeded with RSA-PSS (did the module learn PSS? update the README)"
srv_stop
cat "$WORK/ossl-pss.out" | grep -i 'error' || true
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/ossl-pss.out" || fail "s_client failed another way"
unsigned ossl-pss

step "OpenSSL s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512"
serve ossl-sigalgs
s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 > "$WORK/ossl.out" 2>&1 ||
    { cat "$WORK/ossl.out"; fail "s_client with PKCS#1 v1.5 sigalgs"; }
srv_stop
proved ossl-sigalgs TLSv1.2 rsa_pkcs1_sha256 00

step "OpenSSL s_client with OPENSSL_CONF=examples/openssl-jpki.cnf"
serve ossl-cnf
OPENSSL_CONF="$CNF" s_client > "$WORK/ossl.out" 2>&1 || { cat "$WORK/ossl.out"; fail "s_client with $CNF"; }
srv_stop
proved ossl-cnf TLSv1.2 rsa_pkcs1_sha256 00
passed openssl-s_client

# curl over OpenSSL: a pkcs11: URI as --key selects the pkcs11 engine by
# itself; the certificate comes from a file or from the token.
# Debian's curl 7.88 deadlocks at start (in setlocale, before any TLS or
# PKCS#11) when the ASan runtime is preloaded, so a sanitizer build cannot
# run it with the instrumented module; the normal build runs these steps.
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    echo "curl: not run with the ASan runtime preloaded (it hangs without the module too); see the normal build"
else
CURL="curl -sS --cacert $WORK/srv-ca.pem --key $KEY"
step "curl, no workaround: fails like s_client"
serve curl-pss -www
rc=0; $T $CURL --cert "$WORK/auth.pem" "https://localhost:$PORT/" > "$WORK/curl.out" 2> "$WORK/curl.err" || rc=$?
srv_stop
cat "$WORK/curl.err"
[ "$rc" -eq 35 ] && grep -q 'PKCS#11 module.*Mechanism invalid' "$WORK/curl.err" || fail "curl: expected exit 35, Mechanism invalid (got $rc)"
unsigned curl-pss

step "curl with OPENSSL_CONF, certificate from a file"
serve curl-file -www
OPENSSL_CONF="$CNF" $T $CURL --cert "$WORK/auth.pem" "https://localhost:$PORT/" > "$WORK/curl.out" ||
    fail "curl with $CNF"
srv_stop
proved curl-file TLSv1.2 rsa_pkcs1_sha256 00

step "curl with OPENSSL_CONF, certificate from the token by pkcs11: URI"
serve curl-uri -www
OPENSSL_CONF="$CNF" $T $CURL --cert "$TOK;id=%01;type=cert" "https://localhost:$PORT/" > "$WORK/curl.out" ||
    fail "curl with a pkcs11: certificate"
srv_stop
proved curl-uri TLSv1.2 rsa_pkcs1_sha256 00
curl --version | head -1
passed curl
fi

step "gnutls-cli: certificate and key by pkcs11: URI, PIN from GNUTLS_PIN"
# GnuTLS's programs hang at random with the ASan runtime preloaded
# (gnutls-cli connecting nowhere, without our module, always does), so a
# sanitizer build does not run them; the normal build does.
GNUTLS_RUNS=true
[ "${JPKI_TEST_SANITIZERS:-no}" != yes ] || GNUTLS_RUNS=false
gnutls_cli() {
    GNUTLS_PIN=1234 $T gnutls-cli --provider "$MODULE" --x509cafile "$WORK/srv-ca.pem" \
        --x509certfile "$TOK;id=%01;type=cert" --x509keyfile "$TOK;id=%01;type=private" \
        -p "$PORT" "$@" localhost < /dev/null
}
if $GNUTLS_RUNS; then
    serve gnutls
    gnutls_cli > "$WORK/gnutls.out" 2>&1 || { cat "$WORK/gnutls.out"; fail "gnutls-cli"; }
    srv_stop
    proved gnutls TLSv1.2 rsa_pkcs1_sha256 00
    gnutls-cli --version | head -1
    passed gnutls-cli
else
    echo "gnutls-cli: not run with the ASan runtime preloaded; see the normal build"
fi

step "NSS tstclnt: the module in an NSS database, the certificate by nickname"
NSS="sql:$WORK/nss"
mkdir "$WORK/nss"
certutil -N -d "$NSS" --empty-password
echo | $T modutil -dbdir "$NSS" -add jpki -libfile "$MODULE" -force >/dev/null
certutil -A -d "$NSS" -n "test server CA" -t C,, -i "$WORK/srv-ca.pem"
NICK="JPKI User Authentication:User Authentication Certificate"
tstclnt_() {
    $T tstclnt -h 127.0.0.1 -p "$PORT" -d "$NSS" -n "$NICK" -w 1234 -Q "$@" < /dev/null
}
serve nss
tstclnt_ -V tls1.2:tls1.2 > "$WORK/nss.out" 2>&1 || { cat "$WORK/nss.out"; fail "tstclnt"; }
srv_stop
proved nss TLSv1.2 rsa_pkcs1_sha256 00
echo "NSS $(dpkg-query -W -f='${Version}' libnss3 2>/dev/null || echo '(version unknown)')"
passed tstclnt

step "a server that also speaks TLS 1.3: what each client does"
SRV_VERSIONS=""
serve ossl13
s_client > "$WORK/o13.out" 2>&1 && fail "s_client succeeded on TLS 1.3"
srv_stop
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/o13.out" || { cat "$WORK/o13.out"; fail "s_client on TLS 1.3 failed another way"; }
unsigned ossl13
serve ossl13-cnf
OPENSSL_CONF="$CNF" s_client > "$WORK/o13.out" 2>&1 || { cat "$WORK/o13.out"; fail "s_client with $CNF against a TLS 1.3 server"; }
srv_stop
grep -q '^ *Protocol *: TLSv1\.2$' "$WORK/o13.out" || fail "s_client with $CNF did not fall back to TLS 1.2"
proved ossl13-cnf TLSv1.2 rsa_pkcs1_sha256 00
# GnuTLS and NSS negotiate TLS 1.3 and then send no certificate: the server
# refuses them. Limited to TLS 1.2 they work.
if $GNUTLS_RUNS; then
    serve gnutls13
    # must_fail: a refused handshake, not a timeout or a crash
    must_fail gnutls_cli > "$WORK/g13.out" 2>&1 ||
        { cat "$WORK/g13.out"; fail "gnutls-cli on TLS 1.3 (if it succeeded: update the README)"; }
    srv_stop
    unsigned gnutls13
    serve gnutls13-12
    gnutls_cli --priority NORMAL:-VERS-TLS1.3 > "$WORK/g13.out" 2>&1 ||
        { cat "$WORK/g13.out"; fail "gnutls-cli without TLS 1.3"; }
    srv_stop
    proved gnutls13-12 TLSv1.2 rsa_pkcs1_sha256 00
fi
serve nss13
must_fail tstclnt_ > "$WORK/n13.out" 2>&1 ||
    { cat "$WORK/n13.out"; fail "tstclnt on TLS 1.3 (if it succeeded: update the README)"; }
srv_stop
unsigned nss13
serve nss13-12
tstclnt_ -V tls1.0:tls1.2 > "$WORK/n13.out" 2>&1 || { cat "$WORK/n13.out"; fail "tstclnt without TLS 1.3"; }
srv_stop
proved nss13-12 TLSv1.2 rsa_pkcs1_sha256 00
passed tls1.3-fallbacks

printf '\nPASS: TLS 1.2 client authentication with the card:%s (%ss)\n' "$PASSED" "$(($(date +%s) - START))"
