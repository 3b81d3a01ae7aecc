/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * portal.c - a relying party: a small HTTPS server that lets a My Number
 * Card in by its user-authentication certificate.
 *
 *   portal --cert SRV.pem --key SRV.key --anchors DIR|FILE [--crl FILE]...
 *          [--port N] [--count N] [--allow-test-pki]
 *
 * TLS 1.2 only, on purpose: TLS 1.3 needs an RSA-PSS signature, which
 * today's card makes through its signature scheme P1 04 as far as one
 * public source shows, but a card that refuses it can still sign a TLS 1.2
 * handshake with PKCS#1 v1.5. A relying party that wants every card in
 * keeps TLS 1.2 until real cards have confirmed PSS (docs/card.md).
 * The handshake demands a client certificate; OpenSSL checks only that the
 * client holds its key (the CertificateVerify signature). Whether the
 * certificate may be trusted is the project's verify API's question
 * (src/jpki/verify.h): the chain to the anchors, the JPKI authentication
 * profile, and the CRLs given, read afresh for every connection. The
 * answer goes to the client (200 or 403 with the reason) and to stdout,
 * one line per connection:
 *
 *   accepted: subject=... serial=...
 *   refused: revoked: revoked (on a CRL, ...) subject=... serial=...
 *
 * Listens on 127.0.0.1 only; port 0 (the default) takes a free one, and
 * the first line on stdout says which: "listening on 127.0.0.1:PORT".
 * Serves connections one at a time, --count of them (0: for ever).
 * Only the authentication certificate is logged: its subject carries no
 * personal data.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "jpki/verify.h"

#define MAX_CRLS 16

typedef struct {
    const char *cert, *key, *anchors;
    const char *crls[MAX_CRLS];
    size_t n_crls;
    int port;
    long count;
    unsigned flags;
} portal_opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: portal --cert SRV.pem --key SRV.key --anchors DIR|FILE "
            "[--crl FILE]... [--port N] [--count N] [--allow-test-pki]\n");
    exit(2);
}

static void parse(int argc, char **argv, portal_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--allow-test-pki") == 0) {
            o->flags |= JPKI_VF_ALLOW_TEST_PKI;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "--cert") == 0)
            o->cert = v;
        else if (strcmp(a, "--key") == 0)
            o->key = v;
        else if (strcmp(a, "--anchors") == 0)
            o->anchors = v;
        else if (strcmp(a, "--crl") == 0 && o->n_crls < MAX_CRLS)
            o->crls[o->n_crls++] = v;
        else if (strcmp(a, "--port") == 0)
            o->port = atoi(v);
        else if (strcmp(a, "--count") == 0)
            o->count = atol(v);
        else
            usage();
    }
    if (!o->cert || !o->key || !o->anchors || o->port < 0 || o->port > 65535)
        usage();
}

/* Every client certificate is accepted here: verify.h judges it after the
 * handshake, with the reasons a user can be told. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    (void)ok;
    (void)ctx;
    return 1;
}

static SSL_CTX *make_ctx(const portal_opts *o, const jpki_anchors *anchors)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
        SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* The anchors' names in the CertificateRequest: clients that choose a
     * certificate by itself (browsers, NSS) pick the card's. */
    STACK_OF(X509) *certs = jpki_anchors_certs(anchors);
    for (int i = 0; i < sk_X509_num(certs); i++)
        SSL_CTX_add_client_CA(ctx, sk_X509_value(certs, i));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       accept_any);
    return ctx;
}

/* The verdict in one line (without a newline): the status and every
 * reason's name, and the revocation date. */
static void verdict(const jpki_vresult *r, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "%s:", jpki_vstatus_name(r->status));
    for (int why = 0; why < JPKI_VR_COUNT && n < len; why++)
        if (jpki_vresult_has(r, (jpki_vreason)why))
            n += (size_t)snprintf(out + n, len - n, " %s (%s)",
                                  jpki_vreason_name(why),
                                  jpki_vreason_text(why));
    if (r->revocation == JPKI_REV_REVOKED && n < len) {
        char when[32] = "?";
        time_t t = (time_t)r->revocation_date;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(out + n, len - n, ", revoked at %s", when);
    }
}

static void reply(SSL *ssl, int code, const char *text)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.0 %d %s\r\nContent-Type: "
                     "text/plain\r\nConnection: close\r\n\r\n%s\n",
                     code, code == 200 ? "OK" : "Forbidden", text);
    if (n > 0)
        SSL_write(ssl, buf, n < (int)sizeof buf ? n : (int)sizeof buf - 1);
}

/* One connection: handshake, the request's header, the check, the answer. */
static void serve(SSL_CTX *ctx, int fd, const portal_opts *o,
                  const jpki_anchors *anchors)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1) {
        printf("refused: no TLS 1.2 handshake with a client certificate\n");
        fflush(stdout);
        ERR_print_errors_fp(stderr);
        SSL_free(ssl);
        return;
    }
    char req[4096];
    size_t got = 0;
    while (got < sizeof req - 1) { /* up to the end of the header */
        int n = SSL_read(ssl, req + got, (int)(sizeof req - 1 - got));
        if (n <= 0)
            break;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    X509 *peer = SSL_get1_peer_certificate(ssl);
    jpki_vopts vo = { .anchors = anchors,
                      .crls = o->crls,
                      .n_crls = o->n_crls,
                      .purpose = JPKI_PURPOSE_AUTH,
                      .flags = o->flags | JPKI_VF_NO_CRL_CACHE };
    jpki_vresult r;
    memset(&r, 0, sizeof r);
    jpki_vstatus st =
        peer ? jpki_verify_x509(peer, &vo, &r) : JPKI_VS_BAD_INPUT;
    char who[700] = "", why[1500] = "";
    if (peer && r.chain_len > 0)
        snprintf(who, sizeof who, "subject=%s serial=%s", r.chain[0].subject,
                 r.chain[0].serial);
    if (st == JPKI_VS_VALID) {
        printf("accepted: %s\n", who);
        char text[800];
        snprintf(text, sizeof text, "welcome, %s", who);
        reply(ssl, 200, text);
    } else {
        verdict(&r, why, sizeof why);
        printf("refused: %s %s\n", why, who);
        reply(ssl, 403, why);
    }
    fflush(stdout);
    X509_free(peer);
    SSL_shutdown(ssl);
    SSL_free(ssl);
}

int main(int argc, char **argv)
{
    portal_opts o = { 0 };
    parse(argc, argv, &o);
    char err[512] = "";
    jpki_anchors *anchors = jpki_anchors_load(o.anchors, err, sizeof err);
    if (!anchors) {
        fprintf(stderr, "portal: anchors: %s\n", err);
        return 1;
    }
    SSL_CTX *ctx = make_ctx(&o, anchors);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)o.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (!ctx || s < 0 ||
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
        perror("portal: listen");
        if (s >= 0)
            close(s);
        SSL_CTX_free(ctx);
        jpki_anchors_free(anchors);
        return 1;
    }
    printf("listening on 127.0.0.1:%u\n", ntohs(sa.sin_port));
    fflush(stdout);
    for (long served = 0; o.count == 0 || served < o.count; served++) {
        int fd = accept(s, NULL, NULL);
        if (fd < 0) {
            perror("portal: accept");
            break;
        }
        serve(ctx, fd, &o, anchors);
        close(fd);
    }
    close(s);
    SSL_CTX_free(ctx);
    jpki_anchors_free(anchors);
    return 0;
}
