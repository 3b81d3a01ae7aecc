/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_id.c - the card id behind the tokens' serial numbers (jpki.h).
 *
 * The id is the SHA-256 of the authentication certificate's issuer Name and
 * serialNumber (DER), both of which sit in the certificate's first 256
 * bytes: one READ BINARY tells cards apart, where reading the whole
 * certificate takes seven. Listing tokens (C_GetTokenInfo) needs the id
 * and nothing else of the certificate.
 *
 * A smartphone token's certificates need the PIN: its id is the hash of
 * the chip serial from the serial-number application, or, where that
 * application is missing, of the serialNumber field of EF 0006 (free, and
 * read inside the JPKI-AP, so no login is disturbed). The ATR, the CA
 * certificates and EF 0008 were rejected: the same on every token of a
 * kind. With neither, there is no id (token serial "0"). A card issued
 * without an authentication certificate takes the EF 0006 way too.
 */
#include "jpki/jpki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jpki/card_priv.h"

/* The DER element at p (n bytes available): header length and total
 * length, or -1 if it does not fit in n. */
static int tlv(const uint8_t *p, size_t n, size_t *hdr, size_t *total)
{
    size_t len = 0, i, k;

    if (n < 2 || (p[0] & 0x1F) == 0x1F)
        return -1;
    if (!(p[1] & 0x80)) {
        *hdr = 2;
        len = p[1];
    } else {
        k = p[1] & 0x7F;
        if (k == 0 || k > 3 || n < 2 + k)
            return -1;
        for (i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        *hdr = 2 + k;
    }
    *total = *hdr + len;
    return 0;
}

/* Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version OPTIONAL,
 * serialNumber INTEGER, signature AlgorithmIdentifier, issuer Name, ...
 * The serial and issuer must lie in the n bytes given. */
static int issuer_and_serial(const uint8_t *p, size_t n, const uint8_t **ser,
                             size_t *ser_len, const uint8_t **iss,
                             size_t *iss_len)
{
    size_t h, t;

    if (tlv(p, n, &h, &t) || p[0] != 0x30)
        return -1;
    p += h, n -= h;
    if (tlv(p, n, &h, &t) || p[0] != 0x30)
        return -1;
    p += h, n -= h;
    if (tlv(p, n, &h, &t) || t > n)
        return -1;
    if (p[0] == 0xA0) { /* version */
        p += t, n -= t;
        if (tlv(p, n, &h, &t) || t > n)
            return -1;
    }
    if (p[0] != 0x02)
        return -1;
    *ser = p, *ser_len = t;
    p += t, n -= t;
    if (tlv(p, n, &h, &t) || t > n || p[0] != 0x30) /* signature */
        return -1;
    p += t, n -= t;
    if (tlv(p, n, &h, &t) || t > n || p[0] != 0x30)
        return -1;
    *iss = p, *iss_len = t;
    return 0;
}

/* First 8 bytes of SHA-256(a || b) in hex. */
static int hash_id(const void *a, size_t alen, const void *b, size_t blen,
                   char out[17])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, a, alen) == 1 &&
             (!blen || EVP_DigestUpdate(ctx, b, blen) == 1) &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 8;

    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    for (i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02X", md[i]);
    return 0;
}

static int id_from_cert(const uint8_t *der, size_t n, char out[17])
{
    const uint8_t *ser, *iss;
    size_t sl, il;

    if (issuer_and_serial(der, n, &ser, &sl, &iss, &il) != 0)
        return -1;
    /* Issuer first, then serial: the order the serial numbers always had. */
    return hash_id(iss, il, ser, sl, out);
}

/* The first chunk of the authentication certificate: its head, kept in
 * c->auth_head for the certificate's full read. */
jpki_rv jpki_read_auth_head(jpki_card *c)
{
    jpki_rv rv = jpki_card_begin(c);

    if (rv != JPKI_OK)
        return rv;
    rv = jpki_select_ef(c, EF_AUTH_CERT);
    if (rv == JPKI_OK)
        rv = jpki_read_binary(c, 0, sizeof(c->auth_head), c->auth_head,
                              &c->auth_head_len);
    if (rv == JPKI_OK && (c->auth_head[0] == 0x00 || c->auth_head[0] == 0xFF))
        rv = JPKI_ERR_NOT_FOUND; /* an unwritten file */
    if (rv != JPKI_OK)
        c->auth_head_len = 0;
    if (rv == JPKI_ERR_NOT_FOUND)
        c->auth_cert_absent = 1;
    jpki_card_end(c);
    return rv;
}

