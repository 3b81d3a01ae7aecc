#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The card holder's commands of jpki-tool (pin, cert, sign, ssh-key) against
# the in-process emulator. What counts is the card: the PIN tries it counted
# (emu info) and the VERIFYs it received (its APDU log), which must be
# exactly the PINs typed; a PIN that breaks the rules never reaches it.
# Signatures are checked by openssl cms, the SSH key against ssh-keygen -D
# through the module, and the holder's personal data must not appear in
# stderr, the debug log or temporary files.
. "$(dirname "$0")/lib.sh"
need openssl ssh-keygen timeout script stty

NAME_J=個人情報花子
ADDR_A=ZQPEOPLEADDR
BIRTH=19710203
CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" --name "ZQPEOPLENAME $NAME_J" \
    --address "$ADDR_A 試験町" --birth "$BIRTH" --sex 2 > /dev/null
export JPKI_PKCS11_EMULATOR="$CARD"
export XDG_CACHE_HOME="$WORK/cache"   # the certificate cache, scanned below
T="timeout 60 $TOOL"
printf 'a document to sign\n' > "$WORK/doc"

# tries auth|sign: the card's retry counter, from the image
tries() { "$TOOL" emu info "$CARD" | sed -n "s/^$1 PIN *\([0-9]*\) of .*/\1/p"; }
# verifies LOG: PIN tries carried to the card (VERIFY with data)
verifies() { [ -f "$1" ] || { echo 0; return; }; grep 'INS=20' "$1" | grep -vc 'Lc=-' || true; }
apdus() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
# run LOG RC CMD...: run with a fresh APDU log; the exit status must be RC
run() {
    _log=$1 _want=$2; shift 2
    rm -f "$_log"
    _rc=0
    JPKI_EMU_LOG="$_log" "$@" > "$WORK/out" 2> "$WORK/err" || _rc=$?
    cat "$WORK/out" "$WORK/err"
    grep -q 'AddressSanitizer\|runtime error' "$WORK/err" && fail "sanitizer report: $*"
    [ "$_rc" -eq "$_want" ] || fail "exit status $_rc, expected $_want: $*"
}

step "pin status: both counters, no try spent"
run "$WORK/l" 0 $T pin status
grep -q 'authentication PIN  3 of 3 tries left' "$WORK/out" || fail "auth tries not shown"
grep -q 'signature PIN       5 of 5 tries left' "$WORK/out" || fail "sign tries not shown"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "pin status sent a PIN"

step "PIN rules: a malformed PIN never reaches the card"
for bad in 12 ABC12 'ABC-123' 12345678901234567; do
    printf '%s\n' "$bad" | run "$WORK/l" 4 $T sign "$WORK/doc" --pin-fd 0
    [ "$(apdus "$WORK/l")" -eq 0 ] || fail "PIN '$bad': the card was touched"
    grep -q '6 to 16 characters, A-Z and 0-9' "$WORK/err" || fail "no hint for '$bad'"
done
[ ! -e "$WORK/doc.p7s" ] || fail "a signature without a valid PIN"
printf '12a4\n' | run "$WORK/l" 4 $T cert sign --pin-fd 0
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "cert sign touched the card"
printf '1234\n123\n123\n' | run "$WORK/l" 4 $T pin change auth --pin-fd 0
grep -q 'exactly 4 digits' "$WORK/err" || fail "no hint for a 3-digit new PIN"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "pin change sent a PIN before all were valid"
grep -q 'INS=24' "$WORK/l" && fail "pin change sent CHANGE REFERENCE DATA"
[ "$(tries auth)/$(tries sign)" = 3/5 ] || fail "a try was spent"

step "no PIN on the command line, no PIN without a terminal"
run "$WORK/l" 2 $T sign "$WORK/doc" --pin ABC123
run "$WORK/l" 1 setsid $T sign "$WORK/doc" < /dev/null
grep -q 'pin-fd' "$WORK/err" || fail "no hint at --pin-fd without a terminal"
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "the card was touched without a PIN"

