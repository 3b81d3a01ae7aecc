/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * revocation.c - the leaf against CRL files (verify.h): each CRL opened
 * through the CRL index (crl_index.h), which checks its signature against
 * the anchors before any entry is believed; then the questions the index
 * leaves to us:
 *   - issuer: the CRL counts only if the key that verified it is the key
 *     that issued the leaf (every generation of a CA has the same name);
 *   - partition: the leaf's CRL distribution point (a directoryName) must
 *     appear in the CRL's issuingDistributionPoint; a CRL without one
 *     covers every certificate of its issuer;
 *   - time: a CRL whose thisUpdate is after the check time is not usable,
 *     one past its nextUpdate, or without one, is stale (a state of its
 *     own, not "good");
 *   - an entry revoked after the check time did not revoke it then.
 * Problems with CRLs that do not cover the leaf are reported as reasons;
 * they change the verdict only when no usable CRL covers the leaf.
 */
#include "jpki/verify_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "jpki/crl_index.h"

const char *jpki_crl_cache_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/jpki-pkcs11/crl", xdg);
    else if (home && home[0] == '/')
        n = snprintf(buf, len, "%s/.cache/jpki-pkcs11/crl", home);
    else
        return NULL;
    return n > 0 && (size_t)n < len ? buf : NULL;
}

/* ---- what the leaf says ------------------------------------------------- */

typedef struct {
    uint8_t serial[64]; /* INTEGER content octets */
    size_t serial_len;
    uint8_t issuer_spki[32]; /* SHA-256 of the issuer's SubjectPublicKeyInfo */
    CRL_DIST_POINTS *dps;    /* the leaf's distribution points, or NULL */
} leaf_facts;

static int get_facts(X509 *leaf, X509 *issuer, leaf_facts *f)
{
    memset(f, 0, sizeof *f);
    unsigned char *der = NULL, *spki = NULL;
    int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &der);
    int ok = n > 2 && der[1] < 0x80 && (size_t)der[1] == (size_t)n - 2 &&
             (size_t)n - 2 <= sizeof f->serial;
    if (ok) {
        f->serial_len = (size_t)n - 2;
        memcpy(f->serial, der + 2, f->serial_len);
    }
    OPENSSL_free(der);
    int m = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
    ok = ok && m > 0 &&
         EVP_Digest(spki, (size_t)m, f->issuer_spki, NULL, EVP_sha256(), NULL);
    OPENSSL_free(spki);
    f->dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
    return ok;
}

/* Is one of the leaf's directoryName distribution points among names? */
static int dp_listed(const CRL_DIST_POINTS *dps, const GENERAL_NAMES *names)
{
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        const GENERAL_NAMES *mine = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(mine); j++) {
            const GENERAL_NAME *a = sk_GENERAL_NAME_value(mine, j);
            for (int k = 0; k < sk_GENERAL_NAME_num(names); k++) {
                const GENERAL_NAME *b = sk_GENERAL_NAME_value(names, k);
                if (a->type == GEN_DIRNAME && b->type == GEN_DIRNAME &&
                    X509_NAME_cmp(a->d.directoryName, b->d.directoryName) == 0)
                    return 1;
            }
        }
    }
    return 0;
}

int jpki_crl_covers(const CRL_DIST_POINTS *dps, const uint8_t *idp_der,
                    size_t idp_len)
{
    if (!idp_der)
        return 1;
    const unsigned char *p = idp_der;
    ISSUING_DIST_POINT *idp = d2i_ISSUING_DIST_POINT(NULL, &p, (long)idp_len);
    int ok = 0;
    if (idp && !idp->onlyCA && !idp->onlyattr && !idp->onlysomereasons &&
        !idp->indirectCRL) {
        if (!idp->distpoint)
            ok = 1;
        else if (idp->distpoint->type == 0)
            ok = dp_listed(dps, idp->distpoint->name.fullname);
    }
    ISSUING_DIST_POINT_free(idp);
    ERR_clear_error();
    return ok;
}

/* ---- the CRL files ------------------------------------------------------ */

typedef struct {
    int revoked, fresh, stale; /* what was found so far */
    int64_t fresh_this_update;
} rev_state;

static void note_crl_error(jpki_vresult *r, const char *path, jpki_crlx_rv rv)
{
    jpki_vreason why;
    switch (rv) {
    case JPKI_CRLX_ERR_SIGNATURE: why = JPKI_VR_CRL_BAD_SIGNATURE; break;
    case JPKI_CRLX_ERR_ISSUER: why = JPKI_VR_CRL_WRONG_ISSUER; break;
    case JPKI_CRLX_ERR_UNSUPPORTED: why = JPKI_VR_CRL_UNSUPPORTED; break;
    default: why = JPKI_VR_CRL_UNREADABLE; break;
    }
    jpki_vadd(r, why);
    snprintf(r->crl_error, sizeof r->crl_error, "%s: %s", path,
             jpki_crlx_strerror(rv));
}

