/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_promises.c - promises the README makes, seen on the card and on disk
 * rather than in the module's own answers (docs/testing.md lists them):
 *
 * - nothing stays verified on the card after C_Logout or after the last
 *   session closes: the test asks the module's own emulator card (held
 *   through --wrap=emu_card_load, see Makefile.am) to sign without a PIN,
 *   in the state the module left it; the same request while logged in is
 *   the control that shows the probe can see a verified PIN;
 * - the data to sign is wiped from the session when the operation ends;
 * - each token signs with its own key, also while the card holds both PINs
 *   verified (and so would sign with either);
 * - no certificate is CKA_TRUSTED (the card cannot vouch for itself);
 * - a cache directory that belongs to someone else is not used;
 * - the signature certificate is never written to the cache.
 */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/emu.h"
#include "p11test.h"
#include "pkcs11/p11.h"
#include "testutil.h"

/* ---- the module's emulator card, behind its back ---------------------- */

emu_rv __real_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen);
void __real_emu_card_free(emu_card *c);
emu_rv __wrap_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen);
void __wrap_emu_card_free(emu_card *c);

static emu_card *live; /* the card the module loaded last and still holds */

emu_rv __wrap_emu_card_load(const char *path, emu_card **out, char *err,
                            size_t errlen)
{
    emu_rv rv = __real_emu_card_load(path, out, err, errlen);

    if (rv == EMU_OK)
        live = *out;
    return rv;
}

void __wrap_emu_card_free(emu_card *c)
{
    if (c == live)
        live = NULL;
    __real_emu_card_free(c);
}

static unsigned transmit(const uint8_t *cmd, size_t len)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t n = sizeof rsp;

    ck_assert_ptr_nonnull(live);
    ck_assert_int_eq(emu_card_lock(live), EMU_OK);
    ck_assert_int_eq(emu_card_transmit(live, cmd, len, rsp, &n), EMU_OK);
    emu_card_unlock(live);
    ck_assert_uint_ge(n, 2);
    return (unsigned)rsp[n - 2] << 8 | rsp[n - 1];
}

/* Another program's request, in the state the card is in: the signature
 * key's EF (no SELECT of the application, which would clear the state
 * itself), then COMPUTE DIGITAL SIGNATURE. True when the card signed. */
