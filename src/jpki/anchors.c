/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * anchors.c - trust anchors: loading a directory of roots, and choosing
 * the root that issued a certificate. Every generation of a J-LIS CA has
 * the same subject name, so the choice is by key identifier, never by name
 * alone (docs/trust.md).
 */
#include "jpki/verify_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define ANCHOR_FILE_MAX (1L << 20)

#ifndef JPKI_ANCHORS_DIR
#define JPKI_ANCHORS_DIR "/usr/share/jpki-pkcs11/roots"
#endif

const char *jpki_anchors_default_dir(void)
{
    return JPKI_ANCHORS_DIR;
}

struct jpki_anchors {
    STACK_OF(X509) * certs;
};

X509 *jpki_x509_read(const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > (size_t)ANCHOR_FILE_MAX)
        return NULL;
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x && p != data + len) { /* trailing bytes: not one certificate */
        X509_free(x);
        return NULL;
    }
    if (!x) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    return x;
}

/* Every certificate of one file onto certs; returns how many. */
static int load_file(STACK_OF(X509) * certs, const char *path)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return 0;
    uint8_t *buf = malloc(ANCHOR_FILE_MAX);
    size_t len = buf ? fread(buf, 1, ANCHOR_FILE_MAX, f) : 0;
    fclose(f);
    int n = 0;
    if (len > 0 && len < (size_t)ANCHOR_FILE_MAX) {
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (x && p == buf + len) {
            if (sk_X509_push(certs, x))
                n++;
            else
                X509_free(x);
        } else {
            X509_free(x);
            BIO *b = BIO_new_mem_buf(buf, (int)len);
            while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
                if (!sk_X509_push(certs, x)) {
                    X509_free(x);
                    break;
                }
                n++;
            }
            BIO_free(b);
        }
    }
    ERR_clear_error();
    free(buf);
    return n;
}

typedef struct {
    STACK_OF(X509) * certs;
    int total;
} load_ctx;

static void load_one(const char *path, void *ctx)
{
    load_ctx *l = ctx;
    l->total += load_file(l->certs, path);
}

/* Regular files of dir in name order (deterministic choice among equals). */
static int load_dir(STACK_OF(X509) * certs, const char *dir)
{
    load_ctx l = { certs, 0 };
    return jpki_dir_files(dir, load_one, &l) == 0 ? l.total : -1;
}

jpki_anchors *jpki_anchors_load(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (!dir || !*dir) {
        snprintf(err, errlen, "no anchors directory given");
        return NULL;
    }
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    jpki_anchors *a = calloc(1, sizeof *a);
    if (!a || !(a->certs = sk_X509_new_null())) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int n = S_ISDIR(st.st_mode) ? load_dir(a->certs, dir)
                                : load_file(a->certs, dir);
    if (n <= 0) {
        snprintf(err, errlen, "%s: %s", dir,
                 n < 0 ? strerror(errno) : "no certificate found");
        jpki_anchors_free(a);
        return NULL;
    }
    return a;
}

STACK_OF(X509) * jpki_anchors_certs(const jpki_anchors *a)
{
    return a ? a->certs : NULL;
}

void jpki_anchors_free(jpki_anchors *a)
{
    if (a) {
        sk_X509_pop_free(a->certs, X509_free);
        free(a);
    }
}

static int valid_at(X509 *x, int64_t at)
{
    time_t t = (time_t)at;
    return X509_cmp_time(X509_get0_notBefore(x), &t) < 0 &&
           X509_cmp_time(X509_get0_notAfter(x), &t) > 0;
}

/* 1 if cand may have issued cert by its key identifiers, 0 if not. */
static int key_matches(X509 *cand, X509 *cert)
{
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cert);
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cand);
    if (akid)
        return skid && ASN1_OCTET_STRING_cmp(akid, skid) == 0;
    const ASN1_INTEGER *aserial = X509_get0_authority_serial(cert);
    if (aserial)
        return ASN1_INTEGER_cmp(aserial, X509_get0_serialNumber(cand)) == 0;
    EVP_PKEY *k = X509_get0_pubkey(cand);
    int ok = k && X509_verify(cert, k) == 1;
    ERR_clear_error();
    return ok;
}

X509 *jpki_anchors_find_issuer(const jpki_anchors *a, X509 *cert, int64_t at)
{
    X509 *best = NULL;
    if (!a || !cert)
        return NULL;
    for (int i = 0; i < sk_X509_num(a->certs); i++) {
        X509 *c = sk_X509_value(a->certs, i);
        if (X509_NAME_cmp(X509_get_subject_name(c),
                          X509_get_issuer_name(cert)) != 0 ||
            !key_matches(c, cert))
            continue;
        if (valid_at(c, at))
            return c;
        if (!best)
            best = c;
    }
    return best;
}
