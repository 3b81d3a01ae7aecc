/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool.h - shared declarations of the jpki-tool subcommands.
 *
 * A subcommand gets argv with its own name in argv[0] and returns the
 * process exit status.
 */
#ifndef JPKI_TOOL_H
#define JPKI_TOOL_H

#include <libintl.h>
#include <stdio.h>
#include <time.h>

/* Messages for people go through gettext (po/ja.po): _() where a message
 * is printed, N_() where it only sits in a table. Machine output (JSON keys
 * and values, ssh-key lines) is never translated. */
#define _(s) gettext(s)
#define N_(s) (s)
#define TOOL_TEXTDOMAIN "jpki-tool"

#define TOOL_EXIT_OK 0
#define TOOL_EXIT_ERROR 1 /* the command failed */
#define TOOL_EXIT_USAGE 2 /* the command line was wrong */

#define TOOL_NAME "jpki-tool"

/* "jpki-tool: <message>" on stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Locale and message catalogue (tool_i18n.c): LOCALEDIR, or
 * $JPKI_TOOL_LOCALEDIR (the build tree's tests; ignored when setuid). */
void tool_i18n_init(void);
/* A calendar date in Japan Standard Time (UTC+9, the date printed on the
 * card's notices): "2031-12-07 JST" in English, "2031年12月7日" in
 * Japanese. */
void tool_date_jst(time_t t, char *out, size_t n);
/* s, then spaces up to width columns as a terminal shows them (a Japanese
 * character takes two; wcswidth in the current locale). */
void tool_put_padded(FILE *out, const char *s, int width);

/* Reset getopt before a subcommand parses its own options. */
void tool_reset_getopt(void);

/* Text from a card, a reader, a certificate, a CRL or a file name, made
 * safe for a terminal (escape.c): printable UTF-8 as is, anything else as
 * \xHH per byte; or as a JSON string (quotes included) with \u escapes. */
void tool_put_text(FILE *out, const char *s);
void tool_put_json(FILE *out, const char *s);

int cmd_emu(int argc, char **argv);
/* "status": readers, cards, tokens, PIN tries left (cmd_status.c). */
int cmd_status(int argc, char **argv);
/* "emu serve", dispatched by cmd_emu (cmd_serve.c). */
int cmd_serve(int argc, char **argv);
/* "diagnose": a field report on a real card (cmd_diagnose*.c). */
int cmd_diagnose(int argc, char **argv);
/* "verify": a relying party's certificate check (cmd_verify.c). */
int cmd_verify(int argc, char **argv);
/* The holder's commands (tool_card.h has what they share). */
/* "pin status", "pin change auth|sign" (cmd_pin.c). */
int cmd_pin(int argc, char **argv);
/* "cert auth|sign|auth-ca|sign-ca": show or export (cmd_cert.c). */
int cmd_cert(int argc, char **argv);
/* "sign FILE": CMS signature with the card's signature key (cmd_sign.c). */
int cmd_sign(int argc, char **argv);
/* "ssh-key": the authentication key for authorized_keys (cmd_sshkey.c). */
int cmd_sshkey(int argc, char **argv);

#endif
