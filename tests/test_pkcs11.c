/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11.c - conformance tests of the PKCS#11 module, driven only
 * through its function list, against the bundled card emulator: every test
 * gets a fresh card image (JPKI_PKCS11_EMULATOR). Slot 0 is the "User
 * Authentication" token, slot 1 the "Digital Signature" token; PC/SC readers
 * may follow. Expected codes follow PKCS#11 2.40; where the specification
 * allows several, every allowed one is accepted.
 *
 * This file: lifecycle, information, sessions, main. p11test.c: fixtures
 * and helpers. test_pkcs11_ops.c: objects, login. test_pkcs11_sign.c:
 * signing, removal, broken cards, threads. test_pkcs11_more.c: 3.0
 * interfaces, C_SetPIN, C_Verify, slot events, PIN pads.
 */
#include "p11test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/emu.h"
#include "testutil.h"

static const char *const token_labels[2] = { "JPKI User Authentication",
                                             "JPKI Digital Signature" };

static void check_padded(const CK_UTF8CHAR *s, size_t n, const char *want)
{
    size_t i, len = strlen(want);

    for (i = 0; i < n; i++)
        ck_assert_msg(s[i] != '\0', "NUL in a blank-padded string");
    ck_assert_msg(s[0] != ' ', "empty or blank-led string");
    ck_assert_int_eq(s[n - 1], ' ');
    if (want && *want) {
        ck_assert_msg(len <= n && memcmp(s, want, len) == 0,
                      "expected '%s', got '%.*s'", want, (int)n, s);
        for (i = len; i < n; i++)
            ck_assert_int_eq(s[i], ' ');
    }
}
/* ---- lifecycle ---------------------------------------------------------- */

