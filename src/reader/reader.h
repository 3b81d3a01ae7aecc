/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader.h - the reader layer: card readers and the APDU codec.
 *
 * A reader is a struct of function pointers (one backend per kind: PC/SC,
 * in-process emulator) plus state. Nothing here knows about JPKI.
 */
#ifndef JPKI_READER_H
#define JPKI_READER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    READER_OK = 0,
    READER_ERR_ARGS, /* bad arguments */
    READER_ERR_MEMORY,
    READER_ERR_NO_SERVICE, /* pcscd not reachable */
    READER_ERR_NO_CARD,    /* no (usable) card in the reader */
    READER_ERR_REMOVED,    /* the card went away since it was connected */
    READER_ERR_RESET,      /* the card was reset: its security state is gone */
    READER_ERR_COMM,       /* transmission failed, or a garbled response */
    READER_ERR_BUSY,       /* another program holds the card exclusively */
} reader_rv;

#define READER_FLAG_EMULATED 0x1u /* the bundled emulator, not a real card */
#define READER_FLAG_PINPAD 0x2u   /* PINs can be typed on the reader */
#define READER_FLAG_PINPAD_MODIFY 0x4u /* ... and changed on it */

/* A VERIFY whose PIN the holder types on the reader's keypad: the reader
 * builds the APDU from this header and the typed digits. */
typedef struct {
    uint8_t cla, ins, p1, p2;
    size_t min_len, max_len; /* PIN length the reader accepts */
    unsigned which;          /* which PIN is asked for (prompt number) */
} reader_pinpad_req;

typedef struct reader reader;

/* What a reader, and a card in it, show to an application (PKCS#11 slot
 * and token information). Hardware readers show the defaults
 * (reader_labels_of); a NULL card string leaves the card to say. */
typedef struct reader_labels {
    const char *slot_maker; /* who provides the slot: "PC/SC" */
    int hardware;           /* a hardware slot (not software) */
    const char *card_maker; /* NULL: the card's issuer */
    const char *card_model; /* NULL: the kind of card it says it is */
} reader_labels;

typedef struct reader_ops {
    /* Connect to the card. READER_ERR_NO_CARD when there is none. */
    reader_rv (*connect)(reader *r);
    void (*disconnect)(reader *r);
    /* Exchange one APDU exactly as given (no GET RESPONSE logic here). */
    reader_rv (*transmit)(reader *r, const uint8_t *cmd, size_t cmd_len,
                          uint8_t *rsp, size_t *rsp_len);
    /* Exclusive use of the card for a multi-APDU operation. */
    reader_rv (*begin)(reader *r);
    void (*end)(reader *r);
    /* PIN-pad verification (NULL when the reader has no keypad); *sw
     * receives the card's status word. */
    reader_rv (*pinpad_verify)(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw);
    /* PIN-pad change (NULL when the reader cannot): the command (req's
     * header) carries only the new PIN, typed twice on the keypad; *sw
     * receives the card's status word. */
    reader_rv (*pinpad_modify)(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw);
    /* Warm reset of the connected card, keeping the connection: afterwards
     * no application is selected and no PIN is verified, whatever the
     * card does on a re-select. NULL when the backend cannot. */
    reader_rv (*reset)(reader *r);
    /* Is a card present right now? (Cheap; no APDU.) */
    reader_rv (*present)(reader *r, int *present);
    /* What names this insertion of the card, without an APDU: a string
     * that another insertion (another card, or the same one re-inserted)
     * never yields. NULL when the backend cannot tell: no cache. */
    reader_rv (*identity)(reader *r, char *buf, size_t cap);
    void (*destroy)(reader *r);
    /* What it shows; NULL: a hardware reader's defaults. */
    const reader_labels *labels;
} reader_ops;

