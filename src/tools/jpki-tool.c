/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jpki-tool.c - entry point of jpki-tool: global options and the dispatch
 * to subcommands. A new subcommand is one line in the table below and a
 * cmd_<name>() in its own file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/tool.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "status", cmd_status,
      N_("readers, cards, tokens, PIN tries left (--json)") },
    { "emu", cmd_emu, N_("make and inspect emulator card images") },
    { "verify", cmd_verify,
      N_("check a certificate's chain, revocation and purpose") },
    { "pin", cmd_pin, N_("PIN tries left; change a PIN") },
    { "cert", cmd_cert, N_("show or export one of the card's certificates") },
    { "sign", cmd_sign,
      N_("sign a file (CMS/PKCS#7) with the signature key") },
    { "ssh-key", cmd_sshkey,
      N_("the authentication key for authorized_keys") },
    { "diagnose", cmd_diagnose,
      N_("a field report on a card, for bug reports (--json)") },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

void tool_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs(TOOL_NAME ": ", stderr);
    tool_put_text(stderr, msg); /* file names, texts from a card or a CRL */
    fputc('\n', stderr);
}

void tool_reset_getopt(void)
{
#ifdef __GLIBC__
    optind = 0; /* glibc: also forgets state left inside an option cluster */
#else
    optind = 1;
#endif
}

static void usage(FILE *out)
{
    fprintf(out, _("Usage: %s [--help] [--version] COMMAND [ARGS...]\n"),
            TOOL_NAME);
    fputs(_("\n"
            "Tool of jpki-pkcs11, the PKCS#11 module for the JPKI application "
            "of\n"
            "the My Number Card.\n"
            "\n"
            "Commands:\n"),
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    fprintf(out, _("\nRun '%s COMMAND --help' for a command's options.\n"),
            TOOL_NAME);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    tool_i18n_init();
    opterr = 0;
    /* '+': stop at the command name; the rest belongs to the command. */
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return TOOL_EXIT_OK;
        case 'V':
            printf(TOOL_NAME " (jpki-pkcs11) %s\n", PACKAGE_VERSION);
            return TOOL_EXIT_OK;
        default:
            tool_error(_("unknown option '%s' (see --help)"),
                       argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            int first = optind;
            tool_reset_getopt();
            return commands[i].run(argc - first, argv + first);
        }
    }
    tool_error(_("unknown command '%s' (see --help)"), name);
    return TOOL_EXIT_USAGE;
}
