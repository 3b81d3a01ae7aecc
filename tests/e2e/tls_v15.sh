#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# TLS client authentication with a card that refuses RSA-PSS: the
# emulator's P1-00-only variant (emu init --sign-schemes v15-only) knows
# PKCS#1 v1.5 only and answers 6A86 to the PSS signature command.
#
# The first RSA-PSS request reaches the card once, fails cleanly
# (CKR_MECHANISM_INVALID, no extra PIN try), and the module remembers the
# refusal for the card: it no longer offers PSS, and asks the card no more.
# Then clients that ask the module what it can do (GnuTLS, NSS) fall back
# to PKCS#1 v1.5 in TLS 1.2 by themselves and send no certificate in TLS
# 1.3, which has no PKCS#1 v1.5 for RSA. OpenSSL does not ask: it needs
# the sigalgs workaround, examples/openssl-jpki.cnf, which keeps it on
# TLS 1.2 with PKCS#1 v1.5 (curl needs --tls-max 1.2 as well: it sets the
# highest protocol itself).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/tlsclients.sh"

step "a card that knows PKCS#1 v1.5 only"
tls_card --sign-schemes v15-only
"$TOOL" emu info "$CARD" | grep -q 'sign_schemes=v15-only' || fail "the card is not the v15-only variant"
# lists_pss: the module offers RSA-PSS for the card (a new process).
lists_pss() {
    $T pkcs11-tool --module "$MODULE" --slot 0 -M > "$WORK/mechs" 2>&1 || { cat "$WORK/mechs"; fail "pkcs11-tool -M"; }
    grep -q 'RSA-PKCS-PSS' "$WORK/mechs"
}
lists_pss || fail "before any refusal the module should offer RSA-PSS (it cannot know yet)"
tries0=$("$TOOL" emu info "$CARD" | sed -n 's/^auth PIN *\([0-9]*\) of.*/\1/p')

# refused NAME PATTERN CLIENT [options...]: CLIENT fails cleanly against
# the server NAME, saying PATTERN; the server received no certificate and
# the card made no signature.
refused() {
    _rn=$1 _rp=$2
    shift 2
    must_fail "$@" > "$WORK/$_rn.out" 2>&1 || { cat "$WORK/$_rn.out"; fail "$_rn: $1"; }
    srv_stop
    grep -q "$_rp" "$WORK/$_rn.out" || { cat "$WORK/$_rn.out"; fail "$_rn: $1 failed another way"; }
    grep "$_rp" "$WORK/$_rn.out" | head -n 1
    unsigned "$_rn"
}
MECH='PKCS#11 module:.*Mechanism invalid'
# falls_back NAME PATTERN CLIENT: on TLS 1.3 (server NAME-13) CLIENT sends
# no certificate, saying PATTERN; on TLS 1.2 (NAME-12) it signs with
# PKCS#1 v1.5 by itself.
falls_back() {
    SRV_VERSIONS="" serve "$1-13"
    refused "$1-13" "$2" "$3"
    serve "$1-12"
    "$3" > "$WORK/$1-12.out" 2>&1 || { cat "$WORK/$1-12.out"; fail "$1 on TLS 1.2"; }
    srv_stop
    proved "$1-12" TLSv1.2 rsa_pkcs1_sha256 00
}

step "OpenSSL s_client on TLS 1.3: the card refuses PSS once, the handshake fails cleanly"
SRV_VERSIONS="" serve o13
must_fail s_client > "$WORK/o13.out" 2>&1 || { cat "$WORK/o13.out"; fail "s_client on TLS 1.3"; }
srv_stop
grep -q 'PKCS#11 module:.*Mechanism invalid' "$WORK/o13.out" || { cat "$WORK/o13.out"; fail "s_client failed another way"; }
srv_saw_none o13
# The card was asked for P1 04 only, and said 6A86 each time: once with
# the key named by SFI in P2, and at most once more after a SELECT of the
# key (6A86 does not say whether the card refused P1 or P2). One login.
grep 'INS=2A ' "$WORK/apdu-o13.log" > "$WORK/sig-o13" || true
n=$(wc -l < "$WORK/sig-o13")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && ! grep -v 'INS=2A P1=04 .*SW=6A86$' "$WORK/sig-o13" ||
    fail "expected one or two PSS signature commands, all refused with 6A86: $(cat "$WORK/sig-o13")"
