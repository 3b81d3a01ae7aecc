/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11bench.c - per-call timings of any PKCS#11 module (dlopen), on the
 * authentication token of a JPKI card (PIN 1234, the emulator's default).
 *
 *   p11bench MODULE [SIGNATURES]
 *
 * Times C_Initialize+C_GetSlotList, C_GetTokenInfo, C_FindObjects*,
 * C_Login, C_Sign (SHA256-RSA-PKCS), SIGNATURES signatures in one session
 * and the same spread over 1, 2, 4 and 8 threads (one session each).
 *
 * With JPKI_EMU_LOG set (our module with the in-process emulator), the
 * card's own time - the sum of the durations the emulator logged for the
 * APDUs of the call - is subtracted: "host" is what the module adds.
 * Without it (a module through pcscd) only wall time is shown.
 * Medians of several runs; figures are printed, never asserted.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#define RUNS 15

static CK_FUNCTION_LIST_PTR f;
static const char *logpath;
static long log_off;
static CK_SLOT_ID slot;

static void die(const char *what, CK_RV rv)
{
    fprintf(stderr, "p11bench: %s failed: 0x%lx\n", what, (unsigned long)rv);
    exit(1);
}
#define CK(call)                                                              \
    do {                                                                      \
        CK_RV r_ = (call);                                                    \
        if (r_ != CKR_OK)                                                     \
            die(#call, r_);                                                   \
    } while (0)

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The card's time in the APDU log since the last call, in microseconds. */
static double card_us(void)
{
    char line[512];
    double sum = 0;
    FILE *fp;

    if (!logpath || !(fp = fopen(logpath, "r")))
        return 0;
    fseek(fp, log_off, SEEK_SET);
    while (fgets(line, sizeof line, fp)) {
        unsigned long long t;
        unsigned long d;
        if (sscanf(line, "%llu %luus", &t, &d) == 2)
            sum += d;
    }
    log_off = ftell(fp);
    fclose(fp);
    return sum;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static void row(const char *name, double *wall, double *host, int n)
{
    double w = median(wall, n), h = median(host, n);
    if (logpath)
        printf("| %s | %.1f µs | %.1f µs |\n", name, w, h);
    else
        printf("| %s | %.1f µs | - |\n", name, w);
}

/* Timing helpers: T0 starts, T1 stores wall and host of run i. */
#define T0() (card_us(), t0 = now_us())
#define T1(i) (wall[i] = now_us() - t0, host[i] = wall[i] - card_us())

static CK_SLOT_ID auth_slot(void)
{
    CK_SLOT_ID s[16];
    CK_ULONG n = 16, i;
    CK_TOKEN_INFO ti;

    CK(f->C_GetSlotList(CK_TRUE, s, &n));
    for (i = 0; i < n; i++)
        if (f->C_GetTokenInfo(s[i], &ti) == CKR_OK &&
            memmem(ti.label, sizeof ti.label, "User Authentication", 19))
            return s[i];
    fprintf(stderr, "p11bench: no JPKI authentication token\n");
    exit(1);
}

static CK_OBJECT_HANDLE privkey(CK_SESSION_HANDLE h)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_OBJECT_HANDLE o;
    CK_ULONG n = 0;

    CK(f->C_FindObjectsInit(h, &t, 1));
    CK(f->C_FindObjects(h, &o, 1, &n));
    CK(f->C_FindObjectsFinal(h));
    if (n != 1)
        die("finding the private key", CKR_GENERAL_ERROR);
    return o;
}

static void sign_once(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_BYTE data[] = "benchmark", sig[512];
    CK_ULONG len = sizeof sig;

    CK(f->C_SignInit(h, &m, k));
    CK(f->C_Sign(h, data, sizeof data - 1, sig, &len));
}

typedef struct {
    int n;
    CK_OBJECT_HANDLE key;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    CK_SESSION_HANDLE h;
    int i;

    CK(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
    for (i = 0; i < j->n; i++)
        sign_once(h, j->key);
    CK(f->C_CloseSession(h));
    return NULL;
}

int main(int argc, char **argv)
{
    CK_C_INITIALIZE_ARGS ia = { .flags = CKF_OS_LOCKING_OK };
    CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
    double wall[RUNS], host[RUNS], t0, total;
    int nsig = argc > 2 ? atoi(argv[2]) : 1000, i, t;
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE key, objs[16];
    CK_TOKEN_INFO ti;
    CK_ULONG n;
    void *lib;

    if (argc < 2 || nsig <= 0) {
        fprintf(stderr, "usage: p11bench MODULE [SIGNATURES]\n");
        return 2;
    }
    if (!(lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) ||
        !(gfl = (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(
              lib, "C_GetFunctionList"))) {
        fprintf(stderr, "p11bench: %s\n", dlerror());
        return 1;
    }
    CK(gfl(&f));
    logpath = getenv("JPKI_EMU_LOG");
    if (logpath && !*logpath)
        logpath = NULL;
    printf(
        "module: %s\n\n| call | wall | host (wall - card) |\n|---|---|---|\n",
        argv[1]);

    for (i = 0; i < RUNS; i++) {
        CK_SLOT_ID s[16];
        n = 16;
        T0();
        CK(f->C_Initialize(&ia));
        CK(f->C_GetSlotList(CK_TRUE, s, &n));
        T1(i);
        CK(f->C_Finalize(NULL));
    }
    row("C_Initialize + C_GetSlotList", wall, host, RUNS);

    CK(f->C_Initialize(&ia));
    slot = auth_slot();
    for (i = 0; i < RUNS; i++) {
        T0();
        CK(f->C_GetTokenInfo(slot, &ti));
        T1(i);
    }
    row("C_GetTokenInfo", wall, host, RUNS);

    CK(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
    for (i = 0; i < RUNS; i++) {
        T0();
        CK(f->C_FindObjectsInit(h, NULL, 0));
        CK(f->C_FindObjects(h, objs, 16, &n));
        CK(f->C_FindObjectsFinal(h));
        T1(i);
    }
    row("C_FindObjectsInit/C_FindObjects/Final (all)", wall, host, RUNS);

    for (i = 0; i < RUNS; i++) {
        T0();
        CK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4));
        T1(i);
        CK(f->C_Logout(h));
    }
    row("C_Login", wall, host, RUNS);

    CK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4));
    key = privkey(h);
    for (i = 0; i < RUNS; i++) {
        T0();
        sign_once(h, key);
        T1(i);
    }
    row("C_SignInit + C_Sign (SHA256-RSA-PKCS)", wall, host, RUNS);

    card_us();
    t0 = now_us();
    for (i = 0; i < nsig; i++)
        sign_once(h, key);
    total = now_us() - t0;
    {
        double card = card_us();
        printf("| %d signatures, one session | %.1f µs/sig (%.0f sig/s) | ",
               nsig, total / nsig, nsig / (total / 1e6));
        if (logpath)
            printf("%.1f µs/sig |\n", (total - card) / nsig);
        else
            printf("- |\n");
    }

    printf("\n| threads | signatures/s | vs 1 thread |\n|---|---|---|\n");
    {
        double one = 0;
        for (t = 1; t <= 8; t *= 2) {
            pthread_t th[8];
            job j = { nsig / t, key };
            t0 = now_us();
            for (i = 0; i < t; i++)
                pthread_create(&th[i], NULL, worker, &j);
            for (i = 0; i < t; i++)
                pthread_join(th[i], NULL);
            total = now_us() - t0;
            double rate = j.n * t / (total / 1e6);
            if (t == 1)
                one = rate;
            printf("| %d | %.0f | %.2f |\n", t, rate, rate / one);
        }
    }
    card_us();
    CK(f->C_Finalize(NULL));
    return 0;
}
