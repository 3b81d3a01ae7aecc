/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * interface.c - how applications find the entry points: C_GetFunctionList
 * (PKCS#11 2.40) and the 3.0 interfaces (C_GetInterfaceList,
 * C_GetInterface), plus the 3.0 functions: C_LoginUser, C_SessionCancel,
 * and the message-based functions, which the card cannot serve.
 *
 * Not CKF_INTERFACE_FORK_SAFE: a child of fork() must call C_Initialize.
 */
#include "pkcs11/entry.h"
#include "pkcs11/pkcs11_3.h"

#include <string.h>

/* In the order of struct ck_function_list (PKCS#11 2.40). */
#define V2_FUNCTIONS                                                          \
    C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList,    \
        C_GetSlotInfo, C_GetTokenInfo, C_GetMechanismList,                    \
        C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN, C_OpenSession,  \
        C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,                 \
        C_GetOperationState, C_SetOperationState, C_Login, C_Logout,          \
        C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize,       \
        C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit,          \
        C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt,          \
        C_EncryptUpdate, C_EncryptFinal, C_DecryptInit, C_Decrypt,            \
        C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,              \
        C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign,       \
        C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover,          \
        C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,                \
        C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate,          \
        C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate,    \
        C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey,             \
        C_DeriveKey, C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus,     \
        C_CancelFunction, C_WaitForSlotEvent,

static CK_FUNCTION_LIST function_list = { { 2, 40 }, V2_FUNCTIONS };

#define V3_MEMBER(name, args) name,
static CK_FUNCTION_LIST_3_0 function_list_3_0 = {
    { 3, 0 }, V2_FUNCTIONS JPKI_P11_V3_FUNCTIONS(V3_MEMBER)
};
#undef V3_MEMBER

static CK_CHAR interface_name[] = "PKCS 11";

/* The newest first: it is the default interface. */
static CK_INTERFACE interfaces[] = {
    { interface_name, &function_list_3_0, 0 },
    { interface_name, &function_list, 0 },
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

static CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR out)
{
    if (!out)
        return CKR_ARGUMENTS_BAD;
    *out = &function_list;
    return CKR_OK;
}

static CK_RV interface_list(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
    if (!count)
        return CKR_ARGUMENTS_BAD;
    if (!list) {
        *count = N_INTERFACES;
        return CKR_OK;
    }
    if (*count < N_INTERFACES) {
        *count = N_INTERFACES;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(list, interfaces, sizeof(interfaces));
    *count = N_INTERFACES;
    return CKR_OK;
}

static const CK_VERSION *version_of(const CK_INTERFACE *i)
{
    return (const CK_VERSION *)i->pFunctionList; /* its first member */
}

static CK_RV get_interface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                           CK_INTERFACE_PTR_PTR out, CK_FLAGS flags)
{
    size_t i;

    if (!out)
        return CKR_ARGUMENTS_BAD;
    for (i = 0; i < N_INTERFACES; i++) {
        const CK_VERSION *v = version_of(&interfaces[i]);
        if (name && strcmp((const char *)name, (const char *)interface_name))
            continue;
        if (version &&
            (version->major != v->major || version->minor != v->minor))
            continue;
        if ((interfaces[i].flags & flags) != flags)
            continue;
        *out = &interfaces[i];
        return CKR_OK;
    }
    return CKR_ARGUMENTS_BAD;
}

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    NEEDS_NOTHING(get_function_list(ppFunctionList));
}

EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
                                CK_ULONG_PTR pulCount)
{
    NEEDS_NOTHING(interface_list(pInterfacesList, pulCount));
}

EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName,
                            CK_VERSION_PTR pVersion,
                            CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
    NEEDS_NOTHING(get_interface(pInterfaceName, pVersion, ppInterface, flags));
}

/* The card knows no user names: one user, one PIN per token. */
EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                         CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                         CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
    NEEDS_MODULE(pUsername && ulUsernameLen
                     ? CKR_ARGUMENTS_BAD
                     : C_Login(hSession, userType, pPin, ulPinLen));
}

EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
    NEEDS_SESSION(hSession, p11_session_cancel(s, flags));
}

/* Message-based encryption and signing (3.0): nothing the card does. */
EXPORT CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession,
                                  CK_MECHANISM_PTR a1, CK_OBJECT_HANDLE a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                              CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                              CK_BYTE_PTR a5, CK_ULONG a6, CK_BYTE_PTR a7,
                              CK_ULONG_PTR a8)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                   CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                  CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                                  CK_BYTE_PTR a5, CK_ULONG_PTR a6, CK_FLAGS a7)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession,
                                  CK_MECHANISM_PTR a1, CK_OBJECT_HANDLE a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                              CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                              CK_BYTE_PTR a5, CK_ULONG a6, CK_BYTE_PTR a7,
                              CK_ULONG_PTR a8)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                   CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                  CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                                  CK_BYTE_PTR a5, CK_ULONG_PTR a6, CK_FLAGS a7)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a1,
                               CK_OBJECT_HANDLE a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                           CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                           CK_BYTE_PTR a5, CK_ULONG_PTR a6)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                CK_ULONG a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                               CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                               CK_BYTE_PTR a5, CK_ULONG_PTR a6)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession,
                                 CK_MECHANISM_PTR a1, CK_OBJECT_HANDLE a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                             CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                             CK_BYTE_PTR a5, CK_ULONG a6)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                  CK_ULONG a2)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR a1,
                                 CK_ULONG a2, CK_BYTE_PTR a3, CK_ULONG a4,
                                 CK_BYTE_PTR a5, CK_ULONG a6)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
    NOT_SUPPORTED();
}
