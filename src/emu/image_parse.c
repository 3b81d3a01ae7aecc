/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image_parse.c - the emulator's card image format, and its parser.
 *
 * The image is a small text file, one "key value" line per field, in this
 * fixed order (every field exactly once, nothing else, '\n' line ends):
 *
 * JPKI-EMU-CARD 4              magic and format version
 * auth_pin 1234                user-authentication PIN (ASCII)
 * auth_tries 3                 tries left, 0..3 (0 = blocked)
 * sign_pin ABC123              digital-signature PIN (ASCII)
 * sign_tries 5                 tries left, 0..5
 * info_tries 3              2  card-info AP PIN (value = auth_pin), 0..3
 * token_info JPKIAPICCTOKEN2   EF 0006 label (1-32 of A-Z 0-9), space padded
 *                              to 0x20 at the head of a 160-byte token info;
 *                              JPKIAPGPSETOKEN (smartphone): EF 000A needs
 *                              the auth PIN
 * blocked_sw 6983           3  VERIFY of a blocked PIN: 6983, 6984 or 63c0
 * blocked_query_sw 6983     3  retry query of a blocked PIN: the same set
 *                              (formats 1-2: blocked_status_63c0 1 = 63c0)
 * sign_pin_single_use 0        1: each sign-key signature needs a new VERIFY
 * pinpad 0                  2  1: the card sits in a PIN-pad reader
 * serial 0A1B2C3D4E5F6      2  serial AP: 13 of 0-9 A-Z (format 2: 14, of
 *                              which the first 13 are the serial)
 * holder_number 123456789018 2 card-info AP (dummy data): individual
 * holder_name <UTF-8>       2  number (12 digits, valid check digit),
 * holder_address <UTF-8>    2  name, address (no control characters),
 * holder_birth 19900101     2  birth date YYYYMMDD, sex 1/2/3
 * holder_sex 2              2
 * reselect_keeps_pins 0     3  1: re-SELECT of the JPKI-AP keeps PINs
 * unverified_sign_sw 6982   3  signature without its PIN: any 69xx
 * select_fci 0              3  1: SELECT by AID, P2=00: FCI (0: 6a86)
 * serial_ap 1               3  0: the card has no serial-number AP
 * sign_sfi 1                4  0: the signature command refuses P2
 *                              80|SFI (6a86); only P2 80 works
 * ef0008 8f8f00             4  EF 0008 (6 hex digits); byte 0 (sign)
 *                              or 1 (auth) not 8f: that certificate,
 *                              key and PIN EF answer SELECT with 6a82
 * sign_v15_only 0           4  1: signature P1 00 only (01-05: 6a86)
 * ec_sig_der 0              4  1: an EC card's signature answers DER
 *                              (0: r||s)
 * auth_key <hex>               PKCS#8 DER private keys (RSA-2048, or
 *                              EC P-384 for the next card generation)
 * sign_key <hex>
 * auth_cert <hex>              DER certificates (EF 000A, 000B, 0001, 0002);
 * auth_ca_cert <hex or ->      "-" = the CA file is absent (SELECT: 6A82)
 * sign_cert <hex>
 * sign_ca_cert <hex or ->
 * sha256 <hex>                 SHA-256 of every byte before this line
 *
 * Fields marked 2, 3 or 4 are new in that format. Older images still load,
 * with today's behaviour for what they lack: format 1 gets info_tries
 * full, pinpad 0, the default fictional holder, and a serial and
 * individual number derived from the authentication certificate (stable
 * for the image); older formats get the bracketed values of image.h.
 * Saving (image_write.c) always writes the current format, so an older
 * image is upgraded the first time its state changes.
 *
 * Hex is lower case. A reader rejects anything else: unknown version
 * (EMU_ERR_VERSION), any deviation from the layout, a bad checksum, a key
 * that does not match its certificate (EMU_ERR_FORMAT). The file holds PINs
 * and private keys, so it is created mode 0600 and every buffer that held
 * its text is wiped. Saving writes a temporary file in the same directory,
 * fsyncs it, renames it over the image and fsyncs the directory, so a crash
 * leaves either the old or the new image, never a mix.
 */
