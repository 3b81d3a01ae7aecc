#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool verify on emulator cards, each case's exit code asserted, and
# the same case through "openssl verify -crl_check" wherever OpenSSL has an
# answer, which must agree; the module's check of a card at first sight.
. "$(dirname "$0")/lib.sh"
need openssl pkcs11-tool

export XDG_CACHE_HOME="$WORK/cache"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
ROOTS="$top_srcdir/data/roots"
NOW=$(date +%s)

# vrc CODE ARGS...: jpki-tool verify ARGS must exit with CODE.
vrc() {
    want=$1; shift
    set +e; "$TOOL" verify "$@" > "$WORK/out" 2>&1; rc=$?; set -e
    cat "$WORK/out"
    [ "$rc" = "$want" ] || fail "jpki-tool verify $*: exit $rc, expected $want"
}
# ossl ok|fail PATTERN ARGS...: openssl verify ARGS must succeed or fail
# (saying PATTERN).
ossl() {
    want=$1; pat=$2; shift 2
    if openssl verify "$@" > "$WORK/o" 2>&1; then got=ok; else got=fail; fi
    cat "$WORK/o"
    [ "$got" = "$want" ] || fail "openssl verify $*: $got, expected $want"
    [ -z "$pat" ] || grep -q "$pat" "$WORK/o" || fail "openssl verify $*: no '$pat'"
}
# card NAME [init options]: a card with its auth certificate in NAME.auth.pem
# and its signature certificate in NAME.sign.pem.
card() {
    n=$1; shift
    "$TOOL" emu init --out "$WORK/$n.img" "$@" >/dev/null
    JPKI_PKCS11_EMULATOR="$WORK/$n.img" pkcs11-tool --module "$MODULE" --slot 0 \
        --read-object --type cert --id 01 -o "$WORK/$n.auth.der" >/dev/null
    JPKI_PKCS11_EMULATOR="$WORK/$n.img" pkcs11-tool --module "$MODULE" --slot 1 \
        --login --pin ABC123 --read-object --type cert --id 02 -o "$WORK/$n.sign.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/$n.auth.der" -out "$WORK/$n.auth.pem"
    openssl x509 -inform DER -in "$WORK/$n.sign.der" -out "$WORK/$n.sign.pem"
}
# gencrl PKI OUT [CN of an IDP partition] [SERIAL to list]: a CRL of the
# auth CA in PKI (a card's .pki directory) made by "openssl ca", nextUpdate
# in a day.
gencrl() {
    d="$WORK/ca.$$.$(date +%N)"; mkdir -p "$d"; : > "$d/index.txt"
    if [ -n "${4:-}" ]; then
        printf 'R\t491231235959Z\t%s,keyCompromise\t%s\tunknown\t/CN=x\n' \
            "$(date -u -d @$((NOW - 60)) +%y%m%d%H%M%SZ)" "$4" > "$d/index.txt"
    fi
    {
        printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ndefault_md = sha256\n' "$d"
        printf 'crlnumber = %s/n\ncrl_extensions = ext\n[ext]\n' "$d"
        printf 'authorityKeyIdentifier = keyid:always\n'
        if [ -n "${3:-}" ]; then
            printf 'issuingDistributionPoint = critical, @idp\n[idp]\nfullname = dirName:dn\n'
            printf '[dn]\nC = JP\nO = JPKI-TEST\n1.OU = JPKI for user authentication\n'
            printf '2.OU = CRL Distribution Points\n3.OU = Tokyo-to\nCN = %s\n' "$3"
        fi
    } > "$d/cnf"
    echo 01 > "$d/n"
    openssl ca -batch -gencrl -config "$d/cnf" -utf8 -crldays 1 \
        -keyfile "$1/auth-ca.key" -cert "$1/auth-ca.pem" -out "$2" 2>/dev/null
}

step "a valid card: auth and sign certificates, DER and PEM"
card a
A="$WORK/a.img.pki"
vrc 0 "$WORK/a.auth.der" --anchors "$A"
grep -q '^status: *valid' "$WORK/out" || fail "no valid status"
grep -q 'anchor subject: C=JP, O=JPKI-TEST' "$WORK/out" || fail "chain not printed"
ossl ok "" -CAfile "$A/auth-ca.pem" "$WORK/a.auth.pem"
vrc 0 "$WORK/a.auth.pem" --anchors "$A/auth-ca.pem"
vrc 8 "$WORK/a.sign.der" --anchors "$A" --purpose sign
grep -q 'test-policy' "$WORK/out" || fail "test policy not named"
vrc 0 "$WORK/a.sign.der" --anchors "$A" --purpose sign --allow-test-pki
ossl ok "" -CAfile "$A/sign-ca.pem" "$WORK/a.sign.pem"
vrc 8 "$WORK/a.sign.der" --anchors "$A" --purpose auth --allow-test-pki
grep -q 'ext-key-usage' "$WORK/out" || fail "auth purpose of a sign certificate"

