/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crlx_simple.c - a STOP-GAP implementation of crl_index.h on OpenSSL's
 * X509_CRL, so that verification works and is tested before the real
 * index (branch h-crl: streaming parse, mmap'd cache) is merged. It keeps
 * the interface's promises on correctness (signature checked against the
 * issuers before any entry is believed, unsupported CRLs refused) but not
 * on scale: it loads the whole CRL and ignores cache_dir.
 * DELETE THIS FILE when crl_index.c is merged.
 */
#include "jpki/crl_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct jpki_crlx {
    X509_CRL *crl;
    jpki_crlx_info info;
    uint8_t *issuer_der;
};

const char *jpki_crlx_strerror(jpki_crlx_rv rv)
{
    switch (rv) {
    case JPKI_CRLX_OK: return "ok";
    case JPKI_CRLX_ERR_ARGS: return "bad arguments";
    case JPKI_CRLX_ERR_MEMORY: return "out of memory";
    case JPKI_CRLX_ERR_IO: return "cannot read the CRL file";
    case JPKI_CRLX_ERR_PARSE: return "not a CRL (truncated or garbage)";
    case JPKI_CRLX_ERR_ISSUER: return "no trusted issuer for this CRL";
    case JPKI_CRLX_ERR_SIGNATURE: return "the CRL's signature does not verify";
    case JPKI_CRLX_ERR_UNSUPPORTED: return "delta, indirect or unknown critical extension";
    }
    return "?";
}

static int64_t epoch(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

static int supported(const STACK_OF(X509_EXTENSION) *exts, const int *ok_nids)
{
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
        if (nid == NID_delta_crl)
            return 0;
        if (!X509_EXTENSION_get_critical(e))
            continue;
        int known = 0;
        for (const int *n = ok_nids; *n; n++)
            known |= *n == nid;
        if (!known)
            return 0;
    }
    return 1;
}

static jpki_crlx_rv check(X509_CRL *crl, STACK_OF(X509) *issuers, X509 **who)
{
    static const int crl_ok[] = { NID_issuing_distribution_point, NID_crl_number,
                                  NID_authority_key_identifier, 0 };
    static const int entry_ok[] = { NID_crl_reason, NID_invalidity_date, 0 };
    if (!supported(X509_CRL_get0_extensions(crl), crl_ok))
        return JPKI_CRLX_ERR_UNSUPPORTED;
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(rev); i++)
        if (!supported(X509_REVOKED_get0_extensions(sk_X509_REVOKED_value(rev, i)), entry_ok))
            return JPKI_CRLX_ERR_UNSUPPORTED;
    ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
    int indirect = idp && idp->indirectCRL;
    ISSUING_DIST_POINT_free(idp);
    if (indirect)
        return JPKI_CRLX_ERR_UNSUPPORTED;
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
    int candidates = 0;
    *who = NULL;
    for (int i = 0; !*who && i < sk_X509_num(issuers); i++) {
        X509 *c = sk_X509_value(issuers, i);
        if (X509_NAME_cmp(X509_get_subject_name(c), X509_CRL_get_issuer(crl)) != 0)
            continue;
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(c);
        if (akid && akid->keyid && (!skid || ASN1_OCTET_STRING_cmp(akid->keyid, skid) != 0))
            continue;
        candidates++;
        if (X509_CRL_verify(crl, X509_get0_pubkey(c)) == 1)
            *who = c;
    }
    AUTHORITY_KEYID_free(akid);
    ERR_clear_error();
    return *who ? JPKI_CRLX_OK : candidates ? JPKI_CRLX_ERR_SIGNATURE : JPKI_CRLX_ERR_ISSUER;
}

