/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11drive.c - drives a PKCS#11 module through a scripted scenario, for
 * end-to-end tests that must hold a session open across something done to
 * the card or to pcscd (tests/e2e/pcsc.sh), and assert exact CKR codes.
 *
 *   p11drive MODULE STEP...
 *
 * Steps (arguments after ':'); the first failing step ends the program
 * with status 1 and says why:
 *   expect:CKR_X        the next call-making step must return CKR_X
 *                       (default CKR_OK; reset after each step)
 *   slots:N             C_GetSlotList(present) lists N slots
 *   wait-slots:N:MS     ... within MS milliseconds (polled every 50 ms)
 *   serials:N           the present tokens have N distinct serial numbers
 *   open:TEXT[:I]       C_OpenSession on the I-th (from 0) present token
 *                       whose label contains TEXT; it becomes the current one
 *   login:PIN           C_Login(CKU_USER) on the current session
 *   logout              C_Logout on the current session
 *   close               C_CloseSession on the current session
 *   sign2               as sign, twice in a row with one login (the second
 *                       call's result is the step's)
 *   sign                find the private key, C_SignInit
 *                       (CKM_SHA256_RSA_PKCS) and C_Sign; the first call that
 *                       fails gives the result; a signature must verify
 *                       with the public key of the token's certificate of
 *                       the same CKA_ID
 *   exit                ends the program at once (status 0), without
 *                       C_Finalize: a program that just exits
 *   privkeys:N          N private keys visible in the current session
 *   info[:STATE]        C_GetSessionInfo on the current session; STATE
 *                       "public" or "user": the session must be in it
 *   drain               consume pending slot events (CKF_DONT_BLOCK)
 *   no-event            C_WaitForSlotEvent(CKF_DONT_BLOCK) says CKR_NO_EVENT
 *   event:MS:FILE       blocking C_WaitForSlotEvent; FILE holds the time the
 *                       test acted ("SECONDS.NANOSECONDS", CLOCK_REALTIME,
 *                       waited for up to 30 s); fails if the event came
 *                       later than MS after it. Prints the latency.
 *   cancel-wait         a thread blocks in C_WaitForSlotEvent (seen asleep
 *                       in it, /proc); C_Finalize from here must end it
 *                       (CKR_CRYPTOKI_NOT_INITIALIZED) within 2 s; init
 *   now:LABEL           prints "LABEL SECONDS.NANOSECONDS"
 *   touch:FILE          creates FILE holding our pid (tells the test
 *                       script we got here, and who we are)
 *   waitfile:FILE       waits (up to 60 s) for FILE to exist
 *   sleep:MS
 *   init / finalize     C_Initialize / C_Finalize
 *   waiter, end-wait    cancel-wait in two: the waiter blocks; later, not
 *                       returned yet, it is ended by C_Finalize (then init)
 *   fork ... endchild   the child runs the steps between (endchild: exit 0),
 *                       the parent those after; waitchild:S: it ended,
 *                       status 0, within S seconds
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall(SYS_gettid) */
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "thread_wait.h"

static CK_FUNCTION_LIST_PTR p11;
static CK_SESSION_HANDLE cur;
static CK_RV expected = CKR_OK;
static const char *step_text;

