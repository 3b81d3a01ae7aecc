#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module against every emulator variant that matters: each card
# behaviour no real card has confirmed (jpki-tool emu init's switches), in
# the combinations that can change a result. Through pcscd + vpcd with
# "jpki-tool emu serve" as the card, so the card's state (verified PINs,
# current application) outlives each client and is read from the served
# card itself (emu_stat). In every variant:
#   - login, sign, exit (pkcs11-tool) on the authentication token;
#   - the signature PIN typed in lower case logs in and signs; two
#     signatures on one login (one, then CKR_USER_NOT_LOGGED_IN where a
#     VERIFY covers one signature); C_Logout; closing the last session;
#   - a holder keeps its login while other programs look (coexistence);
#   - a program killed while logged in leaves nothing verified (pcscd's
#     clean-up resets the card);
#   - the authentication PIN blocked: CKR_PIN_LOCKED, the token's flags,
#     and no VERIFY ever sent to the blocked PIN;
# and after each: no signature without a PIN this program verified, nothing
# verified on the card after logout, close or exit, exactly one VERIFY per
# PIN the user typed, the right return codes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need pkcs11-tool openssl timeout flock
need_vpcd
DRIVE="$top_builddir/tests/p11drive"
[ -x "$DRIVE" ] || fail "tests/p11drive is not built (make check builds it)"

unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
export JPKI_PKCS11_READERS_ALLOW="Virtual PCD"
export JPKI_PKCS11_CONF=/dev/null
export JPKI_PKCS11_CACHE="$WORK/cache"
T="timeout 60"
P11="$T pkcs11-tool --module $MODULE"
AUTH="JPKI User Authentication"
SIGN="JPKI Digital Signature"
printf 'a document signed in every variant\n' > "$WORK/doc"

card() { emu_stat "$1"; }
# nothing_verified WHEN: the card holds no verified PIN.
nothing_verified() {
    [ "$(card auth_verified)" -eq 0 ] && [ "$(card sign_verified)" -eq 0 ] ||
        fail "$VARIANT: a PIN is still verified on the card $1"
}
# counts V S R: the card's VERIFYs, signatures and refused signatures are
# now what they were (V0 S0 R0) plus V, S and R.
counts() {
    [ "$(card verifies)" -eq $((V0 + $1)) ] ||
        fail "$VARIANT: $(($(card verifies) - V0)) VERIFYs, the user typed $1 PINs"
    [ "$(card signatures)" -eq $((S0 + $2)) ] ||
        fail "$VARIANT: $(($(card signatures) - S0)) signatures, expected $2"
    [ "$(card refused_signatures)" -eq $((R0 + $3)) ] ||
        fail "$VARIANT: $(($(card refused_signatures) - R0)) refused signatures, expected $3"
}
mark() { V0=$(card verifies) S0=$(card signatures) R0=$(card refused_signatures); }
# gate N: the driver reached touch:$WORK/at-N; it goes on once we say so.
gate() {
    wait_for 30 test -e "$WORK/at-$1" || { cat "$WORK/drive.out"; fail "$VARIANT: the driver never reached gate $1"; }
}
go() { touch "$WORK/go-$1"; }