#include "emu/error.h"
#include "emu/image.h"
#include "emu/holder.h"
#include "emu/sign_ec.h"
#include "common/sw.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#define IMAGE_MAGIC EMU_IMAGE_MAGIC

typedef struct {
    const char *p, *end;
    unsigned line;
    const char *path;
    char *err;
    size_t errlen;
} parser;

/* Next line must be "key value"; hands back the value. */
static emu_rv next_field(parser *ps, const char *key, const char **val,
                         size_t *len)
{
    size_t klen = strlen(key);
    const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    ps->line++;
    if (!nl)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: truncated, expected '%s'", ps->line, key);
    if ((size_t)(nl - ps->p) <= klen + 1 || memcmp(ps->p, key, klen) != 0 ||
        ps->p[klen] != ' ')
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: expected field '%s'", ps->line, key);
    *val = ps->p + klen + 1;
    *len = (size_t)(nl - *val);
    ps->p = nl + 1;
    return EMU_OK;
}

static emu_rv field_uint(parser *ps, const char *key, unsigned max,
                         unsigned *out)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, key, &v, &len);
    if (rv != EMU_OK)
        return rv;
    unsigned n = 0;
    int ok = len >= 1 && len <= 3;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    if (!ok || n > max)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' must be a number from 0 to %u",
                           ps->line, key, max);
    *out = n;
    return EMU_OK;
}

static emu_rv field_pin(parser *ps, const char *key, int which, char *out)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, key, &v, &len);
    if (rv != EMU_OK)
        return rv;
    if (!emu_pin_valid(which, (const uint8_t *)v, len))
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' does not follow the PIN rules",
                           ps->line, key);
    memcpy(out, v, len);
    out[len] = '\0';
    return EMU_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A hex field; "-" gives NULL when absent_ok. */
static emu_rv field_hex(parser *ps, const char *key, size_t max, int absent_ok,
                        uint8_t **out, size_t *out_len)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, key, &v, &len);
    if (rv != EMU_OK)
        return rv;
    *out = NULL;
    *out_len = 0;
    if (absent_ok && len == 1 && v[0] == '-')
        return EMU_OK;
    if (len % 2 || len / 2 > max)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' has a bad length", ps->line, key);
    uint8_t *b = OPENSSL_malloc(len / 2);
    if (!b)
        return emu_fail_at(EMU_ERR_MEMORY, ps->err, ps->errlen, ps->path,
                           "out of memory");
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_clear_free(b, len / 2);
            return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                               "line %u: '%s' is not lower-case hex", ps->line,
                               key);
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *out_len = len / 2;
    return EMU_OK;
}

static emu_rv field_key(parser *ps, emu_image *img, int which, const char *key)
{
    uint8_t *der;
    size_t len;
    emu_rv rv = field_hex(ps, key, 8192, 0, &der, &len);
    if (rv != EMU_OK)
        return rv;
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);
    int ok = k && p == der + len &&
             ((EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == 2048) ||
              emu_key_is_p384(k));
    if (ok)
        rv = emu_image_set_key(img, which, k);
    EVP_PKEY_free(k);
    OPENSSL_clear_free(der, len);
    if (!ok)
        return emu_fail_at(
            EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
            "line %u: '%s' is not an RSA-2048 or P-384 private key", ps->line,
            key);
    return rv == EMU_OK ? EMU_OK
                        : emu_fail_at(rv, ps->err, ps->errlen, ps->path,
                                      "cannot store '%s'", key);
}

