#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# p11-kit: the module registered by the jpki-pkcs11.module file that
# `make install` installs (its module: line pointed at this build), seen by
# `p11-kit list-modules`, used through p11-kit-proxy.so by pkcs11-tool and
# by OpenSSL's engine with no module path at all; and one token remoted
# over a unix socket by `p11-kit server`, signed with through
# p11-kit-client.so.
#
# p11-kit reads registrations from its system directory (and ignores a
# user's ~/.config/pkcs11/modules when run as root): the test lays its own
# directory over the system one in a private mount namespace (unshare), so
# nothing on the machine changes and OpenSC's registration, which would
# claim the emulated card a second time, is out of the way.
. "$(dirname "$0")/lib.sh"
need p11-kit pkcs11-tool openssl pkg-config unshare
# p11-kit hangs with the ASan runtime preloaded (`p11-kit list-modules`
# does, with no module of ours registered), so a sanitizer build cannot
# load its instrumented module through it. The normal build runs this test.
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    skip "p11-kit cannot run with the ASan runtime preloaded; this test runs in the normal build"
fi
CONFIGS=$(pkg-config --variable=p11_module_configs p11-kit-1) || missing "p11-kit-1.pc (libp11-kit-dev)"
PROXY=$(pkg-config --variable=proxy_module p11-kit-1)
CLIENT="$(pkg-config --variable=p11_module_path p11-kit-1)/p11-kit-client.so"
[ -f "$PROXY" ] || missing "$PROXY (p11-kit-modules)"
[ -f "$CLIENT" ] || missing "$CLIENT (p11-kit-modules)"
[ -d "$CONFIGS" ] || missing "$CONFIGS (p11-kit)"
[ -f "$top_builddir/jpki-pkcs11.module" ] || fail "not built: $top_builddir/jpki-pkcs11.module"

START=$(date +%s)
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
T="timeout 60"
printf 'a document to sign\n' > "$WORK/doc"
openssl dgst -sha256 -binary "$WORK/doc" > "$WORK/hash.bin"

# The reference public key, straight from the module.
$T pkcs11-tool --module "$MODULE" --slot 1 --login --pin ABC123 --read-object --type cert --id 02 \
    -o "$WORK/cert.der" >/dev/null
openssl x509 -inform DER -in "$WORK/cert.der" -noout -pubkey > "$WORK/pub.pem"

step "the installed registration file, pointed at this build"
mkdir "$WORK/modules"
sed "s|^module: .*|module: $MODULE|" "$top_builddir/jpki-pkcs11.module" \
    > "$WORK/modules/jpki-pkcs11.module"
cat "$WORK/modules/jpki-pkcs11.module"
grep -q "^module: $MODULE\$" "$WORK/modules/jpki-pkcs11.module" || fail "no module: line in jpki-pkcs11.module"

# in_ns CMD...: run CMD where p11-kit's system registrations are ours only.
if [ "$(id -u)" -eq 0 ]; then NS="unshare --mount"; else NS="unshare --user --map-root-user --mount"; fi
in_ns() {
    $T $NS sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' "$WORK/modules" "$CONFIGS" "$@"
}
in_ns true 2>"$WORK/ns.err" || { cat "$WORK/ns.err"; missing "a private mount namespace (unshare --mount)"; }

step "p11-kit list-modules shows the module and its two tokens"
in_ns p11-kit list-modules | tee "$WORK/lm"
grep -q "^jpki-pkcs11: $MODULE\$" "$WORK/lm" || fail "list-modules: no jpki-pkcs11"
grep -q '^    token: JPKI User Authentication$' "$WORK/lm" || fail "list-modules: no auth token"
grep -q '^    token: JPKI Digital Signature$' "$WORK/lm" || fail "list-modules: no sign token"
p11-kit --version 2>/dev/null | head -1 || true

step "pkcs11-tool through p11-kit-proxy.so: sign with the signature key"
in_ns pkcs11-tool --module "$PROXY" -L | tee "$WORK/pL"
[ "$(grep -c 'token label *: JPKI' "$WORK/pL")" -eq 2 ] || fail "the proxy does not show exactly the two JPKI tokens"
in_ns pkcs11-tool --module "$PROXY" --token-label "JPKI Digital Signature" --login --pin ABC123 \
    --sign -m SHA256-RSA-PKCS --id 02 -i "$WORK/doc" -o "$WORK/sig.proxy"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.proxy" "$WORK/doc" ||
    fail "the signature made through the proxy does not verify"

step "OpenSSL's engine with no PKCS11_MODULE_PATH finds the module through the proxy"
unset PKCS11_MODULE_PATH
in_ns openssl pkeyutl -engine pkcs11 -keyform engine -sign -pkeyopt digest:sha256 \
    -inkey 'pkcs11:token=JPKI%20Digital%20Signature;id=%02;type=private;pin-value=ABC123' \
    -in "$WORK/hash.bin" -out "$WORK/sig.engine"
openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -pkeyopt digest:sha256 \
    -in "$WORK/hash.bin" -sigfile "$WORK/sig.engine" || fail "the engine's signature does not verify"

step "p11-kit server remotes the signature token over a unix socket"
SOCK="$WORK/p11kit.sock"
p11-kit server -f -n "$SOCK" --provider "$MODULE" 'pkcs11:token=JPKI%20Digital%20Signature' \
    > "$WORK/server.out" 2>&1 &
SERVER=$!
at_exit "kill $SERVER 2>/dev/null"
i=0
while [ ! -S "$SOCK" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$WORK/server.out"; fail "p11-kit server did not start"; }
    sleep 0.1
done
cat "$WORK/server.out"
grep -q "^P11_KIT_SERVER_ADDRESS=unix:path=$SOCK;" "$WORK/server.out" || fail "p11-kit server: no address"
# The client, as a user would run it: the card's module is not loaded here.
export P11_KIT_SERVER_ADDRESS="unix:path=$SOCK"
REMOTE="pkcs11-tool --module $CLIENT"
(unset JPKI_PKCS11_EMULATOR; $T $REMOTE -L) | tee "$WORK/rL"
[ "$(grep -c 'token label' "$WORK/rL")" -eq 1 ] || fail "the client sees other than the one served token"
grep -q 'token label *: JPKI Digital Signature$' "$WORK/rL" || fail "the client does not see the sign token"

step "p11-kit-client.so: a wrong PIN is refused, the right one signs"
unset JPKI_PKCS11_EMULATOR
expect_ckr CKR_PIN_INCORRECT $T $REMOTE --login --pin ABC124 --sign -m SHA256-RSA-PKCS --id 02 \
    -i "$WORK/doc" -o "$WORK/sig.bad"
"$TOOL" emu info "$CARD" | grep 'sign PIN' | tee "$WORK/tries"
grep -q '4 of 5 tries left' "$WORK/tries" || fail "the wrong PIN did not cost exactly one try on the card"
$T $REMOTE --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 -i "$WORK/doc" -o "$WORK/sig.remote"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.remote" "$WORK/doc" ||
    fail "the signature made through p11-kit-client does not verify"
$T $REMOTE --login --pin ABC123 --read-object --type cert --id 02 -o "$WORK/cert.remote" >/dev/null
cmp "$WORK/cert.der" "$WORK/cert.remote" || fail "p11-kit-client reads another certificate"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
export JPKI_PKCS11_EMULATOR="$CARD"

printf '\nPASS: p11-kit proxy, list-modules, server and client (%ss)\n' "$(($(date +%s) - START))"
