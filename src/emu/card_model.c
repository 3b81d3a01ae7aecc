/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_model.c - the emulated My Number Card: APDU parsing, applications,
 * files and their access conditions, PIN objects, security state and the
 * card's signature, answering with the real card's status words
 * (shared/CARD.md).
 *
 * Every change to persistent state (a spent try, a reset counter, a new PIN)
 * is saved to the image before the answer is returned; if saving fails the
 * card answers 6581 and behaves as if the command had not been sent.
 */
#include "emu/card_model.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#define SW_OK               0x9000
#define SW_TRIES_LEFT       0x63C0
#define SW_MEMORY_FAILURE   0x6581
#define SW_WRONG_LENGTH     0x6700
#define SW_INCOMPATIBLE_EF  0x6981
#define SW_SECURITY         0x6982
#define SW_BLOCKED          0x6983
#define SW_CONDITIONS       0x6985
#define SW_NO_CURRENT_EF    0x6986
#define SW_WRONG_DATA       0x6A80
#define SW_NOT_FOUND        0x6A82
#define SW_WRONG_P1P2       0x6A86
#define SW_WRONG_OFFSET     0x6B00
#define SW_BAD_INS          0x6D00
#define SW_BAD_CLA          0x6E00
#define SW_NO_DIAGNOSIS     0x6F00

static const uint8_t card_atr[] = { 0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14 };

static const struct {
    int app;
    uint8_t aid[10];
} apps[] = {
    { EMU_APP_JPKI,      { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 } },
    { EMU_APP_CARD_INFO, { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08 } },
    { EMU_APP_FACE,      { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02 } },
    { EMU_APP_SERIAL,    { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00 } },
};

typedef enum { EF_CERT, EF_TOKEN_INFO, EF_KEY, EF_PIN } ef_kind;

/* The JPKI-AP's EFs. idx: EMU_FILE_* for certificates, EMU_PIN_* for keys
 * and PINs (a key is usable after the PIN with the same index). */
static const struct {
    uint16_t fid;
    ef_kind kind;
    int idx;
    int read_pin;   /* PIN that must be verified to read, -1 = free */
} jpki_efs[] = {
    { 0x000A, EF_CERT, EMU_FILE_AUTH_CERT, -1 },
    { 0x000B, EF_CERT, EMU_FILE_AUTH_CA, -1 },
    { 0x0001, EF_CERT, EMU_FILE_SIGN_CERT, EMU_PIN_SIGN },
    { 0x0002, EF_CERT, EMU_FILE_SIGN_CA, -1 },
    { 0x0006, EF_TOKEN_INFO, 0, -1 },
    { 0x0017, EF_KEY, EMU_PIN_AUTH, -1 },
    { 0x0018, EF_PIN, EMU_PIN_AUTH, -1 },
    { 0x001A, EF_KEY, EMU_PIN_SIGN, -1 },
    { 0x001B, EF_PIN, EMU_PIN_SIGN, -1 },
};
#define N_EFS (sizeof jpki_efs / sizeof jpki_efs[0])

/* A parsed short-length command and room for its response data. */
typedef struct {
    uint8_t cla, ins, p1, p2;
    int kind;              /* ISO 7816-4 case 1..4 */
    const uint8_t *data;
    size_t lc;
    size_t le;             /* 1..256 when present */
    uint8_t *out;          /* response data, at most 256 bytes */
    size_t out_len;
} apdu;

typedef uint16_t (*cmd_fn)(emu_card *c, apdu *a);

/* ---- helpers ------------------------------------------------------------ */

/* Short length only: extended length (Lc byte 00 with more bytes after it)
 * and any Lc that does not match the remaining bytes are wrong lengths. */
