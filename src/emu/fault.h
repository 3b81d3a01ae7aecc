/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault.h - injected faults of the emulated card (private to src/emu).
 *
 * Tests use these to reach the error paths of the layers above: a card that
 * vanishes, a garbled or refused answer, the 61xx/6Cxx dialogues some
 * readers and contactless links produce, a slow card, and power lost in the
 * middle of a signature. The syntax is documented in emu.h (JPKI_EMU_FAULTS).
 */
#ifndef JPKI_EMU_FAULT_H
#define JPKI_EMU_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "emu.h"

#define EMU_FAULT_MAX_AT 8
#define EMU_FAULT_MAX_DELAY_MS 60000u

typedef struct {
    unsigned long seq; /* APDUs since the list was set */
    int drop;          /* drop-after given */
    unsigned long drop_after;
    unsigned long garbage_at[EMU_FAULT_MAX_AT];
    size_t n_garbage;
    unsigned long sw_at[EMU_FAULT_MAX_AT];
    uint16_t sw_value[EMU_FAULT_MAX_AT];
    size_t n_sw;
    int get_response;
    int wrong_le;
    /* The keypad's holder cancels (6401) or lets the entry time out
     * (6400); 0 = types. */
    uint16_t pinpad_sw;
    unsigned delay_ms;
    unsigned long power_loss_sign; /* the Nth signature loses power; 0 = off */
    unsigned long signs;           /* signatures the card began since then */
    int bad_signature; /* every signature comes back with a flipped bit */
} emu_faults;

/* Parse spec (NULL or "" = no faults) into *out; on error *out is left as
 * it was and err says what is wrong. */
emu_rv emu_faults_parse(const char *spec, emu_faults *out, char *err,
                        size_t errlen);

/* For APDU number seq (from 1): is its answer replaced by garbage; does it
 * answer a fixed SW (into *sw) without being processed. */
int emu_faults_garbage_at(const emu_faults *f, unsigned long seq);
int emu_faults_sw_at(const emu_faults *f, unsigned long seq, uint16_t *sw);

/* Fill buf with 1..max random bytes that never end in a status word a
 * card could mean; returns the length. */
size_t emu_faults_garbage(uint8_t *buf, size_t max);

/* Sleep the configured delay, if any. */
void emu_faults_delay(const emu_faults *f);

#endif
