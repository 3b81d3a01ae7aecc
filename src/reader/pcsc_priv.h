/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_priv.h - private to the PC/SC backend (pcsc*.c): a reader's state
 * and the mapping of PC/SC errors.
 */
#ifndef JPKI_PCSC_PRIV_H
#define JPKI_PCSC_PRIV_H

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "reader/pcsc_part10.h"
#include "reader/reader_filter.h"
#include "reader/reader.h"

typedef struct {
    SCARDCONTEXT ctx; /* 0: none (not yet, or pcscd went away) */
    SCARDHANDLE card;
    DWORD protocol;
    int in_transaction;
    pcsc_features features; /* PIN pad, from the last connect */
} pcsc_priv;

/* The reader-layer meaning of a PC/SC return code. */
reader_rv pcsc_map_error(LONG rc);
/* Does rc mean the context is dead (pcscd stopped or restarted)? Then
 * the context must be released and established again. */
int pcsc_context_lost(LONG rc);
/* Releases a dead context and forgets the card handle. */
void pcsc_drop_context(reader *r);

/* pcsc_pinpad.c: asks a connected reader for its PC/SC part 10 features
 * and sets or clears READER_FLAG_PINPAD. */
void pcsc_probe_features(reader *r);
reader_rv pcsc_pinpad_verify(reader *r, const reader_pinpad_req *req,
                             uint16_t *sw);
reader_rv pcsc_pinpad_modify(reader *r, const reader_pinpad_req *req,
                             uint16_t *sw);

#endif
