#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSSH with the card's authentication key, end to end: ssh-keygen -D
# lists the keys; an sshd of the test's own on 127.0.0.1 (own port, host
# key, configuration and authorized_keys; stopped at exit) lets in
# `ssh -I MODULE` with the PIN from SSH_ASKPASS, and then ssh through
# ssh-agent (ssh-add -s). With the card pulled out (the emulator's image
# renamed away) the agent fails cleanly, spends no PIN try, and works again
# once the card is back and the provider re-added (ssh-add -e, -s).
# sshd's own log proves each login: the accepted key's fingerprint is the
# card's, and its signature algorithm is rsa-sha2-256 or rsa-sha2-512
# (never ssh-rsa/SHA-1). JPKI_TEST_CARD_KEY=ec-p384 runs it on a card of the
# ECDSA generation (tests/e2e/ssh_ec.sh): ecdsa-sha2-nistp384 keys and
# signatures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cardlog.sh"
PATH="$PATH:/usr/sbin:/sbin"
need ssh ssh-keygen ssh-agent ssh-add python3
command -v sshd >/dev/null 2>&1 || missing "sshd (openssh-server)"
SSHD=$(command -v sshd)
# sshd refuses to start but as root (privilege separation); CI runs as root.
[ "$(id -u)" -eq 0 ] || missing "root, to start a test sshd"

START=$(date +%s)
ssh -V
card_init ${JPKI_TEST_CARD_KEY:+--key "$JPKI_TEST_CARD_KEY"}
# The card's key type as OpenSSH names it, in key lines and in sshd's log,
# and the signature algorithms sshd may see.
case "${JPKI_TEST_CARD_KEY:-rsa2048}" in
    rsa2048) SSH_KEY=ssh-rsa SSH_KT=RSA SSH_SIGS='rsa-sha2-\(256\|512\)' ;;
    ec-p384) SSH_KEY=ecdsa-sha2-nistp384 SSH_KT=ECDSA SSH_SIGS='ecdsa-sha2-nistp384' ;;
    *) fail "unknown JPKI_TEST_CARD_KEY=$JPKI_TEST_CARD_KEY" ;;
esac
T="timeout 60"
ME=$(id -un)

tries() { card_tries "$CARD" auth; }
verifies() { card_count auth-verify; }

step "ssh-keygen -D: the card's keys"
$T ssh-keygen -D "$MODULE" > "$WORK/keys" || fail "ssh-keygen -D"
cat "$WORK/keys"
[ "$(grep -c "^$SSH_KEY " "$WORK/keys")" -eq 3 ] || fail "expected three keys: the auth key and the two CAs' keys"
grep ' User Authentication Public Key$' "$WORK/keys" > "$WORK/auth.pub" || fail "no line for the authentication key"
[ "$(wc -l < "$WORK/auth.pub")" -eq 1 ] || fail "more than one authentication key"
# It is the key of the card's authentication certificate.
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$WORK/auth.der" >/dev/null
openssl x509 -inform DER -in "$WORK/auth.der" -pubkey -noout > "$WORK/auth-cert.pub"
ssh-keygen -i -m PKCS8 -f "$WORK/auth-cert.pub" > "$WORK/auth-cert.ssh"
[ "$(cut -d' ' -f2 "$WORK/auth.pub")" = "$(cut -d' ' -f2 "$WORK/auth-cert.ssh")" ] ||
    fail "the line named User Authentication is not the certificate's key"
FPR=$(ssh-keygen -lf "$WORK/auth.pub" | cut -d' ' -f2)
echo "authentication key: $FPR"

step "sshd on 127.0.0.1, a port of its own"
mkdir -p /run/sshd       # the privilege separation directory sshd insists on
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
cp "$WORK/auth.pub" "$WORK/authorized_keys"
# A port the kernel gives a socket of ours, closed just before sshd binds it
# (sshd cannot listen on port 0 and say where): tried again if taken.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SSHD_PID=""
sshd_stop() {
    [ -n "$SSHD_PID" ] || return 0
    kill "$SSHD_PID" 2>/dev/null
    wait "$SSHD_PID" 2>/dev/null
    SSHD_PID=""
}
at_exit sshd_stop
for attempt in 1 2 3; do
    PORT=$(free_port)
    cat > "$WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1:$PORT