static int parse_apdu(const uint8_t *cmd, size_t len, apdu *a)
{
    memset(a, 0, sizeof *a);
    a->cla = cmd[0];
    a->ins = cmd[1];
    a->p1 = cmd[2];
    a->p2 = cmd[3];
    if (len == 4) {
        a->kind = 1;
        return 0;
    }
    if (len == 5) {
        a->kind = 2;
        a->le = cmd[4] ? cmd[4] : 256;
        return 0;
    }
    a->lc = cmd[4];
    if (a->lc == 0)
        return -1;
    a->data = cmd + 5;
    if (len == 5 + a->lc) {
        a->kind = 3;
        return 0;
    }
    if (len == 6 + a->lc) {
        a->kind = 4;
        a->le = cmd[len - 1] ? cmd[len - 1] : 256;
        return 0;
    }
    return -1;
}

static int current_ef(const emu_card *c, ef_kind kind)
{
    return c->ef >= 0 && jpki_efs[c->ef].kind == kind ? jpki_efs[c->ef].idx : -1;
}

static void clear_security_state(emu_card *c)
{
    for (int i = 0; i < EMU_PIN_COUNT; i++)
        c->verified[i] = 0;
}

/* Save the changed PIN state, then adopt it; the answer depends on it. */
static int persist(emu_card *c, const emu_pin_state *next)
{
    if (emu_image_save(c->path, &c->img, next, &c->file_id, NULL, 0) != EMU_OK)
        return -1;
    c->img.pins = *next;
    return 0;
}

/* ---- SELECT ------------------------------------------------------------- */

static uint16_t select_app(emu_card *c, const apdu *a)
{
    for (size_t i = 0; i < sizeof apps / sizeof apps[0]; i++) {
        if (a->lc == sizeof apps[i].aid && memcmp(a->data, apps[i].aid, a->lc) == 0) {
            c->app = apps[i].app;
            c->ef = -1;
            clear_security_state(c);
            return SW_OK;
        }
    }
    return SW_NOT_FOUND;
}

static uint16_t select_ef(emu_card *c, const apdu *a)
{
    if (a->lc != 2)
        return SW_WRONG_LENGTH;
    if (c->app != EMU_APP_JPKI)
        return SW_NOT_FOUND;
    uint16_t fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
    for (size_t i = 0; i < N_EFS; i++) {
        if (jpki_efs[i].fid != fid)
            continue;
        if (jpki_efs[i].kind == EF_CERT && !c->img.file[jpki_efs[i].idx])
            return SW_NOT_FOUND;
        c->ef = (int)i;
        return SW_OK;
    }
    return SW_NOT_FOUND;
}

static uint16_t cmd_select(emu_card *c, apdu *a)
{
    /* P2=0C asks for no response data, so an Le byte is harmless. */
    if (a->kind != 3 && a->kind != 4)
        return SW_WRONG_LENGTH;
    if (a->p2 != 0x0C)
        return SW_WRONG_P1P2;
    if (a->p1 == 0x04)
        return select_app(c, a);
    if (a->p1 == 0x02)
        return select_ef(c, a);
    return SW_WRONG_P1P2;   /* 09 (path) and the rest are not supported */
}

/* ---- READ BINARY -------------------------------------------------------- */

static uint16_t cmd_read_binary(emu_card *c, apdu *a)
{
    c->stats.read_binary++;
    if (a->kind != 2)
        return SW_WRONG_LENGTH;
    if (a->p1 & 0x80)
        return SW_WRONG_P1P2;   /* short EF identifier: not supported */
    if (c->ef < 0)
        return SW_NO_CURRENT_EF;
    const ef_kind kind = jpki_efs[c->ef].kind;
    if (kind == EF_KEY || kind == EF_PIN)
        return SW_INCOMPATIBLE_EF;
    int pin = jpki_efs[c->ef].read_pin;
    if (pin >= 0 && !c->verified[pin])
        return SW_SECURITY;
    const uint8_t *content = c->token_info;
    size_t size = sizeof c->token_info;
    if (kind == EF_CERT) {
        content = c->img.file[jpki_efs[c->ef].idx];
        size = c->img.file_len[jpki_efs[c->ef].idx];
    }
    size_t offset = (size_t)(a->p1 & 0x7F) << 8 | a->p2;
    if (offset >= size)
        return SW_WRONG_OFFSET;
    size_t n = size - offset < a->le ? size - offset : a->le;
    memcpy(a->out, content + offset, n);
    a->out_len = n;
    c->stats.bytes_read += n;
    return SW_OK;
}

