#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool diagnose against every emulator variant of the unconfirmed card
# behaviours: it must name each variant, send exactly the VERIFYs it
# announced (counted in the emulator's APDU log: VERIFY with data), never
# one without --with-pin, and never a PIN the card refused twice. Its output
# (text and JSON) must hold no PIN, none of the signature certificate's
# personal data, and not the authentication certificate's subject or
# serial, nor the card's serial. Then the same through pcscd (if vpcd is
# installed), counted by the served card. Also: a missing emulator image
# is named once in the log.
. "$(dirname "$0")/lib.sh"
need pkcs11-tool openssl python3 sha256sum

AUTH_PIN=7351
SIGN_PIN=QZDIAG42
NAME=ZQDIAGNAME
ADDR=ZQDIAGADDR
BIRTH=19690317

# card NAME OPTIONS...: a card image $WORK/NAME.img with the test's PINs
card() {
    _n=$1; shift
    "$TOOL" emu init --out "$WORK/$_n.img" --auth-pin "$AUTH_PIN" --sign-pin "$SIGN_PIN" \
        --name "$NAME" --address "$ADDR" --birth "$BIRTH" --sex 1 "$@" > /dev/null
}

# set_field IMG KEY VALUE: edit a card image field and re-seal its checksum
set_field() {
    sed "s/^$2 .*/$2 $3/" "$1" | sed '$d' > "$1.tmp"
    printf 'sha256 %s\n' "$(sha256sum < "$1.tmp" | cut -c1-64)" >> "$1.tmp"
    mv "$1.tmp" "$1"
}

# diag NAME IMG [--with-pin]: run diagnose on IMG (text and JSON, the PINs
# lower-case for the signature PIN: the card takes upper case only), each
# run with its own APDU log; fails on a sanitizer report or a bad exit.
diag() {
    _n=$1 _img=$2; shift 2
    for _f in text json; do
        _j=""
        [ $_f = json ] && _j=--json
        printf '%s\n%s\n' "${PIN_A:-$AUTH_PIN}" \
            "${PIN_S:-$(printf '%s' "$SIGN_PIN" | tr A-Z a-z)}" > "$WORK/pins"
        rc=0
        JPKI_EMU_LOG="$WORK/$_n.$_f.apdu" JPKI_PKCS11_EMULATOR="$_img" \
            "$TOOL" diagnose $_j "$@" --pin-fd 3 3< "$WORK/pins" \
            > "$WORK/$_n.$_f" 2> "$WORK/$_n.$_f.err" || rc=$?
        grep -q 'AddressSanitizer\|runtime error' "$WORK/$_n.$_f.err" &&
            { cat "$WORK/$_n.$_f.err"; fail "$_n: sanitizer report"; }
        [ $rc -eq 0 ] || { cat "$WORK/$_n.$_f.err"; fail "$_n: diagnose exit $rc"; }
    done
    python3 -m json.tool "$WORK/$_n.json" > /dev/null || fail "$_n: not JSON"
}
# (--pin-fd needs --with-pin: the no-PIN runs go through diag_nopin)
diag_nopin() {
    _n=$1 _img=$2
    for _f in text json; do
        _j=""
        [ $_f = json ] && _j=--json
        JPKI_EMU_LOG="$WORK/$_n.$_f.apdu" JPKI_PKCS11_EMULATOR="$_img" \
            "$TOOL" diagnose $_j > "$WORK/$_n.$_f" 2> "$WORK/$_n.$_f.err" ||
            { cat "$WORK/$_n.$_f.err"; fail "$_n: diagnose exit"; }
    done
    python3 -m json.tool "$WORK/$_n.json" > /dev/null || fail "$_n: not JSON"
}

# jget NAME PATH: a value from NAME's JSON report (first reader), e.g.
# "findings.token_label" or "experiments.reselect.answer"
jget() {
    python3 - "$WORK/$1.json" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["readers"][0]
for k in sys.argv[2].split("."):
    if isinstance(r, list):
        r = [e for e in r if e.get("name") == k][0]
    else:
        r = r[k]
print(r)
PY
}

# verifies NAME FORMAT: VERIFY commands with a PIN in the card's log
verifies() { grep 'INS=20' "$WORK/$1.$2.apdu" | grep -vc 'Lc=-' || true; }
signs() { grep -c 'INS=2A' "$WORK/$1.$2.apdu" || true; }

# expect NAME PATH VALUE
expect() {
    _v=$(jget "$1" "$2")
    [ "$_v" = "$3" ] || fail "$1: $2 is '$_v', expected '$3'"
}

