/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unsupported.c - entry points for what the card cannot do: no key
 * generation, no objects created or changed, no encryption or decryption
 * (the card has no such command), no digests (the host has its own), no
 * token or PIN initialization, no saved operation state.
 */
#include "pkcs11/entry.h"

/* Cards are personalized by J-LIS; nobody here can initialize one. */
EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
                         CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
    NOT_SUPPORTED();
}

/* Needs the SO, and the card has none: PINs are reset at a municipal
 * office. */
EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
                       CK_ULONG ulPinLen)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession,
                                 CK_BYTE_PTR pOperationState,
                                 CK_ULONG_PTR pulOperationStateLen)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession,
                                 CK_BYTE_PTR pOperationState,
                                 CK_ULONG ulOperationStateLen,
                                 CK_OBJECT_HANDLE hEncryptionKey,
                                 CK_OBJECT_HANDLE hAuthenticationKey)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR templ,
                            CK_ULONG count, CK_OBJECT_HANDLE_PTR object)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                          CK_ATTRIBUTE_PTR templ, CK_ULONG count,
                          CK_OBJECT_HANDLE_PTR new_object)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE session,
                             CK_OBJECT_HANDLE object)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE session,
                                 CK_OBJECT_HANDLE object,
                                 CK_ATTRIBUTE_PTR templ, CK_ULONG count)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                       CK_ULONG data_len, CK_BYTE_PTR encrypted_data,
                       CK_ULONG_PTR encrypted_data_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                             CK_ULONG part_len, CK_BYTE_PTR encrypted_part,
                             CK_ULONG_PTR encrypted_part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE session,
                            CK_BYTE_PTR last_encrypted_part,
                            CK_ULONG_PTR last_encrypted_part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR encrypted_data,
                       CK_ULONG encrypted_data_len, CK_BYTE_PTR data,
                       CK_ULONG_PTR data_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE session,
                             CK_BYTE_PTR encrypted_part,
                             CK_ULONG encrypted_part_len, CK_BYTE_PTR part,
                             CK_ULONG_PTR part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR last_part,
                            CK_ULONG_PTR last_part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE session,
                          CK_MECHANISM_PTR mechanism)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_Digest(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                      CK_ULONG data_len, CK_BYTE_PTR digest,
                      CK_ULONG_PTR digest_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                            CK_ULONG part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR digest,
                           CK_ULONG_PTR digest_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignRecoverInit(CK_SESSION_HANDLE session,
                               CK_MECHANISM_PTR mechanism,
                               CK_OBJECT_HANDLE key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                           CK_ULONG data_len, CK_BYTE_PTR signature,
                           CK_ULONG_PTR signature_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE session,
                                 CK_MECHANISM_PTR mechanism,
                                 CK_OBJECT_HANDLE key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_VerifyRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR signature,
                             CK_ULONG signature_len, CK_BYTE_PTR data,
                             CK_ULONG_PTR data_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                                   CK_ULONG part_len,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG_PTR encrypted_part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE session,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG encrypted_part_len,
                                   CK_BYTE_PTR part, CK_ULONG_PTR part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                                 CK_ULONG part_len, CK_BYTE_PTR encrypted_part,
                                 CK_ULONG_PTR encrypted_part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE session,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG encrypted_part_len,
                                   CK_BYTE_PTR part, CK_ULONG_PTR part_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR templ,
                           CK_ULONG count, CK_OBJECT_HANDLE_PTR key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE session,
                               CK_MECHANISM_PTR mechanism,
                               CK_ATTRIBUTE_PTR public_key_template,
                               CK_ULONG public_key_attribute_count,
                               CK_ATTRIBUTE_PTR private_key_template,
                               CK_ULONG private_key_attribute_count,
                               CK_OBJECT_HANDLE_PTR public_key,
                               CK_OBJECT_HANDLE_PTR private_key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                       CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key,
                       CK_BYTE_PTR wrapped_key, CK_ULONG_PTR wrapped_key_len)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                         CK_OBJECT_HANDLE unwrapping_key,
                         CK_BYTE_PTR wrapped_key, CK_ULONG wrapped_key_len,
                         CK_ATTRIBUTE_PTR templ, CK_ULONG attribute_count,
                         CK_OBJECT_HANDLE_PTR key)
{
    NOT_SUPPORTED();
}

EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                         CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE_PTR templ,
                         CK_ULONG attribute_count, CK_OBJECT_HANDLE_PTR key)
{
    NOT_SUPPORTED();
}
