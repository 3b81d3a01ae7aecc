/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check test programs. */
#ifndef JPKI_TESTUTIL_H
#define JPKI_TESTUTIL_H

#include <stddef.h>

/* A fresh private copy of a test card image, made with the default PINs
 * (auth 1234, sign ABC123). The template card is personalized once per test
 * process (in a temporary directory removed at exit); every call copies it,
 * so each test starts from full retry counters. Writes the image path into
 * buf and returns 0, or returns -1 (and prints why) on failure. */
int tu_card_copy(char *buf, size_t buflen);

/* Remove a card image made by tu_card_copy (and nothing else). */
void tu_card_remove(const char *path);

/* Directory of the template card's test PKI ("<template image>.pki"), or
 * NULL. */
const char *tu_template_pki_dir(void);

#endif
