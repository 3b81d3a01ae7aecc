/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image.c - the emulator's card image in memory: load it from its file
 * (the format and its parser: image_parse.c; saving: image_write.c), the
 * keys it holds, and whether the file changed since.
 */
#include "common/pin_rules.h"
#include "emu/error.h"
#include "emu/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#define IMAGE_MAX_SIZE (1024 * 1024)

const char *const emu_image_file_keys[EMU_FILE_COUNT] = {
    "auth_cert", "auth_ca_cert", "sign_cert", "sign_ca_cert"
};

unsigned emu_pin_max_tries(int which)
{
    return which == EMU_PIN_SIGN   ? EMU_SIGN_PIN_TRIES
           : which == EMU_PIN_INFO ? EMU_INFO_PIN_TRIES
                                   : EMU_AUTH_PIN_TRIES;
}

int emu_pin_valid(int which, const uint8_t *pin, size_t len)
{
    return pin_rules_ok(which != EMU_PIN_AUTH, pin, len);
}

void emu_image_clear(emu_image *img)
{
    if (!img)
        return;
    for (int i = 0; i < EMU_PIN_COUNT; i++) {
        EVP_PKEY_free(img->key[i]);
        OPENSSL_clear_free(img->key_der[i], img->key_der_len[i]);
    }
    for (int i = 0; i < EMU_FILE_COUNT; i++)
        OPENSSL_free(img->file[i]);
    OPENSSL_cleanse(img, sizeof *img);
    memset(img, 0, sizeof *img);
}

emu_rv emu_image_set_key(emu_image *img, int which, EVP_PKEY *key)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
    unsigned char *der = NULL;
    int len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (len <= 0)
        return EMU_ERR_CRYPTO;
    if (!EVP_PKEY_up_ref(key)) {
        OPENSSL_clear_free(der, (size_t)len);
        return EMU_ERR_CRYPTO;
    }
    EVP_PKEY_free(img->key[which]);
    OPENSSL_clear_free(img->key_der[which], img->key_der_len[which]);
    img->key[which] = key;
    img->key_der[which] = der;
    img->key_der_len[which] = (size_t)len;
    return EMU_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* The whole file (with a NUL after it), and the stat of exactly the file
 * that was read. */
static emu_rv load_file(const char *path, char **out, size_t *out_len,
                        struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return emu_fail_at(EMU_ERR_IO, err, errlen, path, "cannot open: %s",
                           strerror(errno));
    emu_rv rv = EMU_OK;
    char *buf = NULL, extra;
    size_t len = 0;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
        rv = emu_fail_at(EMU_ERR_IO, err, errlen, path, "not a regular file");
    else if (st->st_size > IMAGE_MAX_SIZE)
        rv = emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                         "too large for a card image");
    else if (!(buf = OPENSSL_zalloc((len = (size_t)st->st_size) + 1)))
        rv = emu_fail_at(EMU_ERR_MEMORY, err, errlen, path, "out of memory");
    else if (fu_read_all(fd, buf, len) != 0 || read(fd, &extra, 1) != 0)
        /* shorter or longer than it was: not a settled image */
        rv = emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                         "file changed while being read");
    close(fd);
    if (rv != EMU_OK) {
        OPENSSL_clear_free(buf, len + 1);
        return rv;
    }
    *out = buf;
    *out_len = len;
    return EMU_OK;
}

emu_rv emu_image_load(const char *path, emu_image *img, fu_ident *id,
                      char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    struct stat st = { 0 };
    memset(img, 0, sizeof(*img));
    emu_rv rv = load_file(path, &buf, &len, &st, err, errlen);
    if (rv != EMU_OK)
        return rv;
    rv = emu_image_parse(path, buf, len, img, err, errlen);
    OPENSSL_clear_free(buf, len + 1);
    if (rv != EMU_OK) {
        emu_image_clear(img);
        return rv;
    }
    if (id)
        fu_ident_of(&st, id);
    return EMU_OK;
}

int emu_image_changed(const char *path, const fu_ident *id)
{
    fu_ident now;
    return fu_ident_path(path, &now) != 0 || !fu_ident_same(&now, id);
}
