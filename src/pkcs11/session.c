/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session.c - the session table.
 *
 * A session of a card that went away is closed at once, but its struct
 * stays in the table (tok == NULL) until the application touches the
 * handle again: a call in progress may still hold a pointer to it.
 */
#include "pkcs11/p11.h"
#include "pkcs11/pkcs11_3.h"

#include <stdlib.h>
#include <string.h>

static void session_free(p11_session *s)
{
    p11_op_reset(&s->sign);
    p11_op_reset(&s->verify);
    free(s);
}

/* Detach a session from its token; last one out logs the token out. */
static void session_detach(p11_session *s)
{
    p11_token *tok = s->tok;

    if (!tok)
        return;
    p11_op_reset(&s->sign);
    p11_op_reset(&s->verify);
    p11_find_final(s);
    tok->sessions--;
    if (s->flags & CKF_RW_SESSION)
        tok->rw_sessions--;
    s->tok = NULL;
    /* PKCS#11: closing the last session of a token logs the user out. */
    if (tok->sessions == 0 && tok->logged_in)
        p11_token_logout(tok);
}

CK_RV p11_session_open(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE *h)
{
    p11_token *tok;
    p11_session *s;
    CK_RV rv;

    if (!h)
        return CKR_ARGUMENTS_BAD;
    if (!(flags & CKF_SERIAL_SESSION))
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    if ((rv = p11_token_get(id, &tok)) != CKR_OK)
        return rv;
    flags &= CKF_SERIAL_SESSION | CKF_RW_SESSION;
    if (p11_g.n_sessions == p11_g.cap_sessions) {
        size_t cap = p11_g.cap_sessions ? 2 * p11_g.cap_sessions : 16;
        p11_session **grown = realloc(p11_g.sessions, cap * sizeof(*grown));
        if (!grown)
            return CKR_HOST_MEMORY;
        p11_g.sessions = grown;
        p11_g.cap_sessions = cap;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return CKR_HOST_MEMORY;
    s->handle = p11_g.next_session++;
    s->slot_id = tok->slot_id;
    s->tok = tok;
    s->flags = flags;
    tok->sessions++;
    if (flags & CKF_RW_SESSION)
        tok->rw_sessions++;
    p11_g.sessions[p11_g.n_sessions++] = s;
    *h = s->handle;
    return CKR_OK;
}

static size_t find_index(CK_SESSION_HANDLE h)
{
    size_t i;

    for (i = 0; i < p11_g.n_sessions; i++)
        if (p11_g.sessions[i]->handle == h)
            return i;
    return (size_t)-1;
}

static void remove_at(size_t i)
{
    session_free(p11_g.sessions[i]);
    p11_g.sessions[i] = p11_g.sessions[--p11_g.n_sessions];
}

CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **out)
{
    size_t i = find_index(h);

    if (i == (size_t)-1)
        return CKR_SESSION_HANDLE_INVALID;
    if (!p11_g.sessions[i]->tok) {
        remove_at(i); /* closed when its card went away */
        return CKR_SESSION_HANDLE_INVALID;
    }
    *out = p11_g.sessions[i];
    return CKR_OK;
}

CK_RV p11_session_close(CK_SESSION_HANDLE h)
{
    size_t i = find_index(h);
    int closed;

    if (i == (size_t)-1)
        return CKR_SESSION_HANDLE_INVALID;
    closed = p11_g.sessions[i]->tok == NULL;
    session_detach(p11_g.sessions[i]);
    remove_at(i);
    return closed ? CKR_SESSION_HANDLE_INVALID : CKR_OK;
}

void p11_session_close_token(p11_token *tok)
{
    size_t i;

    for (i = 0; i < p11_g.n_sessions; i++)
        if (p11_g.sessions[i]->tok == tok)
            session_detach(p11_g.sessions[i]);
}

CK_RV p11_session_close_slot(CK_SLOT_ID slot_id)
{
    size_t i = 0;

    if (!p11_slot_shown(slot_id))
        return CKR_SLOT_ID_INVALID;
    /* Also when the card just went away: its sessions go with it. */
    while (i < p11_g.n_sessions) {
        p11_session *s = p11_g.sessions[i];
        if (s->slot_id != slot_id) {
            i++;
            continue;
        }
        session_detach(s);
        remove_at(i); /* the last entry moved here: look at i again */
    }
    return CKR_OK;
}

void p11_session_close_all(void)
{
    while (p11_g.n_sessions > 0) {
        session_detach(p11_g.sessions[p11_g.n_sessions - 1]);
        remove_at(p11_g.n_sessions - 1);
    }
}

CK_RV p11_session_info(p11_session *s, CK_SESSION_INFO_PTR info)
{
    int rw = (s->flags & CKF_RW_SESSION) != 0;

    if (!info)
        return CKR_ARGUMENTS_BAD;
    memset(info, 0, sizeof(*info));
    info->slotID = s->tok->slot_id;
    info->flags = s->flags;
    if (p11_token_logged_in_now(s->tok))
        info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    else
        info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    return CKR_OK;
}

CK_RV p11_session_cancel(p11_session *s, CK_FLAGS flags)
{
    if (flags & CKF_SIGN)
        p11_op_reset(&s->sign);
    if (flags & CKF_VERIFY)
        p11_op_reset(&s->verify);
    if (flags & CKF_FIND_OBJECTS)
        p11_find_final(s);
    return CKR_OK;
}
