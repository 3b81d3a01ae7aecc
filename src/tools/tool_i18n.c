/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool_i18n.c - jpki-tool's language: the locale, the message catalogue
 * (po/ja.po, installed as LOCALEDIR/ja/LC_MESSAGES/jpki-tool.mo) and dates.
 *
 * gettext is glibc's own: no library is added. The module never calls
 * any of this; only jpki-tool speaks Japanese.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "tools/tool.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define JST_OFFSET_S (9 * 3600) /* Japan has no daylight saving time */

void tool_i18n_init(void)
{
    /* secure_getenv: a setuid or setgid run ignores the override. */
    const char *dir = secure_getenv("JPKI_TOOL_LOCALEDIR");
    setlocale(LC_ALL, "");
    /* Numbers in JSON and on the wire keep the C form in every locale. */
    setlocale(LC_NUMERIC, "C");
    bindtextdomain(TOOL_TEXTDOMAIN, dir && *dir ? dir : LOCALEDIR);
    textdomain(TOOL_TEXTDOMAIN);
}

void tool_date_jst(time_t t, char *out, size_t n)
{
    struct tm tm;
    time_t jst = t + JST_OFFSET_S;
    if (!gmtime_r(&jst, &tm)) {
        snprintf(out, n, "%s", _("unknown date"));
        return;
    }
    /* TRANSLATORS: year, month, day of a date in Japan Standard Time;
     * Japanese: 2031年12月7日 */
    snprintf(out, n, _("%04d-%02d-%02d JST"), tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
}

void tool_put_padded(FILE *out, const char *s, int width)
{
    wchar_t w[64];
    size_t n = mbstowcs(w, s, sizeof w / sizeof w[0] - 1);
    int cols = n == (size_t)-1 || n >= sizeof w / sizeof w[0] - 1
                   ? -1
                   : wcswidth(w, n);
    if (cols < 0)
        cols = (int)strlen(s); /* not text of this locale: count bytes */
    fputs(s, out);
    for (; cols < width; cols++)
        fputc(' ', out);
}
