/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jpki.h - the JPKI layer: the JPKI-AP protocol of the My Number Card and
 * the certificate model. Knows file ids, PIN rules and status words
 * (docs/card.md); knows nothing about PKCS#11.
 */
#ifndef JPKI_JPKI_H
#define JPKI_JPKI_H

#include <stddef.h>
#include <stdint.h>

#include "reader/reader.h"
#include "common/pin_rules.h"

typedef enum {
    JPKI_OK = 0,
    JPKI_ERR_ARGS,
    JPKI_ERR_MEMORY,
    JPKI_ERR_NO_CARD,       /* no card in the reader */
    JPKI_ERR_NOT_JPKI,      /* a card without the JPKI-AP */
    JPKI_ERR_REMOVED,       /* the card went away */
    JPKI_ERR_COMM,          /* transport failure */
    JPKI_ERR_BUSY,          /* card held exclusively by another program */
    JPKI_ERR_PIN_FORMAT,    /* a PIN that cannot be right: never sent */
    JPKI_ERR_PIN_INCORRECT, /* 63Cx, x > 0 */
    JPKI_ERR_PIN_LOCKED,    /* 6983, or 63C0 */
    JPKI_ERR_SECURITY,      /* 6982: the PIN is not verified (any more) */
    JPKI_ERR_NOT_FOUND,     /* 6A82, or an empty file */
    JPKI_ERR_CARD,          /* an unexpected status word */
    JPKI_ERR_BAD_DATA,      /* malformed data from the card or caller */
    JPKI_ERR_PIN_CANCELED,  /* PIN pad: the holder cancelled (6401) or did
                              * not type in time (6400); no try spent */
    JPKI_ERR_UNSUPPORTED,   /* the card does not know the command or scheme
                              * (6A86, 6A81, 6D00); nothing happened on it */
} jpki_rv;

/* The two key/PIN pairs of the JPKI-AP. */
typedef enum {
    JPKI_AUTH = 0, /* user authentication: 4-digit PIN, 3 tries */
    JPKI_SIGN = 1, /* digital signature: 6-16 of A-Z 0-9, 5 tries */
} jpki_key;

/* 1 if key is one of the two (any other value is a caller's mistake). */
static inline int jpki_key_valid(jpki_key key)
{
    return key == JPKI_AUTH || key == JPKI_SIGN;
}

const char *jpki_strerror(jpki_rv rv);

/* ---- PIN rules (host side, before anything reaches the card) ---------- */
#define JPKI_AUTH_PIN_LEN PIN_RULES_AUTH_LEN
#define JPKI_SIGN_PIN_MIN PIN_RULES_SIGN_MIN
#define JPKI_SIGN_PIN_MAX PIN_RULES_SIGN_MAX

/* JPKI_OK if pin can be a PIN of that key, else JPKI_ERR_PIN_FORMAT. */
jpki_rv jpki_pin_check(jpki_key key, const char *pin, size_t len);
/* Room for any PIN and its NUL. */
#define JPKI_PIN_BUF (JPKI_SIGN_PIN_MAX + 1)
/* Copies pin to out as the card wants it (the signature PIN upper-cased:
 * the card holds upper case only) and checks it with jpki_pin_check. The
 * caller wipes out. jpki_card_verify_pin and jpki_card_change_pin do this
 * themselves. */
jpki_rv jpki_pin_normalize(jpki_key key, const char *pin, size_t len,
                           char out[JPKI_PIN_BUF]);
int jpki_pin_max_tries(jpki_key key);
size_t jpki_pin_min_len(jpki_key key);
size_t jpki_pin_max_len(jpki_key key);

/* ---- the card (card.c) -------------------------------------------------- */
typedef struct jpki_card jpki_card;

/* Connects to the card in r and selects the JPKI-AP. JPKI_ERR_NOT_JPKI for
 * any other card, JPKI_ERR_NO_CARD for an empty reader. r stays owned by
 * the caller and must outlive the jpki_card. */
jpki_rv jpki_card_open(reader *r, jpki_card **out);
void jpki_card_close(jpki_card *c);

