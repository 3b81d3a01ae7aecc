/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_hooks.h - the few knobs tests turn inside src/jpki. Only tests
 * include this header; the state behind each setter is private to its
 * file, so production code cannot reach it by accident.
 */
#ifndef JPKI_TEST_HOOKS_H
#define JPKI_TEST_HOOKS_H

/* The PIN status TTL cards get when opened (default
 * JPKI_PIN_STATUS_TTL_MS): a test that counts APDUs sets it so timing
 * cannot change the count. */
void jpki_test_set_pin_status_ttl_default(unsigned ms);

/* When set, crlx_file_open calls hook after writing part of the temporary
 * index file, before the rename (a test kills the process there). */
void jpki_test_set_crlx_mid_write_hook(void (*hook)(void));

#endif
