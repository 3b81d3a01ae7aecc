/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify.h - the relying party's question: can this JPKI certificate be
 * trusted, for this purpose, at this time?
 *
 * One call checks a leaf certificate against trust anchors (the issuing
 * root chosen by authority/subject key identifier, since every generation
 * of a J-LIS CA has the same name), with OpenSSL for signatures, validity
 * and constraints, then the JPKI profile (key usage, policies), then
 * revocation against CRL files through the CRL index (crl_index.h). Every
 * problem found is reported, not just the first. Used by the PKCS#11
 * module (src/pkcs11/trust.c), by "jpki-tool verify" and by servers.
 *
 *   anchors.c     loading anchor directories, choosing the issuer
 *   verify.c      the chain and the profile, the result
 *   revocation.c  CRLs: partition matching, freshness, lookup
 */
#ifndef JPKI_VERIFY_H
#define JPKI_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* ---- trust anchors (anchors.c) ------------------------------------------ */

/* Where "make install" puts the six J-LIS roots ($(datadir)/jpki-pkcs11/
 * roots): the default anchors. */
const char *jpki_anchors_default_dir(void);

typedef struct jpki_anchors jpki_anchors;

/* Loads every certificate (PEM, several per file allowed, or DER) from the
 * regular files of dir, or from dir itself if it is a file; files holding
 * no certificate (keys, CRLs, READMEs) are skipped. NULL on failure, or
 * when nothing was found, with the reason in err. */
jpki_anchors *jpki_anchors_load(const char *dir, char *err, size_t errlen);
/* The certificates, owned by the anchors. */
STACK_OF(X509) * jpki_anchors_certs(const jpki_anchors *a);
void jpki_anchors_free(jpki_anchors *a);

/* The anchor that issued cert: same subject name as cert's issuer, and
 * SKI equal to cert's AKI keyid (or, without a keyid, the AKI's issuer
 * serial, or failing both, the anchor whose key verifies cert). Among
 * several candidates one valid at `at` wins. NULL if none. */
X509 *jpki_anchors_find_issuer(const jpki_anchors *a, X509 *cert, int64_t at);

/* ---- verification ------------------------------------------------------- */

typedef enum {
    JPKI_PURPOSE_AUTH =
        0, /* user authentication: digitalSignature, clientAuth */
    JPKI_PURPOSE_SIGN = 1, /* signature: digitalSignature + nonRepudiation */
} jpki_purpose;

/* JPKI certificate policies. */
#define JPKI_POLICY_AUTH "1.2.392.200149.8.5.1.3.30"
#define JPKI_POLICY_SIGN "1.2.392.200149.8.5.1.1.20"
#define JPKI_POLICY_SIGN_TEST "1.2.392.200149.8.5.1.0.20" /* test cards */

enum {
    JPKI_VF_ALLOW_TEST_PKI = 1 << 0,  /* accept the test cards' policy */
    JPKI_VF_ALLOW_STALE_CRL = 1 << 1, /* a CRL past nextUpdate, or without one,
                                       * still counts as good */
    JPKI_VF_NO_CRL_CACHE = 1 << 2,    /* build CRL indexes in memory only */
};

/* Every reason a check can give. Bits of jpki_vresult.reasons. */
typedef enum {
    JPKI_VR_BAD_INPUT = 0, /* the certificate is not readable DER/PEM */
    JPKI_VR_NO_ANCHORS,    /* the anchors could not be loaded */
    JPKI_VR_NO_ISSUER,     /* no anchor has the issuer's name and key id */
    JPKI_VR_BAD_SIGNATURE, /* a signature in the chain does not verify */
    JPKI_VR_NOT_YET_VALID, /* the leaf, before its notBefore */
    JPKI_VR_EXPIRED,       /* the leaf, after its notAfter */
    JPKI_VR_ISSUER_NOT_YET_VALID,
    JPKI_VR_ISSUER_EXPIRED,    /* the root has expired at the check time */
    JPKI_VR_ISSUER_NOT_CA,     /* the issuer lacks CA:TRUE or keyCertSign */
    JPKI_VR_LEAF_IS_CA,        /* the leaf claims CA:TRUE */
    JPKI_VR_KEY_USAGE,         /* keyUsage missing or wrong for the purpose */
    JPKI_VR_EXT_KEY_USAGE,     /* auth without extendedKeyUsage clientAuth */
    JPKI_VR_POLICY,            /* the purpose's JPKI policy is missing */
    JPKI_VR_POLICY_TEST,       /* a test-card policy, not allowed */
    JPKI_VR_CRITICAL_EXT,      /* an unknown critical extension */
    JPKI_VR_CHAIN_OTHER,       /* another OpenSSL verification error
                                  * (its text in openssl_error) */
    JPKI_VR_REVOKED,           /* on a CRL, revoked at or before the time */
    JPKI_VR_CRL_STALE,         /* the covering CRL is past its nextUpdate,
                                  * or has no nextUpdate */
    JPKI_VR_CRL_MISSING,       /* CRLs given, none covers the partition */
    JPKI_VR_CRL_NOT_YET_VALID, /* a covering CRL's thisUpdate is later */
    JPKI_VR_CRL_BAD_SIGNATURE, /* a CRL whose signature does not verify */
    JPKI_VR_CRL_WRONG_ISSUER,  /* a CRL no anchor issued */
    JPKI_VR_CRL_UNREADABLE,    /* a CRL file unreadable, truncated, garbage */
    JPKI_VR_CRL_UNSUPPORTED,   /* delta/indirect CRL, unknown critical ext */
    JPKI_VR_COUNT
} jpki_vreason;

