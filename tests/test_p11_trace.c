/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_p11_trace.c - the entry points' trace (JPKI_PKCS11_DEBUG=4): every
 * call shows its entry and its exit with the CKR_* name, and never a PIN
 * or the data signed. The card's own counters (test_faults_stats.h) show
 * that the logins and the signature really reached it, so the log looked
 * at is the log of real PIN verifications.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11test.h"
#include "test_faults_stats.h"

static char logp[4200];

/* The whole log file, NUL-terminated (the caller frees it). */
static char *read_log(void)
{
    FILE *f = fopen(logp, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n;

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The trace lines, in order, must pair: "C_X" then "C_X: CKR_...", but
 * for C_Initialize, which opens the log and so shows only its exit.
 * Returns how many calls were traced. */
static int pairs(const char *log)
{
    const char *tag = "debug: C_", *p = log, *open = NULL;
    size_t open_len = 0;
    int calls = 0;

    while ((p = strstr(p, tag))) {
        const char *name = p + strlen("debug: ");
        size_t len = strcspn(name, ":\n");
        if (name[len] == '\n') { /* an entry */
            ck_assert_msg(!open, "%.*s entered before %.*s left", (int)len,
                          name, (int)open_len, open);
            open = name, open_len = len;
        } else if (!open && !strncmp(name, "C_Initialize:", 13)) {
            calls++;
        } else { /* an exit */
            ck_assert_msg(open && len == open_len && !strncmp(open, name, len),
                          "%.*s left without entering", (int)len, name);
            ck_assert_msg(!strncmp(name + len, ": CKR_", 6),
                          "%.*s: no CKR_ name", (int)len, name);
            open = NULL;
            calls++;
        }
        p = name + len;
    }
    ck_assert_msg(!open, "%.*s never left", (int)open_len, open);
    return calls;
}

static void setup(void)
{
    int fd;

    snprintf(logp, sizeof logp, "%s/p11trace-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    fd = mkstemp(logp);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(setenv("JPKI_PKCS11_DEBUG", "4", 1), 0);
    ck_assert_int_eq(setenv("JPKI_PKCS11_LOG_FILE", logp, 1), 0);
    t_setup_card();
    ts_stats_reset();
}

static void teardown(void)
{
    t_teardown();
    unsetenv("JPKI_PKCS11_DEBUG");
    unsetenv("JPKI_PKCS11_LOG_FILE");
    unlink(logp);
}

START_TEST(trace_shows_calls_never_pins)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    unsigned char sig[512];
    CK_ULONG len = sizeof sig;
    CK_SESSION_HANDLE auth, sign;
    emu_stats st;
    char *log;

    OK(p11->C_Initialize(NULL));
    auth = t_open_login(0);
    sign = t_open_login(1);
    OK(p11->C_SignInit(sign, &m, t_privkey(sign)));
    OK(p11->C_Sign(sign, (CK_BYTE_PTR)msg, strlen(msg), sig, &len));
    OK(p11->C_Logout(auth));
    RV(CKR_PIN_INCORRECT, t_login(auth, "9753"));
    OK(p11->C_Finalize(NULL));

    ts_stats(&st);
    ck_assert_uint_eq(st.verifies, 3); /* the three logins reached the card */
    ck_assert_uint_eq(st.signatures, 1);

    log = read_log();
    ck_assert_int_gt(pairs(log), 10);
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Initialize: CKR_OK\n"));
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Login\n"));
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Login: CKR_OK\n"));
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Login: CKR_PIN_INCORRECT\n"));
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Sign: CKR_OK\n"));
    ck_assert_ptr_nonnull(strstr(log, "debug: C_Finalize: CKR_OK\n"));
    /* No PIN, in text or in hex, and not the data signed. */
    ck_assert_ptr_null(strstr(log, pins[0]));
    ck_assert_ptr_null(strstr(log, pins[1]));
    ck_assert_ptr_null(strstr(log, "9753"));
    ck_assert_ptr_null(strstr(log, "39373533"));
    ck_assert_ptr_null(strstr(log, "31323334"));
    ck_assert_ptr_null(strstr(log, "414243313233"));
    ck_assert_ptr_null(strstr(log, "quick brown"));
    free(log);
}
END_TEST

/* Refusals are traced with their own names. */
START_TEST(trace_names_refusals)
{
    CK_SESSION_HANDLE h;
    emu_stats st;
    char *log;

    OK(p11->C_Initialize(NULL));
    RV(CKR_SESSION_HANDLE_INVALID,
       p11->C_Login(0x7777, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4));
    h = t_open(0, 0);
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_SignFinal(h, NULL, NULL));
    RV(CKR_FUNCTION_NOT_SUPPORTED, p11->C_InitToken(0, NULL, 0, NULL));
    RV(CKR_ARGUMENTS_BAD, p11->C_GenerateRandom(h, NULL, 0));
    OK(p11->C_Finalize(NULL));

    ts_stats(&st);
    ck_assert_uint_eq(st.verifies, 0); /* no PIN went to the card */

    log = read_log();
    pairs(log);
    ck_assert_ptr_nonnull(
        strstr(log, "debug: C_Login: CKR_SESSION_HANDLE_INVALID\n"));
    ck_assert_ptr_nonnull(
        strstr(log, "debug: C_SignFinal: CKR_OPERATION_NOT_INITIALIZED\n"));
    ck_assert_ptr_nonnull(
        strstr(log, "debug: C_InitToken: CKR_FUNCTION_NOT_SUPPORTED\n"));
    ck_assert_ptr_nonnull(
        strstr(log, "debug: C_GenerateRandom: CKR_ARGUMENTS_BAD\n"));
    ck_assert_ptr_null(strstr(log, "1234"));
    free(log);
}
END_TEST

/* Below the debug level, no call is traced. */
START_TEST(no_trace_below_debug)
{
    char *log;

    ck_assert_int_eq(setenv("JPKI_PKCS11_DEBUG", "3", 1), 0);
    OK(p11->C_Initialize(NULL));
    t_open_login(0);
    OK(p11->C_Finalize(NULL));
    log = read_log();
    ck_assert_ptr_null(strstr(log, "C_Login"));
    ck_assert_ptr_null(strstr(log, "C_Initialize"));
    free(log);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("p11_trace");
    TCase *tc = tcase_create("trace");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, trace_shows_calls_never_pins);
    tcase_add_test(tc, trace_names_refusals);
    tcase_add_test(tc, no_trace_below_debug);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
