#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The speed benchmark (run by `make bench` under the machine's
# pcscd lock; alone: top_builddir=BUILD flock /tmp/jpki-pcscd.lock bench/run.sh).
#
# 1. The pkcs11-tool flows with OpenSC's opensc-pkcs11.so and with our
#    module, on the same emulated card through pcscd + vpcd: APDUs, bytes
#    read, ratios, and the time a user would wait on a real card (computed
#    from the counts with src/emu/latency.c's model, no sleeping).
# 2. p11bench (per-call times) on both modules through pcscd: wall time.
# 3. p11bench on our module with the in-process emulator: host time (the
#    card's own time, from the emulator's log, subtracted).
# Figures are printed, never asserted.
d=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(pwd)}"
export top_builddir
. "$d/../tests/e2e/lib.sh"
. "$d/../tests/e2e/pcscd.sh"
. "$d/../tests/e2e/flows.sh"
need pkcs11-tool awk timeout
need_vpcd
SIGS=${BENCH_SIGNATURES:-1000}
P11BENCH="$top_builddir/bench/p11bench"
[ -x "$P11BENCH" ] || fail "build bench/p11bench first (make bench)"
use_opensc
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC JPKI_EMU_LOG
export JPKI_PKCS11_CACHE="$WORK/cache"
empty_cache() { rm -rf "$WORK/cache"; }

CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(uname -sr); OpenSC $(dpkg-query -W -f '${Version}' opensc-pkcs11 2>/dev/null || echo '?')"
pcscd_start >/dev/null
emu_serve "$CARD" >/dev/null

run_flows opensc "$OPENSC"
run_flows cold "$MODULE" empty_cache
empty_cache
run_flows prime "$MODULE"
run_flows warm "$MODULE"
printf '\n## pkcs11-tool flows through pcscd + vpcd (APDUs the card answered)\n\n'
flow_table

printf '\n## per call, through pcscd + vpcd (wall time; card time included)\n\n'
"$P11BENCH" "$OPENSC" 200 || echo "(OpenSC: p11bench failed)"
echo
"$P11BENCH" "$MODULE" 200
emu_stop

printf '\n## per call, our module with the in-process emulator (host time)\n\n'
"$TOOL" emu init --out "$WORK/inproc.img" >/dev/null
JPKI_PKCS11_PCSC=off JPKI_PKCS11_EMULATOR="$WORK/inproc.img" JPKI_PKCS11_CACHE=off \
    JPKI_EMU_LOG="$WORK/inproc.log" JPKI_EMU_LOG_LOAD=1 "$P11BENCH" "$MODULE" "$SIGS"