HostKey $WORK/host_key
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $ME
LogLevel DEBUG3
EOF
    # sshd never loads the module: not with a sanitizer build's ASan runtime.
    env -u LD_PRELOAD "$SSHD" -t -f "$WORK/sshd_config" || fail "sshd rejects the test configuration"
    : > "$WORK/sshd.log"
    env -u LD_PRELOAD "$SSHD" -D -e -f "$WORK/sshd_config" 2>> "$WORK/sshd.log" &
    SSHD_PID=$!
    i=0
    while kill -0 "$SSHD_PID" 2>/dev/null && ! grep -q "Server listening on 127.0.0.1 port $PORT" "$WORK/sshd.log"; do
        i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
    done
    grep -q "Server listening on 127.0.0.1 port $PORT" "$WORK/sshd.log" && break
    sshd_stop
    [ "$attempt" -lt 3 ] || { tail -20 "$WORK/sshd.log"; fail "sshd did not start"; }
done
echo "sshd: pid $SSHD_PID on 127.0.0.1:$PORT"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$WORK/host_key.pub")" > "$WORK/known_hosts"
# The client's own configuration only (-F): no ~/.ssh/config, no system one.
cat > "$WORK/ssh_config" <<EOF
Host jpki-test
    HostName 127.0.0.1
    Port $PORT
    User $ME
    UserKnownHostsFile $WORK/known_hosts
    StrictHostKeyChecking yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    BatchMode no
    ConnectTimeout 20
EOF
# The PIN comes from SSH_ASKPASS, a program that prints it.
printf '#!/bin/sh\necho 1234\n' > "$WORK/askpass"
chmod 700 "$WORK/askpass"
export SSH_ASKPASS="$WORK/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY="${DISPLAY:-:0}"

# slog: sshd's log (-e writes CR LF line ends).
slog() { tr -d '\r' < "$WORK/sshd.log"; }
# accepted N: sshd's log holds N logins, each with the card's key and an
# rsa-sha2-256/512 signature. sshd logs a line, then the login; give it time.
accepted() {
    i=0
    while [ "$(slog | grep -c 'Accepted publickey')" -lt "$1" ] && [ $i -lt 50 ]; do
        i=$((i + 1)); sleep 0.1
    done
    n=$(slog | grep -c "^Accepted publickey for $ME from 127.0.0.1 port [0-9]* ssh2: $SSH_KT $FPR\$" || true)
    [ "$n" -eq "$1" ] || { slog | grep 'Accepted\|Failed\|userauth' | tail; fail "sshd: expected $1 logins with $FPR, saw $n"; }
    slog | grep 'Accepted publickey' | tail -n 1
}
# sigalgs: the algorithms of the signatures sshd verified, one per line.
sigalgs() {
    slog | sed -n "s/.*userauth_pubkey: .* have \([a-z0-9@.-]*\) signature for $SSH_KT .*/\1/p"
}

step "ssh -I MODULE, PIN from SSH_ASKPASS"
v0=$(verifies)
$T ssh -F "$WORK/ssh_config" -I "$MODULE" jpki-test 'echo logged-in-as-$(id -un)' \
    < /dev/null > "$WORK/ssh1.out" 2> "$WORK/ssh1.err" || { cat "$WORK/ssh1.err"; tail -30 "$WORK/sshd.log"; fail "ssh -I"; }
cat "$WORK/ssh1.out"
grep -qx "logged-in-as-$ME" "$WORK/ssh1.out" || fail "the remote command did not run"
accepted 1
[ $(($(verifies) - v0)) -eq 1 ] || fail "expected one auth PIN VERIFY, saw $(($(verifies) - v0))"
sigalgs | tee "$WORK/algs"
[ -s "$WORK/algs" ] || fail "sshd's log shows no signature algorithm"
grep -qv "^$SSH_SIGS\$" "$WORK/algs" && fail "a signature other than $SSH_SIGS"

