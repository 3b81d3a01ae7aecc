/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image.h - the emulator's card image file (private to src/emu).
 *
 * An emu_image is everything a card remembers across power cycles: the two
 * PINs with their retry counters, the two private keys, the four
 * certificates, the token-info variant and the behaviour switches. The
 * mutable part (PINs and counters) is kept in its own struct so the card
 * model can prepare a change, save it, and only then adopt it.
 */
#ifndef JPKI_EMU_IMAGE_H
#define JPKI_EMU_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "common/fileutil.h"
#include "common/pin_rules.h"
#include "emu.h"

#define EMU_IMAGE_VERSION 4
#define EMU_IMAGE_MAGIC "JPKI-EMU-CARD "

/* PIN objects: index into the pins/tries arrays. The card-info AP's PIN
 * has no value of its own here (it checks the auth PIN's value), only its
 * own counter, so it is outside EMU_PIN_COUNT (the JPKI PINs and keys). */
enum { EMU_PIN_AUTH = 0, EMU_PIN_SIGN = 1, EMU_PIN_COUNT = 2 };
#define EMU_PIN_INFO 2
#define EMU_PIN_OBJECTS 3
#define EMU_AUTH_PIN_TRIES PIN_RULES_AUTH_TRIES
#define EMU_SIGN_PIN_TRIES PIN_RULES_SIGN_TRIES
#define EMU_INFO_PIN_TRIES 3
#define EMU_PIN_MAX_LEN PIN_RULES_SIGN_MAX

/* Data files with content, in image order. */
enum {
    EMU_FILE_AUTH_CERT = 0,
    EMU_FILE_AUTH_CA,
    EMU_FILE_SIGN_CERT,
    EMU_FILE_SIGN_CA,
    EMU_FILE_COUNT
};
/* READ BINARY offsets are 15 bits, so no file can be longer. */
#define EMU_FILE_MAX 0x7FFF

/* EF 0006 is a serialised CK_TOKEN_INFO (160 bytes) whose first 0x20
 * bytes are the label, the text that tells the token kinds apart. */
#define EMU_TOKEN_INFO_LEN 0x20
#define EMU_TOKEN_INFO_EF_LEN 160
#define EMU_TOKEN_INFO_CARD EMU_TOKEN_MYNUMBER

/* EF 0008: which certificates the card carries (docs/card.md). */
#define EMU_EF0008_LEN 3
#define EMU_CERT_PRESENT 0x8F

/* The card's manufacturing serial (serial AP); format 1 and 2 images kept
 * 14 characters, of which the first 13 are the serial. */
#define EMU_SERIAL_LEN 13
#define EMU_SERIAL_LEN_V2 14
#define EMU_NUMBER_LEN 12
#define EMU_NAME_MAX 256 /* bytes of UTF-8 */
#define EMU_ADDRESS_MAX 512
#define EMU_BIRTH_LEN 8 /* YYYYMMDD */

/* The persistent, changeable part of a card. */
typedef struct {
    char pin[EMU_PIN_COUNT][EMU_PIN_MAX_LEN + 1];
    unsigned tries[EMU_PIN_OBJECTS]; /* tries left; 0 = blocked */
} emu_pin_state;

/* The card holder as the card-info AP tells it (dummy data). */
typedef struct {
    char number[EMU_NUMBER_LEN + 1]; /* individual number, 12 digits */
    char name[EMU_NAME_MAX + 1];
    char address[EMU_ADDRESS_MAX + 1];
    char birth[EMU_BIRTH_LEN + 1];
    char sex[2]; /* "1", "2" or "3" */
} emu_holder;

typedef struct {
    unsigned version;
    emu_pin_state pins;
    EVP_PKEY *key[EMU_PIN_COUNT];    /* auth key, sign key */
    uint8_t *key_der[EMU_PIN_COUNT]; /* PKCS#8 DER, as stored */
    size_t key_der_len[EMU_PIN_COUNT];
    uint8_t *file[EMU_FILE_COUNT]; /* DER certificates; CA ones may be NULL */
    size_t file_len[EMU_FILE_COUNT];
    char token_info[EMU_TOKEN_INFO_LEN + 1]; /* variant, without padding */
    uint16_t blocked_sw; /* VERIFY of a blocked PIN (formats 1-2: 6983) */
    uint16_t blocked_query_sw; /* retry query of a blocked PIN (formats 1-2:
                                * 63C0 if blocked_status_63c0, else 6983) */
    int sign_pin_single_use; /* a signature with the sign key spends its VERIFY */
    int pinpad; /* in a PIN-pad reader (format 2; 1: absent = 0) */
    char serial[EMU_SERIAL_LEN + 1]; /* serial AP (format 1: derived) */
    emu_holder holder;               /* card-info AP (format 1: defaults) */
    /* Format 3 (older images: the values in brackets, today's behaviour). */
    int reselect_keeps_pins;     /* re-SELECT of the current JPKI-AP keeps the
                                * verified PINs [0: clears them] */
    uint16_t unverified_sign_sw; /* signature without its PIN [6982] */
    int select_fci;              /* SELECT by AID with P2=00 answers an FCI
                                * [0: 6A86] */
    int serial_ap;               /* the serial-number AP exists [1] */
    /* Format 4 (older images: the values in brackets). */
    int sign_sfi; /* the signature command takes P2 = 80|SFI [1] */
    uint8_t ef0008[EMU_EF0008_LEN]; /* EF 0008; byte 0 (signature) or 1
                                     * (authentication) not 8F: that
                                     * certificate, its key and its PIN
                                     * are absent [8F 8F 00] */
    int sign_v15_only; /* signature command: P1 00 only, 6A86 for 01-05 [0] */
    int ec_sig_der;    /* an EC card's signature answers DER, not r||s [0] */
} emu_image;

unsigned emu_pin_max_tries(int which);

/* The card's PIN rules (common/pin_rules.h): auth exactly 4 digits; sign
 * (and any other which) 6-16 of A-Z and 0-9. */
int emu_pin_valid(int which, const uint8_t *pin, size_t len);

/* Load and validate an image; on failure img is left cleared and err says
 * which file and what is wrong. */
emu_rv emu_image_load(const char *path, emu_image *img, fu_ident *id,
                      char *err, size_t errlen);
/* Parse the len bytes of an image file at buf (path: for messages) into
 * img, which must start cleared; on failure img may hold part of it (the
 * caller clears it). */
emu_rv emu_image_parse(const char *path, const char *buf, size_t len,
                       emu_image *img, char *err, size_t errlen);

/* Save img with pins in place of img->pins, atomically (temp file, fsync,
 * rename, fsync of the directory). img->pins itself is not touched. */
emu_rv emu_image_save(const char *path, const emu_image *img,
                      const emu_pin_state *pins, fu_ident *id, char *err,
                      size_t errlen);

/* 1 if the file at path is no longer the one described by id (or is gone). */
int emu_image_changed(const char *path, const fu_ident *id);

/* Field names of the four certificate files, in image order. */
extern const char *const emu_image_file_keys[EMU_FILE_COUNT];

/* Store a key (takes a reference) with its PKCS#8 encoding. */
emu_rv emu_image_set_key(emu_image *img, int which, EVP_PKEY *key);

void emu_image_clear(emu_image *img);

/* Open and flock(LOCK_EX) "<path>.lock"; *fd is reused if already open. */
emu_rv emu_image_lock(const char *path, int *fd);
void emu_image_unlock(int fd);

#endif