#define NI(call) RV(CKR_CRYPTOKI_NOT_INITIALIZED, p11->call)
START_TEST(test_not_initialized)
{
    CK_BYTE b[64] = { 0 };
    CK_ULONG n = sizeof b;
    CK_SLOT_ID slot = 0;
    CK_SESSION_HANDLE h = 1;
    CK_OBJECT_HANDLE o = 1, o2 = 0;
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_ATTRIBUTE a = { CKA_LABEL, b, 4 };
    CK_INFO info;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_SESSION_INFO ssi;
    CK_UTF8CHAR *pin = (CK_UTF8CHAR_PTR) "1234";

    NI(C_Finalize(NULL));
    NI(C_GetInfo(&info));
    NI(C_GetSlotList(CK_FALSE, NULL, &n));
    NI(C_GetSlotInfo(0, &si));
    NI(C_GetTokenInfo(0, &ti));
    NI(C_GetMechanismList(0, NULL, &n));
    NI(C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi));
    NI(C_InitToken(0, pin, 4, b));
    NI(C_InitPIN(h, pin, 4));
    NI(C_SetPIN(h, pin, 4, pin, 4));
    NI(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    NI(C_CloseSession(h));
    NI(C_CloseAllSessions(0));
    NI(C_GetSessionInfo(h, &ssi));
    NI(C_GetOperationState(h, b, &n));
    NI(C_SetOperationState(h, b, n, 0, 0));
    NI(C_Login(h, CKU_USER, pin, 4));
    NI(C_Logout(h));
    NI(C_CreateObject(h, &a, 1, &o2));
    NI(C_CopyObject(h, o, &a, 1, &o2));
    NI(C_DestroyObject(h, o));
    NI(C_GetObjectSize(h, o, &n));
    NI(C_GetAttributeValue(h, o, &a, 1));
    NI(C_SetAttributeValue(h, o, &a, 1));
    NI(C_FindObjectsInit(h, NULL, 0));
    NI(C_FindObjects(h, &o2, 1, &n));
    NI(C_FindObjectsFinal(h));
    NI(C_EncryptInit(h, &m, o));
    NI(C_Encrypt(h, b, 8, b, &n));
    NI(C_EncryptUpdate(h, b, 8, b, &n));
    NI(C_EncryptFinal(h, b, &n));
    NI(C_DecryptInit(h, &m, o));
    NI(C_Decrypt(h, b, 8, b, &n));
    NI(C_DecryptUpdate(h, b, 8, b, &n));
    NI(C_DecryptFinal(h, b, &n));
    NI(C_DigestInit(h, &m));
    NI(C_Digest(h, b, 8, b, &n));
    NI(C_DigestUpdate(h, b, 8));
    NI(C_DigestKey(h, o));
    NI(C_DigestFinal(h, b, &n));
    NI(C_SignInit(h, &m, o));
    NI(C_Sign(h, b, 8, b, &n));
    NI(C_SignUpdate(h, b, 8));
    NI(C_SignFinal(h, b, &n));
    NI(C_SignRecoverInit(h, &m, o));
    NI(C_SignRecover(h, b, 8, b, &n));
    NI(C_VerifyInit(h, &m, o));
    NI(C_Verify(h, b, 8, b, 8));
    NI(C_VerifyUpdate(h, b, 8));
    NI(C_VerifyFinal(h, b, 8));
    NI(C_VerifyRecoverInit(h, &m, o));
    NI(C_VerifyRecover(h, b, 8, b, &n));
    NI(C_DigestEncryptUpdate(h, b, 8, b, &n));
    NI(C_DecryptDigestUpdate(h, b, 8, b, &n));
    NI(C_SignEncryptUpdate(h, b, 8, b, &n));
    NI(C_DecryptVerifyUpdate(h, b, 8, b, &n));
    NI(C_GenerateKey(h, &m, &a, 1, &o2));
    NI(C_GenerateKeyPair(h, &m, &a, 1, &a, 1, &o, &o2));
    NI(C_WrapKey(h, &m, o, o, b, &n));
    NI(C_UnwrapKey(h, &m, o, b, 8, &a, 1, &o2));
    NI(C_DeriveKey(h, &m, o, &a, 1, &o2));
    NI(C_SeedRandom(h, b, 8));
    NI(C_GenerateRandom(h, b, 8));
    NI(C_GetFunctionStatus(h));
    NI(C_CancelFunction(h));
    NI(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL));
    ck_assert_int_eq(p11->version.major, 2);
    ck_assert_int_eq(p11->version.minor, 40);
    RV(CKR_ARGUMENTS_BAD, C_GetFunctionList(NULL));
}
END_TEST

START_TEST(test_initialize_twice)
{
    CK_INFO info;

    OK(p11->C_Initialize(NULL));
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, p11->C_Initialize(NULL));
    OK(p11->C_GetInfo(&info)); /* still initialized */
    OK(p11->C_Finalize(NULL));
    RV(CKR_CRYPTOKI_NOT_INITIALIZED, p11->C_Finalize(NULL));
    OK(p11->C_Initialize(NULL));
    OK(p11->C_Finalize(NULL));
}
END_TEST

START_TEST(test_initialize_bad_args)
{
    CK_C_INITIALIZE_ARGS a;
    CK_ULONG n;

    memset(&a, 0, sizeof(a));
    a.pReserved = &a;
    RV(CKR_ARGUMENTS_BAD, p11->C_Initialize(&a));
    RV(CKR_CRYPTOKI_NOT_INITIALIZED, p11->C_GetSlotList(CK_FALSE, NULL, &n));
    memset(&a, 0, sizeof(a));
    a.CreateMutex = t_callback_args(0).CreateMutex; /* one of four */
    RV(CKR_ARGUMENTS_BAD, p11->C_Initialize(&a));
    a = t_callback_args(CKF_OS_LOCKING_OK);
    a.UnlockMutex = NULL;
    RV(CKR_ARGUMENTS_BAD, p11->C_Initialize(&a));
    RV(CKR_CRYPTOKI_NOT_INITIALIZED, p11->C_GetSlotList(CK_FALSE, NULL, &n));
    memset(&a, 0, sizeof(a));
    a.flags = CKF_OS_LOCKING_OK;
    OK(p11->C_Initialize(&a));
    OK(p11->C_GetSlotList(CK_FALSE, NULL, &n));
    OK(p11->C_Finalize(NULL));
    memset(&a, 0, sizeof(a));
    OK(p11->C_Initialize(&a));
    OK(p11->C_Finalize(NULL));
}
END_TEST

