/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify.c - checks a JPKI certificate (verify.h): the issuer chosen among
 * the anchors by key identifier, OpenSSL's chain verification at the given
 * time with every error collected, then the JPKI profile (key usage,
 * extended key usage, policies), then revocation (revocation.c). The
 * verdict is the most serious reason found.
 */
#include "jpki/verify.h"
#include "jpki/verify_priv.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

/* ---- names of things ---------------------------------------------------- */

static const struct {
    const char *name, *text;
} reasons[JPKI_VR_COUNT] = {
    [JPKI_VR_BAD_INPUT] = { "bad-input",
                            "the certificate is not readable DER or PEM" },
    [JPKI_VR_NO_ANCHORS] = { "no-anchors",
                             "the trust anchors could not be loaded" },
    [JPKI_VR_NO_ISSUER] = { "no-issuer", "no trust anchor has the issuer's "
                                         "name and key identifier" },
    [JPKI_VR_BAD_SIGNATURE] = { "bad-signature",
                                "a signature in the chain does not verify" },
    [JPKI_VR_NOT_YET_VALID] = { "not-yet-valid",
                                "the certificate is not valid yet" },
    [JPKI_VR_EXPIRED] = { "expired", "the certificate has expired" },
    [JPKI_VR_ISSUER_NOT_YET_VALID] = { "issuer-not-yet-valid",
                                       "the issuing root is not valid yet" },
    [JPKI_VR_ISSUER_EXPIRED] = { "issuer-expired",
                                 "the issuing root has expired" },
    [JPKI_VR_ISSUER_NOT_CA] = { "issuer-not-ca",
                                "the issuer is not a CA (basicConstraints or "
                                "keyUsage)" },
    [JPKI_VR_LEAF_IS_CA] = { "leaf-is-ca", "the certificate claims to be a CA "
                                           "(basicConstraints)" },
    [JPKI_VR_KEY_USAGE] = { "key-usage",
                            "keyUsage missing or wrong for the purpose" },
    [JPKI_VR_EXT_KEY_USAGE] = { "ext-key-usage",
                                "extendedKeyUsage lacks clientAuth" },
    [JPKI_VR_POLICY] = { "policy", "the JPKI certificate policy of the "
                                   "purpose is missing" },
    [JPKI_VR_POLICY_TEST] = { "test-policy", "a test-card policy, not allowed "
                                             "(--allow-test-pki)" },
    [JPKI_VR_CRITICAL_EXT] = { "critical-extension",
                               "an unknown critical extension" },
    [JPKI_VR_CHAIN_OTHER] = { "chain-error",
                              "another chain verification error" },
    [JPKI_VR_REVOKED] = { "revoked", "the certificate is revoked" },
    [JPKI_VR_CRL_STALE] = { "crl-stale", "the CRL covering the certificate is "
                                         "past its nextUpdate or has none" },
    [JPKI_VR_CRL_MISSING] = { "crl-missing", "no CRL given covers the "
                                             "certificate's partition" },
    [JPKI_VR_CRL_NOT_YET_VALID] = { "crl-not-yet-valid",
                                    "a covering CRL was issued after the "
                                    "check time" },
    [JPKI_VR_CRL_BAD_SIGNATURE] = { "crl-bad-signature",
                                    "a CRL's signature does not verify" },
    [JPKI_VR_CRL_WRONG_ISSUER] = { "crl-wrong-issuer",
                                   "a CRL not issued by any trust anchor" },
    [JPKI_VR_CRL_UNREADABLE] = { "crl-unreadable", "a CRL file is unreadable, "
                                                   "truncated or not a CRL" },
    [JPKI_VR_CRL_UNSUPPORTED] = { "crl-unsupported",
                                  "a delta or indirect CRL, or one with an "
                                  "unknown critical extension" },
};

const char *jpki_vreason_name(jpki_vreason why)
{
    return (unsigned)why < JPKI_VR_COUNT ? reasons[why].name : "?";
}

const char *jpki_vreason_text(jpki_vreason why)
{
    return (unsigned)why < JPKI_VR_COUNT ? reasons[why].text : "?";
}

const char *jpki_vstatus_name(jpki_vstatus st)
{
    static const char *const n[] = { "valid",     "bad-input",
                                     "untrusted", "revoked",
                                     "expired",   "invalid",
                                     "crl-stale", "revocation-unknown" };
    return (unsigned)st < sizeof n / sizeof n[0] ? n[st] : "?";
}

const char *jpki_revstate_name(jpki_revstate st)
{
    static const char *const n[] = { "not checked", "good", "good (stale CRL)",
                                     "revoked", "unknown" };
    return (unsigned)st < sizeof n / sizeof n[0] ? n[st] : "?";
}

/* ---- the chain ---------------------------------------------------------- */

void jpki_vadd(jpki_vresult *r, jpki_vreason why)
{
    r->reasons |= UINT64_C(1) << why;
}