/* The overall verdict, from the most serious reason. */
typedef enum {
    JPKI_VS_VALID = 0,
    JPKI_VS_BAD_INPUT,          /* BAD_INPUT */
    JPKI_VS_UNTRUSTED,          /* NO_ANCHORS, NO_ISSUER, BAD_SIGNATURE,
                                  * ISSUER_NOT_CA, CHAIN_OTHER */
    JPKI_VS_REVOKED,            /* REVOKED */
    JPKI_VS_EXPIRED,            /* (ISSUER_)EXPIRED, (ISSUER_)NOT_YET_VALID */
    JPKI_VS_INVALID,            /* LEAF_IS_CA, KEY_USAGE, EXT_KEY_USAGE,
                                  * POLICY, POLICY_TEST, CRITICAL_EXT */
    JPKI_VS_CRL_STALE,          /* only a stale CRL covers the leaf */
    JPKI_VS_REVOCATION_UNKNOWN, /* CRLs given, none usable for the leaf */
} jpki_vstatus;

/* Revocation as found. */
typedef enum {
    JPKI_REV_NOT_CHECKED = 0, /* no CRL given */
    JPKI_REV_GOOD,            /* a covering, current CRL does not list it */
    JPKI_REV_GOOD_STALE,      /* not listed, but the CRL is stale */
    JPKI_REV_REVOKED,
    JPKI_REV_UNKNOWN, /* no usable covering CRL */
} jpki_revstate;

typedef struct {
    char subject[512]; /* RFC 2253, UTF-8 */
    char issuer[512];
    char serial[80];               /* hex */
    int64_t not_before, not_after; /* seconds since the epoch, UTC */
    uint8_t sha256[32];            /* of the DER */
    int is_anchor;
} jpki_vcert;

#define JPKI_VERIFY_MAX_CHAIN 4

typedef struct {
    jpki_vstatus status;
    uint64_t reasons; /* 1 << jpki_vreason */
    int64_t at;       /* the time checked */
    size_t chain_len; /* leaf first, anchor last */
    jpki_vcert chain[JPKI_VERIFY_MAX_CHAIN];
    jpki_revstate revocation;
    int64_t revocation_date; /* REVOKED: when */
    int revocation_reason;   /* CRLReason, -1 none */
    char crl_path[4096];     /* the covering CRL used */
    int64_t crl_this_update, crl_next_update;
    char crl_error[512];     /* the last CRL problem: "PATH: text" */
    char openssl_error[256]; /* CHAIN_OTHER: OpenSSL's text */
} jpki_vresult;

typedef struct {
    const jpki_anchors *anchors;    /* preloaded anchors, or NULL: */
    const char *anchors_dir;        /* NULL: JPKI_ANCHORS_DIR */
    STACK_OF(X509) * intermediates; /* optional, untrusted */
    const char *const *crls;        /* CRL files or directories of them */
    size_t n_crls;
    const char *crl_cache_dir; /* NULL: jpki_crl_cache_dir() */
    int64_t at;                /* 0: now */
    jpki_purpose purpose;
    unsigned flags; /* JPKI_VF_* */
} jpki_vopts;

/* Checks a certificate (DER or PEM) and fills *res. Returns res->status.
 * Reentrant: no global state; preloaded anchors may be shared by threads. */
jpki_vstatus jpki_verify(const uint8_t *cert, size_t len,
                         const jpki_vopts *opts, jpki_vresult *res);
jpki_vstatus jpki_verify_x509(X509 *leaf, const jpki_vopts *opts,
                              jpki_vresult *res);

static inline int jpki_vresult_has(const jpki_vresult *r, jpki_vreason why)
{
    return (r->reasons >> why) & 1;
}

/* Short stable names ("expired", "crl-stale") and one-line texts. */
const char *jpki_vreason_name(jpki_vreason why);
const char *jpki_vreason_text(jpki_vreason why);
const char *jpki_vstatus_name(jpki_vstatus st);
const char *jpki_revstate_name(jpki_revstate st);

/* The CRL index cache: $XDG_CACHE_HOME/jpki-pkcs11/crl, else
 * ~/.cache/jpki-pkcs11/crl; NULL when neither can be found. buf receives
 * it. */
const char *jpki_crl_cache_dir(char *buf, size_t len);

/* Reads a certificate in DER or PEM; NULL if neither. */
X509 *jpki_x509_read(const uint8_t *data, size_t len);

#endif