static X509 *parse_cert(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static emu_rv field_cert(parser *ps, emu_image *img, int f)
{
    int absent_ok = f == EMU_FILE_AUTH_CA || f == EMU_FILE_SIGN_CA;
    emu_rv rv = field_hex(ps, emu_image_file_keys[f], EMU_FILE_MAX, absent_ok,
                          &img->file[f], &img->file_len[f]);
    if (rv != EMU_OK || !img->file[f])
        return rv;
    X509 *x = parse_cert(img->file[f], img->file_len[f]);
    int which = f == EMU_FILE_AUTH_CERT   ? EMU_PIN_AUTH
                : f == EMU_FILE_SIGN_CERT ? EMU_PIN_SIGN
                                          : -1;
    int ok = x && (which < 0 ||
                   EVP_PKEY_eq(X509_get0_pubkey(x), img->key[which]) == 1);
    X509_free(x);
    if (!x)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' is not a DER certificate", ps->line,
                           emu_image_file_keys[f]);
    if (!ok)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' does not match its private key",
                           ps->line, emu_image_file_keys[f]);
    return EMU_OK;
}

static emu_rv field_token_info(parser *ps, emu_image *img)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, "token_info", &v, &len);
    if (rv != EMU_OK)
        return rv;
    /* Digits came with JPKIAPICCTOKEN2 (format 3). */
    if (!emu_token_label_valid(v, len, img->version >= 3))
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: 'token_info' must be 1-32 of A-Z%s",
                           ps->line, img->version >= 3 ? " 0-9" : "");
    memcpy(img->token_info, v, len);
    img->token_info[len] = '\0';
    return EMU_OK;
}

/* A text field that check() accepts, copied into out (room for max). */
static emu_rv field_text(parser *ps, const char *key, size_t max,
                         int (*check)(const char *, size_t), char *out)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, key, &v, &len);
    if (rv != EMU_OK)
        return rv;
    if (len > max || !check(v, len))
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' is not valid", ps->line, key);
    memcpy(out, v, len);
    out[len] = '\0';
    return EMU_OK;
}

static int name_ok(const char *s, size_t len)
{
    return emu_text_valid(s, len, EMU_NAME_MAX);
}

static int address_ok(const char *s, size_t len)
{
    return emu_text_valid(s, len, EMU_ADDRESS_MAX);
}

static int serial_v2_ok(const char *s, size_t len)
{
    return len == EMU_SERIAL_LEN_V2 && emu_serial_valid(s, EMU_SERIAL_LEN_V2);
}

static int serial_ok(const char *s, size_t len)
{
    return len == EMU_SERIAL_LEN && emu_serial_valid(s, len);
}

/* A 4-hex-digit status word that ok() accepts. */
static emu_rv field_sw(parser *ps, const char *key, int (*ok)(unsigned),
                       uint16_t *out)
{
    const char *v;
    size_t len;
    emu_rv rv = next_field(ps, key, &v, &len);
    if (rv != EMU_OK)
        return rv;
    unsigned sw = 0;
    int good = len == 4;
    for (size_t i = 0; good && i < len; i++) {
        int d = hexval(v[i]);
        good = d >= 0;
        sw = sw << 4 | (unsigned)(good ? d : 0);
    }
    if (!good || !ok(sw))
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: '%s' is not an allowed status word",
                           ps->line, key);
    *out = (uint16_t)sw;
    return EMU_OK;
}

/* The switches format 3 added after the holder. */
static emu_rv parse_v3_fields(parser *ps, emu_image *img)
{
    unsigned keeps, fci, serial_ap;
    emu_rv rv;
    if ((rv = field_uint(ps, "reselect_keeps_pins", 1, &keeps)) ||
        (rv = field_sw(ps, "unverified_sign_sw", emu_unverified_sign_sw_valid,
                       &img->unverified_sign_sw)) ||
        (rv = field_uint(ps, "select_fci", 1, &fci)) ||
        (rv = field_uint(ps, "serial_ap", 1, &serial_ap)))
        return rv;
    img->reselect_keeps_pins = (int)keeps;
    img->select_fci = (int)fci;
    img->serial_ap = (int)serial_ap;
    return EMU_OK;
}

