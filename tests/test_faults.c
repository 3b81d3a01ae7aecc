/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_faults.c - the card misbehaving at every APDU of every user flow.
 *
 * For each flow of test_faults_flows.c the APDUs are counted on a clean
 * card; then, for every position i of that flow and every fault kind of
 * the table below, the flow runs again on a fresh card with that fault at
 * APDU i (the emulator's JPKI_EMU_FAULTS). Each case is its own Check test
 * (a forked child with a timeout: a hang fails it), and must end:
 *   - with a return code of the fault's row in the table (a flow stops at
 *     its first failing call), or CKR_OK where the row allows it;
 *   - having sent no more PIN tries and made no more signatures than the
 *     flow asks for, counted by the card itself (test_faults_stats.h);
 *   - with the card's retry counters, read from its image afterwards, no
 *     lower than the flow spends on a clean card;
 *   - never having selected the card-info application;
 *   - when it returned CKR_OK, having done all the flow asked (every try,
 *     every signature, and the signature verifies: test_faults_flows.c).
 * Whole-flow faults (GET RESPONSE chains, 6Cxx on READ BINARY, slow
 * answers) must not change the outcome at all. Leaks and memory errors
 * are the sanitizer build's to catch (CI runs this test under ASan).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu.h"
#include "jpki/jpki.h"
#include "jpki/test_hooks.h"
#include "p11test.h"
#include "test_faults_flows.h"
#include "test_faults_stats.h"
#include "testutil.h"

#define MAX_RV 8

/* The table of return codes each fault may end a flow with. A flow that
 * meets a bad answer while the module first recognizes the card (the
 * SELECTs of C_Initialize) has no token: CKR_TOKEN_NOT_PRESENT. CKR_OK
 * only where the row allows it, and then the whole flow must have been
 * done (the test checks every try, every signature, and the signature). */
typedef struct {
    const char *name;
    const char *pre, *post; /* JPKI_EMU_FAULTS = pre + position + post */
    int drop;               /* drop-after counts APDUs *before* the drop */
    int may_succeed;        /* the module may ride through (re-reads, 6Cxx) */
    CK_RV rv[MAX_RV];
    size_t n_rv;
} fault_kind;

