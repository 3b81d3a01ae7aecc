#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What an idle browser costs the card: Firefox ESR, headless, with the
# module in its profile (modutil, as a user would add it) and the default
# configuration (both tokens), authenticates once to a local TLS 1.2 server
# (through the simulated PIN pad: it logs in to the authentication token)
# and then sits idle for 60 s. The card's own APDU log counts what the idle
# minute cost: at most 6 APDUs per idle minute, and no SELECT of the JPKI
# application (on a contactless reader every APDU costs time and power,
# and a SELECT can end the logins). Firefox ESR 153 made no slot, token,
# session, slot-event or object-search call into the module while idle
# (seen once with a build that logged them); a browser that polls, or a
# module that asks the card by itself, shows here.
# JPKI_TEST_IDLE_SECONDS shortens the idle time for a quick look; the limit
# scales with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/cardlog.sh"
need openssl certutil modutil firefox-esr
# As in firefox.sh: Firefox does not start with the ASan runtime preloaded.
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    echo "idle: Firefox cannot run with the ASan runtime preloaded; this test runs in the normal build"
    exit 0
fi
IDLE=${JPKI_TEST_IDLE_SECONDS:-60}
MAX_PER_MIN=6
LIMIT=$(((MAX_PER_MIN * IDLE + 59) / 60))

START=$(date +%s)
firefox-esr --version
card_init --pinpad
HOME="$WORK/home"; export HOME; mkdir -p "$HOME"
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
tls_pki

step "a profile with the module (modutil) and automatic certificate choice"
PROF="$WORK/profile"
mkdir "$PROF"
certutil -N -d "sql:$PROF" --empty-password
certutil -A -d "sql:$PROF" -n "jpki e2e server CA" -t C,, -i "$WORK/srv-ca.pem"
echo | modutil -dbdir "sql:$PROF" -add "JPKI (My Number Card)" -libfile "$MODULE" -force > /dev/null
cat > "$PROF/user.js" <<'EOF'
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("app.update.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
EOF

step "Firefox opens the page, logging in through the PIN pad"
# Headless Firefox logs in through the PIN pad in its screenshot mode only
# (in its full headless mode the protected-authentication dialog hangs
# the handshake), and that mode exits once the page has loaded. So the
# server (no -www) reads the request and never answers: the page stays
# loading and Firefox stays up, logged in, with nothing else to do.
SRV_NACCEPT="" srv_start idle "$CARD.pki/auth-ca.pem" -trace
: > "$WORK/apdu.log"
MOZ_HEADLESS=1 firefox-esr --headless --no-remote --profile "$PROF" --screenshot "$WORK/idle.png" \
    "https://localhost:$PORT/" > "$WORK/ff.out" 2>&1 &
FF_PID=$!
ff_stop() { kill "$FF_PID" 2>/dev/null; wait "$FF_PID" 2>/dev/null || true; }
at_exit ff_stop
# The login and the page: the server saw the card's certificate.
i=0
until grep -q '^GET / HTTP/1.1' "$WORK/srv-idle.log" 2>/dev/null &&
      [ "$(card_count auth-verify)" -gt 0 ]; do
    i=$((i + 1))
    kill -0 "$FF_PID" 2>/dev/null || { cat "$WORK/ff.out"; fail "Firefox exited"; }
    [ $i -lt 600 ] || { cat "$WORK/ff.out"; fail "Firefox did not authenticate within 60 s"; }
    sleep 0.1
done
sleep 5      # whatever Firefox does after sending the request
srv_received idle "$WORK/auth.pem"
[ "$(card_count auth-verify)" -eq 1 ] || fail "not one auth PIN-pad login"
echo "logged in: $(wc -l < "$WORK/apdu.log") APDUs so far"

step "idle for $IDLE s"
n0=$(wc -l < "$WORK/apdu.log")
sleep "$IDLE"
kill -0 "$FF_PID" 2>/dev/null || { cat "$WORK/ff.out"; fail "Firefox exited while idle"; }
tail -n +$((n0 + 1)) "$WORK/apdu.log" > "$WORK/idle.log"
APDUS=$(wc -l < "$WORK/idle.log")
SELECTS=$(grep -c 'INS=A4 ' "$WORK/idle.log" || true)
SELECT_AP=$(grep -c 'INS=A4 P1=04 ' "$WORK/idle.log" || true)
ff_stop
echo "idle $IDLE s: $APDUS APDUs ($SELECTS SELECTs, $SELECT_AP of the application); limit $LIMIT"
awk '{print $3, $4, $5, $6}' "$WORK/idle.log" | sort | uniq -c
[ "$APDUS" -le "$LIMIT" ] || fail "$APDUS APDUs in $IDLE idle seconds: more than $MAX_PER_MIN a minute"
[ "$SELECT_AP" -eq 0 ] || fail "the application was selected $SELECT_AP times while logged in and idle"

printf '\nPASS: an idle Firefox cost the card %s APDUs in %s s (%ss)\n' "$APDUS" "$IDLE" "$(($(date +%s) - START))"
