/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_diagnose.h - "jpki-tool diagnose": a field report on a real card that
 * settles what the module could only assume about it.
 *
 * cmd_diagnose.c     the command: options, readers, PIN entry, the order
 * cmd_diagnose_card.c  the card: every APDU recorded (header, SW, length,
 *                    time; never data), the survey without a PIN, and the
 *                    table of experiments that need a PIN
 * cmd_diagnose_out.c   the report as text and as JSON
 *
 * Privacy: nothing read from the card is printed except the token info
 * label, file sizes, status words, and the authentication certificate's
 * issuer, validity and key type. The signature certificate is never read,
 * the authentication certificate's subject and serial are never printed,
 * the serial-number record is described by its shape only, and the
 * card-info application is never selected.
 */
#ifndef JPKI_CMD_DIAGNOSE_H
#define JPKI_CMD_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>

#include "reader/reader.h"

#define DIAG_MAX_APDUS 256
#define DIAG_PIN_MAX 16

enum { DIAG_AUTH = 0, DIAG_SIGN = 1 };

/* One exchange with the card, without its data. */
typedef struct {
    const char *step; /* what it was for */
    uint8_t cla, ins, p1, p2;
    int lc;           /* -1: no command data */
    int le;           /* -1: no Le; else 1..256 */
    uint16_t sw;      /* 0: no answer (transport error) */
    size_t len;       /* response data bytes */
    unsigned long us; /* round trip, microseconds */
} diag_apdu;

/* The card link: every APDU goes through diag_send and is recorded. */
typedef struct {
    reader *r;
    diag_apdu log[DIAG_MAX_APDUS];
    size_t n_log;
    const char *step; /* label for the next APDUs */
    int failed;       /* a transport error happened */
} diag_link;

/* A file of the JPKI-AP as the survey saw it. */
typedef struct {
    const char *name;
    uint16_t fid;
    int read; /* the survey reads it (never the sign cert) */
    uint16_t select_sw, read_sw;
    long size; /* -1: unknown */
} diag_file;

/* The outcome of one experiment. */
typedef struct {
    int ran; /* 0: skipped (see answer) */
    int conclusive;
    char answer[48]; /* short: "clears", "6982", "several" */
    char detail[200];
    unsigned auth_spent, sign_spent; /* VERIFYs actually sent */
    size_t sig_len;                  /* 0: no signature made */
} diag_result;

/* PINs typed by the user, for the experiments (wiped after use). */
typedef struct {
    int have[2];
    char pin[2][DIAG_PIN_MAX + 1];
    int wrong[2]; /* the card refused it: never sent again */
} diag_pins;

typedef struct diag_report diag_report;

/* An experiment: one row. Adding one (say, a signature with P1=04) is one
 * more entry in the table of cmd_diagnose_card.c. */
typedef struct {
    const char *name;
    const char *question;
    unsigned verifies[2]; /* VERIFYs of the auth and sign PIN it spends */
    void (*run)(diag_link *l, diag_pins *pins, diag_report *rep,
                diag_result *out);
} diag_experiment;

extern const diag_experiment diag_experiments[];
extern const size_t diag_n_experiments;

#define DIAG_N_FILES 5
#define DIAG_MAX_EXPERIMENTS 16

struct diag_report {
    char reader[128];
    int emulated;
    char atr[3 * 40]; /* hex, "" if unknown */
    char protocol[16];
    const char *card; /* "jpki", "none", "other", "error" */
    char token_label[33];
    long token_info_size;
    uint16_t token_info_sw;
    uint16_t pin_sw[2]; /* retry query answers; 0 = not asked */
    diag_file files[DIAG_N_FILES];
    int cert_ok;
    char issuer[512], not_before[32], not_after[32], key_type[32];
    uint16_t fci_sw; /* SELECT by AID with P2=00 */
    size_t fci_len;
    uint16_t serial_select_sw, serial_read_sw;
    int serial_tag; /* -1: none */
    long serial_value_len;
    int serial_value_alnum; /* value characters [2,15) are all 0-9 A-Z */
    int with_pin;
    unsigned announced[2]; /* VERIFYs announced before the PINs were asked */
    reader_rv reset_rv;    /* the reset after the experiments */
    int run[DIAG_MAX_EXPERIMENTS]; /* experiment i runs */
    diag_result results[DIAG_MAX_EXPERIMENTS];
    diag_link link;
};

/* diag_send: one command, recorded; follows 61xx with GET RESPONSE and
 * re-issues once after 6Cxx (each recorded too). Returns the SW, 0 when
 * the card did not answer. */
uint16_t diag_send(diag_link *l, const uint8_t *cmd, size_t len, uint8_t *rsp,
                   size_t cap, size_t *rsp_len);

/* The survey without a PIN: fills rep (needs rep->link.r connected). */
void diag_survey(diag_report *rep);

/* Tries left from a retry-query answer: 0..15, or -1 if it does not say. */
int diag_tries_left(uint16_t sw);

/* Run the planned experiments (rep->run[i]). */
void diag_run_experiments(diag_report *rep, diag_pins *pins);

/* Output (cmd_diagnose_out.c). */
void diag_print_text(const diag_report *rep);
void diag_print_json(const diag_report *const *reps, size_t n, int with_pin);

#endif
