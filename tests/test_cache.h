/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_cache.h - shared by test_cache.c (fixtures, cache tests) and
 * test_cache_pin.c (PIN retry counter and signature floor tests). */
#ifndef JPKI_TEST_CACHE_H
#define JPKI_TEST_CACHE_H

#include <check.h>

#include <p11-kit/pkcs11.h>

#define OK(call) ck_assert_uint_eq((call), CKR_OK)
/* What the card did, from the emulator's APDU log. */
#define READ_BINARY() log_count("INS=B0", NULL)
#define STATUS_QUERIES() log_count("INS=20", "Lc=- Le=-")
#define VERIFIES() (log_count("INS=20", NULL) - STATUS_QUERIES())

extern CK_FUNCTION_LIST_PTR p11;
/* The test's card image, scratch dir, cache dir and APDU log. */
extern char card[4096], dir[4096], cdir[4200], logp[4200];

/* Lines of the APDU log that contain a and b (b may be NULL). */
int log_count(const char *a, const char *b);
void log_clear(void);
CK_SESSION_HANDLE open_session(CK_SLOT_ID slot);
void add_pin_tests(TCase *tc);
/* RSA-PSS and a card that refuses it (test_cache_pss.c). */
void add_pss_tests(TCase *tc);
void add_cardfiles_tests(TCase *tc); /* test_cache_cardfiles.c */

#endif
