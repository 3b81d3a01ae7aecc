/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader_filter.h - reader selection by name (readers_allow/readers_deny).
 */
#ifndef JPKI_READER_FILTER_H
#define JPKI_READER_FILTER_H

/* Reader selection of the configuration. allow and deny are lists of
 * patterns separated by ','; blanks around a pattern are ignored. A
 * pattern matches when it occurs in the name, ignoring case. A reader is
 * used when allow is empty or one of its patterns matches, and no pattern
 * of deny matches (deny wins). NULL lists are empty. */
int pcsc_reader_allowed(const char *allow, const char *deny, const char *name);

#endif