static void map_error(jpki_vresult *r, int err, int depth)
{
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED: jpki_vadd(r, JPKI_VR_NO_ISSUER); break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        jpki_vadd(r, JPKI_VR_BAD_SIGNATURE);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        jpki_vadd(r, depth == 0 ? JPKI_VR_NOT_YET_VALID
                                : JPKI_VR_ISSUER_NOT_YET_VALID);
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        jpki_vadd(r, depth == 0 ? JPKI_VR_EXPIRED : JPKI_VR_ISSUER_EXPIRED);
        break;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        jpki_vadd(r, JPKI_VR_ISSUER_NOT_CA);
        break;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        jpki_vadd(r, JPKI_VR_CRITICAL_EXT);
        break;
    default:
        jpki_vadd(r, JPKI_VR_CHAIN_OTHER);
        if (!r->openssl_error[0])
            snprintf(r->openssl_error, sizeof r->openssl_error, "depth %d: %s",
                     depth, X509_verify_cert_error_string(err));
        break;
    }
}

/* Records every error and lets OpenSSL go on, so that all are found. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    if (!ok) {
        jpki_vresult *r = X509_STORE_CTX_get_app_data(ctx);
        if (r)
            map_error(r, X509_STORE_CTX_get_error(ctx),
                      X509_STORE_CTX_get_error_depth(ctx));
    }
    return 1;
}

static int64_t asn1_to_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* RFC 2253 escaping, UTF-8 kept, in the certificate's order: "C=JP, O=..." */
#define NAME_FLAGS                                                            \
    ((ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC | \
     XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS)

static void describe(X509 *x, jpki_vcert *out, int is_anchor)
{
    memset(out, 0, sizeof *out);
    BIO *b = BIO_new(BIO_s_mem());
    const X509_NAME *names[2] = { X509_get_subject_name(x),
                                  X509_get_issuer_name(x) };
    char *dst[2] = { out->subject, out->issuer };
    for (int i = 0; b && i < 2; i++) {
        (void)BIO_reset(b);
        if (X509_NAME_print_ex(b, names[i], 0, NAME_FLAGS) >= 0) {
            int n = BIO_read(b, dst[i], (int)sizeof out->subject - 1);
            dst[i][n > 0 ? n : 0] = '\0';
        }
    }
    BIO_free(b);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex)
        snprintf(out->serial, sizeof out->serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    out->not_before = asn1_to_epoch(X509_get0_notBefore(x));
    out->not_after = asn1_to_epoch(X509_get0_notAfter(x));
    unsigned n = 0;
    X509_digest(x, EVP_sha256(), out->sha256, &n);
    out->is_anchor = is_anchor;
}

/* OpenSSL's verification against the one chosen anchor (none if NULL). */
static void check_chain(X509 *leaf, X509 *anchor, STACK_OF(X509) * inter,
                        int64_t at, jpki_vresult *r)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = store && ctx && (!anchor || X509_STORE_add_cert(store, anchor)) &&
             X509_STORE_CTX_init(ctx, store, leaf, inter) &&
             X509_STORE_CTX_set_app_data(ctx, r);
    if (ok) {
        X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_time(p, (time_t)at);
        X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_CHECK_SS_SIGNATURE);
        X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
        if (X509_verify_cert(ctx) < 0)
            map_error(r, X509_STORE_CTX_get_error(ctx), 0);
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        int n = sk_X509_num(chain);
        for (int i = 0; i < n && r->chain_len < JPKI_VERIFY_MAX_CHAIN; i++) {
            X509 *c = sk_X509_value(chain, i);
            describe(c, &r->chain[r->chain_len++],
                     anchor && X509_cmp(c, anchor) == 0);
        }
    } else {
        jpki_vadd(r, JPKI_VR_CHAIN_OTHER);
        snprintf(r->openssl_error, sizeof r->openssl_error,
                 "cannot set up the verification");
    }
    if (r->chain_len == 0)
        describe(leaf, &r->chain[r->chain_len++], 0);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
}

/* ---- the JPKI profile --------------------------------------------------- */

static int has_policy(const CERTIFICATEPOLICIES *pols, const char *oid)
{
    char buf[80];
    for (int i = 0; i < sk_POLICYINFO_num(pols); i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
        if (OBJ_obj2txt(buf, sizeof buf, pi->policyid, 1) > 0 &&
            strcmp(buf, oid) == 0)
            return 1;
    }
    return 0;
}