step "personal data only when asked"
vrc 0 "$WORK/a.sign.der" --anchors "$A" --purpose sign --allow-test-pki
grep -q '試験' "$WORK/out" && fail "personal data without --show-personal-data"
vrc 0 "$WORK/a.sign.der" --anchors "$A" --purpose sign --allow-test-pki --show-personal-data
grep -q 'name: *試験　花子' "$WORK/out" || fail "no name"
grep -q 'birth date: *1990-01-01 (era code 4, Heisei)' "$WORK/out" || fail "no birth date"
grep -q 'sex: *2' "$WORK/out" || fail "no sex"
vrc 0 "$WORK/a.auth.der" --anchors "$A" --show-personal-data
grep -q 'personal data: no JPKI personal data' "$WORK/out" || fail "auth certificate has none"

step "bad input and usage"
printf 'garbage' > "$WORK/garbage"
vrc 3 "$WORK/garbage" --anchors "$A"
vrc 3 "$WORK/missing.der" --anchors "$A"
vrc 3 "$WORK/a.auth.der" --anchors "$WORK/nothing-here"
vrc 2 "$WORK/a.auth.der" --at yesterday
vrc 2 "$WORK/a.auth.der" --purpose login
vrc 2
"$TOOL" verify --help | grep -q '6 revoked' || fail "exit codes not in --help"

