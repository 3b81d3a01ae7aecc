/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_sign.c - PKCS#11 tests, signing part: every mechanism and
 * its argument rules, card removal mid-session, broken card images, two
 * cards, threads. Fixtures and helpers are in p11test.c (p11test.h).
 */
#include "p11test.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "emu/emu.h"

/* DER DigestInfo headers (RFC 8017, section 9.2, note 1). */
static const unsigned char di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06,
                                         0x05, 0x2b, 0x0e, 0x03, 0x02,
                                         0x1a, 0x05, 0x00, 0x04, 0x14 };
static const unsigned char di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
                                           0x09, 0x60, 0x86, 0x48, 0x01,
                                           0x65, 0x03, 0x04, 0x02, 0x01,
                                           0x05, 0x00, 0x04, 0x20 };

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- signing ------------------------------------------------------------ */

START_TEST(test_sign_mechs)
{
    CK_SESSION_HANDLE h = t_open_login((CK_SLOT_ID)_i);
    EVP_PKEY *pk = t_token_pkey(h);
    unsigned char sig[512];
    CK_ULONG n;
    size_t i;

    for (i = 0; i < T_N_HASH_MECHS; i++) {
        n = t_sign(h, T_HASH_MECHS[i].type, msg, strlen(msg), sig);
        ck_assert_uint_eq(n, T_SIG_LEN);
        ck_assert_msg(
            t_verify(pk, T_HASH_MECHS[i].md, msg, strlen(msg), sig, n),
            "%s signature does not verify", T_HASH_MECHS[i].md);
        ck_assert(
            !t_verify(pk, T_HASH_MECHS[i].md, msg, strlen(msg) - 1, sig, n));
    }
    n = t_sign(h, T_MECH, "", 0, sig); /* empty message */
    ck_assert(t_verify(pk, "SHA256", "", 0, sig, n));
    EVP_PKEY_free(pk);
}
END_TEST

static size_t digest_info(const unsigned char *prefix, size_t plen,
                          const char *md, unsigned char out[128])
{
    unsigned int hlen = 0;

    memcpy(out, prefix, plen);
    ck_assert_int_eq(EVP_Digest(msg, strlen(msg), out + plen, &hlen,
                                EVP_get_digestbyname(md), NULL),
                     1);
    return plen + hlen;
}

