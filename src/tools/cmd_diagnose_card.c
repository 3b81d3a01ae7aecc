/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_diagnose_card.c - what "jpki-tool diagnose" asks the card: raw APDUs
 * through the reader layer, each one recorded without its data; the survey
 * (the commands the module uses, no PIN); and the experiments that settle
 * card behaviours the module cannot know in advance (cmd_diagnose.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tools/cmd_diagnose.h"

static const uint8_t aid_jpki[10] = { 0xD3, 0x92, 0xF0, 0x00, 0x26,
                                      0x01, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t aid_serial[10] = { 0xD3, 0x92, 0x10, 0x00, 0x31,
                                        0x00, 0x01, 0x01, 0x01, 0x00 };
/* The card-face AP: only ever selected (never read) to end a login when
 * the serial-number AP is missing. The card-info AP is never selected. */
static const uint8_t aid_face[10] = { 0xD3, 0x92, 0x10, 0x00, 0x31,
                                      0x00, 0x01, 0x01, 0x04, 0x02 };

#define FILE_MAX 0x7FFF
static const char test_text[] = "jpki-tool diagnose: a test signature";
#define APDU_BUF (256 + 2)

/* ---- the recorded link -------------------------------------------------- */

static unsigned long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long)ts.tv_sec * 1000000UL +
           (unsigned long)ts.tv_nsec / 1000UL;
}

