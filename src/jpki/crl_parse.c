/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crl_parse.c - the structure of a CertificateList (RFC 5280 5.1), read in
 * place over its DER. crlx_parse() takes the outer layers and the CRL
 * extensions apart and only skips over revokedCertificates (its length is
 * enough); crlx_parse_entry() then reads one entry at a time, so a CRL of
 * millions of entries is never turned into objects.
 *
 * Refused as UNSUPPORTED: delta CRLs (deltaCRLIndicator), indirect CRLs
 * (IDP indirectCRL, or a certificateIssuer entry extension), and any
 * critical extension this reader does not process (RFC 5280 5.2, 5.3).
 */
#include "jpki/crl_priv.h"

#include <string.h>

#define OID_CE(x)                                                             \
    {                                                                         \
        0x55, 0x1d, (x)                                                       \
    }
static const uint8_t oid_aki[] = OID_CE(0x23), oid_crl_number[] = OID_CE(0x14),
                     oid_delta[] = OID_CE(0x1b), oid_idp[] = OID_CE(0x1c),
                     oid_reason[] = OID_CE(0x15),
                     oid_cert_issuer[] = OID_CE(0x1d);

#define FAIL(rv)                                                              \
    do {                                                                      \
        return (rv);                                                          \
    } while (0)
#define NEED(x)                                                               \
    do {                                                                      \
        if (!(x))                                                             \
            return JPKI_CRLX_ERR_PARSE;                                       \
    } while (0)

static int oid_is(crlx_span oid, const uint8_t *want, size_t len)
{
    return oid.len == len && memcmp(oid.p, want, len) == 0;
}

/* One Extension: its OID, criticality and extnValue content. */
static jpki_crlx_rv ext_next(const uint8_t **p, const uint8_t *end,
                             crlx_span *oid, int *critical, crlx_span *value)
{
    crlx_span e;
    NEED(crlx_der_expect(p, end, 0x30, &e, NULL) == 0);
    const uint8_t *q = e.p, *qe = e.p + e.len;
    NEED(crlx_der_expect(&q, qe, 0x06, oid, NULL) == 0 && oid->len > 0);
    crlx_span b;
    *critical = 0;
    if (crlx_der_expect(&q, qe, 0x01, &b, NULL) == 0) {
        NEED(b.len == 1 && (b.p[0] == 0xff || b.p[0] == 0x00));
        *critical = b.p[0] == 0xff;
    }
    NEED(crlx_der_expect(&q, qe, 0x04, value, NULL) == 0 && q == qe);
    return JPKI_CRLX_OK;
}

static jpki_crlx_rv parse_aki(crlx_span v, crlx_crl *c)
{
    crlx_span seq, item;
    const uint8_t *p = v.p;
    unsigned tag;
    NEED(crlx_der_expect(&p, v.p + v.len, 0x30, &seq, NULL) == 0 &&
         p == v.p + v.len);
    for (p = seq.p; p < seq.p + seq.len;) {
        NEED(crlx_der_next(&p, seq.p + seq.len, &tag, &item, NULL) == 0);
        if (tag == 0x80)
            c->aki_keyid = item;
    }
    return JPKI_CRLX_OK;
}

static jpki_crlx_rv parse_idp(crlx_span v, crlx_crl *c)
{
    crlx_span seq, item;
    const uint8_t *p = v.p;
    unsigned tag;
    NEED(crlx_der_expect(&p, v.p + v.len, 0x30, &seq, NULL) == 0 &&
         p == v.p + v.len);
    for (p = seq.p; p < seq.p + seq.len;) {
        NEED(crlx_der_next(&p, seq.p + seq.len, &tag, &item, NULL) == 0);
        if (tag == 0x84) { /* indirectCRL [4] BOOLEAN */
            NEED(item.len == 1);
            if (item.p[0])
                return JPKI_CRLX_ERR_UNSUPPORTED;
        }
    }
    c->idp = v;
    return JPKI_CRLX_OK;
}

static jpki_crlx_rv parse_crl_exts(crlx_span exts, crlx_crl *c)
{
    const uint8_t *p = exts.p, *end = exts.p + exts.len;
    crlx_span seq;
    NEED(crlx_der_expect(&p, end, 0x30, &seq, NULL) == 0 && p == end &&
         seq.len > 0);
    unsigned seen = 0;
    for (p = seq.p; p < seq.p + seq.len;) {
        crlx_span oid, val;
        int crit;
        jpki_crlx_rv rv = ext_next(&p, seq.p + seq.len, &oid, &crit, &val);
        if (rv != JPKI_CRLX_OK)
            return rv;
        unsigned bit = 0;
        if (oid_is(oid, oid_delta, 3))
            return JPKI_CRLX_ERR_UNSUPPORTED;
        if (oid_is(oid, oid_aki, 3)) {
            bit = 1;
            rv = parse_aki(val, c);
        } else if (oid_is(oid, oid_idp, 3)) {
            bit = 2;
            rv = parse_idp(val, c);
        } else if (oid_is(oid, oid_crl_number, 3)) {
            bit = 4;
            const uint8_t *q = val.p;
            NEED(crlx_der_expect(&q, val.p + val.len, 0x02, &c->crl_number,
                                 NULL) == 0 &&
                 q == val.p + val.len && c->crl_number.len > 0 &&
                 c->crl_number.len <= 20);
        } else if (crit) {
            return JPKI_CRLX_ERR_UNSUPPORTED;
        }
        if (rv != JPKI_CRLX_OK)
            return rv;
        NEED((seen & bit) == 0); /* each extension at most once */
        seen |= bit;
    }
    return JPKI_CRLX_OK;
}

