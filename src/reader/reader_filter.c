/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader_filter.c - which PC/SC readers the configuration lets the module
 * use (readers_allow / readers_deny): a pure function of the reader name.
 */
#include "reader/reader_filter.h"

#include <ctype.h>
#include <string.h>

/* Does the pattern p (length n) occur in name, ignoring case? */
static int contains(const char *name, const char *p, size_t n)
{
    size_t i, len = strlen(name);

    for (i = 0; n <= len && i <= len - n; i++) {
        size_t j = 0;
        while (j < n && tolower((unsigned char)name[i + j]) ==
                            tolower((unsigned char)p[j]))
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* -1: the list has no pattern; 1: one matches; 0: none does. */
static int list_match(const char *list, const char *name)
{
    int any = 0;

    while (list && *list) {
        const char *end = strchr(list, ','), *s = list, *e;
        if (!end)
            end = list + strlen(list);
        e = end;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            any = 1;
            if (contains(name, s, (size_t)(e - s)))
                return 1;
        }
        list = *end ? end + 1 : end;
    }
    return any ? 0 : -1;
}

int pcsc_reader_allowed(const char *allow, const char *deny, const char *name)
{
    if (!name)
        return 0;
    if (list_match(deny, name) == 1)
        return 0;
    return list_match(allow, name) != 0;
}
