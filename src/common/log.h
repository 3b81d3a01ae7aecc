/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - the one log of the module and tool.
 *
 * Level from JPKI_PKCS11_DEBUG (0 none, 1 errors (default), 2 warnings,
 * 3 info, 4 debug, 5 APDU trace). Output goes to stderr, or appended to the
 * file named by JPKI_PKCS11_LOG_FILE. Callers never pass PINs or personal
 * data; the APDU trace redacts them itself (src/reader/apdu.c).
 */
#ifndef JPKI_LOG_H
#define JPKI_LOG_H

/* The levels. The macros below log at one of them: JLOG_LEVEL_WARN is a
 * level, JLOG_WARN(...) a call. */
enum {
    JLOG_LEVEL_NONE = 0,
    JLOG_LEVEL_ERROR = 1,
    JLOG_LEVEL_WARN = 2,
    JLOG_LEVEL_INFO = 3,
    JLOG_LEVEL_DEBUG = 4,
    JLOG_LEVEL_TRACE = 5
};

/* Sets the level and log file: the environment (JPKI_PKCS11_DEBUG,
 * JPKI_PKCS11_LOG_FILE) wins over the given defaults (from the config file;
 * level < 0 and file NULL: none given). Cheap to call again. */
void jlog_init(int level, const char *file);
/* Closes a log file opened by jlog_init. */
void jlog_close(void);
int jlog_level(void);
/* Around fork() (pthread_atfork, registered by the module): lock = 1 takes
 * the log's lock before the fork, lock = 0 releases it in parent and child,
 * so that a child never inherits it held by a thread it does not have. */
void jlog_fork_lock(int lock);

void jlog(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define jlog_enabled(lvl) (jlog_level() >= (lvl))
#define JLOG_ERR(...) jlog(JLOG_LEVEL_ERROR, __VA_ARGS__)
#define JLOG_WARN(...) jlog(JLOG_LEVEL_WARN, __VA_ARGS__)
#define JLOG_INFO(...) jlog(JLOG_LEVEL_INFO, __VA_ARGS__)
#define JLOG_DBG(...) jlog(JLOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
