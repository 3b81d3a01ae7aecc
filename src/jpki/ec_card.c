/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ec_card.c - the ECDSA P-384 card generation: the guesses (ec_card.h
 * names each one) and the host's half of its signature. No APDU-level
 * specification of that card is public; the day one is, the constants and
 * the two guess functions here are what changes.
 */
#include "jpki/ec_card.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "jpki/card_priv.h"

/* The order n of P-384 (SEC 2, secp384r1). */
static const uint8_t p384_order[JPKI_EC_SCALAR_LEN] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF, 0x58, 0x1A, 0x0D, 0xB2,
    0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73
};

/* ---- the application's AID ------------------------------------------- */

static uint8_t alt_aid[16];
static size_t alt_aid_len;

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int jpki_ec_set_alt_aid(const char *hex)
{
    uint8_t aid[16];
    size_t n = 0, len = hex ? strlen(hex) : 0;

    if (!len) {
        alt_aid_len = 0;
        return 0;
    }
    /* ISO 7816-4: an AID is 5 to 16 bytes; a bad one changes nothing */
    if (len % 2 || len < 10 || len > 32)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        aid[n++] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(alt_aid, aid, n);
    alt_aid_len = n;
    return 0;
}

size_t jpki_ec_guess_alt_aid(uint8_t aid[16])
{
    memcpy(aid, alt_aid, alt_aid_len);
    return alt_aid_len;
}

/* ---- the signature's input and answer ---------------------------------- */

jpki_rv jpki_ec_shape_hash(const uint8_t *hash, size_t len,
                           uint8_t out[JPKI_EC_GUESS_INPUT_LEN])
{
    if (!hash || !len)
        return JPKI_ERR_ARGS;
    if (len >= JPKI_EC_GUESS_INPUT_LEN) {
        memcpy(out, hash, JPKI_EC_GUESS_INPUT_LEN);
    } else {
        memset(out, 0, JPKI_EC_GUESS_INPUT_LEN - len);
        memcpy(out + JPKI_EC_GUESS_INPUT_LEN - len, hash, len);
    }
    return JPKI_OK;
}

/* 1 if the 48-byte big-endian v is in [1, n-1]. */
static int scalar_in_range(const uint8_t *v)
{
    int nonzero = 0;
    for (size_t i = 0; i < JPKI_EC_SCALAR_LEN; i++)
        nonzero |= v[i];
    return nonzero && memcmp(v, p384_order, JPKI_EC_SCALAR_LEN) < 0;
}

/* One DER INTEGER at *p (before end), minimal and positive, into a
 * 48-byte big-endian scalar; advances *p. */