/* ---- VERIFY and CHANGE REFERENCE DATA ----------------------------------- */

static uint16_t retry_status(const emu_card *c, int w)
{
    unsigned left = c->img.pins.tries[w];
    if (left == 0)
        return c->img.blocked_status_63c0 ? SW_TRIES_LEFT : SW_BLOCKED;
    return (uint16_t)(SW_TRIES_LEFT | left);
}

static uint16_t try_pin(emu_card *c, int w, const uint8_t *pin, size_t len)
{
    unsigned left = c->img.pins.tries[w];
    if (left == 0)
        return SW_BLOCKED;
    emu_pin_state next = c->img.pins;
    size_t plen = strlen(next.pin[w]);
    int match = len == plen && CRYPTO_memcmp(pin, next.pin[w], plen) == 0;
    next.tries[w] = match ? emu_pin_max_tries(w) : left - 1;
    uint16_t sw;
    if (next.tries[w] != left && persist(c, &next) != 0) {
        sw = SW_MEMORY_FAILURE;
    } else {
        /* A wrong PIN also drops an earlier verification of it. */
        c->verified[w] = match;
        sw = match ? SW_OK : (uint16_t)(SW_TRIES_LEFT | next.tries[w]);
    }
    OPENSSL_cleanse(&next, sizeof next);
    return sw;
}

static uint16_t cmd_verify(emu_card *c, apdu *a)
{
    if (a->kind == 2 || a->kind == 4)
        return SW_WRONG_LENGTH;
    if (a->p1 != 0x00 || a->p2 != 0x80)
        return SW_WRONG_P1P2;
    int w = current_ef(c, EF_PIN);
    if (w < 0)
        return SW_NO_CURRENT_EF;
    if (a->kind == 1) {
        c->stats.status_queries++;
        return retry_status(c, w);
    }
    c->stats.verifies++;
    return try_pin(c, w, a->data, a->lc);
}

static uint16_t cmd_change_pin(emu_card *c, apdu *a)
{
    if (a->kind != 3)
        return SW_WRONG_LENGTH;
    if (a->p1 != 0x01 || a->p2 != 0x80)
        return SW_WRONG_P1P2;
    int w = current_ef(c, EF_PIN);
    if (w < 0)
        return SW_NO_CURRENT_EF;
    if (!c->verified[w])
        return SW_SECURITY;
    if (!emu_pin_valid(w, a->data, a->lc))
        return SW_WRONG_DATA;
    emu_pin_state next = c->img.pins;
    memcpy(next.pin[w], a->data, a->lc);
    next.pin[w][a->lc] = '\0';
    next.tries[w] = emu_pin_max_tries(w);
    uint16_t sw = persist(c, &next) == 0 ? SW_OK : SW_MEMORY_FAILURE;
    OPENSSL_cleanse(&next, sizeof next);
    return sw;
}

/* ---- COMPUTE DIGITAL SIGNATURE ------------------------------------------ */

/* PKCS#1 v1.5 type-1 padding of the caller's bytes (a DigestInfo), then the
 * raw RSA private-key operation: exactly what the card does. */
