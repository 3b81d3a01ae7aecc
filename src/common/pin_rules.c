/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pin_rules.c - the JPKI-AP's PIN rules (pin_rules.h).
 */
#include "common/pin_rules.h"

int pin_rules_ok(int sign, const void *pin, size_t len)
{
    const unsigned char *p = pin;
    size_t min = sign ? PIN_RULES_SIGN_MIN : PIN_RULES_AUTH_LEN;
    size_t max = sign ? PIN_RULES_SIGN_MAX : PIN_RULES_AUTH_LEN;

    if (!p || len < min || len > max)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int digit = p[i] >= '0' && p[i] <= '9';
        int upper = p[i] >= 'A' && p[i] <= 'Z';
        if (!digit && !(sign && upper))
            return 0;
    }
    return 1;
}
