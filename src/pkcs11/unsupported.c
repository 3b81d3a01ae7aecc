/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unsupported.c - entry points for what the card cannot do: no key
 * generation, no objects created or changed, no encryption or decryption
 * (the card has no such command), no digests (the host has its own).
 */
#include "pkcs11/p11.h"

#define EXPORT __attribute__((visibility("default")))

static CK_RV unsupported(void)
{
    return p11_is_initialized() ? CKR_FUNCTION_NOT_SUPPORTED
                                : CKR_CRYPTOKI_NOT_INITIALIZED;
}

EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR templ,
                            CK_ULONG count, CK_OBJECT_HANDLE_PTR object)
{
    return unsupported();
}

EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                          CK_ATTRIBUTE_PTR templ, CK_ULONG count,
                          CK_OBJECT_HANDLE_PTR new_object)
{
    return unsupported();
}

EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE session,
                             CK_OBJECT_HANDLE object)
{
    return unsupported();
}

EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE session,
                                 CK_OBJECT_HANDLE object,
                                 CK_ATTRIBUTE_PTR templ, CK_ULONG count)
{
    return unsupported();
}

EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key)
{
    return unsupported();
}

EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                       CK_ULONG data_len, CK_BYTE_PTR encrypted_data,
                       CK_ULONG_PTR encrypted_data_len)
{
    return unsupported();
}

EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                             CK_ULONG part_len, CK_BYTE_PTR encrypted_part,
                             CK_ULONG_PTR encrypted_part_len)
{
    return unsupported();
}

EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE session,
                            CK_BYTE_PTR last_encrypted_part,
                            CK_ULONG_PTR last_encrypted_part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key)
{
    return unsupported();
}

EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR encrypted_data,
                       CK_ULONG encrypted_data_len, CK_BYTE_PTR data,
                       CK_ULONG_PTR data_len)
{
    return unsupported();
}

EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE session,
                             CK_BYTE_PTR encrypted_part,
                             CK_ULONG encrypted_part_len, CK_BYTE_PTR part,
                             CK_ULONG_PTR part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR last_part,
                            CK_ULONG_PTR last_part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE session,
                          CK_MECHANISM_PTR mechanism)
{
    return unsupported();
}

EXPORT CK_RV C_Digest(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                      CK_ULONG data_len, CK_BYTE_PTR digest,
                      CK_ULONG_PTR digest_len)
{
    return unsupported();
}

EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                            CK_ULONG part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)
{
    return unsupported();
}

EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR digest,
                           CK_ULONG_PTR digest_len)
{
    return unsupported();
}

EXPORT CK_RV C_SignRecoverInit(CK_SESSION_HANDLE session,
                               CK_MECHANISM_PTR mechanism,
                               CK_OBJECT_HANDLE key)
{
    return unsupported();
}

EXPORT CK_RV C_SignRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR data,
                           CK_ULONG data_len, CK_BYTE_PTR signature,
                           CK_ULONG_PTR signature_len)
{
    return unsupported();
}

EXPORT CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE session,
                                 CK_MECHANISM_PTR mechanism,
                                 CK_OBJECT_HANDLE key)
{
    return unsupported();
}

EXPORT CK_RV C_VerifyRecover(CK_SESSION_HANDLE session, CK_BYTE_PTR signature,
                             CK_ULONG signature_len, CK_BYTE_PTR data,
                             CK_ULONG_PTR data_len)
{
    return unsupported();
}

EXPORT CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                                   CK_ULONG part_len,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG_PTR encrypted_part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE session,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG encrypted_part_len,
                                   CK_BYTE_PTR part, CK_ULONG_PTR part_len)
{
    return unsupported();
}

EXPORT CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
                                 CK_ULONG part_len, CK_BYTE_PTR encrypted_part,
                                 CK_ULONG_PTR encrypted_part_len)
{
    return unsupported();
}

EXPORT CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE session,
                                   CK_BYTE_PTR encrypted_part,
                                   CK_ULONG encrypted_part_len,
                                   CK_BYTE_PTR part, CK_ULONG_PTR part_len)
{
    return unsupported();
}

EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE session,
                           CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR templ,
                           CK_ULONG count, CK_OBJECT_HANDLE_PTR key)
{
    return unsupported();
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
    return unsupported();
}

EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                       CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key,
                       CK_BYTE_PTR wrapped_key, CK_ULONG_PTR wrapped_key_len)
{
    return unsupported();
}

EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                         CK_OBJECT_HANDLE unwrapping_key,
                         CK_BYTE_PTR wrapped_key, CK_ULONG wrapped_key_len,
                         CK_ATTRIBUTE_PTR templ, CK_ULONG attribute_count,
                         CK_OBJECT_HANDLE_PTR key)
{
    return unsupported();
}

EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                         CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE_PTR templ,
                         CK_ULONG attribute_count, CK_OBJECT_HANDLE_PTR key)
{
    return unsupported();
}
