/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_faults_stats.h - what the card counted, seen from a test that runs
 * the PKCS#11 module with its in-process emulator (JPKI_PKCS11_EMULATOR).
 *
 * The module loads and frees its emulator cards itself; a program linked
 * with -Wl,--wrap=emu_card_load,--wrap=emu_card_free (see Makefile.am)
 * passes through these wrappers, which keep the cards the module holds and
 * add up the counters (emu_stats) of every card it has freed. So a test
 * reads the card's own count of VERIFY tries, signatures and card-info
 * SELECTs, not a guess from the outside.
 */
#ifndef JPKI_TEST_FAULTS_STATS_H
#define JPKI_TEST_FAULTS_STATS_H

#include "emu/emu.h"

/* Counters of all cards loaded since the last reset: freed ones and the
 * ones still held. Thread safe. */
void ts_stats(emu_stats *st);
void ts_stats_reset(void);
/* How many emulator cards the module has loaded since the last reset. */
unsigned long ts_loads(void);

#endif
