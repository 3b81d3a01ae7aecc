/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ec_card.h - the ECDSA card generation (P-384): every guess about a card
 * nobody has seen yet, in one place, and the host's half of an ECDSA
 * signature (input shaping, answer decoding, verification).
 *
 * docs/card.md, "Assumptions for the ECDSA generation", lists each guess
 * with what would settle it. A guess is a constant or function named
 * JPKI_EC_GUESS_* / jpki_ec_guess_*; nothing outside ec_card.c repeats one.
 */
#ifndef JPKI_EC_CARD_H
#define JPKI_EC_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "jpki/jpki.h"

/* P-384: r and s are 48 bytes each; PKCS#11 returns r||s. */
#define JPKI_EC_SCALAR_LEN 48
#define JPKI_EC_SIG_LEN (2 * JPKI_EC_SCALAR_LEN)

/* GUESS: the EC card's signature command is today's COMPUTE DIGITAL
 * SIGNATURE (80 2A 00 80, key EF selected first), taking the bare hash,
 * exactly this many bytes (the size of SHA-384 and of the curve order). */
#define JPKI_EC_GUESS_SIGN_P1 0x00
#define JPKI_EC_GUESS_INPUT_LEN 48

/* GUESS: the JPKI application keeps today's AID on the EC card. A
 * different AID can be configured (ec_aid / JPKI_PKCS11_EC_AID, hex); it
 * is tried when the JPKI-AP's AID is not found. Returns the configured
 * AID's length (0: none) and copies it to aid (room for 16 bytes). */
size_t jpki_ec_guess_alt_aid(uint8_t aid[16]);
/* Set the alternative AID from hex ("D392F0..."; 5-16 bytes); NULL or ""
 * clears it. Returns 0, or -1 (and changes nothing) if hex is not such an
 * AID. */
int jpki_ec_set_alt_aid(const char *hex);

/* GUESS: the card answers either r||s (exactly 96 bytes) or a DER
 * ECDSA-Sig-Value; both are accepted. Decodes ans into r||s, strictly:
 * DER must be minimal, nothing may follow it, and r and s must lie in
 * [1, n-1]. An answer of 96 bytes that is also valid DER is ambiguous:
 * *alt then holds the other reading (and *n_alt = 1) for the caller to
 * settle by verification. Returns JPKI_OK or JPKI_ERR_BAD_DATA. */
jpki_rv jpki_ec_decode_sig(const uint8_t *ans, size_t len,
                           uint8_t rs[JPKI_EC_SIG_LEN],
                           uint8_t alt[JPKI_EC_SIG_LEN], int *n_alt);

/* The 48 bytes the card signs for a hash of any length, as ECDSA uses it:
 * the leftmost 48 bytes of a longer one, a shorter one left-padded with
 * zero bytes (the same integer). len 0 is JPKI_ERR_ARGS. */
jpki_rv jpki_ec_shape_hash(const uint8_t *hash, size_t len,
                           uint8_t out[JPKI_EC_GUESS_INPUT_LEN]);

/* 1 if rs (r||s) is a valid signature of the shaped hash by the key of
 * cert (an EC P-384 certificate), else 0. */
int jpki_ec_verify(const jpki_cert *cert,
                   const uint8_t hash[JPKI_EC_GUESS_INPUT_LEN],
                   const uint8_t rs[JPKI_EC_SIG_LEN]);

/* Sign hash (any length, shaped as above) with the card's key; rs receives
 * r||s, verified with cert (the key's certificate) before it is returned:
 * an answer that does not verify is JPKI_ERR_BAD_DATA. Errors otherwise as
 * jpki_card_sign. */
jpki_rv jpki_card_sign_ecdsa(jpki_card *c, jpki_key key, const jpki_cert *cert,
                             const uint8_t *hash, size_t hash_len,
                             uint8_t rs[JPKI_EC_SIG_LEN]);

#endif