/* The switches format 4 added after serial_ap. */
static emu_rv parse_v4_fields(parser *ps, emu_image *img)
{
    unsigned sfi, v15_only, ec_der;
    const char *v;
    size_t len;
    emu_rv rv;
    if ((rv = field_uint(ps, "sign_sfi", 1, &sfi)) ||
        (rv = next_field(ps, "ef0008", &v, &len)))
        return rv;
    int good = len == 2 * EMU_EF0008_LEN;
    for (size_t i = 0; good && i < EMU_EF0008_LEN; i++) {
        int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
        good = hi >= 0 && lo >= 0;
        img->ef0008[i] = (uint8_t)(good ? hi << 4 | lo : 0);
    }
    if (!good)
        return emu_fail_at(EMU_ERR_FORMAT, ps->err, ps->errlen, ps->path,
                           "line %u: 'ef0008' is not 6 hex digits", ps->line);
    if ((rv = field_uint(ps, "sign_v15_only", 1, &v15_only)) ||
        (rv = field_uint(ps, "ec_sig_der", 1, &ec_der)))
        return rv;
    img->sign_sfi = (int)sfi;
    img->sign_v15_only = (int)v15_only;
    img->ec_sig_der = (int)ec_der;
    return EMU_OK;
}

/* The fields format 2 added after sign_pin_single_use. */
static emu_rv parse_v2_fields(parser *ps, emu_image *img)
{
    unsigned pinpad;
    emu_holder *h = &img->holder;
    char serial[EMU_SERIAL_LEN_V2 + 1];
    const int v3 = img->version >= 3;
    emu_rv rv;
    if ((rv = field_uint(ps, "pinpad", 1, &pinpad)) ||
        (rv = field_text(ps, "serial", v3 ? EMU_SERIAL_LEN : EMU_SERIAL_LEN_V2,
                         v3 ? serial_ok : serial_v2_ok, serial)))
        return rv;
    /* Format 2 kept 14 characters; the serial is their first 13. */
    memcpy(img->serial, serial, EMU_SERIAL_LEN);
    img->serial[EMU_SERIAL_LEN] = '\0';
    if ((rv = field_text(ps, "holder_number", EMU_NUMBER_LEN, emu_number_valid,
                         h->number)) ||
        (rv = field_text(ps, "holder_name", EMU_NAME_MAX, name_ok, h->name)) ||
        (rv = field_text(ps, "holder_address", EMU_ADDRESS_MAX, address_ok,
                         h->address)) ||
        (rv = field_text(ps, "holder_birth", EMU_BIRTH_LEN, emu_birth_valid,
                         h->birth)) ||
        (rv = field_text(ps, "holder_sex", 1, emu_sex_valid, h->sex)) ||
        (v3 && (rv = parse_v3_fields(ps, img))) ||
        (img->version >= 4 && (rv = parse_v4_fields(ps, img))))
        return rv;
    img->pinpad = (int)pinpad;
    return EMU_OK;
}

/* The blocked-PIN answers: two status words from format 3 on, before it
 * one flag for the retry query (VERIFY always said 6983). */
static emu_rv parse_blocked(parser *ps, emu_image *img)
{
    if (img->version >= 3) {
        emu_rv rv =
            field_sw(ps, "blocked_sw", emu_blocked_sw_valid, &img->blocked_sw);
        return rv ? rv
                  : field_sw(ps, "blocked_query_sw", emu_blocked_sw_valid,
                             &img->blocked_query_sw);
    }
    unsigned flag;
    emu_rv rv = field_uint(ps, "blocked_status_63c0", 1, &flag);
    img->blocked_sw = SW_BLOCKED;
    img->blocked_query_sw = flag ? SW_TRIES_LEFT : SW_BLOCKED;
    return rv;
}

