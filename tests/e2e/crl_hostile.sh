#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Another local user (nobody) plants what it can in a world-writable
# directory before the victim (the test's own user, root in CI) checks a
# revoked card's certificate with a CRL cache there: a cache directory of
# its own, a forged index that lists nothing (bound to the real CRL file
# and resealed), a symlink to it, a FIFO in its place. `jpki-tool verify`
# must keep answering "revoked" (exit 6), never hang, and write nothing
# there; the module (cache = DIR) must not use DIR/crl either.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool python3 openssl timeout

[ "$(id -u)" = 0 ] || missing "root (to act as a second user)"
as_nobody() {
    if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
    elif runuser -u nobody -- true 2>/dev/null; then
        runuser -u nobody -- "$@"
    else
        missing "setpriv or runuser"
    fi
}
as_nobody true

export XDG_CACHE_HOME="$WORK/xdg"
chmod 755 "$WORK"
"$TOOL" emu init --out "$WORK/a.img" >/dev/null
JPKI_PKCS11_EMULATOR="$WORK/a.img" pkcs11-tool --module "$MODULE" --slot 0 \
    --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
A="$WORK/a.img.pki"
"$TOOL" emu revoke "$WORK/a.img" --which auth >/dev/null
CRL="$A/auth-ca.crl"

# vrc CODE ARGS...: jpki-tool verify of the card's certificate with the CRL
# must exit CODE within 20 s.
vrc() {
    want=$1; shift
    set +e
    timeout 20 "$TOOL" verify "$WORK/auth.der" --anchors "$A" --crl "$CRL" "$@" \
        > "$WORK/out" 2>&1
    rc=$?
    set -e
    cat "$WORK/out"
    [ "$rc" != 124 ] || fail "jpki-tool verify $*: hung"
    [ "$rc" = "$want" ] || fail "jpki-tool verify $*: exit $rc, expected $want"
}

step "the revoked card, with a private cache: revoked, and the index's name"
vrc 6 --crl-cache "$WORK/private"
name=$(basename "$(ls "$WORK/private"/crl-*.idx)")
vrc 6 --crl-cache "$WORK/private"       # warm

step "a forged index: the index of an empty CRL, bound to the real CRL file"
cp "$CRL" "$WORK/crl.orig"
openssl crl -inform DER -in "$CRL" -noout -text | grep -q 'Serial Number' ||
    fail "the CRL lists nothing"
# An empty CRL of the same CA, indexed into a private cache as the victim.
mkdir -p "$WORK/ca"; : > "$WORK/ca/index.txt"; echo 01 > "$WORK/ca/n"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ndefault_md = sha256\ncrlnumber = %s/n\ncrl_extensions = ext\n[ext]\nauthorityKeyIdentifier = keyid:always\n' \
    "$WORK/ca" "$WORK/ca" > "$WORK/ca/cnf"
openssl ca -batch -gencrl -config "$WORK/ca/cnf" -crldays 1 -keyfile "$A/auth-ca.key" \
    -cert "$A/auth-ca.pem" -out "$WORK/empty.crl" 2>/dev/null
timeout 20 "$TOOL" verify "$WORK/auth.der" --anchors "$A" --crl "$WORK/empty.crl" \
    --crl-cache "$WORK/empty-cache" >/dev/null || fail "the empty CRL does not clear the card"
python3 - "$WORK/empty-cache"/crl-*.idx "$CRL" "$WORK/forged.idx" <<'PY'
import os, struct, sys
M = (1 << 64) - 1
K1, K2 = 0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53
def csum(seed, p):   # crlx_sum in src/jpki/crl_priv.h
    n = len(p)
    x = [(seed ^ 0x9e3779b97f4a7c15 ^ n) & M, (seed + 0x27d4eb2f165667c5) & M,
         seed ^ 0x165667b19e3779f9, (seed + 0x85ebca77c2b2ae63) & M]
    i = 0
    while True:
        if i + 32 <= n:
            c = p[i:i + 32]
        elif n >= 32:
            c = p[n - 32:]
        else:
            c = p + bytes(32 - n)
        u = struct.unpack('<4Q', c)
        for j in range(4):
            x[j] = ((x[j] ^ u[j]) * (K2 if j & 1 else K1)) & M
            x[j] ^= x[j] >> 29
        if i + 32 >= n:
            break
        i += 32
    h = (x[0] ^ ((x[1] * K1 + (x[1] >> 31)) & M) ^ ((x[2] * K2 + (x[2] >> 27)) & M)
         ^ ((((x[3] << 17) | (x[3] >> 47)) & M) * K1 & M))
    h ^= h >> 32
    h = (h * K2) & M
    return h ^ (h >> 29)