/* One raw exchange; data goes to rsp, the SW is returned (0: none). */
static uint16_t exchange(diag_link *l, const uint8_t *cmd, size_t len,
                         uint8_t *rsp, size_t *n)
{
    uint8_t buf[APDU_BUF];
    size_t got = sizeof(buf);
    diag_apdu *a = l->n_log < DIAG_MAX_APDUS ? &l->log[l->n_log++] : NULL;
    unsigned long t0 = now_us();
    reader_rv rv = reader_transmit_raw(l->r, cmd, len, buf, &got);
    unsigned long t1 = now_us();
    uint16_t sw = 0;
    *n = 0;
    if (rv == READER_OK && got >= 2) {
        sw = (uint16_t)(buf[got - 2] << 8 | buf[got - 1]);
        *n = got - 2;
        memcpy(rsp, buf, *n);
    } else {
        l->failed = 1;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    if (a) {
        a->step = l->step;
        a->cla = cmd[0];
        a->ins = cmd[1];
        a->p1 = cmd[2];
        a->p2 = cmd[3];
        a->lc = len > 5 ? cmd[4] : -1;
        a->le = len == 5 ? (cmd[4] ? cmd[4] : 256)
                : len > 5 && len == 6u + cmd[4]
                    ? (cmd[len - 1] ? cmd[len - 1] : 256)
                    : -1;
        a->sw = sw;
        a->len = *n;
        a->us = t1 - t0;
    }
    return sw;
}

uint16_t diag_send(diag_link *l, const uint8_t *cmd, size_t len, uint8_t *rsp,
                   size_t cap, size_t *rsp_len)
{
    uint8_t part[APDU_BUF], again[5 + 255 + 1];
    size_t n, total = 0;
    uint16_t sw = exchange(l, cmd, len, part, &n);
    if ((sw >> 8) == 0x6C && len <= sizeof(again)) {
        /* Wrong Le: ask again with the length the card named. */
        memcpy(again, cmd, len);
        again[len - 1] = (uint8_t)sw;
        sw = exchange(l, again, len, part, &n);
    }
    for (;;) {
        size_t take = n < cap - total ? n : cap - total;
        memcpy(rsp + total, part, take);
        total += take;
        if ((sw >> 8) != 0x61 || total >= cap)
            break;
        const uint8_t get[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };
        sw = exchange(l, get, sizeof(get), part, &n);
    }
    OPENSSL_cleanse(part, sizeof(part));
    *rsp_len = total;
    return sw;
}

/* ---- commands ----------------------------------------------------------- */

static uint16_t select_aid(diag_link *l, const uint8_t aid[10], uint8_t p2,
                           size_t *fci_len)
{
    uint8_t cmd[16] = { 0x00, 0xA4, 0x04, p2, 0x0A };
    uint8_t rsp[256];
    size_t n, len = 15;
    memcpy(cmd + 5, aid, 10);
    if (p2 == 0x00)
        cmd[len++] = 0x00; /* P2=00 asks for the FCI: Le */
    uint16_t sw = diag_send(l, cmd, len, rsp, sizeof(rsp), &n);
    if (fci_len)
        *fci_len = n;
    return sw;
}

static uint16_t select_ef(diag_link *l, uint16_t fid)
{
    const uint8_t cmd[] = { 0x00,        0xA4, 0x02,
                            0x0C,        0x02, (uint8_t)(fid >> 8),
                            (uint8_t)fid };
    uint8_t rsp[256];
    size_t n;
    return diag_send(l, cmd, sizeof(cmd), rsp, sizeof(rsp), &n);
}

static uint16_t read_binary(diag_link *l, size_t off, uint8_t le, uint8_t *out,
                            size_t *n)
{
    const uint8_t cmd[] = { 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off,
                            le };
    return diag_send(l, cmd, sizeof(cmd), out, 256, n);
}

/* Total length from a BER header (30 LL / 30 81 LL / 30 82 LL LL), 0 if
 * the content does not start with one. */
static size_t ber_total(const uint8_t *p, size_t n)
{
    if (n < 2 || p[0] != 0x30)
        return 0;
    if (p[1] < 0x80)
        return 2u + p[1];
    if (p[1] == 0x81 && n >= 3)
        return 3u + p[2];
    if (p[1] == 0x82 && n >= 4)
        return 4u + ((size_t)p[2] << 8 | p[3]);
    return 0;
}

/* Read the selected EF whole: the BER header gives the length, else read
 * until a short chunk or 6B00. */
static uint16_t read_all(diag_link *l, uint8_t *buf, size_t cap, size_t *len)
{
    size_t n, want = 0;
    uint16_t sw;
    *len = 0;
    for (;;) {
        sw = read_binary(l, *len, 0x00, buf + *len, &n);
        if (sw == 0x6B00 && *len > 0)
            return 0x9000;
        if (sw != 0x9000)
            return sw;
        *len += n;
        if (!want)
            want = ber_total(buf, *len);
        if (n < 256 || (want && *len >= want) || *len + 256 > cap)
            return 0x9000;
    }
}

static uint16_t retry_query(diag_link *l, uint16_t pin_fid)
{
    const uint8_t cmd[] = { 0x00, 0x20, 0x00, 0x80 };
    uint8_t rsp[256];
    size_t n;
    uint16_t sw = select_ef(l, pin_fid);
    return sw == 0x9000 ? diag_send(l, cmd, sizeof(cmd), rsp, sizeof(rsp), &n)
                        : sw;
}

int diag_tries_left(uint16_t sw)
{
    return (sw & 0xFFF0) == 0x63C0 ? (int)(sw & 0x0F) : -1;
}

/* ---- the survey (no PIN) ------------------------------------------------ */

static void describe_cert(diag_report *rep, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return;
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem &&
        X509_NAME_print_ex(mem, X509_get_issuer_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(mem, rep->issuer, sizeof(rep->issuer) - 1);
        rep->issuer[n > 0 ? n : 0] = '\0';
    }
    BIO_free(mem);
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
        strftime(rep->not_before, sizeof(rep->not_before),
                 "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
        strftime(rep->not_after, sizeof(rep->not_after),
                 "%Y-%m-%d %H:%M:%S UTC", &tm);
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (k)
        snprintf(rep->key_type, sizeof(rep->key_type), "%s %d",
                 EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA  ? "RSA"
                 : EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "EC"
                                                          : "other",
                 EVP_PKEY_get_bits(k));
    rep->cert_ok = 1;
    X509_free(x);
}

static void survey_files(diag_report *rep, uint8_t *buf)
{
    static const diag_file files[DIAG_N_FILES] = {
        { "token info", 0x0006, 1, 0, 0, -1 },
        { "auth certificate", 0x000A, 1, 0, 0, -1 },
        { "auth CA certificate", 0x000B, 1, 0, 0, -1 },
        { "sign certificate", 0x0001, 0, 0, 0,
          -1 }, /* personal data: never read */
        { "sign CA certificate", 0x0002, 1, 0, 0, -1 },
    };
    diag_link *l = &rep->link;
    for (size_t i = 0; i < DIAG_N_FILES; i++) {
        diag_file *f = &rep->files[i];
        size_t len = 0;
        *f = files[i];
        l->step = f->name;
        f->select_sw = select_ef(l, f->fid);
        if (f->select_sw != 0x9000 || !f->read)
            continue;
        if (f->fid == 0x0006) {
            /* The module's read: the 32-byte label. */
            uint8_t label[256];
            size_t n;
            rep->token_info_sw = read_binary(l, 0, 0x20, label, &n);
            for (size_t j = 0;
                 j < n && j < 32 && label[j] > 0x20 && label[j] < 0x7F; j++)
                rep->token_label[j] = (char)label[j];
        }
        f->read_sw = read_all(l, buf, FILE_MAX, &len);
        if (f->read_sw == 0x9000)
            f->size = (long)len;
        if (f->fid == 0x000A && f->read_sw == 0x9000)
            describe_cert(rep, buf, len);
        if (f->fid == 0x0006)
            rep->token_info_size = f->size;
        OPENSSL_cleanse(buf, len);
    }
}

/* The serial-number record's shape: tag, value length, and whether the
 * value's characters [2,15) look like a serial. Never the serial itself. */
static void survey_serial(diag_report *rep)
{
    diag_link *l = &rep->link;
    uint8_t rec[256];
    size_t n = 0;
    const uint8_t cmd[] = { 0x00, 0xB2, 0x01, 0x0C, 0x00 };
    l->step = "serial-number AP";
    rep->serial_tag = -1;
    rep->serial_value_len = -1;
    rep->serial_select_sw = select_aid(l, aid_serial, 0x0C, NULL);
    if (rep->serial_select_sw != 0x9000)
        return;
    rep->serial_read_sw = diag_send(l, cmd, sizeof(cmd), rec, sizeof(rec), &n);
    if (rep->serial_read_sw == 0x9000 && n >= 2) {
        size_t hdr = 2, vlen = rec[1];
        if (rec[1] == 0x81 && n >= 3) {
            hdr = 3;
            vlen = rec[2];
        }
        rep->serial_tag = rec[0];
        rep->serial_value_len = (long)vlen;
        int ok = hdr + vlen <= n && vlen >= 15;
        for (size_t i = 2; ok && i < 15; i++) {
            uint8_t ch = rec[hdr + i];
            ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
        }
        rep->serial_value_alnum = ok;
    }
    OPENSSL_cleanse(rec, sizeof(rec));
}

void diag_survey(diag_report *rep)
{
    static uint8_t buf[FILE_MAX + 256];
    diag_link *l = &rep->link;
    l->step = "select JPKI-AP";
    uint16_t sw = select_aid(l, aid_jpki, 0x0C, NULL);
    rep->card = sw == 0x9000 ? "jpki" : sw ? "other" : "error";
    if (sw != 0x9000)
        return;
    survey_files(rep, buf);
    l->step = "auth PIN status";
    rep->pin_sw[DIAG_AUTH] = retry_query(l, 0x0018);
    l->step = "sign PIN status";
    rep->pin_sw[DIAG_SIGN] = retry_query(l, 0x001B);
    survey_serial(rep);
    l->step = "select JPKI-AP";
    select_aid(l, aid_jpki, 0x0C, NULL);
    /* Not a command the module sends: does the card give an FCI? */
    l->step = "probe: SELECT P2=00";
    rep->fci_sw = select_aid(l, aid_jpki, 0x00, &rep->fci_len);
}

/* ---- experiments (PINs) ------------------------------------------------- */

/* End any login: select another application (the serial-number AP, else
 * the card-face AP). 1 if one was selected. */
static int leave_jpki(diag_link *l)
{
    l->step = "end login: other AP";
    return select_aid(l, aid_serial, 0x0C, NULL) == 0x9000 ||
           select_aid(l, aid_face, 0x0C, NULL) == 0x9000;
}

/* VERIFY of a typed PIN; a refused PIN is never sent again. */
static uint16_t verify(diag_link *l, diag_pins *pins, int which,
                       diag_result *out)
{
    static const uint16_t pin_fid[2] = { 0x0018, 0x001B };
    uint8_t cmd[5 + DIAG_PIN_MAX] = { 0x00, 0x20, 0x00, 0x80 };
    uint8_t rsp[256];
    size_t n, len = strlen(pins->pin[which]);
    if (!pins->have[which] || pins->wrong[which])
        return 0;
    l->step = which == DIAG_AUTH ? "VERIFY auth PIN" : "VERIFY sign PIN";
    uint16_t sw = select_ef(l, pin_fid[which]);
    if (sw != 0x9000)
        return sw;
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, pins->pin[which], len);
    reader_note_pin(l->r); /* so that letting go of the card resets it */
    sw = diag_send(l, cmd, 5 + len, rsp, sizeof(rsp), &n);
    OPENSSL_cleanse(cmd, sizeof(cmd));
    if (which == DIAG_AUTH)
        out->auth_spent++;
    else
        out->sign_spent++;
    if (sw != 0x9000)
        pins->wrong[which] = 1;
    return sw;
}

/* COMPUTE DIGITAL SIGNATURE (P1=00: PKCS#1 v1.5 over a DigestInfo) of a
 * fixed test text with the key in EF key_fid. */
static uint16_t sign(diag_link *l, uint16_t key_fid, const char *step,
                     size_t *sig_len)
{
    static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0D, 0x06,
                                        0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01,
                                        0x05, 0x00, 0x04, 0x20 };
    uint8_t cmd[5 + 51 + 1] = { 0x80, 0x2A, 0x00, 0x80, 51 };
    uint8_t rsp[512];
    unsigned int mdlen = 32;
    memcpy(cmd + 5, prefix, sizeof(prefix));
    EVP_Digest(test_text, sizeof(test_text) - 1, cmd + 5 + 19, &mdlen,
               EVP_sha256(), NULL);
    l->step = step;
    uint16_t sw = select_ef(l, key_fid);
    if (sw == 0x9000)
        sw = diag_send(l, cmd, sizeof(cmd), rsp, sizeof(rsp), sig_len);
    return sw;
}