START_TEST(test_sign_rsa_pkcs)
{
    CK_SESSION_HANDLE h = t_open_login((CK_SLOT_ID)_i);
    CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
    EVP_PKEY *pk = t_token_pkey(h);
    EVP_PKEY_CTX *ctx;
    unsigned char di[128], sig[512], in[300], out[512];
    size_t len, out_len = sizeof out;
    CK_ULONG n = sizeof sig;

    if (t_ec) { /* CKM_RSA_PKCS is an RSA card's (CKM_ECDSA: test_pkcs11_ec) */
        EVP_PKEY_free(pk);
        return;
    }
    len = digest_info(di_sha256, sizeof di_sha256, "SHA256", di);
    n = t_sign(h, CKM_RSA_PKCS, di, len, sig);
    ck_assert_uint_eq(n, T_SIG_LEN);
    ck_assert(t_verify(pk, "SHA256", msg, strlen(msg), sig, n));
    len = digest_info(di_sha1, sizeof di_sha1, "SHA1", di);
    n = t_sign(h, CKM_RSA_PKCS, di, len, sig);
    ck_assert(t_verify(pk, "SHA1", msg, strlen(msg), sig, n));
    /* The largest input one PKCS#1 v1.5 block carries: k - 11 = 245. */
    for (len = 0; len < sizeof in; len++)
        in[len] = (unsigned char)(len * 7 + 1);
    n = t_sign(h, CKM_RSA_PKCS, in, 245, sig);
    ctx = EVP_PKEY_CTX_new(pk, NULL);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_verify_recover_init(ctx), 1);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 0);
    ck_assert_int_eq(EVP_PKEY_verify_recover(ctx, out, &out_len, sig, n), 1);
    ck_assert_uint_eq(out_len, 245);
    ck_assert_mem_eq(out, in, 245);
    EVP_PKEY_CTX_free(ctx);
    OK(p11->C_SignInit(h, &m, t_privkey(h)));
    n = sizeof sig;
    RV(CKR_DATA_LEN_RANGE, p11->C_Sign(h, in, 246, sig, &n));
    n = sizeof sig; /* an error ends the operation */
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_Sign(h, in, 10, sig, &n));
    EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_sign_multipart)
{
    static const char *const parts[3] = { "The quick brown ",
                                          "fox jumps over ", "the lazy dog" };
    CK_SESSION_HANDLE h = t_open_login((CK_SLOT_ID)_i);
    EVP_PKEY *pk = t_token_pkey(h);
    CK_OBJECT_HANDLE k = t_privkey(h);
    unsigned char sig[512];
    CK_ULONG n;
    size_t i, p;

    for (i = 0; i < T_N_HASH_MECHS; i++) {
        CK_MECHANISM m = { T_HASH_MECHS[i].type, NULL, 0 };
        OK(p11->C_SignInit(h, &m, k));
        for (p = 0; p < 3; p++)
            OK(p11->C_SignUpdate(h, (CK_BYTE_PTR)parts[p], strlen(parts[p])));
        OK(p11->C_SignUpdate(h, (CK_BYTE_PTR) "", 0));
        n = 0;
        OK(p11->C_SignFinal(h, NULL, &n)); /* length query: stays active */
        ck_assert_uint_eq(n, T_SIG_LEN);
        n = T_SIG_LEN - 1;
        RV(CKR_BUFFER_TOO_SMALL, p11->C_SignFinal(h, sig, &n));
        ck_assert_uint_eq(n, T_SIG_LEN);
        n = sizeof sig;
        OK(p11->C_SignFinal(h, sig, &n));
        ck_assert_uint_eq(n, T_SIG_LEN);
        ck_assert_msg(
            t_verify(pk, T_HASH_MECHS[i].md, msg, strlen(msg), sig, n),
            "multi-part %s does not verify", T_HASH_MECHS[i].md);
        RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_SignFinal(h, sig, &n));
    }
    EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_sign_length_query)
{
    CK_SESSION_HANDLE h = t_open_login(0);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    EVP_PKEY *pk = t_token_pkey(h);
    unsigned char sig[512];
    CK_ULONG n = 0;

    OK(p11->C_SignInit(h, &m, t_privkey(h)));
    OK(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), NULL, &n));
    ck_assert_uint_eq(n, T_SIG_LEN);
    n = T_SIG_LEN - 1;
    RV(CKR_BUFFER_TOO_SMALL,
       p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    ck_assert_uint_eq(n, T_SIG_LEN);
    OK(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    ck_assert_uint_eq(n, T_SIG_LEN);
    ck_assert(t_verify(pk, "SHA256", msg, strlen(msg), sig, n));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_sign_errors)
{
    CK_SESSION_HANDLE h = t_open_login(0), s = t_open_login(1);
    CK_OBJECT_HANDLE k = t_privkey(h), sk = t_privkey(s);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_MECHANISM m1 = { CKM_SHA1_RSA_PKCS, NULL, 0 };
    CK_MECHANISM pss = { CKM_RSA_PKCS_PSS, NULL, 0 }; /* no parameters */
    CK_MECHANISM pss384 = { CKM_SHA384_RSA_PKCS_PSS, NULL, 0 };
    CK_MECHANISM aes = { CKM_AES_CBC, NULL, 0 };
    CK_BYTE param[8] = { 0 };
    CK_MECHANISM withparam = { T_MECH, param, sizeof param };
    EVP_PKEY *pk = t_token_pkey(h);
    unsigned char sig[512];
    CK_ULONG n = sizeof sig;

    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Sign(h, (CK_BYTE_PTR)msg, 4, sig, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_SignUpdate(h, (CK_BYTE_PTR)msg, 4));
    RV(CKR_OPERATION_NOT_INITIALIZED, p11->C_SignFinal(h, sig, &n));
    RV(CKR_MECHANISM_PARAM_INVALID, p11->C_SignInit(h, &withparam, k));
    /* PSS is an RSA card's; on an EC card no PSS mechanism exists */
    RV(t_ec ? CKR_MECHANISM_INVALID : CKR_MECHANISM_PARAM_INVALID,
       p11->C_SignInit(h, &pss, k));
    RV(CKR_MECHANISM_INVALID, p11->C_SignInit(h, &pss384, k));
    RV(CKR_MECHANISM_INVALID, p11->C_SignInit(h, &aes, k));
    RV(CKR_ARGUMENTS_BAD, p11->C_SignInit(h, NULL, k));
    RV(CKR_KEY_HANDLE_INVALID, p11->C_SignInit(h, &m, sk)); /* other token's */
    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Sign(h, (CK_BYTE_PTR)msg, 4, sig, &n));
    /* A second C_SignInit fails and leaves the first operation active. */
    OK(p11->C_SignInit(h, &m, k));
    RV(CKR_OPERATION_ACTIVE, p11->C_SignInit(h, &m1, k));
    OK(p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    ck_assert(t_verify(pk, "SHA256", msg, strlen(msg), sig, n));
    /* Logged out: the key handle is gone or needs the user. */
    OK(p11->C_Logout(h));
    RV2(CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID,
        p11->C_SignInit(h, &m, k));
    EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_sign_key_handles)
{
    CK_SESSION_HANDLE h = t_open_login((CK_SLOT_ID)_i);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    unsigned char sig[512];
    CK_ULONG n = sizeof sig;

    RV3(CKR_KEY_HANDLE_INVALID, CKR_KEY_TYPE_INCONSISTENT,
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        p11->C_SignInit(h, &m, t_find_obj(h, CKO_PUBLIC_KEY, 0)));
    RV2(CKR_KEY_HANDLE_INVALID, CKR_KEY_TYPE_INCONSISTENT,
        p11->C_SignInit(h, &m, t_usercert(h)));
    RV2(CKR_KEY_HANDLE_INVALID, CKR_KEY_TYPE_INCONSISTENT,
        p11->C_SignInit(h, &m, t_find_obj(h, CKO_CERTIFICATE, 2)));
    RV(CKR_KEY_HANDLE_INVALID, p11->C_SignInit(h, &m, 0xdeadbeefUL));
    RV(CKR_KEY_HANDLE_INVALID, p11->C_SignInit(h, &m, CK_INVALID_HANDLE));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       p11->C_Sign(h, (CK_BYTE_PTR)msg, 4, sig, &n));
    t_sign_verify(h);
}
END_TEST

