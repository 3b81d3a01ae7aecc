/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread_wait.h - proof that a test's thread is blocked (for instance in
 * C_WaitForSlotEvent) before the test acts on it, instead of a sleep that
 * hopes so.
 */
#ifndef JPKI_TEST_THREAD_WAIT_H
#define JPKI_TEST_THREAD_WAIT_H

#include <stdatomic.h>

/* The thread notes its kernel id (gettid) in *tid just before the call
 * that should block (0: not yet; negative: it has returned). Returns 1
 * once that thread is asleep (state S in /proc) in three samples 20 ms
 * apart, 0 if it is not within 5 s. */
int tw_blocked(atomic_long *tid);

#endif