static int card_signs_without_pin(void)
{
    static const uint8_t select_key[] = { 0x00, 0xA4, 0x02, 0x0C,
                                          0x02, 0x00, 0x1A };
    uint8_t sign[5 + 51 + 1] = { 0x80, 0x2A, 0x00, 0x80, 51,   0x30,
                                 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                                 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
    /* an EC card signs a bare 48-byte hash, not a DigestInfo */
    size_t lc = t_ec ? 48 : 51;
    unsigned sw = transmit(select_key, sizeof select_key);

    sign[4] = (uint8_t)lc;
    sign[5 + lc] = 0; /* Le */

    if (sw != 0x9000) {
        /* reset: no application selected, so nothing verified */
        ck_assert_uint_eq(sw, 0x6A82);
        return 0;
    }
    sw = transmit(sign, 5 + lc + 1);
    ck_assert_msg(sw == 0x9000 || sw == 0x6982,
                  "COMPUTE DIGITAL SIGNATURE: %04X", sw);
    return sw == 0x9000;
}

static CK_SESSION_HANDLE signed_in_session(void)
{
    CK_SESSION_HANDLE h = t_open_login(1);
    unsigned char sig[512];

    ck_assert_uint_eq(t_sign(h, T_MECH, msg, strlen(msg), sig), T_SIG_LEN);
    ck_assert_msg(card_signs_without_pin(),
                  "control: the probe cannot see a verified PIN");
    return h;
}

START_TEST(test_logout_clears_card)
{
    CK_SESSION_HANDLE h = signed_in_session();

    OK(p11->C_Logout(h));
    ck_assert_msg(!card_signs_without_pin(),
                  "the PIN stayed verified after C_Logout");
}
END_TEST

START_TEST(test_last_session_close_clears_card)
{
    CK_SESSION_HANDLE h = signed_in_session();

    OK(p11->C_CloseSession(h));
    ck_assert_msg(!card_signs_without_pin(),
                  "the PIN stayed verified after the last session closed");
}
END_TEST

START_TEST(test_close_all_sessions_clears_card)
{
    (void)signed_in_session();
    OK(p11->C_CloseAllSessions(1));
    ck_assert_msg(!card_signs_without_pin(),
                  "the PIN stayed verified after C_CloseAllSessions");
}
END_TEST

/* ---- signatures --------------------------------------------------------- */

/* Both tokens logged in: the card holds both PINs verified and would sign
 * with either key. Each token's signature must verify with its own
 * certificate's key, and not with the other's (the control that shows the
 * check tells the keys apart). */
START_TEST(test_each_token_signs_with_its_key)
{
    CK_SESSION_HANDLE h[2] = { t_open_login(0), t_open_login(1) };
    EVP_PKEY *pk[2] = { t_token_pkey(h[0]), t_token_pkey(h[1]) };
    unsigned char sig[512];
    size_t len = strlen(msg);
    int k;

    for (k = 0; k < 2; k++) {
        CK_ULONG n = t_sign(h[k], T_MECH, msg, len, sig);
        ck_assert_msg(t_verify(pk[k], "SHA256", msg, len, sig, n),
                      "token %d: the signature is not its key's", k);
        ck_assert_msg(!t_verify(pk[1 - k], "SHA256", msg, len, sig, n),
                      "token %d: the other token's key verifies it", k);
    }
    EVP_PKEY_free(pk[0]);
    EVP_PKEY_free(pk[1]);
}
END_TEST

/* ---- buffers ------------------------------------------------------------ */

static int all_zero(const unsigned char *p, size_t n)
{
    while (n--)
        if (*p++)
            return 0;
    return 1;
}

START_TEST(test_sign_input_wiped)
{
    CK_SESSION_HANDLE h = t_open_login(1);
    CK_MECHANISM m = { T_MECH_RAW, NULL, 0 };
    /* a SHA-256 DigestInfo (an EC card takes it as the hash), in two parts */
    unsigned char di[51] = { 0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
                             0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                             0x01, 0x05, 0x00, 0x04, 0x20 };
    unsigned char sig[512];
    CK_ULONG len = sizeof sig;
    p11_session *s = NULL;

    memset(di + 19, 0xA5, 32);
    OK(p11->C_SignInit(h, &m, t_privkey(h)));
    OK(p11->C_SignUpdate(h, di, 20));
    OK(p11->C_SignUpdate(h, di + 20, sizeof di - 20));
    OK(p11_session_get(h, &s));
    ck_assert(!all_zero(s->sign.buf, sizeof s->sign.buf)); /* control */
    OK(p11->C_SignFinal(h, sig, &len));
    ck_assert_uint_eq(len, T_SIG_LEN);
    ck_assert_msg(all_zero(s->sign.buf, sizeof s->sign.buf),
                  "the data to sign stayed in the session");
}
END_TEST

/* ---- objects ------------------------------------------------------------ */

START_TEST(test_no_certificate_trusted)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_OBJECT_HANDLE o[8];
    CK_SLOT_ID slot;

    for (slot = 0; slot < 2; slot++) {
        CK_SESSION_HANDLE h = t_open_login(slot);
        CK_ULONG n = t_find(h, &t, 1, o, 8), i;

        ck_assert_uint_eq(n, 2); /* the holder's and the CA's */
        for (i = 0; i < n; i++)
            ck_assert_msg(t_attr_bool(h, o[i], CKA_TRUSTED) == CK_FALSE,
                          "slot %lu: a certificate is CKA_TRUSTED",
                          (unsigned long)slot);
    }
}
END_TEST

/* ---- the cache ---------------------------------------------------------- */

/* Number of entries in DIR besides . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* A session's walk over the auth token's objects: fills a usable cache. */
static void read_public_objects(void)
{
    CK_SESSION_HANDLE h = t_open(0, 0);

    ck_assert_uint_ge(t_count(h, CKO_CERTIFICATE), 1);
    OK(p11->C_CloseSession(h));
}

