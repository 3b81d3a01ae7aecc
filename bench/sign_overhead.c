/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign_overhead.c - what the module adds to a signature on the host.
 *
 *   sign-overhead MODULE.so N [ec]
 *
 * Needs JPKI_PKCS11_EMULATOR (an emulator card, PINs the defaults). Signs N
 * times in one logged-in session on each token, with CKM_RSA_PKCS and
 * CKM_SHA256_RSA_PKCS (with "ec", an ECDSA P-384 card: CKM_ECDSA over a
 * 48-byte hash and CKM_ECDSA_SHA384), twice: once plain (wall time), once with the
 * emulator's APDU log on, whose per-APDU durations are the card's own time.
 * Module time per signature = wall / N - card time / N. Both runs are in
 * this process, so machine noise hits them alike.
 */
/* setenv, mkstemp: POSIX (the benchmark builds like a client, -std=c11). */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR p11;

static double now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void must(CK_RV rv, const char *what)
{
    if (rv != CKR_OK) {
        fprintf(stderr, "sign-overhead: %s: CKR 0x%lX\n", what, rv);
        exit(1);
    }
}

/* Sum of the "<dur>us" fields of the emulator log (second column). */
static double card_time_us(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[512];
    double sum = 0, t, d;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%lf %lfus", &t, &d) == 2)
            sum += d;
    fclose(f);
    return sum;
}

static double run(CK_SLOT_ID slot, const char *pin, CK_MECHANISM_TYPE mech,
                  int n)
{
    static const unsigned char di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
                                          0x09, 0x60, 0x86, 0x48, 0x01,
                                          0x65, 0x03, 0x04, 0x02, 0x01,
                                          0x05, 0x00, 0x04, 0x20 };
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
    CK_MECHANISM m = { mech, NULL, 0 };
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_ULONG found = 0, len;
    CK_BYTE sig[512];
    double t0;
    int i;

    must(p11->C_Initialize(NULL), "C_Initialize");
    must(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), "open");
    must(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)),
         "login");
    must(p11->C_FindObjectsInit(s, &tmpl, 1), "find");
    must(p11->C_FindObjects(s, &key, 1, &found), "find");
    p11->C_FindObjectsFinal(s);
    if (found != 1)
        must(CKR_KEY_HANDLE_INVALID, "no private key");
    t0 = now_us();
    for (i = 0; i < n; i++) {
        len = sizeof(sig);
        must(p11->C_SignInit(s, &m, key), "C_SignInit");
        /* CKM_ECDSA signs a bare SHA-384-sized hash */
        must(p11->C_Sign(s, (CK_BYTE_PTR)di,
                         mech == CKM_ECDSA ? 48 : sizeof(di), sig, &len),
             "C_Sign");
    }
    t0 = now_us() - t0;
    p11->C_Finalize(NULL);
    return t0;
}

int main(int argc, char **argv)
{
    static const struct {
        CK_SLOT_ID slot;
        const char *pin, *name;
    } tok[] = { { 0, "1234", "auth" }, { 1, "ABC123", "sign" } };
    static const struct {
        CK_MECHANISM_TYPE m;
        const char *name;
    } rsa[] = { { CKM_RSA_PKCS, "RSA-PKCS" },
                { CKM_SHA256_RSA_PKCS, "SHA256-RSA-PKCS" } },
      ec[] = { { CKM_ECDSA, "ECDSA" }, { CKM_ECDSA_SHA384, "ECDSA-SHA384" } },
      *mech = rsa;
    char log[] = "/tmp/jpki-bench-log-XXXXXX";
    CK_C_GetFunctionList get;
    void *lib;
    int n, t, k, fd;

    if (argc < 3 || argc > 4 || (n = atoi(argv[2])) <= 0 ||
        (argc == 4 && strcmp(argv[3], "ec") != 0)) {
        fprintf(stderr, "usage: sign-overhead MODULE N [ec]\n");
        return 2;
    }
    if (argc == 4)
        mech = ec;
    lib = dlopen(argv[1], RTLD_NOW);
    get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (!get || get(&p11) != CKR_OK) {
        fprintf(stderr, "sign-overhead: cannot load %s\n", argv[1]);
        return 1;
    }
    printf("%-5s %-16s %10s %10s %10s\n", "token", "mechanism", "wall/sig",
           "card/sig", "module/sig");
    for (t = 0; t < 2; t++) {
        for (k = 0; k < 2; k++) {
            double wall, card;
            unsetenv("JPKI_EMU_LOG");
            wall = run(tok[t].slot, tok[t].pin, mech[k].m, n);
            if ((fd = mkstemp(log)) < 0)
                return 1;
            close(fd);
            setenv("JPKI_EMU_LOG", log, 1);
            run(tok[t].slot, tok[t].pin, mech[k].m, n);
            card = card_time_us(log);
            unlink(log);
            strcpy(log, "/tmp/jpki-bench-log-XXXXXX");
            /* The logged run also holds the login and open APDUs: a few
             * against N signatures; they only make the estimate lower. */
            printf("%-5s %-16s %8.1fus %8.1fus %8.1fus\n", tok[t].name,
                   mech[k].name, wall / n, card / n, (wall - card) / n);
        }
    }
    dlclose(lib);
    return 0;
}
