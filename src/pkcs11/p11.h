/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11.h - private header of the PKCS#11 layer.
 *
 * Model (docs/design.md, "The PKCS#11 model"): every reader gives two slots,
 * one token per PIN of a JPKI card: slot id = 2 * reader index + jpki_key
 * (JPKI_AUTH = 0 "User Authentication", JPKI_SIGN = 1 "Digital Signature").
 * A reader keeps its index while it is plugged in; readers plugged in later
 * get the next free index; an unplugged reader keeps its index, reserved for
 * its name (hotplug.c).
 * One module lock serializes every call (the card is serial anyway).
 */
#ifndef JPKI_P11_H
#define JPKI_P11_H

#include <pthread.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "jpki/jpki.h"
#include "pkcs11/config.h"

/* The objects of a token, by kind (also the low bits of their handles). */
enum {
    P11_OBJ_CERT = 0,    /* the key's certificate */
    P11_OBJ_PUBKEY = 1,  /* its public key */
    P11_OBJ_PRIVKEY = 2, /* the card's private key: sign only */
    P11_OBJ_CA = 3,      /* the issuing CA's certificate */
    P11_OBJ_KINDS = 4
};

typedef struct {
    int present;
    int is_private;      /* CKA_PRIVATE: visible only when logged in */
    CK_ATTRIBUTE *attrs; /* owned copies of every value */
    CK_ULONG n_attrs, cap;
} p11_object;

struct p11_card;

typedef struct p11_token {
    struct p11_card *card;
    jpki_key key;
    CK_SLOT_ID slot_id;
    int logged_in;
    unsigned long login_resets; /* jpki_card_resets() when logged in */
    int pin_tries;              /* last known, -1 unknown */
    jpki_cert *cert;            /* NULL until read (sign: until login) */
    jpki_cert *ca;              /* NULL if absent or not read yet */
    int ca_read;
    int trust_checked; /* trust.c: cert's verdict logged */
    int trust_valid;   /* ... and it was JPKI_VS_VALID */
    p11_object obj[P11_OBJ_KINDS];
    CK_ULONG sessions, rw_sessions;
} p11_token;

/* A reader and the JPKI card in it, if any. */
typedef struct p11_card {
    reader *rd;
    jpki_card *jc;            /* NULL: no JPKI card in the reader */
    int foreign;              /* a non-JPKI card is present: ignore it */
    unsigned long generation; /* changes at every insertion/removal */
    char serial[17];
    int seen;        /* presence known: changes are events */
    int gone;        /* the reader was unplugged (PC/SC) */
    unsigned events; /* slot events not yet reported: bit k =
                                    slot 2 * index + k */
    p11_token tok[2];
} p11_card;

/* A signature or a verification in progress (sign.c, verify.c): the same
 * record for both, one of each per session. */
struct p11_mech;
typedef struct p11_op {
    const struct p11_mech *mech; /* NULL: no operation in progress */
    CK_OBJECT_HANDLE key;
    int multipart; /* C_*Update was called: C_Sign/C_Verify no longer may */
    union {        /* the caller's mechanism parameter, checked and kept */
        CK_RSA_PKCS_PSS_PARAMS pss;
        CK_BYTE raw[32];
    } param;
    CK_ULONG param_len;
    void *md_ctx;           /* EVP_MD_CTX of a hashing mechanism */
    void *pkey;             /* EVP_PKEY: verify's own copy of the key */
    unsigned char buf[512]; /* input of a mechanism that does not hash */
    size_t buf_len;
} p11_op;

typedef struct {
    CK_SESSION_HANDLE handle;
    CK_SLOT_ID slot_id;
    p11_token *tok; /* NULL: closed when its card went away */
    CK_FLAGS flags;
    /* C_FindObjects* */
    int find_active;
    CK_OBJECT_HANDLE found[P11_OBJ_KINDS];
    CK_ULONG n_found, find_pos;
    p11_op sign;   /* C_Sign*: the card signs */
    p11_op verify; /* C_Verify*: on the host, with the certificate's key */
} p11_session;

