/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * token.c - the two tokens of a card: token info and flags, and what each
 * token holds. The authentication certificate is read freely; the
 * signature certificate (personal data) only after the signature PIN, and
 * it is dropped again at logout.
 */
#include "pkcs11/p11.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/log.h"

static const char *const token_label[2] = { "JPKI User Authentication",
                                            "JPKI Digital Signature" };

/* A card without this token's certificate (EF 0008: a child under 15 has
 * no signature certificate, an adult may decline either) has no key and no
 * PIN for it either. The slot stays, for stable numbering, with a token
 * that says so in its label and offers no object and no login. */
int p11_token_absent(p11_token *tok)
{
    int present = 1;

    return tok->card->jc &&
           jpki_card_has_cert(tok->card->jc, tok->key, &present) == JPKI_OK &&
           !present;
}

/* The certificate of this token needs the PIN first: always for the
 * signature key; on a smartphone also for the authentication key. */
static int cert_needs_pin(const p11_token *tok)
{
    return tok->key == JPKI_SIGN || jpki_card_is_smartphone(tok->card->jc);
}

int p11_token_logged_in(p11_token *tok)
{
    if (tok->logged_in &&
        jpki_card_resets(tok->card->jc) != tok->login_resets) {
        /* The card was reset or another program selected another
         * application: the PINs are no longer verified. */
        JLOG_INFO("token '%s': the card lost its login",
                  token_label[tok->key]);
        p11_card_logged_out(tok->card);
    }
    return tok->logged_in;
}

int p11_token_logged_in_now(p11_token *tok)
{
    /* Only a logged-in token has anything to lose; asking costs two calls
     * to pcscd and no APDU. A reset seen here counts in jpki_card_resets. */
    if (tok->logged_in && tok->card->jc &&
        jpki_card_begin(tok->card->jc) == JPKI_OK)
        jpki_card_end(tok->card->jc);
    return p11_token_logged_in(tok);
}

static CK_RV read_cert(p11_token *tok, int ca, jpki_cert **out)
{
    uint8_t *der = NULL;
    size_t len = 0;
    jpki_rv rv = jpki_card_read_cert(tok->card->jc, tok->key, ca, &der, &len);

    if (rv == JPKI_OK) {
        rv = jpki_cert_parse(der, len, out);
        OPENSSL_cleanse(der, len);
        free(der);
        if (rv != JPKI_OK) {
            JLOG_ERR("certificate on the card is malformed");
            return CKR_DEVICE_ERROR;
        }
        return CKR_OK;
    }
    free(der);
    if (rv == JPKI_ERR_NOT_FOUND && (ca || p11_token_absent(tok)))
        return CKR_OK; /* the CA certificate may be absent, and a
                        * certificate declined (EF 0008 says so) */
    return p11_card_error(tok->card, rv);
}

static CK_RV build_key_objects(p11_token *tok, int is_private)
{
    CK_RV rv = p11_object_build(tok, P11_OBJ_CERT, tok->cert, is_private);

    if (rv == CKR_OK)
        rv = p11_object_build(tok, P11_OBJ_PUBKEY, tok->cert, is_private);
    if (rv == CKR_OK)
        rv = p11_object_build(tok, P11_OBJ_PRIVKEY, tok->cert, 1);
    return rv;
}

/* The key's certificate, when it can be read without the PIN. */
CK_RV p11_token_load_cert(p11_token *tok)
{
    CK_RV rv;

    /* Only the authentication certificate of a card gets here: its own
     * "not found" says it is absent, at no extra command. */
    if (tok->cert || cert_needs_pin(tok))
        return CKR_OK;
    rv = read_cert(tok, 0, &tok->cert);
    if (rv == CKR_OK && tok->cert)
        rv = build_key_objects(tok, 0);
    if (rv == CKR_OK && tok->cert)
        p11_trust_token_cert(tok); /* trust.c: logs the verdict */
    return rv;
}

static CK_RV load_ca(p11_token *tok)
{
    CK_RV rv;

    if (tok->ca_read)
        return CKR_OK;
    rv = read_cert(tok, 1, &tok->ca);
    if (rv != CKR_OK)
        return rv;
    tok->ca_read = 1;
    return tok->ca ? p11_object_build(tok, P11_OBJ_CA, tok->ca, 0) : CKR_OK;
}

CK_RV p11_token_load_public(p11_token *tok, int want_ca, int want_key)
{
    CK_RV rv = want_key ? p11_token_load_cert(tok) : CKR_OK;

    /* After the key's certificate, whose read may tell that it is absent. */
    return rv == CKR_OK && want_ca && !p11_token_absent(tok) ? load_ca(tok)
                                                             : rv;
}

CK_RV p11_token_load_private(p11_token *tok)
{
    CK_RV rv;

    if (tok->cert)
        return CKR_OK;
    if (p11_token_absent(tok))
        return CKR_USER_PIN_NOT_INITIALIZED;
    rv = read_cert(tok, 0, &tok->cert);
    if (rv == CKR_OK && !tok->cert)
        return CKR_DEVICE_ERROR; /* EF 0008 said present, the card not */
    if (rv == CKR_OK)
        rv = build_key_objects(tok, cert_needs_pin(tok));
    if (rv == CKR_OK)
        p11_trust_token_cert(tok); /* trust.c: logs the verdict */
    return rv;
}

