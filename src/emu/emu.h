/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * emu.h - public interface of the bundled JPKI card emulator.
 *
 * The emulator is a card: it takes command APDUs and answers response APDUs
 * exactly as the My Number Card's JPKI-AP does (docs/card.md). Its state
 * (keys, certificates, PINs, retry counters, behaviour switches) lives in a
 * card image file that is saved atomically on every change, so a spent PIN
 * try survives any crash.
 *
 * Nothing here knows about PC/SC or PKCS#11.
 */
#ifndef JPKI_EMU_H
#define JPKI_EMU_H

#include <stddef.h>
#include <stdint.h>

/* Largest response: 256 data bytes + SW1 SW2. */
#define EMU_RSP_MAX 258

typedef struct emu_card emu_card;

typedef enum {
    EMU_OK = 0,
    EMU_ERR_ARGS,    /* bad caller arguments */
    EMU_ERR_IO,      /* image file cannot be read or written */
    EMU_ERR_FORMAT,  /* image file corrupt, truncated or not an image */
    EMU_ERR_VERSION, /* image written by an unknown format version */
    EMU_ERR_CRYPTO,  /* OpenSSL failed (key generation, signing) */
    EMU_ERR_MEMORY,
    EMU_ERR_GONE /* the card is gone (removed, lost power): no response */
} emu_rv;

/* Counters a test or benchmark can read. */
typedef struct {
    unsigned long apdus;          /* command APDUs processed */
    unsigned long verifies;       /* VERIFY commands carrying a PIN (tries) */
    unsigned long status_queries; /* VERIFY case 1 (retry count) */
    unsigned long signatures;  /* COMPUTE DIGITAL SIGNATURE that succeeded */
    unsigned long read_binary; /* READ BINARY commands */
    unsigned long bytes_read;  /* data bytes returned by READ BINARY */
    unsigned long
        card_info_selects; /* SELECTs of the card-info AP (券面事項入力補助AP) */
    unsigned long app_selects; /* SELECT by AID that selected an application */
    unsigned long jpki_reselects; /* ... of the JPKI-AP while it was current */
    unsigned long fci_selects;    /* ... with P2=00 (answered with an FCI) */
    unsigned long ef_selects;     /* SELECT of an EF that succeeded */
    unsigned long
        refused_signatures; /* signature refused: key's PIN not verified */
    unsigned long sfi_signatures; /* ... that succeeded, key named by SFI */
    unsigned long scheme_signatures[6]; /* ... that succeeded, by P1 00..05 */
    unsigned long unknown_schemes;      /* ... refused (6A86): P1 not known */
    /* The card's security state now (filled by emu_card_get_stats). */
    int jpki_current; /* the JPKI-AP is the current application */
    int auth_verified, sign_verified; /* PIN verified in this security state */
} emu_stats;

/* Load a card image. On failure *out is NULL and err holds a message that
 * names the file and what is wrong with it.
 *
 * The environment of the loading process is read here, once:
 *
 *   JPKI_EMU_FAULTS  fault injection for tests, off when unset or empty; a
 *                    comma-separated list of:
 *     drop-after=N        after N APDUs every further transmit fails with
 *                         EMU_ERR_GONE (the card was pulled)
 *     garbage-at=N        the Nth APDU is processed, but its answer is
 *                         replaced by 1..258 random bytes
 *     sw-at=N:XXXX        the Nth APDU is not processed; it answers SW XXXX
 *     get-response        every answer with data comes as 61xx first; the
 *                         data is fetched with GET RESPONSE (00 C0 00 00 xx)
 *     wrong-le            a READ BINARY whose Le asks for more than is left
 *                         answers 6Cxx (xx = what is left); re-issue with it
 *     delay-ms=N          every answer is delayed by N ms (N <= 60000)
 *     power-loss-at-sign[=N]  the Nth (default first) COMPUTE DIGITAL
 *                         SIGNATURE loses power: EMU_ERR_GONE, no signature,
 *                         and every transmit fails until emu_card_reset()
 *     bad-signature       every COMPUTE DIGITAL SIGNATURE answers 9000 with a
 *                         signature whose last bit is flipped (one that
 *                         the key does not verify)
 *                    N counts APDUs (GET RESPONSE included) from 1, from the
 *                    load or emu_card_set_faults. The "-at" faults may be
 *                    given up to 8 times each. A malformed list makes the
 *                    load fail (EMU_ERR_ARGS) rather than silently test
 *                    nothing.
 *   JPKI_EMU_LOG     a file the emulator appends one line per APDU to
 *                    (monotonic time and duration in microseconds, CLA INS
 *                    P1 P2, Lc, Le, response length, SW; never command or
 *                    response data, so never a PIN or file contents). */
emu_rv emu_card_load(const char *path, emu_card **out, char *err,
                     size_t errlen);