[ "$(grep -c 'INS=20 P1=00 P2=80 Lc=4 ' "$WORK/apdu-o13.log")" -eq 1 ] || fail "expected exactly one VERIFY"
tries=$("$TOOL" emu info "$CARD" | sed -n 's/^auth PIN *\([0-9]*\) of.*/\1/p')
[ "$tries" = "$tries0" ] || fail "the refusal cost a PIN try ($tries0 -> $tries)"
echo "$n P1 04 command(s), refused; one VERIFY; $tries PIN tries left"

step "a new process no longer offers RSA-PSS for this card"
! lists_pss || fail "the module still offers RSA-PSS after the card refused it"
SRV_VERSIONS="" serve o13-again
refused o13-again "$MECH" s_client
echo "OpenSSL asks for PSS again (it does not look); the module refuses it without the card"

step "OpenSSL on TLS 1.2 without the workaround: still RSA-PSS, still refused"
serve o12
refused o12 "$MECH" s_client

step "OpenSSL with OPENSSL_CONF=examples/openssl-jpki.cnf, against a TLS 1.3 server: TLS 1.2, PKCS#1 v1.5"
SRV_VERSIONS="" serve ocnf
OPENSSL_CONF="$CNF" s_client > "$WORK/ocnf.out" 2>&1 || { cat "$WORK/ocnf.out"; fail "s_client with $CNF"; }
srv_stop
proved ocnf TLSv1.2 rsa_pkcs1_sha256 00

step "OpenSSL s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 (TLS 1.2 server)"
serve osig
s_client -client_sigalgs RSA+SHA256:RSA+SHA384:RSA+SHA512 > "$WORK/osig.out" 2>&1 ||
    { cat "$WORK/osig.out"; fail "s_client with PKCS#1 v1.5 sigalgs"; }
srv_stop
proved osig TLSv1.2 rsa_pkcs1_sha256 00

if $CURL_RUNS; then
    step "curl: refused without the workaround; with OPENSSL_CONF and --tls-max 1.2, TLS 1.2 and PKCS#1 v1.5"
    SRV_VERSIONS="" serve curl-pss -www
    refused curl-pss "curl: (35) .*$MECH" curl_
    # curl sets the highest protocol itself (TLS 1.3 unless --tls-max),
    # over the file's MaxProtocol: on TLS 1.3 the file's PKCS#1 v1.5 sigalgs
    # leave it nothing to sign with, and it sends no certificate.
    SRV_VERSIONS="" serve curl-cnf13 -www
    curl_cnf() { OPENSSL_CONF="$CNF" curl_ "$@"; }
    refused curl-cnf13 'curl: (56) .*certificate required' curl_cnf
    SRV_VERSIONS="" serve curl-cnf -www
    curl_cnf --tls-max 1.2 > "$WORK/curl.out" || fail "curl --tls-max 1.2 with $CNF"
    srv_stop
    proved curl-cnf TLSv1.2 rsa_pkcs1_sha256 00
else
    echo "curl: not run with the ASan runtime preloaded; see the normal build"
fi

if $GNUTLS_RUNS; then
    step "gnutls-cli: TLS 1.3 sends no certificate (nothing to sign with), TLS 1.2 falls back to PKCS#1 v1.5"
    falls_back gnutls 'No certificate was sent to peer' gnutls_cli
else
    echo "gnutls-cli: not run with the ASan runtime preloaded; see the normal build"
fi

step "NSS tstclnt: the same as GnuTLS"
falls_back nss 'Failed to load a suitable client certificate' tstclnt_

printf '\nPASS: TLS client authentication with a card that refuses RSA-PSS (%ss)\n' "$(($(date +%s) - START))"