START_TEST(test_initialize_callbacks)
{
    CK_C_INITIALIZE_ARGS a = t_callback_args(0);
    CK_SESSION_HANDLE h;

    OK(p11->C_Initialize(&a));
    ck_assert_int_ge(n_create, 1);
    h = t_open_login(0);
    t_sign_verify(h);
    ck_assert_int_gt(n_lock, 0);
    ck_assert_int_eq(n_lock, n_unlock);
    OK(p11->C_Finalize(NULL));
    ck_assert_int_eq(n_destroy, n_create);
    ck_assert_int_eq(n_lock, n_unlock);
    /* Callbacks and OS locking both allowed: either may be used. */
    a = t_callback_args(CKF_OS_LOCKING_OK);
    OK(p11->C_Initialize(&a));
    t_sign_verify(t_open_login(1));
    OK(p11->C_Finalize(NULL));
    ck_assert_int_eq(n_destroy, n_create);
    ck_assert_int_eq(n_lock, n_unlock);
}
END_TEST

START_TEST(test_finalize_args)
{
    CK_INFO info;
    CK_SESSION_HANDLE h;
    int reserved;

    OK(p11->C_Initialize(NULL));
    h = t_open(0, 0);
    RV(CKR_ARGUMENTS_BAD, p11->C_Finalize(&reserved));
    OK(p11->C_GetInfo(&info));
    ck_assert_uint_eq(t_state(h), CKS_RO_PUBLIC_SESSION);
    OK(p11->C_Finalize(NULL));
    RV(CKR_CRYPTOKI_NOT_INITIALIZED, p11->C_GetInfo(&info));
    RV(CKR_CRYPTOKI_NOT_INITIALIZED,
       p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    /* Sessions do not survive C_Finalize. */
    OK(p11->C_Initialize(NULL));
    RV2(CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
        p11->C_GetSessionInfo(h, &(CK_SESSION_INFO){ 0 }));
}
END_TEST

START_TEST(test_init_cycles)
{
    unsigned auth, sig;
    int i;

    for (i = 0; i < 50; i++) {
        OK(p11->C_Initialize(NULL));
        t_open_login((CK_SLOT_ID)(i % 2));
        OK(p11->C_Finalize(NULL));
    }
    t_card_tries(&auth, &sig);
    ck_assert_uint_eq(auth, 3);
    ck_assert_uint_eq(sig, 5);
}
END_TEST

START_TEST(test_fork)
{
    CK_SESSION_HANDLE h = t_open_login(0);
    int status = -1;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        CK_ULONG n = 0;
        CK_SESSION_HANDLE c = 0;
        CK_SESSION_INFO si;
        int code = 0;
        if (p11->C_GetSlotList(CK_FALSE, NULL, &n) !=
            CKR_CRYPTOKI_NOT_INITIALIZED)
            code = 1;
        else if (p11->C_GetSessionInfo(h, &si) != CKR_CRYPTOKI_NOT_INITIALIZED)
            code = 2;
        else if (p11->C_Initialize(NULL) != CKR_OK)
            code = 3;
        else if (p11->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n < 2)
            code = 4;
        else if (p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &c) !=
                 CKR_OK)
            code = 5;
        else if (p11->C_GetSessionInfo(c, &si) != CKR_OK ||
                 si.state != CKS_RO_PUBLIC_SESSION)
            code = 6;
        else if (t_login(c, pins[0]) != CKR_OK)
            code = 7;
        else if (p11->C_Finalize(NULL) != CKR_OK)
            code = 8;
        _exit(code);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child failed at step %d", WEXITSTATUS(status));
    /* The parent's module state is untouched by the child. */
    OK(p11->C_GetSessionInfo(h, &(CK_SESSION_INFO){ 0 }));
}
END_TEST