/* ---- card removal and broken cards ------------------------------------- */

/* _i = 0: the removal is seen by C_Sign; 1: by C_GetSessionInfo. */
START_TEST(test_card_removed)
{
    CK_SESSION_HANDLE h = t_open_login(0), o = t_open(1, 0);
    CK_OBJECT_HANDLE k = t_privkey(h);
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_SLOT_ID list[64];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_SESSION_INFO ssi;
    CK_SESSION_HANDLE x;
    unsigned char sig[512];
    CK_ULONG n = sizeof sig;

    OK(p11->C_SignInit(h, &m, k));
    ck_assert_int_eq(rename(card, away), 0);
    if (_i == 0)
        RV3(CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
            p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    else
        RV3(CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
            p11->C_GetSessionInfo(h, &ssi));
    RV2(CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
        p11->C_GetSessionInfo(h, &ssi));
    RV2(CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
        p11->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &n));
    RV3(CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED,
        p11->C_GetSessionInfo(o, &ssi));
    RV2(CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
        p11->C_GetSessionInfo(o, &ssi));
    n = 64;
    OK(p11->C_GetSlotList(CK_TRUE, list, &n));
    ck_assert(!t_list_has(list, n, 0) && !t_list_has(list, n, 1));
    n = 64;
    OK(p11->C_GetSlotList(CK_FALSE, list, &n));
    ck_assert(t_list_has(list, n, 0) && t_list_has(list, n, 1));
    OK(p11->C_GetSlotInfo(0, &si));
    ck_assert_uint_eq(si.flags & CKF_TOKEN_PRESENT, 0);
    RV(CKR_TOKEN_NOT_PRESENT, p11->C_GetTokenInfo(0, &ti));
    RV(CKR_TOKEN_NOT_PRESENT, p11->C_GetTokenInfo(1, &ti));
    RV(CKR_TOKEN_NOT_PRESENT,
       p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &x));
    /* Put it back: a new card session, a new login. */
    ck_assert_int_eq(rename(away, card), 0);
    OK(p11->C_GetTokenInfo(0, &ti));
    OK(p11->C_GetSlotInfo(0, &si));
    ck_assert(si.flags & CKF_TOKEN_PRESENT);
    x = t_open(0, 0);
    ck_assert_uint_eq(t_state(x), CKS_RO_PUBLIC_SESSION);
    OK(t_login(x, pins[0]));
    t_sign_verify(x);
    t_sign_verify(t_open_login(1));
}
END_TEST

