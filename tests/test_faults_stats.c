/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_faults_stats.c - the emulator's counters behind the module's back
 * (why and how: test_faults_stats.h).
 */
#include "test_faults_stats.h"

#include <pthread.h>
#include <string.h>

#define MAX_LIVE 64

emu_rv __real_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen);
void __real_emu_card_free(emu_card *card);
emu_rv __wrap_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen);
void __wrap_emu_card_free(emu_card *card);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static emu_card *live[MAX_LIVE];
static emu_stats freed;
static unsigned long loads;

static void add(emu_stats *to, const emu_stats *s)
{
    to->apdus += s->apdus;
    to->verifies += s->verifies;
    to->status_queries += s->status_queries;
    to->signatures += s->signatures;
    to->read_binary += s->read_binary;
    to->bytes_read += s->bytes_read;
    to->card_info_selects += s->card_info_selects;
    to->app_selects += s->app_selects;
}

emu_rv __wrap_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen)
{
    emu_rv rv = __real_emu_card_load(path, out, err, errlen);
    size_t i;

    if (rv != EMU_OK || !out || !*out)
        return rv;
    pthread_mutex_lock(&mu);
    loads++;
    for (i = 0; i < MAX_LIVE && live[i]; i++)
        ;
    if (i < MAX_LIVE)
        live[i] = *out;
    pthread_mutex_unlock(&mu);
    return rv;
}

void __wrap_emu_card_free(emu_card *card)
{
    emu_stats s;
    size_t i;

    if (card) {
        pthread_mutex_lock(&mu);
        emu_card_get_stats(card, &s);
        add(&freed, &s);
        for (i = 0; i < MAX_LIVE; i++)
            if (live[i] == card)
                live[i] = NULL;
        pthread_mutex_unlock(&mu);
    }
    __real_emu_card_free(card);
}

void ts_stats(emu_stats *st)
{
    emu_stats s;
    size_t i;

    pthread_mutex_lock(&mu);
    *st = freed;
    for (i = 0; i < MAX_LIVE; i++) {
        if (live[i]) {
            emu_card_get_stats(live[i], &s);
            add(st, &s);
            /* The card's state now: a PIN verified on any loaded card. */
            st->auth_verified |= s.auth_verified;
            st->sign_verified |= s.sign_verified;
        }
    }
    pthread_mutex_unlock(&mu);
}

void ts_stats_reset(void)
{
    emu_stats s;
    size_t i;

    /* Live cards keep counting: start them from what they have now. */
    pthread_mutex_lock(&mu);
    memset(&freed, 0, sizeof freed);
    for (i = 0; i < MAX_LIVE; i++) {
        if (live[i]) {
            emu_card_get_stats(live[i], &s);
            freed.apdus -= s.apdus;
            freed.verifies -= s.verifies;
            freed.status_queries -= s.status_queries;
            freed.signatures -= s.signatures;
            freed.read_binary -= s.read_binary;
            freed.bytes_read -= s.bytes_read;
            freed.card_info_selects -= s.card_info_selects;
            freed.app_selects -= s.app_selects;
        }
    }
    loads = 0;
    pthread_mutex_unlock(&mu);
}

unsigned long ts_loads(void)
{
    unsigned long n;

    pthread_mutex_lock(&mu);
    n = loads;
    pthread_mutex_unlock(&mu);
    return n;
}
