/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * emu_helpers.c - helpers shared by the card emulator's unit tests
 * (test_emu.c, test_emu_image.c): the per-test card fixture, APDU exchange,
 * PIN, READ BINARY and signature shortcuts, and editors of an image's text
 * that keep its checksum valid.
 */
#include "emu_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "testutil.h"

char path[4096];
emu_card *card;

void setup(void)
{
    char err[512] = "";
    ck_assert_int_eq(tu_card_copy(path, sizeof path), 0);
    ck_assert_msg(emu_card_load(path, &card, err, sizeof err) == EMU_OK, "%s",
                  err);
}

void teardown(void)
{
    emu_card_free(card);
    card = NULL;
    tu_card_remove(path);
}

/* Send a command to c; returns SW1SW2, data in data[] if given. */
unsigned txc(emu_card *c, const uint8_t *cmd, size_t len, uint8_t *data,
             size_t *dlen)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t n = 0;
    ck_assert_int_eq(emu_card_transmit(c, cmd, len, rsp, &n), EMU_OK);
    ck_assert_uint_ge(n, 2);
    ck_assert_uint_le(n, EMU_RSP_MAX);
    if (data)
        memcpy(data, rsp, n - 2);
    if (dlen)
        *dlen = n - 2;
    return (unsigned)(rsp[n - 2] << 8 | rsp[n - 1]);
}

unsigned tx(const uint8_t *cmd, size_t len)
{
    return txc(card, cmd, len, NULL, NULL);
}

unsigned select_ef_on(emu_card *c, uint16_t fid)
{
    return txc(
        c,
        APDU(0x00, 0xA4, 0x02, 0x0C, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid),
        NULL, NULL);
}

unsigned select_ef(uint16_t fid)
{
    return select_ef_on(card, fid);
}

void select_in_ap(uint16_t fid)
{
    ck_assert_uint_eq(tx(SELECT_JPKI), 0x9000);
    ck_assert_uint_eq(select_ef(fid), 0x9000);
}

unsigned verify_on(emu_card *c, const char *pin)
{
    uint8_t cmd[5 + 32] = { 0x00, 0x20, 0x00, 0x80, (uint8_t)strlen(pin) };
    memcpy(cmd + 5, pin, strlen(pin));
    return txc(c, cmd, 5 + strlen(pin), NULL, NULL);
}

unsigned verify(const char *pin)
{
    return verify_on(card, pin);
}

unsigned query_on(emu_card *c)
{
    return txc(c, APDU(0x00, 0x20, 0x00, 0x80), NULL, NULL);
}

unsigned change_pin(const char *pin)
{
    uint8_t cmd[5 + 32] = { 0x00, 0x24, 0x01, 0x80, (uint8_t)strlen(pin) };
    memcpy(cmd + 5, pin, strlen(pin));
    return tx(cmd, 5 + strlen(pin));
}

/* READ BINARY in 256-byte chunks until the card says 6B00 or runs short. */
unsigned read_file(uint16_t fid, uint8_t *buf, size_t max, size_t *len)
{
    unsigned sw = select_ef(fid);
    *len = 0;
    while (sw == 0x9000) {
        uint8_t chunk[256];
        size_t n;
        sw = txc(card,
                 APDU(0x00, 0xB0, (uint8_t)(*len >> 8), (uint8_t)*len, 0x00),
                 chunk, &n);
        if (sw == 0x6B00 && *len)
            return 0x9000;
        if (sw != 0x9000)
            break;
        ck_assert_uint_le(*len + n, max);
        memcpy(buf + *len, chunk, n);
        *len += n;
        if (n < 256)
            break;
    }
    return sw;
}

X509 *read_cert(uint16_t fid)
{
    static uint8_t buf[0x8000];
    size_t len;
    ck_assert_uint_eq(read_file(fid, buf, sizeof buf, &len), 0x9000);
    const unsigned char *p = buf;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_eq(p, buf + len);
    return x;
}

