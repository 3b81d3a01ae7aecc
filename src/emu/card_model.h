/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_model.h - the emulated card's state (private to src/emu).
 *
 * Persistent state (PINs, counters, keys, files) lives in the image; the
 * security state (which PINs are verified), the selection and the stats are
 * this process's view of the card and are never saved.
 */
#ifndef JPKI_EMU_CARD_MODEL_H
#define JPKI_EMU_CARD_MODEL_H

#include "emu.h"
#include "emu/image.h"

/* Applications the card answers SELECT for. */
enum {
    EMU_APP_NONE = 0,
    EMU_APP_JPKI,
    EMU_APP_CARD_INFO,
    EMU_APP_FACE,
    EMU_APP_SERIAL
};

struct emu_card {
    char *path;                 /* image file */
    emu_image img;
    emu_file_id file_id;        /* image as last loaded or saved */
    int lock_fd;                /* "<path>.lock", -1 until first lock */
    int locked;                 /* the caller holds emu_card_lock */
    int app;                    /* EMU_APP_* */
    int ef;                     /* index of the current EF, -1 = none */
    int verified[EMU_PIN_COUNT];
    uint8_t token_info[EMU_TOKEN_INFO_LEN];
    emu_stats stats;
};

#endif