static int der_scalar(const uint8_t **p, const uint8_t *end, uint8_t *out)
{
    const uint8_t *q = *p;
    size_t len;

    if (end - q < 2 || q[0] != 0x02 || q[1] >= 0x80)
        return 0; /* INTEGER, short-form length: a P-384 scalar needs one */
    len = q[1];
    q += 2;
    if (len == 0 || (size_t)(end - q) < len || (q[0] & 0x80))
        return 0; /* empty, cut short or negative */
    if (q[0] == 0x00) {
        if (len == 1 || !(q[1] & 0x80))
            return 0; /* zero, or a leading zero DER forbids */
        q++;
        len--;
    }
    if (len > JPKI_EC_SCALAR_LEN)
        return 0;
    memset(out, 0, JPKI_EC_SCALAR_LEN - len);
    memcpy(out + JPKI_EC_SCALAR_LEN - len, q, len);
    *p = q + len;
    return scalar_in_range(out);
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, DER, whole. */
static int der_sig(const uint8_t *ans, size_t len, uint8_t *rs)
{
    const uint8_t *p = ans, *end = ans + len;
    size_t body;

    if (len < 2 || ans[0] != 0x30)
        return 0;
    if (ans[1] < 0x80) {
        body = ans[1];
        p += 2;
    } else if (ans[1] == 0x81 && len >= 3 && ans[2] >= 0x80) {
        body = ans[2];
        p += 3;
    } else {
        return 0; /* other length forms are not minimal for <= 104 bytes */
    }
    if ((size_t)(end - p) != body)
        return 0; /* short, or something after the SEQUENCE */
    return der_scalar(&p, end, rs) &&
           der_scalar(&p, end, rs + JPKI_EC_SCALAR_LEN) && p == end;
}

jpki_rv jpki_ec_decode_sig(const uint8_t *ans, size_t len,
                           uint8_t rs[JPKI_EC_SIG_LEN],
                           uint8_t alt[JPKI_EC_SIG_LEN], int *n_alt)
{
    int raw_ok = len == JPKI_EC_SIG_LEN && scalar_in_range(ans) &&
                 scalar_in_range(ans + JPKI_EC_SCALAR_LEN);
    int der_ok = der_sig(ans, len, rs);

    *n_alt = 0;
    if (der_ok && raw_ok) {
        memcpy(alt, ans, JPKI_EC_SIG_LEN);
        *n_alt = 1;
    } else if (raw_ok) {
        memcpy(rs, ans, JPKI_EC_SIG_LEN);
    } else if (!der_ok) {
        OPENSSL_cleanse(rs, JPKI_EC_SIG_LEN);
        return JPKI_ERR_BAD_DATA;
    }
    return JPKI_OK;
}

int jpki_ec_verify(const jpki_cert *cert,
                   const uint8_t hash[JPKI_EC_GUESS_INPUT_LEN],
                   const uint8_t rs[JPKI_EC_SIG_LEN])
{
    /* The key by d2i, as every other key of the module: one made with
     * EVP_PKEY_fromdata (cheaper) fails in a client that loaded OpenSSL's
     * pkcs11 engine. */
    const unsigned char *p =
        cert && cert->key_type == JPKI_KEYTYPE_EC ? cert->spki.p : NULL;
    EVP_PKEY *pk = p ? d2i_PUBKEY(NULL, &p, (long)cert->spki.len) : NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, JPKI_EC_SCALAR_LEN, NULL);
    BIGNUM *s = BN_bin2bn(rs + JPKI_EC_SCALAR_LEN, JPKI_EC_SCALAR_LEN, NULL);
    unsigned char *der = NULL;
    int der_len = -1, ok = 0;

    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig now */
        der_len = i2d_ECDSA_SIG(sig, &der);
    }
    if (pk && der_len > 0 && EVP_PKEY_is_a(pk, "EC")) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_verify(ctx, der, (size_t)der_len, hash,
                             JPKI_EC_GUESS_INPUT_LEN) == 1;
        EVP_PKEY_CTX_free(ctx);
    }
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    EVP_PKEY_free(pk);
    return ok;
}

jpki_rv jpki_card_sign_ecdsa(jpki_card *c, jpki_key key, const jpki_cert *cert,
                             const uint8_t *hash, size_t hash_len,
                             uint8_t rs[JPKI_EC_SIG_LEN])
{
    uint8_t in[JPKI_EC_GUESS_INPUT_LEN], ans[256], alt[JPKI_EC_SIG_LEN];
    size_t ans_len = sizeof(ans);
    int n_alt = 0;
    jpki_rv rv;

    if (!cert || cert->key_type != JPKI_KEYTYPE_EC || !rs)
        return JPKI_ERR_ARGS;
    OPENSSL_cleanse(rs, JPKI_EC_SIG_LEN); /* nothing to mistake on error */
    if ((rv = jpki_ec_shape_hash(hash, hash_len, in)) != JPKI_OK)
        return rv;
    rv = jpki_card_sign(c, key, (jpki_scheme)JPKI_EC_GUESS_SIGN_P1, in,
                        sizeof(in), ans, &ans_len);
    if (rv == JPKI_OK &&
        jpki_ec_decode_sig(ans, ans_len, rs, alt, &n_alt) != JPKI_OK) {
        JLOG_ERR("the card's ECDSA answer (%zu bytes) is neither r||s nor "
                 "a valid DER signature",
                 ans_len);
        rv = JPKI_ERR_BAD_DATA;
    } else if (rv == JPKI_OK && !jpki_ec_verify(cert, in, rs)) {
        if (n_alt && jpki_ec_verify(cert, in, alt)) {
            memcpy(rs, alt, JPKI_EC_SIG_LEN);
        } else {
            JLOG_ERR("the card's ECDSA signature does not verify with "
                     "the certificate's key");
            OPENSSL_cleanse(rs, JPKI_EC_SIG_LEN);
            rv = JPKI_ERR_BAD_DATA;
        }
    }
    OPENSSL_cleanse(in, sizeof(in));
    return rv;
}
