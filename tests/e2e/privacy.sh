#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Privacy, end to end: the main pkcs11-tool flows (list, login and sign
# with both tokens, read both certificates, PIN change, failure cases) and
# jpki-tool's status, pin status and cert sign (in Japanese too) run
# at the highest log level with the APDU trace on, in a scratch HOME,
# XDG_CACHE_HOME and TMPDIR; then every log, cache and temporary file is
# searched for the PINs, the holder's name, address and birth date (made
# distinctive, in ASCII and in Japanese) and the signature certificate
# (raw DER, hex, base64): none may be there. A planted secret shows the
# search would find one. Also counts the PIN tries of each flow in the
# emulator's APDU log (VERIFY with data): the user's, no more.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl timeout od base64

AUTH_PIN=8137
SIGN_PIN=QZX7PRIVY42
NEW_PIN=NEWQZX93PIN
NAME_A=ZQPRIVNAME
NAME_J=個人情報太郎
ADDR_A=ZQPRIVADDR
ADDR_J=試験町四丁目
BIRTH=19710203

SCAN="$WORK/scan"            # everything the module could write to
PRIV="$WORK/private"         # the test's own copies of the secrets
mkdir -p "$SCAN/home" "$SCAN/cache" "$SCAN/tmp" "$SCAN/logs" "$PRIV"
CARD="$PRIV/card.img"
"$TOOL" emu init --out "$CARD" --auth-pin "$AUTH_PIN" --sign-pin "$SIGN_PIN" \
    --name "$NAME_A $NAME_J" --address "$ADDR_A $ADDR_J" --birth "$BIRTH" \
    --sex 2 > /dev/null

export JPKI_PKCS11_EMULATOR="$CARD"
export JPKI_PKCS11_DEBUG=5
export JPKI_PKCS11_LOG_FILE="$SCAN/logs/module.log"
export HOME="$SCAN/home" XDG_CACHE_HOME="$SCAN/cache" TMPDIR="$SCAN/tmp"
P11="timeout 60 pkcs11-tool --module $MODULE"
printf 'privacy test document\n' > "$PRIV/doc"

# run NAME TRIES CMD...: run a flow with its own APDU log (kept for the
# scan), its stderr in the scan too; the card must count TRIES PIN tries.
n_flows=0
run() {
    name=$1 tries=$2; shift 2
    log="$SCAN/logs/apdu-$name.log"
    rc=0
    JPKI_EMU_LOG="$log" "$@" > "$PRIV/$name.out" 2> "$SCAN/logs/$name.err" || rc=$?
    [ $rc -ne 124 ] || fail "$name: hang"
    grep -q 'AddressSanitizer\|runtime error' "$SCAN/logs/$name.err" &&
        { cat "$SCAN/logs/$name.err"; fail "$name: sanitizer report"; }
    sent=$(grep 'INS=20' "$log" 2>/dev/null | grep -vc 'Lc=-' || true)
    [ "$sent" -eq "$tries" ] ||
        fail "$name: $sent PIN tries went to the card, the user typed $tries"
    echo "$name: rc=$rc, $sent PIN tries"
    n_flows=$((n_flows + 1))
    return 0
}
ok() { [ "$rc" -eq 0 ] || { cat "$SCAN/logs/$name.err"; fail "$name failed"; }; }
ko() { [ "$rc" -ne 0 ] || fail "$name succeeded"; }

step "the flows, at log level 5 with the APDU trace"
run list 0 $P11 -L; ok
run objects-auth 0 $P11 --slot 0 -O; ok
run objects-sign 0 $P11 --slot 1 -O; ok
run read-auth-cert 0 $P11 --slot 0 --read-object --type cert --id 01 \
    -o "$PRIV/auth.der"; ok
run read-sign-cert 1 $P11 --slot 1 --login --pin "$SIGN_PIN" --read-object \
    --type cert --id 02 -o "$PRIV/sign.der"; ok
run sign-auth 1 $P11 --slot 0 --login --pin "$AUTH_PIN" --sign \
    -m SHA256-RSA-PKCS --id 01 -i "$PRIV/doc" -o "$PRIV/sig-auth"; ok
