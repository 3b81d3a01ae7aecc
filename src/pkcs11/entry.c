/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * entry.c - the PKCS#11 entry points. Each C_* function is a short
 * dispatch: argument checks, lock, session/state checks, one call into the
 * file that owns the concern. Functions the card cannot serve answer
 * CKR_FUNCTION_NOT_SUPPORTED (or the code the specification gives).
 */
#include "pkcs11/p11.h"

#include <string.h>


#define EXPORT __attribute__((visibility("default")))

/* Lock, find the session and check its card is still there. */
static CK_RV enter_session(CK_SESSION_HANDLE h, p11_session **s, int check)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK)
        return rv;
    rv = p11_session_get(h, s);
    if (rv == CKR_OK && check)
        rv = p11_token_check((*s)->tok);
    if (rv != CKR_OK)
        p11_leave();
    return rv;
}

EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    return p11_initialize(pInitArgs);
}

EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    CK_RV rv;

    if (pReserved)
        return CKR_ARGUMENTS_BAD;
    if (!p11_is_initialized())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    /* Blocked C_WaitForSlotEvent calls return first: they take the lock. */
    p11_events_cancel();
    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    return p11_finalize(); /* releases and destroys the lock */
}

EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    if (!p11_is_initialized())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (!pInfo)
        return CKR_ARGUMENTS_BAD;
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion.major = 2;
    pInfo->cryptokiVersion.minor = 40;
    p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
            "jpki-pkcs11 project");
    p11_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
            "JPKI (My Number Card) PKCS#11");
    pInfo->libraryVersion.major = JPKI_VERSION_MAJOR;
    pInfo->libraryVersion.minor = JPKI_VERSION_MINOR;
    return CKR_OK;
}

EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                           CK_ULONG_PTR pulCount)
{
    CK_RV rv;

    if (!pulCount)
        return p11_is_initialized() ? CKR_ARGUMENTS_BAD
                                    : CKR_CRYPTOKI_NOT_INITIALIZED;
    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = p11_slot_list(tokenPresent, pSlotList, pulCount);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = pInfo ? p11_slot_info(slotID, pInfo) : CKR_ARGUMENTS_BAD;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    p11_token *tok;
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = p11_token_get(slotID, &tok);
    if (rv == CKR_OK)
        rv = pInfo ? p11_token_info(tok, pInfo) : CKR_ARGUMENTS_BAD;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID,
                                CK_MECHANISM_TYPE_PTR pMechanismList,
                                CK_ULONG_PTR pulCount)
{
    p11_token *tok;
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = p11_token_get(slotID, &tok);
    if (rv == CKR_OK)
        rv = pulCount ? p11_mech_list(tok, pMechanismList, pulCount)
                      : CKR_ARGUMENTS_BAD;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                CK_MECHANISM_INFO_PTR pInfo)
{
    p11_token *tok;
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = p11_token_get(slotID, &tok);
    if (rv == CKR_OK)
        rv = pInfo ? p11_mech_info(tok, type, pInfo) : CKR_ARGUMENTS_BAD;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
                         CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
    /* Cards are personalized by J-LIS; nobody here can initialize one. */
    return p11_is_initialized() ? CKR_FUNCTION_NOT_SUPPORTED
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
                       CK_ULONG ulPinLen)
{
    /* Needs the SO, and the card has none: PINs are reset at a municipal
     * office. */
    return p11_is_initialized() ? CKR_FUNCTION_NOT_SUPPORTED
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
                      CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
                      CK_ULONG ulNewLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_set_pin(s, pOldPin, ulOldLen, pNewPin, ulNewLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
                           CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                           CK_SESSION_HANDLE_PTR phSession)
{
    p11_token *tok;
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    if (!phSession)
        rv = CKR_ARGUMENTS_BAD;
    else if (!(flags & CKF_SERIAL_SESSION))
        rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    else if ((rv = p11_token_get(slotID, &tok)) == CKR_OK)
        rv = p11_session_open(
            tok, flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION), phSession);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    rv = p11_session_close(hSession);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    CK_RV rv;

    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    if (!p11_slot_shown(slotID)) {
        rv = CKR_SLOT_ID_INVALID;
    } else {
        /* Also when the card just went away: its sessions go with it. */
        p11_session_close_slot(slotID);
        rv = CKR_OK;
    }
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession,
                              CK_SESSION_INFO_PTR pInfo)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = pInfo ? p11_session_info(s, pInfo) : CKR_ARGUMENTS_BAD;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession,
                                 CK_BYTE_PTR pOperationState,
                                 CK_ULONG_PTR pulOperationStateLen)
{
    return p11_is_initialized() ? CKR_FUNCTION_NOT_SUPPORTED
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession,
                                 CK_BYTE_PTR pOperationState,
                                 CK_ULONG ulOperationStateLen,
                                 CK_OBJECT_HANDLE hEncryptionKey,
                                 CK_OBJECT_HANDLE hAuthenticationKey)
{
    return p11_is_initialized() ? CKR_FUNCTION_NOT_SUPPORTED
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                     CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_login(s, userType, pPin, ulPinLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_logout(s);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession,
                                 CK_OBJECT_HANDLE hObject,
                                 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    p11_session *s;
    p11_object *o;
    int kind;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    if (!pTemplate && ulCount)
        rv = CKR_ARGUMENTS_BAD;
    else if (!(o = p11_object_get(s->tok, hObject, &kind)))
        rv = CKR_OBJECT_HANDLE_INVALID;
    else
        rv = p11_object_get_attrs(o, kind, pTemplate, ulCount);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession,
                             CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    if (!pulSize)
        rv = CKR_ARGUMENTS_BAD;
    else if (!p11_object_get(s->tok, hObject, NULL))
        rv = CKR_OBJECT_HANDLE_INVALID;
    else
        *pulSize = CK_UNAVAILABLE_INFORMATION, rv = CKR_OK;
    p11_leave();
    return rv;
}

EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession,
                               CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_find_init(s, pTemplate, ulCount);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession,
                           CK_OBJECT_HANDLE_PTR phObject,
                           CK_ULONG ulMaxObjectCount,
                           CK_ULONG_PTR pulObjectCount)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_find(s, phObject, ulMaxObjectCount, pulObjectCount);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_find_final(s);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession,
                        CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_sign_init(s, pMechanism, hKey);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_sign(s, pData, ulDataLen, pSignature, pulSignatureLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                          CK_ULONG ulPartLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_sign_update(s, pPart, ulPartLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                         CK_ULONG_PTR pulSignatureLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 1)) != CKR_OK)
        return rv;
    rv = p11_sign_final(s, pSignature, pulSignatureLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_verify_init(s, pMechanism, hKey);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                      CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_verify(s, pData, ulDataLen, pSignature, ulSignatureLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                            CK_ULONG ulPartLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_verify_update(s, pPart, ulPartLen);
    p11_leave();
    return rv;
}

EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                           CK_ULONG ulSignatureLen)
{
    p11_session *s;
    CK_RV rv;

    if ((rv = enter_session(hSession, &s, 0)) != CKR_OK)
        return rv;
    rv = p11_verify_final(s, pSignature, ulSignatureLen);
    p11_leave();
    return rv;
}

/* The card has no documented random number generator (no GET CHALLENGE in
 * what is known of it): say so the way the specification asks. */
static CK_RV no_rng(CK_SESSION_HANDLE hSession)
{
    p11_session *s;
    CK_RV rv = enter_session(hSession, &s, 0);

    if (rv == CKR_OK) {
        p11_leave();
        rv = CKR_RANDOM_NO_RNG;
    }
    return rv;
}

/* A NULL buffer is refused before anything else is looked at. */
EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
                          CK_ULONG ulSeedLen)
{
    (void)ulSeedLen;
    return pSeed ? no_rng(hSession) : CKR_ARGUMENTS_BAD;
}

EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession,
                              CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
    (void)ulRandomLen;
    return RandomData ? no_rng(hSession) : CKR_ARGUMENTS_BAD;
}

EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
    return p11_is_initialized() ? CKR_FUNCTION_NOT_PARALLEL
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
    return p11_is_initialized() ? CKR_FUNCTION_NOT_PARALLEL
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
                                CK_VOID_PTR pReserved)
{
    if (!p11_is_initialized())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (!pSlot || pReserved)
        return CKR_ARGUMENTS_BAD;
    return p11_wait_for_slot_event(flags, pSlot);
}