/* Says why an experiment stopped after a VERIFY that did not succeed. */
static void refused(diag_result *out, const char *which, uint16_t sw)
{
    int left = diag_tries_left(sw);
    snprintf(out->answer, sizeof(out->answer), "not settled");
    if (left >= 0)
        snprintf(out->detail, sizeof(out->detail),
                 "the %s PIN was wrong (%04X: %d tries "
                 "left); it is not sent again",
                 which, sw, left);
    else if (!sw) /* refused in an earlier experiment: not sent */
        snprintf(out->detail, sizeof(out->detail),
                 "the %s PIN was refused before: not sent again", which);
    else
        snprintf(out->detail, sizeof(out->detail),
                 "VERIFY of the %s PIN answered %04X", which, sw);
}

static void exp_unverified(diag_link *l, diag_pins *pins, diag_report *rep,
                           diag_result *out)
{
    size_t n;
    (void)pins;
    (void)rep;
    if (!leave_jpki(l)) {
        snprintf(out->answer, sizeof(out->answer), "not settled");
        snprintf(out->detail, sizeof(out->detail),
                 "no other application to end a login "
                 "another program may hold, so no signature was tried");
        return;
    }
    l->step = "select JPKI-AP";
    select_aid(l, aid_jpki, 0x0C, NULL);
    uint16_t a = sign(l, 0x0017, "sign, no PIN (auth key)", &n);
    uint16_t s = sign(l, 0x001A, "sign, no PIN (sign key)", &n);
    out->conclusive = a != 0x9000 && s != 0x9000 && a && s;
    if (a == s)
        snprintf(out->answer, sizeof(out->answer), "%04X", a);
    else
        snprintf(out->answer, sizeof(out->answer), "auth %04X, sign %04X", a,
                 s);
    snprintf(out->detail, sizeof(out->detail), "%s",
             out->conclusive ? "the card refuses a signature without its PIN"
                             : "UNEXPECTED: the card signed (or did not "
                               "answer) without a PIN verified here");
}

