/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_status_notes.c - what "jpki-tool status" tells a card holder after
 * the readers. Facts only as public sources state them (docs/clients.md
 * and docs/troubleshooting.md cite them):
 *  - a certificate ends on the holder's fifth birthday after issue (or
 *    earlier with the card); the municipal office (市区町村窓口) renews
 *    it free of charge, from three months before the end; an expired one is
 *    replaced there too;
 *  - a move or a change of name, address, birth date or sex revokes the
 *    signature certificate; J-LIS gives revocation lists only to verifiers
 *    registered with it; the JPKI portal's オンライン窓口 checks one's own
 *    certificate;
 *  - a locked PIN is reset at the municipal office, or at a convenience
 *    store kiosk after the JPKI暗証番号リセット app, with the other PIN;
 *  - マイナポータル and e-Tax read the card through their own browser
 *    extension and program, not through the browser's PKCS#11 modules.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>

#include "tools/cmd_status.h"
#include "tools/tool.h"

void status_days(const ASN1_TIME *not_before, const ASN1_TIME *not_after,
                 char *from, char *until, size_t n, long *days_left,
                 time_t *end)
{
    struct tm tm;
    int days = 0, secs = 0;
    *days_left = 0;
    *end = 0;
    snprintf(from, n, "%s", _("unknown date"));
    snprintf(until, n, "%s", _("unknown date"));
    if (not_before && ASN1_TIME_to_tm(not_before, &tm))
        tool_date_jst(timegm(&tm), from, n);
    if (!not_after || !ASN1_TIME_to_tm(not_after, &tm))
        return;
    *end = timegm(&tm);
    tool_date_jst(*end, until, n);
    /* from now (NULL) to notAfter: whole days, rounded toward the past */
    if (ASN1_TIME_diff(&days, &secs, NULL, not_after))
        *days_left = days - (secs < 0 ? 1 : 0);
}

void status_notes_cert(status_notes *sn, jpki_key key, int expired,
                       long days_left, const char *until, int changed)
{
    if (key != JPKI_AUTH)
        return;
    sn->cards++;
    sn->changed |= changed;
    if (expired > 0)
        sn->expired = 1;
    else if (expired < 0 || days_left > STATUS_WARN_DAYS)
        return;
    else
        sn->expiring = 1;
    if (!sn->until[0] || days_left < sn->days_left) {
        sn->days_left = days_left;
        snprintf(sn->until, sizeof(sn->until), "%s", until);
    }
}

void status_notes_print(const status_notes *sn)
{
    if (sn->cards == 0)
        return;
    putchar('\n');
    if (sn->expired)
        printf(_("EXPIRED  The authentication certificate ended on %s: it no\n"
                 "         longer works for logins, and the signature "
                 "certificate, which\n"
                 "         never outlives it, no longer signs. New "
                 "certificates are issued\n"
                 "         at your municipal office (市区町村窓口); bring "
                 "the card.\n"),
               sn->until);
    else if (sn->expiring)
        printf(_("RENEW    The authentication certificate ends on %s, in %ld "
                 "days,\n"
                 "         and the signature certificate no later. Renew both "
                 "at your\n"
                 "         municipal office (市区町村窓口): free of charge, "
                 "possible from\n"
                 "         3 months before the end. Bring the card and "
                 "know your PINs.\n"),
               sn->until, sn->days_left);
    if (sn->changed)
        printf(_("RENEWED  The card's authentication certificate changed "
                 "since the last run\n"
                 "         (a renewal). Whatever holds the old one needs the "
                 "new one:\n"
                 "         ssh authorized_keys (jpki-tool ssh-key), sites "
                 "that registered it.\n"));
    if (sn->locked)
        printf(_("LOCKED   A locked PIN is reset at your municipal office "
                 "(市区町村窓口;\n"
                 "         bring the card), or at a convenience-store kiosk "
                 "with the other,\n"
                 "         unlocked PIN after booking with the "
                 "JPKI暗証番号リセット app.\n"));
    printf(_(
        "CRL      Revocation is not checked here. A move or a change "
        "of name,\n"
        "         address, birth date or sex revokes the signature "
        "certificate.\n"
        "         J-LIS gives revocation lists only to verifiers "
        "registered with\n"
        "         it; check your own certificates with J-LIS's online "
        "service\n"
        "         (公的個人認証サービス ポータルサイト, オンライン窓口).\n"));
    printf(_("Portals  マイナポータル and e-Tax read the card with their own "
             "browser\n"
             "         extension and program, not through this module: use "
             "their\n"
             "         smartphone QR code login, or e-Tax's "
             "ID・パスワード方式 (see README).\n"));
}

int status_notes_exit(const status_notes *sn)
{
    if (sn->expired)
        return STATUS_EXIT_EXPIRED;
    return sn->expiring ? STATUS_EXIT_EXPIRING : TOOL_EXIT_OK;
}