step "the J-LIS roots do not trust a test card"
vrc 4 "$WORK/a.auth.der" --anchors "$ROOTS"
grep -q 'no-issuer' "$WORK/out" || fail "no-issuer not named"
cat "$ROOTS"/*.pem > "$WORK/roots.pem"
ossl fail "unable to get local issuer" -CAfile "$WORK/roots.pem" "$WORK/a.auth.pem"

step "each real root checked as a leaf of itself: trusted, but no user certificate"
# OpenSSL gets the root itself as its only CA: given all six, it looks the
# issuer up by name and may pick another generation (a root has no AKI).
for r in "$ROOTS"/jpki-*-2019.pem "$ROOTS"/jpki-*-2023.pem; do
    vrc 8 "$r" --anchors "$ROOTS"
    grep -q 'no-issuer\|bad-signature' "$WORK/out" && fail "$r does not chain to itself"
    grep -q '\[0\] anchor' "$WORK/out" || fail "$r: not found among the anchors"
    ossl ok "" -CAfile "$r" "$r"
done
for r in "$ROOTS"/jpki-*-2015.pem; do
    vrc 5 "$r" --anchors "$ROOTS"           # expired on 2025-10-19
    ossl fail "expired" -CAfile "$r" "$r"
    vrc 8 "$r" --anchors "$ROOTS" --at 2020-01-01
    ossl ok "" -attime "$(date -d 2020-01-01 +%s)" -CAfile "$r" "$r"
done

step "revoked (emu revoke), a CRL file and a CRL directory"
"$TOOL" emu revoke "$WORK/a.img" --which auth >/dev/null
vrc 6 "$WORK/a.auth.der" --anchors "$A" --crl "$A/auth-ca.crl"
grep -q 'revoked on .* reason keyCompromise' "$WORK/out" || fail "no revocation date/reason"
vrc 6 "$WORK/a.auth.pem" --anchors "$A" --crl "$A"
openssl crl -inform DER -in "$A/auth-ca.crl" -out "$WORK/a.auth.crl.pem"
ossl fail "revoked" -crl_check -CAfile "$A/auth-ca.pem" -CRLfile "$WORK/a.auth.crl.pem" \
    "$WORK/a.auth.pem"
# the sign CA's CRL does not cover the auth certificate, and vice versa
"$TOOL" emu revoke "$WORK/a.img" --which sign >/dev/null
vrc 6 "$WORK/a.sign.der" --anchors "$A" --crl "$A/sign-ca.crl" --purpose sign --allow-test-pki
vrc 9 "$WORK/a.auth.der" --anchors "$A" --crl "$A/sign-ca.crl"
grep -q 'crl-missing' "$WORK/out" || fail "crl-missing not named"

step "a good certificate against a current CRL, a stale CRL, a CRL not yet issued"
card b
B="$WORK/b.img.pki"
# a CRL of card b's auth CA without b's certificate, without IDP
gencrl "$B" "$WORK/b.crl.pem"
vrc 0 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/b.crl.pem"
grep -q '^revocation: *good' "$WORK/out" || fail "not good"
ossl ok "" -crl_check -CAfile "$B/auth-ca.pem" -CRLfile "$WORK/b.crl.pem" "$WORK/b.auth.pem"
LATER=$((NOW + 3 * 86400))
vrc 7 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/b.crl.pem" --at "@$LATER"
grep -q 'crl-stale' "$WORK/out" || fail "crl-stale not named"
ossl fail "CRL has expired" -attime "$LATER" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/b.crl.pem" "$WORK/b.auth.pem"
vrc 0 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/b.crl.pem" --at "@$LATER" --allow-stale-crl
EARLIER=$((NOW - 3600))
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/b.crl.pem" --at "@$EARLIER"
grep -q 'crl-not-yet-valid' "$WORK/out" || fail "crl-not-yet-valid not named"
ossl fail "CRL is not yet valid" -attime "$EARLIER" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/b.crl.pem" "$WORK/b.auth.pem"

step "a CRL of another CA with the same name (wrong issuer)"
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$A/auth-ca.crl"
grep -q 'crl-wrong-issuer' "$WORK/out" || fail "crl-wrong-issuer not named"
ossl fail "unable to get certificate CRL" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/a.auth.crl.pem" "$WORK/b.auth.pem"

step "a CRL with a bad signature; garbage and truncated CRLs"
openssl crl -in "$WORK/b.crl.pem" -outform DER -out "$WORK/b.crl.der"
size=$(stat -c %s "$WORK/b.crl.der")
# one byte of the signature changed (no dd: it breaks under ASan's preload)
b=$(od -An -tu1 -j $((size - 2)) -N1 "$WORK/b.crl.der" | tr -d ' ')
if [ "$b" = 85 ]; then new='\052'; else new='\125'; fi
{ head -c $((size - 2)) "$WORK/b.crl.der"; printf "$new"; tail -c 1 "$WORK/b.crl.der"; } \
    > "$WORK/bad.crl"
cmp -s "$WORK/bad.crl" "$WORK/b.crl.der" && fail "the CRL was not changed"
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/bad.crl"
grep -q 'crl-bad-signature' "$WORK/out" || fail "crl-bad-signature not named"
openssl crl -inform DER -in "$WORK/bad.crl" -out "$WORK/bad.crl.pem"
ossl fail "CRL signature failure" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/bad.crl.pem" "$WORK/b.auth.pem"
head -c $((size / 2)) "$WORK/b.crl.der" > "$WORK/trunc.crl"
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/trunc.crl"
grep -q 'crl-unreadable' "$WORK/out" || fail "crl-unreadable not named"
grep -q 'CRL problem: .*trunc.crl' "$WORK/out" || fail "no clear CRL error"
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/garbage"

step "partitions: another municipality's CRL does not cover; the right one does"
SERIAL=$(openssl x509 -in "$WORK/b.auth.pem" -noout -serial | cut -d= -f2)
gencrl "$B" "$WORK/minato.crl.pem" "Minato-ku CRLDP" "$SERIAL"
vrc 9 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/minato.crl.pem"
grep -q 'crl-missing' "$WORK/out" || fail "crl-missing not named"
ossl fail "different CRL scope" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/minato.crl.pem" "$WORK/b.auth.pem"
gencrl "$B" "$WORK/chiyoda.crl.pem" "Chiyoda-ku CRLDP" "$SERIAL"
vrc 6 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/chiyoda.crl.pem"
ossl fail "revoked" -crl_check -CAfile "$B/auth-ca.pem" \
    -CRLfile "$WORK/chiyoda.crl.pem" "$WORK/b.auth.pem"
mkdir "$WORK/crls"; cp "$WORK/minato.crl.pem" "$WORK/b.crl.pem" "$WORK/crls/"
vrc 0 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/crls"
cp "$WORK/chiyoda.crl.pem" "$WORK/crls/"
vrc 6 "$WORK/b.auth.der" --anchors "$B" --crl "$WORK/crls"

step "expired card; valid at a past time"
card e --expired
E="$WORK/e.img.pki"
vrc 5 "$WORK/e.auth.der" --anchors "$E"
grep -q '^  expired' "$WORK/out" || fail "expired not named"
ossl fail "expired" -CAfile "$E/auth-ca.pem" "$WORK/e.auth.pem"
PAST=$((NOW - 1000 * 86400))
vrc 0 "$WORK/e.auth.der" --anchors "$E" --at "@$PAST"
ossl ok "" -attime "$PAST" -CAfile "$E/auth-ca.pem" "$WORK/e.auth.pem"

step "three CA generations, one name: the issuer by key identifier"
card g --ca-generations 3
G="$WORK/g.img.pki"
vrc 0 "$WORK/g.auth.der" --anchors "$G"
cat "$G"/auth-ca*.pem > "$WORK/g.all.pem"
ossl ok "" -CAfile "$WORK/g.all.pem" "$WORK/g.auth.pem"
mkdir "$WORK/old"; cp "$G"/auth-ca-1.pem "$G"/auth-ca-2.pem "$WORK/old/"
vrc 4 "$WORK/g.auth.der" --anchors "$WORK/old"
cat "$WORK"/old/*.pem > "$WORK/old.pem"
ossl fail "" -CAfile "$WORK/old.pem" "$WORK/g.auth.pem"

step "the module checks the card: when read (offer, default), or at first sight (hide)"
# tokens: how many tokens pkcs11-tool -L lists; nothing (so no match for
# any count) when it fails or crashes: a crash must not read as "0 tokens".
tokens() {
    run_to "$WORK/tokens.L" pkcs11-tool --module "$MODULE" -L >&2
    grep -c 'token label' "$WORK/tokens.L" || true
}
export JPKI_PKCS11_EMULATOR="$WORK/b.img" JPKI_PKCS11_DEBUG=3 JPKI_PKCS11_LOG_FILE="$WORK/log"
[ "$(JPKI_PKCS11_ANCHORS="$ROOTS" tokens)" = 2 ] || fail "an untrusted card is not offered"
# offer: checked when the certificate is read anyway, not at -L
grep -q "certificate untrusted" "$WORK/log" && fail "-L read the certificate only to check it"
JPKI_PKCS11_ANCHORS="$ROOTS" pkcs11-tool --module "$MODULE" --slot 0 -O >/dev/null
grep -q "authentication certificate untrusted: no-issuer" "$WORK/log" || fail "no warning"
[ "$(JPKI_PKCS11_ANCHORS="$ROOTS" JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] ||
    fail "an untrusted card is offered with invalid_cert = hide"
[ "$(JPKI_PKCS11_ANCHORS="$B" JPKI_PKCS11_INVALID_CERT=hide tokens)" = 2 ] ||
    fail "a valid card is hidden"
grep -q "authentication certificate valid" "$WORK/log" || fail "no verdict logged"
[ "$(JPKI_PKCS11_ANCHORS="$B" JPKI_PKCS11_CRL="$WORK/chiyoda.crl.pem" \
     JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] || fail "a revoked card is offered"
grep -q "authentication certificate revoked" "$WORK/log" || fail "revocation not logged"
# the CRL index goes with the certificate cache: DIR/crl, or nowhere (off)
rm -rf "${XDG_CACHE_HOME:?}/jpki-pkcs11/crl"
[ "$(JPKI_PKCS11_CACHE=off JPKI_PKCS11_ANCHORS="$B" JPKI_PKCS11_CRL="$WORK/chiyoda.crl.pem" \
     JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] || fail "cache = off: a revoked card is offered"
[ ! -e "$XDG_CACHE_HOME/jpki-pkcs11/crl" ] || fail "cache = off wrote a CRL index"
[ "$(JPKI_PKCS11_CACHE="$WORK/cdir" JPKI_PKCS11_ANCHORS="$B" JPKI_PKCS11_CRL="$WORK/chiyoda.crl.pem" \
     JPKI_PKCS11_INVALID_CERT=hide tokens)" = 0 ] || fail "cache = DIR: a revoked card is offered"
ls "$WORK/cdir/crl/"*.idx >/dev/null 2>&1 || fail "cache = DIR: no CRL index in DIR/crl"
JPKI_PKCS11_ANCHORS="$B" JPKI_PKCS11_ALLOW_TEST_PKI=on pkcs11-tool --module "$MODULE" \
    --slot 1 --login --pin ABC123 -O >/dev/null
grep -q "signature certificate valid" "$WORK/log" || fail "sign certificate not checked at login"
grep -q '試験\|東京都\|Chiyoda' "$WORK/log" && fail "personal data in the log"
# the same from the configuration file; a bad value is reported, not fatal
printf 'anchors = %s\ninvalid_cert = hide\n' "$ROOTS" > "$WORK/conf"
[ "$(JPKI_PKCS11_CONF="$WORK/conf" tokens)" = 0 ] || fail "invalid_cert = hide in the file"
printf 'anchors = %s\ninvalid_cert = maybe\n' "$B" > "$WORK/conf"
[ "$(JPKI_PKCS11_CONF="$WORK/conf" tokens)" = 2 ] || fail "a bad setting hid the card"
grep -q "bad value for 'invalid_cert'" "$WORK/log" || fail "bad invalid_cert not reported"
echo "PASS"
