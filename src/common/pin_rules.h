/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pin_rules.h - what the JPKI-AP accepts as a PIN, in one place for the
 * module (which refuses a PIN that cannot be right before it reaches the
 * card) and the emulator (which refuses it as the card does):
 *
 *   - the user-authentication PIN is exactly 4 digits, 3 tries;
 *   - the digital-signature PIN is 6 to 16 of 0-9 and A-Z (upper case
 *     only: the card holds no lower case), 5 tries.
 */
#ifndef JPKI_PIN_RULES_H
#define JPKI_PIN_RULES_H

#include <stddef.h>

#define PIN_RULES_AUTH_LEN 4
#define PIN_RULES_SIGN_MIN 6
#define PIN_RULES_SIGN_MAX 16
#define PIN_RULES_AUTH_TRIES 3
#define PIN_RULES_SIGN_TRIES 5

/* 1 if the len bytes at pin can be the signature PIN (sign != 0) or the
 * authentication PIN (sign == 0); 0 otherwise, and for a NULL pin. */
int pin_rules_ok(int sign, const void *pin, size_t len);

#endif
