#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing stays verified on the card: after a program logged in, signed
# and then (a) logged out, (b) closed its last session or (c) finished
# (C_Finalize), a second PC/SC client (tests/pcsc_probe,
# connected all along so that pcscd never powers the card down) asks the
# card for a signature without a PIN, in the state the program left: the
# signature key's EF, then COMPUTE DIGITAL SIGNATURE. The card must refuse
# (69 82), or have no application selected any more (a reset: 6A82 to the
# EF). The same probe while the program is still logged in must get a
# signature, so a probe that cannot see a verified PIN cannot pass.
# Through pcscd, vpcd and "jpki-tool emu serve": run it under
# 'flock /tmp/jpki-pcscd.lock' like the other pcscd tests (pcscd_start).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
need timeout
need_vpcd

DRIVE="$top_builddir/tests/p11drive"
PROBE="$top_builddir/tests/pcsc_probe"
[ -x "$DRIVE" ] && [ -x "$PROBE" ] ||
    fail "tests/p11drive and tests/pcsc_probe are not built (make check builds them)"
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
export JPKI_PKCS11_READERS_ALLOW="Virtual PCD"
export JPKI_PKCS11_CONF=/dev/null
CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null

pcscd_start
emu_serve "$CARD"
mkfifo "$WORK/probe.in"
"$PROBE" "$VPCD_READER" < "$WORK/probe.in" > "$WORK/probe.out" 2>&1 &
PROBE_PID=$!
exec 3> "$WORK/probe.in"
probe_stop() { exec 3>&-; wait "$PROBE_PID" 2>/dev/null; }
at_exit probe_stop
wait_for 10 grep -q '^connected' "$WORK/probe.out" ||
    { cat "$WORK/probe.out"; fail "the probe did not connect to $VPCD_READER"; }

# probe WANT WHEN: ask the card to sign without a PIN; WANT is "signed" or
# "refused".
probe() {
    _n=$(grep -c '^probe ' "$WORK/probe.out" || true)
    echo probe >&3
    wait_for 10 sh -c "[ \$(grep -c '^probe ' '$WORK/probe.out') -gt $_n ]" ||
        { cat "$WORK/probe.out"; fail "$2: the probe did not answer"; }
    _a=$(grep '^probe ' "$WORK/probe.out" | tail -n 1)
    echo "$2: $_a"
    case $1:$_a in
    "signed:probe 9000 9000") ;;
    "refused:probe 9000 6982") echo "  the card refused: security status not satisfied" ;;
    "refused:probe 6A82 -") echo "  no application selected: the card was reset" ;;
    *) fail "$2: the card answered '${_a#probe }', expected $1" ;;
    esac
}

# scenario NAME END-STEPS...: a program logs in to the signature token,
# signs, lets the probe sign (the control), then runs END-STEPS; the probe
# must then be refused.
scenario() {
    _name=$1; shift
    step "$_name"
    rm -f "$WORK/ready" "$WORK/go" "$WORK/done"
    "$DRIVE" "$MODULE" open:Signature login:ABC123 sign touch:"$WORK/ready" \
        waitfile:"$WORK/go" "$@" > "$WORK/drive.out" 2>&1 &
    _d=$!
    wait_for 60 test -e "$WORK/ready" || { cat "$WORK/drive.out"; fail "$_name: driver stuck"; }
    probe signed "$_name: while logged in (control)"
    touch "$WORK/go"
    wait_for 60 test -e "$WORK/done" || { cat "$WORK/drive.out"; fail "$_name: driver stuck"; }
    probe refused "$_name: after it"
    touch "$WORK/go2"
    wait "$_d" || { cat "$WORK/drive.out"; fail "$_name: the program failed"; }
    rm -f "$WORK/go2"
}
# (END-STEPS end with touch:done; those that keep the program alive wait
# for go2 so that the probe comes while it still runs)
scenario "logged out" logout touch:"$WORK/done" waitfile:"$WORK/go2"
scenario "last session closed" close touch:"$WORK/done" waitfile:"$WORK/go2"
# A program that ended with C_Finalize. (One that exits without it, while
# another program keeps the card connected, leaves the PIN verified today:
# the module has no destructor and pcscd does not reset the card when a
# client goes; add "exit without C_Finalize" here once that is decided.)
for end in "C_Finalize"; do
    step "program ended: $end"
    rm -f "$WORK/ready" "$WORK/go"
    case $end in C_Finalize) last="" ;; *) last=exit ;; esac
    "$DRIVE" "$MODULE" open:Signature login:ABC123 sign touch:"$WORK/ready" \
        waitfile:"$WORK/go" $last > "$WORK/drive.out" 2>&1 &
    d=$!
    wait_for 60 test -e "$WORK/ready" || { cat "$WORK/drive.out"; fail "driver stuck"; }
    probe signed "$end: while logged in (control)"
    touch "$WORK/go"
    wait "$d" || { cat "$WORK/drive.out"; fail "$end: the program failed"; }
    probe refused "$end: after the program"
done
probe_stop
grep -q 'pcsc_probe:' "$WORK/probe.out" && { cat "$WORK/probe.out"; fail "probe errors"; }
echo
echo "card state: nothing stays verified on the card after a program is done"
