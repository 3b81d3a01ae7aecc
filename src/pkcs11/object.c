/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * object.c - the objects of a token and their attributes: every attribute
 * value is made here, once, when the object is built from a certificate,
 * and served from that list by C_GetAttributeValue and C_FindObjects.
 *
 * Handles: generation (8 bits) | slot id | kind + 1, so a handle from a
 * card that was removed never names an object of the next card.
 */
#include "pkcs11/p11.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* CKA_ID of the key pair of each token, and of each token's CA cert. */
static const CK_BYTE key_id[2] = { 0x01, 0x02 };
static const CK_BYTE ca_id[2] = { 0x11, 0x12 };

static const char *const labels[2][P11_OBJ_KINDS] = {
    { "User Authentication Certificate", "User Authentication Public Key",
      "User Authentication Private Key", "User Authentication CA" },
    { "Digital Signature Certificate", "Digital Signature Public Key",
      "Digital Signature Private Key", "Digital Signature CA" },
};

CK_OBJECT_HANDLE p11_object_handle(const p11_token *tok, int kind)
{
    return ((CK_OBJECT_HANDLE)(tok->card->generation & 0xFF) << 24) |
           ((tok->slot_id & 0xFFFFF) << 4) | (CK_OBJECT_HANDLE)(kind + 1);
}

p11_object *p11_object_get(p11_token *tok, CK_OBJECT_HANDLE h, int *kind)
{
    int k = (int)(h & 0xF) - 1;
    p11_object *o;

    if (k < 0 || k >= P11_OBJ_KINDS || h != p11_object_handle(tok, k))
        return NULL;
    o = &tok->obj[k];
    if (!o->present || (o->is_private && !p11_token_logged_in(tok)))
        return NULL;
    if (kind)
        *kind = k;
    return o;
}

int p11_object_needs_login(p11_token *tok, CK_OBJECT_HANDLE h)
{
    return (int)(h & 0xF) - 1 == P11_OBJ_PRIVKEY && !p11_token_logged_in(tok);
}

void p11_object_clear(p11_object *o)
{
    CK_ULONG i;

    for (i = 0; i < o->n_attrs; i++)
        OPENSSL_clear_free(o->attrs[i].pValue, o->attrs[i].ulValueLen);
    free(o->attrs);
    memset(o, 0, sizeof(*o));
}

/* ---- building --------------------------------------------------------------- */

static int add(p11_object *o, CK_ATTRIBUTE_TYPE type, const void *v,
               CK_ULONG len)
{
    CK_ATTRIBUTE *a;

    if (o->n_attrs == o->cap) {
        CK_ULONG cap = o->cap ? 2 * o->cap : 32;
        a = realloc(o->attrs, cap * sizeof(*a));
        if (!a)
            return -1;
        o->attrs = a;
        o->cap = cap;
    }
    a = &o->attrs[o->n_attrs];
    a->type = type;
    a->ulValueLen = len;
    a->pValue = OPENSSL_malloc(len ? len : 1);
    if (!a->pValue)
        return -1;
    if (len)
        memcpy(a->pValue, v, len);
    o->n_attrs++;
    return 0;
}

static int add_bool(p11_object *o, CK_ATTRIBUTE_TYPE type, int v)
{
    CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
    return add(o, type, &b, sizeof(b));
}

static int add_ulong(p11_object *o, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
    return add(o, type, &v, sizeof(v));
}

static int add_buf(p11_object *o, CK_ATTRIBUTE_TYPE type, const jpki_buf *b)
{
    return add(o, type, b->p, (CK_ULONG)b->len);
}

static int add_str(p11_object *o, CK_ATTRIBUTE_TYPE type, const char *s)
{
    return add(o, type, s, (CK_ULONG)strlen(s));
}

/* CK_DATE from "YYYYMMDD"; empty when unknown (allowed by the spec). */
static int add_date(p11_object *o, CK_ATTRIBUTE_TYPE type, const char *ymd)
{
    CK_DATE d;

    if (strlen(ymd) != 8)
        return add(o, type, NULL, 0);
    memcpy(d.year, ymd, 4);
    memcpy(d.month, ymd + 4, 2);
    memcpy(d.day, ymd + 6, 2);
    return add(o, type, &d, sizeof(d));
}