/* Groups several operations into one reader transaction (nestable). Each
 * operation below also opens its own. */
jpki_rv jpki_card_begin(jpki_card *c);
void jpki_card_end(jpki_card *c);

/* Counts the times the card lost its security state behind our back
 * (reset, another application selected by another program). A caller that
 * remembers the value sees when its logins are gone. */
unsigned long jpki_card_resets(const jpki_card *c);

/* Token kind from EF 0006: a card, or a smartphone's secure element. */
int jpki_card_is_smartphone(const jpki_card *c);

/* The manufacturing serial (13 characters: characters [2, 15) of the
 * record's TLV value) from the serial-number application, or NULL. Read
 * at open only where no free certificate can tell cards apart (a
 * smartphone token), and only when that disturbs no login (card.c). */
#define JPKI_SERIAL_LEN 13
const char *jpki_card_serial(const jpki_card *c);
/* Process-wide: read the serial at open on cards too (same rule: only when
 * no login is lost). jpki-tool status tells a renewal by it; the module
 * never asks (two more APDUs per open). */
void jpki_card_want_serial(int on);

/* A card id for token serial numbers: 16 hex digits, stable for a card,
 * different between cards, no personal data. A hash of the authentication
 * certificate's issuer and serial number (only the first READ BINARY of
 * that certificate is needed, or nothing when cached), or on a smartphone
 * of the chip's serial. JPKI_ERR_NOT_FOUND if neither can be had. */
jpki_rv jpki_card_id(jpki_card *c, char out[17]);

/* Reads the key's certificate (ca = 0) or its CA certificate (ca = 1).
 * *der is malloc'd; the caller frees it (and wipes it, for the signature
 * certificate: personal data). JPKI_ERR_SECURITY if the PIN is needed. */
jpki_rv jpki_card_read_cert(jpki_card *c, jpki_key key, int ca, uint8_t **der,
                            size_t *len);

/* Retry counter without spending a try. 0 means locked. A counter read
 * from the card, or learnt from our own VERIFY, is believed for the card's
 * PIN status TTL (pin.c says why) unless the card was reset meanwhile. */
jpki_rv jpki_card_pin_status(jpki_card *c, jpki_key key, int *tries_left);
#define JPKI_PIN_STATUS_TTL_MS 1000u
/* Sets that TTL in milliseconds; 0: ask the card every time. */
void jpki_card_set_pin_status_ttl(jpki_card *c, unsigned ms);
/* The TTL cards get when opened (JPKI_PIN_STATUS_TTL_MS). Test hook: a
 * test that counts APDUs sets it so timing cannot change the count. */
extern unsigned jpki_pin_status_ttl_default;

/* Verifies a PIN. A PIN that breaks the rules is refused on the host; a
 * locked PIN is never sent. *tries_left (may be NULL) after the attempt,
 * -1 when unknown. */
jpki_rv jpki_card_verify_pin(jpki_card *c, jpki_key key, const char *pin,
                             size_t len, int *tries_left);

/* Is the card in a reader with a PIN pad? */
int jpki_card_has_pinpad(const jpki_card *c);
/* Verifies a PIN typed on the reader's PIN pad (never seen by the host).
 * A locked PIN is not asked for. */
jpki_rv jpki_card_verify_pinpad(jpki_card *c, jpki_key key, int *tries_left);

/* Can PINs be changed on the reader's PIN pad (both typed there)? */
int jpki_card_has_pinpad_modify(const jpki_card *c);
/* Changes a PIN on the PIN pad: VERIFY with the old PIN typed there, then
 * CHANGE REFERENCE DATA whose new PIN the holder types twice there; the
 * host never sees either. JPKI_ERR_PIN_FORMAT when the card refuses the new
 * PIN (6A80). A locked PIN is not asked for. */
jpki_rv jpki_card_change_pin_pinpad(jpki_card *c, jpki_key key,
                                    int *tries_left);

/* Changes a PIN: VERIFY with the old PIN, then CHANGE REFERENCE DATA on the
 * same PIN file, in one transaction. Both PINs are checked on the host
 * first (JPKI_ERR_PIN_FORMAT: nothing sent). Afterwards the PIN is verified
 * on the card. */