static void use_crl(const char *path, STACK_OF(X509) * issuers,
                    const char *cache, const leaf_facts *f, jpki_vresult *r,
                    rev_state *s)
{
    jpki_crlx *x = NULL;
    jpki_crlx_rv rv = jpki_crlx_open(path, issuers, cache, &x);
    if (rv != JPKI_CRLX_OK) {
        note_crl_error(r, path, rv);
        return;
    }
    const jpki_crlx_info *info = jpki_crlx_get_info(x);
    if (memcmp(info->issuer_spki_sha256, f->issuer_spki, 32) != 0 ||
        !jpki_crl_covers(f->dps, info->idp, info->idp_len)) {
        jpki_crlx_close(x); /* another CA, generation or partition */
        return;
    }
    if (info->this_update > r->at) {
        jpki_vadd(r, JPKI_VR_CRL_NOT_YET_VALID);
        snprintf(r->crl_error, sizeof r->crl_error,
                 "%s: issued after the check time", path);
        jpki_crlx_close(x);
        return;
    }
    /* Without a nextUpdate nobody promised when a newer list comes: such a
     * CRL may be years old, so it can never be current. Stale, like one
     * past its nextUpdate (JPKI_VF_ALLOW_STALE_CRL accepts both). */
    int stale = !info->next_update || r->at > info->next_update;
    jpki_crlx_entry e;
    rv = jpki_crlx_lookup(x, f->serial, f->serial_len, &e);
    if (rv != JPKI_CRLX_OK) {
        note_crl_error(r, path, rv);
    } else if (e.revoked && e.revocation_date <= r->at) {
        if (!s->revoked) {
            s->revoked = 1;
            r->revocation_date = e.revocation_date;
            r->revocation_reason = e.reason;
            snprintf(r->crl_path, sizeof r->crl_path, "%s", path);
            r->crl_this_update = info->this_update;
            r->crl_next_update = info->next_update;
        }
    } else if (!s->revoked &&
               (stale
                    ? !s->fresh && !s->stale
                    : !s->fresh || info->this_update > s->fresh_this_update)) {
        /* the best "not listed" so far: current beats stale, newer beats
         * older */
        if (stale)
            s->stale = 1;
        else
            s->fresh = 1, s->stale = 0,
            s->fresh_this_update = info->this_update;
        snprintf(r->crl_path, sizeof r->crl_path, "%s", path);
        r->crl_this_update = info->this_update;
        r->crl_next_update = info->next_update;
    }
    jpki_crlx_close(x);
}

typedef struct {
    STACK_OF(X509) * issuers;
    const char *cache;
    const leaf_facts *f;
    jpki_vresult *r;
    rev_state *s;
} dir_ctx;

static void use_one(const char *path, void *ctx)
{
    dir_ctx *c = ctx;
    use_crl(path, c->issuers, c->cache, c->f, c->r, c->s);
}

/* A directory: every regular file in it, in name order. */
static void use_dir(const char *dir, STACK_OF(X509) * issuers,
                    const char *cache, const leaf_facts *f, jpki_vresult *r,
                    rev_state *s)
{
    dir_ctx c = { issuers, cache, f, r, s };
    if (jpki_dir_files(dir, use_one, &c) != 0)
        note_crl_error(r, dir, JPKI_CRLX_ERR_IO);
}

void jpki_check_revocation(X509 *leaf, X509 *issuer,
                           const jpki_anchors *anchors, const jpki_vopts *o,
                           jpki_vresult *r)
{
    leaf_facts f;
    r->revocation = JPKI_REV_UNKNOWN;
    if (!issuer || !get_facts(leaf, issuer, &f)) {
        if (issuer)
            CRL_DIST_POINTS_free(f.dps);
        ERR_clear_error();
        return;
    }
    STACK_OF(X509) *issuers = sk_X509_dup(jpki_anchors_certs(anchors));
    if (issuers && sk_X509_find(issuers, issuer) < 0 &&
        !sk_X509_push(issuers, issuer)) {
        sk_X509_free(issuers);
        issuers = NULL;
    }
    char cbuf[4096];
    const char *cache = (o->flags & JPKI_VF_NO_CRL_CACHE) ? NULL
                        : o->crl_cache_dir
                            ? o->crl_cache_dir
                            : jpki_crl_cache_dir(cbuf, sizeof cbuf);
    rev_state s = { 0 };
    for (size_t i = 0; issuers && i < o->n_crls; i++) {
        struct stat st;
        if (o->crls[i] && stat(o->crls[i], &st) == 0 && S_ISDIR(st.st_mode))
            use_dir(o->crls[i], issuers, cache, &f, r, &s);
        else
            use_crl(o->crls[i] ? o->crls[i] : "(null)", issuers, cache, &f, r,
                    &s);
    }
    sk_X509_free(issuers);
    CRL_DIST_POINTS_free(f.dps);
    ERR_clear_error();
    if (s.revoked) {
        r->revocation = JPKI_REV_REVOKED;
        jpki_vadd(r, JPKI_VR_REVOKED);
    } else if (s.fresh) {
        r->revocation = JPKI_REV_GOOD;
    } else if (s.stale) {
        jpki_vadd(r, JPKI_VR_CRL_STALE);
        r->revocation = (o->flags & JPKI_VF_ALLOW_STALE_CRL)
                            ? JPKI_REV_GOOD
                            : JPKI_REV_GOOD_STALE;
    } else {
        jpki_vadd(r, JPKI_VR_CRL_MISSING);
    }
}