step "terminal: the PIN is read without echo, and echo is back afterwards"
# script(1) gives the tool a terminal; the PIN is typed once the prompt shows.
rm -f "$WORK/tty"
( i=0
  while ! grep -q 'Signature PIN' "$WORK/tty" 2>/dev/null && [ $i -lt 300 ]; do
      sleep 0.1; i=$((i + 1))
  done
  printf 'abc123\n'; sleep 2 ) |
    timeout 60 script -qec "$TOOL cert sign; stty -a" /dev/null > "$WORK/tty" ||
    { cat "$WORK/tty"; fail "cert sign on a terminal failed"; }
cat "$WORK/tty"
grep -qi 'abc123' "$WORK/tty" && fail "the PIN was echoed"
grep -q '^name  *ZQPEOPLENAME' "$WORK/tty" || fail "the PIN typed on the terminal did not work"
grep -q '[^-]echo ' "$WORK/tty" || fail "echo not restored on the terminal"

step "sign: lower case accepted as upper case, one VERIFY, openssl verifies"
printf 'abc123\n' | run "$WORK/l" 0 $T sign "$WORK/doc" --pin-fd 0
[ "$(verifies "$WORK/l")" -eq 1 ] || fail "not exactly one VERIFY"
grep -q '氏名・住所・生年月日・性別' "$WORK/err" || fail "no personal-data warning"
[ "$(tries sign)" = 5 ] || fail "the lower-case PIN cost a try"
[ "$(stat -c %a "$WORK/doc.p7s")" = 600 ] || fail "signature file not 0600"
openssl cms -verify -inform DER -in "$WORK/doc.p7s" -CAfile "$CARD.pki/sign-ca.pem" \
    -out "$WORK/content" || fail "openssl cms -verify failed"
cmp "$WORK/content" "$WORK/doc" || fail "signed content differs from the file"
openssl pkcs7 -inform DER -in "$WORK/doc.p7s" -print_certs > "$WORK/certs"
[ "$(grep -c BEGIN "$WORK/certs")" -eq 2 ] || fail "signer and CA certificates not both included"
grep -q 'subject=.*OU *= *JPKI for digital signature' "$WORK/certs" || fail "CA certificate missing"
openssl cms -cmsout -print -inform DER -in "$WORK/doc.p7s" > "$WORK/print"
grep -q 'sha256' "$WORK/print" || fail "not SHA-256"
grep -q 'signingCertificateV2' "$WORK/print" || fail "no ESS signingCertificateV2"
printf 'ABC123\n' | run "$WORK/l" 1 $T sign "$WORK/doc" --pin-fd 0
grep -q 'exists' "$WORK/err" || fail "overwrote a signature"
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "touched the card for an existing output"

step "sign --detached -o: verifies with the content, not with another"
printf 'ABC123\n' | run "$WORK/l" 0 $T sign "$WORK/doc" --detached -o "$WORK/d.p7s" --pin-fd 0
openssl cms -verify -inform DER -in "$WORK/d.p7s" -content "$WORK/doc" -binary \
    -CAfile "$CARD.pki/sign-ca.pem" -purpose any -out /dev/null || fail "detached does not verify"
printf 'a document to sigN\n' > "$WORK/forged"
openssl cms -verify -inform DER -in "$WORK/d.p7s" -content "$WORK/forged" -binary \
    -CAfile "$CARD.pki/sign-ca.pem" -purpose any -out /dev/null 2>/dev/null &&
    fail "a detached signature verifies another document"
openssl cms -cmsout -print -inform DER -in "$WORK/d.p7s" | grep -q 'eContent: <ABSENT>' ||
    fail "--detached carries the content"

