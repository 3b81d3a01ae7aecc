/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card.c - the JPKI-AP of the My Number Card (docs/card.md): application
 * and file selection, transactions, open and close. The files are read in
 * card_files.c, PINs in pin.c, signatures in sign.c: every APDU the module
 * sends is built in card.c, card_files.c, pin.c or sign.c.
 */
#include "jpki/jpki.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "jpki/card_priv.h"
#include "jpki/ec_card.h"
#include "jpki/test_hooks.h"
#include "common/sw.h"

static const uint8_t JPKI_AID[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26,
                                    0x01, 0x00, 0x00, 0x00, 0x01 };
/* The application that holds the chip's serial number. */
static const uint8_t SERIAL_AID[] = { 0xD3, 0x92, 0x10, 0x00, 0x31,
                                      0x00, 0x01, 0x01, 0x01, 0x00 };

#define TOKEN_INFO_LEN 0x20

const char *jpki_strerror(jpki_rv rv)
{
    switch (rv) {
    case JPKI_OK: return "success";
    case JPKI_ERR_ARGS: return "bad arguments";
    case JPKI_ERR_MEMORY: return "out of memory";
    case JPKI_ERR_NO_CARD: return "no card";
    case JPKI_ERR_NOT_JPKI: return "not a JPKI card";
    case JPKI_ERR_REMOVED: return "card removed";
    case JPKI_ERR_COMM: return "communication error";
    case JPKI_ERR_BUSY: return "card in use by another program";
    case JPKI_ERR_PIN_FORMAT: return "PIN has the wrong length or characters";
    case JPKI_ERR_PIN_INCORRECT: return "wrong PIN";
    case JPKI_ERR_PIN_LOCKED: return "PIN locked";
    case JPKI_ERR_SECURITY: return "PIN not verified";
    case JPKI_ERR_NOT_FOUND: return "file not found";
    case JPKI_ERR_CARD: return "unexpected answer from the card";
    case JPKI_ERR_BAD_DATA: return "malformed data";
    case JPKI_ERR_PIN_CANCELED:
        return "PIN entry cancelled or timed out on the PIN pad";
    case JPKI_ERR_UNSUPPORTED: return "the card does not support this";
    }
    return "unknown error";
}

/* ---- transport ---------------------------------------------------------- */

static jpki_rv from_reader(reader_rv rv)
{
    switch (rv) {
    case READER_OK: return JPKI_OK;
    case READER_ERR_ARGS: return JPKI_ERR_ARGS;
    case READER_ERR_MEMORY: return JPKI_ERR_MEMORY;
    case READER_ERR_NO_CARD: return JPKI_ERR_NO_CARD;
    case READER_ERR_REMOVED:
    case READER_ERR_NO_SERVICE: return JPKI_ERR_REMOVED;
    case READER_ERR_BUSY: return JPKI_ERR_BUSY;
    case READER_ERR_RESET:
    case READER_ERR_COMM: return JPKI_ERR_COMM;
    }
    return JPKI_ERR_COMM;
}

jpki_rv jpki_send_apdu(jpki_card *c, const apdu_cmd *cmd, uint8_t *rsp,
                       size_t cap, size_t *len, uint16_t *sw)
{
    size_t dummy;
    reader_rv rv;

    /* A VERIFY with a PIN may leave it verified: the reader resets the
     * card when it lets go of it (reader.h, pin_sent). */
    if (cmd->ins == 0x20 && cmd->lc > 0)
        reader_note_pin(c->rd);
    rv = apdu_transmit(c->rd, cmd, rsp, cap, len ? len : &dummy, sw);

    if (rv == READER_ERR_RESET) {
        c->ap_selected = 0;
        c->resets++;
    }
    return from_reader(rv);
}

/* SELECT by AID, no FCI. Selecting any application clears the card's
 * security state: the JPKI-AP counts as not selected until this succeeds. */
