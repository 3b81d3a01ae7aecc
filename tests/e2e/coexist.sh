#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Programs that only look never end another program's login. Through pcscd
# + vpcd with "jpki-tool emu serve" as the card, in the emulator's default
# variant where a SELECT of the JPKI-AP while it is current clears the
# verified PINs (the worst case for lookers): a holder process (as a
# browser would) logs in to the authentication token and waits; meanwhile
# `p11-kit list-modules` (the module registered with p11-kit),
# `jpki-tool status`, `pkcs11-tool -L` and `pkcs11-tool -O` each run 10
# times; then the holder signs without a new login. The card's own counters
# prove that no VERIFY was sent after the holder's one, that no lookup
# re-selected the JPKI-AP, and that the holder's PIN stayed verified all
# along; after the holder's logout nothing is verified on the card.
#
# The contrast, kept as documentation: the same lookers with OpenSC's
# module (opensc-pkcs11, its JPKI driver) end the holder's login: the
# holder's signature is then refused with CKR_USER_NOT_LOGGED_IN (and no PIN
# is sent for it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need pkcs11-tool p11-kit pkg-config unshare timeout flock
need_vpcd
use_opensc
# p11-kit hangs with the ASan runtime preloaded (see p11kit.sh).
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    echo "coexist: p11-kit cannot run with the ASan runtime preloaded; this test runs in the normal build"
    exit 0
fi

DRIVE="$top_builddir/tests/p11drive"
[ -x "$DRIVE" ] || fail "tests/p11drive is not built (make check builds it)"
CONFIGS=$(pkg-config --variable=p11_module_configs p11-kit-1) || missing "p11-kit-1.pc (libp11-kit-dev)"
[ -d "$CONFIGS" ] || missing "$CONFIGS (p11-kit)"

# Through PC/SC only, and only the vpcd readers.
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
export JPKI_PKCS11_READERS_ALLOW="Virtual PCD"
export JPKI_PKCS11_CONF=/dev/null
export JPKI_PKCS11_CACHE="$WORK/cache"
T="timeout 60"
ROUNDS=${JPKI_TEST_COEXIST_ROUNDS:-10}

CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null
"$TOOL" emu info "$CARD" | grep -i 'reselect' || true

# p11-kit's registrations: our own directory laid over the system one in a
# private mount namespace (as p11kit.sh does), holding one module.
if [ "$(id -u)" -eq 0 ]; then NS="unshare --mount"; else NS="unshare --user --map-root-user --mount"; fi
register() {
    rm -rf "$WORK/modules"
    mkdir "$WORK/modules"
    printf 'module: %s\n' "$1" > "$WORK/modules/looked-at.module"
}
in_ns() {
    $T $NS sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' "$WORK/modules" "$CONFIGS" "$@"
}
register "$MODULE"
in_ns true 2>"$WORK/ns.err" || { cat "$WORK/ns.err"; missing "a private mount namespace (unshare --mount)"; }

step "pcscd and the card in a virtual reader"
pcscd_start
emu_serve "$CARD"

# card NAME: the served card's counter or state NAME now.
card() { emu_stat "$1"; }

# holder RESULT: logs in to the authentication token (one VERIFY), says so,
# waits for the lookers, then signs with no new login; its output in
# $WORK/holder.out. RESULT: what the signature must give.
holder() {
    rm -f "$WORK/held" "$WORK/go"
    "$DRIVE" "$MODULE" open:"User Authentication" login:1234 info:user \
        touch:"$WORK/held" waitfile:"$WORK/go" expect:"$1" sign > "$WORK/holder.out" 2>&1 &
    HOLDER=$!
    wait_for 30 test -e "$WORK/held" || { cat "$WORK/holder.out"; fail "the holder never logged in"; }
}

# look MODULE: the lookers, ROUNDS times each, with MODULE registered.
look() {
    register "$1"
    i=0
    while [ "$i" -lt "$ROUNDS" ]; do
        in_ns p11-kit list-modules > "$WORK/lm" 2>&1 || { cat "$WORK/lm"; fail "p11-kit list-modules failed"; }
        $T "$TOOL" status > "$WORK/st" 2>&1 || { cat "$WORK/st"; fail "jpki-tool status failed"; }
        $T pkcs11-tool --module "$1" -L > "$WORK/L" 2>&1 || { cat "$WORK/L"; fail "pkcs11-tool -L failed"; }
        $T pkcs11-tool --module "$1" -O > "$WORK/O" 2>&1 || { cat "$WORK/O"; fail "pkcs11-tool -O failed"; }
        i=$((i + 1))
    done
    grep -q 'token: JPKI' "$WORK/lm" || { cat "$WORK/lm"; fail "p11-kit list-modules: no JPKI token"; }
    grep -q 'Certificate Object' "$WORK/O" || { cat "$WORK/O"; fail "pkcs11-tool -O: no certificate"; }
    grep -qi 'jpki' "$WORK/st" || { cat "$WORK/st"; fail "jpki-tool status: no JPKI card"; }
}

step "our module: a holder logs in to the authentication token"
holder CKR_OK
[ "$(card verifies)" -eq 1 ] || fail "the holder's login sent $(card verifies) VERIFYs"
[ "$(card auth_verified)" -eq 1 ] || fail "the auth PIN is not verified on the card after the login"
R0=$(card jpki_reselects)

step "p11-kit list-modules, jpki-tool status, pkcs11-tool -L and -O, $ROUNDS times each"
look "$MODULE"
echo "APDUs so far: $(card apdus)"
[ "$(card auth_verified)" -eq 1 ] || fail "a looker ended the holder's login (the card forgot the auth PIN)"
[ "$(card jpki_reselects)" -eq "$R0" ] ||
    fail "the lookers re-selected the current JPKI-AP $(($(card jpki_reselects) - R0)) times"
[ "$(card verifies)" -eq 1 ] || fail "a looker sent a PIN"

step "the holder signs without a new login"
touch "$WORK/go"
wait "$HOLDER" || { cat "$WORK/holder.out"; fail "the holder could not sign after the lookers"; }
cat "$WORK/holder.out"
[ "$(card signatures)" -eq 1 ] || fail "no signature by the card"
[ "$(card verifies)" -eq 1 ] || fail "$(card verifies) VERIFYs: the holder logged in again"
[ "$(card auth_verified)" -eq 0 ] || fail "the holder's logout left the auth PIN verified"
[ "$(card sign_verified)" -eq 0 ] || fail "the holder's logout left the sign PIN verified"
echo "ok: one VERIFY for ${ROUNDS}x4 looks and a signature; nothing verified after the holder ended"

step "the contrast: the same lookers with OpenSC's module end the login"
holder CKR_USER_NOT_LOGGED_IN
V0=$(card verifies)
[ "$(card auth_verified)" -eq 1 ] || fail "the second holder is not logged in"
look "$OPENSC"
[ "$(card auth_verified)" -eq 0 ] ||
    fail "OpenSC's lookers left the login standing: the contrast no longer holds (update the docs)"
touch "$WORK/go"
wait "$HOLDER" || { cat "$WORK/holder.out"; fail "the holder's signature after OpenSC's lookers was not refused as expected"; }
cat "$WORK/holder.out"
[ "$(card verifies)" -eq "$V0" ] || fail "a PIN was sent for the refused signature"
echo "ok: OpenSC's lookers ended the login; the holder was told CKR_USER_NOT_LOGGED_IN, no PIN replayed"
emu_stop
echo "coexistence: all assertions passed"