struct reader {
    const reader_ops *ops;
    char name[128];
    unsigned flags;
    int connected;
    /* A PIN went to the card (VERIFY with data, or typed on the PIN pad)
     * since the connect or the last reset: the card may hold a verified
     * PIN of ours. Set by the caller (reader_note_pin), cleared by connect
     * and reset; PC/SC resets the card at disconnect only when it is set,
     * so a program that only looked leaves another program's login be. */
    int pin_sent;
    void *priv;
};

/* Backends. */
reader_rv reader_emu_new(const char *image_path, reader **out);
/* ---- PC/SC (pcsc*.c) ---------------------------------------------------- */
/* A PC/SC reader by name (not connected). */
reader_rv reader_pcsc_new(const char *name, reader **out);
/* Appends every PC/SC reader that passes the allow/deny filter (see
 * pcsc_part10.h; NULL: none) to *list (grown with realloc). A missing pcscd
 * is not an error: no readers are added. */
reader_rv reader_pcsc_list(const char *allow, const char *deny, reader ***list,
                           size_t *count);
/* The names of the PC/SC readers now, filtered: a malloc'd list
 * "name\0name\0\0", or NULL for none. READER_ERR_NO_SERVICE without pcscd
 * (a pcscd that was restarted is reconnected to by itself). */
reader_rv reader_pcsc_names(const char *allow, const char *deny, char **names);
/* Releases the shared listing context (C_Finalize). */
void reader_pcsc_release(void);
/* In the child of a fork: forgets the parent's listing context without
 * releasing it (that would end the parent's). */
void reader_pcsc_abandon(void);
/* Around fork(): lock = 1 takes the reader list's lock, lock = 0 releases
 * it (in parent and child; see jlog_fork_lock). */
void reader_pcsc_fork_lock(int lock);

/* Waiting for PC/SC changes (C_WaitForSlotEvent): a card inserted or
 * removed, a reader plugged in or out. One watch per waiting thread. */
typedef struct reader_watch reader_watch;
reader_rv reader_watch_new(reader_watch **out);
void reader_watch_free(reader_watch *w);
/* Records the state of every reader, and the reader list, as of now. */
reader_rv reader_watch_snapshot(reader_watch *w);
/* Blocks until something differs from the snapshot, timeout_ms passed, or
 * reader_watch_cancel() was called: READER_OK in all three cases (the
 * caller looks again). READER_ERR_NO_SERVICE without pcscd: the caller
 * must sleep instead. */
reader_rv reader_watch_wait(reader_watch *w, unsigned timeout_ms);
/* From any thread: ends a reader_watch_wait() in progress (SCardCancel). */
void reader_watch_cancel(reader_watch *w);

/* The emulator's readers: one per card image in `images` (':'-separated;
 * NULL or "" for none). PC/SC readers are listed by reader_pcsc_list. */
reader_rv reader_list_emulators(const char *images, reader ***list,
                                size_t *count);
void reader_list_free(reader **list, size_t count);
/* For backends: append r to a list (grown with realloc). */
reader_rv reader_list_push(reader ***list, size_t *count, reader *r);

reader_rv reader_connect(reader *r);
void reader_disconnect(reader *r);
reader_rv reader_begin(reader *r);
void reader_end(reader *r);
reader_rv reader_present(reader *r, int *present);
/* Warm reset (reader_ops.reset); READER_ERR_ARGS when the backend has
 * none. Clears pin_sent on success. */
reader_rv reader_reset(reader *r);
/* A PIN is being sent to the card (sets pin_sent). */
void reader_note_pin(reader *r);
/* What the reader and its card show: never NULL. */
const reader_labels *reader_labels_of(const reader *r);
/* The connected card's insertion identity (see reader_ops.identity);
 * READER_ERR_ARGS when the backend has none. */
reader_rv reader_identity(reader *r, char *buf, size_t cap);
reader_rv reader_pinpad_verify(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw);
/* READER_ERR_ARGS when the reader cannot change PINs on its keypad. */
reader_rv reader_pinpad_modify(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw);
reader_rv reader_transmit_raw(reader *r, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *rsp, size_t *rsp_len);
void reader_free(reader *r);

#include "reader/apdu.h"

#endif