static jpki_rv select_aid(jpki_card *c, const uint8_t *aid, size_t len,
                          uint16_t *sw)
{
    apdu_cmd cmd = { .cla = 0x00,
                     .ins = 0xA4,
                     .p1 = 0x04,
                     .p2 = 0x0C,
                     .data = aid,
                     .lc = len };

    c->ap_selected = 0;
    return jpki_send_apdu(c, &cmd, NULL, 0, NULL, sw);
}

jpki_rv jpki_select_ap(jpki_card *c)
{
    uint16_t sw;
    uint8_t alt[16];
    size_t alt_len = jpki_ec_guess_alt_aid(alt);
    jpki_rv rv = c->alt_aid && alt_len
                     ? select_aid(c, alt, alt_len, &sw)
                     : select_aid(c, JPKI_AID, sizeof JPKI_AID, &sw);

    if (rv != JPKI_OK)
        return rv;
    /* The ECDSA generation may move the application (ec_card.h): a
     * configured AID is tried when the JPKI-AP's is not there. */
    if (sw == SW_NOT_FOUND && !c->alt_aid && alt_len &&
        (rv = select_aid(c, alt, alt_len, &sw)) == JPKI_OK && sw == SW_OK)
        c->alt_aid = 1;
    if (rv != JPKI_OK)
        return rv;
    if (sw == SW_NOT_FOUND || sw == SW_WRONG_P1P2 || sw == SW_BAD_INS ||
        sw == SW_BAD_CLA)
        return JPKI_ERR_NOT_JPKI;
    if (sw != SW_OK)
        return JPKI_ERR_CARD;
    c->ap_selected = 1;
    return JPKI_OK;
}

static jpki_rv select_ef_once(jpki_card *c, uint16_t fid, uint16_t *sw)
{
    uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
    apdu_cmd cmd = {
        .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = id, .lc = 2
    };

    return jpki_send_apdu(c, &cmd, NULL, 0, NULL, sw);
}

/* Is the JPKI-AP the current application? Whether re-selecting it keeps
 * the verified PINs is not known for the real card, and a program that
 * only looks (listing, token info, public objects) must not end a login
 * that another program holds. So we look without a SELECT of the
 * application: select the token-info EF 0006 (selecting an EF changes no
 * security state) and read its label. In the JPKI-AP that answers
 * "JPKIAP..." (JPKIAPICCTOKEN2, JPKIAPICCTOKEN, JPKIAPGPSETOKEN,
 * JPKIAPIOSTOKEN: a prefix is compared, never the whole string). If
 * another application is current, EF 0006 is either absent there (6A82,
 * or 6986 with no application at all after a reset) or holds something
 * else, whose content is then not JPKI's label: either way the answer is
 * "no" and the caller selects the JPKI-AP, which costs nothing since
 * another application being current means no JPKI login exists. Nothing
 * read here is kept unless it is JPKI's label. info (TOKEN_INFO_LEN bytes)
 * receives the label; *got its length. A transport error is returned. */
static int transport_error(jpki_rv rv)
{
    return rv == JPKI_ERR_COMM || rv == JPKI_ERR_REMOVED ||
           rv == JPKI_ERR_NO_CARD || rv == JPKI_ERR_BUSY ||
           rv == JPKI_ERR_MEMORY || rv == JPKI_ERR_ARGS;
}

static jpki_rv ap_is_current(jpki_card *c, uint8_t *info, size_t *got,
                             int *current)
{
    uint16_t sw = 0;
    size_t n = 0;
    jpki_rv rv = select_ef_once(c, EF_TOKEN_INFO, &sw);

    *current = 0;
    if (rv != JPKI_OK || sw != SW_OK)
        return rv;
    rv = jpki_read_binary(c, 0, TOKEN_INFO_LEN, info, &n);
    if (transport_error(rv))
        return rv;
    if (rv == JPKI_OK && n >= JPKI_LABEL_PREFIX_LEN &&
        memcmp(info, JPKI_LABEL_PREFIX, JPKI_LABEL_PREFIX_LEN) == 0) {
        *current = 1;
        *got = n;
    }
    return JPKI_OK;
}