/* ---- information -------------------------------------------------------- */

START_TEST(test_get_info)
{
    CK_INFO info;

    OK(p11->C_GetInfo(&info));
    ck_assert_int_eq(info.cryptokiVersion.major, 2);
    ck_assert_int_eq(info.cryptokiVersion.minor, 40);
    ck_assert_uint_eq(info.flags, 0);
    check_padded(info.manufacturerID, sizeof(info.manufacturerID), "");
    check_padded(info.libraryDescription, sizeof(info.libraryDescription), "");
    RV(CKR_ARGUMENTS_BAD, p11->C_GetInfo(NULL));
}
END_TEST

START_TEST(test_slot_list)
{
    CK_SLOT_ID list[64];
    CK_SLOT_INFO si;
    CK_ULONG n = 0, all, k;

    OK(p11->C_GetSlotList(CK_FALSE, NULL, &n));
    ck_assert_uint_ge(n, 2);
    ck_assert_uint_le(n, 64);
    all = n;
    n = 1;
    RV(CKR_BUFFER_TOO_SMALL, p11->C_GetSlotList(CK_FALSE, list, &n));
    ck_assert_uint_eq(n, all);
    OK(p11->C_GetSlotList(CK_FALSE, list, &n));
    ck_assert_uint_eq(n, all);
    ck_assert_uint_eq(list[0], 0);
    ck_assert_uint_eq(list[1], 1);
    n = 0;
    OK(p11->C_GetSlotList(CK_TRUE, NULL, &n));
    ck_assert_uint_ge(n, 2);
    OK(p11->C_GetSlotList(CK_TRUE, list, &n));
    ck_assert(t_list_has(list, n, 0) && t_list_has(list, n, 1));
    RV(CKR_ARGUMENTS_BAD, p11->C_GetSlotList(CK_FALSE, list, NULL));
    for (k = 0; k < 2; k++) {
        OK(p11->C_GetSlotInfo(k, &si));
        ck_assert_uint_eq(si.flags &
                              (CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE),
                          CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE);
        check_padded(si.slotDescription, sizeof(si.slotDescription), "");
        check_padded(si.manufacturerID, sizeof(si.manufacturerID), "");
    }
}
END_TEST

START_TEST(test_slot_token_invalid)
{
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_SESSION_HANDLE h;
    CK_ULONG n = 0;

    RV(CKR_SLOT_ID_INVALID, p11->C_GetSlotInfo(BAD_SLOT, &si));
    RV(CKR_SLOT_ID_INVALID, p11->C_GetTokenInfo(BAD_SLOT, &ti));
    RV(CKR_SLOT_ID_INVALID, p11->C_GetMechanismList(BAD_SLOT, NULL, &n));
    RV(CKR_SLOT_ID_INVALID,
       p11->C_GetMechanismInfo(BAD_SLOT, CKM_RSA_PKCS, &mi));
    RV(CKR_SLOT_ID_INVALID,
       p11->C_OpenSession(BAD_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &h));
    RV(CKR_SLOT_ID_INVALID, p11->C_CloseAllSessions(BAD_SLOT));
    RV(CKR_ARGUMENTS_BAD, p11->C_GetSlotInfo(0, NULL));
    RV(CKR_ARGUMENTS_BAD, p11->C_GetTokenInfo(0, NULL));
    RV(CKR_ARGUMENTS_BAD, p11->C_GetMechanismList(0, NULL, NULL));
    RV(CKR_ARGUMENTS_BAD, p11->C_GetMechanismInfo(1, CKM_RSA_PKCS, NULL));
}
END_TEST

