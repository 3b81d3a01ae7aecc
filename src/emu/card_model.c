/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_model.c - the emulated My Number Card: APDU parsing, applications,
 * files and their access conditions, PIN objects, security state and the
 * card's signature, answering with the real card's status words
 * (docs/card.md). Besides the JPKI-AP: the serial-number AP's record and
 * the card-info AP (dummy data behind its own PIN). Faults, the log and
 * GET RESPONSE chaining are transmit.c's; life cycle is card.c's.
 *
 * Every change to persistent state (a spent try, a reset counter, a new PIN)
 * is saved to the image before the answer is returned; if saving fails the
 * card answers 6581 and behaves as if the command had not been sent.
 */
#include "emu/card_model.h"
#include "emu/sign_ec.h"

#include "emu/sign_scheme.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define SW_OK 0x9000
#define SW_TRIES_LEFT 0x63C0
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_INCOMPATIBLE_EF 0x6981
#define SW_SECURITY 0x6982
#define SW_BLOCKED 0x6983
#define SW_CONDITIONS 0x6985
#define SW_NO_CURRENT_EF 0x6986
#define SW_WRONG_DATA 0x6A80
#define SW_FUNC_UNSUPPORTED 0x6A81
#define SW_NOT_FOUND 0x6A82
#define SW_RECORD_NOT_FOUND 0x6A83
#define SW_WRONG_P1P2 0x6A86
#define SW_WRONG_OFFSET 0x6B00
#define SW_WRONG_LE 0x6C00
#define SW_BAD_INS 0x6D00
#define SW_BAD_CLA 0x6E00
#define SW_NO_DIAGNOSIS 0x6F00

static const struct {
    int app;
    uint8_t aid[10];
} apps[] = {
    { EMU_APP_JPKI,
      { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 } },
    { EMU_APP_CARD_INFO,
      { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08 } },
    { EMU_APP_FACE,
      { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02 } },
    { EMU_APP_SERIAL,
      { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00 } },
};

typedef enum {
    EF_CERT,
    EF_TOKEN_INFO,
    EF_CERT_FLAGS,
    EF_KEY,
    EF_PIN,
    EF_INFO_NUMBER,
    EF_INFO_ATTRS
} ef_kind;

/* The EFs of the JPKI-AP and the card-info AP. idx: EMU_FILE_* for
 * certificates, EMU_PIN_* for keys and PINs (a key is usable after the PIN
 * with the same index). */
static const struct {
    int app;
    uint16_t fid;
    ef_kind kind;
    int idx;
    int read_pin; /* PIN that must be verified to read, -1 = free */
} jpki_efs[] = {
    { EMU_APP_JPKI, 0x000A, EF_CERT, EMU_FILE_AUTH_CERT, -1 },
    { EMU_APP_JPKI, 0x000B, EF_CERT, EMU_FILE_AUTH_CA, -1 },
    { EMU_APP_JPKI, 0x0001, EF_CERT, EMU_FILE_SIGN_CERT, EMU_PIN_SIGN },
    { EMU_APP_JPKI, 0x0002, EF_CERT, EMU_FILE_SIGN_CA, -1 },
    { EMU_APP_JPKI, 0x0006, EF_TOKEN_INFO, 0, -1 },
    { EMU_APP_JPKI, 0x0008, EF_CERT_FLAGS, 0, -1 },
    { EMU_APP_JPKI, 0x0017, EF_KEY, EMU_PIN_AUTH, -1 },
    { EMU_APP_JPKI, 0x0018, EF_PIN, EMU_PIN_AUTH, -1 },
    { EMU_APP_JPKI, 0x001A, EF_KEY, EMU_PIN_SIGN, -1 },
    { EMU_APP_JPKI, 0x001B, EF_PIN, EMU_PIN_SIGN, -1 },
    { EMU_APP_CARD_INFO, 0x0011, EF_PIN, EMU_PIN_INFO, -1 },
    { EMU_APP_CARD_INFO, 0x0001, EF_INFO_NUMBER, 0, EMU_PIN_INFO },
    { EMU_APP_CARD_INFO, 0x0002, EF_INFO_ATTRS, 0, EMU_PIN_INFO },
};
#define N_EFS (sizeof jpki_efs / sizeof jpki_efs[0])

/* A parsed short-length command and room for its response data. */
typedef struct {
    uint8_t cla, ins, p1, p2;
    int kind; /* ISO 7816-4 case 1..4 */
    const uint8_t *data;
    size_t lc;
    size_t le;    /* 1..256 when present */
    uint8_t *out; /* response data, at most 256 bytes */
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
    return c->ef >= 0 && jpki_efs[c->ef].kind == kind ? jpki_efs[c->ef].idx
                                                      : -1;
}

