/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pkcs11_interfaces.c - the PKCS#11 3.0 interfaces: C_GetInterfaceList,
 * C_GetInterface and the 3.0 function list (in the test_pkcs11 program).
 */
#include <string.h>

#include "p11test.h"
#include "pkcs11/pkcs11_3.h"

static CK_FUNCTION_LIST_3_0_PTR v3(void)
{
    CK_INTERFACE_PTR i = NULL;

    OK(C_GetInterface(NULL, NULL, &i, 0));
    ck_assert_ptr_nonnull(i);
    return i->pFunctionList;
}

START_TEST(test_interface_list)
{
    CK_INTERFACE list[4];
    CK_ULONG n = 0;

    /* No C_Initialize needed to find the interfaces. */
    RV(CKR_ARGUMENTS_BAD, C_GetInterfaceList(list, NULL));
    OK(C_GetInterfaceList(NULL, &n));
    ck_assert_uint_eq(n, 2);
    n = 1;
    RV(CKR_BUFFER_TOO_SMALL, C_GetInterfaceList(list, &n));
    ck_assert_uint_eq(n, 2);
    n = 4;
    OK(C_GetInterfaceList(list, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq((char *)list[0].pInterfaceName, "PKCS 11");
    ck_assert_uint_eq(((CK_VERSION *)list[0].pFunctionList)->major, 3);
    ck_assert_uint_eq(((CK_VERSION *)list[1].pFunctionList)->major, 2);
    ck_assert_uint_eq(((CK_VERSION *)list[1].pFunctionList)->minor, 40);
}
END_TEST

START_TEST(test_get_interface)
{
    CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 }, v99 = { 9, 9 };
    CK_INTERFACE_PTR i = NULL;
    CK_FUNCTION_LIST_3_0_PTR f = v3();
    void *const *fp = (void *const *)&f->C_Initialize;
    size_t k, n = (sizeof *f - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) /
                  sizeof(void *);

    /* every slot of the 3.0 list is filled */
    ck_assert_uint_eq(n, 92);
    for (k = 0; k < n; k++)
        ck_assert_ptr_nonnull(fp[k]);
    ck_assert_uint_eq(f->version.major, 3);
    OK(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &i, 0));
    ck_assert_ptr_eq(i->pFunctionList, p11);
    OK(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &i, 0));
    ck_assert_ptr_eq(i->pFunctionList, f);
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v99, &i, 0));
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface((CK_UTF8CHAR_PTR) "Vendor", NULL, &i, 0));
    /* not fork safe: a child must initialize again */
    RV(CKR_ARGUMENTS_BAD,
       C_GetInterface(NULL, NULL, &i, CKF_INTERFACE_FORK_SAFE));
    RV(CKR_ARGUMENTS_BAD, C_GetInterface(NULL, NULL, NULL, 0));
}
END_TEST

/* Every message-based function of 3.0 (nothing the card does) answers want,
 * whatever its arguments. */
static void message_functions(CK_FUNCTION_LIST_3_0_PTR f, CK_SESSION_HANDLE h,
                              CK_RV want)
{
    CK_ULONG n = 0;

    RV(want, f->C_MessageEncryptInit(h, NULL, 0));
    RV(want, f->C_EncryptMessage(h, NULL, 0, NULL, 0, NULL, 0, NULL, &n));
    RV(want, f->C_EncryptMessageBegin(h, NULL, 0, NULL, 0));
    RV(want, f->C_EncryptMessageNext(h, NULL, 0, NULL, 0, NULL, &n, 0));
    RV(want, f->C_MessageEncryptFinal(h));
    RV(want, f->C_MessageDecryptInit(h, NULL, 0));
    RV(want, f->C_DecryptMessage(h, NULL, 0, NULL, 0, NULL, 0, NULL, &n));
    RV(want, f->C_DecryptMessageBegin(h, NULL, 0, NULL, 0));
    RV(want, f->C_DecryptMessageNext(h, NULL, 0, NULL, 0, NULL, &n, 0));
    RV(want, f->C_MessageDecryptFinal(h));
    RV(want, f->C_MessageSignInit(h, NULL, 0));
    RV(want, f->C_SignMessage(h, NULL, 0, NULL, 0, NULL, &n));
    RV(want, f->C_SignMessageBegin(h, NULL, 0));
    RV(want, f->C_SignMessageNext(h, NULL, 0, NULL, 0, NULL, &n));
    RV(want, f->C_MessageSignFinal(h));
    RV(want, f->C_MessageVerifyInit(h, NULL, 0));
    RV(want, f->C_VerifyMessage(h, NULL, 0, NULL, 0, NULL, 0));
    RV(want, f->C_VerifyMessageBegin(h, NULL, 0));
    RV(want, f->C_VerifyMessageNext(h, NULL, 0, NULL, 0, NULL, 0));
    RV(want, f->C_MessageVerifyFinal(h));
}

START_TEST(test_v3_functions)
{
    CK_FUNCTION_LIST_3_0_PTR f = v3();
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    unsigned char sig[512];
    CK_ULONG sig_len = sizeof sig;
    CK_SESSION_HANDLE h;

    RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_SessionCancel(1, CKF_SIGN));
    message_functions(f, 1, CKR_CRYPTOKI_NOT_INITIALIZED);
    OK(f->C_Initialize(NULL));
    OK(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    RV(CKR_ARGUMENTS_BAD, f->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234",
                                         4, (CK_UTF8CHAR_PTR) "taro", 4));
    OK(f->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4, NULL, 0));
    OK(f->C_SignInit(h, &m, t_privkey(h)));
    OK(f->C_SessionCancel(h, CKF_SIGN));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       f->C_Sign(h, (CK_BYTE_PTR)msg, 3, sig, &sig_len));
    RV(CKR_SESSION_HANDLE_INVALID, f->C_SessionCancel(h + 100, CKF_SIGN));
    RV(CKR_FUNCTION_NOT_SUPPORTED, f->C_MessageSignInit(h, &m, t_privkey(h)));
    message_functions(f, h, CKR_FUNCTION_NOT_SUPPORTED);
    /* the old entry points work through the new list */
    sig_len = t_sign(h, T_MECH, msg, strlen(msg), sig);
    ck_assert_uint_eq(sig_len, T_SIG_LEN);
}
END_TEST

void t_add_interface_tests(Suite *s)
{
    TCase *tc = t_tcase(s, "interfaces", t_setup_card);

    tcase_add_test(tc, test_interface_list);
    tcase_add_test(tc, test_get_interface);
    tcase_add_test(tc, test_v3_functions);
}