START_TEST(test_token_info)
{
    CK_TOKEN_INFO ti[2];
    CK_FLAGS must =
        CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
    CK_SLOT_ID s;
    int i;

    for (s = 0; s < 2; s++) {
        OK(p11->C_GetTokenInfo(s, &ti[s]));
        check_padded(ti[s].label, sizeof(ti[s].label), token_labels[s]);
        check_padded(ti[s].model, sizeof(ti[s].model), "JPKI emulator");
        check_padded(ti[s].manufacturerID, sizeof(ti[s].manufacturerID), "");
        for (i = 0; i < 14; i++)
            ck_assert(
                strchr("0123456789ABCDEFabcdef", ti[s].serialNumber[i]) &&
                ti[s].serialNumber[i]);
        ck_assert_mem_eq(ti[s].serialNumber + 14, s ? "-S" : "-A", 2);
        ck_assert_uint_eq(ti[s].flags & must, must);
        ck_assert_uint_eq(ti[s].flags & (PIN_FLAGS | CKF_SO_PIN_LOCKED), 0);
        ck_assert_uint_eq(ti[s].ulMinPinLen, s ? 6 : 4);
        ck_assert_uint_eq(ti[s].ulMaxPinLen, s ? 16 : 4);
        ck_assert(ti[s].ulSessionCount == 0 ||
                  ti[s].ulSessionCount == CK_UNAVAILABLE_INFORMATION);
    }
    /* one card: the card's part is shared, each token's serial its own */
    ck_assert_mem_eq(ti[0].serialNumber, ti[1].serialNumber, 14);
    ck_assert(memcmp(ti[0].serialNumber, ti[1].serialNumber, 16) != 0);
    t_open(0, CKF_RW_SESSION);
    OK(p11->C_GetTokenInfo(0, &ti[0]));
    ck_assert(ti[0].ulSessionCount == 1 ||
              ti[0].ulSessionCount == CK_UNAVAILABLE_INFORMATION);
    ck_assert(ti[0].ulRwSessionCount == 1 ||
              ti[0].ulRwSessionCount == CK_UNAVAILABLE_INFORMATION);
}
END_TEST

START_TEST(test_mechanisms)
{
    /* the other card kind's mechanisms are not offered either */
    const CK_MECHANISM_TYPE bad[] = { CKM_AES_CBC,
                                      CKM_SHA1_RSA_PKCS_PSS,
                                      CKM_SHA512_RSA_PKCS_PSS,
                                      CKM_RSA_X_509,
                                      CKM_SHA256,
                                      t_ec ? CKM_RSA_PKCS : CKM_ECDSA,
                                      t_ec ? CKM_RSA_PKCS_PSS
                                           : CKM_ECDSA_SHA256,
                                      0x80001234UL };
    /* RSA: 6 PKCS#1 v1.5 and 2 PSS; EC: 4 ECDSA */
    const CK_ULONG want = t_ec ? T_N_HASH_MECHS + 1 : 8;
    CK_MECHANISM_TYPE list[16];
    CK_MECHANISM_INFO mi;
    CK_SLOT_ID s;
    CK_ULONG n, i, j, seen;

    for (s = 0; s < 2; s++) {
        n = 0;
        OK(p11->C_GetMechanismList(s, NULL, &n));
        ck_assert_uint_eq(n, want);
        n = 2;
        RV(CKR_BUFFER_TOO_SMALL, p11->C_GetMechanismList(s, list, &n));
        ck_assert_uint_eq(n, want);
        n = 16;
        OK(p11->C_GetMechanismList(s, list, &n));
        ck_assert_uint_eq(n, want);
        for (i = 0, seen = 0; i < n; i++) {
            for (j = 0; j < T_N_HASH_MECHS; j++)
                if (list[i] == T_HASH_MECHS[j].type)
                    seen |= 1UL << j;
            if (list[i] == T_MECH_RAW)
                seen |= 1UL << T_N_HASH_MECHS;
            if (!t_ec && list[i] == CKM_RSA_PKCS_PSS)
                seen |= 1UL << (N_HASH_MECHS + 1);
            if (!t_ec && list[i] == CKM_SHA256_RSA_PKCS_PSS)
                seen |= 1UL << (N_HASH_MECHS + 2);
            OK(p11->C_GetMechanismInfo(s, list[i], &mi));
            ck_assert(mi.flags & CKF_SIGN);
            ck_assert_uint_eq(mi.flags & (CKF_ENCRYPT | CKF_DECRYPT), 0);
            ck_assert_uint_eq(mi.ulMinKeySize, T_KEY_BITS);
            ck_assert_uint_eq(mi.ulMaxKeySize, T_KEY_BITS);
        }
        ck_assert_uint_eq(
            seen, (1UL << (t_ec ? T_N_HASH_MECHS + 1 : N_HASH_MECHS + 3)) - 1);
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            RV(CKR_MECHANISM_INVALID, p11->C_GetMechanismInfo(s, bad[i], &mi));
    }
}
END_TEST

