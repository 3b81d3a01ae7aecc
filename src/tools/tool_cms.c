/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_cms.c - a CMS SignedData (SHA-256, RSA PKCS#1 v1.5, or ECDSA on a
 * card of the ECDSA generation) whose signature is made by the card's
 * signature key.
 *
 * Why the signed attributes are built here rather than by CMS_sign():
 * OpenSSL's CMS code signs through an EVP_PKEY that holds the private key.
 * Making the card such a key takes either a provider of our own (a key
 * manager and a signature implementation, several hundred lines that only
 * this command would use) or the RSA_METHOD interface, deprecated since
 * OpenSSL 3.0. Instead OpenSSL builds the structure with the certificate's
 * public key (CMS_PARTIAL: nothing is signed), this file adds the signed
 * attributes, encodes them as the DER SET that RFC 5652 5.4 says is
 * signed, has the card sign that DigestInfo (one COMPUTE DIGITAL
 * SIGNATURE, the card pads), and puts the signature in. The exact bytes
 * the card signs are thus in one place, and the caller verifies the
 * finished encoding with CMS_verify() before anything is written, so an
 * encoding mistake here can never produce a file that does not verify.
 *
 * Attributes: contentType, signingTime, messageDigest and (CMS_CADES)
 * ESS signingCertificateV2, which makes it a CAdES-BES signature. A PAdES
 * signature (tool_cms_sign_digest) leaves signingTime out: ETSI EN 319 142-1
 * puts the time in the PDF's signature dictionary (/M) instead.
 */
#include "tools/tool_cms.h"

#include "jpki/ec_card.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

/* A card of the ECDSA generation: the card signs the bare SHA-256 hash
 * (src/jpki/ec_card.c, verified there with the certificate's key), and CMS
 * carries r||s as the DER ECDSA-Sig-Value (RFC 5753); OpenSSL names the
 * algorithm ecdsa-with-SHA256 from the EC signer's key. */
static jpki_rv ecdsa_sign(jpki_card *card, X509 *signer,
                          const unsigned char hash[32], unsigned char *sig,
                          size_t *sig_len)
{
    unsigned char *der = NULL, rs[JPKI_EC_SIG_LEN], *p = sig;
    int der_len = i2d_X509(signer, &der);
    jpki_cert *cert = NULL;
    ECDSA_SIG *es = NULL;
    jpki_rv rv = JPKI_ERR_MEMORY;

    if (der_len > 0 &&
        (rv = jpki_cert_parse(der, (size_t)der_len, &cert)) == JPKI_OK)
        rv = jpki_card_sign_ecdsa(card, JPKI_SIGN, cert, hash, 32, rs);
    if (rv == JPKI_OK) {
        es = ECDSA_SIG_new();
        rv = es &&
                     ECDSA_SIG_set0(es, BN_bin2bn(rs, 48, NULL),
                                    BN_bin2bn(rs + 48, 48, NULL)) == 1 &&
                     i2d_ECDSA_SIG(es, NULL) <= (int)*sig_len
                 ? JPKI_OK
                 : JPKI_ERR_MEMORY;
    }
    if (rv == JPKI_OK)
        *sig_len = (size_t)i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    jpki_cert_free(cert);
    OPENSSL_free(der);
    return rv;
}

/* DigestInfo header of SHA-256 (RFC 8017 9.2, note 1). */
static const unsigned char sha256_prefix[] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

typedef struct {
    unsigned char *p;
    int len;
} enc;

/* DER SET OF order: by encoding, as unsigned octets; a prefix first. */
static int enc_cmp(const void *a, const void *b)
{
    const enc *x = a, *y = b;
    int n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, (size_t)n);
    return c ? c : x->len - y->len;
}

/* The signed attributes as the SET OF that is signed (tag 0x31), sorted. */
static int encode_signed_attrs(CMS_SignerInfo *si, unsigned char **out,
                               size_t *out_len)
{
    int n = CMS_signed_get_attr_count(si), ok = 0;
    enc *e = n > 0 ? calloc((size_t)n, sizeof *e) : NULL;
    size_t body = 0, hdr, pos;
    unsigned char *buf = NULL;

    if (!e)
        return 0;
    for (int i = 0; i < n; i++) {
        e[i].len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &e[i].p);
        if (e[i].len <= 0)
            goto done;
        body += (size_t)e[i].len;
    }
    qsort(e, (size_t)n, sizeof *e, enc_cmp);
    hdr = body < 0x80 ? 2 : body < 0x100 ? 3 : body < 0x10000 ? 4 : 0;
    if (!hdr || !(buf = malloc(hdr + body)))
        goto done;
    buf[0] = 0x31;
    if (hdr == 2) {
        buf[1] = (unsigned char)body;
    } else if (hdr == 3) {
        buf[1] = 0x81;
        buf[2] = (unsigned char)body;
    } else {
        buf[1] = 0x82;
        buf[2] = (unsigned char)(body >> 8);
        buf[3] = (unsigned char)body;
    }
    pos = hdr;
    for (int i = 0; i < n; i++) {
        memcpy(buf + pos, e[i].p, (size_t)e[i].len);
        pos += (size_t)e[i].len;
    }
    *out = buf;
    *out_len = pos;
    ok = 1;