step "wrong PIN: the tries left said, exactly one try spent"
printf 'WRONG1\n' | run "$WORK/l" 4 $T sign "$WORK/doc" -o "$WORK/w.p7s" --pin-fd 0
grep -q 'wrong signature PIN: 4 tries left' "$WORK/err" || fail "tries left not said"
[ "$(verifies "$WORK/l")" -eq 1 ] || fail "not exactly one VERIFY for a wrong PIN"
[ "$(tries sign)" = 4 ] || fail "the card did not count exactly one try"
[ ! -e "$WORK/w.p7s" ] || fail "a file written after a wrong PIN"
printf 'ABC123\n' | run "$WORK/l" 0 $T cert sign --pin-fd 0 >/dev/null
[ "$(tries sign)" = 5 ] || fail "the right PIN did not restore the counter"

step "pin change sign: old, new twice (lower case), then only the new PIN works"
printf 'abc123\nnewpin77\nNEWPIN78\n' | run "$WORK/l" 4 $T pin change sign --pin-fd 0
grep -q 'differ' "$WORK/err" || fail "no message for different new PINs"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "a PIN was sent although the new ones differ"
printf 'WRONG1\nNEWPIN77\nNEWPIN77\n' | run "$WORK/l" 4 $T pin change sign --pin-fd 0
grep -q 'wrong current signature PIN: 4 tries left' "$WORK/err" || fail "tries left not said"
[ "$(verifies "$WORK/l")" -eq 1 ] || fail "not exactly one VERIFY"
grep -q 'INS=24' "$WORK/l" && fail "CHANGE REFERENCE DATA after a wrong PIN"
printf 'abc123\nnewpin77\nNEWPIN77\n' | run "$WORK/l" 0 $T pin change sign --pin-fd 0
grep -q '4 of 5 tries left' "$WORK/out" || fail "the tries left not shown first"
grep -q 'signature PIN was changed' "$WORK/out" || fail "no confirmation"
[ "$(grep -c 'INS=24' "$WORK/l")" -eq 1 ] || fail "not one CHANGE REFERENCE DATA"
printf 'ABC123\n' | run "$WORK/l" 4 $T cert sign --pin-fd 0
printf 'NewPin77\n' | run "$WORK/l" 0 $T cert sign --pin-fd 0
[ "$(tries sign)" = 5 ] || fail "the new PIN does not work"

step "pin change auth until locked: each try counted once; locked gets no VERIFY"
for left in 2 1; do
    printf '9999\n4321\n4321\n' | run "$WORK/l" 4 $T pin change auth --pin-fd 0
    grep -q "$left tries left" "$WORK/err" || fail "tries left ($left) not said"
    [ "$(verifies "$WORK/l")" -eq 1 ] || fail "not exactly one VERIFY"
done
grep -q 'one more wrong PIN locks it' "$WORK/err" || fail "no last-try warning"
printf '9999\n4321\n4321\n' | run "$WORK/l" 4 $T pin change auth --pin-fd 0
grep -q 'locked' "$WORK/err" || fail "locking not reported"
[ "$(tries auth)" = 0 ] || fail "not locked after 3 wrong PINs"
printf '1234\n4321\n4321\n' | run "$WORK/l" 4 $T pin change auth --pin-fd 0
grep -q 'municipal office (市区町村窓口)' "$WORK/err" || fail "no advice for a locked PIN"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "a VERIFY was sent to a locked PIN"
run "$WORK/l" 0 $T pin status
grep -q 'authentication PIN  LOCKED' "$WORK/out" || fail "pin status hides the lock"

step "sign with a locked signature PIN: no VERIFY"
"$TOOL" emu init --out "$WORK/s.img" > /dev/null
n=0
while [ $n -lt 5 ]; do
    printf 'WRONG1\n' | JPKI_PKCS11_EMULATOR="$WORK/s.img" $T cert sign --pin-fd 0 \
        > /dev/null 2>&1 && fail "a wrong PIN worked"
    n=$((n + 1))
done
printf 'ABC123\n' | JPKI_PKCS11_EMULATOR="$WORK/s.img" run "$WORK/l" 4 $T sign "$WORK/doc" \
    -o "$WORK/l.p7s" --pin-fd 0