/* ---- sessions ----------------------------------------------------------- */

START_TEST(test_open_session_args)
{
    CK_SESSION_HANDLE h;
    CK_TOKEN_INFO ti;

    RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED,
       p11->C_OpenSession(0, 0, NULL, NULL, &h));
    RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED,
       p11->C_OpenSession(1, CKF_RW_SESSION, NULL, NULL, &h));
    RV(CKR_ARGUMENTS_BAD,
       p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL));
    OK(p11->C_GetTokenInfo(0, &ti));
    ck_assert(ti.ulSessionCount == 0 ||
              ti.ulSessionCount == CK_UNAVAILABLE_INFORMATION);
}
END_TEST

START_TEST(test_session_handle_invalid)
{
    CK_SESSION_HANDLE closed = t_open(0, 0);
    CK_SESSION_HANDLE bad[3] = { CK_INVALID_HANDLE, 0xdeadbeefUL, closed };
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_ATTRIBUTE a = { CKA_CLASS, NULL, 0 };
    CK_OBJECT_HANDLE o;
    CK_SESSION_INFO si;
    CK_BYTE buf[256];
    CK_ULONG n;
    int i;

    t_open(0, 0); /* keep the token busy: handles must still fail */
    OK(p11->C_CloseSession(closed));
    for (i = 0; i < 3; i++) {
        CK_SESSION_HANDLE h = bad[i];
        n = sizeof buf;
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_GetSessionInfo(h, &si));
        RV(CKR_SESSION_HANDLE_INVALID, t_login(h, pins[0]));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_Logout(h));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_GetAttributeValue(h, 1, &a, 1));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_GetObjectSize(h, 1, &n));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_FindObjectsInit(h, NULL, 0));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_FindObjects(h, &o, 1, &n));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_FindObjectsFinal(h));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_SignInit(h, &m, 1));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_Sign(h, buf, 8, buf, &n));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_SignUpdate(h, buf, 8));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_SignFinal(h, buf, &n));
        RV(CKR_SESSION_HANDLE_INVALID, p11->C_CloseSession(h));
    }
}
END_TEST

