/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sign_scheme.h - the signature schemes of COMPUTE DIGITAL SIGNATURE
 * (80 2A P1 P2), picked by P1 (docs/card.md). Private to src/emu.
 */
#ifndef JPKI_EMU_SIGN_SCHEME_H
#define JPKI_EMU_SIGN_SCHEME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* P1 00..05; emu_stats counts signatures per scheme in this order. */
#define EMU_SCHEMES 6

/* 1 if the card knows scheme p1: all six, or P1 00 alone on a card made
 * with "emu init --sign-schemes v15-only". */
int emu_scheme_known(unsigned p1, int v15_only);

/* 1 if scheme p1 takes len data bytes with a key of k bytes: P1 00 1 to
 * k - 11 (a DigestInfo), 02 and 04 exactly 32 (a SHA-256 hash), the
 * hashing schemes 01, 03 and 05 any length a short APDU carries. The card
 * answers anything else with 6700. */
int emu_scheme_len_ok(unsigned p1, size_t len, size_t k);

/* Signs in[0..len) with key as scheme p1 (known) says. Returns 0x9000 with
 * the signature in sig (*sig_len: capacity in, length out), 0x6700 for a
 * length emu_scheme_len_ok refuses, 0x6F00 if the computation failed. */
uint16_t emu_scheme_sign(EVP_PKEY *key, unsigned p1, const uint8_t *in,
                         size_t len, uint8_t *sig, size_t *sig_len);

#endif