void emu_card_free(emu_card *card);

/* Process one command APDU (short length encoding). rsp must have room for
 * EMU_RSP_MAX bytes; *rsp_len receives data length + 2 (SW1 SW2 last).
 * Returns EMU_OK whenever a response was produced (whatever the status word);
 * an error only when no response can be given: EMU_ERR_ARGS, or
 * EMU_ERR_GONE when an injected fault took the card away (*rsp_len = 0). */
emu_rv emu_card_transmit(emu_card *card, const uint8_t *cmd, size_t cmd_len,
                         uint8_t *rsp, size_t *rsp_len);

/* Power cycle / warm reset: no application selected, no PIN verified.
 * Also brings back a card that lost power (power-loss-at-sign). */
void emu_card_reset(emu_card *card);

/* Replace the fault list (syntax of JPKI_EMU_FAULTS; NULL or "" = none) and
 * restart the APDU count. On a syntax error the old list stays. */
emu_rv emu_card_set_faults(emu_card *card, const char *spec);

/* The simulated PIN-pad reader of an image made with "emu init --pinpad":
 * a VERIFY of the currently selected PIN EF with the PIN stored in the
 * image for `which` (0 auth, 1 sign), as if the user had typed it on the
 * reader's keypad. It is an ordinary VERIFY to the card: same retry
 * counting, same status words (*sw), same faults and log line. Returns
 * EMU_ERR_ARGS if the image has no PIN pad, EMU_ERR_GONE as transmit. */
int emu_card_has_pinpad(const emu_card *card);
emu_rv emu_card_pinpad_verify(emu_card *card, int which, uint16_t *sw);
/* A PIN change on that keypad (FEATURE_MODIFY_PIN_DIRECT): the holder types
 * the new PIN twice and the reader sends CHANGE REFERENCE DATA (00 24 01 80)
 * with it to the selected PIN EF. The holder types JPKI_EMU_PINPAD_NEW_PIN;
 * without it they press Cancel (*sw 6401, nothing sent). For both keypad
 * operations the faults pinpad-cancel and pinpad-timeout end the entry with
 * the reader's 6401 or 6400 before anything reaches the card. */
emu_rv emu_card_pinpad_modify(emu_card *card, int which, uint16_t *sw);

/* The card's ATR; returns its length (at most max bytes copied). */
size_t emu_card_atr(const emu_card *card, uint8_t *atr, size_t max);

/* Several processes may open one image. Between lock and unlock the caller
 * has exclusive use of the image file; lock reloads the persistent state
 * (PINs, counters) if another process changed the file since. A transmit
 * outside lock/unlock takes the lock for that one command. The lock is a
 * flock() on "<image>.lock" per handle: two handles on one image in one
 * process exclude each other too, so never hold one's lock while using the
 * other. */
emu_rv emu_card_lock(emu_card *card);
void emu_card_unlock(emu_card *card);

void emu_card_get_stats(const emu_card *card, emu_stats *st);

/* What "jpki-tool emu info" shows about an image: no PIN, no personal data. */
typedef struct {
    unsigned format_version;
    char token_info[33];                 /* EF 0006 text without its padding */
    unsigned auth_tries, auth_max_tries; /* tries left; 0 = blocked */
    unsigned sign_tries, sign_max_tries;
    int blocked_status_63c0; /* retry query on a blocked PIN answers 63C0 */
    unsigned blocked_sw; /* switch: VERIFY of a blocked PIN (6983 6984 63C0) */
    unsigned blocked_query_sw; /* switch: retry query of a blocked PIN */
    int sign_pin_single_use;   /* switch: each signature needs a new VERIFY */
    int reselect_keeps_pins; /* switch: re-SELECT of the JPKI-AP keeps PINs */
    unsigned unverified_sign_sw; /* switch: signature without its PIN (69xx) */
    int select_fci;    /* switch: SELECT by AID, P2=00 -> FCI (else 6A86) */
    int serial_ap;     /* switch: the serial-number AP exists */
    int sign_sfi;      /* switch: the signature command takes P2 = 80|SFI */
    uint8_t ef0008[3]; /* switch: EF 0008 (certificates the card carries) */
    int sign_v15_only; /* switch: the signature command knows P1 00 only */
    int pinpad;        /* the card sits in a PIN-pad reader */
    int ec;            /* the keys are ECDSA P-384 (the next generation) */
    int ec_sig_der;    /* switch: the EC signature answers DER, not r||s */
    unsigned info_tries, info_max_tries; /* card-info AP PIN */
    char serial[15];                     /* the serial AP's 13 characters */
} emu_info;

/* The card's persistent state as last loaded, saved or reloaded by lock. */
emu_rv emu_card_get_info(const emu_card *card, emu_info *info);