typedef struct {
    int initialized;
    pid_t pid;
    p11_config cfg;
    p11_card **cards; /* by reader index; never shrinks */
    size_t n_cards;
    int has_emulator; /* an emulator reader: presence is polled */
    p11_session **sessions;
    size_t n_sessions, cap_sessions;
    CK_SESSION_HANDLE next_session;
    /* locking: OS (pthread) or the application's callbacks */
    CK_C_INITIALIZE_ARGS args;
    int use_callbacks;
    void *cb_mutex;
    pthread_mutex_t mutex;
} p11_module;

extern p11_module p11_g;

/* module.c */
CK_RV p11_initialize(CK_VOID_PTR init_args);
CK_RV p11_finalize(void);
/* Registers, once per process, the exit handler that resets the cards this
 * process verified a PIN on when it ends without C_Finalize (exit_guard.c). */
void p11_exit_guard_install(void);
CK_RV p11_enter(void);     /* initialized check + lock */
CK_RV p11_try_enter(void); /* p11_enter that never waits */
void p11_leave(void);
int p11_is_initialized(void);

/* hotplug.c */
/* Appends a reader (index n_cards) and its two slots; r then belongs to it. */
CK_RV p11_card_add(reader *r);
/* Brings the PC/SC reader list up to date: unplugged readers are marked
 * gone (their cards forgotten), new ones added. */
void p11_readers_refresh(void);

/* slot.c */
/* Is the slot's token offered at all ("tokens = auth|sign" hides one)? */
int p11_slot_shown(CK_SLOT_ID id);
CK_RV p11_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count);
CK_RV p11_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info);
/* Token of a slot whose card is present (refreshes presence). */
CK_RV p11_token_get(CK_SLOT_ID id, p11_token **tok);
/* Brings our view of a reader up to date (insertion, removal). */
void p11_card_refresh(p11_card *c);
/* Re-checks that the token's card is still there: CKR_DEVICE_REMOVED if it
 * went away (its sessions are then closed). */
CK_RV p11_token_check(p11_token *tok);
/* Maps a JPKI-layer error; handles removal of the card. */
CK_RV p11_card_error(p11_card *c, jpki_rv rv);
void p11_card_forget(p11_card *c);
void p11_pad(CK_UTF8CHAR *dst, size_t n, const char *src);

/* token.c */
CK_RV p11_token_info(p11_token *tok, CK_TOKEN_INFO_PTR info);
/* Reads what may be read without a PIN and builds the public objects: the
 * CA certificate (want_ca) and/or the key's certificate (want_key). */
CK_RV p11_token_load_public(p11_token *tok, int want_ca, int want_key);
/* Only the key's certificate (when it needs no PIN): enough for the serial
 * number and the key type. */
CK_RV p11_token_load_cert(p11_token *tok);
/* After a successful login: reads what needed the PIN. */
/* The card does not carry this token's certificate (EF 0008): no object,
 * no login, a label that says so (token.c). */
int p11_token_absent(p11_token *tok);
CK_RV p11_token_load_private(p11_token *tok);
/* Drops what only a login may see (the signature certificate). */
void p11_token_drop_private(p11_token *tok);
void p11_token_free(p11_token *tok);
/* Logged in, and the card has not lost the state since? */
int p11_token_logged_in(p11_token *tok);
/* The same, first asking the reader (no APDU: a transaction begins and
 * ends) whether the card was reset behind our back. */
int p11_token_logged_in_now(p11_token *tok);

/* trust.c: the card's certificates against the configured anchors/CRL */
/* At first sight, only with invalid_cert = hide: checks; 1 if the card is
 * hidden, having been forgotten like a foreign card. */
int p11_trust_card_inserted(p11_card *c);
/* Checks and logs the token's certificate, once, when it is first read. */
void p11_trust_token_cert(p11_token *tok);

/* event.c */
CK_RV p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot);
/* Wakes and waits out every C_WaitForSlotEvent; before C_Finalize locks. */
void p11_events_cancel(void);
/* pthread_atfork phases (module.c registers them once). */
enum { P11_FORK_PREPARE, P11_FORK_PARENT, P11_FORK_CHILD };
void p11_events_fork(int phase);

