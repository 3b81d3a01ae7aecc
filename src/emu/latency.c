/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * latency.c - the emulator's real-card timing model (latency.h).
 *
 * Defaults, from public measurements of contact cards in USB readers:
 * - per command ~12 ms and per byte ~0.2 ms: an OpenSC debug log of a
 *   contact card in an ACS ACR38U reader (OpenSC issue #1190) shows a
 *   256-byte READ BINARY taking 67 ms (12 + 258 x 0.2 = 63.6 ms); another
 *   (OpenSC issue #528, Identive SCT3522CC) shows a SELECT with a 15-byte
 *   answer taking 50 ms, so 12 ms is on the kind side. Readers clock cards
 *   at 3.7-4.8 MHz, and at the default F/D = 372 a byte (12 ETU) takes
 *   about 1 ms; after PPS to F/D = 32 about 0.1 ms (fgrieu's explanation
 *   on the Oracle Java Card forum, thread 10886838).
 * - per RSA-2048 signature 350 ms: "a few hundred" milliseconds, as is
 *   commonly said of real cards; the JPKI card's own figure is not public.
 * The bench computes the same model from counted APDUs, bytes and
 * signatures, which needs no sleeping; here the emulator can also really
 * wait, for manual tests of how a client feels.
 */
#include "emu/latency.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emu/trace.h"

int emu_latency_parse(const char *spec, emu_latency *out)
{
    unsigned a, b, s;
    char extra;

    if (!spec || !*spec || strcmp(spec, "off") == 0) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (strcmp(spec, "on") == 0) {
        *out = (emu_latency){ 1, EMU_LATENCY_APDU_US, EMU_LATENCY_BYTE_US,
                              EMU_LATENCY_SIGN_US };
        return 0;
    }
    if (sscanf(spec, "%u,%u,%u%c", &a, &b, &s, &extra) != 3 || a > 10000 ||
        b > 100000 || s > 100000)
        return -1;
    *out = (emu_latency){ 1, a * 1000u, b, s * 1000u };
    return 0;
}

uint64_t emu_latency_cost_us(const emu_latency *m, size_t cmd_len,
                             size_t rsp_len, int is_signature)
{
    if (!m || !m->on)
        return 0;
    return m->apdu_us + (uint64_t)m->byte_us * (cmd_len + rsp_len) +
           (is_signature ? m->sign_us : 0);
}

void emu_latency_wait(const emu_latency *m, uint64_t start_us,
                      uint64_t cost_us)
{
    uint64_t now = emu_trace_now_us(), end = start_us + cost_us;
    struct timespec ts;

    if (!m || !m->on || now >= end)
        return;
    ts.tv_sec = (time_t)((end - now) / 1000000u);
    ts.tv_nsec = (long)((end - now) % 1000000u) * 1000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
