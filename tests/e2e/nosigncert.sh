#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A card without a signature certificate (EF 0008 byte 0 not 8F: a child
# under 15, or an adult who declined it), and one without an
# authentication certificate, with the in-process emulator and its APDU
# log: pkcs11-tool -L / -O, p11tool, NSS modutil and certutil, and
# jpki-tool status show a token marked "(none)" with no object and no
# login; a login there fails with CKR_USER_PIN_NOT_INITIALIZED; no VERIFY
# ever reaches the card unless the user logs in to the other token, which
# works as ever; a warm process reads nothing again.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool p11tool certutil modutil openssl

P11="pkcs11-tool --module $MODULE"
CARD="$WORK/card.img"
LOG="$WORK/apdu.log"
export JPKI_PKCS11_EMULATOR="$CARD"
export JPKI_PKCS11_CACHE="$WORK/cache"
export JPKI_EMU_LOG="$LOG"
"$TOOL" emu init --out "$CARD" --no-sign-cert >/dev/null
NONE="JPKI Digital Signature (none)"

# verifies: VERIFY commands carrying a PIN in the APDU log so far
verifies() { grep 'INS=20' "$LOG" 2>/dev/null | grep -vc 'Lc=-' || true; }
# block SLOT FILE: pkcs11-tool -L's lines for that slot
block() { sed -n "/^Slot $1 /,/^Slot /p" "$2"; }

step "pkcs11-tool -L: the signature token is marked and asks for no login"
run_to "$WORK/L" $P11 -L; cat "$WORK/L"
block 1 "$WORK/L" > "$WORK/L1"
block 0 "$WORK/L" > "$WORK/L0"
grep -q "token label *: $NONE" "$WORK/L1" || fail "slot 1 is not marked '(none)'"
grep 'token flags' "$WORK/L1" | grep -q 'login required' && fail "slot 1 asks for a login"
grep 'token flags' "$WORK/L1" | grep -q 'PIN initialized' && fail "slot 1 claims a PIN"
grep 'token flags' "$WORK/L0" | grep -q 'login required' || fail "slot 0 lost its login"
grep -q 'token label *: JPKI User Authentication *$' "$WORK/L0" || fail "slot 0 label"
[ "$(verifies)" -eq 0 ] || fail "-L sent a PIN"

step "pkcs11-tool -O: no object on the marked token"
run_to "$WORK/O1" $P11 --slot 1 -O; cat "$WORK/O1"
grep -q 'Object' "$WORK/O1" && fail "the marked token shows objects"
run_to "$WORK/O0" $P11 --slot 0 -O
grep -q 'Certificate Object' "$WORK/O0" || fail "the auth token lost its certificate"

step "a login on the marked token is refused on the host"
expect_ckr CKR_USER_PIN_NOT_INITIALIZED $P11 --slot 1 --login --pin ABC123 -O
[ "$(verifies)" -eq 0 ] || fail "a signature PIN reached the card"

step "p11tool"
run_to "$WORK/T" p11tool --provider "$MODULE" --list-tokens; cat "$WORK/T"
grep -q "Label: $NONE" "$WORK/T" || fail "p11tool: no marked token"
# (p11tool exits 2 when it finds nothing)
p11tool --provider "$MODULE" --list-all \
    "pkcs11:token=JPKI%20Digital%20Signature%20%28none%29" > "$WORK/A" 2>&1 || true
cat "$WORK/A"
grep -q 'No matching objects found' "$WORK/A" || fail "p11tool: objects on the marked token"

step "NSS: modutil and certutil list without asking for a PIN"
NSS="sql:$WORK/nss"
mkdir "$WORK/nss"
certutil -N -d "$NSS" --empty-password
echo | modutil -dbdir "$NSS" -add jpki -libfile "$MODULE" -force >/dev/null
run_to "$WORK/M" modutil -dbdir "$NSS" -list jpki; cat "$WORK/M"
grep -q "Token Name: $NONE" "$WORK/M" || fail "modutil: no marked token"
run_to "$WORK/C" timeout 60 certutil -L -d "$NSS" -h all < /dev/null; cat "$WORK/C"
grep -q 'JPKI User Authentication:User Authentication Certificate' "$WORK/C" ||
    fail "certutil: no auth certificate"
grep -q "$NONE:" "$WORK/C" && fail "certutil: a certificate on the marked token"
[ "$(verifies)" -eq 0 ] || fail "NSS sent a PIN"

step "jpki-tool status says why"
run_to "$WORK/S" "$TOOL" status; cat "$WORK/S"
grep -q "no signature certificate: cards issued to children under 15" "$WORK/S" ||
    fail "status does not say why"
run_to "$WORK/SJ" "$TOOL" status --json
grep -q '"present":false' "$WORK/SJ" || fail "status --json: no present:false"

step "jpki-tool: a signature PIN is refused before it reaches the card"
rc=0
printf 'ABC123\n' | "$TOOL" cert sign --pin-fd 0 > "$WORK/cs" 2>&1 || rc=$?
cat "$WORK/cs"
[ "$rc" -eq 4 ] || fail "jpki-tool cert sign: exit $rc, expected 4"
grep -q "carries no signature certificate" "$WORK/cs" || fail "jpki-tool cert sign: no reason"
[ "$(verifies)" -eq 0 ] || fail "jpki-tool sent a signature PIN"

step "warm: EF 0008 and everything else from the cache"
: > "$LOG"
run_to "$WORK/L2" $P11 -L
grep -q 'INS=B0' "$LOG" && fail "a warm -L read the card"
cmp -s "$WORK/L" "$WORK/L2" || fail "a warm -L shows something else"

step "the authentication token signs as ever: one VERIFY, the one typed"
printf 'a document\n' > "$WORK/doc"
run_to "$WORK/sig.out" $P11 --slot 0 --login --pin 1234 --sign -m SHA256-RSA-PKCS \
    --id 01 -i "$WORK/doc" -o "$WORK/sig"
[ "$(verifies)" -eq 1 ] || fail "$(verifies) VERIFYs, the user typed one PIN"
run_to "$WORK/cert.out" $P11 --slot 0 --read-object --type cert --id 01 -o "$WORK/cert.der"
openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
run_to "$WORK/v.out" openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/doc"

step "a card without an authentication certificate"
rm -rf "$WORK/cache" "$CARD" "$CARD.pki"
: > "$LOG"
"$TOOL" emu init --out "$CARD" --no-auth-cert >/dev/null
run_to "$WORK/L" $P11 -L; cat "$WORK/L"
block 0 "$WORK/L" | grep -q 'token label *: JPKI User Authentication (none)' ||
    fail "slot 0 is not marked '(none)'"
block 1 "$WORK/L" | grep 'token flags' | grep -q 'login required' || fail "slot 1 lost its login"
expect_ckr CKR_USER_PIN_NOT_INITIALIZED $P11 --slot 0 --login --pin 1234 -O
[ "$(verifies)" -eq 0 ] || fail "an authentication PIN reached the card"
run_to "$WORK/O" $P11 --slot 1 --login --pin ABC123 -O
grep -q 'Private Key Object' "$WORK/O" || fail "no signature key after login"
[ "$(verifies)" -eq 1 ] || fail "$(verifies) VERIFYs, the user typed one PIN"
echo "PASS"
