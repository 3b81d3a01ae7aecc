/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * soak.c - many threads of one process sign and list against one card for
 * a bounded time, counting operations and errors (tests/e2e/soak.sh runs
 * several of these at once, on the in-process emulator and through pcscd).
 *
 *   soak SECONDS THREADS
 *
 * The card is the module's usual one: JPKI_PKCS11_EMULATOR, or PC/SC.
 * Thread i signs with token i % 2 (default PINs) and lists everything
 * between signatures; every signature is checked against the token's
 * certificate. The main thread keeps a logged-in session on each token for
 * the whole run, so a thread closing its session never logs the token out.
 *
 * Errors: every return code but CKR_OK, except, when SOAK_SHARED_CARD=1,
 * CKR_USER_NOT_LOGGED_IN from a signature and CKR_OBJECT_HANDLE_INVALID
 * reading the signature token's certificates: through pcscd the processes
 * share one card, and another process selecting the application clears
 * this one's PIN state (docs/design.md: logout leaves nothing verified); the
 * module then drops the login and the signature certificate with it, and
 * never replays the PIN. Those are counted as contention and the thread
 * (or the main thread, setting up) logs in again. With the in-process
 * emulator the card's own counters (test_faults_stats.h) must equal the
 * good signatures, and its PIN count the successful logins (no try spent).
 * Prints one "soak:" line; exits 1 on any error.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "emu/emu.h"
#include "test_faults_stats.h"

static CK_FUNCTION_LIST_PTR p11;
static EVP_PKEY *pub[2];
static double deadline;
static int shared_card;
static atomic_ulong n_sign, n_list, n_contention, n_errors, n_logins;
static const char doc[] = "soak test document";
static const char *const pins[2] = { EMU_DEFAULT_AUTH_PIN,
                                     EMU_DEFAULT_SIGN_PIN };

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void error(const char *what, CK_RV rv)
{
    if (atomic_fetch_add(&n_errors, 1) < 10)
        fprintf(stderr, "soak: %s: 0x%lx\n", what, (unsigned long)rv);
}

static CK_RV find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                  CK_OBJECT_HANDLE *o, CK_ULONG max, CK_ULONG *n)
{
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_RV rv = p11->C_FindObjectsInit(h, &t, 1), rv2;

    if (rv != CKR_OK)
        return rv;
    rv = p11->C_FindObjects(h, o, max, n);
    rv2 = p11->C_FindObjectsFinal(h);
    return rv != CKR_OK ? rv : rv2;
}

/* The token's certificate's public key (the session is logged in). */
static EVP_PKEY *token_key(CK_SESSION_HANDLE h)
{
    CK_OBJECT_HANDLE o[4];
    CK_ULONG n = 0;
    unsigned char der[4096];
    CK_ULONG category = 1;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof cls },
                          { CKA_CERTIFICATE_CATEGORY, &category,
                            sizeof category } };
    CK_ATTRIBUTE a = { CKA_VALUE, der, sizeof der };
    const unsigned char *p = der;
    EVP_PKEY *k = NULL;
    X509 *x;

    if (p11->C_FindObjectsInit(h, t, 2) != CKR_OK)
        return NULL;
    p11->C_FindObjects(h, o, 4, &n);
    p11->C_FindObjectsFinal(h);
    if (n != 1 || p11->C_GetAttributeValue(h, o[0], &a, 1) != CKR_OK)
        return NULL;
    x = d2i_X509(NULL, &p, (long)a.ulValueLen);
    if (x)
        k = X509_get_pubkey(x);
    X509_free(x);
    return k;
}

static int verify(EVP_PKEY *k, const unsigned char *sig, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx &&
             EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, k,
                                     NULL) == 1 &&
             EVP_DigestVerify(ctx, sig, len, (const unsigned char *)doc,
                              sizeof doc - 1) == 1;

    EVP_MD_CTX_free(ctx);
    return ok;
}

static CK_RV login(CK_SESSION_HANDLE h, int key)
{
    CK_RV rv = p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pins[key],
                            strlen(pins[key]));

    if (rv == CKR_OK)
        n_logins++; /* one VERIFY with the right PIN reached the card */
    return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

static void op_sign(int key)
{
    CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE o;
    CK_ULONG n = 0, len = 512;
    unsigned char sig[512];
    CK_RV rv = p11->C_OpenSession((CK_SLOT_ID)key, CKF_SERIAL_SESSION, NULL,
                                  NULL, &h);

    if (rv != CKR_OK) {
        error("C_OpenSession", rv);
        return;
    }
    rv = login(h, key);
    if (rv == CKR_OK)
        rv = find(h, CKO_PRIVATE_KEY, &o, 1, &n);
    if (rv == CKR_OK && n != 1)
        rv = CKR_USER_NOT_LOGGED_IN; /* the token lost its login */
    if (rv == CKR_OK)
        rv = p11->C_SignInit(h, &m, o);
    if (rv == CKR_OK)
        rv = p11->C_Sign(h, (CK_BYTE_PTR)doc, sizeof doc - 1, sig, &len);
    if (rv == CKR_OK && !verify(pub[key], sig, len))
        error("a signature that does not verify", CKR_GENERAL_ERROR);
    else if (rv == CKR_OK)
        n_sign++;
    else if (rv == CKR_USER_NOT_LOGGED_IN && shared_card)
        n_contention++;
    else
        error("signing", rv);
    p11->C_CloseSession(h);
}

