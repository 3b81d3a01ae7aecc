/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_card.c - finding the holder's card and reporting what it answered,
 * for the pin, cert, sign and ssh-key commands. The card is opened through
 * the module's own layers (src/jpki), with the module's configuration, so
 * the tool sees exactly the readers the module would.
 */
#include "tools/tool_card.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileutil.h"
#include "common/log.h"
#include "jpki/cache.h"
#include "pkcs11/config.h"
#include "tools/tool.h"

int tool_card_open(tool_card *tc, const char *cmd)
{
    p11_config cfg;
    jpki_rv last = JPKI_ERR_NO_CARD;

    memset(tc, 0, sizeof(*tc));
    jlog_init(-1, NULL);
    p11_config_load(&cfg);
    jlog_init(cfg.log_level, cfg.log_file[0] ? cfg.log_file : NULL);
    jpki_cache_configure(cfg.cache); /* "cache = off" holds for the tool too */
    if (reader_list_emulators(cfg.emulator, &tc->list, &tc->n) != READER_OK ||
        (cfg.pcsc && reader_pcsc_list(cfg.readers_allow, cfg.readers_deny,
                                      &tc->list, &tc->n) != READER_OK)) {
        tool_error(_("%s: out of memory"), cmd);
        tool_card_close(tc);
        return TOOL_EXIT_ERROR;
    }
    for (size_t i = 0; i < tc->n; i++) {
        jpki_rv rv = jpki_card_open(tc->list[i], &tc->card);
        if (rv == JPKI_OK)
            return 0;
        if (rv != JPKI_ERR_NO_CARD && rv != JPKI_ERR_NOT_JPKI)
            last = rv;
    }
    if (tc->n == 0)
        tool_error(_("%s: no card reader found (is pcscd running? see "
                     "'jpki-tool status')"),
                   cmd);
    else if (last == JPKI_ERR_NO_CARD)
        tool_error(
            _("%s: no My Number Card found: insert the card and run the "
              "command again"),
            cmd);
    else
        tool_card_fail(cmd, last);
    tool_card_close(tc);
    return TOOL_EXIT_ERROR;
}

void tool_card_close(tool_card *tc)
{
    if (tc->card)
        jpki_card_close(tc->card);
    if (tc->list)
        reader_list_free(tc->list, tc->n);
    memset(tc, 0, sizeof(*tc));
    jlog_close();
}

int tool_card_fail(const char *cmd, jpki_rv rv)
{
    switch (rv) {
    case JPKI_ERR_NO_CARD:
    case JPKI_ERR_REMOVED:
        tool_error(
            _("%s: the card was removed or stopped answering: insert it "
              "and run the command again"),
            cmd);
        break;
    case JPKI_ERR_BUSY:
        tool_error(
            _("%s: the card is in use by another program: try again when "
              "it is done"),
            cmd);
        break;
    case JPKI_ERR_COMM:
        tool_error(
            _("%s: communication with the card failed: reinsert the card "
              "and run the command again"),
            cmd);
        break;
    case JPKI_ERR_SECURITY:
        tool_error(
            _("%s: the card asks for the PIN again (it was reset or "
              "another program used it meanwhile): run the command again"),
            cmd);
        break;
    default:
        tool_error(_("%s: the card answered: %s"), cmd, jpki_strerror(rv));
    }
    return TOOL_EXIT_ERROR;
}

void tool_card_locked(const char *cmd, jpki_key key)
{
    if (key == JPKI_AUTH)
        tool_error(
            _("%s: the authentication PIN is locked (no tries left); no PIN "
              "was sent. It can be reset at your municipal office "
              "(市区町村窓口): bring the card; or at a convenience-store "
              "kiosk with your signature PIN (JPKI暗証番号リセット app)."),
            cmd);
    else
        tool_error(_("%s: the signature PIN is locked (no tries left); no PIN "
                     "was sent. It can be reset at your municipal office "
                     "(市区町村窓口): bring the card; or at a "
                     "convenience-store kiosk with your authentication PIN "
                     "(JPKI暗証番号リセット app)."),
                   cmd);
}

