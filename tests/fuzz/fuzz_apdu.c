/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_apdu.c - the card's answers are the fuzzer's bytes: the JPKI layer
 * (src/jpki) and the APDU codec (src/reader/apdu.c) over a fuzzing reader
 * (fuzzreader.h). Open the card, then a sequence of operations chosen by
 * the input: read certificates (and parse them), PIN status, VERIFY
 * (typed and PIN pad), sign, change PIN, logout.
 *
 * Input: flags (FZR_*), the number of operations (low 4 bits), the
 * operations (one byte each), then the card's answers (fuzzreader.h).
 */
#include "fuzz.h"
#include "fuzzreader.h"
#include "fuzz_apdu.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/jpki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void read_cert(jpki_card *c, jpki_key key, int ca)
{
    uint8_t *der = NULL;
    size_t len = 0;
    jpki_cert *cert = NULL;

    if (jpki_card_read_cert(c, key, ca, &der, &len) != JPKI_OK)
        return;
    if (!der || len == 0 || len > 0x7FFF)
        abort(); /* JPKI_OK promises a non-empty file */
    if (jpki_cert_parse(der, len, &cert) == JPKI_OK) {
        if (jpki_cert_signature_len(cert) > 4096)
            abort();
        jpki_cert_free(cert);
    }
    free(der);
}

static void sign(jpki_card *c, jpki_key key, uint8_t op)
{
    /* A SHA-256 DigestInfo, the common case; a short and a full-size
     * output buffer. */
    static const uint8_t di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                    0x01, 0x05, 0x00, 0x04, 0x20 };
    size_t cap = (op & 0x80) ? 256 : 17;
    uint8_t *sig = malloc(cap);
    size_t len = cap;

    if (!sig)
        abort();
    if (jpki_card_sign(c, key, JPKI_SCHEME_PKCS1, di, sizeof di, sig, &len) ==
            JPKI_OK &&
        (len == 0 || len > cap))
        abort();
    free(sig);
}

/* The retry counter is the card's 4-bit x of 63Cx (or -1: unknown). */
static void check_tries(jpki_rv rv, int tries)
{
    if (rv == JPKI_OK && tries < 0)
        abort();
    if (tries > 15 || tries < -1)
        abort();
}

void fz_apdu_ops(reader *r, const uint8_t *ops, size_t n_ops)
{
    static const char *const pins[2][2] = { { "1234", "9876" },
                                            { "ABC123", "Z9Y8X7W6V5U4T3S2" } };
    jpki_card *c = NULL;
    int tries = -1;
    jpki_rv rv;

    if (jpki_card_open(r, &c) != JPKI_OK)
        return;
    (void)jpki_card_serial(c);
    for (size_t i = 0; i < n_ops; i++) {
        uint8_t op = ops[i];
        jpki_key key = (op & 0x10) ? JPKI_SIGN : JPKI_AUTH;
        const char *pin = pins[key][(op >> 5) & 1];
        const char *other = pins[key][!((op >> 5) & 1)];
        switch (op & 0x0F) {
        case 0: read_cert(c, key, 0); break;
        case 1: read_cert(c, key, 1); break;
        case 2:
            rv = jpki_card_pin_status(c, key, &tries);
            check_tries(rv, tries);
            break;
        case 3:
            tries = -1;
            rv = jpki_card_verify_pin(c, key, pin, strlen(pin), &tries);
            check_tries(rv, tries);
            break;
        case 4:
            tries = -1;
            rv = jpki_card_verify_pinpad(c, key, &tries);
            check_tries(rv, tries);
            break;
        case 5: sign(c, key, op); break;
        case 6:
            rv = jpki_card_change_pin(c, key, pin, strlen(pin), other,
                                      strlen(other), &tries);
            check_tries(rv, tries);
            break;
        case 7: (void)jpki_card_logout(c); break;
        case 8:
            /* An operation group: begin, a read, a sign, end. */
            if (jpki_card_begin(c) == JPKI_OK) {
                read_cert(c, key, 0);
                sign(c, key, op);
                jpki_card_end(c);
            }
            break;
        case 9:
            (void)jpki_card_resets(c);
            (void)jpki_card_is_smartphone(c);
            break;
        case 10:
            tries = -1;
            rv = jpki_card_change_pin_pinpad(c, key, &tries);
            check_tries(rv, tries);
            break;
        default:
            /* A PIN that breaks the rules: refused on the host, whatever
             * the card would have said. */
            rv = jpki_card_verify_pin(c, key, "12a", 3, &tries);
            if (rv != JPKI_ERR_PIN_FORMAT)
                abort();
            break;
        }
    }
    jpki_card_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    size_t n_ops = fz_u8(&in) & 0x0F, got;
    const uint8_t *ops = fz_bytes(&in, n_ops, &got);
    reader *r = fz_reader_new(&in, flags);

    fz_apdu_ops(r, ops, got);
    reader_free(r);
    return 0;
}