static const fault_kind kinds[] = {
    /* The card is gone: the call that meets it says so (and forgets the
     * card); the flow's later calls find no token. Never a success. */
    { "drop",
      "drop-after=",
      "",
      1,
      0,
      { CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT },
      2 },
    /* An answer that is no answer: random bytes, an error status, a 61xx
     * with nothing to fetch. */
    { "garbage",
      "garbage-at=",
      "",
      0,
      1,
      { CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT },
      2 },
    { "sw-6F00",
      "sw-at=",
      ":6F00",
      0,
      1,
      { CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT },
      2 },
    /* A 61xx with nothing to fetch: the GET RESPONSE is refused (6985).
     * At a signature any 69xx means the key is not usable now: the login
     * is taken as lost (CKR_USER_NOT_LOGGED_IN), never a PIN re-sent. */
    { "sw-6110",
      "sw-at=",
      ":6110",
      0,
      1,
      { CKR_DEVICE_ERROR, CKR_USER_NOT_LOGGED_IN, CKR_TOKEN_NOT_PRESENT },
      3 },
    /* File not found: the module takes it for another program having
     * selected another application, selects the JPKI-AP again (which
     * clears the card's PIN state) and retries once. A login that this
     * undoes fails (CKR_DEVICE_ERROR); a signature after it meets the
     * card's "security status not satisfied" (CKR_USER_NOT_LOGGED_IN). */
    { "sw-6A82",
      "sw-at=",
      ":6A82",
      0,
      1,
      { CKR_DEVICE_ERROR, CKR_USER_NOT_LOGGED_IN, CKR_TOKEN_NOT_PRESENT },
      3 },
    /* Security status not satisfied where the module thought it was. */
    { "sw-6982",
      "sw-at=",
      ":6982",
      0,
      1,
      { CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT },
      3 },
    /* Wrong Le: a command with an Le is sent again with the card's length
     * (the emulator then answers it); one without (SELECT, VERIFY) fails. */
    { "sw-6C10",
      "sw-at=",
      ":6C10",
      0,
      1,
      { CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT },
      2 },
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Faults over the whole flow that a correct module rides through. */
static const char *const whole[] = { "get-response", "wrong-le", "delay-ms=20",
                                     "get-response,wrong-le" };
#define N_WHOLE (sizeof whole / sizeof whole[0])

typedef struct {
    unsigned flow;
    int kind;          /* index in kinds, or -1 - index in whole */
    unsigned long pos; /* 1-based APDU position (0 for whole-flow) */
} fault_case;

static fault_case *cases;
static size_t n_cases;
static unsigned long flow_apdus[16];
static int verbose;

/* Commands with INS ins that carried data (a PIN: VERIFY 20, CHANGE
 * REFERENCE DATA 24) to the card, from the emulator's APDU log, whatever
 * the card did with them. */
static unsigned long pins_sent(const char *log, const char *ins)
{
    char line[512];
    unsigned long n = 0;
    FILE *fp = fopen(log, "r");

    if (!fp)
        return 0; /* no APDU at all */
    while (fgets(line, sizeof line, fp))
        if (strstr(line, ins) && !strstr(line, " Lc=- ") &&
            !strstr(line, "fault=drop"))
            n++;
    fclose(fp);
    return n;
}

static int rv_allowed(const fault_kind *k, CK_RV rv)
{
    size_t i;

    for (i = 0; i < k->n_rv; i++)
        if (k->rv[i] == rv)
            return 1;
    return 0;
}

static void describe(const fault_case *c, char *spec, size_t n)
{
    if (c->kind < 0)
        snprintf(spec, n, "%s", whole[-1 - c->kind]);
    else
        snprintf(spec, n, "%s%lu%s", kinds[c->kind].pre,
                 kinds[c->kind].drop ? c->pos - 1 : c->pos,
                 kinds[c->kind].post);
}

START_TEST(test_fault_case)
{
    const fault_case *c = &cases[_i];
    const tf_flow *fl = &tf_flows[c->flow];
    char spec[64], log[4200];
    unsigned long sent, changes;
    unsigned tries[2];
    const unsigned max[2] = { 3, 5 };
    emu_stats st;
    tf_result r;
    int k;

    describe(c, spec, sizeof spec);
    snprintf(log, sizeof log, "%s.log", card);
    ck_assert_int_eq(setenv("JPKI_EMU_FAULTS", spec, 1), 0);
    ck_assert_int_eq(setenv("JPKI_EMU_LOG", log, 1), 0);
    ts_stats_reset();
    r = tf_run(fl);
    unsetenv("JPKI_EMU_FAULTS");
    unsetenv("JPKI_EMU_LOG");
    ts_stats(&st);
    sent = pins_sent(log, " INS=20 ");
    changes = pins_sent(log, " INS=24 ");
    unlink(log);
    if (verbose)
        printf("%-9s %-22s -> 0x%03lx at %s (verifies %lu, signatures %lu)\n",
               fl->name, spec, (unsigned long)r.rv, r.where ? r.where : "-",
               st.verifies, st.signatures);

    if (c->kind < 0 || r.rv == CKR_OK) {
        ck_assert_msg(r.rv == CKR_OK &&
                          (c->kind < 0 || kinds[c->kind].may_succeed),
                      "%s with %s: 0x%lx from %s", fl->name, spec,
                      (unsigned long)r.rv, r.where);
        ck_assert_msg(st.verifies == fl->verifies &&
                          st.signatures == fl->signatures,
                      "%s with %s succeeded with %lu tries, %lu signatures",
                      fl->name, spec, st.verifies, st.signatures);
    } else {
        ck_assert_msg(rv_allowed(&kinds[c->kind], r.rv),
                      "%s with %s: 0x%lx from %s is not in the table",
                      fl->name, spec, (unsigned long)r.rv, r.where);
    }
    ck_assert_msg(st.verifies <= fl->verifies,
                  "%s with %s: %lu PIN tries for the user's %u", fl->name,
                  spec, st.verifies, fl->verifies);
    /* Sent, not only counted: a PIN goes to the card once per C_Login,
     * even when the card's answer was not the one expected. */
    ck_assert_msg(sent <= fl->verifies,
                  "%s with %s: the PIN went to the card %lu times for the "
                  "user's %u",
                  fl->name, spec, sent, fl->verifies);
    ck_assert_msg(changes <= fl->changes,
                  "%s with %s: the new PIN went to the card %lu times",
                  fl->name, spec, changes);
    ck_assert_msg(st.signatures <= fl->signatures,
                  "%s with %s: %lu signatures for the user's %u", fl->name,
                  spec, st.signatures, fl->signatures);
    ck_assert_uint_eq(st.card_info_selects, 0);
    t_card_tries(&tries[0], &tries[1]);
    for (k = 0; k < 2; k++) {
        unsigned least = max[k] - (k == fl->pin_key ? fl->tries_spent : 0);
        ck_assert_msg(tries[k] >= least,
                      "%s with %s: %s PIN has %u tries left, expected >= %u",
                      fl->name, spec, k ? "sign" : "auth", tries[k], least);
    }
}
END_TEST

/* APDUs of each flow on a clean card, which must succeed as asked. */
static int count_flows(void)
{
    unsigned i;

    for (i = 0; i < tf_n_flows; i++) {
        char img[4096];
        emu_stats st;
        tf_result r;

        if (tu_card_copy(img, sizeof img) != 0)
            return -1;
        setenv("JPKI_PKCS11_EMULATOR", img, 1);
        setenv("JPKI_PKCS11_PCSC", "off", 1);
        unsetenv("JPKI_EMU_FAULTS");
        if (verbose) { /* TF_VERBOSE: each flow's APDUs in /tmp */
            char log[64];
            snprintf(log, sizeof log, "/tmp/tf-flow-%s.log", tf_flows[i].name);
            unlink(log);
            setenv("JPKI_EMU_LOG", log, 1);
        }
        ts_stats_reset();
        r = tf_run(&tf_flows[i]);
        unsetenv("JPKI_EMU_LOG");
        ts_stats(&st);
        tu_card_remove(img);
        unsetenv("JPKI_PKCS11_EMULATOR");
        if (r.rv != CKR_OK || st.verifies != tf_flows[i].verifies ||
            st.signatures != tf_flows[i].signatures ||
            st.card_info_selects != 0) {
            fprintf(stderr,
                    "clean flow %s: 0x%lx at %s, %lu tries, %lu "
                    "signatures, %lu card-info SELECTs\n",
                    tf_flows[i].name, (unsigned long)r.rv,
                    r.where ? r.where : "-", st.verifies, st.signatures,
                    st.card_info_selects);
            return -1;
        }
        flow_apdus[i] = st.apdus;
        printf("flow %-9s %3lu APDUs, %u PIN tries, %u signatures\n",
               tf_flows[i].name, st.apdus, tf_flows[i].verifies,
               tf_flows[i].signatures);
    }
    return 0;
}

static int make_cases(void)
{
    size_t n = 0, f, k;
    unsigned long p;

    for (f = 0; f < tf_n_flows; f++)
        n += N_KINDS * flow_apdus[f] + N_WHOLE;
    cases = calloc(n, sizeof *cases);
    if (!cases)
        return -1;
    for (f = 0; f < tf_n_flows; f++) {
        for (k = 0; k < N_WHOLE; k++)
            cases[n_cases++] = (fault_case){ (unsigned)f, -1 - (int)k, 0 };
        for (k = 0; k < N_KINDS; k++)
            for (p = 1; p <= flow_apdus[f]; p++)
                cases[n_cases++] = (fault_case){ (unsigned)f, (int)k, p };
    }
    return 0;
}

int main(void)
{
    Suite *s = suite_create("faults");
    SRunner *sr;
    TCase *tc;
    int failed;

    verbose = getenv("TF_VERBOSE") != NULL;
    /* Every flow as a cold process runs it: a warm certificate cache would
     * make the counted flow and the faulted ones differ (tests/test_cache
     * covers the cache). */
    setenv("JPKI_PKCS11_CACHE", "off", 1);
    /* A PIN counter believed for 1 s: a flow slower than that on a loaded
     * machine would query it once more than the counted run did, and every
     * fault after that point would land one APDU early. Believed for an
     * hour, the count does not depend on timing. */
    jpki_test_set_pin_status_ttl_default(3600u * 1000u);
    t_set_card_kind(); /* count_flows signs before any fixture */
    if (!tu_template_pki_dir() || count_flows() != 0 || make_cases() != 0)
        return EXIT_FAILURE;
    printf("%zu fault cases (%zu flows x %zu kinds x each APDU, and %zu "
           "whole-flow faults per flow)\n",
           n_cases, (size_t)tf_n_flows, (size_t)N_KINDS, (size_t)N_WHOLE);
    tc = t_tcase(s, "faults", t_setup_card);
    tcase_set_timeout(tc, 20); /* a hang is a failure */
    tcase_add_loop_test(tc, test_fault_case, 0, (int)n_cases);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(cases);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
