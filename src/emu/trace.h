/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace.h - the emulator's APDU log (private to src/emu).
 *
 * When JPKI_EMU_LOG names a file, every APDU appends one line to it:
 *
 *   <start µs> <duration µs>us CLA=00 INS=20 P1=00 P2=80 Lc=4 Le=-
 *     -> len=0 SW=63C2 [note]                (one line, wrapped here)
 *
 * start is CLOCK_MONOTONIC in microseconds; len is the response's data
 * length; note names an injected fault. Command and response data are never
 * written: not the PIN of a VERIFY or CHANGE REFERENCE DATA, not a DigestInfo,
 * not file contents. Each line is one write() to an O_APPEND descriptor, so
 * several processes can share one log.
 */
#ifndef JPKI_EMU_TRACE_H
#define JPKI_EMU_TRACE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int fd; /* -1: no log */
} emu_trace;

/* Open the file JPKI_EMU_LOG names, if any (fd -1 otherwise or on error). */
void emu_trace_open(emu_trace *t);
void emu_trace_close(emu_trace *t);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t emu_trace_now_us(void);

/* Log one APDU. rsp/rsp_len: the whole response (SW last); rsp_len 0 means
 * no response (the card is gone). note may be NULL. */
void emu_trace_apdu(const emu_trace *t, uint64_t start_us, const uint8_t *cmd,
                    size_t cmd_len, const uint8_t *rsp, size_t rsp_len,
                    const char *note);

#endif
