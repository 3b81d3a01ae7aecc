/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_serve.c - "jpki-tool emu serve": put an emulator card image into
 * vsmartcard's virtual reader, so anything that talks PC/SC sees the card.
 *
 *   jpki-tool emu serve CARD [--host H] [--port N] [--retry-seconds S] [--stats]
 *
 * The card stays inserted until SIGINT/SIGTERM (exit 0; closing the
 * connection removes it) or until vpcd closes the connection (pcscd stopped;
 * exit 0), or until an injected fault (JPKI_EMU_FAULTS) takes the card away
 * (exit 0, card removed). With --stats, SIGUSR1 and the exit print the
 * card's counters.
 * Never prints PINs or APDU contents.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu/vpcd.h"
#include "tools/tool.h"

#define RETRY_DEFAULT_S 10
#define RETRY_INTERVAL_MS 200

static volatile sig_atomic_t wake; /* any of the below is pending */
static volatile sig_atomic_t quit;
static volatile sig_atomic_t stats_wanted;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        stats_wanted = 1;
    else
        quit = 1;
    wake = 1;
}

/* No SA_RESTART: a blocked poll or connect returns at once on a signal. */
static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

static void serve_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s emu serve CARD [--host H] [--port N] [--retry-seconds S] "
          "[--stats]\n"
          "       [--latency on|APDU_MS,BYTE_US,SIGN_MS]\n"
          "\n"
          "Insert the card image CARD into vsmartcard's virtual reader "
          "(pcscd's\n"
          "vpcd driver) until interrupted; stopping removes the card.\n"
          "  --host H             where vpcd listens (default 127.0.0.1)\n"
          "  --port N             vpcd's port (default %d: \"Virtual PCD 00 "
          "00\";\n"
          "                       the next port is \"Virtual PCD 00 01\")\n"
          "  --retry-seconds S    keep trying to connect this long while "
          "pcscd\n"
          "                       starts (default %d)\n"
          "  --stats              print the card's counters at exit and on "
          "SIGUSR1\n"
          "  --latency SPEC       answer as slowly as a real contact card: "
          "\"on\" for\n"
          "                       12 ms per APDU, 200 us per byte, 350 ms "
          "per\n"
          "                       signature (sources: bench/README.md), or "
          "your own\n"
          "                       (same as JPKI_EMU_LATENCY)\n"),
        TOOL_NAME, EMU_VPCD_DEFAULT_PORT, RETRY_DEFAULT_S);
}

static int parse_uint(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stats(const emu_card *card)
{
    emu_stats st;
    emu_card_get_stats(card, &st);
    printf("stats: apdus=%lu verifies=%lu status_queries=%lu signatures=%lu "
           "read_binary=%lu bytes_read=%lu app_selects=%lu jpki_reselects=%lu "
           "refused_signatures=%lu jpki_current=%d auth_verified=%d "
           "sign_verified=%d ef_selects=%lu sfi_signatures=%lu sig_p1_00=%lu "
           "sig_p1_01=%lu sig_p1_02=%lu sig_p1_03=%lu sig_p1_04=%lu "
           "sig_p1_05=%lu unknown_schemes=%lu\n",
           st.apdus, st.verifies, st.status_queries, st.signatures,
           st.read_binary, st.bytes_read, st.app_selects, st.jpki_reselects,
           st.refused_signatures, st.jpki_current, st.auth_verified,
           st.sign_verified, st.ef_selects, st.sfi_signatures,
           st.scheme_signatures[0], st.scheme_signatures[1],
           st.scheme_signatures[2], st.scheme_signatures[3],
           st.scheme_signatures[4], st.scheme_signatures[5],
           st.unknown_schemes);
    fflush(stdout);
}

/* Returns the socket, or -1 (message printed unless interrupted). */
static int connect_retrying(const char *host, int port, long retry_s)
{
    double deadline = now_s() + (double)retry_s;
    char err[256];
    for (;;) {
        int refused = 0;
        int fd = emu_vpcd_connect(host, port, &refused, err, sizeof err);
        if (fd >= 0 || quit)
            return fd;
        if (!refused || now_s() >= deadline) {
            tool_error(_("emu serve: %s%s"), err,
                       refused ? _(" (is pcscd running with vsmartcard-vpcd?)")
                               : "");
            return -1;
        }
        struct timespec pause = { 0, RETRY_INTERVAL_MS * 1000000L };
        nanosleep(&pause, NULL);
    }
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'p' },
        { "retry-seconds", required_argument, NULL, 'r' },
        { "stats", no_argument, NULL, 's' },
        { "latency", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *host = "127.0.0.1";
    long port = EMU_VPCD_DEFAULT_PORT, retry_s = RETRY_DEFAULT_S;
    int stats = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "H:p:r:sl:h", opts, NULL)) != -1) {
        switch (c) {
        case 'H': host = optarg; break;
        case 'p':
            if (parse_uint(optarg, 65535, &port) < 0 || port == 0) {
                tool_error(_("emu serve: bad port '%s'"), optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        case 'r':
            if (parse_uint(optarg, 86400, &retry_s) < 0) {
                tool_error(_("emu serve: bad --retry-seconds '%s'"), optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        case 's': stats = 1; break;
        case 'l':
            /* emu_card_load reads it, and says what is wrong with it */
            setenv("JPKI_EMU_LATENCY", optarg, 1);
            break;
        case 'h': serve_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("emu serve: bad or incomplete option '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        tool_error(_("emu serve: give exactly one card image (see --help)"));
        return TOOL_EXIT_USAGE;
    }
    const char *path = argv[optind];
    char err[512] = "";
    emu_card *card = NULL;
    emu_rv rv = emu_card_load(path, &card, err, sizeof err);
    if (rv != EMU_OK) {
        tool_error(_("emu serve: %s"), err[0] ? err : emu_strerror(rv));
        return TOOL_EXIT_ERROR;
    }

    install_handlers();
    int fd = connect_retrying(host, (int)port, retry_s);
    if (fd < 0) {
        emu_card_free(card);
        return quit ? TOOL_EXIT_OK : TOOL_EXIT_ERROR;
    }
    printf(_("serving %s on vpcd %s:%ld\n"), path, host, port);
    fflush(stdout);

    int status = TOOL_EXIT_OK;
    for (;;) {
        /* Clear before looking, so a signal arriving now wakes the next
         * serve at once instead of being lost. */
        wake = 0;
        if (stats_wanted) {
            stats_wanted = 0;
            if (stats)
                print_stats(card);
        }
        if (quit)
            break;
        emu_vpcd_rv vr = emu_vpcd_serve(card, fd, &wake, err, sizeof err);
        if (vr == EMU_VPCD_CLOSED) {
            printf(_("vpcd closed the connection\n"));
            break;
        }
        if (vr == EMU_VPCD_GONE) {
            printf(_("the card is gone (injected fault): removing it\n"));
            break;
        }
        if (vr == EMU_VPCD_ERROR) {
            tool_error(_("emu serve: %s"), err);
            status = TOOL_EXIT_ERROR;
            break;
        }
    }
    close(fd); /* the card leaves the reader */
    if (stats)
        print_stats(card);
    emu_card_free(card);
    return status;
}
