#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Console and desktop login with the card through PAM (libpam-pkcs11):
# pam_pkcs11 with the module, the test auth CA as its only trust anchor, and
# a digest mapping from the card's authentication certificate to a local
# user the test creates (and removes). pamtester authenticates that user
# with the PIN; pam_pkcs11 checks the chain and has the card sign a random
# challenge, which the card's own log shows. A wrong PIN is refused and the
# card counts the try; a user the certificate does not map to is refused.
# The PAM service is a file of the test's own under /etc/pam.d (removed at
# exit): no system service, no common-auth, is touched.
# JPKI_TEST_CARD_KEY=ec-p384 runs it on a card of the ECDSA generation
# (tests/e2e/pam_ec.sh): pam_pkcs11 checks an ECDSA signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cardlog.sh"
PATH="$PATH:/usr/sbin:/sbin"
need pamtester openssl useradd userdel
PAM_PKCS11=""
for d in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security \
         "/lib/$(gcc -print-multiarch 2>/dev/null)/security" /lib/security /lib64/security; do
    [ -f "$d/pam_pkcs11.so" ] && { PAM_PKCS11="$d/pam_pkcs11.so"; break; }
done
[ -n "$PAM_PKCS11" ] || missing "pam_pkcs11.so (libpam-pkcs11)"
# Users and /etc/pam.d are root's.
[ "$(id -u)" -eq 0 ] || missing "root, to add a test user and a PAM service"

START=$(date +%s)
card_init ${JPKI_TEST_CARD_KEY:+--key "$JPKI_TEST_CARD_KEY"}
T="timeout 60"

tries() { card_tries "$CARD" auth; }

step "a test user, the CA, the mapping and the PAM service"
USER_=jpkie2e$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$USER_" || fail "useradd $USER_"
at_exit "userdel $USER_ 2>/dev/null"
SERVICE=jpki-e2e-$$
at_exit "rm -f /etc/pam.d/$SERVICE"
mkdir "$WORK/cacerts"
cp "$CARD.pki/auth-ca.pem" "$WORK/cacerts/jpki-auth-ca.pem"
openssl rehash "$WORK/cacerts" 2>/dev/null || c_rehash "$WORK/cacerts" >/dev/null
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
DIGEST=$(openssl x509 -inform DER -in "$WORK/auth.der" -noout -fingerprint -sha1 | sed 's/.*=//')
echo "$DIGEST -> $USER_" > "$WORK/digest_mapping"
cat "$WORK/digest_mapping"
cat > "$WORK/pam_pkcs11.conf" <<EOF
pam_pkcs11 {
  nullok = false;
  debug = true;
  use_first_pass = false;
  try_first_pass = false;
  use_authtok = false;
  card_only = true;
  wait_for_card = false;
  use_pkcs11_module = jpki;
  pkcs11_module jpki {
    module = $MODULE;
    description = "JPKI (My Number Card)";
    slot_num = 0;
    ca_dir = $WORK/cacerts;
    crl_dir = $WORK/crls;
    support_threads = false;
    cert_policy = ca,signature;
    token_type = "My Number Card";
  }
  use_mappers = digest;
  mapper_search_path = $(dirname "$(find /lib /usr/lib -name openssh_mapper.so 2>/dev/null | head -n 1)");
  mapper digest {
    debug = false;
    module = internal;
    algorithm = "sha1";
    mapfile = file://$WORK/digest_mapping;
  }
}
EOF
mkdir "$WORK/crls"
printf 'auth required %s config_file=%s\n' "$PAM_PKCS11" "$WORK/pam_pkcs11.conf" > "/etc/pam.d/$SERVICE"
cat "/etc/pam.d/$SERVICE"

# pam USER PIN: pamtester authenticates USER on the test service, typing PIN.
pam() {
    echo "$2" | $T pamtester -v "$SERVICE" "$1" authenticate > "$WORK/pam.out" 2>&1
}

step "pamtester: the mapped user with the auth PIN"
v0=$(card_count auth-verify) s0=$(card_count signature)
pam "$USER_" 1234 || { cat "$WORK/pam.out"; fail "pamtester refused $USER_ with the right PIN"; }
grep -v '^DEBUG' "$WORK/pam.out" || true
grep -q "successfully authenticated" "$WORK/pam.out" || fail "pamtester did not say so"
[ $(($(card_count auth-verify) - v0)) -eq 1 ] || fail "expected one auth PIN VERIFY on the card"
[ $(($(card_count signature) - s0)) -ge 1 ] || fail "the card signed no challenge: pam_pkcs11 did not check the key"
[ "$(tries)" -eq 3 ] || fail "auth PIN: $(tries) tries left"

step "a wrong PIN: refused, and the card counts the try"
v0=$(card_count auth-verify) s0=$(card_count signature)
pam "$USER_" 1111 && { cat "$WORK/pam.out"; fail "pamtester accepted a wrong PIN"; }
grep -v '^DEBUG' "$WORK/pam.out" || true
grep -q 'Wrong smartcard PIN' "$WORK/pam.out" || fail "refused for another reason than the PIN"
[ $(($(card_count auth-verify) - v0)) -eq 1 ] || fail "expected one VERIFY for the wrong PIN"
[ "$(card_count signature)" -eq "$s0" ] || fail "the card signed with a wrong PIN"
[ "$(tries)" -eq 2 ] || fail "after a wrong PIN the card has $(tries) tries left, not 2"
echo "the card: $(tries) of 3 auth PIN tries left"

step "the right PIN again: accepted, and the counter is back to 3"
pam "$USER_" 1234 || { cat "$WORK/pam.out"; fail "pamtester refused the right PIN after a wrong one"; }
[ "$(tries)" -eq 3 ] || fail "auth PIN: $(tries) tries left after a good login"

step "a user the certificate does not map to is refused"
OTHER=jpkie2x$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$OTHER" || fail "useradd $OTHER"
at_exit "userdel $OTHER 2>/dev/null"
# pam_pkcs11 0.6.12 itself reads past a heap buffer (strchr) when no
# mapping matches: a sanitizer build's ASan runtime stops pamtester there,
# in pam_pkcs11's code. That check is turned off for this step only, so
# the step sees pam_pkcs11's answer rather than the crash.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_strchr=0" pam "$OTHER" 1234 &&
    { cat "$WORK/pam.out"; fail "pamtester let in $OTHER, who is not mapped"; }
grep -v '^DEBUG' "$WORK/pam.out" || true
grep -q 'No matching certificate found' "$WORK/pam.out" || fail "$OTHER was refused for another reason"
[ "$(tries)" -eq 3 ] || fail "auth PIN: $(tries) tries left"

printf '\nPASS: PAM login with the card (%ss)\n' "$(($(date +%s) - START))"
