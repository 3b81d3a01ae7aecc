/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * login.c - C_Login / C_Logout. One user PIN per token; the card has no SO.
 *
 * The PIN is used for the one VERIFY and never kept: the module never
 * retries it and never replays it after a reset. A PIN that cannot be right
 * (length, alphabet) or a locked PIN is refused on the host (jpki layer).
 */
#include "pkcs11/p11.h"

#include <openssl/crypto.h>

#include "common/log.h"

/* Logs one token out. The card cannot forget one PIN alone: re-selecting
 * the application clears both. So the card is cleared when its last
 * logged-in token logs out; until then the module itself refuses the
 * logged-out token's key (p11_token_logged_in), and the other token keeps
 * its login, as PKCS#11 wants login state per token. */
jpki_rv p11_token_logout(p11_token *tok)
{
    p11_card *c = tok->card;
    p11_token *other = &c->tok[1 - tok->key];

    tok->logged_in = 0;
    p11_token_drop_private(tok);
    if (other->logged_in || !c->jc)
        return JPKI_OK;
    return jpki_card_logout(c->jc);
}

void p11_card_logged_out(p11_card *c)
{
    int k;

    for (k = 0; k < 2; k++) {
        p11_token *tok = &c->tok[k];
        if (!tok->logged_in)
            continue;
        tok->logged_in = 0;
        p11_token_drop_private(tok);
    }
}

/* pin == NULL: on the reader's PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH). */
static CK_RV verify(p11_token *tok, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    p11_card *c = tok->card;
    int tries = -1;
    jpki_rv jrv;

    if (p11_token_absent(tok))
        return CKR_USER_PIN_NOT_INITIALIZED; /* no certificate, no PIN */
    if (!pin && !jpki_card_has_pinpad(c->jc))
        return CKR_ARGUMENTS_BAD;
    jrv = pin ? jpki_card_verify_pin(c->jc, tok->key, (const char *)pin, len,
                                     &tries)
              : jpki_card_verify_pinpad(c->jc, tok->key, &tries);
    if (tries >= 0)
        tok->pin_tries = tries;
    if (jrv == JPKI_ERR_PIN_FORMAT) {
        JLOG_INFO("PIN refused on the host: wrong length or characters");
        return CKR_PIN_INCORRECT;
    }
    return p11_card_error(c, jrv);
}

CK_RV p11_login(p11_session *s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                CK_ULONG len)
{
    p11_token *tok = s->tok;
    CK_RV rv;

    if (user == CKU_SO) {
        /* PKCS#11: an SO login is refused while the token has a
         * read-only session; then the card has no SO PIN anyway. */
        if (tok->sessions > tok->rw_sessions)
            return CKR_SESSION_READ_ONLY_EXISTS;
        return CKR_USER_TYPE_INVALID;
    }
    if (user == CKU_CONTEXT_SPECIFIC) {
        /* Re-verification for the operation at hand: useful on a card
         * that spends the signature PIN's verification on one signature. */
        if (!p11_sign_active(s))
            return CKR_OPERATION_NOT_INITIALIZED;
        if (!p11_token_logged_in(tok))
            return CKR_USER_NOT_LOGGED_IN;
        return verify(tok, pin, len);
    }
    if (user != CKU_USER)
        return CKR_USER_TYPE_INVALID;
    if (p11_token_logged_in(tok))
        return CKR_USER_ALREADY_LOGGED_IN;
    rv = verify(tok, pin, len);
    if (rv != CKR_OK)
        return rv;
    tok->logged_in = 1;
    tok->login_resets = jpki_card_resets(tok->card->jc);
    rv = p11_token_load_private(tok);
    /* Reading the objects re-selected the application (a file answered
     * "not found"): the card forgot the PIN. Saying CKR_OK would leave a
     * session that looks logged in and is not; the PIN is never replayed. */
    if (rv == CKR_OK && !p11_token_logged_in(tok))
        rv = CKR_DEVICE_ERROR;
    if (rv != CKR_OK && tok->card->jc)
        p11_token_logout(tok); /* verified but unusable: undo */
    return rv;
}

CK_RV p11_logout(p11_session *s)
{
    p11_card *c = s->tok->card;
    jpki_rv jrv;

    if (!p11_token_logged_in(s->tok))
        return CKR_USER_NOT_LOGGED_IN;
    jrv = p11_token_logout(s->tok);
    return jrv == JPKI_OK ? CKR_OK : p11_card_error(c, jrv);
}

/* The new PIN's rules, told apart as the specification asks: wrong length
 * is CKR_PIN_LEN_RANGE, wrong characters CKR_PIN_INVALID. */
static CK_RV check_new_pin(jpki_key key, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    char buf[JPKI_PIN_BUF];
    CK_RV rv = CKR_OK;

    if (len < jpki_pin_min_len(key) || len > jpki_pin_max_len(key))
        return CKR_PIN_LEN_RANGE;
    /* A lower-case signature PIN is upper-cased, as for C_Login. */
    if (jpki_pin_normalize(key, (const char *)pin, len, buf) != JPKI_OK)
        rv = CKR_PIN_INVALID;
    OPENSSL_cleanse(buf, sizeof(buf));
    return rv;
}

CK_RV p11_set_pin(p11_session *s, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                  CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
    p11_token *tok = s->tok;
    p11_card *c = tok->card;
    int was_logged_in = p11_token_logged_in(tok);
    int tries = -1;
    jpki_rv jrv;
    CK_RV rv;

    if (!(s->flags & CKF_RW_SESSION))
        return CKR_SESSION_READ_ONLY;
    if (p11_token_absent(tok))
        return CKR_USER_PIN_NOT_INITIALIZED;
    if (!old_pin && !new_pin) {
        /* Both typed on the reader (CKF_PROTECTED_AUTHENTICATION_PATH). */
        if (!jpki_card_has_pinpad_modify(c->jc)) {
            JLOG_INFO("C_SetPIN without PINs: the reader cannot change PINs "
                      "on its keypad");
            return CKR_ARGUMENTS_BAD;
        }
        jrv = jpki_card_change_pin_pinpad(c->jc, tok->key, &tries);
    } else {
        if (!old_pin || !new_pin)
            return CKR_ARGUMENTS_BAD; /* one PIN on the keypad, one here: no */
        if ((rv = check_new_pin(tok->key, new_pin, new_len)) != CKR_OK)
            return rv;
        jrv = jpki_card_change_pin(c->jc, tok->key, (const char *)old_pin,
                                   old_len, (const char *)new_pin, new_len,
                                   &tries);
    }
    if (tries >= 0)
        tok->pin_tries = tries;
    /* The change, or its VERIFY before a later step failed, may have left
     * the PIN verified on the card. C_SetPIN does not log in: a token that
     * was not logged in is logged out again either way. */
    if (!was_logged_in && c->jc && jrv != JPKI_ERR_REMOVED &&
        jrv != JPKI_ERR_NO_CARD) {
        jpki_rv out = p11_token_logout(tok);
        if (jrv == JPKI_OK)
            jrv = out;
    }
    if (jrv == JPKI_ERR_PIN_FORMAT && !old_pin)
        return CKR_PIN_INVALID; /* the card refused the new PIN typed */
    if (jrv != JPKI_OK)
        return p11_card_error(c, jrv);
    JLOG_INFO("PIN changed");
    return CKR_OK;
}
