/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.h - the emulator's error messages, written one way everywhere. */
#ifndef JPKI_EMU_ERROR_H
#define JPKI_EMU_ERROR_H

#include <stddef.h>

#include "emu/emu.h"

/* Formats the message into err (if given) and returns rv. */
__attribute__((format(printf, 4, 5))) emu_rv emu_fail(emu_rv rv, char *err,
                                                      size_t errlen,
                                                      const char *fmt, ...);
/* The same, prefixed with "path: " (messages about an image file). */
__attribute__((format(printf, 5, 6))) emu_rv emu_fail_at(emu_rv rv, char *err,
                                                         size_t errlen,
                                                         const char *path,
                                                         const char *fmt, ...);

#endif