/* DigestInfo of SHA-256(msg). */
size_t digest_info(const char *msg, uint8_t *out)
{
    static const uint8_t prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                      0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                      0x01, 0x05, 0x00, 0x04, 0x20 };
    memcpy(out, prefix, sizeof prefix);
    SHA256((const unsigned char *)msg, strlen(msg), out + sizeof prefix);
    return sizeof prefix + 32;
}

unsigned sign_data(const uint8_t *data, size_t len, int with_le, uint8_t *sig,
                   size_t *siglen)
{
    uint8_t cmd[5 + 255 + 1] = { 0x80, 0x2A, 0x00, 0x80, (uint8_t)len };
    memcpy(cmd + 5, data, len);
    cmd[5 + len] = 0x00;
    return txc(card, cmd, 5 + len + (with_le ? 1 : 0), sig, siglen);
}

/* Sign "msg" with the key in EF key_fid and check it against the cert in
 * EF cert_fid with OpenSSL's ordinary RSA-SHA256 verification. */
void sign_and_check(uint16_t key_fid, uint16_t cert_fid, const char *msg)
{
    uint8_t di[64], sig[256];
    size_t dlen = digest_info(msg, di), slen;
    X509 *x = read_cert(cert_fid);
    ck_assert_uint_eq(select_ef(key_fid), 0x9000);
    ck_assert_uint_eq(sign_data(di, dlen, 1, sig, &slen), 0x9000);
    ck_assert_uint_eq(slen, 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
                                          X509_get0_pubkey(x)),
                     1);
    ck_assert_int_eq(EVP_DigestVerify(md, sig, slen,
                                      (const unsigned char *)msg, strlen(msg)),
                     1);
    EVP_MD_CTX_free(md);
    X509_free(x);
}

char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

void spit(const char *p, const char *buf, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.edit", p);
    FILE *f = fopen(tmp, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, p),
                     0); /* a new inode, as the emulator saves */
}

/* Set field key to value (appended if absent) and recompute the checksum. */
void spit_signed(const char *p, char *text, size_t len)
{
    unsigned char md[32];

    SHA256((unsigned char *)text, len, md);
    len += (size_t)sprintf(text + len, "sha256 ");
    for (int i = 0; i < 32; i++)
        len += (size_t)sprintf(text + len, "%02x", md[i]);
    text[len++] = '\n';
    spit(p, text, len);
}

void rewrite_field(const char *p, const char *key, const char *value)
{
    size_t len, klen = strlen(key), o = 0;
    char *in = slurp(p, &len), *out = malloc(len + strlen(value) + klen + 200);
    int found = 0;
    ck_assert_ptr_nonnull(out);
    for (char *line = in; *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "sha256 ", 7) == 0) {
            break;
        } else if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            o += (size_t)sprintf(out + o, "%s %s\n", key, value);
            found = 1;
        } else {
            memcpy(out + o, line, ll);
            o += ll;
        }
        line += ll;
    }
    if (!found)
        o += (size_t)sprintf(out + o, "%s %s\n", key, value);
    spit_signed(p, out, o);
    free(in);
    free(out);
}

char *get_field(const char *p, const char *key)
{
    size_t len, klen = strlen(key);
    char *in = slurp(p, &len);
    char *at = strstr(in, key);
    while (at && !(at[klen] == ' ' && (at == in || at[-1] == '\n')))
        at = strstr(at + 1, key);
    ck_assert_ptr_nonnull(at);
    char *v = strndup(at + klen + 1, strcspn(at + klen + 1, "\n"));
    free(in);
    return v;
}

/* Reload the global card from its image (after a rewrite). */
void reload_card(void)
{
    char err[512] = "";
    emu_card_free(card);
    card = NULL;
    ck_assert_msg(emu_card_load(path, &card, err, sizeof err) == EMU_OK, "%s",
                  err);
}

emu_rv load_err(const char *p, char *err, size_t errlen)
{
    emu_card *c = (emu_card *)&c; /* must be reset to NULL on failure */
    emu_rv rv = emu_card_load(p, &c, err, errlen);
    if (rv == EMU_OK)
        emu_card_free(c);
    else
        ck_assert_ptr_null(c);
    return rv;
}

