/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_image.c - the emulator's card-image loader (src/emu/image.c) over
 * fuzzed text. The input is an image without its last line: the harness
 * appends "sha256 <hex>" of the input, so the fuzzer gets past the
 * checksum to the fields (the first input byte, if 'X', asks for a wrong
 * checksum instead, to keep that path covered). A loaded image is then
 * used as a card: the emulator answers a few APDUs from it.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "emu/emu.h"
#include "emu/image.h"

static char path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_path(path, sizeof path, "image.card");
    return 0;
}

static void use_card(void)
{
    /* SELECT JPKI-AP, SELECT EF 000A, READ BINARY, SELECT auth PIN, status */
    static const uint8_t apdus[][16] = {
        { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01,
          0x00, 0x00, 0x00, 0x01 },
        { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A },
        { 0x00, 0xB0, 0x00, 0x00, 0x00 },
        { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 },
        { 0x00, 0x20, 0x00, 0x80 },
    };
    static const size_t lens[] = { 15, 7, 5, 7, 4 };
    emu_card *card = NULL;
    char err[512];
    uint8_t rsp[EMU_RSP_MAX];

    if (emu_card_load(path, &card, err, sizeof err) != EMU_OK)
        return;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = sizeof rsp;
        if (emu_card_transmit(card, apdus[i], lens[i], rsp, &n) == EMU_OK &&
            (n < 2 || n > sizeof rsp))
            abort();
    }
    emu_card_free(card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char line[8 + 2 * SHA256_DIGEST_LENGTH + 1];
    uint8_t *buf;
    emu_image img;
    char err[512];
    size_t n;

    if (size > 1024 * 1024)
        return 0;
    SHA256(data, size, md);
    memcpy(line, "sha256 ", 7);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(line + 7 + 2 * i, 3, "%02x", md[i]);
    line[7 + 2 * SHA256_DIGEST_LENGTH] = '\n';
    if (size && data[0] == 'X')
        line[7] ^= 1;
    n = size + sizeof line - 1;
    if (!(buf = malloc(n)))
        abort();
    memcpy(buf, data, size);
    memcpy(buf + size, line, sizeof line - 1);
    if (fz_write_file(path, buf, n) != 0)
        abort();
    free(buf);
    if (emu_image_load(path, &img, NULL, err, sizeof err) == EMU_OK) {
        if (!img.key[0] || !img.key[1] || !img.file[EMU_FILE_AUTH_CERT] ||
            !img.file[EMU_FILE_SIGN_CERT])
            abort();
        emu_image_clear(&img);
        use_card();
    } else if (!memchr(err, '\0', sizeof err)) {
        abort();
    }
    return 0;
}