/* A directory of user nobody with MODE as the cache: the module must
 * neither write into it nor change it (as root it could do both). */
static void someone_elses_cache_dir(mode_t mode)
{
    char dir[] = "/tmp/jpki-promises.XXXXXX";
    struct stat st;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, mode), 0);
    if (chown(dir, 65534, 65534) != 0) {
        /* Not root: no directory of someone else can be made. /tmp is
         * one (root's) that the module must leave alone. */
        rmdir(dir);
        snprintf(dir, sizeof dir, "/tmp");
    }
    ck_assert_int_eq(setenv("JPKI_PKCS11_CACHE", dir, 1), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    t_setup_init();
    read_public_objects();
    OK(p11->C_Finalize(NULL));
    p11 = NULL;
    unsetenv("JPKI_PKCS11_CACHE");
    if (strcmp(dir, "/tmp") != 0) {
        struct stat after;
        ck_assert_int_eq(stat(dir, &after), 0);
        ck_assert_msg(entries(dir) == 0,
                      "the module wrote into someone else's directory");
        ck_assert_msg(after.st_mode == st.st_mode,
                      "the module changed someone else's directory");
        rmdir(dir);
    }
    t_teardown();
}

START_TEST(test_cache_dir_of_someone_else_unused)
{
    someone_elses_cache_dir(0777); /* writable by others, too */
    someone_elses_cache_dir(0700); /* private, but not ours */
}
END_TEST

/* Does any file of DIR hold the bytes NEEDLE? */
static int dir_holds(const char *dir, const unsigned char *needle, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;

    ck_assert_ptr_nonnull(d);
    while (!found && (e = readdir(d))) {
        char path[4200];
        unsigned char buf[65536];
        size_t len, i;
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!(f = fopen(path, "rb")))
            continue;
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (i = 0; !found && i + n <= len; i++)
            found = memcmp(buf + i, needle, n) == 0;
    }
    closedir(d);
    return found;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(path);
}

START_TEST(test_sign_certificate_never_cached)
{
    char dir[] = "/tmp/jpki-promises.XXXXXX";
    unsigned char *der, *auth;
    CK_ULONG len, auth_len;
    CK_SESSION_HANDLE h;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(setenv("JPKI_PKCS11_CACHE", dir, 1), 0);
    t_setup_init();
    read_public_objects();
    h = t_open_login(1);
    der = t_attr(h, t_usercert(h), CKA_VALUE, &len);
    h = t_open(0, 0);
    auth = t_attr(h, t_usercert(h), CKA_VALUE, &auth_len);
    OK(p11->C_Finalize(NULL));
    p11 = NULL;
    unsetenv("JPKI_PKCS11_CACHE");
    /* the last 64 bytes: its signature value, unique to this certificate */
    ck_assert_uint_gt(len, 64);
    ck_assert_msg(
        dir_holds(dir, auth + auth_len - 64, 64),
        "control: the authentication certificate is not in the cache");
    ck_assert_msg(!dir_holds(dir, der + len - 64, 64),
                  "the signature certificate was written to the cache");
    free(der);
    free(auth);
    ck_assert_int_eq(nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS), 0);
    t_teardown();
}
END_TEST

static void no_setup(void)
{
}

int main(void)
{
    Suite *s = suite_create("promises");
    SRunner *sr;
    int failed;
    TCase *tc = t_tcase(s, "card", t_setup_init);

    tcase_add_test(tc, test_logout_clears_card);
    tcase_add_test(tc, test_last_session_close_clears_card);
    tcase_add_test(tc, test_close_all_sessions_clears_card);
    tcase_add_test(tc, test_each_token_signs_with_its_key);
    tcase_add_test(tc, test_sign_input_wiped);
    tcase_add_test(tc, test_no_certificate_trusted);
    tc = tcase_create("cache");
    tcase_add_test(tc, test_cache_dir_of_someone_else_unused);
    tcase_add_test(tc, test_sign_certificate_never_cached);
    tcase_add_unchecked_fixture(tc, no_setup, no_setup);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