# announced_ok NAME AUTH SIGN: announced on stderr before the PINs, in the
# JSON, and the card saw exactly that many VERIFYs (both runs)
announced_ok() {
    grep -q "exactly $2 VERIFY of the authentication PIN and $3 VERIFY of the signature PIN" \
        "$WORK/$1.text.err" || { cat "$WORK/$1.text.err"; fail "$1: announcement"; }
    expect "$1" verifies.announced.auth "$2"
    expect "$1" verifies.announced.sign "$3"
    for _f in text json; do
        _s=$(verifies "$1" $_f)
        [ "$_s" -eq $(($2 + $3)) ] ||
            fail "$1 ($_f): the card saw $_s VERIFYs, $(($2 + $3)) were announced"
    done
    echo "$1: announced auth $2 + sign $3, the card saw exactly that"
}

step "the default card, no PIN: no VERIFY, no signature, the facts named"
card base
diag_nopin base "$WORK/base.img"
cat "$WORK/base.text"
for f in text json; do
    [ "$(verifies base $f)" -eq 0 ] || fail "a VERIFY without --with-pin"
    [ "$(signs base $f)" -eq 0 ] || fail "a signature without --with-pin"
    grep -q 'INS=A4 P1=04 P2=0C Lc=10' "$WORK/base.$f.apdu" || fail "no SELECT"
done
expect base findings.token_label JPKIAPICCTOKEN2
expect base findings.token_kind "My Number Card"
expect base findings.token_info_size 160
expect base findings.pin_status.auth 63C3
expect base findings.pin_status.sign 63C5
expect base findings.select_p2_00 6A86
expect base findings.serial_ap present
expect base findings.serial_record_tag 4
expect base findings.serial_value_len 15
expect base findings.serial_value_alnum True
expect base findings.auth_certificate.key_type "RSA 2048"
grep -q 'JPKI-TEST' "$WORK/base.text" || fail "the auth certificate's issuer is missing"
grep -q '^ATR      3B E0 00 FF 81 31 FE 45 14$' "$WORK/base.text" || fail "ATR"
grep -q '^protocol T=1$' "$WORK/base.text" || fail "protocol"
n_apdus=$(grep -c 'INS=' "$WORK/base.json.apdu")
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["readers"][0]["apdus"]))' \
    "$WORK/base.json")" -eq "$n_apdus" ] || fail "the report misses APDUs the card answered"

step "the default card, --with-pin: re-select clears, two signatures per VERIFY"
diag base-pin "$WORK/base.img" --with-pin
sed -n '/^Experiments/,/^APDUs/p' "$WORK/base-pin.text"
announced_ok base-pin 2 1
expect base-pin experiments.unverified-signature.answer 6982
expect base-pin experiments.reselect.answer clears
expect base-pin experiments.sign-pin-covers.answer several
expect base-pin experiments.sign-pin-covers.signature_length 256
expect base-pin card_reset True
expect base-pin experiments.pss.answer supported
expect base-pin experiments.pss.signature_length 256
grep -q 'INS=2A P1=04 P2=80 Lc=32 .*SW=9000' "$WORK/base-pin.text.apdu" ||
    fail "the card saw no P1=04 signature"
"$TOOL" emu info "$WORK/base.img" | grep -q 'sign PIN *5 of 5' ||
    fail "the lower-case signature PIN was not upper-cased (a try was spent)"

step "--reselect-keeps-pins"
card keeps --reselect-keeps-pins
diag keeps "$WORK/keeps.img" --with-pin
announced_ok keeps 2 1
expect keeps experiments.reselect.answer keeps

step "--unverified-sign-sw 6985"
card s6985 --unverified-sign-sw 6985
diag s6985 "$WORK/s6985.img" --with-pin
expect s6985 experiments.unverified-signature.answer 6985
announced_ok s6985 2 1

step "--sign-pin-single-use"
card single --sign-pin-single-use
diag single "$WORK/single.img" --with-pin
expect single experiments.sign-pin-covers.answer one
announced_ok single 2 1

step "--select-fci"
card fci --select-fci
diag_nopin fci "$WORK/fci.img"
expect fci findings.select_p2_00 fci
expect fci findings.select_p2_00_len 14

step "--sign-schemes v15-only: PSS refused, named, no try spent"
card v15 --sign-schemes v15-only
diag v15 "$WORK/v15.img" --with-pin
announced_ok v15 2 1
expect v15 experiments.pss.answer "refused 6A86"
expect v15 experiments.pss.conclusive True
expect v15 experiments.sign-pin-covers.answer several
"$TOOL" emu info "$WORK/v15.img" | grep -q 'auth PIN *3 of 3' || fail "a try was spent"