static emu_rv parse_fields(parser *ps, emu_image *img)
{
    unsigned single_use;
    const int v2 = img->version >= 2;
    emu_rv rv;
    img->pins.tries[EMU_PIN_INFO] = EMU_INFO_PIN_TRIES;
    /* Today's behaviour where an older format has no field. */
    img->unverified_sign_sw = SW_SECURITY;
    img->serial_ap = 1;
    img->sign_sfi = 1;
    img->ef0008[0] = img->ef0008[1] = EMU_CERT_PRESENT;
    if ((rv = field_pin(ps, "auth_pin", EMU_PIN_AUTH,
                        img->pins.pin[EMU_PIN_AUTH])) ||
        (rv = field_uint(ps, "auth_tries", EMU_AUTH_PIN_TRIES,
                         &img->pins.tries[EMU_PIN_AUTH])) ||
        (rv = field_pin(ps, "sign_pin", EMU_PIN_SIGN,
                        img->pins.pin[EMU_PIN_SIGN])) ||
        (rv = field_uint(ps, "sign_tries", EMU_SIGN_PIN_TRIES,
                         &img->pins.tries[EMU_PIN_SIGN])) ||
        (v2 && (rv = field_uint(ps, "info_tries", EMU_INFO_PIN_TRIES,
                                &img->pins.tries[EMU_PIN_INFO]))) ||
        (rv = field_token_info(ps, img)) || (rv = parse_blocked(ps, img)) ||
        (rv = field_uint(ps, "sign_pin_single_use", 1, &single_use)) ||
        (v2 && (rv = parse_v2_fields(ps, img))) ||
        (rv = field_key(ps, img, EMU_PIN_AUTH, "auth_key")) ||
        (rv = field_key(ps, img, EMU_PIN_SIGN, "sign_key")))
        return rv;
    for (int f = 0; f < EMU_FILE_COUNT; f++)
        if ((rv = field_cert(ps, img, f)) != EMU_OK)
            return rv;
    img->sign_pin_single_use = (int)single_use;
    if (!v2)
        emu_image_fill_v1(img);
    return EMU_OK;
}

/* Magic, version and checksum; on success ps covers the fields only. */
static emu_rv check_frame(const char *path, const char *buf, size_t len,
                          parser *ps, unsigned *version, char *err,
                          size_t errlen)
{
    size_t mlen = strlen(IMAGE_MAGIC);
    if (len < mlen || memcmp(buf, IMAGE_MAGIC, mlen) != 0)
        return emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                           "not a card image (bad magic)");
    const char *nl = memchr(buf, '\n', len);
    size_t vlen = nl ? (size_t)(nl - buf) - mlen : 0;
    unsigned long v = 0;
    int ok = vlen >= 1 && vlen <= 6;
    for (size_t i = 0; ok && i < vlen; i++) {
        ok = buf[mlen + i] >= '0' && buf[mlen + i] <= '9';
        v = v * 10 + (unsigned long)(buf[mlen + i] - '0');
    }
    if (!ok)
        return emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                           "bad format version line");
    *version = (unsigned)v;
    if (*version < 1 || *version > EMU_IMAGE_VERSION)
        return emu_fail_at(
            EMU_ERR_VERSION, err, errlen, path,
            "format version %u is not supported (this build reads 1 to %d)",
            *version, EMU_IMAGE_VERSION);
    const size_t tail = strlen("sha256 ") + 2 * SHA256_DIGEST_LENGTH + 1;
    if (len < tail + (size_t)(nl + 1 - buf))
        return emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                           "truncated (no checksum line)");
    const char *sum = buf + len - tail;
    if (sum[-1] != '\n' || memcmp(sum, "sha256 ", 7) != 0 ||
        buf[len - 1] != '\n')
        return emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                           "truncated (no checksum line)");
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)buf, (size_t)(sum - buf), md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (memcmp(sum + 7, hex, 2 * SHA256_DIGEST_LENGTH) != 0)
        return emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                           "checksum mismatch (corrupt image)");
    *ps = (parser){ .p = nl + 1,
                    .end = sum,
                    .line = 1,
                    .path = path,
                    .err = err,
                    .errlen = errlen };
    return EMU_OK;
}

emu_rv emu_image_parse(const char *path, const char *buf, size_t len,
                       emu_image *img, char *err, size_t errlen)
{
    parser ps;
    emu_rv rv = check_frame(path, buf, len, &ps, &img->version, err, errlen);
    if (rv == EMU_OK)
        rv = parse_fields(&ps, img);
    if (rv == EMU_OK && ps.p != ps.end)
        rv = emu_fail_at(EMU_ERR_FORMAT, err, errlen, path,
                         "line %u: unexpected extra data", ps.line + 1);
    return rv;
}