flows() {
    VARIANT=$1; shift
    # JPKI_TEST_VARIANT=NAME: that variant only (e.g. to see one fail)
    [ -z "${JPKI_TEST_VARIANT:-}" ] || [ "$JPKI_TEST_VARIANT" = "$VARIANT" ] || return 0
    step "variant $VARIANT: emu init $*"
    rm -f "$WORK/card.img" "$WORK"/at-* "$WORK"/go-*
    rm -rf "$WORK/card.img.pki" "$WORK/cache"
    "$TOOL" emu init --out "$WORK/card.img" "$@" >/dev/null
    single=0
    case " $* " in *" --sign-pin-single-use "*) single=1 ;; esac
    emu_serve "$WORK/card.img"
    nothing_verified "at the start"

    # login, sign, exit: one VERIFY, one signature, nothing left verified
    mark
    $P11 --token-label "$AUTH" --login --pin 1234 --sign -m SHA256-RSA-PKCS --id 01 \
        -i "$WORK/doc" -o "$WORK/sig" > "$WORK/p.out" 2>&1 || { cat "$WORK/p.out"; fail "$VARIANT: auth sign"; }
    counts 1 1 0
    nothing_verified "after pkcs11-tool signed and exited"

    # the signature PIN in lower case; two signatures on one login; logout;
    # close of the last session
    mark
    if [ "$single" = 1 ]; then
        second="expect:CKR_USER_NOT_LOGGED_IN sign2 info:public"
    else
        second="sign2 info:user"
    fi
    "$DRIVE" "$MODULE" open:"Digital Signature" login:abc123 $second touch:"$WORK/at-1" waitfile:"$WORK/go-1" \
        expect:"$([ "$single" = 1 ] && echo CKR_USER_NOT_LOGGED_IN || echo CKR_OK)" logout info:public \
        touch:"$WORK/at-2" waitfile:"$WORK/go-2" login:aBc123 sign close \
        touch:"$WORK/at-3" waitfile:"$WORK/go-3" > "$WORK/drive.out" 2>&1 &
    DRV=$!
    gate 1
    if [ "$single" = 1 ]; then
        counts 1 1 1    # the second signature refused by the card, no PIN re-sent
        nothing_verified "after a VERIFY that covered one signature"
    else
        counts 1 2 0
        [ "$(card sign_verified)" -eq 1 ] || fail "$VARIANT: the lower-case sign PIN is not verified"
    fi
    go 1
    gate 2
    nothing_verified "after C_Logout"
    go 2
    gate 3
    nothing_verified "after closing the last session"
    go 3
    wait "$DRV" || { cat "$WORK/drive.out"; fail "$VARIANT: the signature token's flow"; }
    counts 2 $((3 - single)) "$single"
    nothing_verified "after the driver exited"
    tries=$("$TOOL" emu info "$WORK/card.img" | awk '/sign/ && /tries/ { print; exit }')
    echo "sign PIN: $tries"

    # coexistence: a holder keeps its login while others look
    mark
    "$DRIVE" "$MODULE" open:"User Authentication" login:1234 touch:"$WORK/at-4" waitfile:"$WORK/go-4" \
        sign info:user > "$WORK/drive.out" 2>&1 &
    DRV=$!
    gate 4
    $P11 -L > "$WORK/L" 2>&1 || { cat "$WORK/L"; fail "$VARIANT: -L"; }
    $P11 --token-label "$AUTH" -O > "$WORK/O" 2>&1 || { cat "$WORK/O"; fail "$VARIANT: -O"; }
    $T "$TOOL" status > "$WORK/st" 2>&1 || { cat "$WORK/st"; fail "$VARIANT: jpki-tool status"; }
    [ "$(card auth_verified)" -eq 1 ] || fail "$VARIANT: a program that only looked ended the holder's login"
    go 4
    wait "$DRV" || { cat "$WORK/drive.out"; fail "$VARIANT: the holder could not sign after the lookers"; }
    counts 1 1 0
    nothing_verified "after the holder exited"

    # a program killed while logged in (no C_Finalize): pcscd cleans up
    # after it, and the card is left with nothing verified
    "$DRIVE" "$MODULE" open:"Digital Signature" login:ABC123 touch:"$WORK/at-5" \
        waitfile:"$WORK/go-never" > "$WORK/drive.out" 2>&1 &
    DRV=$!
    gate 5
    [ "$(card sign_verified)" -eq 1 ] || fail "$VARIANT: the killed program was not logged in"
    kill -9 "$DRV"
    wait "$DRV" 2>/dev/null || true
    wait_for 10 sh -c "kill -USR1 $EMU_PID; sleep 0.2; grep '^stats:' '$WORK/serve.log' | tail -n 1 | grep -q ' sign_verified=0'" ||
        fail "$VARIANT: the sign PIN stayed verified after its program was killed"

    # the authentication PIN blocked: the blocking try and everything after
    mark
    expect_ckr CKR_PIN_INCORRECT $P11 --token-label "$AUTH" --login --pin 9999 -O > /dev/null
    expect_ckr CKR_PIN_INCORRECT $P11 --token-label "$AUTH" --login --pin 9998 -O > /dev/null
    expect_ckr CKR_PIN_LOCKED $P11 --token-label "$AUTH" --login --pin 9997 -O > /dev/null
    counts 3 0 0
    $P11 -L > "$WORK/L" 2>&1
    grep -A12 "$AUTH" "$WORK/L" | grep 'token flags' | grep -q 'PIN locked' ||
        { cat "$WORK/L"; fail "$VARIANT: the token does not say its PIN is locked"; }
    expect_ckr CKR_PIN_LOCKED $P11 --token-label "$AUTH" --login --pin 1234 -O > /dev/null
    counts 3 0 0    # no VERIFY to a blocked PIN, even the right one
    nothing_verified "with the PIN blocked"
    # the other PIN is untouched
    $P11 --token-label "$SIGN" --login --pin ABC123 -O > "$WORK/p.out" 2>&1 ||
        { cat "$WORK/p.out"; fail "$VARIANT: the sign PIN after the auth PIN was blocked"; }
    counts 4 0 0
    nothing_verified "at the end"
    emu_stop
    echo "ok: variant $VARIANT"
}

step "pcscd"
pcscd_start

# Which re-select behaviour, with each way a signature without its PIN is
# refused and each blocked-PIN status word, with one VERIFY covering one
# signature or several: every pairing in 12 variants.
vn=0
for reselect in "" --reselect-keeps-pins; do
    for pair in "6983 6982" "6984 6985" "63c0 6986"; do
        for single in "" --sign-pin-single-use; do
            vn=$((vn + 1))
            flows "r$vn" $reselect --blocked-sw "${pair% *}" \
                --unverified-sign-sw "${pair#* }" $single
        done
    done
done
# The cards the label tells apart, and SELECT answering an FCI.
flows "old-card" --token-info JPKIAPICCTOKEN
flows "ios" --token-info JPKIAPIOSTOKEN --reselect-keeps-pins
flows "fci" --select-fci --reselect-keeps-pins --sign-pin-single-use
# A phone token without the serial-number application: its id falls back
# to EF 0006 (the token serial stays the same from one program to the next).
flows "phone" --smartphone --no-serial-ap
flows "phone-serial" --smartphone
# A card that refuses the key named by SFI in P2: the classic SELECT + P2 80
# after one refusal, remembered in the cache; still no PIN try spent.
flows "nosfi" --no-sign-sfi --sign-pin-single-use
$P11 -L > "$WORK/L1" 2>&1 && $P11 -L > "$WORK/L2" 2>&1 || true
echo "variants: all assertions passed in $((vn + 6)) variants"