static int rsa_pkcs1_sign(EVP_PKEY *key, const uint8_t *in, size_t in_len,
                          uint8_t *sig, size_t *sig_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx && EVP_PKEY_sign_init(ctx) == 1
        && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1
        && EVP_PKEY_sign(ctx, sig, sig_len, in, in_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

static uint16_t cmd_sign(emu_card *c, apdu *a)
{
    if (a->kind != 3 && a->kind != 4)
        return SW_WRONG_LENGTH;
    if (a->p1 != 0x00 || a->p2 != 0x80)
        return SW_WRONG_P1P2;
    int w = current_ef(c, EF_KEY);
    if (w < 0)
        return SW_NO_CURRENT_EF;
    if (!c->verified[w])
        return SW_SECURITY;
    EVP_PKEY *key = c->img.key[w];
    size_t k = (size_t)EVP_PKEY_get_size(key);
    if (a->lc + 11 > k)
        return SW_WRONG_LENGTH;
    size_t sig_len = EMU_RSP_MAX - 2;
    if (k > sig_len || rsa_pkcs1_sign(key, a->data, a->lc, a->out, &sig_len) != 0)
        return SW_NO_DIAGNOSIS;
    a->out_len = sig_len;
    c->stats.signatures++;
    if (w == EMU_PIN_SIGN && c->img.sign_pin_single_use)
        c->verified[EMU_PIN_SIGN] = 0;
    return SW_OK;
}

static uint16_t cmd_get_response(emu_card *c, apdu *a)
{
    /* The card never answers 61xx, so nothing is ever pending. */
    (void)c;
    return a->kind == 2 ? SW_CONDITIONS : SW_WRONG_LENGTH;
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct {
    uint8_t ins;
    uint8_t cla;
    cmd_fn fn;
} commands[] = {
    { 0xA4, 0x00, cmd_select },
    { 0xB0, 0x00, cmd_read_binary },
    { 0x20, 0x00, cmd_verify },
    { 0x24, 0x00, cmd_change_pin },
    { 0x2A, 0x80, cmd_sign },
    { 0xC0, 0x00, cmd_get_response },
};

static uint16_t process(emu_card *c, const uint8_t *cmd, size_t len,
                        uint8_t *out, size_t *out_len)
{
    *out_len = 0;
    if (len < 4 || len > 5 + 255 + 1)
        return SW_WRONG_LENGTH;
    if (cmd[0] != 0x00 && cmd[0] != 0x80)
        return SW_BAD_CLA;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (commands[i].ins != cmd[1])
            continue;
        if (commands[i].cla != cmd[0])
            return SW_BAD_CLA;
        apdu a;
        if (parse_apdu(cmd, len, &a) != 0)
            return SW_WRONG_LENGTH;
        a.out = out;
        uint16_t sw = commands[i].fn(c, &a);
        *out_len = a.out_len;
        return sw;
    }
    return SW_BAD_INS;
}

emu_rv emu_card_transmit(emu_card *card, const uint8_t *cmd, size_t cmd_len,
                         uint8_t *rsp, size_t *rsp_len)
{
    if (!card || !rsp || !rsp_len || (!cmd && cmd_len))
        return EMU_ERR_ARGS;
    /* A caller that did not lock still must not work on a stale image or
     * race another process's save; if the lock is unavailable (say, a
     * read-only directory) the command runs on the state in memory. */
    int implicit = !card->locked && emu_card_lock(card) == EMU_OK;
    size_t n = 0;
    uint16_t sw = process(card, cmd, cmd ? cmd_len : 0, rsp, &n);
    if (implicit)
        emu_card_unlock(card);
    card->stats.apdus++;
    rsp[n] = (uint8_t)(sw >> 8);
    rsp[n + 1] = (uint8_t)sw;
    *rsp_len = n + 2;
    return EMU_OK;
}

/* ---- life cycle --------------------------------------------------------- */

static void fill_token_info(emu_card *c)
{
    size_t len = strlen(c->img.token_info);
    memset(c->token_info, ' ', sizeof c->token_info);
    memcpy(c->token_info, c->img.token_info, len);
}

emu_rv emu_card_load(const char *path, emu_card **out, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!path || !out) {
        if (err && errlen)
            snprintf(err, errlen, "emu_card_load: no %s given", path ? "output" : "path");
        return EMU_ERR_ARGS;
    }
    emu_card *c = OPENSSL_zalloc(sizeof *c);
    if (!c || !(c->path = OPENSSL_strdup(path))) {
        OPENSSL_free(c);
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path);
        return EMU_ERR_MEMORY;
    }
    c->lock_fd = -1;
    c->ef = -1;
    emu_rv rv = emu_image_load(path, &c->img, &c->file_id, err, errlen);
    if (rv != EMU_OK) {
        emu_card_free(c);
        return rv;
    }
    fill_token_info(c);
    *out = c;
    return EMU_OK;
}

