/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_apdu.h - the apdu target's operations, shared with its seed maker. */
#ifndef JPKI_FUZZ_APDU_H
#define JPKI_FUZZ_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "reader/reader.h"

/* Opens the card in r and runs the operations (fuzz_apdu.c). */
void fz_apdu_ops(reader *r, const uint8_t *ops, size_t n_ops);

#endif
