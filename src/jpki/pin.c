/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pin.c - the two PINs of the JPKI-AP: host-side rules, retry counter,
 * verification. A PIN that cannot be right, or a locked PIN, never reaches
 * the card: every try the card counts is one the user typed.
 */
#include "jpki/jpki.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "jpki/card_priv.h"
#include "common/log.h"
#include "common/pin_rules.h"

/* ---- PIN rules ---------------------------------------------------------- */

jpki_rv jpki_pin_check(jpki_key key, const char *pin, size_t len)
{
    return pin_rules_ok(key == JPKI_SIGN, pin, len) ? JPKI_OK
                                                    : JPKI_ERR_PIN_FORMAT;
}

/* The card holds the signature PIN in upper case only, so a lower-case
 * letter typed by the user can never be right on the card: it is
 * upper-cased here, before the rules and before the card, so "abc123"
 * logs in where "ABC123" does. The auth PIN (digits) is copied as given. A
 * PIN longer than the longest possible one is not copied (the rules refuse
 * it anyway). */
jpki_rv jpki_pin_normalize(jpki_key key, const char *pin, size_t len,
                           char out[JPKI_PIN_BUF])
{
    size_t i;

    if (!pin || len > jpki_pin_max_len(key))
        return JPKI_ERR_PIN_FORMAT;
    for (i = 0; i < len; i++) {
        char ch = pin[i];
        out[i] = key == JPKI_SIGN && ch >= 'a' && ch <= 'z'
                     ? (char)(ch - 'a' + 'A')
                     : ch;
    }
    out[len] = '\0';
    return jpki_pin_check(key, out, len);
}

int jpki_pin_max_tries(jpki_key key)
{
    return key == JPKI_AUTH ? PIN_RULES_AUTH_TRIES : PIN_RULES_SIGN_TRIES;
}

size_t jpki_pin_min_len(jpki_key key)
{
    return key == JPKI_AUTH ? JPKI_AUTH_PIN_LEN : JPKI_SIGN_PIN_MIN;
}

size_t jpki_pin_max_len(jpki_key key)
{
    return key == JPKI_AUTH ? JPKI_AUTH_PIN_LEN : JPKI_SIGN_PIN_MAX;
}

static uint16_t pin_ef(jpki_key key)
{
    return key == JPKI_AUTH ? EF_AUTH_PIN : EF_SIGN_PIN;
}

/* VERIFY with no data (case 1): the card answers 63Cx and counts nothing.
 * A blocked PIN answers 6983 on some cards and 63C0 on others. */
static jpki_rv query_status(jpki_card *c, int *tries)
{
    apdu_cmd cmd = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x80 };
    uint16_t sw;
    jpki_rv rv = jpki_send_apdu(c, &cmd, NULL, 0, NULL, &sw);

    if (rv != JPKI_OK)
        return rv;
    if (SW1(sw) == 0x63 && (SW2(sw) & 0xF0) == 0xC0)
        *tries = SW2(sw) & 0x0F;
    else if (sw == 0x6983 || sw == 0x6984)
        *tries = 0;
    else
        return JPKI_ERR_CARD;
    return JPKI_OK;
}

/* ---- the retry counter, remembered ------------------------------------
 *
 * A retry counter can change only by a VERIFY (ours, or another
 * program's), a CHANGE REFERENCE DATA or an unblock. Ours all go through
 * this file, which records their outcome; a reset seen by the reader
 * (jpki_card_resets) forgets it. What cannot be seen is another program's
 * VERIFY: PC/SC tells of insertions, removals and resets, not of other
 * programs' transactions. So a counter read from the card is believed for
 * the TTL (JPKI_PIN_STATUS_TTL_MS) only; after that the next C_GetTokenInfo asks the
 * card again. The trade-off: a wrong PIN typed in another program shows in
 * our token flags at most that long after our last look, and in exchange a
 * client calling C_GetTokenInfo in a loop (pkcs11-tool does 3 times per
 * run, browsers often) costs one status query per PIN per interval. A
 * stale counter never costs a try: a VERIFY on a PIN that another program
 * locked meanwhile is refused by the card without counting. */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void remember(jpki_card *c, jpki_key key, int tries)
{
    c->tries[key] = tries;
    c->tries_ms[key] = now_ms();
    c->tries_resets[key] = c->resets;
}

/* The remembered counter if still believed, else -1. */
static int remembered(const jpki_card *c, jpki_key key)
{
    if (c->tries[key] < 0 || c->tries_resets[key] != c->resets ||
        now_ms() - c->tries_ms[key] >= c->tries_ttl_ms)
        return -1;
    return c->tries[key];
}

unsigned jpki_pin_status_ttl_default = JPKI_PIN_STATUS_TTL_MS;

void jpki_card_set_pin_status_ttl(jpki_card *c, unsigned ms)
{
    if (c)
        c->tries_ttl_ms = ms;
}

