/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trust.c - the module checks the card's certificates (src/jpki/verify.h)
 * against the configured anchors and CRL, and logs the verdict:
 *   - the authentication certificate when the module first reads it
 *     (listing objects, signing) - no extra card access - or, with
 *     "invalid_cert = hide", at first sight of the card, which it then
 *     hides, as if it were not a JPKI card, until it is removed; "offer"
 *     (the default) offers it with a warning in the log;
 *   - after login to the signature token, its certificate (readable only
 *     then); logged only, since the user has already chosen the token.
 * A smartphone token's authentication certificate also needs the PIN: it
 * is checked after login like the signature certificate.
 * The log carries the verdict and the reasons, never a subject name or any
 * other personal data.
 */
#include "pkcs11/p11.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "jpki/cache.h"
#include "jpki/verify.h"

static const char *const what[2] = { "authentication", "signature" };

/* Checks the token's certificate; returns its verdict. */
static jpki_vstatus check(p11_token *tok)
{
    const p11_config *cfg = &p11_g.cfg;
    const char *crls[1] = { cfg->crl };
    jpki_vopts o;
    jpki_vresult r;
    char why[512], crl_dir[4096];
    size_t n = 0;

    memset(&o, 0, sizeof o);
    o.anchors_dir = cfg->anchors[0] ? cfg->anchors : NULL;
    o.crls = crls;
    o.n_crls = cfg->crl[0] ? 1 : 0;
    o.purpose = tok->key == JPKI_SIGN ? JPKI_PURPOSE_SIGN : JPKI_PURPOSE_AUTH;
    o.flags = cfg->allow_test_pki ? JPKI_VF_ALLOW_TEST_PKI : 0;
    /* The CRL index goes with the certificate cache: in its directory's
     * "crl" (the configured one, else the default place); nowhere on disk
     * (built in memory at each check) with "cache = off" or when the cache
     * refused its directory as unsafe - never in a directory the cache
     * would not use. */
    if (jpki_cache_crl_dir(crl_dir, sizeof crl_dir))
        o.crl_cache_dir = crl_dir;
    else
        o.flags |= JPKI_VF_NO_CRL_CACHE;
    jpki_verify(tok->cert->der.p, tok->cert->der.len, &o, &r);
    why[0] = '\0';
    for (int i = 0; i < JPKI_VR_COUNT && n < sizeof why; i++)
        if (jpki_vresult_has(&r, (jpki_vreason)i))
            n += (size_t)snprintf(why + n, sizeof why - n, "%s%s",
                                  n ? ", " : "",
                                  jpki_vreason_name((jpki_vreason)i));
    if (r.status == JPKI_VS_VALID)
        JLOG_INFO("card in '%s': %s certificate valid (revocation: %s)%s%s",
                  tok->card->rd->name, what[tok->key],
                  jpki_revstate_name(r.revocation), n ? "; notes: " : "", why);
    else
        JLOG_WARN("card in '%s': %s certificate %s: %s", tok->card->rd->name,
                  what[tok->key], jpki_vstatus_name(r.status), why);
    return r.status;
}

int p11_trust_card_inserted(p11_card *c)
{
    p11_token *auth = &c->tok[JPKI_AUTH];

    /* With "offer" the verdict changes nothing but the log: the certificate
     * is checked when it is read anyway (p11_trust_token_cert), so listing
     * a card costs no extra READ BINARY. "hide" needs the verdict now. */
    if (!p11_g.cfg.invalid_cert_hide || jpki_card_is_smartphone(c->jc))
        return 0; /* a phone's certificate needs the PIN: after login */
    if (p11_token_load_cert(auth) != CKR_OK || !auth->cert) {
        JLOG_WARN(
            "card in '%s': authentication certificate unreadable, not checked",
            c->rd->name);
        return 0;
    }
    if (auth->trust_valid)
        return 0;
    JLOG_WARN("card in '%s': hidden (invalid_cert = hide)", c->rd->name);
    /* Treated like a card of another kind until it is removed; no slot
     * event, since no token ever appeared. */
    unsigned events = c->events;
    unsigned long generation = c->generation;
    p11_card_forget(c);
    c->events = events;
    c->generation = generation;
    c->foreign = 1;
    return 1;
}

void p11_trust_token_cert(p11_token *tok)
{
    if (!tok->cert || tok->trust_checked)
        return;
    tok->trust_valid = check(tok) == JPKI_VS_VALID;
    tok->trust_checked = 1;
}
