/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x509_profile.c - the pieces of the JPKI certificate profile: names with
 * the real string types, and the extensions as the real certificates carry
 * them (docs/card.md, docs/trust.md).
 */
#include "emu/x509_profile.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "emu/holder.h"
#include "emu/personalize.h"

/* ---- names -------------------------------------------------------------- */


/* C is a PrintableString, everything else UTF8String, as J-LIS does it. */
X509_NAME *emu_x509_name(const rdn *rdns, size_t n)
{
    X509_NAME *name = X509_NAME_new();
    for (size_t i = 0; name && i < n; i++) {
        int type = strcmp(rdns[i].field, "C") == 0 ? V_ASN1_PRINTABLESTRING
                                                   : V_ASN1_UTF8STRING;
        if (!X509_NAME_add_entry_by_txt(name, rdns[i].field, type,
                                        (const unsigned char *)rdns[i].value,
                                        -1, -1, 0)) {
            X509_NAME_free(name);
            name = NULL;
        }
    }
    return name;
}

X509_NAME *emu_x509_ca_name(int sign)
{
    const rdn r[] = { { "C", "JP" },
                      { "O", EMU_PKI_ORG },
                      { "OU", sign ? EMU_PKI_OU_SIGN : EMU_PKI_OU_AUTH },
                      { "OU", EMU_PKI_OU_AGENCY } };
    return emu_x509_name(r, 4);
}

/* The Japanese directoryName of the roots' SAN and the leaves' IAN. */
X509_NAME *emu_x509_ja_name(int sign)
{
    const rdn r[] = { { "C", "JP" },
                      { "O", EMU_PKI_JA_SERVICE },
                      { "OU", sign ? EMU_PKI_JA_OU_SIGN : EMU_PKI_JA_OU_AUTH },
                      { "OU", EMU_PKI_JA_AGENCY } };
    return emu_x509_name(r, 4);
}

/* Leaf CRL distribution points are partitioned per municipality. */
X509_NAME *emu_x509_crldp_name(int sign)
{
    const rdn r[] = { { "C", "JP" },
                      { "O", EMU_PKI_ORG },
                      { "OU", sign ? EMU_PKI_OU_SIGN : EMU_PKI_OU_AUTH },
                      { "OU", "CRL Distribution Points" },
                      { "OU", EMU_PERSON_CRLDP_OU },
                      { "CN", EMU_PERSON_CRLDP_CN } };
    return emu_x509_name(r, 6);
}

/* ---- extensions --------------------------------------------------------- */

int emu_x509_add_ext_conf(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* One directoryName as GENERAL_NAMES; takes ownership of name. */
static GENERAL_NAMES *dir_names(X509_NAME *name)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (!gens || !gn || !name || !sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        GENERAL_NAMES_free(gens);
        X509_NAME_free(name);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, name);
    return gens;
}

int emu_x509_add_dirname_ext(X509 *x, int nid, X509_NAME *name)
{
    GENERAL_NAMES *gens = dir_names(name);
    int ok =
        gens && X509_add1_ext_i2d(x, nid, gens, 0, X509V3_ADD_APPEND) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

/* CRL distribution point given as a directoryName, never a URL. */
int emu_x509_add_crldp(X509 *x, X509_NAME *name)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    DIST_POINT_NAME *dpn = DIST_POINT_NAME_new();
    GENERAL_NAMES *gens = dir_names(name);
    int ok = dps && dp && dpn && gens && sk_DIST_POINT_push(dps, dp);
    if (ok) {
        dpn->type = 0;
        dpn->name.fullname = gens;
        dp->distpoint = dpn;
        ok = X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0,
                               X509V3_ADD_APPEND) == 1;
    } else {
        GENERAL_NAMES_free(gens);
        DIST_POINT_NAME_free(dpn);
        DIST_POINT_free(dp);
    }
    CRL_DIST_POINTS_free(dps);
    return ok;
}

/* certificatePolicies (critical, like the real leaves) with a CPS URI. */
int emu_x509_add_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    POLICYQUALINFO *q = POLICYQUALINFO_new();
    int ok = pols && pi && q && sk_POLICYINFO_push(pols, pi);
    if (!ok) {
        POLICYINFO_free(pi);
    } else {
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_txt2obj(oid, 1);
        pi->qualifiers = sk_POLICYQUALINFO_new_null();
        q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
        q->d.cpsuri = ASN1_IA5STRING_new();
        ok = pi->policyid && pi->qualifiers && q->d.cpsuri &&
             ASN1_STRING_set(q->d.cpsuri, EMU_PKI_CPS_URI, -1) &&
             sk_POLICYQUALINFO_push(pi->qualifiers, q);
        if (ok)
            q = NULL;
        ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 1,
                                     X509V3_ADD_APPEND) == 1;
    }
    POLICYQUALINFO_free(q);
    CERTIFICATEPOLICIES_free(pols);
    return ok;
}

/* One otherName of the signature certificate's SAN: a UTF8String under
 * 1.2.392.200149.8.5.5.<arc>. */
static int push_other_name(GENERAL_NAMES *gens, int arc, const char *value)
{
    char oid[64];
    snprintf(oid, sizeof oid, "%s.%d", EMU_OID_JPKI_ATTR, arc);
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
    ASN1_TYPE *t = ASN1_TYPE_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (!obj || !s || !t || !gn || !ASN1_STRING_set(s, value, -1)) {
        ASN1_OBJECT_free(obj);
        ASN1_UTF8STRING_free(s);
        ASN1_TYPE_free(t);
        GENERAL_NAME_free(gn);
        return 0;
    }
    ASN1_TYPE_set(t, V_ASN1_UTF8STRING, s);
    if (!GENERAL_NAME_set0_othername(gn, obj, t)) {
        ASN1_OBJECT_free(obj);
        ASN1_TYPE_free(t);
        GENERAL_NAME_free(gn);
        return 0;
    }
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

int emu_x509_add_person_san(X509 *x, const emu_holder *h)
{
    char birth[EMU_BIRTH_LEN + 2];
    emu_birth_with_era(h->birth, birth);
    const struct {
        int arc;
        const char *value;
    } attrs[] = {
        { 1, h->name }, { 2, "" },         { 3, h->sex },
        { 4, birth },   { 5, h->address }, { 6, "" },
    };
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (size_t i = 0; ok && i < sizeof attrs / sizeof attrs[0]; i++)
        ok = push_other_name(gens, attrs[i].arc, attrs[i].value);
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
                                 X509V3_ADD_APPEND) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}