/* session.c */
/* C_OpenSession: on the token of a slot whose card is present. */
CK_RV p11_session_open(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE *h);
CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **s);
CK_RV p11_session_close(CK_SESSION_HANDLE h);
/* Closes the token's sessions but keeps their handles known (card gone). */
void p11_session_close_token(p11_token *tok);
/* C_CloseAllSessions: closes and forgets every session of the slot. */
CK_RV p11_session_close_slot(CK_SLOT_ID slot_id);
void p11_session_close_all(void);
CK_RV p11_session_info(p11_session *s, CK_SESSION_INFO_PTR info);
/* C_SessionCancel: ends the operations named by flags (CKF_SIGN, ...). */
CK_RV p11_session_cancel(p11_session *s, CK_FLAGS flags);

/* object.c */
CK_OBJECT_HANDLE p11_object_handle(const p11_token *tok, int kind);
/* The visible object behind a handle on this token, or NULL. */
p11_object *p11_object_get(p11_token *tok, CK_OBJECT_HANDLE h, int *kind);
/* Does h name a private key that is hidden only because nobody is logged
 * in (CKR_USER_NOT_LOGGED_IN rather than an invalid handle)? */
int p11_object_needs_login(p11_token *tok, CK_OBJECT_HANDLE h);
CK_RV p11_object_build(p11_token *tok, int kind, const jpki_cert *cert,
                       int is_private);
void p11_object_clear(p11_object *o);
CK_RV p11_object_get_attrs(p11_object *o, int kind, CK_ATTRIBUTE_PTR tmpl,
                           CK_ULONG n);
/* C_GetAttributeValue and C_GetObjectSize on a session's object. */
CK_RV p11_object_attrs(p11_session *s, CK_OBJECT_HANDLE h,
                       CK_ATTRIBUTE_PTR tmpl, CK_ULONG n);
CK_RV p11_object_size(p11_session *s, CK_OBJECT_HANDLE h, CK_ULONG_PTR size);
/* C_FindObjects*: each checks its arguments and the search's state. */
CK_RV p11_find_init(p11_session *s, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n);
CK_RV p11_find(p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
               CK_ULONG_PTR count);
CK_RV p11_find_final(p11_session *s);

/* mech.c */
/* A mechanism: what it hashes, what the card gets, what the caller gets.
 * The hooks let a mechanism with a parameter or another signature form
 * (PSS, ECDSA) say so in its table entry, not in sign.c or verify.c. */
typedef struct p11_mech {
    CK_MECHANISM_TYPE type;
    const char *digest; /* OpenSSL digest name, NULL: input is a DigestInfo */
    const unsigned char *prefix; /* DER DigestInfo header before the hash */
    size_t prefix_len;
    size_t hash_len;
    /* Checks the caller's parameter and keeps it in op->param. */
    CK_RV (*param)(p11_op *op, const CK_MECHANISM *mech);
    /* The bytes the card signs (at most cap), from op's input so far. */
    CK_RV(*card_input)
    (p11_op *op, unsigned char *in, size_t cap, size_t *in_len);
    /* The caller's signature (k bytes) from the card's answer. */
    CK_RV(*card_output)
    (const unsigned char *out, size_t out_len, CK_BYTE_PTR sig, size_t k);
    /* Sets the padding of the host's check (an EVP_PKEY_CTX). */
    int (*host_padding)(void *pkey_ctx, const p11_op *op);
    jpki_scheme scheme; /* how the card signs: P1 of its command */
    /* Checks the card's signature of in before the caller sees it (NULL:
     * no check); an error keeps it from the caller. */
    CK_RV(*card_check)
    (p11_token *tok, const p11_op *op, const unsigned char *in, size_t in_len,
     const unsigned char *sig, size_t k);
    /* 0: not offered on tok now (NULL: always offered). */
    int (*offered)(p11_token *tok);
    /* The card's signature of in into out (*out_len in: capacity, out:
     * length), for a card command other than the RSA one (NULL:
     * jpki_card_sign with scheme). */
    jpki_rv (*card_sign)(p11_token *tok, const unsigned char *in,
                         size_t in_len, unsigned char *out, size_t *out_len);
} p11_mech;
const p11_mech *p11_mech_find(p11_token *tok, CK_MECHANISM_TYPE type);
CK_RV p11_mech_list(p11_token *tok, CK_MECHANISM_TYPE_PTR list,
                    CK_ULONG_PTR count);
