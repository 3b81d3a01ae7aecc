/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * entry.h - how an entry point is written (entry.c, interface.c,
 * unsupported.c): its body names the policy it needs, and the policy does
 * the rest, written once here: the trace, the initialized check, the module
 * lock, the slot or session lookup, and the leave.
 *
 *   NEEDS_NOTHING(call)      works before C_Initialize too
 *   NEEDS_MODULE(call)       an initialized module; no lock taken
 *   NEEDS_LOCK(call)         an initialized module, under its lock
 *   NEEDS_TOKEN(slot, call)  ... and a slot whose card is present: `tok`
 *   NEEDS_SESSION(h, call)   ... and an open session, read-only allowed: `s`
 *   NEEDS_CARD(h, call)      ... whose card is still in the reader: `s`
 *   NOT_SUPPORTED()          what the card cannot do
 *   ARGS_FIRST(ok)           an argument checked before all of the above
 *
 * `call` is one CK_RV expression; it runs only when the policy holds, and
 * may use the `tok` or `s` the policy looked up. Argument checks belong to
 * the function called, which knows their order among its other answers.
 */
#ifndef JPKI_P11_ENTRY_H
#define JPKI_P11_ENTRY_H

#include "pkcs11/p11.h"

#define EXPORT __attribute__((visibility("default")))

/* The trace, at debug level while the module is initialized: the entry
 * point's name on entry, its name and the CKR_* name on exit. Never an
 * argument: a PIN or the data to sign must not reach the log. */
void p11_trace_enter(const char *fn);
CK_RV p11_trace_leave(const char *fn, CK_RV rv);
/* "CKR_PIN_INCORRECT" for CKR_PIN_INCORRECT; NULL for a code it does not
 * know (the trace then shows the number). */
const char *p11_ckr_name(CK_RV rv);

/* A session policy: what a call needs of a session whose handle is valid. */
typedef CK_RV p11_policy(p11_session *s);
p11_policy p11_any_session, p11_card_present;
/* Lock, look up, apply: CKR_OK with the lock held, else the lock is left. */
CK_RV p11_enter_token(CK_SLOT_ID id, p11_token **tok);
CK_RV p11_enter_session(CK_SESSION_HANDLE h, p11_policy *policy,
                        p11_session **s);

#define TRACED_(call)                                                         \
    do {                                                                      \
        p11_trace_enter(__func__);                                            \
        return p11_trace_leave(__func__, (call));                             \
    } while (0)

/* enter(&x) takes the lock and finds x; call runs with it, then leave. */
#define LOCKED_(type, x, enter, call)                                         \
    do {                                                                      \
        type x = 0;                                                           \
        CK_RV rv_;                                                            \
        (void)x;                                                              \
        p11_trace_enter(__func__);                                            \
        if ((rv_ = (enter)) == CKR_OK) {                                      \
            rv_ = (call);                                                     \
            p11_leave();                                                      \
        }                                                                     \
        return p11_trace_leave(__func__, rv_);                                \
    } while (0)

#define NEEDS_NOTHING(call) TRACED_(call)
#define NEEDS_MODULE(call)                                                    \
    TRACED_(p11_is_initialized() ? (call) : CKR_CRYPTOKI_NOT_INITIALIZED)
#define NEEDS_LOCK(call) LOCKED_(int, unused_, p11_enter(), call)
#define NEEDS_TOKEN(slot, call)                                               \
    LOCKED_(p11_token *, tok, p11_enter_token(slot, &tok), call)
#define NEEDS_SESSION(h, call)                                                \
    LOCKED_(p11_session *, s, p11_enter_session(h, p11_any_session, &s), call)
#define NEEDS_CARD(h, call)                                                   \
    LOCKED_(p11_session *, s, p11_enter_session(h, p11_card_present, &s), call)
#define NOT_SUPPORTED() NEEDS_MODULE(CKR_FUNCTION_NOT_SUPPORTED)
/* An argument refused before anything else, even the initialized check. */
#define ARGS_FIRST(ok)                                                        \
    do {                                                                      \
        if (!(ok))                                                            \
            NEEDS_NOTHING(CKR_ARGUMENTS_BAD);                                 \
    } while (0)

#endif