/* Select the JPKI-AP afresh, VERIFY PIN which, and make one signature with
 * key_fid to show the PIN works. 1 when that signature was made; else the
 * result says why and any login is ended. */
static int verified_signature(diag_link *l, diag_pins *pins, int which,
                              uint16_t key_fid, diag_result *out)
{
    static const char *const what[2] = { "authentication", "signature" };
    size_t n = 0;
    l->step = "select JPKI-AP";
    select_aid(l, aid_jpki, 0x0C, NULL);
    uint16_t sw = verify(l, pins, which, out);
    if (sw != 0x9000) {
        refused(out, what[which], sw);
        return 0;
    }
    sw = sign(l, key_fid, "sign after VERIFY", &n);
    out->sig_len = n;
    if (sw == 0x9000)
        return 1;
    snprintf(out->answer, sizeof(out->answer), "not settled");
    snprintf(out->detail, sizeof(out->detail),
             "a signature right after VERIFY answered %04X", sw);
    leave_jpki(l);
    return 0;
}

/* The answer to a second signature: "yes" if it was made, "no" if the card
 * refused it for a missing PIN (69xx), else not settled. */
static void second_signature(diag_link *l, uint16_t key_fid, const char *step,
                             const char *yes, const char *no, diag_result *out)
{
    size_t n;
    uint16_t sw = sign(l, key_fid, step, &n);
    out->conclusive = sw == 0x9000 || (sw >> 8) == 0x69;
    snprintf(out->answer, sizeof(out->answer), "%s",
             sw == 0x9000      ? yes
             : out->conclusive ? no
                               : "not settled");
    snprintf(out->detail, sizeof(out->detail),
             "%s: the signature answered %04X", step, sw);
    leave_jpki(l);
}