done:
    for (int i = 0; i < n; i++)
        OPENSSL_free(e[i].p);
    free(e);
    return ok;
}

/* md: the content's SHA-256; with_time: a signingTime attribute too. */
static int add_attrs(CMS_SignerInfo *si, const unsigned char md[32],
                     int with_time)
{
    ASN1_TIME *now = with_time ? X509_gmtime_adj(NULL, 0) : NULL;
    int ok =
        (now || !with_time) &&
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                    OBJ_nid2obj(NID_pkcs7_data), -1) &&
        (!with_time || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
                                                   now->type, now, -1)) &&
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
                                    V_ASN1_OCTET_STRING, md, 32);
    ASN1_TIME_free(now);
    return ok;
}

static int set_content(CMS_ContentInfo *cms, const unsigned char *data,
                       size_t len)
{
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    if (!pos)
        return 0;
    if (!*pos && !(*pos = ASN1_OCTET_STRING_new()))
        return 0;
    (*pos)->flags &= ~ASN1_STRING_FLAG_CONT; /* content given, not streamed */
    return len <= 0x7FFFFFFF && ASN1_OCTET_STRING_set(*pos, data, (int)len);
}

/* data (NULL when detached and md given) or md: what is signed. */
static jpki_rv cms_sign(jpki_card *card, X509 *signer, X509 *ca,
                        const unsigned char *data, size_t len,
                        const unsigned char *md_in, int detached,
                        unsigned char **out, size_t *out_len)
{
    unsigned int flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL,
                                    flags | (detached ? CMS_DETACHED : 0));
    CMS_SignerInfo *si = NULL;
    unsigned char *attrs = NULL, *der = NULL;
    size_t attrs_len = 0;
    unsigned char di[sizeof sha256_prefix + 32], sig[512], md[32];
    size_t sig_len = sizeof sig;
    jpki_rv rv = JPKI_ERR_MEMORY;
    int der_len;

    *out = NULL;
    *out_len = 0;
    /* The public key stands in for the private one: with CMS_PARTIAL
     * OpenSSL only checks that it matches the certificate. */
    if (!cms || !(si = CMS_add1_signer(cms, signer, X509_get0_pubkey(signer),
                                       EVP_sha256(), flags)))
        goto done;
    if (md_in)
        memcpy(md, md_in, sizeof md);
    else if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
        goto done;
    if ((ca && !CMS_add1_cert(cms, ca)) ||
        (!detached && !set_content(cms, data, len)) ||
        !add_attrs(si, md, !md_in) ||
        !encode_signed_attrs(si, &attrs, &attrs_len))
        goto done;
    memcpy(di, sha256_prefix, sizeof sha256_prefix);
    if (!EVP_Digest(attrs, attrs_len, di + sizeof sha256_prefix, NULL,
                    EVP_sha256(), NULL))
        goto done;
    rv = EVP_PKEY_is_a(X509_get0_pubkey(signer), "EC")
             ? ecdsa_sign(card, signer, di + sizeof sha256_prefix, sig,
                          &sig_len)
             : jpki_card_sign(card, JPKI_SIGN, JPKI_SCHEME_PKCS1, di,
                              sizeof di, sig, &sig_len);
    if (rv != JPKI_OK)
        goto done;
    rv = JPKI_ERR_MEMORY;
    if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sig_len))
        goto done;
    if ((der_len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
        goto done;
    *out = der;
    *out_len = (size_t)der_len;
    rv = JPKI_OK;
done:
    free(attrs);
    CMS_ContentInfo_free(cms);
    return rv;
}

jpki_rv tool_cms_sign(jpki_card *card, X509 *signer, X509 *ca,
                      const unsigned char *data, size_t len, int detached,
                      unsigned char **out, size_t *out_len)
{
    return cms_sign(card, signer, ca, data, len, NULL, detached, out, out_len);
}

jpki_rv tool_cms_sign_digest(jpki_card *card, X509 *signer, X509 *ca,
                             const unsigned char md[32], unsigned char **out,
                             size_t *out_len)
{
    return cms_sign(card, signer, ca, NULL, 0, md, 1, out, out_len);
}

int tool_cms_check(const unsigned char *der, size_t der_len, X509 *signer,
                   const unsigned char *data, size_t len, int detached)
{
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
    STACK_OF(X509) *certs = sk_X509_new_null();
    BIO *content = detached ? BIO_new_mem_buf(data, (int)len) : NULL;
    BIO *got = BIO_new(BIO_s_mem());
    int ok = 0;

    if (cms && certs && got && (!detached || content) &&
        sk_X509_push(certs, signer) && p == der + der_len &&
        /* Only our certificate may be the signer; its chain is not the
         * question here (the card's CA may be a test CA). */
        CMS_verify(cms, certs, NULL, content, got,
                   CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) ==
            1) {
        char *txt = NULL;
        long n = BIO_get_mem_data(got, &txt);
        /* The signed content is the file, byte for byte. */
        ok = n >= 0 && (size_t)n == len &&
             (len == 0 || memcmp(txt, data, len) == 0);
    }
    BIO_free(got);
    BIO_free(content);
    sk_X509_free(certs);
    CMS_ContentInfo_free(cms);
    return ok;
}