CK_RV p11_mech_info(p11_token *tok, CK_MECHANISM_TYPE type,
                    CK_MECHANISM_INFO_PTR info);
/* A mechanism without a parameter: CKR_MECHANISM_PARAM_INVALID if one is
 * given. */
CK_RV p11_mech_no_param(p11_op *op, const CK_MECHANISM *mech);

/* mech_ec.c: the ECDSA generation's mechanisms, and its signatures */
const p11_mech *p11_ec_mechs(size_t *n);
/* The card's ECDSA signature of a hash (any length) as r||s, decoded and
 * verified by the JPKI layer; *out_len in: capacity, out: 96. */
jpki_rv p11_ec_card_sign(p11_token *tok, const unsigned char *in,
                         size_t in_len, unsigned char *out, size_t *out_len);
/* r||s (96 bytes) as the DER OpenSSL verifies: 0, or -1 for another
 * length. */
#define P11_EC_DER_MAX 110
int p11_ec_sig_to_der(const unsigned char *rs, size_t rs_len,
                      unsigned char *der, size_t *der_len);
/* Starts an operation on key with the token's mechanism: CKR_OK with
 * op->mech set, or an error with op left idle. */
CK_RV p11_op_start(p11_op *op, p11_token *tok, const CK_MECHANISM *mech,
                   CK_OBJECT_HANDLE key);
/* mech_pss.c: the pieces of the RSA-PSS mechanisms (p11_mech's hooks). */
int p11_pss_offered(p11_token *tok);
CK_RV p11_pss_param(p11_op *op, const CK_MECHANISM *mech);
CK_RV p11_pss_input_hash(p11_op *op, unsigned char *in, size_t cap,
                         size_t *in_len);
CK_RV p11_pss_input_digest(p11_op *op, unsigned char *in, size_t cap,
                           size_t *in_len);
int p11_pss_padding(void *pkey_ctx, const p11_op *op);
CK_RV p11_pss_check(p11_token *tok, const p11_op *op, const unsigned char *in,
                    size_t in_len, const unsigned char *sig, size_t k);
/* Ends the operation: frees and wipes what it held. */
void p11_op_reset(p11_op *op);
/* Input that is not hashed collects in op->buf, one RSA block at most
 * (max): more is CKR_DATA_LEN_RANGE, which the caller must hear about. */
CK_RV p11_op_append(p11_op *op, size_t max, const CK_BYTE *data, CK_ULONG len);

/* login.c */
CK_RV p11_login(p11_session *s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                CK_ULONG len);
CK_RV p11_logout(p11_session *s);
CK_RV p11_set_pin(p11_session *s, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                  CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len);
/* Logs one token out; clears the card when no token of it stays logged in. */
jpki_rv p11_token_logout(p11_token *tok);
/* Forget the login of every token of the card (no card I/O): the card lost
 * its security state, or went away. */
void p11_card_logged_out(p11_card *c);

/* sign.c: each call checks its own arguments and operation state. */
CK_RV p11_sign_init(p11_session *s, CK_MECHANISM_PTR mech,
                    CK_OBJECT_HANDLE key);
CK_RV p11_sign(p11_session *s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
               CK_ULONG_PTR sig_len);
CK_RV p11_sign_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len);
CK_RV p11_sign_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
/* Is a signing operation in progress (C_Login CKU_CONTEXT_SPECIFIC)? */
int p11_sign_active(const p11_session *s);

/* verify.c: the same, on the host */
CK_RV p11_verify_init(p11_session *s, CK_MECHANISM_PTR mech,
                      CK_OBJECT_HANDLE key);
CK_RV p11_verify(p11_session *s, CK_BYTE_PTR data, CK_ULONG len,
                 CK_BYTE_PTR sig, CK_ULONG sig_len);
CK_RV p11_verify_update(p11_session *s, CK_BYTE_PTR data, CK_ULONG len);
CK_RV p11_verify_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len);

#endif
