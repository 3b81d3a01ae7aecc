#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# TLS client authentication with the next card generation's ECDSA P-384
# key (the emulator's EC card, emu init --key ec-p384), end to end:
# openssl s_client (libp11 engine), curl (OpenSSL), gnutls-cli and NSS
# tstclnt, each on TLS 1.3 and on TLS 1.2, with no configuration, against
# an `openssl s_server` that trusts the EC test PKI's authentication CA.
# ECDSA needs no RSA-PSS: nothing to set up for TLS 1.3. The server's trace
# proves the protocol, an ECDSA CertificateVerify and the card's
# certificate; the card's APDU log one signature per handshake.
#
# Which scheme each client picks: TLS 1.3 binds the curve to the hash, so
# a P-384 key signs ecdsa_secp384r1_sha384. TLS 1.2 does not, and each
# client takes the first ECDSA scheme it prefers that the server offers:
# SHA-256 for all four (the module hashes nothing: CKM_ECDSA over the
# 32-byte hash the client made).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/tlsclients.sh"

step "an EC card: its authentication certificate (public: no login)"
tls_card --key ec-p384
openssl x509 -in "$WORK/auth.pem" -noout -text | grep -q 'NIST CURVE: P-384' || fail "not a P-384 certificate"
# The EC card's signature command: today's, P1 00 (JPKI_EC_GUESS_SIGN_P1
# in src/jpki/ec_card.h, a guess until a card is seen; docs/card.md).
ECP1=00

step "OpenSSL s_client, no configuration"
both s_client openssl ecdsa_secp384r1_sha384 ecdsa_secp256r1_sha256 "$ECP1"

if $CURL_RUNS; then
    step "curl, no configuration, the certificate from the token by pkcs11: URI"
    both curl_ curl ecdsa_secp384r1_sha384 ecdsa_secp256r1_sha256 "$ECP1"
else
    echo "curl: not run with the ASan runtime preloaded; see the normal build"
fi

if $GNUTLS_RUNS; then
    step "gnutls-cli: certificate and key by pkcs11: URI"
    both gnutls_cli gnutls-cli ecdsa_secp384r1_sha384 ecdsa_secp256r1_sha256 "$ECP1"
else
    echo "gnutls-cli: not run with the ASan runtime preloaded; see the normal build"
fi

step "NSS tstclnt: the certificate by nickname"
both tstclnt_ tstclnt ecdsa_secp384r1_sha384 ecdsa_secp256r1_sha256 "$ECP1"

printf '\nPASS: TLS 1.3 and 1.2 client authentication with the EC card:%s (%ss)\n' "$PASSED" "$(($(date +%s) - START))"
