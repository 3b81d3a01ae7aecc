#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Signs a document with the My Number Card's digital-signature key and
# verifies the signature, with pkcs11-tool and openssl.
#
#   examples/sign-and-verify.sh DOCUMENT [MODULE]
#
# Writes DOCUMENT.sig (RSA PKCS#1 v1.5 over SHA-256) and DOCUMENT.pub.pem
# (the signature key's public key, which carries no personal data). The
# signature PIN is asked for by pkcs11-tool; to run unattended, set
# JPKI_SIGN_PIN (it then appears on pkcs11-tool's command line).
set -eu

doc=${1:?usage: sign-and-verify.sh DOCUMENT [MODULE]}
module=${2:-}
if [ -z "$module" ]; then
    for m in /usr/lib/*/pkcs11/jpki-pkcs11.so /usr/local/lib/pkcs11/jpki-pkcs11.so; do
        [ -f "$m" ] && module=$m && break
    done
fi
[ -n "$module" ] && [ -f "$module" ] || { echo "jpki-pkcs11.so not found: give its path" >&2; exit 2; }
[ -f "$doc" ] || { echo "no such document: $doc" >&2; exit 2; }

# The signature token: the second slot of the first card.
set -- pkcs11-tool --module "$module" --slot 1 --login
[ -n "${JPKI_SIGN_PIN:-}" ] && set -- "$@" --pin "$JPKI_SIGN_PIN"

"$@" --sign -m SHA256-RSA-PKCS --id 02 -i "$doc" -o "$doc.sig"
"$@" --read-object --type pubkey --id 02 -o "$doc.pub.der"
openssl pkey -pubin -inform DER -in "$doc.pub.der" -out "$doc.pub.pem"
rm -f "$doc.pub.der"
openssl dgst -sha256 -verify "$doc.pub.pem" -signature "$doc.sig" "$doc"
