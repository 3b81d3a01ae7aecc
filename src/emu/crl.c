/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl.c - revoke a test card's certificate and write its CA's CRL.
 *
 * The CRL is shaped like J-LIS's: DER, v2, signed sha256WithRSA (an EC
 * card's CA: ecdsa-with-SHA384) by the CA that issued the leaf, a CRL number, thisUpdate/nextUpdate a day apart,
 * AKI = the CA's SKI (which generation signed it, since every generation has
 * the same name), and an issuingDistributionPoint equal to the leaves'
 * per-municipality CRL distribution point, as a partitioned CRL must have.
 * Entries carry the reason keyCompromise. Each revocation rewrites the
 * whole CRL atomically, keeping the earlier entries.
 */
#include "common/fileutil.h"
#include "emu/error.h"
#include "emu/crl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "emu/image.h"
#include "emu/sign_ec.h"

static int add_entry(X509_CRL *crl, const ASN1_INTEGER *serial, time_t when)
{
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_TIME *t = ASN1_TIME_set(NULL, when);
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    int ok = r && t && reason &&
             X509_REVOKED_set_serialNumber(r, (ASN1_INTEGER *)serial) &&
             X509_REVOKED_set_revocationDate(r, t) &&
             ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE) &&
             X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) == 1 &&
             X509_CRL_add0_revoked(crl, r);
    if (!ok)
        X509_REVOKED_free(r);
    ASN1_TIME_free(t);
    ASN1_ENUMERATED_free(reason);
    return ok;
}

/* Copy prev's entries; *listed = 1 if serial is among them. */
static int copy_entries(X509_CRL *crl, const X509_CRL *prev,
                        const ASN1_INTEGER *serial, int *listed)
{
    STACK_OF(X509_REVOKED) *old =
        prev ? X509_CRL_get_REVOKED((X509_CRL *)prev) : NULL;
    *listed = 0;
    for (int i = 0; i < sk_X509_REVOKED_num(old); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(old, i);
        if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(r), serial) == 0)
            *listed = 1;
        X509_REVOKED *dup = X509_REVOKED_dup(r);
        if (!dup || !X509_CRL_add0_revoked(crl, dup)) {
            X509_REVOKED_free(dup);
            return 0;
        }
    }
    return 1;
}

static int add_crl_number(X509_CRL *crl, const X509_CRL *prev)
{
    long next = 1;
    ASN1_INTEGER *n =
        prev ? X509_CRL_get_ext_d2i(prev, NID_crl_number, NULL, NULL) : NULL;
    if (n)
        next = ASN1_INTEGER_get(n) + 1;
    ASN1_INTEGER_free(n);
    n = ASN1_INTEGER_new();
    int ok = n && next > 0 && ASN1_INTEGER_set(n, next) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0) == 1;
    ASN1_INTEGER_free(n);
    return ok;
}

static int add_aki(X509_CRL *crl, X509 *ca)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    int ok = ext && X509_CRL_add_ext(crl, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* The leaf's first CRL distribution point name, moved into the IDP. */
static int add_idp(X509_CRL *crl, X509 *leaf)
{
    CRL_DIST_POINTS *dps =
        X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
    DIST_POINT *dp = sk_DIST_POINT_value(dps, 0);
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    int ok = dp && dp->distpoint && idp;
    if (ok) {
        idp->distpoint = dp->distpoint;
        dp->distpoint = NULL;
        ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1,
                                   0) == 1;
    }
    ISSUING_DIST_POINT_free(idp);
    CRL_DIST_POINTS_free(dps);
    return ok;
}