void expect_load_error(const char *p, emu_rv expect, const char *what)
{
    char err[512] = "";
    ck_assert_int_eq(load_err(p, err, sizeof err), expect);
    ck_assert_msg(strstr(err, p) != NULL, "message does not name the file: %s",
                  err);
    ck_assert_msg(strstr(err, what) != NULL, "message '%s' lacks '%s'", err,
                  what);
}

TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120); /* key generation under sanitizers */
    return tc;
}

/* One line of a current image as format `version` has it: into out (room
 * for the line and 2 more bytes); returns the length, 0 to drop it. */
static size_t old_line(const char *line, size_t ll, unsigned version,
                       char *out)
{
    static const char *const v4_only[] = { "sign_sfi ", "ef0008 ",
                                           "sign_v15_only ", "ec_sig_der " };
    static const char *const v3_only[] = {
        "blocked_query_sw ", "reselect_keeps_pins ", "unverified_sign_sw ",
        "select_fci ",       "serial_ap ",           "sha256 "
    };
    for (size_t i = 0; i < sizeof v4_only / sizeof v4_only[0]; i++)
        if (strncmp(line, v4_only[i], strlen(v4_only[i])) == 0)
            return 0;
    if (strncmp(line, "JPKI-EMU-CARD ", 14) == 0)
        return (size_t)sprintf(out, "JPKI-EMU-CARD %u\n", version);
    if (version >= 3) { /* only the checksum, written again by the caller */
        if (strncmp(line, "sha256 ", 7) == 0)
            return 0;
        memcpy(out, line, ll);
        return ll;
    }
    static const char *const v2_only[] = { "info_tries ", "pinpad ", "serial ",
                                           "holder_" };
    for (size_t i = 0; i < sizeof v3_only / sizeof v3_only[0]; i++)
        if (strncmp(line, v3_only[i], strlen(v3_only[i])) == 0)
            return 0;
    for (size_t i = 0; version < 2 && i < sizeof v2_only / sizeof v2_only[0];
         i++)
        if (strncmp(line, v2_only[i], strlen(v2_only[i])) == 0)
            return 0;
    if (strncmp(line, "JPKI-EMU-CARD ", 14) == 0)
        return (size_t)sprintf(out, "JPKI-EMU-CARD %u\n", version);
    if (strncmp(line, "blocked_sw ", 11) == 0)
        return (size_t)sprintf(out, "blocked_status_63c0 0\n");
    if (strncmp(line, "token_info JPKIAPICCTOKEN2\n", 27) == 0)
        return (size_t)sprintf(out, "token_info JPKIAPICCTOKEN\n");
    memcpy(out, line, ll);
    if (strncmp(line, "serial ", 7) == 0) { /* format 2 kept 14 characters */
        memcpy(out + ll - 1, "Z\n", 2);
        return ll + 1;
    }
    return ll;
}

void make_old_image(const char *p, unsigned version)
{
    size_t len, o = 0;
    char *in = slurp(p, &len), *out = malloc(len + 200);
    ck_assert_ptr_nonnull(out);
    for (char *line = in; *line;) {
        size_t ll = strcspn(line, "\n") + 1;
        o += old_line(line, ll, version, out + o);
        line += ll;
    }
    spit_signed(p, out, o);
    free(in);
    free(out);
}

emu_stats stats(void)
{
    emu_stats st;
    emu_card_get_stats(card, &st);
    return st;
}

emu_info info(void)
{
    emu_info in;
    ck_assert_int_eq(emu_card_get_info(card, &in), EMU_OK);
    return in;
}

X509 *pem_cert(const char *p, const char *name)
{
    char f[4400];
    snprintf(f, sizeof f, "%s.pki/%s", p, name);
    FILE *fp = fopen(f, "r");
    ck_assert_msg(fp != NULL, "%s missing", f);
    X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(x);
    return x;
}
