/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* card_priv.h - shared by the files of src/jpki that talk to the card. */
#ifndef JPKI_CARD_PRIV_H
#define JPKI_CARD_PRIV_H

#include "jpki/jpki.h"
#include "jpki/cache.h"

/* JPKI-AP file ids (docs/card.md). */
enum {
    EF_SIGN_CERT = 0x0001,
    EF_SIGN_CA = 0x0002,
    EF_TOKEN_INFO = 0x0006,
    EF_CERT_MAP = 0x0008,
    EF_AUTH_CERT = 0x000A,
    EF_AUTH_CA = 0x000B,
    EF_AUTH_KEY = 0x0017,
    EF_AUTH_PIN = 0x0018,
    EF_SIGN_KEY = 0x001A,
    EF_SIGN_PIN = 0x001B,
};

#define JPKI_READ_CHUNK 256 /* the most one READ BINARY asks for */
/* Every token-info label of a JPKI-AP starts so (docs/card.md). */
#define JPKI_LABEL_PREFIX "JPKIAP"
#define JPKI_LABEL_PREFIX_LEN 6

struct jpki_card {
    reader *rd;
    int depth;       /* nesting of jpki_card_begin */
    int ap_selected; /* the JPKI-AP is the current application */
    int alt_aid;     /* it answered at the configured EC AID (ec_card.h) */
    unsigned long resets; /* security state lost behind our back */
    int smartphone;
    char serial[JPKI_SERIAL_LEN + 1]; /* serial-number AP, "" if not read */
    jpki_cache *cache;                /* public files on disk; NULL: none */
    /* Last known retry counter of each PIN (pin.c), -1 unknown, with when
     * it was learnt and the reset count then. */
    int tries[2];
    uint64_t tries_ms[2];
    unsigned long tries_resets[2];
    unsigned tries_ttl_ms; /* jpki_card_set_pin_status_ttl */
    char id[17];           /* jpki_card_id, "" until known */
    /* The authentication certificate's first READ BINARY, kept from the
     * card id's computation (public data, like the certificate) so reading
     * the whole certificate later does not fetch it twice. */
    uint8_t auth_head[JPKI_READ_CHUNK];
    size_t auth_head_len;
    /* EF 0008 (certmap.c): bytes 0 (sign) and 1 (auth), once known. */
    uint8_t map[2];
    int map_known;
    /* JPKI_FACT_* learnt about the card (cardfacts.c), with the cache's. */
    unsigned facts;
    int facts_loaded;
    int auth_cert_absent; /* EF 000A answered "not found" (or unwritten) */
};


/* Inside a transaction: did rv come from a reset that another program
 * made after resets_before was taken? Public reads then run again; a
 * signature answers JPKI_ERR_SECURITY (its PIN is no longer verified). */
int jpki_reset_midway(const jpki_card *c, unsigned long resets_before,
                      jpki_rv rv);

/* One APDU through the codec; READER_ERR_RESET is counted as a reset. */
jpki_rv jpki_send_apdu(jpki_card *c, const apdu_cmd *cmd, uint8_t *rsp,
                       size_t cap, size_t *len, uint16_t *sw);
jpki_rv jpki_select_ap(jpki_card *c);
/* Makes the JPKI-AP current without a SELECT when it already is (a look
 * at EF 0006's label), so another program's login survives. */
jpki_rv jpki_ensure_ap(jpki_card *c);
jpki_rv jpki_select_ef(jpki_card *c, uint16_t fid);
/* READ BINARY of want bytes (at most 256) at off of the current EF. */
jpki_rv jpki_read_binary(jpki_card *c, size_t off, size_t want, uint8_t *out,
                         size_t *got);

/* The serial from the serial-number application's record (card.c). */
void jpki_serial_from_record(const uint8_t *rec, size_t n,
                             char out[JPKI_SERIAL_LEN + 1]);

/* The authentication certificate's first chunk into c->auth_head (for the
 * card id and the certificate's full read); notes an absent certificate in
 * c->auth_cert_absent (card_id.c). */
jpki_rv jpki_read_auth_head(jpki_card *c);

/* Not a file of the card: the card id (card_id.c), cached with the files. */
#define JPKI_CACHE_CARD_ID 0xFF01
/* Not a file either: the JPKI_FACT_* record (cardfacts.c). */
#define JPKI_CACHE_CARD_FACTS 0xFF02

#endif