step "--no-serial-ap"
card noserial --no-serial-ap
diag noserial "$WORK/noserial.img" --with-pin
expect noserial findings.serial_ap absent
expect noserial findings.serial_ap_select_sw 6A82
announced_ok noserial 2 1
expect noserial experiments.reselect.answer clears

step "token info variants"
for v in JPKIAPICCTOKEN:"Basic Resident Register card" JPKIAPGPSETOKEN:"Android secure element" \
         JPKIAPIOSTOKEN:iPhone; do
    card "t-${v%%:*}" --token-info "${v%%:*}"
    diag_nopin "t-${v%%:*}" "$WORK/t-${v%%:*}.img"
    expect "t-${v%%:*}" findings.token_label "${v%%:*}"
    expect "t-${v%%:*}" findings.token_kind "${v#*:}"
done
expect t-JPKIAPGPSETOKEN 'findings.files.auth certificate.read_sw' 6982

step "a blocked signature PIN (6983, 6984, 63C0): named, never risked"
for sw in 6983 6984 63c0; do
    card "b$sw" --blocked-sw "$sw"
    set_field "$WORK/b$sw.img" sign_tries 0
    diag "b$sw" "$WORK/b$sw.img" --with-pin
    expect "b$sw" findings.pin_status.sign "$(printf '%s' "$sw" | tr a-z A-Z)"
    expect "b$sw" experiments.sign-pin-covers.answer skipped
    announced_ok "b$sw" 2 0
done
grep -q 'sign PIN status *6984 (blocked)' "$WORK/b6984.text" || fail "blocked not said"

step "an authentication PIN with one try left is not risked"
card last
set_field "$WORK/last.img" auth_tries 1
# only the signature PIN is asked for: it is the first line
PIN_A=$SIGN_PIN diag last "$WORK/last.img" --with-pin
expect last experiments.reselect.answer skipped
expect last experiments.sign-pin-covers.answer several
announced_ok last 0 1
"$TOOL" emu info "$WORK/last.img" | grep -q 'auth PIN *1 of 3' || fail "a try was spent"

step "a signature PIN that breaks the rules is not sent"
card rules
PIN_S=AB-12 diag rules "$WORK/rules.img" --with-pin
grep -q 'nothing was sent to the card' "$WORK/rules.text.err" || fail "no message"
expect rules experiments.sign-pin-covers.answer skipped
expect rules verifies.announced.sign 1
expect rules verifies.sent.sign 0
expect rules experiments.pss.answer supported
[ "$(verifies rules text)" -eq 2 ] || fail "the card saw more than the auth VERIFYs"

step "a wrong authentication PIN is sent once, never again"
card wrong
PIN_A=9999 diag wrong "$WORK/wrong.img" --with-pin
expect wrong experiments.reselect.answer "not settled"
expect wrong experiments.reselect.verifies_sent.auth 1
# the PSS experiment does not send the refused PIN again
expect wrong experiments.pss.answer "not settled"
expect wrong experiments.pss.verifies_sent.auth 0
grep -q "exactly 2 VERIFY of the authentication PIN and 1 VERIFY" "$WORK/wrong.text.err" ||
    fail "wrong: announcement"
for f in text json; do
    [ "$(verifies wrong $f)" -eq 2 ] || fail "wrong ($f): the wrong PIN was sent again"
    grep -q 'INS=2A P1=04' "$WORK/wrong.$f.apdu" && fail "wrong ($f): PSS tried without a PIN"
done
"$TOOL" emu info "$WORK/wrong.img" | grep -q 'auth PIN *1 of 3' ||
    fail "the two runs should have cost exactly one try each"

step "bad command lines"
"$TOOL" diagnose --pin-fd 3 3< /dev/null 2> "$WORK/err" && fail "--pin-fd without --with-pin"
"$TOOL" diagnose 1234 2> "$WORK/err" && fail "a PIN on the command line"
grep -q 'never given on the command line' "$WORK/err" || fail "no message"
JPKI_EMU_LOG="$WORK/nopins.text.apdu" JPKI_PKCS11_EMULATOR="$WORK/base.img" \
    "$TOOL" diagnose --with-pin --pin-fd 3 3< /dev/null > /dev/null 2> "$WORK/err" || true
grep -q 'no more PINs' "$WORK/err" || { cat "$WORK/err"; fail "no message"; }
[ "$(verifies nopins text)" -eq 0 ] || fail "VERIFY with no PIN given"