static void exp_reselect(diag_link *l, diag_pins *pins, diag_report *rep,
                         diag_result *out)
{
    (void)rep;
    if (!verified_signature(l, pins, DIAG_AUTH, 0x0017, out))
        return;
    l->step = "re-select JPKI-AP";
    select_aid(l, aid_jpki, 0x0C, NULL);
    second_signature(l, 0x0017, "sign after re-select", "keeps", "clears",
                     out);
}

static void exp_sign_covers(diag_link *l, diag_pins *pins, diag_report *rep,
                            diag_result *out)
{
    (void)rep;
    if (verified_signature(l, pins, DIAG_SIGN, 0x001A, out))
        second_signature(l, 0x001A, "second signature, no new VERIFY",
                         "several", "one", out);
}

/* 1 if sig is RSA-PSS (SHA-256, MGF1, salt 32) of hash under der's key. */
static int pss_good(const uint8_t *der, size_t der_len, const uint8_t *hash,
                    const uint8_t *sig, size_t sig_len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    EVP_PKEY_CTX *ctx = x ? EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL) : 0;
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) == 1 &&
             EVP_PKEY_verify(ctx, sig, sig_len, hash, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    X509_free(x);
    return ok;
}

/* The card's scheme P1 04 (one public source) with the auth key, checked
 * with its certificate: "supported", "refused SW" (6A86 6A81 6D00),
 * "wrong signature", else not settled. */