static int is_time(unsigned tag)
{
    return tag == 0x17 || tag == 0x18;
}

jpki_crlx_rv crlx_parse(const uint8_t *der, size_t len, crlx_crl *c)
{
    memset(c, 0, sizeof *c);
    const uint8_t *p = der, *end = der + len;
    crlx_span outer, tbs, bits, v;
    unsigned tag;
    NEED(crlx_der_expect(&p, end, 0x30, &outer, NULL) == 0 && p == end);
    p = outer.p;
    end = outer.p + outer.len;
    NEED(crlx_der_expect(&p, end, 0x30, &tbs, &c->tbs) == 0);
    NEED(crlx_der_expect(&p, end, 0x30, NULL, &c->sig_alg) == 0);
    NEED(crlx_der_expect(&p, end, 0x03, &bits, NULL) == 0 && p == end);
    NEED(bits.len >= 2 && bits.p[0] == 0);
    c->sig.p = bits.p + 1;
    c->sig.len = bits.len - 1;

    p = tbs.p;
    end = tbs.p + tbs.len;
    if (crlx_der_expect(&p, end, 0x02, &v, NULL) == 0) {
        NEED(v.len == 1 && v.p[0] == 1); /* present only as v2 */
        c->v2 = 1;
    }
    crlx_span alg;
    NEED(crlx_der_expect(&p, end, 0x30, NULL, &alg) == 0);
    NEED(alg.len == c->sig_alg.len &&
         memcmp(alg.p, c->sig_alg.p, alg.len) == 0);
    NEED(crlx_der_expect(&p, end, 0x30, NULL, &c->issuer) == 0);
    NEED(crlx_der_next(&p, end, &tag, &v, NULL) == 0 && is_time(tag) &&
         crlx_der_time(tag, v, &c->this_update) == 0);
    const uint8_t *q = p;
    if (crlx_der_next(&q, end, &tag, &v, NULL) == 0 && is_time(tag)) {
        NEED(crlx_der_time(tag, v, &c->next_update) == 0);
        p = q;
    }
    c->revoked.p = p; /* empty unless present */
    (void)crlx_der_expect(&p, end, 0x30, &c->revoked, NULL);
    if (p < end) {
        NEED(crlx_der_expect(&p, end, 0xa0, &v, NULL) == 0 && c->v2);
        jpki_crlx_rv rv = parse_crl_exts(v, c);
        if (rv != JPKI_CRLX_OK)
            return rv;
    }
    NEED(p == end);
    return JPKI_CRLX_OK;
}

static jpki_crlx_rv parse_entry_exts(crlx_span exts, crlx_entry_raw *e)
{
    const uint8_t *p = exts.p, *end = exts.p + exts.len;
    NEED(exts.len > 0);
    int have_reason = 0;
    while (p < end) {
        crlx_span oid, val;
        int crit;
        jpki_crlx_rv rv = ext_next(&p, end, &oid, &crit, &val);
        if (rv != JPKI_CRLX_OK)
            return rv;
        if (oid_is(oid, oid_reason, 3)) {
            crlx_span en;
            const uint8_t *q = val.p;
            NEED(!have_reason &&
                 crlx_der_expect(&q, val.p + val.len, 0x0a, &en, NULL) == 0 &&
                 q == val.p + val.len && en.len == 1 && en.p[0] <= 10);
            e->reason = en.p[0];
            have_reason = 1;
        } else if (oid_is(oid, oid_cert_issuer, 3) || crit) {
            return JPKI_CRLX_ERR_UNSUPPORTED;
        }
    }
    return JPKI_CRLX_OK;
}

jpki_crlx_rv crlx_parse_entry(const crlx_crl *c, const uint8_t **p,
                              const uint8_t *end, crlx_entry_raw *e)
{
    crlx_span seq, serial, t;
    unsigned tag;
    NEED(crlx_der_expect(p, end, 0x30, &seq, NULL) == 0);
    const uint8_t *q = seq.p, *qe = seq.p + seq.len;
    NEED(crlx_der_expect(&q, qe, 0x02, &serial, NULL) == 0);
    NEED(crlx_serial_norm(serial.p, serial.len, &e->serial, &e->serial_len) ==
         0);
    NEED(crlx_der_next(&q, qe, &tag, &t, NULL) == 0 && is_time(tag) &&
         crlx_der_time(tag, t, &e->date) == 0);
    e->reason = -1;
    if (q < qe) {
        crlx_span exts;
        NEED(c->v2 && crlx_der_expect(&q, qe, 0x30, &exts, NULL) == 0 &&
             q == qe);
        return parse_entry_exts(exts, e);
    }
    return JPKI_CRLX_OK;
}
