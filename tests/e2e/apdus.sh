#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Card round trips, through pcscd + vpcd with the emulator as the
# card: the pkcs11-tool flows with OpenSC's opensc-pkcs11.so and with our
# module, in the same run, on the same card. Asserted (counts are
# deterministic, unlike times): our APDUs with no cache are at most half of
# OpenSC's in every flow; with a warm cache, -L and -O on the auth token do
# no READ BINARY; signing with the auth key in a warm process is the floor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pcscd.sh"
. "$(dirname "$0")/flows.sh"
need pkcs11-tool awk timeout
need_vpcd

use_opensc
unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
export JPKI_PKCS11_CACHE="$WORK/cache"
empty_cache() { rm -rf "$WORK/cache"; }

CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" >/dev/null

step "pcscd and the card in a virtual reader"
pcscd_start
emu_serve "$CARD"

step "OpenSC's flows"
run_flows opensc "$OPENSC"
step "our flows, no cache"
run_flows cold "$MODULE" empty_cache
step "our flows, warm cache"
empty_cache
run_flows prime "$MODULE"
run_flows warm "$MODULE"
emu_stop

step "figures (APDUs the card answered)"
cat "$FLOWS"
flow_table

step "assertions"
for f in "-L" "-O auth" "-O --login sign" "sign auth" "sign sign"; do
    o=$(flow_get opensc "$f" 3) c=$(flow_get cold "$f" 3)
    [ "$o" -gt 0 ] || fail "$f: OpenSC sent no APDU?"
    [ $((2 * c)) -le "$o" ] || fail "$f: $c APDUs with no cache, more than half of OpenSC's $o"
    echo "ok: $f: $c APDUs cold <= $o / 2"
    # one VERIFY for a flow that logs in, none for one that does not
    case $f in -L|"-O auth") want=0 ;; *) want=1 ;; esac
    [ "$(flow_get cold "$f" 7)" -eq $want ] ||
        fail "$f: $(flow_get cold "$f" 7) VERIFYs, expected $want"
done
# Warm, no certificate is read. The one READ BINARY allowed is the look at
# the token-info label (32 bytes) that replaces a SELECT of the JPKI-AP when
# it is already current (a re-select could end another program's login).
for f in "-L" "-O auth" "sign auth"; do
    [ "$(flow_get warm "$f" 4)" -le 1 ] && [ "$(flow_get warm "$f" 5)" -le 32 ] ||
        fail "$f: a certificate read with a warm cache"
    echo "ok: $f: no certificate read warm"
done
# Signing with the auth key in a new process, warm: SELECT AP, PIN status
# for C_GetTokenInfo (select PIN file + query), select PIN file + VERIFY
# (another program may have selected another file between our two
# transactions: a VERIFY is never sent to a file we did not just select),
# the signature with the key named by SFI in P2 (no SELECT of the key),
# SELECT AP at logout: 7.
[ "$(flow_get warm "sign auth" 3)" -le 7 ] ||
    fail "sign auth warm: $(flow_get warm "sign auth" 3) APDUs, the floor is 7"
[ "$(flow_get warm "sign sign" 6)" -eq 1 ] || fail "sign sign: not one signature"
echo "round trips: all assertions passed"
