/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * testutil.c - a test card per test, cheaply: one template card is
 * personalized per process (key generation is the slow part) and every
 * test gets a byte copy of it.
 *
 * Check runs each test in a forked child, and children exit through
 * atexit too: only the process that made the template may remove it.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "emu/emu.h"

static char tmpl_dir[4096];
static char tmpl_card[4200];
static char tmpl_pki[4300];
static pid_t tmpl_owner;
static unsigned copy_serial;

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_template(void)
{
    if (tmpl_dir[0] && getpid() == tmpl_owner)
        nftw(tmpl_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_template(void)
{
    if (tmpl_card[0])
        return 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpl_dir, sizeof tmpl_dir, "%s/jpki-test-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl_dir)) {
        fprintf(stderr, "testutil: mkdtemp %s: %s\n", tmpl_dir,
                strerror(errno));
        tmpl_dir[0] = '\0';
        return -1;
    }
    tmpl_owner = getpid();
    atexit(remove_template);
    snprintf(tmpl_card, sizeof tmpl_card, "%s/template.card", tmpl_dir);
    char err[512] = "";
    /* JPKI_TEST_CARD_KEY=ec-p384: every test card is of the ECDSA
     * generation (the conformance tests run on both kinds). */
    const char *kind = getenv("JPKI_TEST_CARD_KEY");
    emu_init_opts o = { .ec_p384 = kind && strcmp(kind, "ec-p384") == 0 };
    emu_rv rv = emu_personalize(tmpl_card, &o, err, sizeof err);
    if (rv != EMU_OK) {
        fprintf(stderr, "testutil: cannot make the template card: %s (%s)\n",
                err, emu_strerror(rv));
        tmpl_card[0] = '\0';
        return -1;
    }
    snprintf(tmpl_pki, sizeof tmpl_pki, "%s.pki", tmpl_card);
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out =
        in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    char buf[8192];
    ssize_t n = 0;
    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    int rc = (in >= 0 && out >= 0 && n == 0) ? 0 : -1;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "testutil: cannot copy %s to %s: %s\n", from, to,
                strerror(errno));
    return rc;
}

int tu_card_copy(char *buf, size_t buflen)
{
    if (!buf || make_template() != 0)
        return -1;
    /* The pid keeps copies made in different forked tests apart; the
     * emulator derives the lock file from this path, so each copy gets its
     * own "<copy>.lock". */
    int n = snprintf(buf, buflen, "%s/card-%ld-%u.card", tmpl_dir,
                     (long)getpid(), copy_serial++);
    if (n < 0 || (size_t)n >= buflen) {
        fprintf(stderr, "testutil: buffer too small for a card path\n");
        return -1;
    }
    return copy_file(tmpl_card, buf);
}

void tu_card_remove(const char *path)
{
    char lock[4300];
    if (!path)
        return;
    unlink(path);
    if ((size_t)snprintf(lock, sizeof lock, "%s.lock", path) < sizeof lock)
        unlink(lock);
}

const char *tu_template_pki_dir(void)
{
    return make_template() == 0 ? tmpl_pki : NULL;
}

int tu_verify_sha256(const unsigned char *cert, size_t cert_len,
                     const void *msg, size_t msg_len, const unsigned char *sig,
                     size_t sig_len)
{
    const unsigned char *p = cert;
    X509 *x = d2i_X509(NULL, &p, (long)cert_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = x && md &&
             EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
                                  X509_get0_pubkey(x)) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    X509_free(x);
    return ok;
}

int tu_card_set(const char *path, const char *key, const char *value)
{
    static char text[1 << 16];
    char line[8192];
    size_t n = 0, klen = strlen(key);
    unsigned char md[SHA256_DIGEST_LENGTH];
    int found = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f) && strncmp(line, "sha256 ", 7) != 0) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            snprintf(line, sizeof line, "%s %s\n", key, value);
            found = 1;
        }
        size_t ll = strlen(line);
        if (n + ll + 80 > sizeof text) {
            fclose(f);
            fprintf(stderr, "%s: image too large\n", path);
            return -1;
        }
        memcpy(text + n, line, ll);
        n += ll;
    }
    fclose(f);
    if (!found) {
        fprintf(stderr, "%s: no field %s\n", path, key);
        return -1;
    }
    SHA256((unsigned char *)text, n, md);
    n += (size_t)sprintf(text + n, "sha256 ");
    for (size_t i = 0; i < sizeof md; i++)
        n += (size_t)sprintf(text + n, "%02x", md[i]);
    text[n++] = '\n';
    if (!(f = fopen(path, "w")) || fwrite(text, 1, n, f) != n) {
        perror(path);
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int tu_rsa_pss_ok(void *pub, const unsigned char *hash,
                  const unsigned char *sig, size_t len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) == 1 &&
             EVP_PKEY_verify(ctx, sig, len, hash, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

int tu_log_count(const char *path, const char *a, const char *b)
{
    char line[512];
    int n = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, a) && (!b || strstr(line, b)))
            n++;
    fclose(f);
    return n;
}
