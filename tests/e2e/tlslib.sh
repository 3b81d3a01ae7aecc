# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the TLS end-to-end tests (tls.sh, firefox.sh): a test server PKI
# and an `openssl s_server` that demands a TLS 1.2 client certificate from
# the card's authentication CA and logs the one that arrived. Sourced after
# lib.sh.

# tls_pki: a server CA and a certificate for localhost / 127.0.0.1 in
# $WORK/srv-ca.pem, $WORK/srv.pem, $WORK/srv.key.
tls_pki() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/O=jpki-pkcs11 e2e/CN=test server CA" \
        -keyout "$WORK/srv-ca.key" -out "$WORK/srv-ca.pem" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$WORK/srv.key" -out "$WORK/srv.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
        > "$WORK/srv.ext"
    openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/srv-ca.pem" -CAkey "$WORK/srv-ca.key" \
        -CAcreateserial -days 2 -extfile "$WORK/srv.ext" -out "$WORK/srv.pem" 2>/dev/null
    rm -f "$WORK/srv-ca.key" "$WORK/srv.csr"
}

# srv_start NAME CLIENT_CA [s_server options...]: a TLS 1.2 only server
# ($SRV_VERSIONS, "-tls1_2" unless set; "" lets it do TLS 1.3 too) on
# 127.0.0.1 (a free port, in $PORT) that requires a client certificate
# issued by CLIENT_CA, serves one connection and exits (unless
# SRV_NACCEPT="": browsers open speculative connections). It logs to
# $WORK/srv-NAME.log; without -www it prints the client certificate there.
# Its errors go to $WORK/srv-NAME.err: stdout is block-buffered, and error
# lines written in between would land inside a PEM block of the trace.
# Its standard input is a FIFO it holds open itself, so it never sees EOF.
srv_start() {
    name=$1 ca=$2; shift 2
    mkfifo "$WORK/srv-$name.in"
    # created here: the background shell may open it only after the first look
    : > "$WORK/srv-$name.log"
    # shellcheck disable=SC2086
    openssl s_server -accept 127.0.0.1:0 ${SRV_VERSIONS--tls1_2} ${SRV_NACCEPT--naccept 1} \
        -cert "$WORK/srv.pem" -key "$WORK/srv.key" \
        -Verify 1 -verify_return_error -CAfile "$ca" "$@" \
        0<>"$WORK/srv-$name.in" > "$WORK/srv-$name.log" 2> "$WORK/srv-$name.err" &
    SRV_PID=$!
    at_exit "kill $SRV_PID 2>/dev/null"
    i=0
    while :; do
        PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/srv-$name.log")
        [ -z "$PORT" ] || break
        i=$((i + 1))
        [ $i -lt 100 ] || { cat "$WORK/srv-$name.log"; fail "s_server $name did not start"; }
        sleep 0.1
    done
}

# srv_running: the server has not exited (a zombie has).
srv_running() {
    [ -r "/proc/$SRV_PID/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$SRV_PID/stat" 2>/dev/null
}

# srv_stop: wait up to 10 s for the server to finish its one connection,
# then stop it if it has not.
srv_stop() {
    i=0
    while srv_running && [ $i -lt 100 ]; do
        i=$((i + 1)); sleep 0.1
    done
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
}

# client_cert_in FILE OUT: the certificate printed after "Client
# certificate" in FILE (the server's log, or its -www page), as PEM in OUT.
# Fails when there is none.
client_cert_in() {
    sed -n '/^Client certificate/,/^-----END CERTIFICATE-----/p' "$1" |
        sed -n '/^-----BEGIN CERTIFICATE-----/,$p' > "$2"
    [ -s "$2" ]
}

# srv_saw_none NAME: the server NAME received no client certificate.
srv_saw_none() {
    if client_cert_in "$WORK/srv-$1.log" "$WORK/got-$1.pem"; then
        fail "$1: the server received a client certificate: $(openssl x509 -in "$WORK/got-$1.pem" -noout -subject)"
    fi
    echo "$1: the server received no client certificate"
}

# srv_saw NAME EXPECTED_PEM [FILE]: the server NAME received EXPECTED_PEM as
# the client certificate (found in FILE, by default its log), on TLS 1.2,
# signed with RSA PKCS#1 v1.5 when the log says how.
srv_saw() {
    name=$1 want=$2 src=${3:-$WORK/srv-$1.log}
    client_cert_in "$src" "$WORK/got-$name.pem" || {
        cat "$WORK/srv-$name.log"; fail "$name: the server received no client certificate"; }
    openssl x509 -in "$WORK/got-$name.pem" -outform DER > "$WORK/got-$name.der"
    openssl x509 -in "$want" -outform DER | cmp -s - "$WORK/got-$name.der" ||
        fail "$name: the server received another client certificate: $(openssl x509 -in "$WORK/got-$name.pem" -noout -subject -serial)"
    echo "$name: the server received $(openssl x509 -in "$WORK/got-$name.pem" -noout -subject -serial | tr '\n' ' ')"
    if grep -q '^Peer signature type:' "$src"; then
        grep -q '^Peer signature type: RSA$' "$src" || fail "$name: $(grep '^Peer signature type:' "$src")"
    fi
    if grep -q '^Protocol *:' "$src"; then
        grep -q '^ *Protocol *: TLSv1\.2$' "$src" || fail "$name: $(grep 'Protocol *:' "$src")"
    fi
}

# srv_received NAME EXPECTED_PEM: with -trace, the server NAME logs every
# certificate in the handshake as PEM; EXPECTED_PEM is among them (the
# server never sends a client's certificate, so it arrived), and the
# client's CertificateVerify used RSA PKCS#1 v1.5.
srv_received() {
    name=$1 want=$2
    openssl x509 -in "$want" -outform DER > "$WORK/want-$name.der"
    awk -v dir="$WORK" -v n="$name" '
        /^-----BEGIN CERTIFICATE-----$/ { f = sprintf("%s/trace-%s-%d.pem", dir, n, ++i); p = 1 }
        p { print > f }
        /^-----END CERTIFICATE-----$/ { p = 0; close(f) }' "$WORK/srv-$name.log"
    found=""
    for f in "$WORK/trace-$name"-*.pem; do
        [ -f "$f" ] || continue
        openssl x509 -in "$f" -outform DER | cmp -s - "$WORK/want-$name.der" && found=$f
    done
    [ -n "$found" ] || fail "$name: the card's certificate did not arrive at the server"
    echo "$name: the server received $(openssl x509 -in "$found" -noout -subject -serial | tr '\n' ' ')"
    grep -A1 '^ *CertificateVerify,' "$WORK/srv-$name.log" | grep 'Signature Algorithm' |
        tee "$WORK/cv-$name" | grep -q 'rsa_pkcs1_sha' || fail "$name: CertificateVerify: $(cat "$WORK/cv-$name")"
}