static void check_profile(X509 *leaf, jpki_purpose purpose, unsigned flags,
                          jpki_vresult *r)
{
    uint32_t exfl = X509_get_extension_flags(leaf);
    if (exfl & EXFLAG_CA)
        jpki_vadd(r, JPKI_VR_LEAF_IS_CA);
    uint32_t ku =
        X509_get_key_usage(leaf); /* UINT32_MAX without the extension */
    uint32_t need = purpose == JPKI_PURPOSE_SIGN
                        ? (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)
                        : KU_DIGITAL_SIGNATURE;
    if (!(exfl & EXFLAG_KUSAGE) || (ku & need) != need ||
        (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
        jpki_vadd(r, JPKI_VR_KEY_USAGE);
    if (purpose == JPKI_PURPOSE_AUTH &&
        (!(exfl & EXFLAG_XKUSAGE) ||
         !(X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT)))
        jpki_vadd(r, JPKI_VR_EXT_KEY_USAGE);
    CERTIFICATEPOLICIES *pols =
        X509_get_ext_d2i(leaf, NID_certificate_policies, NULL, NULL);
    const char *want =
        purpose == JPKI_PURPOSE_SIGN ? JPKI_POLICY_SIGN : JPKI_POLICY_AUTH;
    if (!has_policy(pols, want)) {
        if (purpose == JPKI_PURPOSE_SIGN &&
            has_policy(pols, JPKI_POLICY_SIGN_TEST)) {
            if (!(flags & JPKI_VF_ALLOW_TEST_PKI))
                jpki_vadd(r, JPKI_VR_POLICY_TEST);
        } else {
            jpki_vadd(r, JPKI_VR_POLICY);
        }
    }
    CERTIFICATEPOLICIES_free(pols);
    ERR_clear_error();
}

/* ---- the verdict -------------------------------------------------------- */

#define R(x) (UINT64_C(1) << JPKI_VR_##x)

static jpki_vstatus verdict(const jpki_vresult *r)
{
    uint64_t m = r->reasons;
    if (m & R(BAD_INPUT))
        return JPKI_VS_BAD_INPUT;
    if (m & (R(NO_ANCHORS) | R(NO_ISSUER) | R(BAD_SIGNATURE) |
             R(ISSUER_NOT_CA) | R(CHAIN_OTHER)))
        return JPKI_VS_UNTRUSTED;
    if (m & R(REVOKED))
        return JPKI_VS_REVOKED;
    if (m & (R(EXPIRED) | R(NOT_YET_VALID) | R(ISSUER_EXPIRED) |
             R(ISSUER_NOT_YET_VALID)))
        return JPKI_VS_EXPIRED;
    if (m & (R(LEAF_IS_CA) | R(KEY_USAGE) | R(EXT_KEY_USAGE) | R(POLICY) |
             R(POLICY_TEST) | R(CRITICAL_EXT)))
        return JPKI_VS_INVALID;
    if (r->revocation == JPKI_REV_GOOD_STALE)
        return JPKI_VS_CRL_STALE;
    if (r->revocation == JPKI_REV_UNKNOWN)
        return JPKI_VS_REVOCATION_UNKNOWN;
    return JPKI_VS_VALID;
}

jpki_vstatus jpki_verify_x509(X509 *leaf, const jpki_vopts *o, jpki_vresult *r)
{
    static const jpki_vopts defaults = { 0 };
    if (!o)
        o = &defaults;
    memset(r, 0, sizeof *r);
    r->revocation_reason = -1;
    r->at = o->at ? o->at : (int64_t)time(NULL);
    if (!leaf) {
        jpki_vadd(r, JPKI_VR_BAD_INPUT);
        return r->status = verdict(r);
    }
    jpki_anchors *own = NULL;
    const jpki_anchors *anchors = o->anchors;
    if (!anchors) {
        char err[256];
        anchors = own = jpki_anchors_load(
            o->anchors_dir ? o->anchors_dir : jpki_anchors_default_dir(), err,
            sizeof err);
        if (!own) {
            jpki_vadd(r, JPKI_VR_NO_ANCHORS);
            snprintf(r->openssl_error, sizeof r->openssl_error, "%s", err);
        }
    }
    /* Climb the optional intermediates to the one that an anchor issued.
     * The leaf's revocation is a question for its own, direct issuer: the
     * first step of the climb (the anchor when there is no intermediate),
     * never a CA higher up, whose CRLs list other certificates. */
    X509 *top = leaf, *anchor = NULL, *direct = NULL;
    for (int hops = 0; anchors && hops < JPKI_VERIFY_MAX_CHAIN; hops++) {
        if ((anchor = jpki_anchors_find_issuer(anchors, top, r->at)) != NULL)
            break;
        X509 *next = NULL;
        for (int i = 0; !next && i < sk_X509_num(o->intermediates); i++) {
            X509 *c = sk_X509_value(o->intermediates, i);
            if (c != top && X509_check_issued(c, top) == X509_V_OK)
                next = c;
        }
        if (!next)
            break;
        if (!direct)
            direct = next;
        top = next;
    }
    if (!anchor)
        jpki_vadd(r, JPKI_VR_NO_ISSUER);
    check_chain(leaf, anchor, o->intermediates, r->at, r);
    check_profile(leaf, o->purpose, o->flags, r);
    if (o->n_crls > 0)
        jpki_check_revocation(leaf, direct ? direct : anchor, anchors, o, r);
    jpki_anchors_free(own);
    return r->status = verdict(r);
}

jpki_vstatus jpki_verify(const uint8_t *cert, size_t len, const jpki_vopts *o,
                         jpki_vresult *r)
{
    X509 *x = jpki_x509_read(cert, len);
    ERR_clear_error();
    jpki_vstatus st = jpki_verify_x509(x, o, r);
    X509_free(x);
    return st;
}
