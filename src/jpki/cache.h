/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache.h - the on-disk cache of a card's public files, shared by the
 * processes of one user (design and safety argument in cache.c).
 *
 * Only public files go in: the token-info file, the authentication
 * certificate, the two CA certificates and the certificate map (EF 0008),
 * plus the card id and the facts learnt about the card (cardfacts.c).
 * Never the signature certificate
 * (personal data): the caller must not put it, and jpki_cache_put refuses
 * every file id it does not know as public.
 */
#ifndef JPKI_CACHE_H
#define JPKI_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Process-wide setting, from the module's configuration: NULL or "" the
 * default directory ($XDG_CACHE_HOME/jpki-pkcs11, else
 * ~/.cache/jpki-pkcs11), "off" no cache, else the directory to use. */
void jpki_cache_configure(const char *setting);

typedef struct jpki_cache jpki_cache;

/* The cache of the card insertion named by identity (reader_identity).
 * Loads the file if it is there and intact. NULL when the cache is off or
 * no directory can be used: the caller then reads the card. */
jpki_cache *jpki_cache_open(const char *identity);
void jpki_cache_free(jpki_cache *c);

/* A cached file's bytes (owned by the cache), or 0 if not cached. */
int jpki_cache_get(const jpki_cache *c, uint16_t fid, const uint8_t **p,
                   size_t *len);
/* Adds a public file (in memory; jpki_cache_flush writes). Any other file
 * id is ignored. */
void jpki_cache_put(jpki_cache *c, uint16_t fid, const uint8_t *p, size_t len);
/* Rewrites the cache file atomically if something was added. A failure is
 * logged and otherwise ignored: the cache only saves time. Call it outside
 * the card transaction (fsync may take milliseconds). */
void jpki_cache_flush(jpki_cache *c);

/* The CRL index directory that goes with the cache: "<dir>/crl" when the
 * cache is on and its directory passes the private-directory rules
 * (common/fileutil.h), else NULL (cache off, no directory, or one that
 * another user could write: the reason is logged once). */
const char *jpki_cache_crl_dir(char *buf, size_t len);

/* Renewal detection (jpki-tool status): md is the SHA-256 of the card's
 * authentication certificate, chip_serial the card's manufacturing serial
 * (jpki_card_serial). Returns 1 when the same card showed another
 * certificate last time, 0 when it showed this one or was never seen, -1
 * when the cache is off; records md either way, so a change is told once. */
int jpki_cache_cert_changed(const char *chip_serial, const uint8_t md[32]);

#endif
