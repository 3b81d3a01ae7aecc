/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * emu_helpers.h - helpers shared by the card emulator's unit tests
 * (test_emu.c, test_emu_image.c). Every test runs on a private copy of the
 * personalized template card, loaded into the global card by the fixture.
 */
#ifndef JPKI_TESTS_EMU_HELPERS_H
#define JPKI_TESTS_EMU_HELPERS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "emu/emu.h"

/* A command APDU given as bytes: expands to the array and its length. */
#define APDU(...)                                                             \
    (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
/* SELECT of the JPKI-AP by its AID (P2=0C: no response data). */
#define SELECT_JPKI                                                           \
    APDU(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01,    \
         0x00, 0x00, 0x00, 0x01)

/* Path of the current test's private card image (set by setup()). */
extern char path[4096];
/* The card loaded from path by setup(), freed by teardown(). */
extern emu_card *card;

/* Fixture: copy the template card to path and load it into card. */
void setup(void);
/* Fixture: free card and remove the image copy. */
void teardown(void);

/* Send a command to c; returns SW1SW2, data in data[] if given. */
unsigned txc(emu_card *c, const uint8_t *cmd, size_t len, uint8_t *data,
             size_t *dlen);
/* Send a command to the global card; returns SW1SW2. */
unsigned tx(const uint8_t *cmd, size_t len);
/* SELECT EF fid on card c; returns SW1SW2. */
unsigned select_ef_on(emu_card *c, uint16_t fid);
/* SELECT EF fid on the global card; returns SW1SW2. */
unsigned select_ef(uint16_t fid);
/* SELECT of the JPKI-AP, then of its EF fid, on the global card; both
 * must answer 9000. */
void select_in_ap(uint16_t fid);
/* VERIFY pin against the selected PIN EF of card c; returns SW1SW2. */
unsigned verify_on(emu_card *c, const char *pin);
/* VERIFY pin on the global card; returns SW1SW2. */
unsigned verify(const char *pin);
/* VERIFY with no data (retry counter query) on card c; returns SW1SW2. */
unsigned query_on(emu_card *c);
/* CHANGE REFERENCE DATA to pin on the global card; returns SW1SW2. */
unsigned change_pin(const char *pin);
/* READ BINARY in 256-byte chunks until the card says 6B00 or runs short. */
unsigned read_file(uint16_t fid, uint8_t *buf, size_t max, size_t *len);
/* Read EF fid and parse it as one DER certificate (caller frees). */
X509 *read_cert(uint16_t fid);
/* DigestInfo of SHA-256(msg) into out; returns its length. */
size_t digest_info(const char *msg, uint8_t *out);
/* COMPUTE DIGITAL SIGNATURE over data (with an Le byte if with_le). */
unsigned sign_data(const uint8_t *data, size_t len, int with_le, uint8_t *sig,
                   size_t *siglen);
/* Sign msg with EF key_fid and verify it with the cert in EF cert_fid. */
void sign_and_check(uint16_t key_fid, uint16_t cert_fid, const char *msg);
/* Read file p whole into a NUL-terminated malloc'd buffer (caller frees). */
char *slurp(const char *p, size_t *len);
/* Replace file p with buf through a rename, as the emulator saves. */
void spit(const char *p, const char *buf, size_t len);
/* Appends the image's checksum line to text (room for 72 more bytes
 * needed) and writes it to p: an edited image that still loads. */
void spit_signed(const char *p, char *text, size_t len);
/* Set field key to value (appended if absent) and recompute the checksum. */
void rewrite_field(const char *p, const char *key, const char *value);
/* Value of field key in image p, malloc'd (caller frees). */
char *get_field(const char *p, const char *key);
/* Turn the format-4 image at p into format 1, 2 or 3 (what those formats
 * lack dropped, the blocked-PIN switch as format 2 had it, a 14-character
 * serial ending in Z, the JPKIAPICCTOKEN label). */
void make_old_image(const char *p, unsigned version);
/* The certificate <image p>.pki/<name> (PEM) of a card's test PKI. */
X509 *pem_cert(const char *p, const char *name);
/* The global card's counters and security state, and its persistent state. */
emu_stats stats(void);
emu_info info(void);
/* Reload the global card from its image (after a rewrite). */
void reload_card(void);
/* Load image p and free it again; checks the handle is NULL on failure. */
emu_rv load_err(const char *p, char *err, size_t errlen);
/* Check loading p fails with expect and a message naming p and what. */
void expect_load_error(const char *p, emu_rv expect, const char *what);
/* A TCase named name with the setup/teardown fixture and a long timeout. */
TCase *tcase(const char *name);
/* test_emu's PIN commands (test_emu_pins.c). */
TCase *emu_pins_tcase(void);

#endif
