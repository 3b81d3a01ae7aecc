#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the generated seeds into the committed corpora (tests/fuzz/corpus/
# NAME/seed-*), from a fresh test PKI: certificates and card images made by
# jpki-tool, APDU transcripts of the emulator (seed-apdu), hand-written
# config files and PKCS#11 call programs. Run by "tests/fuzz/build.sh
# seeds"; the inputs the fuzzer found are kept beside them (other names).
#
#   tests/fuzz/seeds.sh BUILD_FUZZ_DIR [ROOTS_DIR]
# ROOTS_DIR: PEM certificates to add as cert seeds (e.g. the J-LIS roots).
set -eu

out=$1
roots=${2:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
c=$top/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# hex STRING...: the bytes (spaces ignored).
hex() {
    for b in $(echo "$*" | tr -d ' \n' | sed 's/../& /g'); do
        # shellcheck disable=SC2059
        printf "\\$(printf %03o "0x$b")"
    done
}

mkdir -p "$c/apdu" "$c/cert" "$c/image" "$c/config" "$c/p11" "$c/crl" "$c/san" \
    "$tmp/empty"
"$out/jpki-tool" emu init --out "$tmp/card.img" >/dev/null
"$out/jpki-tool" emu init --out "$tmp/phone.img" --smartphone --pinpad >/dev/null

# cert: the card's four certificates, an EC P-384 one (the next card
# generation), an Ed25519 one (a key type no card has), the roots.
for k in auth_cert auth_ca_cert sign_cert sign_ca_cert; do
    hex "$(sed -n "s/^$k //p" "$tmp/card.img")" >"$c/cert/seed-$k"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$tmp/ec.key" -subj /CN=ec -days 1 -outform DER \
    -out "$c/cert/seed-ec-p384" 2>/dev/null
openssl req -x509 -newkey ed25519 -nodes -keyout "$tmp/ed.key" -subj /CN=ed \
    -days 1 -outform DER -out "$c/cert/seed-ed25519" 2>/dev/null
if [ -n "$roots" ]; then
    for p in "$roots"/*.pem; do
        openssl x509 -in "$p" -outform DER -out "$c/cert/seed-$(basename "$p" .pem)"
    done
fi

# image: the harness appends the checksum line itself. Format 2 (card and
# smartphone with PIN pad) and format 1 (without the format-2 fields).
sed '$d' "$tmp/card.img" >"$c/image/seed-v2"
sed '$d' "$tmp/phone.img" >"$c/image/seed-v2-phone"
sed -e '$d' -e '1s/ 2$/ 1/' -e '/^info_tries /d' -e '/^pinpad /d' \
    -e '/^serial /d' -e '/^holder_/d' "$tmp/card.img" >"$c/image/seed-v1"

# config
cp "$top/examples/jpki-pkcs11.conf" "$c/config/seed-example"
printf 'log_level = 5\nlog_file = /dev/null\ntokens = sign\npcsc = off\nemulator = /a.img:/b.img\n' \
    >"$c/config/seed-all"
printf '  tokens=auth # comment\nbogus = 1\nno equals sign\nlog_level = 9\npcsc = maybe' \
    >"$c/config/seed-bad"

# apdu: emulator transcripts
"$out/seed-apdu" "$c/apdu"

# p11: call programs (fuzz_p11.c's encoding). Common pieces:
list='01 08 01 01'                 # GetSlotList(present, buffer)
open0='08 01 01 00'                # OpenSession(slot 0, serial|rw)
open1='08 01 00 01'                # OpenSession(slot 1, serial)
login_auth='0b 00 00 00'           # Login(session 0, USER, "1234")
login_sign='0b 00 00 01'           # Login(session 0, USER, "ABC123")
find_priv='10 00 01 00 02 0008 0300000000000000' # FindObjectsInit(CLASS=private key)
find_cert='10 00 01 00 02 0008 0100000000000000' # FindObjectsInit(CLASS=certificate)
find_all='10 00 00'                # FindObjectsInit(empty template)
objects='11 00 10 00 12 00'        # FindObjects(16), FindObjectsFinal
sign='18 00 03 00 0000 00 00 1a 00 02 000b 68656c6c6f20776f726c64 02 0100 80'
attrs='13 00 03 07 02 0100 05 00 0000 00 00 0000 00' # GetAttributeValue(MODULUS, VALUE size, CLASS)
logout='0c 00 09 00'
hex "00 $list $open0 $login_auth $find_priv $objects $sign $logout" >"$c/p11/seed-sign-auth"
hex "02 $list $open1 $login_sign $find_priv $objects $sign $logout" >"$c/p11/seed-sign-sign"
hex "01 $list $open0 $find_cert $objects $attrs 00 00 01 02 00 00 03 00 00 04 00 20 00 01 05 00 00 03 06 00 00 07 00" \
    >"$c/p11/seed-list-attrs"
hex "00 $open0 $find_all $objects $attrs 14 00 00" >"$c/p11/seed-all-objects"
# Wrong PIN, then SetPIN 1234 -> 9876 (pin 2 = "9999" is wrong; 0x80: bytes)
hex "00 $open0 0b 00 00 02 0b 00 00 02 $login_auth 0d 00 00 80 02 0004 39383736 0c 00" \
    >"$c/p11/seed-pins"
# Malformed PINs (rejected on the host), NULL PIN, SO login
hex "00 $open0 0b 00 00 04 0b 00 00 05 0b 00 00 80 00 0004 0b f0 00 00 00 0e 00 00" \
    >"$c/p11/seed-bad-pins"
# Sign in parts, Verify, unsupported calls
hex "00 $open0 $login_auth $find_priv $objects 18 00 03 00 0000 00 00 1c 00 02 0005 6162636465 01 \
1c 00 02 0003 666768 01 1d 00 02 0100 19 00 03 00 0000 00 1b 00 02 0003 616263 02 0100 80 \
1f 00 0a 00 17 00 00 16 00 00 15 00 00 00 0f 00 02 0010" >"$c/p11/seed-multipart"
# crl, san: the targets write their own seeds (a CRL of their test CA; the
# subjectAltName of a test card's signature certificate).
FUZZ_WRITE_SEEDS=$c/crl "$out/fuzz-crl" -runs=0 "$tmp/empty" 2>/dev/null
FUZZ_WRITE_SEEDS=$c/san "$out/fuzz-san" -runs=0 "$tmp/empty" 2>/dev/null
# cache, anchors, revcov, cardid, vpcd write their own seeds too (a cache
# file, a test PKI's roots, distribution points, the emulator's answers,
# a vpcd session); pcsc: feature lists and PIN shapes by hand.
for t in cache anchors revcov cardid vpcd; do
    mkdir -p "$c/$t"
    FUZZ_WRITE_SEEDS=$c/$t "$out/fuzz-$t" -runs=0 "$tmp/empty" 2>/dev/null
done
mkdir -p "$c/pcsc"
hex 0604 42000306 0704 42000307 >"$c/pcsc/seed-verify-modify"
hex 0A04 4200030A 0604 42000306 1204 00000001 >"$c/pcsc/seed-unknown-tags"
hex 0602 4200 >"$c/pcsc/seed-bad-length"
hex FF 00200080 04 04 01 30 >"$c/pcsc/seed-pin-auth"
hex FF 00200080 06 10 02 40 >"$c/pcsc/seed-pin-sign"
echo "seeds written to $c"
