/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image_write.c - save the emulator's card image (format: image.c) and the
 * inter-process lock on it.
 *
 * Saving writes a temporary file in the same directory, fsyncs it, renames
 * it over the image and fsyncs the directory, so a crash at any moment
 * leaves either the old or the new image, never a mix. Every buffer that
 * held the text (PINs, keys) is wiped.
 */
#include "common/fileutil.h"
#include "emu/error.h"
#include "emu/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_add(strbuf *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = (sb->len + n + 1) * 2;
        char *np = OPENSSL_clear_realloc(sb->p, sb->cap, cap);
        if (!np) {
            sb->oom = 1;
            return;
        }
        sb->p = np;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
}

static void sb_line(strbuf *sb, const char *key, const char *val)
{
    sb_add(sb, key, strlen(key));
    sb_add(sb, " ", 1);
    sb_add(sb, val, strlen(val));
    sb_add(sb, "\n", 1);
}

static void sb_hex_line(strbuf *sb, const char *key, const uint8_t *b,
                        size_t n)
{
    static const char digits[] = "0123456789abcdef";
    sb_add(sb, key, strlen(key));
    sb_add(sb, " ", 1);
    if (!b)
        sb_add(sb, "-", 1);
    for (size_t i = 0; i < n && b; i++) {
        char h[2] = { digits[b[i] >> 4], digits[b[i] & 15] };
        sb_add(sb, h, 2);
    }
    sb_add(sb, "\n", 1);
}

static void sb_uint_line(strbuf *sb, const char *key, unsigned v)
{
    char num[16];
    snprintf(num, sizeof num, "%u", v);
    sb_line(sb, key, num);
}

static void sb_sw_line(strbuf *sb, const char *key, uint16_t sw)
{
    char hex[8];
    snprintf(hex, sizeof hex, "%04x", (unsigned)sw);
    sb_line(sb, key, hex);
}

static void serialize(strbuf *sb, const emu_image *img,
                      const emu_pin_state *pins)
{
    char num[16];
    const emu_holder *h = &img->holder;
    snprintf(num, sizeof num, "%d", EMU_IMAGE_VERSION);
    sb_add(sb, EMU_IMAGE_MAGIC, strlen(EMU_IMAGE_MAGIC));
    sb_add(sb, num, strlen(num));
    sb_add(sb, "\n", 1);
    sb_line(sb, "auth_pin", pins->pin[EMU_PIN_AUTH]);
    sb_uint_line(sb, "auth_tries", pins->tries[EMU_PIN_AUTH]);
    sb_line(sb, "sign_pin", pins->pin[EMU_PIN_SIGN]);
    sb_uint_line(sb, "sign_tries", pins->tries[EMU_PIN_SIGN]);
    sb_uint_line(sb, "info_tries", pins->tries[EMU_PIN_INFO]);
    sb_line(sb, "token_info", img->token_info);
    sb_sw_line(sb, "blocked_sw", img->blocked_sw);
    sb_sw_line(sb, "blocked_query_sw", img->blocked_query_sw);
    sb_line(sb, "sign_pin_single_use", img->sign_pin_single_use ? "1" : "0");
    sb_line(sb, "pinpad", img->pinpad ? "1" : "0");
    sb_line(sb, "serial", img->serial);
    sb_line(sb, "holder_number", h->number);
    sb_line(sb, "holder_name", h->name);
    sb_line(sb, "holder_address", h->address);
    sb_line(sb, "holder_birth", h->birth);
    sb_line(sb, "holder_sex", h->sex);
    sb_line(sb, "reselect_keeps_pins", img->reselect_keeps_pins ? "1" : "0");
    sb_sw_line(sb, "unverified_sign_sw", img->unverified_sign_sw);
    sb_line(sb, "select_fci", img->select_fci ? "1" : "0");
    sb_line(sb, "serial_ap", img->serial_ap ? "1" : "0");
    sb_line(sb, "sign_sfi", img->sign_sfi ? "1" : "0");
    sb_hex_line(sb, "ef0008", img->ef0008, sizeof img->ef0008);
    sb_line(sb, "sign_v15_only", img->sign_v15_only ? "1" : "0");
    sb_line(sb, "ec_sig_der", img->ec_sig_der ? "1" : "0");
    sb_hex_line(sb, "auth_key", img->key_der[EMU_PIN_AUTH],
                img->key_der_len[EMU_PIN_AUTH]);
    sb_hex_line(sb, "sign_key", img->key_der[EMU_PIN_SIGN],
                img->key_der_len[EMU_PIN_SIGN]);
    for (int f = 0; f < EMU_FILE_COUNT; f++)
        sb_hex_line(sb, emu_image_file_keys[f], img->file[f],
                    img->file_len[f]);
    if (sb->oom)
        return;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)sb->p, sb->len, md);
    sb_hex_line(sb, "sha256", md, sizeof md);
}

/* Write text to a fresh temp file beside path and rename it into place
 * (mode 0600: PINs and keys inside). On a failed fsync of the directory
 * the new file is in place but id is left alone, so the next lock
 * reloads. */
static emu_rv replace_file(const char *path, const strbuf *sb, fu_ident *id,
                           char *err, size_t errlen)
{
    const char *why = "cannot write";
    if (fu_replace_path(path, sb->p, sb->len, 0600, id, &why) != 0)
        return emu_fail_at(EMU_ERR_IO, err, errlen, path, "%s: %s", why,
                           strerror(errno));
    return EMU_OK;
}

emu_rv emu_image_save(const char *path, const emu_image *img,
                      const emu_pin_state *pins, fu_ident *id, char *err,
                      size_t errlen)
{
    strbuf sb = { 0 };
    serialize(&sb, img, pins ? pins : &img->pins);
    emu_rv rv = sb.oom ? emu_fail_at(EMU_ERR_MEMORY, err, errlen, path,
                                     "out of memory")
                       : replace_file(path, &sb, id, err, errlen);
    OPENSSL_clear_free(sb.p, sb.cap);
    return rv;
}

/* ---- inter-process lock ------------------------------------------------- */

emu_rv emu_image_lock(const char *path, int *fd)
{
    if (*fd < 0) {
        size_t n = strlen(path) + sizeof ".lock";
        char *lp = OPENSSL_malloc(n);
        if (!lp)
            return EMU_ERR_MEMORY;
        snprintf(lp, n, "%s.lock", path);
        *fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        OPENSSL_free(lp);
        if (*fd < 0)
            return EMU_ERR_IO;
    }
    while (flock(*fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return EMU_ERR_IO;
    return EMU_OK;
}

void emu_image_unlock(int fd)
{
    if (fd >= 0)
        flock(fd, LOCK_UN);
}
