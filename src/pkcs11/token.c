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
        JLOG_INFO("token '%s': the card lost its login", token_label[tok->key]);
        p11_card_logged_out(tok->card);
    }
    return tok->logged_in;
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
    if (rv == JPKI_ERR_NOT_FOUND && ca)
        return CKR_OK; /* the CA certificate may be absent */
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

    if (tok->cert || cert_needs_pin(tok))
        return CKR_OK;
    rv = read_cert(tok, 0, &tok->cert);
    if (rv == CKR_OK)
        rv = build_key_objects(tok, 0);
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

CK_RV p11_token_load_public(p11_token *tok)
{
    CK_RV rv = load_ca(tok);

    return rv == CKR_OK ? p11_token_load_cert(tok) : rv;
}

CK_RV p11_token_load_private(p11_token *tok)
{
    CK_RV rv;

    if (tok->cert)
        return CKR_OK;
    rv = read_cert(tok, 0, &tok->cert);
    if (rv == CKR_OK)
        rv = build_key_objects(tok, cert_needs_pin(tok));
    if (rv == CKR_OK)
        p11_trust_token_login(tok); /* trust.c: logs the verdict */
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
 * personal data: a hash of the authentication certificate's issuer and
 * serial number, or on a smartphone token of the chip's serial. */
static void card_serial(p11_card *c)
{
    p11_token *auth = &c->tok[JPKI_AUTH];
    const char *chip = jpki_card_serial(c->jc);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    EVP_MD_CTX *ctx;
    int ok;

    if (c->serial[0])
        return;
    /* A phone's auth certificate needs the PIN: use the chip's serial. */
    if (!chip && (p11_token_load_cert(auth) != CKR_OK || !auth->cert))
        return;
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    if (ok && chip)
        ok = EVP_DigestUpdate(ctx, chip, strlen(chip)) == 1;
    else if (ok)
        ok = EVP_DigestUpdate(ctx, auth->cert->issuer.p,
                              auth->cert->issuer.len) == 1 &&
             EVP_DigestUpdate(ctx, auth->cert->serial.p,
                              auth->cert->serial.len) == 1;
    if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 8) {
        for (i = 0; i < 8; i++)
            snprintf(c->serial + 2 * i, 3, "%02X", md[i]);
    }
    EVP_MD_CTX_free(ctx);
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

static const char *token_model(const p11_card *c)
{
    if (c->rd->flags & READER_FLAG_EMULATED)
        return "JPKI emulator";
    return jpki_card_is_smartphone(c->jc) ? "JPKI smartphone" : "My Number Card";
}

CK_RV p11_token_info(p11_token *tok, CK_TOKEN_INFO_PTR info)
{
    p11_card *c = tok->card;
    char label[64];
    int tries;
    jpki_rv jrv;

    card_serial(c);
    if (!c->jc)
        return CKR_DEVICE_REMOVED; /* went away while reading */
    /* The retry counter costs no try; it makes the PIN flags true. */
    jrv = jpki_card_pin_status(c->jc, tok->key, &tries);
    if (jrv == JPKI_OK)
        tok->pin_tries = tries;
    else if (p11_card_error(c, jrv) == CKR_DEVICE_REMOVED)
        return CKR_DEVICE_REMOVED;
    memset(info, 0, sizeof(*info));
    snprintf(label, sizeof(label), "%s%s", token_label[tok->key],
             jpki_card_is_smartphone(c->jc) ? " (phone)" : "");
    p11_pad(info->label, sizeof(info->label), label);
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
            (c->rd->flags & READER_FLAG_EMULATED) ? "jpki-pkcs11" : "J-LIS");
    p11_pad(info->model, sizeof(info->model), token_model(c));
    p11_pad(info->serialNumber, sizeof(info->serialNumber),
            c->serial[0] ? c->serial : "0");
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
    return CKR_OK;
}