void p11_token_drop_private(p11_token *tok)
{
    int k;

    if (!cert_needs_pin(tok))
        return;
    for (k = P11_OBJ_CERT; k <= P11_OBJ_PRIVKEY; k++)
        p11_object_clear(&tok->obj[k]);
    jpki_cert_free(tok->cert);
    tok->cert = NULL;
    tok->trust_checked = 0; /* checked again at the next login */
}

void p11_token_free(p11_token *tok)
{
    int k;

    for (k = 0; k < P11_OBJ_KINDS; k++)
        p11_object_clear(&tok->obj[k]);
    jpki_cert_free(tok->cert);
    jpki_cert_free(tok->ca);
    tok->cert = tok->ca = NULL;
    tok->ca_read = 0;
    tok->logged_in = 0;
    tok->pin_tries = -1;
    tok->sessions = tok->rw_sessions = 0;
}

/* A serial that is stable for a card and differs between cards, without
 * personal data (jpki_card_id: one READ BINARY at most, none when cached). */
static void card_serial(p11_card *c)
{
    if (!c->serial[0] && c->jc && jpki_card_id(c->jc, c->serial) != JPKI_OK)
        c->serial[0] = '\0';
}

/* Each token has a serial of its own (PKCS#11 and pkcs11: URIs tell tokens
 * apart by it), and both share the card's part, so a user sees which card
 * a token is on: the card's first 14 characters, then "-A" for the
 * authentication token or "-S" for the signature token. */
static void token_serial(const p11_token *tok, char out[17])
{
    const char *card = tok->card->serial;

    if (!card[0]) {
        snprintf(out, 17, "0");
        return;
    }
    snprintf(out, 17, "%.14s-%c", card, tok->key == JPKI_AUTH ? 'A' : 'S');
}

static CK_FLAGS pin_flags(p11_token *tok)
{
    int max = jpki_pin_max_tries(tok->key);

    if (tok->pin_tries < 0)
        return 0;
    if (tok->pin_tries == 0)
        return CKF_USER_PIN_LOCKED;
    if (tok->pin_tries == 1)
        return CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY;
    return tok->pin_tries < max ? CKF_USER_PIN_COUNT_LOW : 0;
}

/* The reader may say what its cards are (the emulator); else the card. */
static const char *token_maker(const p11_card *c)
{
    const char *maker = reader_labels_of(c->rd)->card_maker;
    return maker ? maker : "J-LIS";
}

static const char *token_model(const p11_card *c)
{
    const char *model = reader_labels_of(c->rd)->card_model;

    if (model)
        return model;
    return jpki_card_is_smartphone(c->jc) ? "JPKI smartphone"
                                          : "My Number Card";
}

/* The token of a certificate the card does not carry: marked in its label,
 * no login (so no client asks for a PIN), no PIN lengths. */
static const char *const absent_label[2] = { "JPKI User Authentication (none)",
                                             "JPKI Digital Signature (none)" };

static void absent_token_info(p11_token *tok, CK_TOKEN_INFO_PTR info)
{
    p11_pad(info->label, sizeof(info->label), absent_label[tok->key]);
    info->flags = CKF_TOKEN_INITIALIZED | CKF_WRITE_PROTECTED;
    info->ulMaxPinLen = info->ulMinPinLen = 0;
}

CK_RV p11_token_info(p11_token *tok, CK_TOKEN_INFO_PTR info)
{
    p11_card *c = tok->card;
    char label[64], serial[17];
    int tries, absent;
    jpki_rv jrv;

    if (!info)
        return CKR_ARGUMENTS_BAD;
    card_serial(c);
    if (!c->jc)
        return CKR_DEVICE_REMOVED; /* went away while reading */
    /* EF 0008, read once and cached: a token without its certificate has
     * no PIN whose retry counter could be asked. */
    absent = p11_token_absent(tok);
    if (!absent) {
        /* The retry counter costs no try; it makes the PIN flags true. */
        jrv = jpki_card_pin_status(c->jc, tok->key, &tries);
        if (jrv == JPKI_OK)
            tok->pin_tries = tries;
        else if (p11_card_error(c, jrv) == CKR_DEVICE_REMOVED)
            return CKR_DEVICE_REMOVED;
    }
    memset(info, 0, sizeof(*info));
    snprintf(label, sizeof(label), "%s%s", token_label[tok->key],
             jpki_card_is_smartphone(c->jc) ? " (phone)" : "");
    p11_pad(info->label, sizeof(info->label), label);
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
            token_maker(c));
    p11_pad(info->model, sizeof(info->model), token_model(c));
    token_serial(tok, serial);
    p11_pad(info->serialNumber, sizeof(info->serialNumber), serial);
    info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED |
                  CKF_USER_PIN_INITIALIZED | pin_flags(tok);
    if (jpki_card_has_pinpad(c->jc))
        info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
    info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulSessionCount = tok->sessions;
    info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulRwSessionCount = tok->rw_sessions;
    info->ulMaxPinLen = jpki_pin_max_len(tok->key);
    info->ulMinPinLen = jpki_pin_min_len(tok->key);
    info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion.major = 1;
    info->firmwareVersion.major = 1;
    if (absent)
        absent_token_info(tok, info);
    return CKR_OK;
}