/* Makes the JPKI-AP current, selecting it only when it is not already. */
jpki_rv jpki_ensure_ap(jpki_card *c)
{
    uint8_t info[TOKEN_INFO_LEN];
    size_t got = 0;
    int current;
    jpki_rv rv = ap_is_current(c, info, &got, &current);

    if (rv != JPKI_OK)
        return rv;
    if (!current)
        return jpki_select_ap(c);
    c->ap_selected = 1;
    return JPKI_OK;
}

/* Selects an EF of the JPKI-AP. If the file is unknown, another program
 * may have selected another application since our last transaction (which
 * also wiped the security state): select the AP again and retry once. */
jpki_rv jpki_select_ef(jpki_card *c, uint16_t fid)
{
    uint16_t sw = 0;
    jpki_rv rv;

    if (!c->ap_selected && (rv = jpki_ensure_ap(c)) != JPKI_OK)
        return rv;
    rv = select_ef_once(c, fid, &sw);
    if (rv == JPKI_OK && sw == SW_NOT_FOUND) {
        uint8_t info[TOKEN_INFO_LEN];
        size_t got = 0;
        int current;
        /* A file that is absent from the JPKI-AP (a CA certificate may
         * be) must not cost another program its login: look first. */
        if ((rv = ap_is_current(c, info, &got, &current)) != JPKI_OK)
            return rv;
        if (current)
            return JPKI_ERR_NOT_FOUND;
        if ((rv = jpki_select_ap(c)) != JPKI_OK)
            return rv;
        c->resets++;
        rv = select_ef_once(c, fid, &sw);
    }
    if (rv != JPKI_OK)
        return rv;
    if (sw == SW_NOT_FOUND)
        return JPKI_ERR_NOT_FOUND;
    return sw == SW_OK ? JPKI_OK : JPKI_ERR_CARD;
}

/* ---- transactions ------------------------------------------------------- */

/* Resets in a row that jpki_card_begin gets through. */
#define BEGIN_RESET_TRIES 8

jpki_rv jpki_card_begin(jpki_card *c)
{
    reader_rv rv;

    if (!c)
        return JPKI_ERR_ARGS;
    if (c->depth++ > 0)
        return JPKI_OK;
    rv = reader_begin(c->rd);
    /* The card was reset (the handle is connected again): the state is
     * gone, the transaction can still be ours. Programs that end one after
     * another each reset the card on their way out (as this module does),
     * so another reset may be waiting: nothing was sent yet, try again. */
    for (int i = 0; rv == READER_ERR_RESET; i++) {
        c->ap_selected = 0;
        c->resets++;
        if (i == BEGIN_RESET_TRIES)
            break;
        rv = reader_begin(c->rd);
    }
    if (rv != READER_OK) {
        c->depth--;
        return from_reader(rv);
    }
    return JPKI_OK;
}

void jpki_card_end(jpki_card *c)
{
    if (c && c->depth > 0 && --c->depth == 0)
        reader_end(c->rd);
}

/* A command of this operation was refused because another program had
 * reset the card (pcscd sends nothing then, and the handle is connected
 * again): the transaction is still ours, the card's state is not. */
int jpki_reset_midway(const jpki_card *c, unsigned long resets_before,
                      jpki_rv rv)
{
    return rv == JPKI_ERR_COMM && c->resets != resets_before;
}

unsigned long jpki_card_resets(const jpki_card *c)
{
    return c ? c->resets : 0;
}

int jpki_card_is_smartphone(const jpki_card *c)
{
    return c && c->smartphone;
}

