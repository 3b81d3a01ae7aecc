#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fork() with the real pcscd: a program has the module initialised, a
# thread blocked in C_WaitForSlotEvent, and a card open and logged in; it
# forks. The child's calls with the parent's session fail with
# CKR_CRYPTOKI_NOT_INITIALIZED until it calls C_Initialize itself; then it
# sees the token logged out (the parent's login is not its own), logs in,
# signs and finalizes, within a few seconds. The parent goes on: its
# waiter is still blocked (the child cancelled none of the parent's PC/SC
# contexts), its login is gone because the child's C_Finalize reset the
# card (nothing stays verified after a program), it logs in again and
# signs, and its C_Finalize ends the waiter. The card counts exactly the
# three VERIFYs and three signatures the two programs asked for.
# Through pcscd, vpcd and "jpki-tool emu serve": under
# 'flock /tmp/jpki-pcscd.lock' like the other pcscd tests (pcscd_start).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need timeout
need_vpcd

DRIVE="$top_builddir/tests/p11drive"
[ -x "$DRIVE" ] || fail "tests/p11drive is not built (make check builds it)"
vpcd_only
CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null

pcscd_start
emu_serve "$CARD"
verifies=$(emu_stat verifies)
signatures=$(emu_stat signatures)

step "fork with a card open and logged in, and a waiter"
rc=0
timeout 60 "$DRIVE" "$MODULE" open:Signature login:ABC123 sign waiter \
    fork \
        expect:CKR_CRYPTOKI_NOT_INITIALIZED info \
        init open:Signature info:public privkeys:0 \
        login:ABC123 info:user sign finalize \
    endchild \
    waitchild:10 \
    slots:2 info:public privkeys:0 \
    login:ABC123 info:user sign end-wait \
    > "$WORK/fork.out" 2>&1 || rc=$?
cat "$WORK/fork.out"
[ $rc -ne 124 ] || fail "the program hung"
[ $rc -eq 0 ] || fail "the fork scenario failed (exit $rc)"
grep -q '^\[child\] endchild' "$WORK/fork.out" || fail "the child did not run to its end"
grep -q 'the child ended with status 0' "$WORK/fork.out" || fail "the parent did not see the child end"
grep -q '^p11drive: all steps passed' "$WORK/fork.out" || fail "the parent did not finish"

step "what the card counted"
verifies=$(($(emu_stat verifies) - verifies))
signatures=$(($(emu_stat signatures) - signatures))
echo "card: $verifies VERIFYs, $signatures signatures"
[ "$verifies" -eq 3 ] ||
    fail "$verifies VERIFY commands, expected 3 (parent, child, parent again)"
[ "$signatures" -eq 3 ] || fail "$signatures signatures, expected 3"
echo
echo "PC/SC fork: the child starts afresh, the parent goes on"