run sign-sign 1 $P11 --slot 1 --login --pin "$SIGN_PIN" --sign \
    -m SHA256-RSA-PKCS --id 02 -i "$PRIV/doc" -o "$PRIV/sig-sign"; ok
run objects-sign-login 1 $P11 --slot 1 --login --pin "$SIGN_PIN" -O; ok
run wrong-pin 1 $P11 --slot 1 --login --pin QZX7PRIVY43 -O; ko
run short-pin 0 $P11 --slot 0 --login --pin 813 -O; ko
# upper-cased (the card holds upper case only): one try, and it logs in
run lowercase-pin 1 $P11 --slot 1 --login --pin qzx7privy42 -O; ok
# pkcs11-tool --change-pin calls C_Login, then C_SetPIN with the old PIN
# again: two PKCS#11 calls that carry the PIN, one try each.
run change-pin 2 $P11 --slot 1 --login --pin "$SIGN_PIN" --change-pin \
    --new-pin "$NEW_PIN"; ok
run change-back 2 $P11 --slot 1 --login --pin "$NEW_PIN" --change-pin \
    --new-pin "$SIGN_PIN"; ok
# its C_Login spends one; C_SetPIN refuses the new PIN on the host
run bad-new-pin 1 $P11 --slot 1 --login --pin "$SIGN_PIN" --change-pin \
    --new-pin abc; ko
# jpki-tool's own words, in English and Japanese: status (text and JSON)
# and pin status go into the scan whole (they never hold a PIN or the
# holder's data); cert sign prints the holder's data on purpose, so only
# its messages (stderr) are scanned. A wrong PIN told in Japanese, too.
use_ja_locale
pins() { f=$1; shift; "$@" --pin-fd 3 3< "$f"; }
printf '%s\n' "$SIGN_PIN" > "$PRIV/pin-ok"
printf '%s\n' QZX7PRIVY43 > "$PRIV/pin-wrong"
run tool-status 0 "$TOOL" status; ok
run tool-status-json 0 "$TOOL" status --json; ok
run tool-status-ja 0 env LANG=ja_JP.UTF-8 "$TOOL" status; ok
grep -q 'マイナンバーカード' "$PRIV/tool-status-ja.out" || fail "tool-status-ja is not Japanese"
run tool-pin-status-ja 0 env LANG=ja_JP.UTF-8 "$TOOL" pin status; ok
run tool-wrong-pin-ja 1 pins "$PRIV/pin-wrong" env LANG=ja_JP.UTF-8 "$TOOL" cert sign; ko
grep -q '署名用暗証番号が違います' "$SCAN/logs/tool-wrong-pin-ja.err" || fail "the wrong PIN is not told in Japanese"
run tool-cert-sign-ja 1 pins "$PRIV/pin-ok" env LANG=ja_JP.UTF-8 "$TOOL" cert sign; ok
grep -q "$NAME_J" "$PRIV/tool-cert-sign-ja.out" || fail "cert sign did not show the holder: the scan of its stderr is blind"
for f in tool-status tool-status-json tool-status-ja tool-pin-status-ja; do
    cp "$PRIV/$f.out" "$SCAN/logs/$f.stdout"
done
openssl x509 -inform DER -in "$PRIV/sign.der" -pubkey -noout > "$PRIV/sign.pub"
openssl dgst -sha256 -verify "$PRIV/sign.pub" -signature "$PRIV/sig-sign" \
    "$PRIV/doc" > /dev/null || fail "the signature does not verify"

# The module is done: the search runs with plain tools (some, like dd,
# abort with a sanitizer build's preloaded ASan runtime).
unset LD_PRELOAD

