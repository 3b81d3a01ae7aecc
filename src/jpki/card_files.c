/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_files.c - reading the JPKI-AP's files: READ BINARY in chunks, a DER
 * file of any length (its length from the BER header of the first chunk),
 * and the certificates, from the certificate cache when they may be kept
 * there (cacheable) or else from the card.
 */
#include "jpki/jpki.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/sw.h"
#include "jpki/card_priv.h"

#define READ_CHUNK JPKI_READ_CHUNK
/* READ BINARY has a 15-bit offset: no file can be longer. */
#define MAX_FILE_LEN 0x7FFF

jpki_rv jpki_read_binary(jpki_card *c, size_t off, size_t want, uint8_t *out,
                         size_t *got)
{
    apdu_cmd cmd = { .cla = 0x00,
                     .ins = 0xB0,
                     .p1 = (uint8_t)(off >> 8),
                     .p2 = (uint8_t)off,
                     .le = want };
    uint16_t sw;
    jpki_rv rv = jpki_send_apdu(c, &cmd, out, want, got, &sw);

    if (rv != JPKI_OK)
        return rv;
    switch (sw) {
    case SW_OK: return *got ? JPKI_OK : JPKI_ERR_BAD_DATA;
    case SW_SECURITY: return JPKI_ERR_SECURITY;
    case SW_WRONG_OFFSET:
        return JPKI_ERR_BAD_DATA; /* shorter than it claims */
    case SW_NOT_FOUND: return JPKI_ERR_NOT_FOUND;
    default: return JPKI_ERR_CARD;
    }
}

/* Total length of the BER element at the start of buf (n bytes), or 0 if
 * the header is not complete or not valid. */
static size_t ber_total_len(const uint8_t *buf, size_t n)
{
    size_t i, len = 0, nlen;

    if (n < 2 || (buf[0] & 0x1F) == 0x1F) /* multi-byte tags: not a cert */
        return 0;
    if (!(buf[1] & 0x80))
        return 2 + buf[1];
    nlen = buf[1] & 0x7F;
    if (nlen == 0 || nlen > 3 || n < 2 + nlen)
        return 0;
    for (i = 0; i < nlen; i++)
        len = len << 8 | buf[2 + i];
    return 2 + nlen + len;
}

/* Reads a whole DER file: the first chunk carries the BER header, which
 * gives the length; the rest follows in chunks of at most 256 bytes. */
static jpki_rv read_der_file(jpki_card *c, uint16_t fid, uint8_t **der,
                             size_t *len)
{
    uint8_t first[READ_CHUNK];
    size_t got = 0, total, off;
    uint8_t *buf;
    jpki_rv rv;

    if ((rv = jpki_select_ef(c, fid)) != JPKI_OK)
        return rv;
    /* first holds the start of the file (the signature certificate is
     * personal data): every way out wipes it. */
    if (fid == EF_AUTH_CERT && c->auth_head_len) { /* read for the card id */
        memcpy(first, c->auth_head, c->auth_head_len);
        got = c->auth_head_len;
    } else {
        rv = jpki_read_binary(c, 0, READ_CHUNK, first, &got);
    }
    total = rv == JPKI_OK ? ber_total_len(first, got) : 0;
    if (rv == JPKI_OK && (first[0] == 0x00 || first[0] == 0xFF))
        rv = JPKI_ERR_NOT_FOUND; /* an unwritten file */
    else if (rv == JPKI_OK &&
             (first[0] != 0x30 || total < 4 || total > MAX_FILE_LEN))
        rv = JPKI_ERR_BAD_DATA;
    else if (rv == JPKI_OK && !(buf = malloc(total)))
        rv = JPKI_ERR_MEMORY;
    if (rv != JPKI_OK) {
        OPENSSL_cleanse(first, sizeof first);
        return rv;
    }
    off = got < total ? got : total;
    memcpy(buf, first, off);
    while (off < total && rv == JPKI_OK) {
        size_t want = total - off > READ_CHUNK ? READ_CHUNK : total - off;
        rv = jpki_read_binary(c, off, want, buf + off, &got);
        if (rv == JPKI_OK)
            off += got > want ? want : got;
    }
    OPENSSL_cleanse(first, sizeof first);
    if (rv != JPKI_OK) {
        OPENSSL_cleanse(buf, total);
        free(buf);
        return rv;
    }
    *der = buf;
    *len = total;
    return JPKI_OK;
}

/* The files that may be kept on disk: never the signature certificate
 * (personal data), nor a smartphone's authentication certificate (it needs
 * the PIN there). */
static int cacheable(const jpki_card *c, uint16_t fid)
{
    return fid == EF_AUTH_CA || fid == EF_SIGN_CA ||
           (fid == EF_AUTH_CERT && !c->smartphone);
}

jpki_rv jpki_card_read_cert(jpki_card *c, jpki_key key, int ca, uint8_t **der,
                            size_t *len)
{
    static const uint16_t fids[2][2] = { { EF_AUTH_CERT, EF_AUTH_CA },
                                         { EF_SIGN_CERT, EF_SIGN_CA } };
    const uint8_t *cached;
    unsigned long resets;
    uint16_t fid;
    size_t n;
    jpki_rv rv;

    if (!c || !der || !len || !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    fid = fids[key][ca ? 1 : 0];
    if (cacheable(c, fid) && jpki_cache_get(c->cache, fid, &cached, &n)) {
        if (!(*der = malloc(n)))
            return JPKI_ERR_MEMORY;
        memcpy(*der, cached, n);
        *len = n;
        return JPKI_OK;
    }
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    resets = c->resets;
    rv = read_der_file(c, fid, der, len);
    if (jpki_reset_midway(c, resets, rv)) /* public data: read it again */
        rv = read_der_file(c, fid, der, len);
    jpki_card_end(c);
    if (rv == JPKI_ERR_NOT_FOUND && fid == EF_AUTH_CERT)
        c->auth_cert_absent = 1; /* certmap.c */
    if (rv == JPKI_OK && cacheable(c, fid)) {
        jpki_cache_put(c->cache, fid, *der, *len);
        jpki_cache_flush(c->cache); /* outside the transaction */
    }
    return rv;
}
