/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_card.h - what the holder's commands (pin, cert, sign, ssh-key)
 * share: reading PINs (terminal without echo, or --pin-fd), the PIN rules
 * checked before the card sees a PIN, finding the card, and messages for
 * the card's answers.
 *
 * Every user-facing sentence is one literal where it is printed, so that a
 * later translation can wrap each in _().
 */
#ifndef JPKI_TOOL_CARD_H
#define JPKI_TOOL_CARD_H

#include <stddef.h>
#include <stdio.h>

#include "jpki/jpki.h"
#include "reader/reader.h"

/* Exit status of the holder's commands, besides TOOL_EXIT_*: a PIN that
 * was wrong, locked, mistyped twice, or broke the rules. */
#define TOOL_EXIT_PIN 4

/* ---- PIN input (tool_pin.c) --------------------------------------------- */

/* Longest line read as a PIN: anything longer breaks the rules anyway. */
#define TOOL_PIN_CAP 64

typedef struct {
    char s[TOOL_PIN_CAP + 1];
    size_t len;
} tool_pin;

/* "--pin-fd N": PINs come from N, one per line, in prompt order. Returns 0,
 * or -1 after a message (not a number, or not an open descriptor). */
int tool_pin_use_fd(const char *arg);

/* Parses the options of a command that has only --pin-fd and --help.
 * Returns -1 to go on (operands from optind), else the exit status. */
int tool_pin_options(int argc, char **argv, const char *cmd,
                     void (*usage)(FILE *));

/* Reads a PIN for key and checks its rules; a signature PIN is upper-cased
 * first (the card holds upper case only). `prompt` is shown on the terminal
 * (not with --pin-fd). Returns 0, or TOOL_EXIT_* / TOOL_EXIT_PIN after a
 * message; the buffer is wiped on every failure. */
int tool_pin_ask(jpki_key key, const char *prompt, tool_pin *p);
/* A new PIN: asked twice (two lines with --pin-fd), both must match. */
int tool_pin_ask_new(jpki_key key, tool_pin *p);
/* Wipes the PIN (OPENSSL_cleanse). */
void tool_pin_wipe(tool_pin *p);

/* ---- the card (tool_card.c) --------------------------------------------- */

typedef struct {
    reader **list;
    size_t n;
    jpki_card *card; /* the first JPKI card of the module's readers */
} tool_card;

/* Opens the first JPKI card in the readers the module would use (its
 * configuration file and JPKI_PKCS11_* environment). Returns 0, or
 * TOOL_EXIT_ERROR after a message. */
int tool_card_open(tool_card *tc, const char *cmd);
void tool_card_close(tool_card *tc);

/* "jpki-tool: CMD: <what went wrong with the card>" for rv; returns
 * TOOL_EXIT_ERROR. */
int tool_card_fail(const char *cmd, jpki_rv rv);

/* Verifies the PIN after checking, without spending a try, that it is not
 * locked (a locked PIN is reported with what to do, and nothing sent).
 * Reports a wrong PIN with the tries left. Returns 0, TOOL_EXIT_PIN or
 * TOOL_EXIT_ERROR. */
int tool_card_verify(tool_card *tc, const char *cmd, jpki_key key,
                     const tool_pin *pin);
/* The locked-PIN message (also used by "pin change"). */
void tool_card_locked(const char *cmd, jpki_key key);

/* Reads a certificate (ca: the CA's). The authentication certificate of a
 * smartphone token needs the authentication PIN: then it is asked for here
 * and verified. Returns 0 with *der malloc'd, or an exit status after a
 * message. */
int tool_card_read_cert(tool_card *tc, const char *cmd, jpki_key key, int ca,
                        unsigned char **der, size_t *len);

/* Writes n bytes to path, created new (O_EXCL | O_NOFOLLOW, mode 0600: an
 * existing file or a planted symlink is refused), or to stdout when path is
 * NULL. Returns 0, or TOOL_EXIT_ERROR after a message; a partly written
 * file is removed. */
int tool_write_new(const char *cmd, const char *path, const void *p, size_t n);
/* Before a PIN is asked: 0 if nothing (not even a dangling symlink) is at
 * path yet, else TOOL_EXIT_ERROR after the message tool_write_new would
 * give. tool_write_new still refuses anything that appears meanwhile. */
int tool_out_free(const char *cmd, const char *path);

#endif
