/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy.c - what an entry point may need before its work begins (entry.h):
 * the module lock, a slot with its card, a session, and the session
 * policies. Each is written here once.
 */
#include "pkcs11/entry.h"

/* Any open session: read-only ones too, and the card is not asked. */
CK_RV p11_any_session(p11_session *s)
{
    (void)s;
    return CKR_OK;
}

/* The session's card is still in the reader (asked of the reader): for the
 * calls that use the card or report its state. */
CK_RV p11_card_present(p11_session *s)
{
    return p11_token_check(s->tok);
}

CK_RV p11_enter_token(CK_SLOT_ID id, p11_token **tok)
{
    CK_RV rv = p11_enter();

    if (rv == CKR_OK && (rv = p11_token_get(id, tok)) != CKR_OK)
        p11_leave();
    return rv;
}

CK_RV p11_enter_session(CK_SESSION_HANDLE h, p11_policy *policy,
                        p11_session **s)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK)
        return rv;
    rv = p11_session_get(h, s);
    if (rv == CKR_OK)
        rv = policy(*s);
    if (rv != CKR_OK)
        p11_leave();
    return rv;
}