grep -q 'signature PIN is locked' "$WORK/err" || fail "lock not reported"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "a VERIFY was sent to a locked PIN"

step "cert: summaries and exports (0600, no overwrite, no symlink)"
run "$WORK/l" 0 $T cert auth
grep -q '^valid until .*days left' "$WORK/out" || fail "no days left"
grep -q '^key  *RSA 2048 bits' "$WORK/out" || fail "no key"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "cert auth sent a PIN"
for w in auth-ca sign-ca; do
    run "$WORK/l" 0 $T cert $w -o "$WORK/$w.pem"
    [ "$(stat -c %a "$WORK/$w.pem")" = 600 ] || fail "$w export not 0600"
    [ "$(openssl x509 -in "$WORK/$w.pem" -noout -fingerprint -sha256)" = \
      "$(openssl x509 -in "$CARD.pki/$w.pem" -noout -fingerprint -sha256)" ] ||
        fail "$w export differs from the test CA"
done
run "$WORK/l" 0 $T cert auth --der -o "$WORK/auth.der"
openssl x509 -inform DER -in "$WORK/auth.der" -noout || fail "--der is not DER"
run "$WORK/l" 1 $T cert auth -o "$WORK/auth.der"
grep -q 'exists' "$WORK/err" || fail "overwrote an export"
: > "$WORK/victim"
ln -s "$WORK/victim" "$WORK/planted"
printf 'NEWPIN77\n' | run "$WORK/l" 1 $T cert sign --pin-fd 0 -o "$WORK/planted"
[ -s "$WORK/victim" ] && fail "wrote through a planted symlink"
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "asked the card although the output is taken"
ln -s "$WORK/nothing-yet" "$WORK/dangling"
printf 'NEWPIN77\n' | run "$WORK/l" 1 $T sign "$WORK/doc" -o "$WORK/dangling" --pin-fd 0
[ -e "$WORK/nothing-yet" ] && fail "created a file through a dangling symlink"
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "spent a PIN on an output that cannot be written"
printf 'NEWPIN77\n' | run "$WORK/l" 0 $T cert sign --pin-fd 0 --pem -o "$WORK/sign.pem"
[ "$(stat -c %a "$WORK/sign.pem")" = 600 ] || fail "signature certificate export not 0600"
openssl verify -CAfile "$CARD.pki/sign-ca.pem" "$WORK/sign.pem" || fail "exported certificate"
printf 'NEWPIN77\n' | run "$WORK/l" 0 $T cert sign --pin-fd 0
grep -q "^name  *ZQPEOPLENAME $NAME_J" "$WORK/out" || fail "holder's name not shown"
grep -q '^birth date  *1971-02-03' "$WORK/out" || fail "birth date not shown"
grep -q '^sex  *female' "$WORK/out" || fail "sex not shown"

step "cert: an expired certificate says so and what to do"
"$TOOL" emu init --out "$WORK/x.img" --expired > /dev/null
JPKI_PKCS11_EMULATOR="$WORK/x.img" run "$WORK/l" 0 $T cert auth
grep -q '^valid until .*(EXPIRED [0-9]* days\{0,1\} ago)' "$WORK/out" || fail "expiry not shown"
grep -q '^renewal .*no longer works.*municipal office' "$WORK/out" || fail "no advice"
JPKI_PKCS11_EMULATOR="$WORK/x.img" run "$WORK/l" 0 $T cert auth-ca
grep -q '^renewal' "$WORK/out" && fail "renewal advice for a CA certificate"
printf 'ABC123\n' | JPKI_PKCS11_EMULATOR="$WORK/x.img" run "$WORK/l" 0 $T sign "$WORK/doc" \
    -o "$WORK/x.p7s" --pin-fd 0
grep -q 'signature certificate has expired' "$WORK/err" || fail "no warning for an expired certificate"