/* The label of EF 0006 (got bytes) tells a card from a smartphone token. */
static void take_token_info(jpki_card *c, const uint8_t *info, size_t got)
{
    c->smartphone = got >= 15 && memcmp(info, "JPKIAPGPSETOKEN", 15) == 0;
    jpki_cache_put(c->cache, EF_TOKEN_INFO, info, got);
}

/* EF 0006 after a SELECT of the AP: from the cache, else one READ BINARY. */
static jpki_rv read_token_info(jpki_card *c)
{
    uint8_t info[TOKEN_INFO_LEN];
    const uint8_t *cached;
    size_t got = 0;
    jpki_rv rv;

    if (jpki_cache_get(c->cache, EF_TOKEN_INFO, &cached, &got)) {
        c->smartphone =
            got >= 15 && memcmp(cached, "JPKIAPGPSETOKEN", 15) == 0;
        return JPKI_OK;
    }
    rv = jpki_select_ef(c, EF_TOKEN_INFO);
    if (rv == JPKI_OK)
        rv = jpki_read_binary(c, 0, sizeof info, info, &got);
    if (rv == JPKI_ERR_NOT_FOUND)
        return JPKI_OK; /* treat as a plain card */
    if (rv != JPKI_OK)
        return rv;
    take_token_info(c, info, got);
    return JPKI_OK;
}

/* ---- open / close ------------------------------------------------------- */

/* The PIN status TTL cards get when opened; only tests change it. */
static unsigned pin_status_ttl_default = JPKI_PIN_STATUS_TTL_MS;

void jpki_test_set_pin_status_ttl_default(unsigned ms)
{
    pin_status_ttl_default = ms;
}

/* The serial in the serial-number application's record (n bytes): one
 * BER TLV whose VALUE's characters [2, 15) are the serial (13 printable
 * ASCII characters). Anything else from the card (a multi-byte tag, a
 * length that runs past the record, a value too short, a character that
 * is not printable) gives no serial: out is "" and nothing is read
 * outside rec. */
void jpki_serial_from_record(const uint8_t *rec, size_t n,
                             char out[JPKI_SERIAL_LEN + 1])
{
    size_t hdr, len = 0, k, i;

    out[0] = '\0';
    if (!rec || n < 2 || (rec[0] & 0x1F) == 0x1F)
        return;
    if (rec[1] < 0x80) {
        hdr = 2;
        len = rec[1];
    } else {
        k = rec[1] & 0x7F;
        if (k == 0 || k > 2 || n < 2 + k)
            return;
        for (i = 0; i < k; i++)
            len = len << 8 | rec[2 + i];
        hdr = 2 + k;
    }
    if (len > n - hdr || len < 2 + JPKI_SERIAL_LEN)
        return;
    for (i = 0; i < JPKI_SERIAL_LEN; i++) {
        uint8_t ch = rec[hdr + 2 + i];
        if (ch <= 0x20 || ch >= 0x7F)
            return;
    }
    memcpy(out, rec + hdr + 2, JPKI_SERIAL_LEN);
    out[JPKI_SERIAL_LEN] = '\0';
}

/* READ RECORD 1 of SFI 1 in the serial-number application (docs/card.md, one
 * source). Failure is no error: the serial is a nicety, and without the
 * application (6A82) card_id.c falls back to another identifier. Leaves
 * the JPKI-AP selected. */
static jpki_rv read_serial(jpki_card *c)
{
    apdu_cmd rec = {
        .cla = 0x00, .ins = 0xB2, .p1 = 0x01, .p2 = 0x0C, .le = 256
    };
    uint8_t rsp[256];
    size_t n = 0;
    uint16_t sw = 0;
    jpki_rv rv = select_aid(c, SERIAL_AID, sizeof SERIAL_AID, &sw);

    if (rv == JPKI_OK && sw != SW_OK) {
        /* No such application: a failed SELECT leaves the current one
         * current, and selecting the JPKI-AP again could end a login. */
        c->ap_selected = 1;
        return JPKI_OK;
    }
    if (rv == JPKI_OK)
        rv = jpki_send_apdu(c, &rec, rsp, sizeof rsp, &n, &sw);
    if (rv == JPKI_OK && sw == SW_OK)
        jpki_serial_from_record(rsp, n, c->serial);
    return rv == JPKI_OK ? jpki_select_ap(c) : rv;
}