static int add_common(p11_object *o, const p11_token *tok, int kind,
                      CK_OBJECT_CLASS cls, int is_private)
{
    const CK_BYTE *id =
        kind == P11_OBJ_CA ? &ca_id[tok->key] : &key_id[tok->key];

    return add_ulong(o, CKA_CLASS, cls) || add_bool(o, CKA_TOKEN, 1) ||
           add_bool(o, CKA_PRIVATE, is_private) ||
           add_bool(o, CKA_MODIFIABLE, 0) || add_bool(o, CKA_COPYABLE, 0) ||
           add_bool(o, CKA_DESTROYABLE, 0) ||
           add_str(o, CKA_LABEL, labels[tok->key][kind]) ||
           add(o, CKA_ID, id, 1);
}

static int hash_of(const jpki_buf *b, unsigned char out[20])
{
    unsigned int n = 0;
    return EVP_Digest(b->p, b->len, out, &n, EVP_sha1(), NULL) == 1 ? 0 : -1;
}

static int build_cert(p11_object *o, const p11_token *tok, int kind,
                      const jpki_cert *c)
{
    unsigned char h[20];

    /* CKA_CHECK_VALUE: the first 3 bytes of the SHA-1 of the value. */
    if (hash_of(&c->der, h))
        return -1;
    return add_ulong(o, CKA_CERTIFICATE_TYPE, CKC_X_509) ||
           add_bool(o, CKA_TRUSTED, 0) ||
           add_ulong(o, CKA_CERTIFICATE_CATEGORY,
                     kind == P11_OBJ_CA ? 2 : 1) ||
           add(o, CKA_CHECK_VALUE, h, 3) ||
           add_date(o, CKA_START_DATE, c->not_before) ||
           add_date(o, CKA_END_DATE, c->not_after) ||
           add_buf(o, CKA_SUBJECT, &c->subject) ||
           add_buf(o, CKA_ISSUER, &c->issuer) ||
           add_buf(o, CKA_SERIAL_NUMBER, &c->serial) ||
           add_buf(o, CKA_VALUE, &c->der) || add(o, CKA_URL, NULL, 0) ||
           add(o, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, NULL, 0) ||
           add(o, CKA_HASH_OF_ISSUER_PUBLIC_KEY, NULL, 0) ||
           add_ulong(o, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
}

/* Attributes every key object has, public or private. */
static int build_key_common(p11_object *o, const jpki_cert *c)
{
    CK_KEY_TYPE kt = c->key_type == JPKI_KEYTYPE_EC ? CKK_EC : CKK_RSA;

    if (add_ulong(o, CKA_KEY_TYPE, kt) ||
        add_buf(o, CKA_SUBJECT, &c->subject) ||
        add_date(o, CKA_START_DATE, c->not_before) ||
        add_date(o, CKA_END_DATE, c->not_after) ||
        add_bool(o, CKA_DERIVE, 0) || add_bool(o, CKA_LOCAL, 0) ||
        add_ulong(o, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION) ||
        add_buf(o, CKA_PUBLIC_KEY_INFO, &c->spki))
        return -1;
    if (kt == CKK_RSA)
        return add_buf(o, CKA_MODULUS, &c->modulus) ||
               add_buf(o, CKA_PUBLIC_EXPONENT, &c->exponent);
    return add_buf(o, CKA_EC_PARAMS, &c->ec_params);
}

static int build_pubkey(p11_object *o, const jpki_cert *c)
{
    if (build_key_common(o, c) || add_bool(o, CKA_ENCRYPT, 0) ||
        add_bool(o, CKA_VERIFY, 1) || add_bool(o, CKA_VERIFY_RECOVER, 0) ||
        add_bool(o, CKA_WRAP, 0) || add_bool(o, CKA_TRUSTED, 0))
        return -1;
    if (c->key_type == JPKI_KEYTYPE_RSA)
        return add_ulong(o, CKA_MODULUS_BITS, c->key_bits);
    return add_buf(o, CKA_EC_POINT, &c->ec_point);
}

/* The private key lives on the card: it signs and nothing else, and it is
 * neither readable nor extractable. CKA_ALWAYS_AUTHENTICATE stays false:
 * true breaks Java and makes libp11 prompt on a terminal (docs/design.md). */
static int build_privkey(p11_object *o, const jpki_cert *c)
{
    /* An EC key's point on the private key too: clients (libp11) find the
     * public half there. */
    if (c->key_type == JPKI_KEYTYPE_EC &&
        add_buf(o, CKA_EC_POINT, &c->ec_point))
        return -1;
    return build_key_common(o, c) || add_bool(o, CKA_SENSITIVE, 1) ||
           add_bool(o, CKA_DECRYPT, 0) || add_bool(o, CKA_SIGN, 1) ||
           add_bool(o, CKA_SIGN_RECOVER, 0) || add_bool(o, CKA_UNWRAP, 0) ||
           add_bool(o, CKA_EXTRACTABLE, 0) ||
           add_bool(o, CKA_ALWAYS_SENSITIVE, 1) ||
           add_bool(o, CKA_NEVER_EXTRACTABLE, 1) ||
           add_bool(o, CKA_WRAP_WITH_TRUSTED, 0) ||
           add_bool(o, CKA_ALWAYS_AUTHENTICATE, 0);
}

CK_RV p11_object_build(p11_token *tok, int kind, const jpki_cert *cert,
                       int is_private)
{
    static const CK_OBJECT_CLASS cls[P11_OBJ_KINDS] = {
        CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_CERTIFICATE
    };
    p11_object *o = &tok->obj[kind];
    int err;

    p11_object_clear(o);
    err = add_common(o, tok, kind, cls[kind], is_private);
    if (!err && (kind == P11_OBJ_CERT || kind == P11_OBJ_CA))
        err = build_cert(o, tok, kind, cert);
    else if (!err && kind == P11_OBJ_PUBKEY)
        err = build_pubkey(o, cert);
    else if (!err)
        err = build_privkey(o, cert);
    if (err) {
        p11_object_clear(o);
        return CKR_HOST_MEMORY;
    }
    o->present = 1;
    o->is_private = is_private;
    return CKR_OK;
}

/* ---- reading ----------------------------------------------------------------- */

static const CK_ATTRIBUTE *find_attr(const p11_object *o,
                                     CK_ATTRIBUTE_TYPE type)
{
    CK_ULONG i;

    for (i = 0; i < o->n_attrs; i++)
        if (o->attrs[i].type == type)
            return &o->attrs[i];
    return NULL;
}

/* Private key material that exists on the card but never leaves it. */
static int is_sensitive(int kind, CK_ATTRIBUTE_TYPE type)
{
    if (kind != P11_OBJ_PRIVKEY)
        return 0;
    switch (type) {
    case CKA_PRIVATE_EXPONENT:
    case CKA_PRIME_1:
    case CKA_PRIME_2:
    case CKA_EXPONENT_1:
    case CKA_EXPONENT_2:
    case CKA_COEFFICIENT:
    case CKA_VALUE: return 1;
    default: return 0;
    }
}

/* Per attribute as the specification says: sensitive, unknown and too
 * small are marked with CK_UNAVAILABLE_INFORMATION, the others filled; the
 * call returns one of the errors met, or CKR_OK. */
CK_RV p11_object_get_attrs(p11_object *o, int kind, CK_ATTRIBUTE_PTR tmpl,
                           CK_ULONG n)
{
    CK_RV rv = CKR_OK;
    CK_ULONG i;

    for (i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = find_attr(o, tmpl[i].type);
        if (is_sensitive(kind, tmpl[i].type)) {
            tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_SENSITIVE;
        } else if (!a) {
            tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_TYPE_INVALID;
        } else if (!tmpl[i].pValue) {
            tmpl[i].ulValueLen = a->ulValueLen;
        } else if (tmpl[i].ulValueLen >= a->ulValueLen) {
            if (a->ulValueLen)
                memcpy(tmpl[i].pValue, a->pValue, a->ulValueLen);
            tmpl[i].ulValueLen = a->ulValueLen;
        } else {
            tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_BUFFER_TOO_SMALL;
        }
    }
    return rv;
}

/* ---- searching ----------------------------------------------------------------- */

static int matches(const p11_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_ULONG i;

    for (i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = find_attr(o, tmpl[i].type);
        if (!a || a->ulValueLen != tmpl[i].ulValueLen ||
            (a->ulValueLen &&
             memcmp(a->pValue, tmpl[i].pValue, a->ulValueLen) != 0))
            return 0;
    }
    return 1;
}

/* Can an object of the CA (ca = 1) or of the key pair (ca = 0) match the
 * template, judging by CKA_CLASS and CKA_ID alone? A search that cannot
 * find a CA certificate (a signing tool looking for its private key by id)
 * must not cost the card a certificate read. */
static int may_match(const p11_token *tok, int ca, const CK_ATTRIBUTE *tmpl,
                     CK_ULONG n)
{
    CK_BYTE id = ca ? ca_id[tok->key] : key_id[tok->key];
    CK_ULONG i;

    for (i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = &tmpl[i];
        if (a->type == CKA_CLASS && a->ulValueLen == sizeof(CK_OBJECT_CLASS)) {
            CK_OBJECT_CLASS cls;
            memcpy(&cls, a->pValue, sizeof(cls));
            if (ca ? cls != CKO_CERTIFICATE
                   : cls != CKO_CERTIFICATE && cls != CKO_PUBLIC_KEY &&
                         cls != CKO_PRIVATE_KEY)
                return 0;
        } else if (a->type == CKA_ID &&
                   (a->ulValueLen != 1 || *(const CK_BYTE *)a->pValue != id)) {
            return 0;
        }
    }
    return 1;
}

CK_RV p11_object_attrs(p11_session *s, CK_OBJECT_HANDLE h,
                       CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
    p11_object *o;
    int kind;

    if (!tmpl && n)
        return CKR_ARGUMENTS_BAD;
    if (!(o = p11_object_get(s->tok, h, &kind)))
        return CKR_OBJECT_HANDLE_INVALID;
    return p11_object_get_attrs(o, kind, tmpl, n);
}

/* The size of an object on a card is not something it tells. */
CK_RV p11_object_size(p11_session *s, CK_OBJECT_HANDLE h, CK_ULONG_PTR size)
{
    if (!size)
        return CKR_ARGUMENTS_BAD;
    if (!p11_object_get(s->tok, h, NULL))
        return CKR_OBJECT_HANDLE_INVALID;
    *size = CK_UNAVAILABLE_INFORMATION;
    return CKR_OK;
}

CK_RV p11_find_init(p11_session *s, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
    p11_token *tok = s->tok;
    CK_ULONG i;
    CK_RV rv;
    int k;

    if (!tmpl && n)
        return CKR_ARGUMENTS_BAD;
    if (s->find_active)
        return CKR_OPERATION_ACTIVE;
    for (i = 0; i < n; i++)
        if (!tmpl[i].pValue && tmpl[i].ulValueLen)
            return CKR_ARGUMENTS_BAD;
    rv = p11_token_load_public(tok, may_match(tok, 1, tmpl, n),
                               may_match(tok, 0, tmpl, n));
    if (rv != CKR_OK)
        return rv;
    /* A search may touch no APDU at all: still learn of a reset by another
     * program, so that private objects are not shown after the login died. */
    p11_token_logged_in_now(tok);
    s->n_found = s->find_pos = 0;
    for (k = 0; k < P11_OBJ_KINDS; k++) {
        p11_object *o = p11_object_get(tok, p11_object_handle(tok, k), NULL);
        if (o && matches(o, tmpl, n))
            s->found[s->n_found++] = p11_object_handle(tok, k);
    }
    s->find_active = 1;
    return CKR_OK;
}

CK_RV p11_find(p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
               CK_ULONG_PTR count)
{
    CK_ULONG n = 0;

    if (!count || (!out && max))
        return CKR_ARGUMENTS_BAD;
    if (!s->find_active)
        return CKR_OPERATION_NOT_INITIALIZED;
    while (n < max && s->find_pos < s->n_found)
        out[n++] = s->found[s->find_pos++];
    *count = n;
    return CKR_OK;
}

CK_RV p11_find_final(p11_session *s)
{
    if (!s->find_active)
        return CKR_OPERATION_NOT_INITIALIZED;
    s->find_active = 0;
    s->n_found = s->find_pos = 0;
    return CKR_OK;
}