/* _i = 0: garbage, 1: truncated, 2: empty, 3: no such file. */
START_TEST(test_bad_image)
{
    CK_SLOT_ID list[64];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE h;
    CK_ULONG n = 64;
    unsigned char buf[8192];
    size_t len;
    FILE *f;

    if (_i == 0) {
        for (len = 0; len < sizeof buf; len++)
            buf[len] = (unsigned char)(len * 31 + 7);
        write_file(card, buf, sizeof buf);
    } else if (_i == 1) {
        f = fopen(card, "rb");
        ck_assert_ptr_nonnull(f);
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ck_assert_uint_gt(len, 64);
        write_file(card, buf, len / 2);
    } else if (_i == 2) {
        write_file(card, "", 0);
    } else {
        setenv("JPKI_PKCS11_EMULATOR", away, 1); /* does not exist */
    }
    OK(p11->C_Initialize(NULL));
    OK(p11->C_GetSlotList(CK_FALSE, list, &n));
    ck_assert(t_list_has(list, n, 0) && t_list_has(list, n, 1));
    n = 64;
    OK(p11->C_GetSlotList(CK_TRUE, list, &n));
    ck_assert(!t_list_has(list, n, 0) && !t_list_has(list, n, 1));
    OK(p11->C_GetSlotInfo(0, &si));
    ck_assert_uint_eq(si.flags & CKF_TOKEN_PRESENT, 0);
    RV(CKR_TOKEN_NOT_PRESENT, p11->C_GetTokenInfo(0, &ti));
    RV(CKR_TOKEN_NOT_PRESENT, p11->C_GetTokenInfo(1, &ti));
    RV(CKR_TOKEN_NOT_PRESENT, p11->C_GetMechanismList(1, NULL, &n));
    RV(CKR_TOKEN_NOT_PRESENT,
       p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    OK(p11->C_Finalize(NULL));
}
END_TEST


/* ---- threads ------------------------------------------------------------ */

#define N_THREADS 8
#define N_ROUNDS 25

typedef struct {
    CK_SLOT_ID slot;
    const unsigned char *der;
    CK_ULONG der_len;
    int index, good;
    CK_RV rv;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE k;
    CK_ULONG n = 0;
    EVP_PKEY *pk = t_der_pkey(w->der, w->der_len);
    unsigned char sig[512];
    char data[64];
    int i;

    if ((w->rv =
             p11->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &h)))
        goto out;
    if ((w->rv = p11->C_FindObjectsInit(h, &t, 1)) ||
        (w->rv = p11->C_FindObjects(h, &k, 1, &n)) ||
        (w->rv = p11->C_FindObjectsFinal(h)))
        goto out;
    for (i = 0; n == 1 && i < N_ROUNDS; i++) {
        CK_ULONG sl = sizeof sig;
        int len =
            snprintf(data, sizeof data, "thread %d round %d", w->index, i);
        if ((w->rv = p11->C_SignInit(h, &m, k)) ||
            (w->rv =
                 p11->C_Sign(h, (CK_BYTE_PTR)data, (CK_ULONG)len, sig, &sl)))
            break;
        w->good += pk && t_verify(pk, "SHA256", data, (size_t)len, sig, sl);
    }
    p11->C_CloseSession(h);
out:
    EVP_PKEY_free(pk);
    return NULL;
}

