/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_vpcd_wipe.c - "jpki-tool emu serve" (src/emu/vpcd.c) leaves no PIN
 * in freed memory: a VERIFY and a CHANGE REFERENCE DATA are served over a
 * socket pair, and every block the program frees is searched for the PINs
 * before it goes back to the allocator (this program's own free(), which
 * the C library's callers use too). Not under ASan or TSan: they own free().
 */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu/vpcd.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OWN_FREE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OWN_FREE 0
#endif
#endif
#ifndef OWN_FREE
#define OWN_FREE 1
#endif

static const char *secret; /* looked for in every freed block */
static int found;

#if OWN_FREE
extern void __libc_free(void *p);

void free(void *p)
{
    if (p && secret) {
        size_t n = malloc_usable_size(p), k = strlen(secret);
        for (size_t i = 0; i + k <= n; i++)
            if (memcmp((char *)p + i, secret, k) == 0) {
                found = 1;
                break;
            }
    }
    __libc_free(p);
}
#endif

/* Serves one APDU (as vpcd frames it) to the card and hangs up. */
static void serve_one(const char *card, const uint8_t *apdu, size_t n)
{
    int sv[2];
    emu_card *c = NULL;
    char err[256] = "";
    uint8_t frame[300], rsp[4096];
    ck_assert_int_eq(emu_card_load(card, &c, err, sizeof err), EMU_OK);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    frame[0] = 0;
    frame[1] = (uint8_t)n;
    memcpy(frame + 2, apdu, n);
    ck_assert_int_eq(write(sv[1], frame, n + 2), (ssize_t)(n + 2));
    shutdown(sv[1], SHUT_WR);
    ck_assert_int_eq(emu_vpcd_serve(c, sv[0], NULL, err, sizeof err),
                     EMU_VPCD_CLOSED);
    ck_assert_int_ge(read(sv[1], rsp, sizeof rsp), 4); /* an answer came */
    close(sv[0]);
    close(sv[1]);
    emu_card_free(c);
}

START_TEST(pins_wiped)
{
    if (!OWN_FREE)
        return; /* the sanitizers' free cannot be replaced */
    char card[4096];
    ck_assert_int_eq(tu_card_copy(card, sizeof card), 0);
    /* VERIFY of the signature PIN; CHANGE REFERENCE DATA with a new one */
    static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x80, 0x06, 'Q',
                                      'W',  'E',  '9',  '8',  '7' };
    static const uint8_t change[] = { 0x00, 0x24, 0x01, 0x80, 0x06, 'Z',
                                      'X',  'C',  '6',  '5',  '4' };
    found = 0;
    secret = "QWE987";
    serve_one(card, verify, sizeof verify);
    secret = NULL;
    ck_assert_msg(!found, "the VERIFY PIN was in a freed block");
    secret = "ZXC654";
    serve_one(card, change, sizeof change);
    secret = NULL;
    ck_assert_msg(!found,
                  "the new PIN of CHANGE REFERENCE DATA was in a freed block");
    /* the search itself works: a block holding it is seen */
    void (*volatile release)(void *) = free; /* not optimised away */
    char *b = strdup("xxZXC654xx");
    secret = "ZXC654";
    release(b);
    secret = NULL;
    ck_assert(found);
    tu_card_remove(card);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vpcd-wipe");
    TCase *tc = tcase_create("wipe");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pins_wiped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
