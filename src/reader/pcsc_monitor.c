/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcsc_monitor.c - which PC/SC readers exist, and waiting for changes.
 *
 * reader_pcsc_names() lists the readers now (hot-plug: the PKCS#11 layer
 * compares with what it had). A reader_watch blocks in SCardGetStatusChange
 * on every reader plus "\\?PnP?\Notification" (readers added or removed)
 * until something differs from its snapshot; reader_watch_cancel()
 * (SCardCancel, from another thread) ends the wait at once.
 */
#include "reader/pcsc_priv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define PNP_READER "\\\\?PnP?\\Notification"
#define WATCH_MAX 32 /* readers watched at most (PnP included) */

/* The readers pcscd knows, as a malloc'd "name\0name\0\0" list filtered by
 * allow/deny. *names = NULL: no reader (or no pcscd: NO_SERVICE). */
static reader_rv list_names(SCARDCONTEXT ctx, const char *allow,
                            const char *deny, char **names)
{
    DWORD len = 0;
    char *all = NULL, *out, *o, *n;
    LONG rc = SCardListReaders(ctx, NULL, NULL, &len);

    *names = NULL;
    if (rc == SCARD_E_NO_READERS_AVAILABLE ||
        (rc == SCARD_S_SUCCESS && len < 2))
        return READER_OK;
    if (rc == SCARD_S_SUCCESS) {
        if (!(all = malloc(len)))
            return READER_ERR_MEMORY;
        rc = SCardListReaders(ctx, NULL, all, &len);
    }
    if (rc == SCARD_E_NO_READERS_AVAILABLE) {
        free(all);
        return READER_OK;
    }
    if (rc != SCARD_S_SUCCESS) {
        free(all);
        return pcsc_map_error(rc);
    }
    if (!(out = calloc(1, (size_t)len + 1))) {
        free(all);
        return READER_ERR_MEMORY;
    }
    for (n = all, o = out; n < all + len && *n; n += strlen(n) + 1) {
        if (!pcsc_reader_allowed(allow, deny, n)) {
            jlog(JLOG_LEVEL_TRACE,
                 "reader '%s' left out by readers_allow/readers_deny", n);
            continue;
        }
        memcpy(o, n, strlen(n) + 1);
        o += strlen(n) + 1;
    }
    free(all);
    if (o == out) {
        free(out);
        return READER_OK;
    }
    *names = out;
    return READER_OK;
}

/* One context for listing, shared by every caller, established again when
 * pcscd went away and came back. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static SCARDCONTEXT list_ctx;

reader_rv reader_pcsc_names(const char *allow, const char *deny, char **names)
{
    reader_rv rv = READER_ERR_NO_SERVICE;
    int attempt;

    if (!names)
        return READER_ERR_ARGS;
    *names = NULL;
    pthread_mutex_lock(&list_lock);
    for (attempt = 0; attempt < 2; attempt++) {
        LONG rc = SCARD_S_SUCCESS;
        if (!list_ctx)
            rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
                                       &list_ctx);
        if (rc != SCARD_S_SUCCESS) {
            list_ctx = 0;
            rv = READER_ERR_NO_SERVICE;
            break;
        }
        rv = list_names(list_ctx, allow, deny, names);
        if (rv != READER_ERR_NO_SERVICE)
            break;
        /* A context of a pcscd that was restarted: once more, fresh. */
        SCardReleaseContext(list_ctx);
        list_ctx = 0;
    }
    pthread_mutex_unlock(&list_lock);
    return rv;
}

void reader_pcsc_release(void)
{
    pthread_mutex_lock(&list_lock);
    if (list_ctx)
        SCardReleaseContext(list_ctx);
    list_ctx = 0;
    pthread_mutex_unlock(&list_lock);
}

void reader_pcsc_abandon(void)
{
    list_ctx = 0;
}

void reader_pcsc_fork_lock(int lock)
{
    if (lock)
        pthread_mutex_lock(&list_lock);
    else
        pthread_mutex_unlock(&list_lock);
}

