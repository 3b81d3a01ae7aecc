#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Firefox ESR, headless, loads the module through an enterprise policy
# (examples/firefox-policies.json: SecurityDevices, and the preference to
# pick the client certificate by itself) and authenticates to a local
# server that demands a client certificate, on TLS 1.3 and on TLS 1.2; the
# server's handshake trace proves which certificate arrived and how it was
# signed (rsa_pss_rsae_sha256: the card signs RSA-PSS; ECDSA with the EC
# card), and the card's APDU log that the card made that signature.
#
# Headless Firefox cannot answer a PIN prompt, so the card sits in a
# simulated PIN-pad reader (emu init --pinpad): the token offers the
# protected authentication path and Firefox logs in with C_Login(NULL).
# Firefox logs into every token it can while looking for client
# certificates, the signature token too: the test shows that, and that
# JPKI_PKCS11_TOKENS=auth (or tokens = auth) keeps it to the one PIN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
need openssl certutil firefox-esr
# Firefox cannot start with the ASan runtime preloaded (it segfaults at
# once, before loading any module), so a sanitizer build cannot load its
# instrumented module into it. The normal build runs this test in full.
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    skip "firefox cannot run with the ASan runtime preloaded; this test runs in the normal build"
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
POLICY="$top_srcdir/examples/firefox-policies.json"
[ -f "$POLICY" ] || fail "no $POLICY"

START=$(date +%s)
firefox-esr --version
CARD="$WORK/card.img"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --pinpad --out "$CARD" >/dev/null
AUTH_CA="$CARD.pki/auth-ca.pem"
HOME="$WORK/home"; export HOME; mkdir -p "$HOME"
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
openssl x509 -inform DER -in "$WORK/auth.der" -out "$WORK/auth.pem"
tls_pki

# Firefox reads policies.json from its installation's distribution/ (or
# /etc/firefox-esr/policies/). The test does not touch either: it runs a
# private copy of the launcher, next to links to the rest of the
# installation, with its own distribution/.
FFDIR=$(dirname "$(readlink -f "$(command -v firefox-esr)")")
[ -f "$FFDIR/application.ini" ] || FFDIR=/usr/lib/firefox-esr
[ -f "$FFDIR/application.ini" ] || missing "the Firefox ESR installation directory"
mkdir "$WORK/ff" "$WORK/ff/distribution"
for f in "$FFDIR"/*; do
    case ${f##*/} in
    distribution) ;;
    firefox-esr|firefox-bin|firefox) cp "$f" "$WORK/ff/" ;;
    *) ln -s "$f" "$WORK/ff/" ;;
    esac
done
FIREFOX="$WORK/ff/$(basename "$(readlink -f "$(command -v firefox-esr)")")"
[ -x "$FIREFOX" ] || FIREFOX="$WORK/ff/firefox-esr"
# The shipped policy, with this build's module.
sed "s|\"/usr/local/lib/pkcs11/jpki-pkcs11.so\"|\"$MODULE\"|" "$POLICY" > "$WORK/ff/distribution/policies.json"
grep -q "\"$MODULE\"" "$WORK/ff/distribution/policies.json" || fail "the policy's module path was not replaced"

# firefox RUN: a fresh profile that trusts the test server's CA, one
# headless page load of the server under `timeout`, the APDU log in
# $WORK/apdu-RUN.log.
firefox() {
    run=$1
    prof="$WORK/profile-$run"
    mkdir "$prof"
    certutil -N -d "sql:$prof" --empty-password
    certutil -A -d "sql:$prof" -n "jpki e2e server CA" -t C,, -i "$WORK/srv-ca.pem"
    SRV_NACCEPT="" srv_start "$run" "$AUTH_CA" -www -trace
    s=$(date +%s)
    JPKI_EMU_LOG="$WORK/apdu-$run.log" MOZ_HEADLESS=1 timeout 60 "$FIREFOX" --headless --no-remote \
        --profile "$prof" --screenshot "$WORK/$run.png" "https://localhost:$PORT/" \
        > "$WORK/ff-$run.out" 2>&1 || { cat "$WORK/ff-$run.out"; grep -v "^ " "$WORK/srv-$run.log" | tail -20; tail -20 "$WORK/srv-$run.err"; fail "firefox ($run) failed or hung"; }
    echo "firefox ($run): $(($(date +%s) - s))s"
    kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
    [ -s "$WORK/$run.png" ] || fail "firefox ($run) took no screenshot"
    grep -q "JPKI (My Number Card)" "$prof/pkcs11.txt" || fail "the policy did not load the module"
}
# verifies RUN LC: how many PIN-pad VERIFY commands with a PIN of LC
# bytes the card saw (the log has lengths only, never a PIN).
verifies() {
    grep -c "INS=20 P1=00 P2=80 Lc=$2 " "$WORK/apdu-$1.log" || true
}

step "Firefox on TLS 1.3, the auth token only (JPKI_PKCS11_TOKENS=auth)"
SRV_VERSIONS="" JPKI_PKCS11_TOKENS=auth firefox auth
srv_proves auth TLSv1.3 rsa_pss_rsae_sha256 "$WORK/auth.pem"
card_signed auth "$WORK/apdu-auth.log" 04
[ "$(verifies auth 4)" -eq 1 ] || fail "expected one auth PIN-pad login, saw $(verifies auth 4)"
[ "$(verifies auth 6)" -eq 0 ] || fail "the sign token was logged into"

step "Firefox on TLS 1.2, both tokens: it logs into the signature token as well"
firefox both
srv_proves both TLSv1.2 rsa_pss_rsae_sha256 "$WORK/auth.pem"
card_signed both "$WORK/apdu-both.log" 04
[ "$(verifies both 4)" -eq 1 ] || fail "expected one auth PIN-pad login, saw $(verifies both 4)"
[ "$(verifies both 6)" -eq 1 ] ||
    fail "Firefox no longer logs into the sign token ($(verifies both 6) times): update the README"
echo "both tokens: Firefox asked the PIN pad for the signature PIN too"

step "Firefox with the EC card (ECDSA P-384), the auth token only: TLS 1.3, then TLS 1.2"
# ECDSA needs no RSA-PSS; TLS 1.3 binds P-384 to SHA-384, TLS 1.2 does
# not, and NSS then signs a SHA-256 hash (as tls_ec.sh shows for tstclnt).
CARD="$WORK/ec.img" AUTH_CA="$WORK/ec.img.pki/auth-ca.pem"
export JPKI_PKCS11_EMULATOR="$CARD"
"$TOOL" emu init --pinpad --key ec-p384 --out "$CARD" >/dev/null
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/ec.der" >/dev/null
openssl x509 -inform DER -in "$WORK/ec.der" -out "$WORK/ec.pem"
SRV_VERSIONS="" JPKI_PKCS11_TOKENS=auth firefox ec-13
srv_proves ec-13 TLSv1.3 ecdsa_secp384r1_sha384 "$WORK/ec.pem"
card_signed ec-13 "$WORK/apdu-ec-13.log" 00
JPKI_PKCS11_TOKENS=auth firefox ec-12
srv_proves ec-12 TLSv1.2 ecdsa_secp256r1_sha256 "$WORK/ec.pem"
card_signed ec-12 "$WORK/apdu-ec-12.log" 00

printf '\nPASS: Firefox ESR authenticated with the card (%ss)\n' "$(($(date +%s) - START))"
