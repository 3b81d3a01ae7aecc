/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_pin.c - PIN input for the holder's commands.
 *
 * A PIN comes from the terminal (/dev/tty, echo off) or, with --pin-fd N,
 * from descriptor N, one per line in prompt order. Never from the command
 * line (other users see it in ps) and never into a log. Input is read with
 * read(2) one byte at a time straight into the caller's buffer: no stdio
 * buffer keeps a copy, and the next line stays unread for the next prompt.
 * The PIN rules are checked here, before any card is opened: a PIN that
 * cannot be right never costs a try.
 */
#include "tools/tool_card.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tools/tool.h"

static int pin_fd = -1;

int tool_pin_use_fd(const char *arg)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0 || v > 65535) {
        tool_error(_("--pin-fd wants a file descriptor number, not '%s'"),
                   arg);
        return -1;
    }
    if (fcntl((int)v, F_GETFD) < 0) {
        tool_error(_("--pin-fd %ld: that file descriptor is not open"), v);
        return -1;
    }
    pin_fd = (int)v;
    return 0;
}

int tool_pin_options(int argc, char **argv, const char *cmd,
                     void (*usage)(FILE *))
{
    static const struct option opts[] = {
        { "pin-fd", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (tool_pin_use_fd(optarg) != 0)
                return TOOL_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("%s: unknown option or missing value: '%s' (see --help)"),
                cmd, argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    return -1;
}

void tool_pin_wipe(tool_pin *p)
{
    OPENSSL_cleanse(p, sizeof(*p));
}

/* ---- the terminal, echo off, restored on a signal ------------------------ */

static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_changed;

static void tty_restore(void)
{
    if (tty_changed) {
        tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
        tty_changed = 0;
    }
}

static void on_signal(int sig)
{
    tty_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define N_CAUGHT (sizeof caught / sizeof caught[0])

/* One line from fd into p; 0, or -1 on end of input before any byte or a
 * read error. A line longer than TOOL_PIN_CAP is kept as TOOL_PIN_CAP + 1
 * bytes' worth of length: it breaks the rules, and the rest is drained. */
static int read_line(int fd, tool_pin *p)
{
    size_t got = 0;
    char ch;
    memset(p, 0, sizeof(*p));
    for (;;) {
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            if (got == 0)
                return -1;
            break;
        }
        got++;
        if (ch == '\n')
            break;
        if (p->len < TOOL_PIN_CAP)
            p->s[p->len] = ch;
        if (p->len <= TOOL_PIN_CAP)
            p->len++;
    }
    ch = 0;
    if (p->len > TOOL_PIN_CAP)
        return 0;
    if (p->len && p->s[p->len - 1] == '\r')
        p->s[--p->len] = '\0';
    return 0;
}

static int read_tty(const char *prompt, tool_pin *p)
{
    struct sigaction sa, old[N_CAUGHT];
    struct termios t;
    int rc;

    tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty_fd < 0) {
        tool_error(_("no terminal to ask the PIN on: give it with --pin-fd N "
                     "(never on the command line)"));
        return -1;
    }
    if (tcgetattr(tty_fd, &tty_saved) != 0) {
        tool_error(_("cannot turn off echo on the terminal: give the PIN with "
                     "--pin-fd N"));
        close(tty_fd);
        tty_fd = -1;
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_CAUGHT; i++)
        sigaction(caught[i], &sa, &old[i]);
    t = tty_saved;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    t.c_lflag |= ECHONL | ICANON;
    tty_changed = 1;
    if (tcsetattr(tty_fd, TCSAFLUSH, &t) != 0) {
        tty_changed = 0;
        tool_error(_("cannot turn off echo on the terminal: give the PIN with "
                     "--pin-fd N"));
        rc = -1;
    } else {
        /* The prompt only once echo is off: nothing typed after it shows,
         * and nothing is flushed away. */
        (void)!write(tty_fd, prompt, strlen(prompt));
        rc = read_line(tty_fd, p);
        tty_restore();
        if (rc != 0)
            tool_error(_("no PIN was typed"));
    }
    for (size_t i = 0; i < N_CAUGHT; i++)
        sigaction(caught[i], &old[i], NULL);
    close(tty_fd);
    tty_fd = -1;
    return rc;
}

static int read_pin(const char *prompt, tool_pin *p)
{
    if (pin_fd < 0)
        return read_tty(prompt, p);
    if (read_line(pin_fd, p) != 0) {
        tool_error(
            _("--pin-fd %d: no more PINs (one PIN per line, in the order "
              "of the prompts)"),
            pin_fd);
        return -1;
    }
    return 0;
}

/* ---- the rules ------------------------------------------------------------ */

static int check_rules(jpki_key key, tool_pin *p)
{
    if (key == JPKI_SIGN) {
        /* The card holds upper case only: a lower-case letter can never be
         * right, so it is read as the upper-case one. */
        for (size_t i = 0; i < p->len; i++)
            if (p->s[i] >= 'a' && p->s[i] <= 'z')
                p->s[i] = (char)(p->s[i] - 'a' + 'A');
    }
    if (jpki_pin_check(key, p->s, p->len) == JPKI_OK)
        return 0;
    if (key == JPKI_AUTH)
        tool_error(_("the authentication PIN has exactly %d digits (0-9); "
                     "nothing was sent to the card"),
                   JPKI_AUTH_PIN_LEN);
    else
        tool_error(
            _("the signature PIN has %d to %d characters, A-Z and 0-9 only "
              "(lower case counts as upper case); nothing was sent to the "
              "card"),
            JPKI_SIGN_PIN_MIN, JPKI_SIGN_PIN_MAX);
    tool_pin_wipe(p);
    return TOOL_EXIT_PIN;
}

int tool_pin_ask(jpki_key key, const char *prompt, tool_pin *p)
{
    if (read_pin(prompt, p) != 0) {
        tool_pin_wipe(p);
        return TOOL_EXIT_ERROR;
    }
    return check_rules(key, p);
}

int tool_pin_ask_new(jpki_key key, tool_pin *p)
{
    tool_pin again;
    int rc = tool_pin_ask(
        key,
        key == JPKI_AUTH ? _("New authentication PIN (4 digits): ")
                         : _("New signature PIN (6-16 characters, A-Z 0-9): "),
        p);
    if (rc != 0)
        return rc;
    rc = tool_pin_ask(key,
                      key == JPKI_AUTH ? _("New authentication PIN again: ")
                                       : _("New signature PIN again: "),
                      &again);
    if (rc == 0 &&
        (again.len != p->len || CRYPTO_memcmp(again.s, p->s, p->len) != 0)) {
        tool_error(_("the two new PINs differ: nothing was changed"));
        rc = TOOL_EXIT_PIN;
    }
    tool_pin_wipe(&again);
    if (rc != 0)
        tool_pin_wipe(p);
    return rc;
}