/* _i = 0: OS locking, 1: the application's mutex callbacks. */
START_TEST(test_threads)
{
    CK_C_INITIALIZE_ARGS a = t_callback_args(0);
    pthread_t th[N_THREADS];
    worker w[N_THREADS];
    unsigned char *der[2];
    CK_ULONG der_len[2];
    CK_SESSION_HANDLE l[2];
    int i;

    if (_i == 0) {
        memset(&a, 0, sizeof(a));
        a.flags = CKF_OS_LOCKING_OK;
    }
    OK(p11->C_Initialize(&a));
    for (i = 0; i < 2; i++) {
        l[i] = t_open_login((CK_SLOT_ID)i);
        der[i] = t_attr(l[i], t_usercert(l[i]), CKA_VALUE, &der_len[i]);
    }
    for (i = 0; i < N_THREADS; i++) {
        w[i] = (worker){ .slot = (CK_SLOT_ID)(i % 2),
                         .der = der[i % 2],
                         .der_len = der_len[i % 2],
                         .index = i };
        ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < N_THREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (i = 0; i < N_THREADS; i++) {
        ck_assert_msg(w[i].rv == CKR_OK, "thread %d: rv 0x%lx", i,
                      (unsigned long)w[i].rv);
        ck_assert_int_eq(w[i].good, N_ROUNDS);
    }
    for (i = 0; i < 2; i++) {
        ck_assert_uint_eq(t_state(l[i]), CKS_RO_USER_FUNCTIONS);
        free(der[i]);
    }
    OK(p11->C_Finalize(NULL));
    if (_i == 1) {
        ck_assert_int_gt(n_lock, N_THREADS * N_ROUNDS);
        ck_assert_int_eq(n_lock, n_unlock);
        ck_assert_int_eq(n_create, n_destroy);
    }
}
END_TEST


/* Two different cards (the second personalized here) on one module:
 * slots 0/1 and 2/3. Four distinct token serials; the tokens of a card
 * share the card's part (the first 14 characters), cards do not. */
static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

START_TEST(test_serial_two_cards)
{
    char dir[] = "/tmp/jpki-p11-XXXXXX", card2[64], env[4200], err[256];
    char serial[4][17];
    CK_TOKEN_INFO ti;
    CK_SLOT_ID s;
    int i;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(card2, sizeof card2, "%s/second.card", dir);
    ck_assert_msg(emu_personalize(card2, NULL, err, sizeof err) == EMU_OK,
                  "%s", err);
    snprintf(env, sizeof env, "%s:%s", card, card2);
    setenv("JPKI_PKCS11_EMULATOR", env, 1);
    OK(p11->C_Initialize(NULL));
    for (s = 0; s < 4; s++) {
        OK(p11->C_GetTokenInfo(s, &ti));
        memcpy(serial[s], ti.serialNumber, 16);
        serial[s][16] = '\0';
        for (i = 0; i < 14; i++)
            ck_assert_msg(
                strchr("0123456789ABCDEFabcdef", serial[s][i]) && serial[s][i],
                "serial '%s' is not 14 hex digits and a suffix", serial[s]);
        ck_assert_str_eq(serial[s] + 14, s % 2 ? "-S" : "-A");
    }
    for (s = 0; s < 4; s++)
        for (i = 0; i < (int)s; i++)
            ck_assert_str_ne(serial[s], serial[i]);
    ck_assert_mem_eq(serial[0], serial[1], 14);
    ck_assert_mem_eq(serial[2], serial[3], 14);
    ck_assert(memcmp(serial[0], serial[2], 14) != 0);
    OK(p11->C_Finalize(NULL));
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

/* ---- registration ------------------------------------------------------- */

void t_add_sign_tests(Suite *s)
{
    TCase *tc;

    tc = t_tcase(s, "sign", t_setup_init);
    tcase_add_loop_test(tc, test_sign_mechs, 0, 2);
    tcase_add_loop_test(tc, test_sign_rsa_pkcs, 0, 2);
    tcase_add_loop_test(tc, test_sign_multipart, 0, 2);
    tcase_add_test(tc, test_sign_length_query);
    tcase_add_test(tc, test_sign_errors);
    tcase_add_loop_test(tc, test_sign_key_handles, 0, 2);
    tc = t_tcase(s, "removal", t_setup_init);
    tcase_add_loop_test(tc, test_card_removed, 0, 2);
    tc = t_tcase(s, "broken", t_setup_card);
    tcase_add_test(tc, test_serial_two_cards);
    tcase_add_loop_test(tc, test_bad_image, 0, 4);
    tcase_add_loop_test(tc, test_threads, 0, 2);
}
