# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the TLS end-to-end tests (tls.sh, tls_v15.sh, tls_ec.sh,
# firefox.sh, chromium.sh, idle.sh): a test server PKI, an `openssl
# s_server` that demands a client certificate from the card's
# authentication CA and traces every handshake message it sends and
# receives, and the checks that read that trace. Sourced after lib.sh.

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
# $WORK/srv-NAME.log, with the handshake trace (-trace) that srv_proves
# reads; without -www it prints the client certificate there as well.
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
        -Verify 1 -verify_return_error -CAfile "$ca" -trace "$@" \
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

# srv_trace NAME: reads the -trace log of server NAME. Writes the
# certificates the client sent (its Certificate messages) as
# $WORK/trace-NAME-N.pem, and $WORK/cv-NAME: one line per client
# CertificateVerify, "PROTOCOL SCHEME RESULT": the protocol of that
# handshake (from the server's ServerHello: TLSv1.2, or TLSv1.3 when it
# chose that in supported_versions), the signature scheme the client named
# (TLS name, e.g. rsa_pss_rsae_sha256), and "verified" when the server then
# read the client's Finished (it checks the CertificateVerify against the
# certificate's key first, and aborts on a bad signature), else "refused".
srv_trace() {
    rm -f "$WORK/trace-$1"-*.pem
    awk -v base="$WORK/trace-$1" -v cv="$WORK/cv-$1" '
        function settle(r) { if (pending != "") print pending, r > cv; pending = "" }
        /^Sent Record$/ { d = "sent"; incert = 0; next }
        /^Received Record$/ { d = "recv"; incert = 0; next }
        d == "sent" && /^ *ServerHello, Length=/ { settle("refused"); proto = "?" }
        d == "sent" && /^ *server_version=0x303 / { proto = "TLSv1.2" }
        d == "sent" && /^ *TLS 1\.3 \(772\)$/ { proto = "TLSv1.3" }
        d == "recv" && /^ *Certificate, Length=/ { incert = 1 }
        incert && /^-----BEGIN CERTIFICATE-----$/ { f = sprintf("%s-%d.pem", base, ++n); p = 1 }
        p { print > f }
        /^-----END CERTIFICATE-----$/ { if (p) close(f); p = 0 }
        d == "recv" && /^ *CertificateVerify, Length=/ { settle("refused"); want = 1; next }
        want && /^ *Signature Algorithm: / { pending = proto " " $3; want = 0 }
        d == "recv" && /^ *Finished, Length=/ { settle("verified") }
        END { settle("refused"); close(cv) }' "$WORK/srv-$1.log"
    touch "$WORK/cv-$1"
}

# srv_proves NAME PROTOCOL SCHEME EXPECTED_PEM: the trace of server NAME
# shows that EXPECTED_PEM (the card's certificate) arrived as the client
# certificate, and that every client CertificateVerify in it (one at
# least) was made on PROTOCOL with SCHEME and verified by the server
# against that certificate's key: so the card's key signed it.
srv_proves() {
    name=$1 proto=$2 scheme=$3 want=$4
    srv_trace "$name"
    openssl x509 -in "$want" -outform DER > "$WORK/want-$name.der"
    found=""
    for f in "$WORK/trace-$name"-*.pem; do
        [ -f "$f" ] || continue
        openssl x509 -in "$f" -outform DER | cmp -s - "$WORK/want-$name.der" && found=$f
    done
    [ -n "$found" ] || fail "$name: the card's certificate did not arrive at the server"
    [ -s "$WORK/cv-$name" ] || fail "$name: the client sent no CertificateVerify"
    grep -v "^$proto $scheme verified\$" "$WORK/cv-$name" > "$WORK/cv-$name.other" &&
        fail "$name: expected $proto $scheme verified; the trace has: $(tr '\n' ';' < "$WORK/cv-$name.other")"
    echo "$name: $(wc -l < "$WORK/cv-$name") x $proto CertificateVerify $scheme by $(openssl x509 -in "$found" -noout -subject -serial | tr '\n' ' ')"
}

# srv_received NAME EXPECTED_PEM: as srv_proves, on any protocol, with an
# RSA signature scheme (PKCS#1 v1.5 or PSS: browsers choose) or, from an EC
# card, an ECDSA one.
srv_received() {
    srv_trace "$1"
    sed -n 's/^\(TLSv1\.[23]\) \(rsa_p\|ecdsa_\)[a-z0-9_]*sha[0-9]* verified$/\1/p' "$WORK/cv-$1" | sort -u > "$WORK/cv-$1.protos"
    [ "$(wc -l < "$WORK/cv-$1.protos")" -eq 1 ] || fail "$1: CertificateVerify: $(tr '\n' ';' < "$WORK/cv-$1")"
    srv_proves "$1" "$(cat "$WORK/cv-$1.protos")" "$(awk 'NR == 1 { print $2 }' "$WORK/cv-$1")" "$2"
}

# card_signs LOG: the P1 of every signature command (INS 2A) in the
# emulator's APDU log LOG ($JPKI_EMU_LOG), one a line: which scheme the
# card was asked for (00 PKCS#1 v1.5 over a DigestInfo, 04 RSA-PSS over a
# SHA-256 hash; see docs/card.md).
card_signs() {
    sed -n 's/.* INS=2A P1=\([0-9A-F][0-9A-F]\) .*/\1/p' "$1"
}

# card_signed NAME LOG P1: the card signed exactly once for each client
# CertificateVerify in server NAME's trace (srv_proves first), each time
# with scheme P1: the signature the server checked came from the card.
card_signed() {
    n=$(wc -l < "$WORK/cv-$1")
    card_signs "$2" > "$WORK/p1-$1"
    [ "$(wc -l < "$WORK/p1-$1")" -eq "$n" ] ||
        fail "$1: $n CertificateVerify, but the card signed $(wc -l < "$WORK/p1-$1") times"
    grep -vx "$3" "$WORK/p1-$1" > /dev/null && fail "$1: the card was asked for P1 $(sort -u "$WORK/p1-$1" | tr '\n' ' '), expected $3"
    echo "$1: the card signed $n time(s), P1 $3"
}
