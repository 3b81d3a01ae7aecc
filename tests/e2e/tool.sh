#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool's emulator commands as a user runs them: init options, info,
# revoke; the certificates checked by an independent verifier (openssl).
. "$(dirname "$0")/lib.sh"
need openssl pkcs11-tool

P11="pkcs11-tool --module $MODULE"
# The leaf certificates of a card, read through the module.
certs() {
    JPKI_PKCS11_EMULATOR="$1" $P11 --slot 0 --read-object --type cert --id 01 \
        -o "$WORK/auth.der" >/dev/null
    openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
}

step "init with holder data and custom PINs; info never shows a PIN"
"$TOOL" emu init --out "$WORK/a.img" --auth-pin 4321 --sign-pin ZX9Y8W7 \
    --name "試験 太郎" --address "東京都千代田区試験町1-1" --birth 19800405 --sex 1
"$TOOL" emu info "$WORK/a.img" | tee "$WORK/info"
grep -q '4321\|ZX9Y8W7' "$WORK/info" && fail "emu info shows a PIN"
grep -q '試験\|19800405' "$WORK/info" && fail "emu info shows personal data"
JPKI_PKCS11_EMULATOR="$WORK/a.img" $P11 --slot 1 --login --pin ZX9Y8W7 \
    --read-object --type cert --id 02 -o "$WORK/sign.der" >/dev/null
openssl x509 -inform DER -in "$WORK/sign.der" -noout -text > "$WORK/sign.txt"
grep -q '1.2.392.200149.8.5.1.0.20' "$WORK/sign.txt" || fail "no test-card policy"

step "refuses bad input with a clear message"
"$TOOL" emu init --out "$WORK/a.img" 2>"$WORK/err" && fail "overwrote a card"
grep -q 'exists' "$WORK/err" || fail "no message for an existing card"
"$TOOL" emu init --out "$WORK/b.img" --sign-pin abc123 2>"$WORK/err" && fail "lower-case sign PIN"
"$TOOL" emu init --out "$WORK/b.img" --birth 19801340 2>"$WORK/err" && fail "bad birth date"
"$TOOL" emu info "$WORK/nothing.img" 2>"$WORK/err" && fail "info on a missing card"
[ -s "$WORK/err" ] || fail "no message for a missing card"

step "the chain verifies; revoked after emu revoke (openssl -crl_check)"
certs "$WORK/a.img"
openssl verify -CAfile "$WORK/a.img.pki/auth-ca.pem" "$WORK/auth.pem"
"$TOOL" emu revoke "$WORK/a.img" --which auth
openssl crl -inform DER -in "$WORK/a.img.pki/auth-ca.crl" -out "$WORK/auth.crl"
if openssl verify -crl_check -CAfile "$WORK/a.img.pki/auth-ca.pem" \
    -CRLfile "$WORK/auth.crl" "$WORK/auth.pem" > "$WORK/v" 2>&1; then
    fail "a revoked certificate verifies"
fi
grep -q 'revoked' "$WORK/v" || { cat "$WORK/v"; fail "not reported as revoked"; }

step "--expired: an expired leaf"
"$TOOL" emu init --out "$WORK/e.img" --expired >/dev/null
certs "$WORK/e.img"
if openssl verify -CAfile "$WORK/e.img.pki/auth-ca.pem" "$WORK/auth.pem" > "$WORK/v" 2>&1; then
    fail "an expired certificate verifies"
fi
grep -q 'expired' "$WORK/v" || { cat "$WORK/v"; fail "not reported as expired"; }

step "--ca-generations 3: one CA name, three keys, the newest issues"
"$TOOL" emu init --out "$WORK/g.img" --ca-generations 3 >/dev/null
certs "$WORK/g.img"
openssl verify -CAfile "$WORK/g.img.pki/auth-ca.pem" "$WORK/auth.pem"
for old in "$WORK"/g.img.pki/auth-ca-*.pem; do
    [ "$(openssl x509 -in "$old" -noout -subject)" = \
      "$(openssl x509 -in "$WORK/g.img.pki/auth-ca.pem" -noout -subject)" ] ||
        fail "CA generations differ in name"
    openssl verify -CAfile "$old" "$WORK/auth.pem" >/dev/null 2>&1 &&
        fail "an old generation verifies the new leaf"
done
[ "$(ls "$WORK"/g.img.pki/auth-ca-*.pem | wc -l)" -eq 2 ] || fail "expected 2 older generations"

