/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scripted card's fixture, shared by tests/test_jpki_mock.c (which
 * defines it) and tests/test_jpki_open.c. */
#ifndef JPKI_TEST_JPKI_MOCK_H
#define JPKI_TEST_JPKI_MOCK_H

#include "mockreader.h"
#include "jpki/jpki.h"
extern mock_script script;
extern reader *rd;
extern jpki_card *jc;
void mock_setup(void);
void mock_teardown(void);
/* Opens jc on a card fresh from a reset (4 commands), then forgets them. */
void mock_open(void);

#endif
