/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_revcov.c - which CRL covers which certificate (src/jpki/revocation.c,
 * jpki_crl_covers): a certificate's CRL distribution points against a CRL's
 * issuingDistributionPoint, both fuzzed DER. A CRL without IDP covers
 * everything; one limited to CA certificates, attribute certificates, some
 * reasons, or indirect, covers no user certificate; one naming points
 * covers only a certificate with one of those directoryNames.
 * Input: a 2-byte big-endian length and the CRLDistributionPoints DER,
 * then the IDP DER (none at all if the input ends there).
 * FUZZ_WRITE_SEEDS=DIR writes seeds: a JPKI leaf's points with the
 * matching IDP, another partition's, and an onlyContainsCACerts one.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "emu/x509_profile.h"
#include "jpki/verify_priv.h"

static X509_NAME *partition(const char *cn)
{
    const rdn r[] = { { "C", "JP" },
                      { "O", "JPKI-TEST" },
                      { "OU", "CRL Distribution Points" },
                      { "CN", cn } };
    return emu_x509_name(r, 4);
}

static GENERAL_NAMES *dirname(const char *cn)
{
    GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *n = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(n, GEN_DIRNAME, partition(cn));
    sk_GENERAL_NAME_push(g, n);
    return g;
}

static void seed(const char *out, const char *name, const char *leaf_cn,
                 const char *crl_cn, int only_ca)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    dp->distpoint = DIST_POINT_NAME_new();
    dp->distpoint->type = 0;
    dp->distpoint->name.fullname = dirname(leaf_cn);
    sk_DIST_POINT_push(dps, dp);
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    idp->distpoint = DIST_POINT_NAME_new();
    idp->distpoint->type = 0;
    idp->distpoint->name.fullname = dirname(crl_cn);
    idp->onlyCA = only_ca;
    unsigned char *a = NULL, *b = NULL;
    int la = i2d_CRL_DIST_POINTS(dps, &a),
        lb = i2d_ISSUING_DIST_POINT(idp, &b);
    static uint8_t buf[4096];
    if (la <= 0 || lb <= 0 || 2 + (size_t)la + (size_t)lb > sizeof buf)
        abort();
    buf[0] = (uint8_t)(la >> 8);
    buf[1] = (uint8_t)la;
    memcpy(buf + 2, a, (size_t)la);
    memcpy(buf + 2 + la, b, (size_t)lb);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out, name);
    if (fz_write_file(path, buf, 2 + (size_t)la + (size_t)lb))
        abort();
    OPENSSL_free(a);
    OPENSSL_free(b);
    CRL_DIST_POINTS_free(dps);
    ISSUING_DIST_POINT_free(idp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *out = getenv("FUZZ_WRITE_SEEDS");
    if (out) {
        seed(out, "seed-same-partition", "Chiyoda-ku CRLDP",
             "Chiyoda-ku CRLDP", 0);
        seed(out, "seed-other-partition", "Chiyoda-ku CRLDP",
             "Minato-ku CRLDP", 0);
        seed(out, "seed-only-ca", "Chiyoda-ku CRLDP", "Chiyoda-ku CRLDP", 1);
    }
    return 0;
}

/* Is a directoryName of the points among names? (the slow way) */
static int named(const CRL_DIST_POINTS *dps, const GENERAL_NAMES *names)
{
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        for (int j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname);
             j++) {
            GENERAL_NAME *a =
                sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
            for (int k = 0;
                 a->type == GEN_DIRNAME && k < sk_GENERAL_NAME_num(names);
                 k++) {
                GENERAL_NAME *b = sk_GENERAL_NAME_value(names, k);
                if (GENERAL_NAME_cmp(a, b) == 0)
                    return 1;
            }
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    size_t want = fz_u16(&in), got;
    const uint8_t *cdp = fz_bytes(&in, want, &got);
    const unsigned char *p = cdp;
    CRL_DIST_POINTS *dps =
        got ? d2i_CRL_DIST_POINTS(NULL, &p, (long)got) : NULL;
    /* the IDP in a buffer of exactly its size, for ASan */
    size_t idp_len = in.n;
    uint8_t *idp = idp_len ? malloc(idp_len) : NULL;
    if (idp)
        memcpy(idp, in.p, idp_len);
    int c = jpki_crl_covers(dps, idp, idp_len);
    if (!idp && c != 1)
        abort(); /* no IDP: every certificate of the issuer */
    if (idp) {
        p = idp;
        ISSUING_DIST_POINT *x =
            d2i_ISSUING_DIST_POINT(NULL, &p, (long)idp_len);
        if (c && !x)
            abort(); /* an unreadable IDP covers nothing */
        if (c &&
            (x->onlyCA || x->onlyattr || x->onlysomereasons || x->indirectCRL))
            abort();
        if (c && x->distpoint &&
            (x->distpoint->type != 0 ||
             !named(dps, x->distpoint->name.fullname)))
            abort(); /* covered without a matching directoryName */
        if (!c && x && !x->onlyCA && !x->onlyattr && !x->onlysomereasons &&
            !x->indirectCRL &&
            (!x->distpoint || (x->distpoint->type == 0 &&
                               named(dps, x->distpoint->name.fullname))))
            abort(); /* refused although it names the certificate's point */
        ISSUING_DIST_POINT_free(x);
    }
    free(idp);
    CRL_DIST_POINTS_free(dps);
    return 0;
}
