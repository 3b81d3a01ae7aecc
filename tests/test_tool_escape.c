/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_tool_escape.c - nothing jpki-tool prints from a certificate reaches
 * the terminal raw: the escaping of src/tools/escape.c byte for byte, in
 * text and JSON; and "jpki-tool verify --show-personal-data" on signature
 * certificates whose subject and personal data carry terminal escapes, a
 * CR LF with a forged "status:" line, C1 controls and a direction override.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jpki/san.h"
#include "tools/tool.h"
#include "verify_pki.h"

static char *capture(void (*put)(FILE *, const char *), const char *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    put(f, in);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

typedef struct {
    const char *in, *want;
} pair;

static void check_pairs(void (*put)(FILE *, const char *), const pair *t,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = capture(put, t[i].in);
        ck_assert_msg(strcmp(got, t[i].want) == 0,
                      "case %zu: got '%s', want '%s'", i, got, t[i].want);
        free(got);
    }
}

START_TEST(text_escapes)
{
    static const pair t[] = {
        { "C=JP, CN=plain", "C=JP, CN=plain" },
        { "試験　花子", "試験　花子" },
        { "a\x1b[2Jb", "a\\x1B[2Jb" },
        { "x\r\nstatus: valid", "x\\x0D\\x0Astatus: valid" },
        { "tab\there\x7f", "tab\\x09here\\x7F" },
        { "c1\xc2\x9b"
          "2J\xc2\x85",
          "c1\\xC2\\x9B2J\\xC2\\x85" },
        { "rtl\xe2\x80\xae"
          "cba\xe2\x81\xa6",
          "rtl\\xE2\\x80\\xAEcba\\xE2\\x81\\xA6" },
        { "zw\xe2\x80\x8b"
          "bom\xef\xbb\xbf",
          "zw\\xE2\\x80\\x8Bbom\\xEF\\xBB\\xBF" },
        { "bad\xff\xc0\xaf", "bad\\xFF\\xC0\\xAF" },
        { "cut\xe8\xa9", "cut\\xE8\\xA9" },
        { "sur\xed\xa0\x80", "sur\\xED\\xA0\\x80" },
        { "big\xf4\x90\x80\x80", "big\\xF4\\x90\\x80\\x80" },
        { "tag\xf3\xa0\x80\x81", "tag\\xF3\\xA0\\x80\\x81" },
        { "emoji\xf0\x9f\x98\x80", "emoji\xf0\x9f\x98\x80" },
        { "CN=a\\,b", "CN=a\\,b" },
        { "", "" },
    };
    check_pairs(tool_put_text, t, sizeof t / sizeof t[0]);
    char *got = capture(tool_put_text, NULL);
    ck_assert_str_eq(got, "");
    free(got);
}
END_TEST

