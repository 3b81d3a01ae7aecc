#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Concurrency soak: SOAK_PROCS processes (default 3) of SOAK_THREADS
# threads (default 8) sign and list against one card for SOAK_SECONDS
# (default 20): first on the in-process emulator (processes share the card
# image under its flock), then through pcscd and vpcd (emu serve). Errors
# must be 0; the only tolerated codes are CKR_USER_NOT_LOGGED_IN (a
# signature) and CKR_OBJECT_HANDLE_INVALID (the signature certificate)
# through pcscd, counted as contention (tests/soak.c says why). The card's
# signature counter must equal the good signatures; no PIN try is lost.
# Last, through pcscd, programs that end one after another (each resets
# the card as it leaves) must cause no error in the others.
# The pcscd part uses the machine's one pcscd: run this under
# 'flock /tmp/jpki-pcscd.lock'.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need timeout

SOAK="$top_builddir/tests/soak"
[ -x "$SOAK" ] || fail "not built: $SOAK (make check builds it)"
SECS=${SOAK_SECONDS:-20}
PROCS=${SOAK_PROCS:-3}
THREADS=${SOAK_THREADS:-8}
CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null

# soak_run NAME: PROCS soak processes at once; sums their "soak:" lines.
soak_run() {
    p=0
    pids=""
    while [ $p -lt "$PROCS" ]; do
        timeout $((SECS + 60)) "$SOAK" "$SECS" "$THREADS" \
            > "$WORK/$1.$p.out" 2> "$WORK/$1.$p.err" &
        pids="$pids $!"
        p=$((p + 1))
    done
    rc=0
    for pid in $pids; do wait "$pid" || rc=$?; done
    cat "$WORK/$1".*.out
    [ $rc -eq 0 ] || { cat "$WORK/$1".*.err; fail "$1: a soak process failed (exit $rc)"; }
    grep -q 'AddressSanitizer\|ThreadSanitizer\|runtime error' "$WORK/$1".*.err &&
        { cat "$WORK/$1".*.err; fail "$1: sanitizer report"; }
    # total WORD: the sum over the processes of the number before WORD
    total() {
        cat "$WORK/$2".*.out |
            awk -v w="$1" '{ for (i = 2; i <= NF; i++) if ($i ~ "^" w) { s += $(i - 1); break } }
                           END { print s + 0 }'
    }
    SIGS=$(total signatures, "$1")
    LISTS=$(total listings, "$1")
    LOGINS=$(total logins, "$1")
    ERRS=$(total errors, "$1")
    CONT=$(total contention "$1")
    [ "$ERRS" -eq 0 ] || fail "$1: $ERRS errors"
    [ "$SIGS" -gt 0 ] && [ "$LISTS" -gt 0 ] || fail "$1: nothing was done"
    echo "$1: $PROCS processes x $THREADS threads, $SECS s: $SIGS signatures," \
        "$LISTS listings, $ERRS errors, $CONT contention"
}

# tries_full WHAT: the card's counters are full. A right PIN restores them,
# so this alone cannot see a try spent and restored: the card's PIN count
# must also equal the logins (soak.c in-process, emu_stat through pcscd).
tries_full() {
    "$TOOL" emu info "$CARD" > "$WORK/info"
    grep -q '^auth PIN *3 of 3' "$WORK/info" && grep -q '^sign PIN *5 of 5' "$WORK/info" ||
        { cat "$WORK/info"; fail "$1: a PIN try was lost"; }
}

step "in-process emulator: one card image, $PROCS processes"
export JPKI_PKCS11_EMULATOR="$CARD"
soak_run emu
[ "$CONT" -eq 0 ] || fail "emu: contention where each process has its own card state"
# each process checked its card's signature count against its own (soak.c)
grep -c 'card: ' "$WORK"/emu.*.out | grep -q ":0$" && fail "emu: no card count"
tries_full emu
EMU_SUMMARY="emu: $SIGS signatures, $LISTS listings, $ERRS errors"

# wipes LOG: SELECTs of the application that found a PIN verified on the
# card (the card's APDU log): each clears every program's login at once,
# and is the only cause of contention there is.
wipes() {
    awk '/INS=20 / && !/Lc=-/ && /SW=9000/ { v = 1; next }
         /INS=A4 P1=04/ { if (v) n++; v = 0 }
         END { print n + 0 }' "$1"
}

step "through pcscd and vpcd: one card, $PROCS processes"
need_vpcd
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
pcscd_start
JPKI_EMU_LOG="$WORK/pcsc-apdu.log" emu_serve "$CARD"
SOAK_SHARED_CARD=1 soak_run pcsc
card_sigs=$(emu_stat signatures)
card_pins=$(emu_stat verifies)
emu_stop
[ "$card_sigs" -eq "$SIGS" ] ||
    fail "pcsc: the card signed $card_sigs times, the threads got $SIGS good signatures"
# Contention: at most one per thread (and main thread) of every process
# per SELECT that cleared a verified PIN; a module losing logins by itself
# goes over.
W=$(wipes "$WORK/pcsc-apdu.log")
[ "$CONT" -le $((W * PROCS * (THREADS + 1))) ] ||
    fail "pcsc: $CONT contention, more than $W clearing SELECTs can cause"
echo "pcsc: $CONT contention from $W SELECTs that cleared a verified PIN"
[ "$card_pins" -eq "$LOGINS" ] ||
    fail "pcsc: the card saw $card_pins PINs, the processes made $LOGINS logins"
tries_full pcsc

step "through pcscd: programs that end one after another"
# Each leaves with a card reset (no PIN stays verified), which pcscd may
# land inside another program's transaction: 4 rounds of 4 processes of
# 1..4 s, so that every round has three programs ending beside others.
emu_serve "$CARD"
round=0
while [ $round -lt 4 ]; do
    pids=""
    for s in 1 2 3 4; do
        SOAK_SHARED_CARD=1 timeout 60 "$SOAK" "$s" 4 \
            > "$WORK/end.$round.$s.out" 2> "$WORK/end.$round.$s.err" &
        pids="$pids $!"
    done
    rc=0
    for pid in $pids; do wait "$pid" || rc=$?; done
    [ $rc -eq 0 ] || { cat "$WORK/end.$round".*.out "$WORK/end.$round".*.err
                       fail "round $round: a program failed (exit $rc)"; }
    round=$((round + 1))
done
emu_stop
grep -q 'AddressSanitizer\|ThreadSanitizer\|runtime error' "$WORK"/end.*.err &&
    { cat "$WORK"/end.*.err; fail "ending programs: sanitizer report"; }
END_SUMMARY="ending programs: $(cat "$WORK"/end.*.out | awk '
    { for (i = 2; i <= NF; i++) { if ($i == "signatures,") g += $(i - 1); if ($i == "contention") c += $(i - 1) } }
    END { printf "16 processes, %d signatures, 0 errors, %d contention", g, c }')"
tries_full pcsc
echo "$EMU_SUMMARY"
echo "pcsc: $SIGS signatures (card: $card_sigs), $LISTS listings, $ERRS errors, $CONT contention"
echo "$END_SUMMARY"