step "--smartphone: a phone token, its auth certificate behind the PIN"
"$TOOL" emu init --out "$WORK/p.img" --smartphone >/dev/null
# a cache of this step's own: the certificate must not reach it either
PHONE="env JPKI_PKCS11_EMULATOR=$WORK/p.img XDG_CACHE_HOME=$WORK/pcache"
run_to "$WORK/L" $PHONE $P11 -L; cat "$WORK/L"
grep -q 'JPKI User Authentication (phone)' "$WORK/L" || fail "phone token not named"
grep 'serial num' "$WORK/L" | grep -qv ': 0$' || fail "phone token without a serial"
# certs FILE: the labels of the certificates a listing shows
certs_in() { grep -A1 '^Certificate Object' "$1" | sed -n 's/^ *label: *//p'; }
run_to "$WORK/O" $PHONE $P11 --slot 0 -O
[ "$(certs_in "$WORK/O")" = "User Authentication CA" ] ||
    { cat "$WORK/O"; fail "before the PIN: a certificate other than the CA"; }
run_to "$WORK/O2" $PHONE $P11 --slot 0 --login --pin 1234 -O
certs_in "$WORK/O2" | grep -qx 'User Authentication Certificate' ||
    fail "no auth certificate after login"
run_to "$WORK/rc" $PHONE $P11 --slot 0 --login --pin 1234 --read-object --type cert \
    --id 01 -o "$WORK/phone.der"
run_to "$WORK/sg" $PHONE $P11 --slot 0 --login --pin 1234 --sign \
    -m SHA256-RSA-PKCS --id 01 -i "$WORK/info" -o "$WORK/sig"
openssl x509 -inform DER -in "$WORK/phone.der" -pubkey -noout > "$WORK/phone.pub"
openssl dgst -sha256 -verify "$WORK/phone.pub" -signature "$WORK/sig" "$WORK/info" ||
    fail "the phone signature does not verify with the certificate's key"
step "--smartphone: after the logins, the certificate is still behind the PIN"
run_to "$WORK/O3" $PHONE $P11 --slot 0 -O
[ "$(certs_in "$WORK/O3")" = "User Authentication CA" ] ||
    { cat "$WORK/O3"; fail "the phone certificate is shown without the PIN (cached?)"; }
# and no cache file holds it: a piece of its key, as bytes (hex dumps)
key=$(openssl x509 -inform DER -in "$WORK/phone.der" -noout -modulus |
      sed 's/^Modulus=//' | cut -c101-164 | tr 'A-F' 'a-f')
[ ${#key} -eq 64 ] || fail "no modulus read from the phone certificate"
if [ -d "$WORK/pcache" ]; then
    find "$WORK/pcache" -type f | while read -r f; do
        od -An -v -tx1 "$f" | tr -d ' \n' | grep -q "$key" && echo "$f"
        true
    done > "$WORK/leak"
    [ ! -s "$WORK/leak" ] || { cat "$WORK/leak"; fail "the phone certificate is in the cache"; }
fi

step "command-line mistakes: exit 2 and a message; --help: exit 0 and the usage"
# usage_error CMD...: jpki-tool CMD... is refused as a command-line mistake
usage_error() {
    rc=0
    "$TOOL" "$@" > "$WORK/u.out" 2> "$WORK/u.err" || rc=$?
    [ $rc -eq 2 ] || { cat "$WORK/u.out" "$WORK/u.err"; fail "jpki-tool $*: exit $rc, expected 2"; }
    [ -s "$WORK/u.err" ] || fail "jpki-tool $*: no message"
}
usage_error
usage_error --bogus
usage_error bogus
usage_error emu
usage_error emu bogus
usage_error emu init
usage_error emu init --out "$WORK/x.img" extra
usage_error emu init --out "$WORK/x.img" --ca-generations 9
usage_error emu init --bogus
usage_error emu info
usage_error emu revoke "$WORK/a.img"
usage_error emu revoke --bogus
usage_error emu serve
usage_error emu serve "$WORK/a.img" --port 70000
usage_error emu serve "$WORK/a.img" --retry-seconds x
usage_error emu serve --bogus
for c in "--help" "emu --help" "emu init --help" "emu info --help" "emu revoke --help" \
         "emu serve --help"; do
    # shellcheck disable=SC2086
    run_to "$WORK/h.out" "$TOOL" $c
    grep -q '^Usage: ' "$WORK/h.out" || { cat "$WORK/h.out"; fail "jpki-tool $c: no usage"; }
done
rc=0; "$TOOL" emu info "$WORK/none.img" > "$WORK/u.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$WORK/u.out"; fail "emu info on a missing image: exit $rc"; }
rc=0; "$TOOL" emu serve "$WORK/none.img" --port 9 > "$WORK/u.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$WORK/u.out"; fail "emu serve of a missing image: exit $rc"; }

echo "jpki-tool end-to-end: all steps passed"
