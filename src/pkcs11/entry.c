/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * entry.c - the PKCS#11 2.40 entry points. Each names its policy (entry.h)
 * and calls the file that owns the concern; that file checks its own
 * arguments and operation state. What the card cannot do says so through
 * NOT_SUPPORTED (here, unsupported.c and interface.c).
 */
#include "pkcs11/entry.h"

#include <string.h>

/* ---- the module --------------------------------------------------------- */

static CK_RV module_info(CK_INFO_PTR info)
{
    if (!info)
        return CKR_ARGUMENTS_BAD;
    memset(info, 0, sizeof(*info));
    info->cryptokiVersion.major = 2;
    info->cryptokiVersion.minor = 40;
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
            "jpki-pkcs11 project");
    p11_pad(info->libraryDescription, sizeof(info->libraryDescription),
            "JPKI (My Number Card) PKCS#11");
    info->libraryVersion.major = JPKI_VERSION_MAJOR;
    info->libraryVersion.minor = JPKI_VERSION_MINOR;
    return CKR_OK;
}

static CK_RV finalize(CK_VOID_PTR reserved)
{
    CK_RV rv;

    if (reserved)
        return CKR_ARGUMENTS_BAD;
    if (!p11_is_initialized())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    /* Blocked C_WaitForSlotEvent calls return first: they take the lock. */
    p11_events_cancel();
    if ((rv = p11_enter()) != CKR_OK)
        return rv;
    /* Traced now: the log closes with the module, which always succeeds. */
    p11_trace_leave("C_Finalize", CKR_OK);
    return p11_finalize(); /* releases and destroys the lock */
}

EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    NEEDS_NOTHING(p11_initialize(pInitArgs));
}

EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    NEEDS_NOTHING(finalize(pReserved));
}

EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    NEEDS_MODULE(module_info(pInfo));
}

EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
    NEEDS_MODULE(CKR_FUNCTION_NOT_PARALLEL);
}

EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
    NEEDS_MODULE(CKR_FUNCTION_NOT_PARALLEL);
}

/* ---- slots and tokens --------------------------------------------------- */

EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                           CK_ULONG_PTR pulCount)
{
    NEEDS_LOCK(p11_slot_list(tokenPresent, pSlotList, pulCount));
}

EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    NEEDS_LOCK(p11_slot_info(slotID, pInfo));
}

EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
                                CK_VOID_PTR pReserved)
{
    /* No lock: the wait takes it in turns with the other calls. */
    NEEDS_MODULE(pSlot && !pReserved ? p11_wait_for_slot_event(flags, pSlot)
                                     : CKR_ARGUMENTS_BAD);
}

EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    NEEDS_TOKEN(slotID, p11_token_info(tok, pInfo));
}

EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID,
                                CK_MECHANISM_TYPE_PTR pMechanismList,
                                CK_ULONG_PTR pulCount)
{
    NEEDS_TOKEN(slotID, p11_mech_list(tok, pMechanismList, pulCount));
}

EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                CK_MECHANISM_INFO_PTR pInfo)
{
    NEEDS_TOKEN(slotID, p11_mech_info(tok, type, pInfo));
}

/* ---- sessions and login ------------------------------------------------- */

EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
                           CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                           CK_SESSION_HANDLE_PTR phSession)
{
    NEEDS_LOCK(p11_session_open(slotID, flags, phSession));
}

EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    NEEDS_LOCK(p11_session_close(hSession));
}

EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    NEEDS_LOCK(p11_session_close_slot(slotID));
}

EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession,
                              CK_SESSION_INFO_PTR pInfo)
{
    NEEDS_CARD(hSession, p11_session_info(s, pInfo));
}

EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                     CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    NEEDS_CARD(hSession, p11_login(s, userType, pPin, ulPinLen));
}

EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    NEEDS_CARD(hSession, p11_logout(s));
}

EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
                      CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
                      CK_ULONG ulNewLen)
{
    NEEDS_CARD(hSession, p11_set_pin(s, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

/* ---- objects ------------------------------------------------------------ */

EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession,
                                 CK_OBJECT_HANDLE hObject,
                                 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    NEEDS_SESSION(hSession, p11_object_attrs(s, hObject, pTemplate, ulCount));
}

EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession,
                             CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    NEEDS_SESSION(hSession, p11_object_size(s, hObject, pulSize));
}

EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession,
                               CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    NEEDS_CARD(hSession, p11_find_init(s, pTemplate, ulCount));
}

EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession,
                           CK_OBJECT_HANDLE_PTR phObject,
                           CK_ULONG ulMaxObjectCount,
                           CK_ULONG_PTR pulObjectCount)
{
    NEEDS_SESSION(hSession,
                  p11_find(s, phObject, ulMaxObjectCount, pulObjectCount));
}

EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    NEEDS_SESSION(hSession, p11_find_final(s));
}

/* ---- signing (by the card) and verifying (on the host) ------------------ */

EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession,
                        CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    NEEDS_CARD(hSession, p11_sign_init(s, pMechanism, hKey));
}

EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    NEEDS_CARD(hSession,
               p11_sign(s, pData, ulDataLen, pSignature, pulSignatureLen));
}

EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                          CK_ULONG ulPartLen)
{
    NEEDS_SESSION(hSession, p11_sign_update(s, pPart, ulPartLen));
}

EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                         CK_ULONG_PTR pulSignatureLen)
{
    NEEDS_CARD(hSession, p11_sign_final(s, pSignature, pulSignatureLen));
}

EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    NEEDS_SESSION(hSession, p11_verify_init(s, pMechanism, hKey));
}

EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                      CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
    NEEDS_SESSION(hSession,
                  p11_verify(s, pData, ulDataLen, pSignature, ulSignatureLen));
}

EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                            CK_ULONG ulPartLen)
{
    NEEDS_SESSION(hSession, p11_verify_update(s, pPart, ulPartLen));
}

EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                           CK_ULONG ulSignatureLen)
{
    NEEDS_SESSION(hSession, p11_verify_final(s, pSignature, ulSignatureLen));
}

/* ---- random numbers ----------------------------------------------------- */

/* The card has no documented random number generator (no GET CHALLENGE in
 * what is known of it): say so the way the specification asks, once the
 * session is known. A NULL buffer is refused before anything else. */
EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
                          CK_ULONG ulSeedLen)
{
    ARGS_FIRST(pSeed != NULL);
    NEEDS_SESSION(hSession, CKR_RANDOM_NO_RNG);
}

EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession,
                              CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
    ARGS_FIRST(RandomData != NULL);
    NEEDS_SESSION(hSession, CKR_RANDOM_NO_RNG);
}
