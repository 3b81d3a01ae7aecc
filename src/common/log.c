/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_level = JLOG_LEVEL_ERROR;
static FILE *log_file; /* NULL: stderr */

void jlog_init(int level, const char *file)
{
    const char *lvl = getenv("JPKI_PKCS11_DEBUG");
    const char *path = getenv("JPKI_PKCS11_LOG_FILE");

    if (!path || !*path)
        path = file;
    pthread_mutex_lock(&log_lock);
    if (level >= JLOG_LEVEL_NONE)
        log_level = level > JLOG_LEVEL_TRACE ? JLOG_LEVEL_TRACE : level;
    if (lvl && *lvl) {
        char *end;
        long v = strtol(lvl, &end, 10);
        if (*end == '\0' && v >= JLOG_LEVEL_NONE)
            log_level = v > JLOG_LEVEL_TRACE ? JLOG_LEVEL_TRACE : (int)v;
    }
    if (path && *path && !log_file) {
        /* "e": the log must not leak into programs the host executes. */
        log_file = fopen(path, "ae");
    }
    pthread_mutex_unlock(&log_lock);
}

void jlog_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
}

int jlog_level(void)
{
    return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void jlog_fork_lock(int lock)
{
    if (lock)
        pthread_mutex_lock(&log_lock);
    else
        pthread_mutex_unlock(&log_lock);
}

void jlog(int level, const char *fmt, ...)
{
    static const char *const names[] = { "",     "error", "warning",
                                         "info", "debug", "trace" };
    va_list ap;
    FILE *out;

    if (level > jlog_level() || level <= JLOG_LEVEL_NONE)
        return;
    pthread_mutex_lock(&log_lock);
    out = log_file ? log_file : stderr;
    fprintf(out, "jpki-pkcs11: %s: ", names[level]);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
}
