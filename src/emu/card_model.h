/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * card_model.h - the emulated card's state (private to src/emu).
 *
 * Persistent state (PINs, counters, keys, files) lives in the image; the
 * security state (which PINs are verified), the selection, a response held
 * back for GET RESPONSE, the fault state and the stats are this process's
 * view of the card and are never saved.
 */
#ifndef JPKI_EMU_CARD_MODEL_H
#define JPKI_EMU_CARD_MODEL_H

#include "emu.h"
#include "emu/fault.h"
#include "emu/holder.h"
#include "emu/image.h"
#include "emu/trace.h"
#include "emu/latency.h"

/* Applications the card answers SELECT for. */
enum {
    EMU_APP_NONE = 0,
    EMU_APP_JPKI,
    EMU_APP_CARD_INFO,
    EMU_APP_FACE,
    EMU_APP_SERIAL
};

/* Not a status word: the command cost the card its power (no answer). */
#define EMU_SW_GONE 0x0000

struct emu_card {
    char *path; /* image file */
    emu_image img;
    fu_ident file_id; /* image as last loaded or saved */
    int lock_fd;      /* "<path>.lock", -1 until first lock */
    int locked;       /* the caller holds emu_card_lock */
    int app;          /* EMU_APP_* */
    int ef;           /* index of the current EF, -1 = none */
    int verified[EMU_PIN_OBJECTS];
    uint8_t token_info[EMU_TOKEN_INFO_EF_LEN]; /* EF 0006 */
    uint8_t info_number[EMU_NUMBER_LEN + 2];   /* card-info EF 0001 */
    size_t info_number_len;
    uint8_t info_attrs[EMU_INFO_ATTRS_MAX]; /* card-info EF 0002 */
    size_t info_attrs_len;
    uint8_t serial_record[EMU_SERIAL_RECORD_MAX]; /* serial AP record 1 */
    size_t serial_record_len;
    /* GET RESPONSE: data the card holds back after answering 61xx. */
    uint8_t pending[256];
    size_t pending_len, pending_off;
    uint16_t pending_sw;
    emu_faults faults;
    int dropped;     /* drop-after fired: gone until new faults */
    int powered_off; /* power-loss fired: gone until reset */
    emu_trace trace;
    emu_stats stats;
    emu_latency latency; /* JPKI_EMU_LATENCY: a real card's timing */
};

/* Process one command as the card (no faults, no log, no locking); the
 * response data goes to out (256 bytes), its length to *out_len. Returns
 * the status word, or EMU_SW_GONE. */
uint16_t emu_card_process(emu_card *c, const uint8_t *cmd, size_t len,
                          uint8_t *out, size_t *out_len);

/* Derive the in-memory EF contents from c->img (after load or reload) and
 * drop a selection the new image no longer has. */
void emu_card_refresh(emu_card *c);

/* EF 0006 of the image's card: a 160-byte CK_TOKEN_INFO (token_info.c). */
void emu_token_info_build(const emu_image *img,
                          uint8_t t[EMU_TOKEN_INFO_EF_LEN]);

/* Forget the selection and the security state (reset, power loss). */
void emu_card_clear_session(emu_card *c);

#endif