static void exp_pss(diag_link *l, diag_pins *pins, diag_report *rep,
                    diag_result *out)
{
    static uint8_t der[FILE_MAX];
    uint8_t cmd[5 + 32 + 1] = { 0x80, 0x2A, 0x04, 0x80, 32 }, rsp[512];
    size_t der_len = 0, n = 0;
    (void)rep;
    l->step = "select JPKI-AP";
    select_aid(l, aid_jpki, 0x0C, NULL);
    l->step = "auth certificate"; /* public: the key to check with */
    uint16_t sw = select_ef(l, 0x000A);
    if (sw == 0x9000)
        sw = read_all(l, der, sizeof(der), &der_len);
    if (sw != 0x9000) {
        snprintf(out->answer, sizeof(out->answer), "not settled");
        snprintf(out->detail, sizeof(out->detail),
                 "reading the auth certificate answered %04X", sw);
        return;
    }
    if ((sw = verify(l, pins, DIAG_AUTH, out)) != 0x9000) {
        refused(out, "authentication", sw);
        return;
    }
    EVP_Digest(test_text, sizeof(test_text) - 1, cmd + 5, NULL, EVP_sha256(),
               NULL);
    l->step = "sign with P1=04 (PSS)";
    if ((sw = select_ef(l, 0x0017)) == 0x9000)
        sw = diag_send(l, cmd, sizeof(cmd), rsp, sizeof(rsp), &n);
    leave_jpki(l);
    int good = sw == 0x9000 && pss_good(der, der_len, cmd + 5, rsp, n);
    out->sig_len = sw == 0x9000 ? n : 0;
    out->conclusive =
        sw == 0x9000 || sw == 0x6A86 || sw == 0x6A81 || sw == 0x6D00;
    if (sw != 0x9000 && out->conclusive)
        snprintf(out->answer, sizeof(out->answer), "refused %04X", sw);
    else
        snprintf(out->answer, sizeof(out->answer), "%s",
                 good           ? "supported"
                 : sw == 0x9000 ? "wrong signature"
                                : "not settled");
    snprintf(out->detail, sizeof(out->detail), "P1=04 answered %04X: %s", sw,
             good ? "the certificate's key verifies the PSS signature"
             : sw == 0x9000    ? "UNEXPECTED: not a PSS signature under the "
                                 "certificate's key; please report it"
             : out->conclusive ? "the module will offer PKCS#1 v1.5 only"
                               : "no answer about PSS");
}

/* The experiments, in the order they run. Each starts from the JPKI-AP
 * selected afresh and ends with another application selected, so none
 * leaves a login behind for the next (or for anyone else). */
const diag_experiment diag_experiments[] = {
    { "unverified-signature",
      "What does a signature without a verified PIN answer?",
      { 0, 0 },
      exp_unverified },
    { "reselect",
      "Does re-selecting the JPKI-AP clear a verified PIN?",
      { 1, 0 },
      exp_reselect },
    { "sign-pin-covers",
      "Does one signature-PIN VERIFY cover two signatures?",
      { 0, 1 },
      exp_sign_covers },
    { "pss", "Does the card sign with RSA-PSS (P1=04)?", { 1, 0 }, exp_pss },
};
const size_t diag_n_experiments =
    sizeof(diag_experiments) / sizeof(diag_experiments[0]);
_Static_assert(sizeof(diag_experiments) / sizeof(diag_experiments[0]) <=
                   DIAG_MAX_EXPERIMENTS,
               "diag_report has room for DIAG_MAX_EXPERIMENTS results");

void diag_run_experiments(diag_report *rep, diag_pins *pins)
{
    for (size_t i = 0; i < diag_n_experiments; i++) {
        diag_result *out = &rep->results[i];
        if (!rep->run[i])
            continue;
        out->ran = 1;
        diag_experiments[i].run(&rep->link, pins, rep, out);
    }
    /* Each experiment ended its login by selecting another application;
     * a reset makes sure, whatever the card does on a selection. */
    if (rep->link.r->pin_sent)
        rep->reset_rv = reader_reset(rep->link.r);
}