static void op_list(int key)
{
    CK_SLOT_ID slots[4];
    CK_ULONG n = 4, i, nobj = 0;
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE o[8];
    unsigned char der[4096];
    CK_RV rv = p11->C_GetSlotList(CK_TRUE, slots, &n);

    for (i = 0; rv == CKR_OK && i < n; i++)
        rv = p11->C_GetTokenInfo(slots[i], &ti);
    if (rv == CKR_OK && n != 2)
        rv = CKR_TOKEN_NOT_PRESENT;
    if (rv == CKR_OK)
        rv = p11->C_OpenSession((CK_SLOT_ID)key, CKF_SERIAL_SESSION, NULL,
                                NULL, &h);
    if (rv != CKR_OK) {
        error("listing", rv);
        return;
    }
    rv = find(h, CKO_CERTIFICATE, o, 8, &nobj);
    for (i = 0; rv == CKR_OK && i < nobj; i++) {
        CK_ATTRIBUTE a = { CKA_VALUE, der, sizeof der };
        rv = p11->C_GetAttributeValue(h, o[i], &a, 1);
    }
    if (rv == CKR_OK)
        n_list++;
    else if (rv == CKR_OBJECT_HANDLE_INVALID && shared_card && key == 1)
        n_contention++; /* the login was lost between find and read: the
                         * signature certificate went with it */
    else
        error("reading objects", rv);
    p11->C_CloseSession(h);
}

static void *worker(void *arg)
{
    int key = (int)(size_t)arg % 2;
    unsigned long i;

    for (i = 0; now() < deadline; i++) {
        if (i % 2)
            op_list(key);
        else
            op_sign(key);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    CK_SESSION_HANDLE hold[2];
    pthread_t th[64];
    long secs, n_threads, i;
    emu_stats st;
    int k, bad = 0;

    if (argc != 3 || (secs = atol(argv[1])) <= 0 ||
        (n_threads = atol(argv[2])) <= 0 || n_threads > 64) {
        fprintf(stderr, "usage: soak SECONDS THREADS (1-64)\n");
        return 2;
    }
    shared_card = getenv("SOAK_SHARED_CARD") &&
                  strcmp(getenv("SOAK_SHARED_CARD"), "1") == 0;
    if (C_GetFunctionList(&p11) != CKR_OK ||
        p11->C_Initialize(&args) != CKR_OK) {
        fprintf(stderr, "soak: C_Initialize failed\n");
        return 1;
    }
    for (k = 0; k < 2; k++) {
        /* With a shared card, another process starting up may take the
         * login away between our C_Login and the certificate (contention
         * like any other): log in again, a few times. */
        CK_RV rv = p11->C_OpenSession((CK_SLOT_ID)k, CKF_SERIAL_SESSION, NULL,
                                      NULL, &hold[k]);
        for (int attempt = 0; rv == CKR_OK; attempt++) {
            rv = login(hold[k], k);
            if (rv != CKR_OK || (pub[k] = token_key(hold[k])) != NULL)
                break;
            if (!shared_card || attempt == 19) {
                rv = CKR_USER_NOT_LOGGED_IN;
                break;
            }
            n_contention++;
        }
        if (rv != CKR_OK) {
            fprintf(
                stderr,
                "soak: token %d: no session, login or certificate (0x%lx)\n",
                k, (unsigned long)rv);
            return 1;
        }
    }
    deadline = now() + (double)secs;
    for (i = 0; i < n_threads; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(size_t)i) != 0)
            return 1;
    for (i = 0; i < n_threads; i++)
        pthread_join(th[i], NULL);
    p11->C_Finalize(NULL);
    for (k = 0; k < 2; k++)
        EVP_PKEY_free(pub[k]);
    ts_stats(&st);
    printf("soak: pid %ld, %ld threads, %ld s: %lu signatures, %lu listings, "
           "%lu logins, %lu errors, %lu contention",
           (long)getpid(), n_threads, secs, (unsigned long)n_sign,
           (unsigned long)n_list, (unsigned long)n_logins,
           (unsigned long)n_errors, (unsigned long)n_contention);
    if (ts_loads() > 0) {
        /* in-process emulator: the card's own count */
        printf(", card: %lu signatures, %lu PIN tries, %lu card-info SELECTs",
               st.signatures, st.verifies, st.card_info_selects);
        /* Every PIN the card saw was a login that succeeded: no try was
         * spent (a wrong VERIFY restored later by a right one would
         * otherwise go unseen). */
        if (st.signatures != n_sign || st.card_info_selects != 0 ||
            st.verifies != n_logins)
            bad = 1;
    }
    printf("\n");
    if (bad)
        fprintf(stderr,
                "soak: the card signed %lu times and saw %lu PINs; the "
                "threads got %lu good signatures from %lu logins\n",
                st.signatures, st.verifies, (unsigned long)n_sign,
                (unsigned long)n_logins);
    return n_errors || bad ? 1 : 0;
}
