/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check test programs. */
#ifndef JPKI_TESTUTIL_H
#define JPKI_TESTUTIL_H

#include <stddef.h>

/* A fresh private copy of a test card image, made with the default PINs
 * (auth 1234, sign ABC123); an ECDSA P-384 card if the environment has
 * JPKI_TEST_CARD_KEY=ec-p384. The template card is personalized once per test
 * process (in a temporary directory removed at exit); every call copies it,
 * so each test starts from full retry counters. Writes the image path into
 * buf and returns 0, or returns -1 (and prints why) on failure. */
int tu_card_copy(char *buf, size_t buflen);

/* Remove a card image made by tu_card_copy (and nothing else). */
void tu_card_remove(const char *path);

/* Sets the field key of a card image to value (a switch such as
 * "sign_v15_only 1") and re-seals the image's checksum. Returns 0, or -1
 * (and prints why). */
int tu_card_set(const char *path, const char *key, const char *value);

/* 1 if sig (len bytes) is the card's RSA-PSS of the 32-byte hash under
 * pub (an EVP_PKEY *): SHA-256, MGF1-SHA-256, a salt of exactly 32 bytes,
 * checked by OpenSSL. */
int tu_rsa_pss_ok(void *pub, const unsigned char *hash,
                  const unsigned char *sig, size_t len);

/* Directory of the template card's test PKI ("<template image>.pki"), or
 * NULL. */
const char *tu_template_pki_dir(void);

/* 1 if sig is an RSA-SHA256 PKCS#1 v1.5 signature over msg by the key of
 * the DER certificate cert (OpenSSL's ordinary verification), else 0. */
int tu_verify_sha256(const unsigned char *cert, size_t cert_len,
                     const void *msg, size_t msg_len, const unsigned char *sig,
                     size_t sig_len);

/* Lines of the text file path (an emulator's APDU log) that contain a and
 * also b (b may be NULL); 0 if the file cannot be read. */
int tu_log_count(const char *path, const char *a, const char *b);

#endif