step "cert: text from a certificate is escaped (a bidi override in the name)"
"$TOOL" emu init --out "$WORK/e.img" --name "$(printf 'EVIL\342\200\256NAME')" > /dev/null
printf 'ABC123\n' | JPKI_PKCS11_EMULATOR="$WORK/e.img" run "$WORK/l" 0 $T cert sign --pin-fd 0
grep -qF 'EVIL\xE2\x80\xAENAME' "$WORK/out" || fail "the override is not escaped"
grep -q "$(printf '\342\200\256')" "$WORK/out" && fail "a raw override reached the terminal"

step "ssh-key: one line, the key ssh-keygen -D finds through the module"
run "$WORK/l" 0 $T ssh-key
[ "$(wc -l < "$WORK/out")" -eq 1 ] || fail "not exactly one line"
[ ! -s "$WORK/err" ] || fail "ssh-key wrote to stderr"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "ssh-key sent a PIN"
ours=$(cut -d' ' -f1,2 "$WORK/out")
timeout 60 ssh-keygen -D "$MODULE" > "$WORK/sshk" 2>/dev/null || fail "ssh-keygen -D failed"
# ssh-keygen -D also lists the CA certificates' keys; the holder's key is
# the one of the module's authentication public key object.
theirs=$(grep 'User Authentication Public Key' "$WORK/sshk" | cut -d' ' -f1,2)
[ -n "$theirs" ] || { cat "$WORK/sshk"; fail "ssh-keygen -D shows no authentication key"; }
[ "$ours" = "$theirs" ] || { cat "$WORK/sshk"; fail "key differs from ssh-keygen -D"; }
ssh-keygen -l -f "$WORK/out" || fail "ssh-keygen cannot read the line"
"$TOOL" emu init --out "$WORK/p.img" --smartphone > /dev/null
printf '1234\n' | JPKI_PKCS11_EMULATOR="$WORK/p.img" run "$WORK/l" 0 $T ssh-key --pin-fd 0
grep -q '^ssh-rsa AAAA' "$WORK/out" || fail "no key from a smartphone token"
[ "$(verifies "$WORK/l")" -eq 1 ] || fail "smartphone: not exactly one VERIFY"

step "a card pulled at each APDU of sign: a clean failure, no file, no extra try"
"$TOOL" emu init --out "$WORK/f.img" --sign-pin-single-use > /dev/null
export JPKI_PKCS11_EMULATOR="$WORK/f.img"
# Twice: the first run fills the certificate cache, the second is the flow.
printf 'ABC123\n' | run "$WORK/l" 0 $T sign "$WORK/doc" -o "$WORK/f0.p7s" --pin-fd 0
printf 'ABC123\n' | run "$WORK/l" 0 $T sign "$WORK/doc" -o "$WORK/f.p7s" --pin-fd 0
total=$(apdus "$WORK/l")
sig_at=$(grep -n 'INS=2A' "$WORK/l" | head -n 1 | cut -d: -f1)
n=0
while [ "$n" -lt "$total" ]; do
    rm -f "$WORK/drop.p7s" "$WORK/l"
    rc=0
    printf 'ABC123\n' | JPKI_EMU_FAULTS="drop-after=$n" JPKI_EMU_LOG="$WORK/l" \
        $T sign "$WORK/doc" -o "$WORK/drop.p7s" --pin-fd 0 > "$WORK/out" 2>&1 || rc=$?
    grep -q 'AddressSanitizer\|runtime error\|Segmentation' "$WORK/out" && fail "crash at $n"
    [ "$rc" -eq 124 ] && fail "hang with the card pulled after APDU $n"
    if [ "$n" -lt "$sig_at" ]; then
        [ "$rc" -ne 0 ] || fail "signed although the card was pulled after APDU $n"
        [ ! -e "$WORK/drop.p7s" ] || fail "a file written after a pull at $n"
        grep -q 'removed\|stopped answering\|communication' "$WORK/out" ||
            { cat "$WORK/out"; fail "no clear message for a pull at $n"; }
    fi
    [ "$(verifies "$WORK/l")" -le 1 ] || fail "PIN re-sent after a pull at $n"
    n=$((n + 1))
