#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# TLS client authentication with the card's authentication key, end to end:
# openssl s_client (libp11 engine), curl (OpenSSL), gnutls-cli and NSS
# tstclnt, each against an `openssl s_server` that demands a client
# certificate from the test auth CA and traces the handshake.
#
# The card signs RSA-PSS (signature command P1 04: a SHA-256 hash, MGF1
# with SHA-256, a 32-byte salt), so TLS 1.3, which allows only RSA-PSS for
# RSA keys, works with every client and no configuration. Each run proves,
# from the server's trace, the protocol, the CertificateVerify's scheme
# (rsa_pss_rsae_sha256) and the card's certificate; and from the card's own
# APDU log, one signature per handshake, with P1 04. On TLS 1.2 every
# client also picks rsa_pss_rsae_sha256 (each prefers it to PKCS#1 v1.5
# when the server offers both, as s_server does). The sigalgs workaround
# (examples/openssl-jpki.cnf) still holds TLS 1.2 on PKCS#1 v1.5 (P1 00);
# tls_v15.sh needs it on a card that refuses PSS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/tlsclients.sh"

step "the card's authentication certificate (public: no login)"
tls_card

step "the server proves which certificate arrived: a client with no certificate is refused"
serve nocert
$T openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$WORK/srv-ca.pem" \
    -verify_return_error < /dev/null > "$WORK/nocert.out" 2>&1 || true
srv_stop
cat "$WORK/srv-nocert.log" "$WORK/srv-nocert.err" | grep -q 'peer did not return a certificate' ||
    fail "the server let a client without certificate in"
unsigned nocert

step "OpenSSL s_client, no configuration"
both s_client openssl rsa_pss_rsae_sha256 rsa_pss_rsae_sha256 04

step "OpenSSL with examples/openssl-jpki.cnf: TLS 1.2 and PKCS#1 v1.5, as it says"
SRV_VERSIONS="" serve ossl-cnf
OPENSSL_CONF="$CNF" s_client > "$WORK/ossl-cnf.out" 2>&1 || { cat "$WORK/ossl-cnf.out"; fail "s_client with $CNF"; }
srv_stop
proved ossl-cnf TLSv1.2 rsa_pkcs1_sha256 00

if $CURL_RUNS; then
    step "curl, no configuration, the certificate from the token by pkcs11: URI"
    both curl_ curl rsa_pss_rsae_sha256 rsa_pss_rsae_sha256 04
    curl --version | head -1
else
    echo "curl: not run with the ASan runtime preloaded (it hangs without the module too); see the normal build"
fi

if $GNUTLS_RUNS; then
    step "gnutls-cli: certificate and key by pkcs11: URI, PIN from GNUTLS_PIN"
    both gnutls_cli gnutls-cli rsa_pss_rsae_sha256 rsa_pss_rsae_sha256 04
    gnutls-cli --version | head -1
else
    echo "gnutls-cli: not run with the ASan runtime preloaded; see the normal build"
fi

step "NSS tstclnt: the module in an NSS database, the certificate by nickname"
both tstclnt_ tstclnt rsa_pss_rsae_sha256 rsa_pss_rsae_sha256 04
echo "NSS $(dpkg-query -W -f='${Version}' libnss3 2>/dev/null || echo '(version unknown)')"

printf '\nPASS: TLS 1.3 and 1.2 client authentication with the card:%s (%ss)\n' "$PASSED" "$(($(date +%s) - START))"