static jpki_crlx_rv build(X509_CRL *crl, const uint8_t *raw, size_t rawlen,
                          STACK_OF(X509) *issuers, jpki_crlx **out)
{
    X509 *who = NULL;
    jpki_crlx_rv rv = check(crl, issuers, &who);
    if (rv != JPKI_CRLX_OK) {
        X509_CRL_free(crl);
        return rv;
    }
    jpki_crlx *x = calloc(1, sizeof *x);
    unsigned char *spki = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(who), &spki);
    int m = i2d_X509_NAME(X509_CRL_get_issuer(crl), NULL);
    if (!x || n <= 0 || m <= 0 || !(x->issuer_der = malloc((size_t)m))) {
        OPENSSL_free(spki);
        free(x);
        X509_CRL_free(crl);
        return JPKI_CRLX_ERR_MEMORY;
    }
    unsigned char *q = x->issuer_der;
    i2d_X509_NAME(X509_CRL_get_issuer(crl), &q);
    x->crl = crl;
    x->info.issuer = x->issuer_der;
    x->info.issuer_len = (size_t)m;
    x->info.this_update = epoch(X509_CRL_get0_lastUpdate(crl));
    x->info.next_update = epoch(X509_CRL_get0_nextUpdate(crl));
    int i = X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
    if (i >= 0) {
        ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_CRL_get_ext(crl, i));
        x->info.idp = ASN1_STRING_get0_data(d);
        x->info.idp_len = (size_t)ASN1_STRING_length(d);
    }
    EVP_Digest(spki, (size_t)n, x->info.issuer_spki_sha256, NULL, EVP_sha256(), NULL);
    EVP_Digest(raw, rawlen, x->info.crl_sha256, NULL, EVP_sha256(), NULL);
    x->info.entries = (uint64_t)sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
    OPENSSL_free(spki);
    *out = x;
    return JPKI_CRLX_OK;
}

jpki_crlx_rv jpki_crlx_open_mem(const uint8_t *data, size_t len, STACK_OF(X509) *issuers,
                                jpki_crlx **out)
{
    if (!data || !out || len > INT32_MAX)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    const unsigned char *p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl && p != data + len) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    if (!crl) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    ERR_clear_error();
    if (!crl)
        return JPKI_CRLX_ERR_PARSE;
    return build(crl, data, len, issuers, out);
}

jpki_crlx_rv jpki_crlx_open(const char *path, STACK_OF(X509) *issuers, const char *cache_dir,
                            jpki_crlx **out)
{
    (void)cache_dir;
    if (!path || !out)
        return JPKI_CRLX_ERR_ARGS;
    *out = NULL;
    FILE *f = fopen(path, "rbe");
    if (!f)
        return JPKI_CRLX_ERR_IO;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *nb = cap < (1u << 30) ? realloc(buf, cap *= 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return JPKI_CRLX_ERR_MEMORY;
    jpki_crlx_rv rv = err ? JPKI_CRLX_ERR_IO : jpki_crlx_open_mem(buf, len, issuers, out);
    free(buf);
    return rv;
}

const jpki_crlx_info *jpki_crlx_get_info(const jpki_crlx *x)
{
    return x ? &x->info : NULL;
}

jpki_crlx_rv jpki_crlx_lookup(const jpki_crlx *x, const uint8_t *serial, size_t serial_len,
                              jpki_crlx_entry *out)
{
    if (!x || !serial || !out || serial_len == 0 || serial_len > 126)
        return JPKI_CRLX_ERR_ARGS;
    uint8_t der[128];
    der[0] = 0x02;
    der[1] = (uint8_t)serial_len;
    memcpy(der + 2, serial, serial_len);
    const unsigned char *p = der;
    ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, (long)serial_len + 2);
    if (!ai)
        return JPKI_CRLX_ERR_ARGS;
    X509_REVOKED *r = NULL;
    memset(out, 0, sizeof *out);
    out->reason = -1;
    if (X509_CRL_get0_by_serial(x->crl, &r, ai) == 1 && r) {
        out->revoked = 1;
        out->revocation_date = epoch(X509_REVOKED_get0_revocationDate(r));
        ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
        if (e)
            out->reason = (int)ASN1_ENUMERATED_get(e);
        ASN1_ENUMERATED_free(e);
    }
    ASN1_INTEGER_free(ai);
    ERR_clear_error();
    return JPKI_CRLX_OK;
}

void jpki_crlx_close(jpki_crlx *x)
{
    if (x) {
        X509_CRL_free(x->crl);
        free(x->issuer_der);
        free(x);
    }
}