done
[ "$("$TOOL" emu info "$WORK/f.img" | sed -n 's/^sign PIN *\([0-9]*\) of .*/\1/p')" = 5 ] ||
    fail "a pulled card cost a PIN try"
echo "$total pull positions: no crash, no hang, no file without a signature"
export JPKI_PKCS11_EMULATOR="$CARD"

step "a card pulled at each APDU of pin change: a failure before the change, no try lost"
"$TOOL" emu init --out "$WORK/pc0.img" > /dev/null
cp "$WORK/pc0.img" "$WORK/pc.img"
export JPKI_PKCS11_EMULATOR="$WORK/pc.img"
printf '1234\n5678\n5678\n' | run "$WORK/l" 0 $T pin change auth --pin-fd 0
total=$(apdus "$WORK/l")
chg_at=$(grep -n 'INS=24' "$WORK/l" | head -n 1 | cut -d: -f1)
n=0
while [ "$n" -lt "$total" ]; do
    cp "$WORK/pc0.img" "$WORK/pc.img"
    rm -f "$WORK/l"
    rc=0
    printf '1234\n5678\n5678\n' | JPKI_EMU_FAULTS="drop-after=$n" JPKI_EMU_LOG="$WORK/l" \
        $T pin change auth --pin-fd 0 > "$WORK/out" 2>&1 || rc=$?
    grep -q 'AddressSanitizer\|runtime error\|Segmentation' "$WORK/out" && fail "crash at $n"
    [ "$rc" -eq 124 ] && fail "hang with the card pulled after APDU $n"
    [ "$n" -lt "$chg_at" ] && [ "$rc" -eq 0 ] && fail "changed although pulled after APDU $n"
    [ "$(verifies "$WORK/l")" -le 1 ] || fail "PIN re-sent after a pull at $n"
    left=$("$TOOL" emu info "$WORK/pc.img" | sed -n 's/^auth PIN *\([0-9]*\) of .*/\1/p')
    [ "$left" = 3 ] || fail "a pull at $n cost a try ($left left)"
    n=$((n + 1))
done
echo "$total pull positions of pin change: no crash, no hang, no try lost"
export JPKI_PKCS11_EMULATOR="$CARD"

step "privacy: no personal data in stderr, the debug log or temporary files"
mkdir -p "$WORK/tmp" "$WORK/logs"
[ -d "$WORK/cache/jpki-pkcs11" ] || fail "no cache written: the scan would miss it"
printf 'NEWPIN77\nNEWPIN77\n' > "$WORK/pins"
( export TMPDIR="$WORK/tmp" JPKI_PKCS11_DEBUG=5 JPKI_PKCS11_LOG_FILE="$WORK/logs/tool.log"
  $T cert sign --pin-fd 3 3< "$WORK/pins" > /dev/null 2> "$WORK/logs/err1"
  $T cert sign --pem --pin-fd 3 3< "$WORK/pins" > /dev/null 2> "$WORK/logs/err2"
  $T sign "$WORK/doc" -o "$WORK/p.p7s" --pin-fd 3 3< "$WORK/pins" 2> "$WORK/logs/err3"
  $T pin status > /dev/null 2> "$WORK/logs/err4" ) || fail "a privacy flow failed"
[ -s "$WORK/logs/tool.log" ] || fail "no debug log: the scan would prove nothing"
for secret in ZQPEOPLENAME "$NAME_J" "$ADDR_A" "$BIRTH" NEWPIN77; do
    if grep -rqF "$secret" "$WORK/logs" "$WORK/tmp" "$WORK/cache"; then
        grep -rlF "$secret" "$WORK/logs" "$WORK/tmp" "$WORK/cache"; fail "'$secret' leaked"
    fi
done
# The scan finds what is there: the signature file does carry the name.
grep -qaF ZQPEOPLENAME "$WORK/p.p7s" || fail "the scan cannot see the name"

echo "jpki-tool holder commands end-to-end: all steps passed"