X509_CRL *emu_crl_next(X509 *ca, EVP_PKEY *ca_key, const X509_CRL *prev,
                       const ASN1_INTEGER *serial, X509 *idp_from)
{
    time_t now = time(NULL);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *this_update = ASN1_TIME_set(NULL, now);
    ASN1_TIME *next_update = ASN1_TIME_set(NULL, now + EMU_CRL_HOURS * 3600L);
    int listed = 0;
    int ok = crl && this_update && next_update &&
             X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
             X509_CRL_set1_lastUpdate(crl, this_update) &&
             X509_CRL_set1_nextUpdate(crl, next_update) &&
             copy_entries(crl, prev, serial, &listed) &&
             (listed || add_entry(crl, serial, now)) && X509_CRL_sort(crl) &&
             add_aki(crl, ca) && add_crl_number(crl, prev) &&
             (!idp_from || add_idp(crl, idp_from)) &&
             X509_CRL_sign(crl, ca_key, emu_ca_md(ca_key)) > 0;
    ASN1_TIME_free(this_update);
    ASN1_TIME_free(next_update);
    if (!ok) {
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

/* ---- emu_revoke --------------------------------------------------------- */

static X509 *read_pem_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static EVP_PKEY *read_pem_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return k;
}

/* The CRL at path; *prev NULL if there is none yet. */
static emu_rv read_prev_crl(const char *path, EVP_PKEY *ca_key,
                            X509_CRL **prev, char *err, size_t errlen)
{
    *prev = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT
                   ? EMU_OK
                   : emu_fail(EMU_ERR_IO, err, errlen, "%s: cannot open: %s",
                              path, strerror(errno));
    *prev = d2i_X509_CRL_fp(f, NULL);
    fclose(f);
    if (!*prev || X509_CRL_verify(*prev, ca_key) != 1) {
        X509_CRL_free(*prev);
        *prev = NULL;
        return emu_fail(EMU_ERR_FORMAT, err, errlen,
                        "%s: not a DER CRL of this CA", path);
    }
    return EMU_OK;
}

/* Atomically, mode 0644: a CRL is public. */
static emu_rv write_crl(const char *path, X509_CRL *crl, char *err,
                        size_t errlen)
{
    unsigned char *der = NULL;
    int len = i2d_X509_CRL(crl, &der);
    const char *why = "cannot encode the CRL";
    int ok = len > 0 &&
             fu_replace_path(path, der, (size_t)len, 0644, NULL, &why) == 0;
    int e = errno;
    OPENSSL_free(der);
    return ok ? EMU_OK
              : emu_fail(EMU_ERR_IO, err, errlen, "%s: %s: %s", path, why,
                         strerror(e));
}

emu_rv emu_revoke(const char *image_path, int which, char *err, size_t errlen)
{
    if (!image_path || (which != 0 && which != 1))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "emu_revoke: bad arguments");
    const char *stem = which ? "sign-ca" : "auth-ca";
    char ca_path[4200], key_path[4200], crl_path[4200];
    snprintf(ca_path, sizeof ca_path, "%s.pki/%s.pem", image_path, stem);
    snprintf(key_path, sizeof key_path, "%s.pki/%s.key", image_path, stem);
    snprintf(crl_path, sizeof crl_path, "%s.pki/%s.crl", image_path, stem);
    emu_image img;
    emu_rv rv = emu_image_load(image_path, &img, NULL, err, errlen);
    if (rv != EMU_OK)
        return rv;
    int f = which ? EMU_FILE_SIGN_CERT : EMU_FILE_AUTH_CERT;
    const unsigned char *p = img.file[f];
    X509 *leaf = d2i_X509(NULL, &p, (long)img.file_len[f]);
    emu_image_clear(&img);
    X509 *ca = read_pem_cert(ca_path);
    EVP_PKEY *key = read_pem_key(key_path);
    X509_CRL *prev = NULL, *crl = NULL;
    if (!leaf)
        rv = emu_fail(EMU_ERR_FORMAT, err, errlen,
                      "%s: unreadable certificate", image_path);
    else if (!ca || !key)
        rv = emu_fail(EMU_ERR_IO, err, errlen,
                      "%s, %s: cannot read the test CA", ca_path, key_path);
    else if (X509_check_private_key(ca, key) != 1 ||
             X509_verify(leaf, key) != 1)
        rv = emu_fail(EMU_ERR_FORMAT, err, errlen,
                      "%s: the card's certificate was not issued "
                      "by this CA",
                      ca_path);
    else if ((rv = read_prev_crl(crl_path, key, &prev, err, errlen)) ==
             EMU_OK) {
        crl = emu_crl_next(ca, key, prev, X509_get0_serialNumber(leaf), leaf);
        rv = crl ? write_crl(crl_path, crl, err, errlen)
                 : emu_fail(EMU_ERR_CRYPTO, err, errlen,
                            "%s: cannot make the CRL", crl_path);
    }
    X509_CRL_free(crl);
    X509_CRL_free(prev);
    EVP_PKEY_free(key);
    X509_free(ca);
    X509_free(leaf);
    return rv;
}
