#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# TLS client authentication with a card that refuses RSA-PSS: the
# emulator's P1-00-only variant (emu init --sign-schemes v15-only) knows
# PKCS#1 v1.5 only and answers 6A86 to the PSS signature command.
#
# The first RSA-PSS request reaches the card once, fails cleanly
# (CKR_MECHANISM_INVALID, no extra PIN try), and the module remembers the
# refusal for the card: it no longer offers PSS, and asks the card no more.
# Then clients that ask the module what it can do (GnuTLS, NSS) fall back
# to PKCS#1 v1.5 in TLS 1.2 by themselves and send no certificate in TLS
# 1.3, which has no PKCS#1 v1.5 for RSA. OpenSSL does not ask: it needs
# the sigalgs workaround, examples/openssl-jpki.cnf, which keeps it on
# TLS 1.2 with PKCS#1 v1.5 (curl needs --tls-max 1.2 as well: it sets the
# highest protocol itself).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/tlsclients.sh"
need pkcs11-tool openssl curl gnutls-cli tstclnt certutil modutil
ENGINES=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -f "$ENGINES/pkcs11.so" ] || missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl)"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CNF="$top_srcdir/examples/openssl-jpki.cnf"
[ -f "$CNF" ] || fail "no $CNF"

START=$(date +%s)
T="timeout 30"
step "a card that knows PKCS#1 v1.5 only"
tls_card --sign-schemes v15-only
"$TOOL" emu info "$CARD" | grep -q 'sign_schemes=v15-only' || fail "the card is not the v15-only variant"
# lists_pss: the module offers RSA-PSS for the card (a new process).
lists_pss() {
    $T pkcs11-tool --module "$MODULE" --slot 0 -M > "$WORK/mechs" 2>&1 || { cat "$WORK/mechs"; fail "pkcs11-tool -M"; }
    grep -q 'RSA-PKCS-PSS' "$WORK/mechs"
}
lists_pss || fail "before any refusal the module should offer RSA-PSS (it cannot know yet)"
tries0=$("$TOOL" emu info "$CARD" | sed -n 's/^auth PIN *\([0-9]*\) of.*/\1/p')

step "OpenSSL s_client on TLS 1.3: the card refuses PSS once, the handshake fails cleanly"
SRV_VERSIONS="" serve o13
must_fail s_client > "$WORK/o13.out" 2>&1 || { cat "$WORK/o13.out"; fail "s_client on TLS 1.3"; }
srv_stop
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/o13.out" || { cat "$WORK/o13.out"; fail "s_client failed another way"; }
srv_saw_none o13
# the card was asked once, with P1 04, and said 6A86; one login (the URI's PIN)
grep 'INS=2A ' "$WORK/apdu-o13.log" > "$WORK/sig-o13" || true
[ "$(wc -l < "$WORK/sig-o13")" -eq 1 ] && grep -q 'INS=2A P1=04 .*SW=6A86' "$WORK/sig-o13" ||
    fail "expected one PSS signature command refused with 6A86: $(cat "$WORK/sig-o13")"
[ "$(grep -c 'INS=20 P1=00 P2=80 Lc=4 ' "$WORK/apdu-o13.log")" -eq 1 ] || fail "expected exactly one VERIFY"
tries=$("$TOOL" emu info "$CARD" | sed -n 's/^auth PIN *\([0-9]*\) of.*/\1/p')
[ "$tries" = "$tries0" ] || fail "the refusal cost a PIN try ($tries0 -> $tries)"
echo "one P1 04 command, refused; one VERIFY; $tries PIN tries left"

step "a new process no longer offers RSA-PSS for this card"
! lists_pss || fail "the module still offers RSA-PSS after the card refused it"
SRV_VERSIONS="" serve o13-again
must_fail s_client > "$WORK/o13.out" 2>&1 || { cat "$WORK/o13.out"; fail "s_client on TLS 1.3"; }
srv_stop
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/o13.out" || { cat "$WORK/o13.out"; fail "s_client failed another way"; }
unsigned o13-again
grep -q 'INS=2A' "$WORK/apdu-o13-again.log" && fail "the module asked the card for PSS again"
echo "OpenSSL asks for PSS again (it does not look); the module refuses it without the card"