step "ssh-agent: ssh-add -s MODULE, then ssh"
# ssh-agent loads only providers on its allow list (-P): the built module.
AGENT_PID=""
agent_stop() { [ -z "$AGENT_PID" ] || { kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; }; }
at_exit agent_stop
export SSH_AUTH_SOCK="$WORK/agent.sock"
# Debian's ssh-agent is setgid, so the loader drops LD_PRELOAD and its
# helper (ssh-pkcs11-helper, which loads the module) would miss a sanitizer
# build's ASan runtime: that build runs a copy without the setgid bit.
AGENT=ssh-agent
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    cp "$(command -v ssh-agent)" "$WORK/ssh-agent"
    AGENT="$WORK/ssh-agent"
fi
"$AGENT" -D -a "$SSH_AUTH_SOCK" -P "$MODULE" > "$WORK/agent.log" 2>&1 &
AGENT_PID=$!
i=0
while [ ! -S "$SSH_AUTH_SOCK" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "ssh-agent did not start"; sleep 0.1; done
v0=$(verifies)
$T ssh-add -s "$MODULE" < /dev/null || { cat "$WORK/agent.log"; fail "ssh-add -s"; }
$T ssh-add -l | tee "$WORK/agent-keys"
grep -q "$FPR" "$WORK/agent-keys" || fail "the agent does not hold the card's authentication key"
agent_ssh() {
    $T ssh -F "$WORK/ssh_config" -o PKCS11Provider=none jpki-test 'echo via-agent' < /dev/null
}
agent_ssh > "$WORK/ssh2.out" 2> "$WORK/ssh2.err" || { cat "$WORK/ssh2.err" "$WORK/agent.log"; fail "ssh through the agent"; }
grep -qx via-agent "$WORK/ssh2.out" || fail "the remote command did not run (agent)"
accepted 2
[ $(($(verifies) - v0)) -eq 1 ] || fail "expected one auth PIN VERIFY through the agent, saw $(($(verifies) - v0))"

step "card removed: the agent fails cleanly"
mv "$CARD" "$CARD.out"
rc=0
agent_ssh > "$WORK/ssh3.out" 2> "$WORK/ssh3.err" || rc=$?
cat "$WORK/ssh3.err"
[ "$rc" -eq 255 ] || fail "ssh with the card removed: expected exit 255, got $rc"
grep -q via-agent "$WORK/ssh3.out" && fail "logged in with the card removed"
accepted 2
kill -0 "$AGENT_PID" 2>/dev/null || fail "ssh-agent died with the card removed"
$T ssh-add -l > /dev/null 2>&1 || [ $? -eq 1 ] || fail "the agent no longer answers"

step "card back: ssh-add -e and -s, then ssh"
mv "$CARD.out" "$CARD"
[ "$(tries)" -eq 3 ] || fail "a PIN try was spent: $(tries) left"
$T ssh-add -e "$MODULE" < /dev/null || fail "ssh-add -e"
v0=$(verifies)
$T ssh-add -s "$MODULE" < /dev/null || { cat "$WORK/agent.log"; fail "ssh-add -s after the card came back"; }
agent_ssh > "$WORK/ssh4.out" 2> "$WORK/ssh4.err" || { cat "$WORK/ssh4.err"; fail "ssh after the card came back"; }
grep -qx via-agent "$WORK/ssh4.out" || fail "the remote command did not run (card back)"
accepted 3
[ $(($(verifies) - v0)) -eq 1 ] || fail "expected one auth PIN VERIFY after re-adding"
[ "$(tries)" -eq 3 ] || fail "PIN tries: $(tries) left, not 3"

step "sshd verified these signatures"
sigalgs > "$WORK/algs"
sort "$WORK/algs" | uniq -c
[ "$(grep -c . "$WORK/algs")" -ge 3 ] || fail "fewer than three verified signatures in sshd's log"
grep -qv "^$SSH_SIGS\$" "$WORK/algs" && fail "a signature other than $SSH_SIGS"

printf '\nPASS: OpenSSH logins with the card (%ss)\n' "$(($(date +%s) - START))"