img = bytearray(open(sys.argv[1], 'rb').read())
st = os.stat(sys.argv[2])
hs = struct.unpack_from('<I', img, 12)[0]
struct.pack_into('<QQQqq', img, 24, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
struct.pack_into('<Q', img, hs - 8, 0)
io, eo = struct.unpack_from('<Q', img, 128)[0], struct.unpack_from('<Q', img, 184)[0]
struct.pack_into('<Q', img, hs - 8, csum(csum(0, bytes(img[:hs])), bytes(img[io:eo])))
open(sys.argv[3], 'wb').write(img)
PY
chmod 644 "$WORK/forged.idx"
# The forgery is good: where the rules hold (the victim's own directory)
# it is believed. This is what the rules must keep out of shared places.
cp "$WORK/forged.idx" "$WORK/private/$name"
vrc 0 --crl-cache "$WORK/private"
rm -f "$WORK/private/$name"

step "a flipped bit in the revoked entry of the victim's own index: unknown, not good"
vrc 6 --crl-cache "$WORK/private"      # the index of the real CRL again
cp "$WORK/private/$name" "$WORK/good.idx"
python3 - "$WORK/private/$name" <<'PY'
import struct, sys
img = bytearray(open(sys.argv[1], 'rb').read())
eo, es = struct.unpack_from('<Q', img, 184)[0], struct.unpack_from('<I', img, 92)[0]
assert (len(img) - eo) % es == 0 and len(img) > eo
img[eo + 3] ^= 0x10        # the CRL lists one serial: its first bytes
open(sys.argv[1], 'r+b').write(img)
PY
vrc 9 --crl-cache "$WORK/private"
grep -q 'the CRL index is damaged (revocation unknown)' "$WORK/out" || fail "damage not named"
grep -q 'crl-unreadable' "$WORK/out" || fail "no crl-unreadable reason"
cp "$WORK/good.idx" "$WORK/private/$name"

step "nobody plants a cache directory, a forged index, a symlink and a FIFO"
S="$WORK/shared"
mkdir -m 1777 "$S"
as_nobody sh -c '
    S=$1; name=$2; forged=$3
    mkdir -m 777 "$S/c1" && cp "$forged" "$S/c1/$name" && chmod 666 "$S/c1/$name"
    mkdir -m 755 "$S/c2" && cp "$forged" "$S/c2/$name"
    mkdir -m 777 "$S/c3" && cp "$forged" "$S/forged" && ln -s "$S/forged" "$S/c3/$name"
    mkdir -m 777 "$S/c4" && mkfifo -m 666 "$S/c4/$name"
    ln -s "$S/c2" "$S/c5"
    mkdir -m 777 "$S/m" "$S/m/crl" && cp "$forged" "$S/m/crl/$name"
' sh "$S" "$name" "$WORK/forged.idx"
for c in c1 c2 c3 c4 c5; do
    vrc 6 --crl-cache "$S/$c"
    grep -q '^status: *revoked' "$WORK/out" || fail "$c: not revoked"
    grep -q "CRL cache directory $S/$c not used (" "$WORK/out" || fail "$c: no reason given"
done
[ -z "$(find "$S" -mindepth 1 -user 0 -print)" ] || { find "$S" -mindepth 1 -user 0 -ls; fail "the victim wrote into a planted directory"; }

step "the module: cache = DIR that another user owns, DIR/crl with the forgery"
export JPKI_PKCS11_EMULATOR="$WORK/a.img" JPKI_PKCS11_DEBUG=3 JPKI_PKCS11_LOG_FILE="$WORK/log"
tokens() { timeout 30 pkcs11-tool --module "$MODULE" -L 2>/dev/null | grep -c 'token label' || true; }
[ "$(JPKI_PKCS11_CACHE="$S/m" JPKI_PKCS11_ANCHORS="$A" JPKI_PKCS11_CRL="$CRL" \
     JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] || fail "a revoked card is offered"
grep -q "authentication certificate revoked" "$WORK/log" || fail "revocation not logged"
grep -q "cache directory $S/m not used (owned by another user)" "$WORK/log" ||
    fail "the refusal is not logged"
[ "$(grep -c "cache directory $S/m not used" "$WORK/log")" = 1 ] || fail "the refusal is logged more than once"
[ -z "$(find "$S" -mindepth 1 -user 0 -print)" ] || fail "the module wrote into a planted directory"

step "the module: DIR/crl is private, but DIR is not: DIR/crl is not used either"
as_nobody mkdir -m 777 "$S/m2"
mkdir -m 700 "$S/m2/crl"                # left by an earlier run of the victim
[ "$(JPKI_PKCS11_CACHE="$S/m2" JPKI_PKCS11_ANCHORS="$A" JPKI_PKCS11_CRL="$CRL" \
     JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] || fail "a revoked card is offered"
[ -z "$(ls -A "$S/m2/crl")" ] || fail "an index was written under a refused cache directory"
echo "OK"