START_TEST(test_session_states)
{
    CK_SLOT_ID s = (CK_SLOT_ID)_i;
    CK_SESSION_HANDLE ro = t_open(s, 0), rw = t_open(s, CKF_RW_SESSION);
    CK_SESSION_INFO si;

    OK(p11->C_GetSessionInfo(ro, &si));
    ck_assert_uint_eq(si.slotID, s);
    ck_assert_uint_eq(si.state, CKS_RO_PUBLIC_SESSION);
    ck_assert_uint_eq(si.flags, CKF_SERIAL_SESSION);
    ck_assert_uint_eq(si.ulDeviceError, 0);
    OK(p11->C_GetSessionInfo(rw, &si));
    ck_assert_uint_eq(si.state, CKS_RW_PUBLIC_SESSION);
    ck_assert_uint_eq(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    RV(CKR_ARGUMENTS_BAD, p11->C_GetSessionInfo(ro, NULL));
    OK(t_login(ro, pins[s]));
    ck_assert_uint_eq(t_state(ro), CKS_RO_USER_FUNCTIONS);
    ck_assert_uint_eq(t_state(rw), CKS_RW_USER_FUNCTIONS);
    OK(p11->C_Logout(rw));
    ck_assert_uint_eq(t_state(ro), CKS_RO_PUBLIC_SESSION);
    ck_assert_uint_eq(t_state(rw), CKS_RW_PUBLIC_SESSION);
}
END_TEST

START_TEST(test_close_all_sessions)
{
    CK_SESSION_HANDLE a1 = t_open_login(0), a2 = t_open(0, CKF_RW_SESSION);
    CK_SESSION_HANDLE b = t_open(1, 0), c;
    CK_SESSION_INFO si;
    CK_TOKEN_INFO ti;

    OK(p11->C_CloseAllSessions(0));
    RV(CKR_SESSION_HANDLE_INVALID, p11->C_GetSessionInfo(a1, &si));
    RV(CKR_SESSION_HANDLE_INVALID, p11->C_GetSessionInfo(a2, &si));
    RV(CKR_SESSION_HANDLE_INVALID, p11->C_CloseSession(a1));
    ck_assert_uint_eq(t_state(b), CKS_RO_PUBLIC_SESSION);
    OK(p11->C_GetTokenInfo(0, &ti));
    ck_assert(ti.ulSessionCount == 0 ||
              ti.ulSessionCount == CK_UNAVAILABLE_INFORMATION);
    c = t_open(0, 0); /* the last session's close logged the user out */
    ck_assert_uint_eq(t_state(c), CKS_RO_PUBLIC_SESSION);
    ck_assert_uint_eq(t_count(c, CKO_PRIVATE_KEY), 0);
    OK(p11->C_CloseAllSessions(1));
    OK(p11->C_CloseAllSessions(1)); /* none left: still fine */
    ck_assert_uint_eq(t_state(c), CKS_RO_PUBLIC_SESSION);
}
END_TEST

/* ---- main --------------------------------------------------------------- */


int main(void)
{
    Suite *s = suite_create("pkcs11");
    TCase *tc;
    SRunner *sr;
    int failed;

    /* Personalize the template card once, here, not in every test. */
    if (!tu_template_pki_dir())
        return EXIT_FAILURE;
    tc = t_tcase(s, "lifecycle", t_setup_card);
    tcase_add_test(tc, test_not_initialized);
    tcase_add_test(tc, test_initialize_twice);
    tcase_add_test(tc, test_initialize_bad_args);
    tcase_add_test(tc, test_initialize_callbacks);
    tcase_add_test(tc, test_finalize_args);
    tcase_add_test(tc, test_init_cycles);
    tc = t_tcase(s, "info", t_setup_init);
    tcase_add_test(tc, test_fork);
    tcase_add_test(tc, test_get_info);
    tcase_add_test(tc, test_slot_list);
    tcase_add_test(tc, test_slot_token_invalid);
    tcase_add_test(tc, test_token_info);
    tcase_add_test(tc, test_mechanisms);
    tc = t_tcase(s, "sessions", t_setup_init);
    tcase_add_test(tc, test_open_session_args);
    tcase_add_test(tc, test_session_handle_invalid);
    tcase_add_loop_test(tc, test_session_states, 0, 2);
    tcase_add_test(tc, test_close_all_sessions);
    t_add_ops_tests(s);
    t_add_sign_tests(s);
    t_add_more_tests(s);
    t_add_pinpad_tests(s);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
