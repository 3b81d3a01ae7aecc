/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_pin.c - "jpki-tool pin status" and "jpki-tool pin change auth|sign".
 *
 * status reads both retry counters with the card's status query: no try is
 * spent. change shows the tries left, asks for the old PIN and the new one
 * twice, checks all three against the PIN rules before the card sees any,
 * and then sends VERIFY and CHANGE REFERENCE DATA in one transaction. A
 * locked PIN gets no VERIFY at all.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/tool.h"
#include "tools/tool_card.h"

static void pin_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s pin status\n"
          "       %s pin change auth|sign [--pin-fd N]\n"
          "\n"
          "status  the tries left on both PINs (no try is spent)\n"
          "change  change the authentication PIN (auth: 4 digits) or the\n"
          "        signature PIN (sign: 6-16 characters, A-Z and 0-9; lower\n"
          "        case is read as upper case). Asks for the old PIN, then "
          "for\n"
          "        the new one twice.\n"
          "\n"
          "  --pin-fd N  read the PINs from file descriptor N, one per line, "
          "in\n"
          "              the order of the prompts (old, new, new again)\n"
          "\n"
          "Exit status: 0 done, 1 card error, 2 usage, 4 wrong, locked or\n"
          "malformed PIN, or the two new PINs differ.\n"),
        TOOL_NAME, TOOL_NAME);
}

static void print_tries(jpki_key key, int tries)
{
    int max = jpki_pin_max_tries(key);
    if (key == JPKI_AUTH) {
        if (tries == 0)
            printf(_("authentication PIN  LOCKED (0 of %d tries left)\n"),
                   max);
        else
            printf(_("authentication PIN  %d of %d tries left\n"), tries, max);
    } else {
        if (tries == 0)
            printf(_("signature PIN       LOCKED (0 of %d tries left)\n"),
                   max);
        else
            printf(_("signature PIN       %d of %d tries left\n"), tries, max);
    }
    if (tries == 1)
        printf(
            _("                    final try: one more wrong PIN locks it\n"));
}

static int do_status(void)
{
    tool_card tc;
    int rc = tool_card_open(&tc, "pin status");
    if (rc != 0)
        return rc;
    int locked = 0;
    /* One transaction for both counters; if it cannot be had, each query
     * opens its own and reports the card's state. */
    int in_tx = jpki_card_begin(tc.card) == JPKI_OK;
    for (int k = JPKI_AUTH; k <= JPKI_SIGN && rc == 0; k++) {
        int tries = -1;
        jpki_rv rv = jpki_card_pin_status(tc.card, (jpki_key)k, &tries);
        if (rv != JPKI_OK) {
            rc = tool_card_fail("pin status", rv);
            break;
        }
        print_tries((jpki_key)k, tries);
        locked |= tries == 0;
    }
    if (in_tx)
        jpki_card_end(tc.card);
    tool_card_close(&tc);
    if (rc == 0 && locked)
        printf(_("A locked PIN can be reset at your municipal office "
                 "(市区町村窓口; bring the card), or at a convenience-store "
                 "kiosk\nwith the other, unlocked PIN after booking with the "
                 "JPKI暗証番号リセット app.\n"));
    return rc;
}

static int do_change(jpki_key key)
{
    const char *cmd = "pin change";
    tool_card tc;
    tool_pin old, new_pin;
    int tries = -1, rc;

    if ((rc = tool_card_open(&tc, cmd)) != 0)
        return rc;
    jpki_rv rv = jpki_card_pin_status(tc.card, key, &tries);
    if (rv != JPKI_OK) {
        rc = tool_card_fail(cmd, rv);
        goto out;
    }
    print_tries(key, tries);
    fflush(stdout);
    if (tries == 0) {
        tool_card_locked(cmd, key);
        rc = TOOL_EXIT_PIN;
        goto out;
    }
    rc = tool_pin_ask(
        key,
        key == JPKI_AUTH
            ? _("Current authentication PIN (4 digits): ")
            : _("Current signature PIN (6-16 characters, A-Z 0-9): "),
        &old);
    if (rc != 0)
        goto out;
    if ((rc = tool_pin_ask_new(key, &new_pin)) != 0) {
        tool_pin_wipe(&old);
        goto out;
    }
    rv = jpki_card_change_pin(tc.card, key, old.s, old.len, new_pin.s,
                              new_pin.len, &tries);
    tool_pin_wipe(&old);
    tool_pin_wipe(&new_pin);
    switch (rv) {
    case JPKI_OK:
        if (key == JPKI_AUTH)
            printf(_("The authentication PIN was changed.\n"));
        else
            printf(_("The signature PIN was changed.\n"));
        break;
    case JPKI_ERR_PIN_INCORRECT:
        if (key == JPKI_AUTH)
            tool_error(
                _("%s: wrong current authentication PIN: %d tries left%s; "
                  "nothing was changed"),
                cmd, tries,
                tries == 1 ? _(" (one more wrong PIN locks it)") : "");
        else
            tool_error(_("%s: wrong current signature PIN: %d tries left%s; "
                         "nothing was changed"),
                       cmd, tries,
                       tries == 1 ? _(" (one more wrong PIN locks it)") : "");
        rc = TOOL_EXIT_PIN;
        break;
    case JPKI_ERR_PIN_LOCKED:
        tool_card_locked(cmd, key);
        rc = TOOL_EXIT_PIN;
        break;
    case JPKI_ERR_PIN_FORMAT:
        tool_error(
            _("%s: the card refused the new PIN; the old one still holds"),
            cmd);
        rc = TOOL_EXIT_PIN;
        break;
    default:
        tool_card_fail(cmd, rv);
        tool_error(
            _("%s: the change may not have happened: check with the old "
              "PIN first ('jpki-tool pin status' shows the tries left)"),
            cmd);
        rc = TOOL_EXIT_ERROR;
    }
    jpki_card_logout(tc.card);
out:
    tool_card_close(&tc);
    return rc;
}

int cmd_pin(int argc, char **argv)
{
    int rc = tool_pin_options(argc, argv, "pin", pin_usage);
    if (rc >= 0)
        return rc;
    int nargs = argc - optind;
    if (nargs == 1 && strcmp(argv[optind], "status") == 0)
        return do_status();
    if (nargs == 2 && strcmp(argv[optind], "change") == 0) {
        if (strcmp(argv[optind + 1], "auth") == 0)
            return do_change(JPKI_AUTH);
        if (strcmp(argv[optind + 1], "sign") == 0)
            return do_change(JPKI_SIGN);
    }
    pin_usage(stderr);
    return TOOL_EXIT_USAGE;
}