/* A phone token without the serial-number application: the serialNumber
 * field of EF 0006 (a serialised CK_TOKEN_INFO: label[32],
 * manufacturerID[32], model[16], serialNumber[16]), which is free to read
 * and needs no other application selected. Only when it holds something
 * (printable, not all blanks or zeros); else no id. */
#define TOKEN_INFO_SERIAL_OFF 0x50
#define TOKEN_INFO_SERIAL_LEN 16
static jpki_rv id_from_token_info(jpki_card *c, char out[17])
{
    uint8_t f[TOKEN_INFO_SERIAL_LEN];
    size_t got = 0, i, shown = 0;
    jpki_rv rv = jpki_card_begin(c);

    if (rv != JPKI_OK)
        return rv;
    rv = jpki_select_ef(c, EF_TOKEN_INFO);
    if (rv == JPKI_OK)
        rv = jpki_read_binary(c, TOKEN_INFO_SERIAL_OFF, sizeof(f), f, &got);
    jpki_card_end(c);
    if (rv != JPKI_OK)
        return rv == JPKI_ERR_BAD_DATA || rv == JPKI_ERR_CARD
                   ? JPKI_ERR_NOT_FOUND
                   : rv;
    for (i = 0; i < got && i < sizeof(f); i++) {
        if (f[i] < 0x20 || f[i] >= 0x7F)
            return JPKI_ERR_NOT_FOUND;
        shown += f[i] != ' ' && f[i] != '0';
    }
    if (!shown)
        return JPKI_ERR_NOT_FOUND;
    /* A prefix keeps it apart from any serial-number AP's id. */
    return hash_id("token-info:", 11, f, got, out) == 0 ? JPKI_OK
                                                        : JPKI_ERR_BAD_DATA;
}

static jpki_rv compute(jpki_card *c, char out[17])
{
    const uint8_t *p;
    uint8_t *der = NULL;
    size_t n = 0;
    jpki_rv rv;

    if (jpki_cache_get(c->cache, JPKI_CACHE_CARD_ID, &p, &n) && n == 16) {
        memcpy(out, p, 16);
        out[16] = '\0';
        return JPKI_OK;
    }
    if (c->smartphone) { /* its certificates need the PIN */
        if (c->serial[0])
            return hash_id(c->serial, strlen(c->serial), NULL, 0, out) == 0
                       ? JPKI_OK
                       : JPKI_ERR_BAD_DATA;
        return id_from_token_info(c, out);
    }
    if (jpki_cache_get(c->cache, EF_AUTH_CERT, &p, &n) &&
        id_from_cert(p, n, out) == 0)
        return JPKI_OK;
    if ((rv = jpki_read_auth_head(c)) == JPKI_ERR_NOT_FOUND) /* declined */
        return id_from_token_info(c, out);
    if (rv != JPKI_OK)
        return rv;
    if (id_from_cert(c->auth_head, c->auth_head_len, out) == 0)
        return JPKI_OK;
    /* An unusual certificate whose issuer ends past the first chunk. */
    if ((rv = jpki_card_read_cert(c, JPKI_AUTH, 0, &der, &n)) != JPKI_OK)
        return rv;
    rv = id_from_cert(der, n, out) == 0 ? JPKI_OK : JPKI_ERR_BAD_DATA;
    free(der);
    return rv;
}

jpki_rv jpki_card_id(jpki_card *c, char out[17])
{
    jpki_rv rv;

    if (!c || !out)
        return JPKI_ERR_ARGS;
    if (!c->id[0]) {
        if ((rv = compute(c, c->id)) != JPKI_OK) {
            c->id[0] = '\0';
            return rv;
        }
        /* A phone's too: it spares the next program the serial-number
         * application, whose SELECT would end another program's login. */
        jpki_cache_put(c->cache, JPKI_CACHE_CARD_ID, (const uint8_t *)c->id,
                       16);
        jpki_cache_flush(c->cache);
    }
    memcpy(out, c->id, sizeof(c->id));
    return JPKI_OK;
}