step "OpenSSL on TLS 1.2 without the workaround: still RSA-PSS, still refused"
serve o12
must_fail s_client > "$WORK/o12.out" 2>&1 || { cat "$WORK/o12.out"; fail "s_client on TLS 1.2"; }
srv_stop
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/o12.out" || { cat "$WORK/o12.out"; fail "s_client failed another way"; }
unsigned o12

step "OpenSSL with OPENSSL_CONF=examples/openssl-jpki.cnf, against a TLS 1.3 server: TLS 1.2, PKCS#1 v1.5"
SRV_VERSIONS="" serve ocnf
OPENSSL_CONF="$CNF" s_client > "$WORK/ocnf.out" 2>&1 || { cat "$WORK/ocnf.out"; fail "s_client with $CNF"; }
srv_stop
proved ocnf TLSv1.2 rsa_pkcs1_sha256 00

step "OpenSSL s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 (TLS 1.2 server)"
serve osig
s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 > "$WORK/osig.out" 2>&1 ||
    { cat "$WORK/osig.out"; fail "s_client with PKCS#1 v1.5 sigalgs"; }
srv_stop
proved osig TLSv1.2 rsa_pkcs1_sha256 00

if $CURL_RUNS; then
    step "curl: refused without the workaround; with OPENSSL_CONF and --tls-max 1.2, TLS 1.2 and PKCS#1 v1.5"
    SRV_VERSIONS="" serve curl-pss -www
    rc=0
    curl_ > "$WORK/curl.out" 2> "$WORK/curl.err" || rc=$?
    srv_stop
    cat "$WORK/curl.err"
    [ "$rc" -eq 35 ] && grep -q 'PKCS#11 module.*Mechanism invalid' "$WORK/curl.err" ||
        fail "curl: expected exit 35, Mechanism invalid (got $rc)"
    unsigned curl-pss
    # curl sets the highest protocol itself (TLS 1.3 unless --tls-max),
    # over the file's MaxProtocol: on TLS 1.3 the file's PKCS#1 v1.5 sigalgs
    # leave it nothing to sign with, and it sends no certificate.
    SRV_VERSIONS="" serve curl-cnf13 -www
    rc=0
    OPENSSL_CONF="$CNF" curl_ > "$WORK/curl.out" 2> "$WORK/curl.err" || rc=$?
    srv_stop
    cat "$WORK/curl.err"
    [ "$rc" -eq 56 ] && grep -q 'certificate required' "$WORK/curl.err" ||
        fail "curl with $CNF on TLS 1.3: expected exit 56, certificate required (got $rc)"
    unsigned curl-cnf13
    SRV_VERSIONS="" serve curl-cnf -www
    OPENSSL_CONF="$CNF" curl_ --tls-max 1.2 > "$WORK/curl.out" || fail "curl --tls-max 1.2 with $CNF"
    srv_stop
    proved curl-cnf TLSv1.2 rsa_pkcs1_sha256 00
else
    echo "curl: not run with the ASan runtime preloaded; see the normal build"
fi

if $GNUTLS_RUNS; then
    step "gnutls-cli: TLS 1.3 sends no certificate (nothing to sign with), TLS 1.2 falls back to PKCS#1 v1.5"
    SRV_VERSIONS="" serve g13
    must_fail gnutls_cli > "$WORK/g13.out" 2>&1 || { cat "$WORK/g13.out"; fail "gnutls-cli on TLS 1.3"; }
    srv_stop
    unsigned g13
    serve g12
    gnutls_cli > "$WORK/g12.out" 2>&1 || { cat "$WORK/g12.out"; fail "gnutls-cli on TLS 1.2"; }
    srv_stop
    proved g12 TLSv1.2 rsa_pkcs1_sha256 00
else
    echo "gnutls-cli: not run with the ASan runtime preloaded; see the normal build"
fi

step "NSS tstclnt: the same as GnuTLS"
SRV_VERSIONS="" serve n13
must_fail tstclnt_ > "$WORK/n13.out" 2>&1 || { cat "$WORK/n13.out"; fail "tstclnt on TLS 1.3"; }
srv_stop
unsigned n13
serve n12
tstclnt_ > "$WORK/n12.out" 2>&1 || { cat "$WORK/n12.out"; fail "tstclnt on TLS 1.2"; }
srv_stop
proved n12 TLSv1.2 rsa_pkcs1_sha256 00

printf '\nPASS: TLS client authentication with a card that refuses RSA-PSS (%ss)\n' "$(($(date +%s) - START))"
