#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# valgrind memcheck of the module through pkcs11-tool: list, objects,
# login and sign with both keys, read the certificates. Must be clean:
# no invalid access, no use of uninitialised memory, no leak (definite,
# indirect or possible); tests/valgrind.supp holds the only exceptions,
# other programs' known leaks. The normal build only: a sanitizer build
# preloads ASan into clients, which cannot run under valgrind.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool valgrind openssl

if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ] || [ -n "${LD_PRELOAD:-}" ]; then
    skip "a sanitizer build or LD_PRELOAD set (${LD_PRELOAD:-}); valgrind runs on the normal build"
fi

CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --out "$CARD" >/dev/null
printf 'valgrind test\n' > "$WORK/doc"
SUPP="${top_srcdir:-$(dirname "$0")/../..}/tests/valgrind.supp"
[ -f "$SUPP" ] || fail "no $SUPP"

VG="timeout 300 valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes
    --num-callers=30 --suppressions=$SUPP --error-exitcode=99"
runs=0
vg() {
    name=$1; shift
    rc=0
    $VG pkcs11-tool --module "$MODULE" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    if [ $rc -ne 0 ]; then
        cat "$WORK/$name.err"
        [ $rc -eq 99 ] && fail "$name: valgrind found errors (above)"
        fail "$name: exit $rc"
    fi
    grep -q '^==[0-9]*==' "$WORK/$name.err" && { cat "$WORK/$name.err"; fail "$name: valgrind said something"; }
    runs=$((runs + 1))
    echo "$name: clean"
}

step "pkcs11-tool under valgrind memcheck"
vg list -L
vg mechanisms --slot 0 -M
vg objects-auth --slot 0 -O
vg objects-sign-login --slot 1 --login --pin ABC123 -O
vg read-auth-cert --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der"
vg read-sign-cert --slot 1 --login --pin ABC123 --read-object --type cert --id 02 \
    -o "$WORK/sign.der"
vg sign-auth --slot 0 --login --pin 1234 --sign -m SHA256-RSA-PKCS --id 01 \
    -i "$WORK/doc" -o "$WORK/sig-auth"
vg sign-sign --slot 1 --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 \
    -i "$WORK/doc" -o "$WORK/sig-sign"
for k in auth sign; do
    openssl x509 -inform DER -in "$WORK/$k.der" -pubkey -noout > "$WORK/$k.pub"
    openssl dgst -sha256 -verify "$WORK/$k.pub" -signature "$WORK/sig-$k" \
        "$WORK/doc" > /dev/null || fail "the $k signature does not verify"
done
echo "valgrind: $runs pkcs11-tool runs, no error, no leak"