void emu_card_free(emu_card *card)
{
    if (!card)
        return;
    emu_image_clear(&card->img);
    if (card->lock_fd >= 0)
        close(card->lock_fd);   /* also releases a lock still held */
    OPENSSL_free(card->path);
    OPENSSL_clear_free(card, sizeof *card);
}

void emu_card_reset(emu_card *card)
{
    if (!card)
        return;
    card->app = EMU_APP_NONE;
    card->ef = -1;
    clear_security_state(card);
}

size_t emu_card_atr(const emu_card *card, uint8_t *atr, size_t max)
{
    (void)card;     /* every emulated card has the same ATR */
    if (atr)
        memcpy(atr, card_atr, max < sizeof card_atr ? max : sizeof card_atr);
    return sizeof card_atr;
}

/* Adopt the image another process saved; the security state stays, as it
 * is this process's own session with the card. */
static emu_rv reload(emu_card *c)
{
    emu_image fresh;
    emu_file_id id;
    emu_rv rv = emu_image_load(c->path, &fresh, &id, NULL, 0);
    if (rv != EMU_OK)
        return rv;
    emu_image_clear(&c->img);
    c->img = fresh;
    c->file_id = id;
    fill_token_info(c);
    if (c->ef >= 0 && jpki_efs[c->ef].kind == EF_CERT && !c->img.file[jpki_efs[c->ef].idx])
        c->ef = -1;
    return EMU_OK;
}

emu_rv emu_card_lock(emu_card *card)
{
    if (!card)
        return EMU_ERR_ARGS;
    emu_rv rv = emu_image_lock(card->path, &card->lock_fd);
    if (rv != EMU_OK)
        return rv;
    if (emu_image_changed(card->path, &card->file_id) && (rv = reload(card)) != EMU_OK) {
        emu_image_unlock(card->lock_fd);
        return rv;
    }
    card->locked = 1;
    return EMU_OK;
}

void emu_card_unlock(emu_card *card)
{
    if (!card || !card->locked)
        return;
    card->locked = 0;
    emu_image_unlock(card->lock_fd);
}

void emu_card_get_stats(const emu_card *card, emu_stats *st)
{
    if (!st)
        return;
    if (card)
        *st = card->stats;
    else
        memset(st, 0, sizeof *st);
}

emu_rv emu_card_get_info(const emu_card *card, emu_info *info)
{
    if (!card || !info)
        return EMU_ERR_ARGS;
    memset(info, 0, sizeof *info);
    info->format_version = card->img.version;
    snprintf(info->token_info, sizeof info->token_info, "%s", card->img.token_info);
    info->auth_tries = card->img.pins.tries[EMU_PIN_AUTH];
    info->auth_max_tries = EMU_AUTH_PIN_TRIES;
    info->sign_tries = card->img.pins.tries[EMU_PIN_SIGN];
    info->sign_max_tries = EMU_SIGN_PIN_TRIES;
    info->blocked_status_63c0 = card->img.blocked_status_63c0;
    info->sign_pin_single_use = card->img.sign_pin_single_use;
    return EMU_OK;
}

const char *emu_strerror(emu_rv rv)
{
    switch (rv) {
    case EMU_OK:          return "success";
    case EMU_ERR_ARGS:    return "bad arguments";
    case EMU_ERR_IO:      return "card image cannot be read or written";
    case EMU_ERR_FORMAT:  return "card image corrupt, truncated or not an image";
    case EMU_ERR_VERSION: return "card image has an unknown format version";
    case EMU_ERR_CRYPTO:  return "cryptographic operation failed";
    case EMU_ERR_MEMORY:  return "out of memory";
    }
    return "unknown error";
}
