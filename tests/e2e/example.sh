#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The C example (examples/p11-sign.c) signs with both tokens through dlopen;
# openssl verifies. Keeps the example honest.
. "$(dirname "$0")/lib.sh"
need openssl pkcs11-tool

EXAMPLE="$top_builddir/examples/p11-sign"
[ -x "$EXAMPLE" ] || fail "example not built: $EXAMPLE"
export JPKI_PKCS11_EMULATOR="$WORK/card.img"
"$TOOL" emu init --out "$JPKI_PKCS11_EMULATOR" >/dev/null
printf 'signed by the example\n' > "$WORK/doc"

for t in "JPKI User Authentication:1234:0:01" "JPKI Digital Signature:ABC123:1:02"; do
    label=${t%%:*}; rest=${t#*:}; pin=${rest%%:*}; rest=${rest#*:}
    slot=${rest%%:*}; id=${rest#*:}
    step "example signs with '$label'"
    "$EXAMPLE" "$MODULE" "$label" "$pin" "$WORK/doc" "$WORK/sig"
    pkcs11-tool --module "$MODULE" --slot "$slot" --login --pin "$pin" \
        --read-object --type cert --id "$id" -o "$WORK/cert.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
    openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"
done

step "a wrong PIN makes the example fail cleanly"
if "$EXAMPLE" "$MODULE" "JPKI User Authentication" 9999 "$WORK/doc" "$WORK/sig2" 2>"$WORK/err"; then
    fail "signed with a wrong PIN"
fi
grep -q "C_Login failed: CKR 0xA0" "$WORK/err" || { cat "$WORK/err"; fail "no CKR_PIN_INCORRECT"; }
echo "example end-to-end: all steps passed"