jpki_rv jpki_card_change_pin(jpki_card *c, jpki_key key, const char *old_pin,
                             size_t old_len, const char *new_pin,
                             size_t new_len, int *tries_left);

/* Signature schemes: P1 of the signature command (docs/card.md). The card
 * knows 01-03 and 05 as well (it hashes, or wraps a bare hash); the module
 * needs these two. */
typedef enum {
    JPKI_SCHEME_PKCS1 = 0x00,      /* PKCS#1 v1.5 over the DigestInfo given */
    JPKI_SCHEME_PSS_SHA256 = 0x04, /* RSASSA-PSS over a 32-byte SHA-256
                                    * hash: MGF1-SHA-256, 32-byte salt */
} jpki_scheme;
#define JPKI_SHA256_LEN 32

/* Does the card carry the key's certificate (EF 0008, read once and
 * cached)? A card without the file counts as carrying both. *present 1 or
 * 0; an error only when the card could not be asked (removed, busy). */
jpki_rv jpki_card_has_cert(jpki_card *c, jpki_key key, int *present);

/* Facts learnt about a card by using it (cardfacts.c), remembered with its
 * cached files so a later process does not try again what failed. */
#define JPKI_FACT_NO_SFI 0x1u /* refuses P2 = 80|SFI in the signature */
#define JPKI_FACT_NO_PSS 0x2u /* refuses P1 04 (RSA-PSS) in the signature */
int jpki_card_knows(jpki_card *c, unsigned fact);
void jpki_card_learn(jpki_card *c, unsigned fact);

/* Signs in with the key as scheme says (the card pads). The key is named
 * by its short EF identifier in P2 (no SELECT); a card that refuses that
 * form is asked again with the key EF selected and P2 80, and this is
 * remembered for it (JPKI_FACT_NO_SFI). A card that refuses the PSS scheme
 * (JPKI_ERR_UNSUPPORTED; no PIN try is involved and the login stays) is
 * remembered (JPKI_FACT_NO_PSS) and not asked again. *sig_len in: capacity
 * of sig, out: signature length. */
jpki_rv jpki_card_sign(jpki_card *c, jpki_key key, jpki_scheme scheme,
                       const uint8_t *in, size_t in_len, uint8_t *sig,
                       size_t *sig_len);

/* Clears the card's security state (both PINs) with a warm reset through
 * the reader (a re-select of the AP only if the reader cannot reset). */
jpki_rv jpki_card_logout(jpki_card *c);

/* ---- certificates (cert.c) --------------------------------------------- */
typedef enum { JPKI_KEYTYPE_RSA = 1, JPKI_KEYTYPE_EC = 2 } jpki_keytype;

typedef struct {
    uint8_t *p;
    size_t len;
} jpki_buf;

/* Everything a consumer needs about a certificate, as DER pieces. */
typedef struct {
    jpki_buf der;     /* the whole certificate */
    jpki_buf subject; /* Name */
    jpki_buf issuer;  /* Name */
    jpki_buf serial;  /* INTEGER, tag and length included */
    jpki_buf spki;    /* SubjectPublicKeyInfo */
    jpki_keytype key_type;
    unsigned key_bits;
    jpki_buf modulus;   /* RSA: big-endian, no leading zero */
    jpki_buf exponent;  /* RSA */
    jpki_buf ec_params; /* EC: the curve, DER (named curve OID) */
    jpki_buf ec_point;  /* EC: the point as a DER OCTET STRING */
    char not_before[9]; /* YYYYMMDD (UTC), "" if unknown */
    char not_after[9];
} jpki_cert;

jpki_rv jpki_cert_parse(const uint8_t *der, size_t len, jpki_cert **out);
/* Frees the certificate and wipes its buffers. */
void jpki_cert_free(jpki_cert *c);
/* Largest input the key can sign in one RSA PKCS#1 v1.5 block (k - 11). */
size_t jpki_cert_max_sign_input(const jpki_cert *c);
/* Length of a signature by the certificate's key. */
size_t jpki_cert_signature_len(const jpki_cert *c);

#endif
