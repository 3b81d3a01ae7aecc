/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace.c - the APDU log (format and guarantees in trace.h). Only the
 * header bytes and lengths of a command are looked at, so no code path
 * here can leak a PIN.
 */
#include "emu/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void emu_trace_open(emu_trace *t)
{
    const char *p = getenv("JPKI_EMU_LOG");
    t->fd = -1;
    if (p && *p)
        t->fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

void emu_trace_close(emu_trace *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

uint64_t emu_trace_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* "Lc=.. Le=.." from the short-length header alone. */
static void lengths(const uint8_t *cmd, size_t len, char *out, size_t max)
{
    if (len == 4) {
        snprintf(out, max, "Lc=- Le=-");
    } else if (len == 5) {
        snprintf(out, max, "Lc=- Le=%u", cmd[4] ? cmd[4] : 256u);
    } else {
        size_t lc = cmd[4];
        if (lc && len == 5 + lc)
            snprintf(out, max, "Lc=%zu Le=-", lc);
        else if (lc && len == 6 + lc)
            snprintf(out, max, "Lc=%zu Le=%u", lc,
                     cmd[len - 1] ? cmd[len - 1] : 256u);
        else
            snprintf(out, max, "Lc=? (%zu bytes)", len);
    }
}

void emu_trace_apdu(const emu_trace *t, uint64_t start_us, const uint8_t *cmd,
                    size_t cmd_len, const uint8_t *rsp, size_t rsp_len,
                    const char *note)
{
    if (!t || t->fd < 0)
        return;
    char hdr[64], len[48], res[48], line[256];
    if (cmd && cmd_len >= 4) {
        snprintf(hdr, sizeof hdr, "CLA=%02X INS=%02X P1=%02X P2=%02X", cmd[0],
                 cmd[1], cmd[2], cmd[3]);
        lengths(cmd, cmd_len, len, sizeof len);
    } else {
        snprintf(hdr, sizeof hdr, "short command");
        snprintf(len, sizeof len, "(%zu bytes)", cmd ? cmd_len : 0);
    }
    if (rsp_len >= 2)
        snprintf(res, sizeof res, "len=%zu SW=%02X%02X", rsp_len - 2,
                 rsp[rsp_len - 2], rsp[rsp_len - 1]);
    else if (rsp_len == 1)
        snprintf(res, sizeof res, "len=1 SW=none");
    else
        snprintf(res, sizeof res, "no response");
    uint64_t dur = emu_trace_now_us() - start_us;
    int n = snprintf(line, sizeof line,
                     "%" PRIu64 " %" PRIu64 "us %s %s -> %s%s%s\n", start_us,
                     dur, hdr, len, res, note ? " " : "", note ? note : "");
    if (n <= 0)
        return;
    size_t w = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* One write: lines of several processes never interleave. A log that
     * cannot be written must not disturb the card, so errors are dropped. */
    while (write(t->fd, line, w) < 0 && errno == EINTR)
        ;
}
