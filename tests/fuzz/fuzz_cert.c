/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_cert.c - jpki_cert_parse (src/jpki/cert.c) over fuzzed DER: the
 * certificate model every object of the PKCS#11 layer is built from. A
 * parsed certificate must describe itself consistently.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/jpki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* required: present (a zero modulus is still a modulus, of length 0). */
static void check_piece(const jpki_buf *b, int required)
{
    if (required && !b->p)
        abort();
    if (b->len && !b->p)
        abort();
    /* Touch every byte, so ASan checks the length. */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < b->len; i++)
        x ^= b->p[i];
    (void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jpki_cert *c = NULL;

    if (jpki_cert_parse(data, size, &c) != JPKI_OK)
        return 0;
    if (!c)
        abort();
    if (!c->der.len || !c->subject.len || !c->spki.len)
        abort();
    check_piece(&c->der, 1);
    check_piece(&c->subject, 1);
    check_piece(&c->issuer, 1);
    check_piece(&c->serial, 1);
    check_piece(&c->spki, 1);
    check_piece(&c->modulus, c->key_type == JPKI_KEYTYPE_RSA);
    check_piece(&c->exponent, c->key_type == JPKI_KEYTYPE_RSA);
    check_piece(&c->ec_params, c->key_type == JPKI_KEYTYPE_EC);
    check_piece(&c->ec_point, c->key_type == JPKI_KEYTYPE_EC);
    if (c->der.len > size)
        abort();
    if (memchr(c->not_before, '\0', sizeof c->not_before) == NULL ||
        memchr(c->not_after, '\0', sizeof c->not_after) == NULL)
        abort();
    (void)jpki_cert_max_sign_input(c);
    (void)jpki_cert_signature_len(c);
    jpki_cert_free(c);
    return 0;
}