step "privacy: no PIN, no personal data, no auth subject/serial, no card serial"
JPKI_PKCS11_EMULATOR="$WORK/base.img" pkcs11-tool --module "$MODULE" --slot 0 \
    --read-object --type cert --id 01 -o "$WORK/auth.der" > /dev/null
JPKI_PKCS11_EMULATOR="$WORK/base.img" pkcs11-tool --module "$MODULE" --slot 1 --login \
    --pin "$SIGN_PIN" --read-object --type cert --id 02 -o "$WORK/sign.der" > /dev/null
cn=$(openssl x509 -inform DER -in "$WORK/auth.der" -noout -subject -nameopt multiline |
    sed -n 's/^ *commonName *= *//p')
serial=$(openssl x509 -inform DER -in "$WORK/auth.der" -noout -serial | cut -d= -f2)
cardserial=$("$TOOL" emu info "$WORK/base.img" | sed -n 's/^serial *//p')
sign_tail=$(od -An -v -tx1 "$WORK/sign.der" | tr -d ' \n' | tail -c 96)
[ -n "$cn" ] && [ -n "$serial" ] && [ ${#cardserial} -eq 13 ] || fail "setup of the scan"
{
    printf '%s\n' "$AUTH_PIN" "$SIGN_PIN" "$NAME" "$ADDR" "$BIRTH" "$cn" "$serial"
    printf '%s\n' "$cardserial" "$sign_tail" "$(printf '%s' "$sign_tail" | tr a-f A-F)"
    printf '%s\n' "$(printf '%s' "$SIGN_PIN" | tr A-Z a-z)"
    # the serial in decimal, as some printers show it
    python3 -c "print(int('$serial', 16))"
} > "$WORK/secrets"
outs="$WORK/*.text $WORK/*.json $WORK/*.err"
# shellcheck disable=SC2086
if grep -o -F -i -f "$WORK/secrets" $outs > "$WORK/found"; then
    cat "$WORK/found"
    fail "diagnose printed a secret"
fi
# the scan works: the certificate's issuer is there, and a planted secret is found
printf 'planted %s\n' "$cn" > "$WORK/planted.text"
grep -qF -f "$WORK/secrets" "$WORK/planted.text" || fail "the scan finds nothing"
echo "scanned $(echo $outs | wc -w) outputs for $(wc -l < "$WORK/secrets") secrets"

step "a missing emulator image is named, once"
JPKI_PKCS11_EMULATOR="$WORK/nothing.img" "$TOOL" diagnose > /dev/null 2> "$WORK/err" &&
    fail "diagnose found a card in a missing image"
[ "$(grep -c "nothing.img.*does not exist" "$WORK/err")" -eq 1 ] ||
    { cat "$WORK/err"; fail "the missing image was not named exactly once"; }
JPKI_PKCS11_EMULATOR="$WORK/nothing.img" pkcs11-tool --module "$MODULE" -L \
    > /dev/null 2> "$WORK/err" || true
[ "$(grep -c "nothing.img.*does not exist" "$WORK/err")" -eq 1 ] ||
    { cat "$WORK/err"; fail "the module did not name the missing image once"; }

step "through pcscd: the served card counts the announced VERIFYs"
. "$(dirname "$0")/pcscd.sh"
need_vpcd
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
card served
pcscd_start
emu_serve "$WORK/served.img"
v0=$(emu_stat verifies)
printf '%s\n%s\n' "$AUTH_PIN" "$SIGN_PIN" > "$WORK/pins"
"$TOOL" diagnose --reader "$VPCD_READER" --json --with-pin --pin-fd 3 3< "$WORK/pins" \
    > "$WORK/served.json" 2> "$WORK/served.err" || { cat "$WORK/served.err"; fail "diagnose"; }
v1=$(emu_stat verifies)
cat "$WORK/served.err"
expect served kind pcsc
expect served protocol T=1
expect served findings.token_label JPKIAPICCTOKEN2
expect served experiments.reselect.answer clears
expect served card_reset True
[ $((v1 - v0)) -eq 3 ] || fail "the served card saw $((v1 - v0)) VERIFYs, 3 were announced"
expect served experiments.pss.answer supported
[ "$(emu_stat sig_p1_04)" -eq 1 ] || fail "the served card made no P1=04 signature"
[ -n "$(jget served atr)" ] || fail "no ATR through PC/SC"
echo "through pcscd: ATR $(jget served atr), 3 VERIFYs as announced"