static void clear_security_state(emu_card *c)
{
    for (int i = 0; i < EMU_PIN_OBJECTS; i++)
        c->verified[i] = 0;
}

void emu_card_clear_session(emu_card *c)
{
    c->app = EMU_APP_NONE;
    c->ef = -1;
    clear_security_state(c);
}

/* The value a PIN object checks: the card-info AP's PIN is the auth PIN's. */
static const char *pin_value(const emu_pin_state *pins, int w)
{
    return pins->pin[w == EMU_PIN_INFO ? EMU_PIN_AUTH : w];
}

/* The smartphone token (JPKIAPGPSETOKEN) guards the auth certificate with
 * the auth PIN; the card leaves it free. */
static int read_pin_of(const emu_card *c, int ef)
{
    if (jpki_efs[ef].app == EMU_APP_JPKI && jpki_efs[ef].kind == EF_CERT &&
        jpki_efs[ef].idx == EMU_FILE_AUTH_CERT &&
        strcmp(c->img.token_info, EMU_TOKEN_ANDROID) == 0)
        return EMU_PIN_AUTH;
    return jpki_efs[ef].read_pin;
}

/* Content of a readable EF. */
static void ef_content(const emu_card *c, int ef, const uint8_t **p,
                       size_t *size)
{
    switch (jpki_efs[ef].kind) {
    case EF_CERT:
        *p = c->img.file[jpki_efs[ef].idx];
        *size = c->img.file_len[jpki_efs[ef].idx];
        break;
    case EF_INFO_NUMBER:
        *p = c->info_number;
        *size = c->info_number_len;
        break;
    case EF_INFO_ATTRS:
        *p = c->info_attrs;
        *size = c->info_attrs_len;
        break;
    case EF_CERT_FLAGS:
        *p = c->img.ef0008;
        *size = sizeof c->img.ef0008;
        break;
    default:
        *p = c->token_info;
        *size = sizeof c->token_info;
        break;
    }
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

/* FCI of a selected application: 6F { 84 DF name }. */
static void put_fci(apdu *a, const uint8_t *aid, size_t aid_len)
{
    a->out[0] = 0x6F;
    a->out[1] = (uint8_t)(aid_len + 2);
    a->out[2] = 0x84;
    a->out[3] = (uint8_t)aid_len;
    memcpy(a->out + 4, aid, aid_len);
    a->out_len = aid_len + 4;
}

/* Selecting an application starts a new security state, except (switch
 * reselect_keeps_pins) a SELECT of the JPKI-AP while it is the current one. */
static uint16_t select_app(emu_card *c, apdu *a, int fci)
{
    for (size_t i = 0; i < sizeof apps / sizeof apps[0]; i++) {
        if (a->lc != sizeof apps[i].aid ||
            memcmp(a->data, apps[i].aid, a->lc) != 0)
            continue;
        if (apps[i].app == EMU_APP_SERIAL && !c->img.serial_ap)
            return SW_NOT_FOUND;
        int again = apps[i].app == EMU_APP_JPKI && c->app == EMU_APP_JPKI;
        c->app = apps[i].app;
        c->ef = -1;
        if (!(again && c->img.reselect_keeps_pins))
            clear_security_state(c);
        c->stats.app_selects++;
        c->stats.jpki_reselects += again;
        if (c->app == EMU_APP_CARD_INFO)
            c->stats.card_info_selects++;
        if (fci) {
            c->stats.fci_selects++;
            put_fci(a, apps[i].aid, sizeof apps[i].aid);
        }
        return SW_OK;
    }
    return SW_NOT_FOUND;
}

/* Is EF ef missing from this card? A CA file the image does not hold, or
 * the certificate, key and PIN of a certificate EF 0008 says the card does
 * not carry: a card issued without that certificate never had its key
 * generated nor its PIN set, so all three answer "file not found". */
static int ef_absent(const emu_card *c, int ef)
{
    if (jpki_efs[ef].kind == EF_CERT && !c->img.file[jpki_efs[ef].idx])
        return 1;
    if (jpki_efs[ef].app != EMU_APP_JPKI)
        return 0;
    int which = -1;
    if (jpki_efs[ef].kind == EF_CERT)
        which = jpki_efs[ef].idx == EMU_FILE_SIGN_CERT   ? EMU_PIN_SIGN
                : jpki_efs[ef].idx == EMU_FILE_AUTH_CERT ? EMU_PIN_AUTH
                                                         : -1;
    else if (jpki_efs[ef].kind == EF_KEY || jpki_efs[ef].kind == EF_PIN)
        which = jpki_efs[ef].idx;
    /* byte 0 of EF 0008: the signature certificate, byte 1: the auth one */
    return which >= 0 &&
           c->img.ef0008[which == EMU_PIN_SIGN ? 0 : 1] != EMU_CERT_PRESENT;
}

/* The EF with that id in the current application, or -1. */
static int find_ef(const emu_card *c, uint16_t fid)
{
    for (size_t i = 0; i < N_EFS; i++)
        if (jpki_efs[i].app == c->app && jpki_efs[i].fid == fid)
            return ef_absent(c, (int)i) ? -1 : (int)i;
    return -1;
}

static uint16_t select_ef(emu_card *c, const apdu *a)
{
    if (a->lc != 2)
        return SW_WRONG_LENGTH;
    int ef = find_ef(c, (uint16_t)(a->data[0] << 8 | a->data[1]));
    if (ef < 0)
        return SW_NOT_FOUND;
    c->ef = ef;
    c->stats.ef_selects++;
    return SW_OK;
}

static uint16_t cmd_select(emu_card *c, apdu *a)
{
    /* P2=0C asks for no response data, so an Le byte is harmless. */
    if (a->kind != 3 && a->kind != 4)
        return SW_WRONG_LENGTH;
    /* P2=00 (return the FCI) by AID: switch select_fci. */
    if (a->p1 == 0x04 && a->p2 == 0x00 && c->img.select_fci)
        return select_app(c, a, 1);
    if (a->p2 != 0x0C)
        return SW_WRONG_P1P2;
    if (a->p1 == 0x04)
        return select_app(c, a, 0);
    if (a->p1 == 0x02)
        return select_ef(c, a);
    return SW_WRONG_P1P2; /* 09 (path) and the rest are not supported */
}

/* ---- READ BINARY -------------------------------------------------------- */

static uint16_t cmd_read_binary(emu_card *c, apdu *a)
{
    c->stats.read_binary++;
    if (a->kind != 2)
        return SW_WRONG_LENGTH;
    if (a->p1 & 0x80)
        return SW_WRONG_P1P2; /* short EF identifier: not supported */
    if (c->ef < 0)
        return SW_NO_CURRENT_EF;
    const ef_kind kind = jpki_efs[c->ef].kind;
    if (kind == EF_KEY || kind == EF_PIN)
        return SW_INCOMPATIBLE_EF;
    int pin = read_pin_of(c, c->ef);
    if (pin >= 0 && !c->verified[pin])
        return SW_SECURITY;
    const uint8_t *content;
    size_t size;
    ef_content(c, c->ef, &content, &size);
    size_t offset = (size_t)(a->p1 & 0x7F) << 8 | a->p2;
    if (offset >= size)
        return SW_WRONG_OFFSET;
    /* Fault wrong-le: a card that wants the exact length it has left. */
    if (c->faults.wrong_le && size - offset < a->le)
        return (uint16_t)(SW_WRONG_LE | (size - offset));
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
        return c->img.blocked_query_sw;
    return (uint16_t)(SW_TRIES_LEFT | left);
}

static uint16_t try_pin(emu_card *c, int w, const uint8_t *pin, size_t len)
{
    unsigned left = c->img.pins.tries[w];
    if (left == 0)
        return c->img.blocked_sw;
    emu_pin_state next = c->img.pins;
    const char *want = pin_value(&next, w);
    size_t plen = strlen(want);
    int match = len == plen && CRYPTO_memcmp(pin, want, plen) == 0;
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
    if (w == EMU_PIN_INFO)
        return SW_FUNC_UNSUPPORTED; /* it follows the auth PIN's value */
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

/* The key P2 names: 80 the current EF; 80|SFI (81-9F) the key EF whose
 * file id is the SFI (97: 0017, 9A: 001A), without selecting it (the
 * current EF stays as it was). A card with the switch sign_sfi off knows
 * P2 80 only and answers any other P2 as it does today: 6A86. */
static uint16_t sign_key(const emu_card *c, const apdu *a, int *w)
{
    if (a->p2 == 0x80) {
        *w = current_ef(c, EF_KEY);
        return *w < 0 ? SW_NO_CURRENT_EF : SW_OK;
    }
    if ((a->p2 & 0xE0) != 0x80 || !c->img.sign_sfi)
        return SW_WRONG_P1P2;
    int ef = find_ef(c, a->p2 & 0x1F);
    if (ef < 0)
        return SW_NOT_FOUND;
    if (jpki_efs[ef].kind != EF_KEY)
        return SW_INCOMPATIBLE_EF;
    *w = jpki_efs[ef].idx;
    return SW_OK;
}

static uint16_t cmd_sign(emu_card *c, apdu *a)
{
    if (a->kind != 3 && a->kind != 4)
        return SW_WRONG_LENGTH;
    /* An unknown scheme (P1, sign_scheme.c) is 6A86 whatever the state;
     * an EC card (sign_ec.c) knows P1 00 only. */
    const int ec = EVP_PKEY_is_a(c->img.key[EMU_PIN_AUTH], "EC");
    if (!emu_scheme_known(a->p1, c->img.sign_v15_only || ec)) {
        c->stats.unknown_schemes++;
        return SW_WRONG_P1P2;
    }
    int w = -1;
    uint16_t ksw = sign_key(c, a, &w);
    if (ksw != SW_OK)
        return ksw;
    if (!c->verified[w]) {
        c->stats.refused_signatures++;
        return c->img.unverified_sign_sw;
    }
    EVP_PKEY *key = c->img.key[w];
    size_t k = (size_t)EVP_PKEY_get_size(key), sig_len = EMU_RSP_MAX - 2;
    if (ec ? a->lc != EMU_EC_INPUT_LEN : !emu_scheme_len_ok(a->p1, a->lc, k))
        return SW_WRONG_LENGTH;
    if (k > sig_len)
        return SW_NO_DIAGNOSIS;
    /* Fault power-loss-at-sign: the card dies while it computes. */
    if (c->faults.power_loss_sign &&
        ++c->faults.signs == c->faults.power_loss_sign)
        return EMU_SW_GONE;
    uint16_t sw =
        ec ? (emu_ec_sign(key, c->img.ec_sig_der, a->data, a->lc, a->out,
                          &sig_len) == 0
                  ? SW_OK
                  : SW_NO_DIAGNOSIS)
           : emu_scheme_sign(key, a->p1, a->data, a->lc, a->out, &sig_len);
    if (sw != SW_OK)
        return sw;
    a->out_len = sig_len;
    c->stats.signatures++;
    c->stats.scheme_signatures[a->p1]++;
    c->stats.sfi_signatures += a->p2 != 0x80;
    if (w == EMU_PIN_SIGN && c->img.sign_pin_single_use)
        c->verified[EMU_PIN_SIGN] = 0;
    return SW_OK;
}

/* Reached only with nothing pending: transmit.c answers a GET RESPONSE
 * that follows a 61xx itself. */
static uint16_t cmd_get_response(emu_card *c, apdu *a)
{
    (void)c;
    return a->kind == 2 ? SW_CONDITIONS : SW_WRONG_LENGTH;
}

/* ---- READ RECORD (serial-number AP) ------------------------------------- */

/* 00 B2 01 0C Le: record 1 (P2 low bits 100 = record number in P1) of the
 * EF with short identifier 1. Other applications have no records and never
 * knew the instruction. */
static uint16_t cmd_read_record(emu_card *c, apdu *a)
{
    if (c->app != EMU_APP_SERIAL)
        return SW_BAD_INS;
    if (a->kind != 2)
        return SW_WRONG_LENGTH;
    if ((a->p2 & 0x07) != 0x04)
        return SW_WRONG_P1P2;
    if (a->p2 >> 3 != 1)
        return SW_NOT_FOUND;
    if (a->p1 != 1)
        return SW_RECORD_NOT_FOUND;
    /* A record is read whole: a shorter Le is told the exact length. */
    if (a->le < c->serial_record_len)
        return (uint16_t)(SW_WRONG_LE | c->serial_record_len);
    memcpy(a->out, c->serial_record, c->serial_record_len);
    a->out_len = c->serial_record_len;
    return SW_OK;
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct {
    uint8_t ins;
    uint8_t cla;
    cmd_fn fn;
} commands[] = {
    { 0xA4, 0x00, cmd_select },      { 0xB0, 0x00, cmd_read_binary },
    { 0x20, 0x00, cmd_verify },      { 0x24, 0x00, cmd_change_pin },
    { 0x2A, 0x80, cmd_sign },        { 0xC0, 0x00, cmd_get_response },
    { 0xB2, 0x00, cmd_read_record },
};

uint16_t emu_card_process(emu_card *c, const uint8_t *cmd, size_t len,
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

/* ---- derived state ------------------------------------------------------ */

void emu_card_refresh(emu_card *c)
{
    emu_token_info_build(&c->img, c->token_info);
    c->info_number_len = emu_info_number_ef(&c->img.holder, c->info_number,
                                            sizeof c->info_number);
    c->info_attrs_len =
        emu_info_attrs_ef(&c->img.holder, c->info_attrs, sizeof c->info_attrs);
    c->serial_record_len = emu_serial_record(c->img.serial, c->serial_record,
                                             sizeof c->serial_record);
    if (c->ef >= 0 && ef_absent(c, c->ef))
        c->ef = -1;
}