reader_rv reader_pcsc_list(const char *allow, const char *deny, reader ***list,
                           size_t *count)
{
    char *names = NULL, *n;
    reader_rv rv = reader_pcsc_names(allow, deny, &names);

    if (rv == READER_ERR_NO_SERVICE) {
        JLOG_DBG("PC/SC not available");
        return READER_OK;
    }
    for (n = names; rv == READER_OK && n && *n; n += strlen(n) + 1) {
        reader *r = NULL;
        rv = reader_pcsc_new(n, &r);
        if (rv == READER_OK &&
            (rv = reader_list_push(list, count, r)) != READER_OK)
            reader_free(r);
    }
    free(names);
    return rv;
}

/* ---- waiting for a change ----------------------------------------------- */

struct reader_watch {
    pthread_mutex_t lock; /* ctx: set, released, cancelled */
    SCARDCONTEXT ctx;
    char *names; /* the readers of the snapshot */
    SCARD_READERSTATE st[WATCH_MAX];
    DWORD n;
};

reader_rv reader_watch_new(reader_watch **out)
{
    reader_watch *w = calloc(1, sizeof *w);

    if (!w)
        return READER_ERR_MEMORY;
    pthread_mutex_init(&w->lock, NULL);
    *out = w;
    return READER_OK;
}

static void watch_drop(reader_watch *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->ctx)
        SCardReleaseContext(w->ctx);
    w->ctx = 0;
    pthread_mutex_unlock(&w->lock);
    free(w->names);
    w->names = NULL;
    w->n = 0;
}

void reader_watch_free(reader_watch *w)
{
    if (!w)
        return;
    watch_drop(w);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

reader_rv reader_watch_snapshot(reader_watch *w)
{
    reader_rv rv;
    char *n;
    LONG rc = SCARD_S_SUCCESS;

    free(w->names);
    w->names = NULL;
    w->n = 0;
    pthread_mutex_lock(&w->lock);
    if (!w->ctx)
        rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &w->ctx);
    if (rc != SCARD_S_SUCCESS)
        w->ctx = 0;
    pthread_mutex_unlock(&w->lock);
    if (rc != SCARD_S_SUCCESS)
        return READER_ERR_NO_SERVICE;
    /* Every reader, allowed or not: a change wakes the caller, which then
     * looks with its own filter. */
    rv = list_names(w->ctx, NULL, NULL, &w->names);
    if (rv != READER_OK) {
        watch_drop(w);
        return rv;
    }
    memset(w->st, 0, sizeof w->st);
    w->st[0].szReader = PNP_READER;
    w->st[0].dwCurrentState = SCARD_STATE_UNAWARE;
    w->n = 1;
    for (n = w->names; n && *n && w->n < WATCH_MAX; n += strlen(n) + 1) {
        w->st[w->n].szReader = n;
        w->st[w->n].dwCurrentState = SCARD_STATE_UNAWARE;
        w->n++;
    }
    rc = SCardGetStatusChange(w->ctx, 0, w->st, w->n);
    if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
        rv = pcsc_map_error(rc);
        watch_drop(w);
        return rv == READER_OK ? READER_ERR_COMM : rv;
    }
    for (DWORD i = 0; i < w->n; i++)
        w->st[i].dwCurrentState = w->st[i].dwEventState & ~SCARD_STATE_CHANGED;
    return READER_OK;
}

reader_rv reader_watch_wait(reader_watch *w, unsigned timeout_ms)
{
    LONG rc;

    if (!w->ctx || !w->n)
        return READER_ERR_NO_SERVICE;
    rc = SCardGetStatusChange(w->ctx, timeout_ms, w->st, w->n);
    if (rc == SCARD_S_SUCCESS || rc == SCARD_E_TIMEOUT ||
        rc == SCARD_E_CANCELLED)
        return READER_OK;
    if (pcsc_context_lost(rc)) {
        watch_drop(w);
        return READER_ERR_NO_SERVICE;
    }
    /* A reader vanished between the snapshot and the wait: look again. */
    return READER_OK;
}

void reader_watch_cancel(reader_watch *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->ctx)
        SCardCancel(w->ctx);
    pthread_mutex_unlock(&w->lock);
}