const char *jpki_card_serial(const jpki_card *c)
{
    return c && c->serial[0] ? c->serial : NULL;
}

/* The JPKI-AP, made current without a SELECT when it already is (see
 * ap_is_current), and EF 0006. A phone token's serial needs another
 * application selected, which would end a login held by another program:
 * it is read only when the JPKI-AP was not current anyway (no login to
 * lose). Otherwise the card id comes from the cache or, without one, from
 * EF 0006 (card_id.c). */
static int g_want_serial; /* jpki_card_want_serial */

void jpki_card_want_serial(int on)
{
    g_want_serial = on;
}

static jpki_rv open_in_transaction(jpki_card *c)
{
    uint8_t info[TOKEN_INFO_LEN];
    size_t got = 0;
    int current;
    jpki_rv rv = ap_is_current(c, info, &got, &current);

    if (rv != JPKI_OK)
        return rv;
    if (current) {
        c->ap_selected = 1;
        take_token_info(c, info, got);
    } else if ((rv = jpki_select_ap(c)) == JPKI_OK) {
        rv = read_token_info(c);
    }
    if (rv == JPKI_OK && (c->smartphone || g_want_serial) && !current)
        rv = read_serial(c);
    return rv;
}

jpki_rv jpki_card_open(reader *r, jpki_card **out)
{
    char ident[512];
    jpki_card *c;
    jpki_rv rv;

    if (!r || !out)
        return JPKI_ERR_ARGS;
    *out = NULL;
    if ((rv = from_reader(reader_connect(r))) != JPKI_OK)
        return rv;
    if (!(c = calloc(1, sizeof *c)))
        return JPKI_ERR_MEMORY;
    c->rd = r;
    c->tries[0] = c->tries[1] = -1;
    c->tries_ttl_ms = pin_status_ttl_default;
    /* Taken after the connect, before any APDU: if the card was swapped
     * since, our handle is dead and the first APDU fails; nothing of the
     * new card is ever read under the old identity. */
    if (reader_identity(r, ident, sizeof ident) == READER_OK)
        c->cache = jpki_cache_open(ident);
    rv = jpki_card_begin(c);
    if (rv == JPKI_OK) {
        rv = open_in_transaction(c);
        jpki_card_end(c);
    }
    if (rv != JPKI_OK) {
        jpki_cache_free(c->cache);
        free(c);
        return rv;
    }
    *out = c;
    return JPKI_OK;
}

void jpki_card_close(jpki_card *c)
{
    if (!c)
        return;
    jpki_cache_flush(c->cache);
    jpki_cache_free(c->cache);
    free(c);
}

/* Whether re-selecting the JPKI-AP clears the verified PINs is not known
 * for the real card, so a logout does not rely on it: it resets the card
 * through the reader (a warm reset clears every card's security state),
 * and falls back to the re-select only with a reader that cannot reset.
 * After the reset no application is selected: the next operation selects
 * the JPKI-AP. The reset is ours: it is not counted as one behind our
 * back (jpki_card_resets). */
jpki_rv jpki_card_logout(jpki_card *c)
{
    reader_rv rrv;
    jpki_rv rv;

    if (!c)
        return JPKI_ERR_ARGS;
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    c->ap_selected = 0;
    rrv = reader_reset(c->rd);
    if (rrv == READER_ERR_ARGS)
        rv = jpki_select_ap(c);
    else
        rv = from_reader(rrv);
    jpki_card_end(c);
    return rv;
}
