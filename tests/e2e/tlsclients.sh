# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the TLS client tests on an emulated card (tls.sh, tls_v15.sh,
# tls_ec.sh): what they need, the card, the four command-line clients with
# its authentication key, and the checks that tie a server's trace to the
# card's own APDU log. Sourced after lib.sh and tlslib.sh.

need pkcs11-tool openssl curl gnutls-cli tstclnt certutil modutil
ENGINES=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -f "$ENGINES/pkcs11.so" ] || missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl)"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# the workaround for cards that refuse RSA-PSS
CNF="$top_srcdir/examples/openssl-jpki.cnf"
[ -f "$CNF" ] || fail "no $CNF"
START=$(date +%s)
T="timeout 30"

# tls_card [EMU INIT OPTIONS...]: a new emulated card ($CARD) for the
# module, its authentication certificate in $WORK/auth.pem (public: read
# without a login), its CA in $AUTH_CA, the server's PKI (tls_pki), a
# private HOME and cache directory (what the module learns about the
# card stays in this test), and an NSS database with the module ($NSS).
tls_card() {
    CARD="$WORK/card.img"
    JPKI_PKCS11_EMULATOR="$CARD"
    HOME="$WORK/home" XDG_CACHE_HOME="$WORK/cache"
    export JPKI_PKCS11_EMULATOR HOME XDG_CACHE_HOME
    mkdir -p "$HOME" "$XDG_CACHE_HOME"
    "$TOOL" emu init "$@" --out "$CARD" >/dev/null
    AUTH_CA="$CARD.pki/auth-ca.pem"
    $T pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 \
        -o "$WORK/auth.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
    openssl x509 -in "$WORK/auth.pem" -noout -subject -serial
    openssl verify -CAfile "$AUTH_CA" -purpose sslclient "$WORK/auth.pem"
    tls_pki
    NSS="sql:$WORK/nss"
    mkdir "$WORK/nss"
    certutil -N -d "$NSS" --empty-password
    echo | $T modutil -dbdir "$NSS" -add jpki -libfile "$MODULE" -force >/dev/null
    certutil -A -d "$NSS" -n "test server CA" -t C,, -i "$WORK/srv-ca.pem"
}

# serve NAME [s_server options...]: srv_start for the card's CA; the
# client that follows logs the card's APDUs to $WORK/apdu-NAME.log.
serve() {
    _sn=$1
    shift
    srv_start "$_sn" "$AUTH_CA" "$@"
    JPKI_EMU_LOG="$WORK/apdu-$_sn.log"
    export JPKI_EMU_LOG
    : > "$JPKI_EMU_LOG"
}

# proved NAME PROTOCOL SCHEME P1: the server's trace proves a
# CertificateVerify on PROTOCOL with SCHEME from the card's certificate,
# and the card made that signature, once per handshake, with scheme P1.
proved() {
    srv_proves "$1" "$2" "$3" "$WORK/auth.pem"
    card_signed "$1" "$WORK/apdu-$1.log" "$4"
}

# unsigned NAME: the server received no client certificate and the card
# made no signature.
unsigned() {
    srv_saw_none "$1"
    [ -z "$(card_signs "$WORK/apdu-$1.log")" ] || fail "$1: the card signed"
    echo "$1: the card made no signature"
}

# both CLIENT NAME SCHEME13 SCHEME12 P1 [options...]: CLIENT (a function
# below) authenticates on TLS 1.3 (server NAME-13) and then on TLS 1.2
# (NAME-12), with no configuration; the servers' traces prove SCHEME13 and
# SCHEME12 from the card's certificate, the card's log one signature each
# with P1. The name goes to $PASSED.
PASSED=""
both() {
    _c=$1 _n=$2 _s13=$3 _s12=$4 _p1=$5
    shift 5
    SRV_VERSIONS="" serve "$_n-13" -www
    "$_c" "$@" > "$WORK/$_n-13.out" 2>&1 || { cat "$WORK/$_n-13.out"; fail "$_n on TLS 1.3"; }
    srv_stop
    proved "$_n-13" TLSv1.3 "$_s13" "$_p1"
    serve "$_n-12" -www
    "$_c" "$@" > "$WORK/$_n-12.out" 2>&1 || { cat "$WORK/$_n-12.out"; fail "$_n on TLS 1.2"; }
    srv_stop
    proved "$_n-12" TLSv1.2 "$_s12" "$_p1"
    PASSED="$PASSED $_n"
}

TOK='pkcs11:token=JPKI%20User%20Authentication'
KEY="$TOK;id=%01;type=private;pin-value=1234"
export PKCS11_MODULE_PATH="$MODULE"
# Only the test's own OpenSSL configuration counts.
unset OPENSSL_CONF

# s_client [options...]: openssl s_client with the card's key through
# libp11's engine and the certificate from a file, to 127.0.0.1:$PORT.
s_client() {
    $T openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$WORK/srv-ca.pem" -verify_return_error \
        -engine pkcs11 -keyform engine -key "$KEY" -cert "$WORK/auth.pem" "$@" < /dev/null
}

# curl_ [options...]: curl over OpenSSL: a pkcs11: URI as --key selects
# the pkcs11 engine by itself; the certificate from the token by URI.
curl_() {
    $T curl -sS --cacert "$WORK/srv-ca.pem" --key "$KEY" --cert "$TOK;id=%01;type=cert" \
        "$@" "https://localhost:$PORT/"
}

# gnutls_cli [options...]: certificate and key by pkcs11: URI, the PIN
# from GNUTLS_PIN.
gnutls_cli() {
    GNUTLS_PIN=1234 $T gnutls-cli --provider "$MODULE" --x509cafile "$WORK/srv-ca.pem" \
        --x509certfile "$TOK;id=%01;type=cert" --x509keyfile "$TOK;id=%01;type=private" \
        -p "$PORT" "$@" localhost < /dev/null
}

# tstclnt_ [options...]: NSS tstclnt, the module in $NSS, the certificate
# by nickname.
NICK="JPKI User Authentication:User Authentication Certificate"
tstclnt_() {
    $T tstclnt -h 127.0.0.1 -p "$PORT" -d "$NSS" -n "$NICK" -w 1234 -Q "$@" < /dev/null
}

# Debian's curl 7.88 deadlocks at start (in setlocale, before any TLS or
# PKCS#11) when the ASan runtime is preloaded, and GnuTLS's programs hang
# at random with it (gnutls-cli connecting nowhere, without our module,
# always does): a sanitizer build does not run them; the normal build does.
CURL_RUNS=true GNUTLS_RUNS=true
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    CURL_RUNS=false GNUTLS_RUNS=false
fi