int tool_card_verify(tool_card *tc, const char *cmd, jpki_key key,
                     const tool_pin *pin)
{
    int tries = -1, present = 1;
    jpki_rv rv = jpki_card_has_cert(tc->card, key, &present);

    if (rv == JPKI_OK && !present) { /* EF 0008: no certificate, no PIN */
        if (key == JPKI_AUTH)
            tool_error(_("%s: this card carries no authentication "
                         "certificate, so it has no such PIN; no PIN was "
                         "sent (jpki-tool status says more)"),
                       cmd);
        else
            tool_error(_("%s: this card carries no signature certificate, "
                         "so it has no such PIN; no PIN was sent (jpki-tool "
                         "status says more)"),
                       cmd);
        return TOOL_EXIT_PIN;
    }
    rv = jpki_card_pin_status(tc->card, key, &tries);
    if (rv != JPKI_OK)
        return tool_card_fail(cmd, rv);
    if (tries == 0) {
        tool_card_locked(cmd, key);
        return TOOL_EXIT_PIN;
    }
    rv = jpki_card_verify_pin(tc->card, key, pin->s, pin->len, &tries);
    switch (rv) {
    case JPKI_OK: return 0;
    case JPKI_ERR_PIN_INCORRECT:
        if (key == JPKI_AUTH)
            tool_error(_("%s: wrong authentication PIN: %d tries left%s"), cmd,
                       tries,
                       tries == 1 ? _(" (one more wrong PIN locks it)") : "");
        else
            tool_error(_("%s: wrong signature PIN: %d tries left%s"), cmd,
                       tries,
                       tries == 1 ? _(" (one more wrong PIN locks it)") : "");
        return TOOL_EXIT_PIN;
    case JPKI_ERR_PIN_LOCKED: tool_card_locked(cmd, key); return TOOL_EXIT_PIN;
    case JPKI_ERR_PIN_FORMAT: /* checked before; the card disagrees */
        tool_error(_("%s: the card refused the PIN's format"), cmd);
        return TOOL_EXIT_PIN;
    default: return tool_card_fail(cmd, rv);
    }
}

int tool_card_read_cert(tool_card *tc, const char *cmd, jpki_key key, int ca,
                        unsigned char **der, size_t *len)
{
    jpki_rv rv = jpki_card_read_cert(tc->card, key, ca, der, len);

    if (rv == JPKI_ERR_SECURITY && key == JPKI_AUTH && !ca) {
        /* A smartphone token keeps its authentication certificate behind
         * the authentication PIN. */
        tool_pin pin;
        int rc;
        fprintf(stderr,
                _("This token gives its authentication certificate only "
                  "after the authentication PIN.\n"));
        if ((rc = tool_pin_ask(JPKI_AUTH, _("Authentication PIN (4 digits): "),
                               &pin)) != 0)
            return rc;
        rc = tool_card_verify(tc, cmd, JPKI_AUTH, &pin);
        tool_pin_wipe(&pin);
        if (rc != 0)
            return rc;
        rv = jpki_card_read_cert(tc->card, key, ca, der, len);
        jpki_card_logout(tc->card);
    }
    if (rv == JPKI_ERR_NOT_FOUND) {
        tool_error(_("%s: the card holds no such certificate"), cmd);
        return TOOL_EXIT_ERROR;
    }
    if (rv != JPKI_OK)
        return tool_card_fail(cmd, rv);
    return 0;
}

/* ---- output files -------------------------------------------------------- */

static void exists(const char *cmd, const char *path)
{
    tool_error(_("%s: %s exists already: not overwritten (remove it or choose "
                 "another name)"),
               cmd, path);
}

int tool_out_free(const char *cmd, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        exists(cmd, path);
        return TOOL_EXIT_ERROR;
    }
    return 0;
}

int tool_write_new(const char *cmd, const char *path, const void *data,
                   size_t n)
{
    int fd = STDOUT_FILENO;

    if (path) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0) {
            if (errno == EEXIST || errno == ELOOP)
                exists(cmd, path);
            else
                tool_error(_("%s: cannot create %s: %s"), cmd, path,
                           strerror(errno));
            return TOOL_EXIT_ERROR;
        }
    }
    int err = fu_write_all(fd, data, n) != 0 ? (errno ? errno : EIO) : 0;
    if (path && close(fd) != 0 && !err)
        err = errno ? errno : EIO;
    if (!err)
        return 0;
    tool_error(_("%s: writing %s failed: %s"), cmd,
               path ? path : _("the output"), strerror(err));
    if (path)
        unlink(path);
    return TOOL_EXIT_ERROR;
}
