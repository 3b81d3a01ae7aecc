/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_vpcd.c - the vpcd bridge of "jpki-tool emu serve" (src/emu/vpcd.c)
 * on fuzzed framing: the fuzzer's bytes are what vpcd sends (2-byte length,
 * then a control byte or an APDU), over a socket pair, to a fresh emulator
 * card. The answers must be whole frames, the serve must end (the peer
 * closes when the input ends), and an error must say what it was.
 * FUZZ_WRITE_SEEDS=DIR writes seeds: power on, ATR, SELECT, READ BINARY,
 * VERIFY and a reset; a truncated frame; an empty one.
 */
#include "fuzz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu/vpcd.h"

static char card[4096];
static uint8_t *image;
static size_t image_len;

typedef struct {
    int fd;
    int whole; /* the answers were whole frames */
} drain_ctx;

static void *drain(void *arg)
{
    drain_ctx *d = arg;
    static __thread uint8_t buf[1 << 16];
    size_t have = 0;
    d->whole = 1;
    for (;;) {
        ssize_t k = read(d->fd, buf + have, sizeof buf - have);
        if (k <= 0)
            break;
        have += (size_t)k;
        /* drop the complete frames at the front */
        size_t off = 0;
        while (have - off >= 2 &&
               have - off >= 2u + ((size_t)buf[off] << 8 | buf[off + 1]))
            off += 2u + ((size_t)buf[off] << 8 | buf[off + 1]);
        memmove(buf, buf + off, have - off);
        have -= off;
        if (have == sizeof buf)
            have = 0, d->whole = 0;
    }
    if (have)
        d->whole = 0;
    return NULL;
}

static void frame(FILE *f, const char *hex)
{
    uint8_t b[300];
    size_t n = 0;
    unsigned v;
    while (*hex && sscanf(hex, "%2x", &v) == 1) {
        b[n++] = (uint8_t)v;
        hex += 2;
    }
    fputc((int)(n >> 8), f);
    fputc((int)(n & 0xFF), f);
    fwrite(b, 1, n, f);
}

static void write_seeds(const char *out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/seed-vpcd-session", out);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    frame(f, "01");                             /* power on */
    frame(f, "04");                             /* ATR */
    frame(f, "00A4040C0AD392F000260100000001"); /* SELECT the JPKI-AP */
    frame(f, "00A4020C020018");                 /* SELECT the auth PIN */
    frame(f, "0020800004");                     /* VERIFY: tries left */
    frame(f, "002080000431323334");             /* VERIFY 1234 */
    frame(f, "00A4020C02000A");                 /* SELECT the certificate */
    frame(f, "00B0000004");                     /* READ BINARY */
    frame(f, "02");                             /* reset */
    frame(f, "00");                             /* power off */
    fclose(f);
    snprintf(path, sizeof path, "%s/seed-vpcd-truncated", out);
    if (fz_write_file(path, "\x00\x05\x00\xA4", 4))
        abort();
    snprintf(path, sizeof path, "%s/seed-vpcd-empty-frame", out);
    if (fz_write_file(path, "\x00\x01\x04\x00\x00", 5))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512] = "";
    fz_path(card, sizeof card, "vpcd.card");
    if (emu_personalize(card, NULL, err, sizeof err) != EMU_OK)
        abort();
    FILE *f = fopen(card, "rb");
    static uint8_t buf[1 << 20];
    image_len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (!image_len)
        abort();
    image = buf;
    const char *seeds = getenv("FUZZ_WRITE_SEEDS");
    if (seeds)
        write_seeds(seeds);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0; /* all of it must fit in the socket's buffer */
    int sv[2];
    if (fz_write_file(card, image, image_len) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    emu_card *c = NULL;
    char err[512] = "";
    if (emu_card_load(card, &c, err, sizeof err) != EMU_OK)
        abort();
    /* vpcd's side: everything it says, then it hangs up its sending half */
    if (size && write(sv[1], data, size) != (ssize_t)size)
        abort();
    shutdown(sv[1], SHUT_WR);
    drain_ctx d = { sv[1], 0 };
    pthread_t th;
    if (pthread_create(&th, NULL, drain, &d) != 0)
        abort();
    err[0] = '\0';
    emu_vpcd_rv rv = emu_vpcd_serve(c, sv[0], NULL, err, sizeof err);
    close(sv[0]);
    pthread_join(th, NULL);
    close(sv[1]);
    emu_card_free(c);
    if (rv == EMU_VPCD_WOKEN)
        abort(); /* nothing woke it */
    if (rv == EMU_VPCD_ERROR && !err[0])
        abort(); /* an error says what it was */
    if (!d.whole)
        abort(); /* a broken answer frame */
    return 0;
}