/* Options for making a test card. NULL / 0 fields take the defaults. */
typedef struct {
    const char *auth_pin;    /* default "1234" (4 digits) */
    const char *sign_pin;    /* default "ABC123" (6-16 of A-Z 0-9) */
    const char *name;        /* card holder, UTF-8 (default a fictional one) */
    const char *address;     /* UTF-8 */
    const char *birth;       /* YYYYMMDD, a real date, not in the future */
    const char *sex;         /* "1", "2" or "3" (ISO 5218 style) */
    unsigned ca_generations; /* CA generations, same name, 1..8 (0 = 1) */
    int expired;             /* leaves' validity ended yesterday */
    int expires_in_given;    /* the leaves end expires_in days from now */
    long expires_in;         /* -LEAF..LEAF-1 days (renewal warnings) */
    const char *serial;      /* the chip serial, 13 of 0-9 A-Z (default
                              * random; again the same: a renewal) */
    int smartphone;          /* JPKIAPGPSETOKEN: EF 000A needs the auth PIN */
    int pinpad;              /* the card sits in a PIN-pad reader */
    int blocked_status_63c0; /* retry query on a blocked PIN answers 63C0
                              * (the same as blocked_query_sw = 0x63C0) */
    int sign_pin_single_use; /* each signature needs its own VERIFY */
    const char *token_info;  /* EF 0006 label, 1-32 of A-Z 0-9 (default
                              * EMU_TOKEN_MYNUMBER, or EMU_TOKEN_ANDROID with
                              * smartphone) */
    unsigned blocked_sw;     /* VERIFY and retry query of a blocked PIN:
                              * 0x6983 (default), 0x6984 or 0x63C0 */
    unsigned blocked_query_sw; /* the retry query's only (0 = as blocked_sw) */
    int reselect_keeps_pins; /* re-SELECT of the current JPKI-AP keeps PINs */
    unsigned unverified_sign_sw; /* 0x69xx for a signature without its PIN
                                  * (0 = 0x6982) */
    int select_fci;              /* SELECT by AID with P2=00 answers an FCI */
    int no_serial_ap;            /* the card has no serial-number AP */
    int no_sign_sfi;   /* the signature command refuses P2 = 80|SFI (6A86) */
    int no_sign_cert;  /* no signature certificate (EF 0008 byte 0 = 00):
                       * EF 0001, key 001A and PIN 001B are absent */
    int no_auth_cert;  /* no authentication certificate (byte 1 = 00):
                       * EF 000A, key 0017 and PIN 0018 are absent */
    int sign_v15_only; /* the signature command knows P1 00 only (PKCS#1
                        * v1.5 over a DigestInfo) and answers 6A86 to the
                        * other schemes (01-05, PSS among them) */
    int ec_p384;       /* the next generation: ECDSA P-384 keys and test PKI */
    int ec_sig_der;    /* EC card: the signature answers DER, not r||s */
} emu_init_opts;

/* EF 0006 labels of the known token kinds. */
#define EMU_TOKEN_MYNUMBER "JPKIAPICCTOKEN2" /* My Number Card */
#define EMU_TOKEN_JUKI "JPKIAPICCTOKEN"      /* Basic Resident Register card */
#define EMU_TOKEN_ANDROID "JPKIAPGPSETOKEN"  /* Android secure element */
#define EMU_TOKEN_IOS "JPKIAPIOSTOKEN"       /* iPhone */
#define EMU_TOKEN_INFO_PHONE EMU_TOKEN_ANDROID

/* Status words an emulator switch accepts: 1 if sw is allowed for a
 * blocked PIN (6983, 6984, 63C0), resp. an unverified signature (69xx). */
int emu_blocked_sw_valid(unsigned sw);
int emu_unverified_sign_sw_valid(unsigned sw);

#define EMU_DEFAULT_AUTH_PIN "1234"
#define EMU_DEFAULT_SIGN_PIN "ABC123"

/* Make a test PKI (auth CA, sign CA, auth and sign certificates profiled
 * like JPKI) and write a card image at image_path. The test CAs' keys and
 * certificates go in the directory "<image_path>.pki/". */
emu_rv emu_personalize(const char *image_path, const emu_init_opts *opts,
                       char *err, size_t errlen);

/* Revoke the card's authentication (which 0) or signature (1) certificate
 * in its test CA ("<image_path>.pki/{auth,sign}-ca.key") and write that
 * CA's CRL, DER, to "<image_path>.pki/{auth,sign}-ca.crl": every serial
 * revoked so far (reason keyCompromise), a CRL number one above the last,
 * thisUpdate now, nextUpdate a day later. Revoking twice changes nothing
 * but the CRL number and dates. */
emu_rv emu_revoke(const char *image_path, int which, char *err, size_t errlen);

const char *emu_strerror(emu_rv rv);

#endif