/* Selects the PIN file and, unless *tries is already known (>= 0), asks
 * the retry counter. Inside a transaction; no PIN goes to the card, so a
 * reset by another program on the way is answered by asking once more. */
static jpki_rv status_in_transaction(jpki_card *c, jpki_key key, int *tries)
{
    unsigned long resets = c->resets;
    jpki_rv rv;

    for (int again = 0;; again = 1) {
        rv = jpki_select_ef(c, pin_ef(key));
        if (rv == JPKI_OK && *tries < 0)
            rv = query_status(c, tries);
        if (again || !jpki_reset_midway(c, resets, rv))
            return rv;
        *tries = -1; /* a counter from before the reset: ask the card */
    }
}

jpki_rv jpki_card_pin_status(jpki_card *c, jpki_key key, int *tries_left)
{
    jpki_rv rv;

    if (!c || !tries_left || !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    if ((*tries_left = remembered(c, key)) >= 0)
        return JPKI_OK;
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    *tries_left = -1;
    rv = status_in_transaction(c, key, tries_left);
    jpki_card_end(c);
    if (rv == JPKI_OK)
        remember(c, key, *tries_left);
    return rv;
}

/* What a VERIFY's status word means, typed on the host or the PIN pad. */
static jpki_rv verify_result(uint16_t sw, int *tries)
{
    if (sw == SW_OK)
        return JPKI_OK;
    if (SW1(sw) == 0x63 && (SW2(sw) & 0xF0) == 0xC0) {
        *tries = SW2(sw) & 0x0F;
        return *tries ? JPKI_ERR_PIN_INCORRECT : JPKI_ERR_PIN_LOCKED;
    }
    if (sw == 0x6983 || sw == 0x6984) {
        *tries = 0;
        return JPKI_ERR_PIN_LOCKED;
    }
    return JPKI_ERR_CARD;
}

static jpki_rv send_verify(jpki_card *c, const char *pin, size_t len,
                           int *tries)
{
    apdu_cmd cmd = { .cla = 0x00,
                     .ins = 0x20,
                     .p1 = 0x00,
                     .p2 = 0x80,
                     .data = (const uint8_t *)pin,
                     .lc = len };
    uint16_t sw;
    jpki_rv rv = jpki_send_apdu(c, &cmd, NULL, 0, NULL, &sw);

    return rv == JPKI_OK ? verify_result(sw, tries) : rv;
}

/* A command whose PIN is typed on the reader (VERIFY, or CHANGE REFERENCE
 * DATA with modify set): *sw is the card's status word, except that the
 * reader's own 6401 (cancelled) and 6400 (timed out) become
 * JPKI_ERR_PIN_CANCELED: nothing reached the card, no try was spent. */
static jpki_rv pinpad_command(jpki_card *c, jpki_key key, uint8_t ins,
                              uint8_t p1, int modify, uint16_t *sw)
{
    reader_pinpad_req req = { .cla = 0x00,
                              .ins = ins,
                              .p1 = p1,
                              .p2 = 0x80,
                              .min_len = jpki_pin_min_len(key),
                              .max_len = jpki_pin_max_len(key),
                              .which = (unsigned)key };
    reader_rv rv;

    reader_note_pin(c->rd); /* the card may hold it verified afterwards */
    rv = modify ? reader_pinpad_modify(c->rd, &req, sw)
                : reader_pinpad_verify(c->rd, &req, sw);

    if (rv == READER_ERR_REMOVED || rv == READER_ERR_NO_CARD)
        return JPKI_ERR_REMOVED;
    if (rv != READER_OK)
        return JPKI_ERR_COMM;
    if (*sw == 0x6401 || *sw == 0x6400) {
        JLOG_INFO("PIN pad: entry %s",
                  *sw == 0x6401 ? "cancelled" : "timed out");
        return JPKI_ERR_PIN_CANCELED;
    }
    return JPKI_OK;
}

/* The same VERIFY, with the PIN typed on the reader. */
static jpki_rv send_verify_pinpad(jpki_card *c, jpki_key key, int *tries)
{
    uint16_t sw = 0;
    jpki_rv rv = pinpad_command(c, key, 0x20, 0x00, 0, &sw);

    return rv == JPKI_OK ? verify_result(sw, tries) : rv;
}

/* Selects the PIN file, asks the retry counter and, unless the PIN is
 * blocked (then it is not sent), verifies it. Inside a transaction. */
static jpki_rv verify_in_transaction(jpki_card *c, jpki_key key,
                                     const char *pin, size_t len, int *tries)
{
    /* pin == NULL: typed on the reader's PIN pad. A counter learnt just
     * now saves the status query; a locked PIN is not sent either way. A
     * reset reported at the VERIFY itself is an error, not a retry: the
     * PIN is sent at most once per call. */
    jpki_rv rv;

    *tries = remembered(c, key);
    rv = status_in_transaction(c, key, tries);
    if (rv == JPKI_OK && *tries == 0)
        rv = JPKI_ERR_PIN_LOCKED;
    if (rv == JPKI_OK) {
        rv = pin ? send_verify(c, pin, len, tries)
                 : send_verify_pinpad(c, key, tries);
        if (rv == JPKI_OK)
            *tries = jpki_pin_max_tries(key);
    }
    if (rv == JPKI_OK || rv == JPKI_ERR_PIN_INCORRECT ||
        rv == JPKI_ERR_PIN_LOCKED || rv == JPKI_ERR_PIN_CANCELED)
        remember(c, key, *tries);
    else
        c->tries[key] = -1;
    return rv;
}

int jpki_card_has_pinpad(const jpki_card *c)
{
    return c && (c->rd->flags & READER_FLAG_PINPAD);
}

jpki_rv jpki_card_verify_pinpad(jpki_card *c, jpki_key key, int *tries_left)
{
    int tries = -1;
    jpki_rv rv;

    if (!c || !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    if (!jpki_card_has_pinpad(c))
        return JPKI_ERR_ARGS;
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    rv = verify_in_transaction(c, key, NULL, 0, &tries);
    jpki_card_end(c);
    if (tries_left)
        *tries_left = tries;
    return rv;
}

jpki_rv jpki_card_verify_pin(jpki_card *c, jpki_key key, const char *pin,
                             size_t len, int *tries_left)
{
    char buf[JPKI_PIN_BUF];
    int tries = -1;
    jpki_rv rv;

    if (!c || !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    if (tries_left)
        *tries_left = -1;
    if ((rv = jpki_pin_normalize(key, pin, len, buf)) == JPKI_OK &&
        (rv = jpki_card_begin(c)) == JPKI_OK) {
        rv = verify_in_transaction(c, key, buf, len, &tries);
        jpki_card_end(c);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    if (tries_left)
        *tries_left = tries;
    return rv;
}

static jpki_rv send_change(jpki_card *c, const char *pin, size_t len)
{
    apdu_cmd cmd = { .cla = 0x00,
                     .ins = 0x24,
                     .p1 = 0x01,
                     .p2 = 0x80,
                     .data = (const uint8_t *)pin,
                     .lc = len };
    uint16_t sw;
    jpki_rv rv = jpki_send_apdu(c, &cmd, NULL, 0, NULL, &sw);

    if (rv != JPKI_OK)
        return rv;
    if (sw == SW_OK)
        return JPKI_OK;
    return sw == 0x6982 ? JPKI_ERR_SECURITY : JPKI_ERR_CARD;
}

int jpki_card_has_pinpad_modify(const jpki_card *c)
{
    return c && (c->rd->flags & READER_FLAG_PINPAD_MODIFY);
}

jpki_rv jpki_card_change_pin_pinpad(jpki_card *c, jpki_key key,
                                    int *tries_left)
{
    int tries = -1;
    uint16_t sw = 0;
    jpki_rv rv;

    if (tries_left)
        *tries_left = -1;
    if (!c || !jpki_key_valid(key) || !jpki_card_has_pinpad_modify(c))
        return JPKI_ERR_ARGS;
    if ((rv = jpki_card_begin(c)) != JPKI_OK)
        return rv;
    rv = verify_in_transaction(c, key, NULL, 0, &tries);
    if (rv == JPKI_OK)
        rv = pinpad_command(c, key, 0x24, 0x01, 1, &sw);
    if (rv == JPKI_OK && sw != SW_OK)
        rv = sw == 0x6A80   ? JPKI_ERR_PIN_FORMAT
             : sw == 0x6982 ? JPKI_ERR_SECURITY
                            : JPKI_ERR_CARD;
    jpki_card_end(c);
    if (tries_left)
        *tries_left = tries;
    return rv;
}

jpki_rv jpki_card_change_pin(jpki_card *c, jpki_key key, const char *old_pin,
                             size_t old_len, const char *new_pin,
                             size_t new_len, int *tries_left)
{
    char old_buf[JPKI_PIN_BUF], new_buf[JPKI_PIN_BUF];
    int tries = -1;
    jpki_rv rv;

    if (!c || !jpki_key_valid(key))
        return JPKI_ERR_ARGS;
    if (tries_left)
        *tries_left = -1;
    if ((rv = jpki_pin_normalize(key, old_pin, old_len, old_buf)) == JPKI_OK &&
        (rv = jpki_pin_normalize(key, new_pin, new_len, new_buf)) == JPKI_OK &&
        (rv = jpki_card_begin(c)) == JPKI_OK) {
        /* The same transaction keeps the PIN file selected and verified
         * for CHANGE REFERENCE DATA. */
        rv = verify_in_transaction(c, key, old_buf, old_len, &tries);
        if (rv == JPKI_OK)
            rv = send_change(c, new_buf, new_len);
        jpki_card_end(c);
    }
    OPENSSL_cleanse(old_buf, sizeof(old_buf));
    OPENSSL_cleanse(new_buf, sizeof(new_buf));
    if (tries_left)
        *tries_left = tries;
    return rv;
}