START_TEST(json_escapes)
{
    static const pair t[] = {
        { "plain", "\"plain\"" },
        { "試験", "\"試験\"" },
        { "a\"b\\c", "\"a\\\"b\\\\c\"" },
        { "a\x1b[2J", "\"a\\u001b[2J\"" },
        { "x\r\nstatus", "\"x\\u000d\\u000astatus\"" },
        { "\x7f\xc2\x9b", "\"\\u007f\\u009b\"" },
        { "\xe2\x80\xae", "\"\\u202e\"" },
        { "\xff"
          "x\xed\xa0\x80",
          "\"\\ufffdx\\ufffd\\ufffd\\ufffd\"" },
        { "\xf3\xa0\x80\x81", "\"\\udb40\\udc01\"" },
        { "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
    };
    check_pairs(tool_put_json, t, sizeof t / sizeof t[0]);
}
END_TEST

/* Runs jpki-tool verify on the certificate; its output (stdout and stderr)
 * into out, NUL-terminated; returns the exit status. */
static int run_verify(const char *anchors, const char *cert, char *out,
                      size_t cap)
{
    const char *b = getenv("top_builddir");
    char cmd[2048];
    snprintf(
        cmd, sizeof cmd,
        "'%s/jpki-tool' verify --purpose sign --anchors '%s' --no-crl-cache "
        "--show-personal-data '%s' 2>&1",
        b ? b : ".", anchors, cert);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    ck_assert_uint_eq(strlen(out), n); /* no NUL byte either */
    int st = pclose(p);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void no_raw_controls(const char *out)
{
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        ck_assert_msg(*p >= 0x20 || *p == '\n',
                      "a raw control byte 0x%02X in:\n%s", *p, out);
    ck_assert_msg(!strchr(out, 0x7f), "DEL in the output");
    ck_assert_msg(!strstr(out, "\xc2\x9b") && !strstr(out, "\xe2\x80\xae"),
                  "a C1 control or a direction override in:\n%s", out);
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

START_TEST(verify_output)
{
    vp_ca ca;
    time_t now = time(NULL);
    char anchors[600], path[700], out[16384];
    vp_ca_make(&ca, now - 30 * DAY, now + 3650 * DAY);
    vp_subdir(anchors, sizeof anchors, "anchors");
    vp_write_cert(path, sizeof path, anchors, "ca.der", ca.cert);

    /* 1: escapes in the name, CR LF and a forged status in the address:
     * the decoder refuses the personal data, the subject is escaped */
    const vp_attr evil[] = { { 1, 0, "X\x1b[2J\x1b]0;pwn\x07Y" },
                             { 3, 0, "1" },
                             { 4, 0, "419900101" },
                             { 5, 0, "Tokyo\r\nstatus:      valid" } };
    uint8_t san[300];
    vp_leaf_opts o = { .sign = 1,
                       .cn = "A\x1b[31mB\xc2\x9b"
                             "C\xe2\x80\xae"
                             "D" };
    o.san = san;
    o.san_len = vp_san_der(san, evil, 4);
    X509 *leaf = vp_leaf(&ca, &o);
    char cert[700];
    vp_write_cert(cert, sizeof cert, anchors, "../evil.der", leaf);
    int rc = run_verify(anchors, cert, out, sizeof out);
    no_raw_controls(out);
    ck_assert_msg(
        strstr(out,
               "subject: C=JP, CN=A\\1B[31mB\\xC2\\x9BC\\xE2\\x80\\xAED\n"),
        "subject not escaped as expected:\n%s", out);
    char want[200];
    snprintf(want, sizeof want, "personal data: %s\n",
             jpki_san_strerror(JPKI_SAN_MALFORMED));
    ck_assert_msg(strstr(out, want), "personal data not refused:\n%s", out);
    ck_assert_msg(!strstr(out, "pwn") && !strstr(out, "Tokyo"),
                  "personal data shown:\n%s", out);
    ck_assert_int_eq(count(out, "status:"), 1);
    ck_assert_int_eq(rc, 3);
    X509_free(leaf);

    /* 2: printable but invisible or reordering characters in decodable
     * personal data: shown, escaped */
    const vp_attr odd[] = { { 1, 0,
                              "試験\xe2\x80\xae"
                              "子花" },
                            { 3, 0, "2" },
                            { 5, 0,
                              "東京都\xe2\x80\x8b"
                              "千代田区" } };
    o.san_len = vp_san_der(san, odd, 3);
    o.cn = "TEST";
    leaf = vp_leaf(&ca, &o);
    vp_write_cert(cert, sizeof cert, anchors, "../odd.der", leaf);
    rc = run_verify(anchors, cert, out, sizeof out);
    no_raw_controls(out);
    ck_assert_msg(
        strstr(out, "\n  name:                試験\\xE2\\x80\\xAE子花\n"),
        "%s", out);
    ck_assert_msg(
        strstr(out,
               "\n  address:             東京都\\xE2\\x80\\x8B千代田区\n"),
        "%s", out);
    ck_assert_msg(!strstr(out, "\xe2\x80\x8b"), "zero-width space raw:\n%s",
                  out);
    ck_assert_int_eq(rc, 0);
    X509_free(leaf);
    vp_ca_free(&ca);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool-escape");
    TCase *tc = tcase_create("escape");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, text_escapes);
    tcase_add_test(tc, json_escapes);
    tcase_add_test(tc, verify_output);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