step "what the search looks for"
# The certificate is personal data as a whole. A slice of its signature
# value (the last bytes: unique to this certificate, unlike the CPS URLs
# and names every JPKI certificate shares) is in any dump of it.
der_hex=$(od -An -v -tx1 "$PRIV/sign.der" | tr -d ' \n')
len=$(( ${#der_hex} / 2 ))
mid=$(( len - 100 ))          # 48 bytes from here
slice=$(printf '%s' "$der_hex" | cut -c$((2 * mid + 1))-$((2 * mid + 96)))
b64off=$(( (mid + 2) / 3 * 4 ))
b64=$(base64 -w0 < "$PRIV/sign.der" | cut -c$((b64off + 1))-$((b64off + 48)))
slice_spaced=$(printf '%s' "$slice" | cut -c1-48 | sed 's/../& /g; s/ $//')
upper() { printf '%s' "$1" | tr a-f A-F; }
hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# Text patterns, fixed strings, case-insensitive where case can change.
cat > "$PRIV/words" <<PAT
$SIGN_PIN
$NEW_PIN
$NAME_A
$NAME_J
$ADDR_A
$ADDR_J
$BIRTH
1971-02-03
1971/02/03
1971年2月3日
$slice
$(upper "$slice")
$slice_spaced
$(upper "$slice_spaced")
$b64
$(hex_of "$SIGN_PIN")
$(upper "$(hex_of "$SIGN_PIN")")
$(hex_of "$NAME_J")
PAT
# The auth PIN is four digits: as a word of its own (not inside a
# timestamp), and spelled in hex.
auth_hex=$(hex_of "$AUTH_PIN")
printf '%s\n' "$auth_hex" "$(printf '%s' "$auth_hex" | sed 's/../& /g; s/ $//')" \
    >> "$PRIV/words"
# Binary search: every file as one hex string; these must not be in it.
printf '%s\n' "$slice" "$(hex_of "$SIGN_PIN")" "$(hex_of "$NAME_J")" \
    "$(hex_of "$ADDR_J")" > "$PRIV/hexes"
echo "$(wc -l < "$PRIV/words") text patterns, $(wc -l < "$PRIV/hexes") binary patterns"
echo "certificate: $len bytes, middle slice $slice"

# scan DIR: print every file that holds a secret (and which), count
# files and bytes; false if anything was found.
scan() {
    found=0 files=0 bytes=0
    for f in $(find "$1" -type f | sort); do
        files=$((files + 1))
        bytes=$((bytes + $(wc -c < "$f")))
        if grep -a -i -F -f "$PRIV/words" "$f" > /dev/null ||
           grep -a -w -F "$AUTH_PIN" "$f" > /dev/null; then
            echo "FOUND in $f:"; grep -a -o -i -F -f "$PRIV/words" "$f" | head -3
            found=1
        fi
        if od -An -v -tx1 "$f" | tr -d ' \n' | grep -F -f "$PRIV/hexes" > /dev/null; then
            echo "FOUND (binary) in $f"
            found=1
        fi
    done
    [ "$found" -eq 0 ]
}

step "negative control: a planted secret is found"
for plant in "pin=$SIGN_PIN" "auth $AUTH_PIN tries" "$NAME_J" "$ADDR_A" \
             "$b64" "$(upper "$slice_spaced")"; do
    mkdir -p "$WORK/plant"
    printf 'log line %s end\n' "$plant" > "$WORK/plant/x.log"
    scan "$WORK/plant" > /dev/null && fail "the search missed a planted '$plant'"
done
# raw DER bytes in a binary cache file
printf 'CACHE' > "$WORK/plant/x.log"
dd if="$PRIV/sign.der" bs=1 skip=$((mid - 10)) count=70 2>/dev/null >> "$WORK/plant/x.log"
scan "$WORK/plant" > /dev/null && fail "the search missed raw certificate bytes"
rm -rf "$WORK/plant"
echo "planted secrets are found: the search can fail"

step "the scan: logs, cache and temporary files"
[ -s "$SCAN/logs/module.log" ] || fail "the module wrote no log at level 5"
grep -q '\] > ' "$SCAN/logs/module.log" || fail "the module log has no APDU trace"
scan "$SCAN" || fail "personal data or a PIN in the files above"

step "the card-info application is never selected"
# The module's trace shows SELECT data (AIDs are public): the JPKI-AP's
# is there, so the card-info AP's (name, address, birth date) would be.
# The emulator's own counter says the same in test_pin_accounting.
grep -q 'A4 04 0C .*D3 92 F0 00 26 01 00 00 00 01' "$SCAN/logs/module.log" ||
    fail "the trace shows no SELECT of the JPKI-AP: the check below is blind"
grep 'D3 92 10 00 31 00 01 01 04 08' "$SCAN/logs/module.log" &&
    fail "the module selected the card-info application"
echo "privacy: $n_flows flows, $files files, $bytes bytes scanned, nothing found"
