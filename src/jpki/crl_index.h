/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_index.h - revocation lists at JPKI scale.
 *
 * A CRL of millions of entries is parsed once, streaming over its DER, into
 * a compact sorted index of revoked serial numbers. The index lives in a
 * file in a cache directory (written atomically, memory-mapped when used)
 * and is rebuilt when the CRL file changes. Every check after that is a
 * binary search in the mapping: no X509_CRL is ever loaded.
 *
 * The index never answers for a CRL whose signature did not verify: the
 * signature is checked against one of the given issuer certificates before
 * any entry is stored, and the index records which issuer key verified it.
 *
 * Time-related judgements (is the CRL stale at time T?) and partition
 * matching (does this CRL cover that certificate?) belong to the caller
 * (verify.c): this layer reports thisUpdate, nextUpdate and the issuing
 * distribution point as they are.
 */
#ifndef JPKI_CRL_INDEX_H
#define JPKI_CRL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

typedef struct jpki_crlx jpki_crlx;

typedef enum {
    JPKI_CRLX_OK = 0,
    JPKI_CRLX_ERR_ARGS,
    JPKI_CRLX_ERR_MEMORY,
    JPKI_CRLX_ERR_IO,          /* CRL unreadable, or the cache unwritable */
    JPKI_CRLX_ERR_PARSE,       /* not a CRL: truncated, garbage, bad DER/PEM */
    JPKI_CRLX_ERR_ISSUER,      /* no given issuer matches the CRL's issuer
                                * name and authority key identifier */
    JPKI_CRLX_ERR_SIGNATURE,   /* the signature does not verify */
    JPKI_CRLX_ERR_UNSUPPORTED, /* delta or indirect CRL, or an unknown
                                * critical extension (CRL or entry) */
    JPKI_CRLX_ERR_DAMAGED,     /* lookup: the index's entries or table are
                                * damaged; the revocation is unknown */
} jpki_crlx_rv;

const char *jpki_crlx_strerror(jpki_crlx_rv rv);

/* What the CRL says about itself. Pointers stay valid until close. */
typedef struct {
    int64_t this_update;   /* seconds since the epoch, UTC */
    int64_t next_update;   /* 0 when the CRL has none */
    const uint8_t *issuer; /* the CRL's issuer Name, DER */
    size_t issuer_len;
    const uint8_t *idp; /* issuingDistributionPoint extension value
                                 * (DER), NULL for a CRL without one */
    size_t idp_len;
    const uint8_t *crl_number; /* cRLNumber INTEGER content, NULL if none */
    size_t crl_number_len;
    uint8_t issuer_spki_sha256[32]; /* SHA-256 of the DER SubjectPublicKeyInfo
                                     * of the issuer that verified it */
    uint8_t crl_sha256[32];         /* SHA-256 of the CRL as DER */
    uint64_t entries;
} jpki_crlx_info;

/* Opens the index of the CRL file crl_path (DER or PEM), building it first
 * when cache_dir holds none for this file or the file changed since (the
 * check must be cheap: no hashing of the whole CRL on a warm open). A build
 * picks the issuer among `issuers` by name and key identifier, verifies the
 * signature, and is all-or-nothing: a crash mid-build leaves any previous
 * index in use. A warm open still refuses an index whose verifying issuer
 * key is not among `issuers`. cache_dir NULL: the index is built in memory
 * only (nothing written). cache_dir is created (mode 0700) if missing; a
 * cache_dir or index file that fails the private rules of common/fileutil.h
 * (another user could write it, a symlink, a FIFO...) is never trusted nor
 * written: the index is then built in memory, and the reason logged once.
 * The CRL is read, never mapped: one that changes during the build gives
 * JPKI_CRLX_ERR_IO. */
jpki_crlx_rv jpki_crlx_open(const char *crl_path, STACK_OF(X509) * issuers,
                            const char *cache_dir, jpki_crlx **out);

/* The same for a CRL in memory (DER or PEM); never cached. For tests and
 * fuzzing. */
jpki_crlx_rv jpki_crlx_open_mem(const uint8_t *crl, size_t len,
                                STACK_OF(X509) * issuers, jpki_crlx **out);

const jpki_crlx_info *jpki_crlx_get_info(const jpki_crlx *x);

typedef struct {
    int revoked;             /* 1: the serial is on the list */
    int64_t revocation_date; /* seconds since the epoch, UTC */
    int reason;              /* CRLReason code, -1 when the entry has none */
} jpki_crlx_entry;

/* Looks a certificate serial up. serial: the content octets of the DER
 * INTEGER (big-endian, as in the certificate, without tag and length).
 * JPKI_CRLX_ERR_DAMAGED when the entries the answer rests on fail their
 * check: the caller must treat the revocation as unknown. */
jpki_crlx_rv jpki_crlx_lookup(const jpki_crlx *x, const uint8_t *serial,
                              size_t serial_len, jpki_crlx_entry *out);

void jpki_crlx_close(jpki_crlx *x);

#endif
