/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * latency.h - a real card's timing, for the emulator: what a user would
 * wait on a contact card in a USB reader. Off unless asked for
 * (JPKI_EMU_LATENCY, or `jpki-tool emu serve --latency`).
 */
#ifndef JPKI_EMU_LATENCY_H
#define JPKI_EMU_LATENCY_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int on;
    unsigned apdu_us; /* every command: reader round trip + card's work */
    unsigned byte_us; /* every byte each way on the contact interface */
    unsigned sign_us; /* an RSA-2048 signature, on top */
} emu_latency;

/* Defaults (sources in latency.c and bench/README.md). */
#define EMU_LATENCY_APDU_US 12000u
#define EMU_LATENCY_BYTE_US 200u
#define EMU_LATENCY_SIGN_US 350000u

/* "off" or "" (off), "on" (the defaults), or "APDU_MS,BYTE_US,SIGN_MS".
 * 0, or -1 for a bad spec (out untouched). */
int emu_latency_parse(const char *spec, emu_latency *out);
/* The time one exchange takes on the modelled card, in microseconds. */
uint64_t emu_latency_cost_us(const emu_latency *m, size_t cmd_len,
                             size_t rsp_len, int is_signature);
/* Sleeps until cost has passed since start_us (emu_trace_now_us clock). */
void emu_latency_wait(const emu_latency *m, uint64_t start_us,
                      uint64_t cost_us);

#endif