static const struct {
    CK_RV rv;
    const char *name;
} ckr_names[] = {
    { CKR_OK, "CKR_OK" },
    { CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
    { CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
    { CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
    { CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
    { CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
    { CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
    { CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
    { CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
    { CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
    { CKR_NO_EVENT, "CKR_NO_EVENT" },
    { CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
    { CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
};

static const char *ckr_name(CK_RV rv)
{
    static char buf[32];
    size_t i;

    for (i = 0; i < sizeof ckr_names / sizeof ckr_names[0]; i++)
        if (ckr_names[i].rv == rv)
            return ckr_names[i].name;
    snprintf(buf, sizeof buf, "0x%08lX", (unsigned long)rv);
    return buf;
}

static CK_RV ckr_value(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof ckr_names / sizeof ckr_names[0]; i++)
        if (strcmp(ckr_names[i].name, name) == 0)
            return ckr_names[i].rv;
    fprintf(stderr, "p11drive: unknown CKR name %s\n", name);
    exit(2);
}

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "p11drive: FAIL at step '%s': ", step_text);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void check(CK_RV rv, const char *what)
{
    if (rv != expected) {
        char got[32];
        snprintf(got, sizeof got, "%s", ckr_name(rv));
        die("%s returned %s", what, got);
    }
    printf("  %s -> %s\n", what, ckr_name(rv));
}

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&t, NULL);
}

static CK_ULONG present_slots(CK_SLOT_ID *list, CK_ULONG cap)
{
    CK_ULONG n = cap;
    CK_RV rv = p11->C_GetSlotList(CK_TRUE, list, &n);

    if (rv != CKR_OK)
        die("C_GetSlotList: %s", ckr_name(rv));
    return n;
}

static int label_has(CK_SLOT_ID s, const char *text, CK_TOKEN_INFO *ti)
{
    char label[33];

    if (p11->C_GetTokenInfo(s, ti) != CKR_OK)
        return 0;
    memcpy(label, ti->label, 32);
    label[32] = '\0';
    return strstr(label, text) != NULL;
}

static void do_open(const char *arg)
{
    char text[64];
    const char *colon = strchr(arg, ':');
    int want = colon ? atoi(colon + 1) : 0, seen = 0;
    CK_SLOT_ID list[64];
    CK_TOKEN_INFO ti;
    CK_ULONG n = present_slots(list, 64), i;

    snprintf(text, sizeof text, "%.*s",
             (int)(colon ? (size_t)(colon - arg) : strlen(arg)), arg);
    for (i = 0; i < n; i++) {
        if (!label_has(list[i], text, &ti) || seen++ != want)
            continue;
        check(
            p11->C_OpenSession(list[i], CKF_SERIAL_SESSION, NULL, NULL, &cur),
            "C_OpenSession");
        printf("  session %lu on slot %lu\n", (unsigned long)cur,
               (unsigned long)list[i]);
        return;
    }
    die("no present token labelled '%s' (number %s)", text,
        colon ? colon + 1 : "0");
}

/* The signature over data verifies with the public key of the current
 * session's certificate whose CKA_ID is the key's (id, id_len). */
static void verify_sig(const CK_BYTE *id, CK_ULONG id_len, const CK_BYTE *data,
                       size_t data_len, const CK_BYTE *sig, size_t sig_len)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE tmpl[2] = { { CKA_CLASS, &cls, sizeof cls },
                             { CKA_ID, (void *)id, id_len } };
    CK_OBJECT_HANDLE cert = 0;
    CK_ULONG found = 0;
    static CK_BYTE der[8192];
    CK_ATTRIBUTE val = { CKA_VALUE, der, sizeof der };
    const unsigned char *p = der;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    EVP_MD_CTX *ctx = NULL;
    int ok = 0;

    if (p11->C_FindObjectsInit(cur, tmpl, 2) == CKR_OK) {
        p11->C_FindObjects(cur, &cert, 1, &found);
        p11->C_FindObjectsFinal(cur);
    }
    if (found != 1 || p11->C_GetAttributeValue(cur, cert, &val, 1) != CKR_OK)
        die("no certificate with the key's CKA_ID to verify the signature");
    if ((x = d2i_X509(NULL, &p, (long)val.ulValueLen)) &&
        (k = X509_get_pubkey(x)) && (ctx = EVP_MD_CTX_new()) &&
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1)
        ok = EVP_DigestVerify(ctx, sig, sig_len, data, data_len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    X509_free(x);
    if (!ok)
        die("the signature does not verify with the certificate's public key");
    printf("  signature verified with the certificate's public key\n");
}

static void do_sign(void)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof cls };
    CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_OBJECT_HANDLE key = 0;
    CK_ULONG found = 0, sig_len = 512;
    CK_BYTE data[] = "a document signed by p11drive", sig[512], id[64];
    CK_ATTRIBUTE id_attr = { CKA_ID, id, sizeof id };
    CK_RV rv = p11->C_FindObjectsInit(cur, &tmpl, 1);

    if (rv == CKR_OK) {
        rv = p11->C_FindObjects(cur, &key, 1, &found);
        p11->C_FindObjectsFinal(cur);
        if (rv == CKR_OK && found != 1)
            die("no private key found");
    }
    if (rv == CKR_OK)
        rv = p11->C_GetAttributeValue(cur, key, &id_attr, 1);
    if (rv == CKR_OK)
        rv = p11->C_SignInit(cur, &mech, key);
    if (rv == CKR_OK)
        rv = p11->C_Sign(cur, data, sizeof data - 1, sig, &sig_len);
    check(rv, "find key, CKA_ID, C_SignInit, C_Sign");
    if (rv == CKR_OK)
        verify_sig(id, id_attr.ulValueLen, data, sizeof data - 1, sig,
                   sig_len);
}

static void do_serials(int want)
{
    CK_SLOT_ID list[64];
    CK_TOKEN_INFO ti;
    char seen[64][17];
    CK_ULONG n = present_slots(list, 64), i;
    int distinct = 0, j;

    for (i = 0; i < n; i++) {
        if (p11->C_GetTokenInfo(list[i], &ti) != CKR_OK)
            die("C_GetTokenInfo failed");
        for (j = 0; j < distinct; j++)
            if (memcmp(seen[j], ti.serialNumber, 16) == 0)
                break;
        if (j == distinct) {
            memcpy(seen[distinct], ti.serialNumber, 16);
            seen[distinct][16] = '\0';
            printf("  serial %s\n", seen[distinct]);
            distinct++;
        }
    }
    if (distinct != want) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", distinct);
        snprintf(b, sizeof b, "%d", want);
        die("%s distinct serial numbers, expected %s", a, b);
    }
}

static void wait_file(const char *path, int seconds)
{
    int i;

    for (i = 0; i < seconds * 20; i++) {
        if (access(path, F_OK) == 0)
            return;
        sleep_ms(50);
    }
    die("%s never appeared", path);
}

static void do_event(const char *arg)
{
    long max_ms = atol(arg);
    const char *file = strchr(arg, ':');
    CK_SLOT_ID slot = 0;
    CK_RV rv;
    double t_event, t_act = 0;
    FILE *f;

    if (!file)
        die("event needs MS:FILE");
    file++;
    rv = p11->C_WaitForSlotEvent(0, &slot, NULL);
    t_event = now_s();
    check(rv, "C_WaitForSlotEvent");
    wait_file(file, 30); /* the shell moves it there once written */
    if (!(f = fopen(file, "r")) || fscanf(f, "%lf", &t_act) != 1)
        die("cannot read the time in %s", file);
    fclose(f);
    printf("  event on slot %lu, %.0f ms after the card changed\n",
           (unsigned long)slot, (t_event - t_act) * 1000);
    if ((t_event - t_act) * 1000 > (double)max_ms)
        die("the event came too late");
}

static atomic_long waiter_tid; /* set just before the waiter's call */

static void *waiter(void *arg)
{
    CK_SLOT_ID slot;

    atomic_store(&waiter_tid, (long)syscall(SYS_gettid));
    *(CK_RV *)arg = p11->C_WaitForSlotEvent(0, &slot, NULL);
    atomic_store(&waiter_tid, -1); /* returned */
    return NULL;
}

/* The waiter is blocked in C_WaitForSlotEvent: past the point where it
 * noted its id (nothing else sleeps after that) and asleep. */
static void wait_blocked(void)
{
    if (!tw_blocked(&waiter_tid))
        die("the waiter never blocked in C_WaitForSlotEvent");
    printf("  the waiter is blocked in C_WaitForSlotEvent\n");
}

static pthread_t waiter_thread;
static CK_RV waiter_got;

static void start_waiter(void)
{
    atomic_store(&waiter_tid, 0);
    pthread_create(&waiter_thread, NULL, waiter, &waiter_got);
    wait_blocked();
}

static void do_cancel_wait(void)
{
    double t0;

    if (atomic_load(&waiter_tid) < 0)
        die("the waiter returned early: %s", ckr_name(waiter_got));
    t0 = now_s();
    check(p11->C_Finalize(NULL), "C_Finalize with a waiter");
    pthread_join(waiter_thread, NULL);
    printf("  waiter returned %s, %.0f ms after C_Finalize began\n",
           ckr_name(waiter_got), (now_s() - t0) * 1000);
    if (waiter_got != CKR_CRYPTOKI_NOT_INITIALIZED)
        die("the waiter got %s", ckr_name(waiter_got));
    if (now_s() - t0 > 2.0)
        die("C_Finalize took too long to end the wait");
    expected = CKR_OK;
    check(p11->C_Initialize(NULL), "C_Initialize again");
}

static pid_t child = -1; /* 0 in the child */
static char **next_step; /* the step after the one running */

/* The forked child ends within secs (else it is killed), with status 0. */
static void wait_child(int secs)
{
    int st = 0, i = 0;

    while (waitpid(child, &st, WNOHANG) != child && i++ < secs * 20)
        sleep_ms(50);
    if (i > secs * 20 && kill(child, SIGKILL) == 0 && waitpid(child, &st, 0))
        die("the child did not end within %d s", secs);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("the child failed (status %#x)", st);
    printf("  the child ended with status 0\n");
}

static void run(const char *s)
{
    const char *arg = strchr(s, ':');
    size_t len = arg ? (size_t)(arg - s) : strlen(s);
    CK_SESSION_INFO si;

    arg = arg ? arg + 1 : "";
    step_text = s;
    printf("%s%s\n", child == 0 ? "[child] " : "", s);
    fflush(stdout);
#define IS(name) (len == strlen(name) && strncmp(s, name, len) == 0)
    if (IS("expect")) {
        expected = ckr_value(arg);
        return; /* keeps `expected` for the next step */
    } else if (IS("logout")) {
        check(p11->C_Logout(cur), "C_Logout");
    } else if (IS("close")) {
        check(p11->C_CloseSession(cur), "C_CloseSession");
    } else if (IS("sign2")) {
        CK_RV want = expected;
        expected = CKR_OK;
        do_sign();
        expected = want;
        do_sign();
    } else if (IS("slots")) {
        CK_SLOT_ID list[64];
        CK_ULONG n = present_slots(list, 64);
        if ((long)n != atol(arg)) {
            char got[16];
            snprintf(got, sizeof got, "%lu", (unsigned long)n);
            die("%s present slots, expected %s", got, arg);
        }
    } else if (IS("wait-slots")) {
        CK_SLOT_ID list[64];
        long want = atol(arg),
             ms = atol(strchr(arg, ':') ? strchr(arg, ':') + 1 : "0");
        double t0 = now_s();
        while ((long)present_slots(list, 64) != want) {
            if ((now_s() - t0) * 1000 > (double)ms)
                die("never %s present slots", arg);
            sleep_ms(50);
        }
        printf("  %ld present slots after %.0f ms\n", want,
               (now_s() - t0) * 1000);
    } else if (IS("privkeys")) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof cls };
        CK_OBJECT_HANDLE keys[4];
        CK_ULONG found = 0;
        CK_RV rv = p11->C_FindObjectsInit(cur, &tmpl, 1);
        if (rv == CKR_OK) {
            rv = p11->C_FindObjects(cur, keys, 4, &found);
            p11->C_FindObjectsFinal(cur);
        }
        check(rv, "C_FindObjects(private keys)");
        printf("  %lu private key(s) visible\n", (unsigned long)found);
        if ((long)found != atol(arg))
            die("expected %s private key(s)", arg);
    } else if (IS("serials")) {
        do_serials(atoi(arg));
    } else if (IS("open")) {
        do_open(arg);
    } else if (IS("login")) {
        check(p11->C_Login(cur, CKU_USER, (CK_UTF8CHAR_PTR)arg,
                           (CK_ULONG)strlen(arg)),
              "C_Login");
    } else if (IS("sign")) {
        do_sign();
    } else if (IS("exit")) {
        printf("  exit without C_Finalize\n");
        fflush(stdout);
        exit(0);
    } else if (IS("info")) {
        check(p11->C_GetSessionInfo(cur, &si), "C_GetSessionInfo");
        if (*arg && expected == CKR_OK) {
            int user = si.state == CKS_RO_USER_FUNCTIONS ||
                       si.state == CKS_RW_USER_FUNCTIONS;
            printf("  state: %s\n", user ? "user" : "public");
            if (strcmp(arg, user ? "user" : "public") != 0)
                die("the session is not in state '%s'", arg);
        }
    } else if (IS("drain")) {
        CK_SLOT_ID slot;
        while (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL) == CKR_OK)
            printf("  pending event on slot %lu\n", (unsigned long)slot);
    } else if (IS("no-event")) {
        CK_SLOT_ID slot;
        expected = CKR_NO_EVENT;
        check(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
              "C_WaitForSlotEvent(CKF_DONT_BLOCK)");
    } else if (IS("event")) {
        do_event(arg);
    } else if (IS("cancel-wait")) {
        start_waiter();
        do_cancel_wait();
    } else if (IS("waiter")) {
        start_waiter();
    } else if (IS("end-wait")) {
        do_cancel_wait();
    } else if (IS("init")) {
        check(p11->C_Initialize(NULL), "C_Initialize");
    } else if (IS("finalize")) {
        check(p11->C_Finalize(NULL), "C_Finalize");
    } else if (IS("fork")) {
        char **end = next_step;
        while (*end && strcmp(*end, "endchild") != 0)
            end++;
        if (!*end)
            die("no endchild after fork");
        fflush(stdout);
        if ((child = fork()) < 0)
            die("fork failed");
        if (child > 0)
            next_step = end + 1;
    } else if (IS("endchild")) {
        printf("  the child is done\n");
        fflush(stdout);
        _exit(0);
    } else if (IS("waitchild")) {
        wait_child(atoi(arg));
    } else if (IS("now")) {
        printf("%s %.6f\n", arg, now_s());
    } else if (IS("touch")) {
        FILE *f = fopen(arg, "w");
        if (!f)
            die("cannot create %s", arg);
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    } else if (IS("waitfile")) {
        wait_file(arg, 60);
    } else if (IS("sleep")) {
        sleep_ms(atol(arg));
    } else {
        fprintf(stderr, "p11drive: unknown step '%s'\n", s);
        exit(2);
    }
#undef IS
    expected = CKR_OK;
    fflush(stdout);
}

int main(int argc, char **argv)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    void *lib;

    if (argc < 2) {
        fprintf(stderr, "usage: p11drive MODULE STEP...\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!(lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "p11drive: %s\n", dlerror());
        return 2;
    }
    *(void **)&get_list = dlsym(lib, "C_GetFunctionList");
    if (!get_list || get_list(&p11) != CKR_OK) {
        fprintf(stderr, "p11drive: no C_GetFunctionList\n");
        return 2;
    }
    step_text = "C_Initialize";
    check(p11->C_Initialize(NULL), "C_Initialize");
    for (next_step = argv + 2; *next_step;)
        run(*next_step++);
    step_text = "C_Finalize";
    expected = CKR_OK;
    check(p11->C_Finalize(NULL), "C_Finalize");
    dlclose(lib);
    printf("p11drive: all steps passed\n");
    return 0;
}
