/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "emu/error.h"

#include <stdarg.h>
#include <stdio.h>

emu_rv emu_fail(emu_rv rv, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rv;
}

emu_rv emu_fail_at(emu_rv rv, char *err, size_t errlen, const char *path,
                   const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "%s: %s", path, msg);
    }
    return rv;
}
