/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_status.h - what "jpki-tool status" says after the readers: expiry
 * and renewal, locked PINs, revocation, マイナポータル and e-Tax
 * (cmd_status_notes.c).
 */
#ifndef JPKI_CMD_STATUS_H
#define JPKI_CMD_STATUS_H

#include <time.h>

#include <openssl/asn1.h>

#include "jpki/jpki.h"

/* Renewal is possible from three months before the expiry date: warn from
 * 90 days ahead. */
#define STATUS_WARN_DAYS 90
#define STATUS_EXIT_EXPIRING 5 /* a certificate expires within 90 days */
#define STATUS_EXIT_EXPIRED 6  /* a certificate has expired */

typedef struct {
    int cards;      /* JPKI cards seen */
    int expiring;   /* an authentication certificate within 90 days */
    int expired;    /* an authentication certificate past its end */
    long days_left; /* the soonest end among them */
    char until[48]; /* its date (tool_date_jst) */
    int changed;    /* a card's authentication certificate was renewed */
    int locked;     /* bit 0 auth PIN, bit 1 sign PIN locked somewhere */
} status_notes;

/* The validity as dates for people (JST) and whole days from now to
 * notAfter (negative once past), rounded down. */
void status_days(const ASN1_TIME *not_before, const ASN1_TIME *not_after,
                 char *from, char *until, size_t n, long *days_left,
                 time_t *end);

/* Records one certificate read from a card. */
void status_notes_cert(status_notes *sn, jpki_key key, int expired,
                       long days_left, const char *until, int changed);

/* The notes, in text, after the readers (nothing without a card). */
void status_notes_print(const status_notes *sn);

/* The exit status for a found card: 0, STATUS_EXIT_EXPIRING or
 * STATUS_EXIT_EXPIRED. */
int status_notes_exit(const status_notes *sn);

#endif
