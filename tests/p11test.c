/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11test.c - shared by the files of the PKCS#11 test program: its data,
 * fixtures (a fresh card per test), counting mutex callbacks, and helpers
 * that keep each test short.
 */
#include "p11test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "testutil.h"

CK_FUNCTION_LIST_PTR p11;
char card[4096], away[4200];
const char *const pins[2] = { EMU_DEFAULT_AUTH_PIN, EMU_DEFAULT_SIGN_PIN };
const t_hash_mech hash_mechs[N_HASH_MECHS] = {
    { CKM_SHA1_RSA_PKCS, "SHA1" },     { CKM_SHA224_RSA_PKCS, "SHA224" },
    { CKM_SHA256_RSA_PKCS, "SHA256" }, { CKM_SHA384_RSA_PKCS, "SHA384" },
    { CKM_SHA512_RSA_PKCS, "SHA512" },
};
const t_hash_mech ec_hash_mechs[3] = { { CKM_ECDSA_SHA256, "SHA256" },
                                       { CKM_ECDSA_SHA384, "SHA384" },
                                       { CKM_ECDSA_SHA512, "SHA512" } };
int t_ec;
const char msg[] = "The quick brown fox jumps over the lazy dog";

/* ---- fixtures ---------------------------------------------------------- */

void t_set_card_kind(void)
{
    const char *kind = getenv("JPKI_TEST_CARD_KEY");

    t_ec = kind && strcmp(kind, "ec-p384") == 0;
}

void t_setup_card(void)
{
    t_set_card_kind();
    ck_assert_int_eq(tu_card_copy(card, sizeof card), 0);
    snprintf(away, sizeof away, "%s.away", card);
    ck_assert_int_eq(setenv("JPKI_PKCS11_EMULATOR", card, 1), 0);
    /* Only our emulator cards: a PC/SC test may run at the same time. */
    ck_assert_int_eq(setenv("JPKI_PKCS11_PCSC", "off", 1), 0);
    OK(C_GetFunctionList(&p11));
    ck_assert_ptr_nonnull(p11);
}

void t_setup_init(void)
{
    t_setup_card();
    OK(p11->C_Initialize(NULL));
}

void t_teardown(void)
{
    if (p11)
        p11->C_Finalize(NULL); /* the test may have finalized already */
    unsetenv("JPKI_PKCS11_EMULATOR");
    unlink(away);
    tu_card_remove(card);
}

/* ---- mutex callbacks that count their use ------------------------------- */

atomic_long n_create, n_destroy, n_lock, n_unlock;

static CK_RV cb_create(CK_VOID_PTR_PTR m)
{
    pthread_mutex_t *p = malloc(sizeof *p);

    if (!p || pthread_mutex_init(p, NULL) != 0) {
        free(p);
        return CKR_HOST_MEMORY;
    }
    *m = p;
    n_create++;
    return CKR_OK;
}

static CK_RV cb_destroy(CK_VOID_PTR m)
{
    pthread_mutex_destroy(m);
    free(m);
    n_destroy++;
    return CKR_OK;
}

static CK_RV cb_lock(CK_VOID_PTR m)
{
    pthread_mutex_lock(m);
    n_lock++;
    return CKR_OK;
}

static CK_RV cb_unlock(CK_VOID_PTR m)
{
    n_unlock++;
    pthread_mutex_unlock(m);
    return CKR_OK;
}

CK_C_INITIALIZE_ARGS t_callback_args(CK_FLAGS flags)
{
    CK_C_INITIALIZE_ARGS a;

    memset(&a, 0, sizeof a);
    a.CreateMutex = cb_create;
    a.DestroyMutex = cb_destroy;
    a.LockMutex = cb_lock;
    a.UnlockMutex = cb_unlock;
    a.flags = flags;
    n_create = n_destroy = n_lock = n_unlock = 0;
    return a;
}

/* ---- helpers ------------------------------------------------------------ */

CK_SESSION_HANDLE t_open(CK_SLOT_ID slot, CK_FLAGS extra)
{
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

    OK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | extra, NULL, NULL, &h));
    ck_assert_uint_ne(h, CK_INVALID_HANDLE);
    return h;
}

CK_RV t_login(CK_SESSION_HANDLE h, const char *pin)
{
    return p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

CK_SESSION_HANDLE t_open_login(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE h = t_open(slot, 0);

    OK(t_login(h, pins[slot]));
    return h;
}

CK_STATE t_state(CK_SESSION_HANDLE h)
{
    CK_SESSION_INFO si;

    OK(p11->C_GetSessionInfo(h, &si));
    return si.state;
}

CK_FLAGS t_token_flags(CK_SLOT_ID slot)
{
    CK_TOKEN_INFO ti;

    OK(p11->C_GetTokenInfo(slot, &ti));
    return ti.flags;
}

/* Runs a whole search; returns the number of objects found. */
CK_ULONG t_find(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n,
                CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_OBJECT_HANDLE dummy[16];
    CK_ULONG count = 0;

    OK(p11->C_FindObjectsInit(h, t, n));
    OK(p11->C_FindObjects(h, out ? out : dummy, out ? max : 16, &count));
    OK(p11->C_FindObjectsFinal(h));
    return count;
}

CK_ULONG t_count(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    return t_find(h, &t, 1, NULL, 0);
}

/* The one object of a class; certificates by category (1 user, 2 CA). */
CK_OBJECT_HANDLE t_find_obj(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                            CK_ULONG category)
{
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof cls },
                          { CKA_CERTIFICATE_CATEGORY, &category,
                            sizeof category } };
    CK_OBJECT_HANDLE o[4];

    ck_assert_uint_eq(t_find(h, t, cls == CKO_CERTIFICATE ? 2 : 1, o, 4), 1);
    return o[0];
}

CK_OBJECT_HANDLE t_privkey(CK_SESSION_HANDLE h)
{
    return t_find_obj(h, CKO_PRIVATE_KEY, 0);
}

CK_OBJECT_HANDLE t_usercert(CK_SESSION_HANDLE h)
{
    return t_find_obj(h, CKO_CERTIFICATE, 1);
}

/* The value of one attribute, malloc'd (NUL added after it). */
unsigned char *t_attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type, CK_ULONG *len)
{
    CK_ATTRIBUTE a = { type, NULL, 0 };
    unsigned char *v;

    OK(p11->C_GetAttributeValue(h, o, &a, 1));
    ck_assert_uint_ne(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    v = calloc(1, a.ulValueLen + 1);
    ck_assert_ptr_nonnull(v);
    a.pValue = v;
    OK(p11->C_GetAttributeValue(h, o, &a, 1));
    if (len)
        *len = a.ulValueLen;
    return v;
}

CK_BBOOL t_attr_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE type)
{
    CK_BBOOL b = 42;
    CK_ATTRIBUTE a = { type, &b, sizeof b };

    OK(p11->C_GetAttributeValue(h, o, &a, 1));
    ck_assert_uint_eq(a.ulValueLen, sizeof b);
    ck_assert(b == CK_TRUE || b == CK_FALSE);
    return b;
}

CK_ULONG t_attr_ulong(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type)
{
    CK_ULONG v = 0;
    CK_ATTRIBUTE a = { type, &v, sizeof v };

    OK(p11->C_GetAttributeValue(h, o, &a, 1));
    ck_assert_uint_eq(a.ulValueLen, sizeof v);
    return v;
}

EVP_PKEY *t_der_pkey(const unsigned char *der, CK_ULONG len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;

    X509_free(x);
    return pk;
}

/* The public key of the token's own certificate (CKA_VALUE). */
EVP_PKEY *t_token_pkey(CK_SESSION_HANDLE h)
{
    CK_ULONG len = 0;
    unsigned char *der = t_attr(h, t_usercert(h), CKA_VALUE, &len);
    EVP_PKEY *pk = t_der_pkey(der, len);

    free(der);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pk),
                     t_ec ? EVP_PKEY_EC : EVP_PKEY_RSA);
    return pk;
}

/* r||s as the DER OpenSSL verifies (into der, 128 bytes); its length. */
/* r||s as DER, or 0. No ck_assert: test_faults verifies outside a test
 * (a passing check assertion there ends the program). */
static size_t rs_to_der(const unsigned char *rs, unsigned char *der)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, 48, NULL), *ss = BN_bin2bn(rs + 48, 48, NULL);
    unsigned char *p = der;
    int n = 0;

    if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
        r = ss = NULL; /* s owns them */
        n = i2d_ECDSA_SIG(s, &p);
    }
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return n > 0 ? (size_t)n : 0;
}

int t_verify(EVP_PKEY *pk, const char *md, const void *data, size_t len,
             const unsigned char *sig, size_t sig_len)
{
    unsigned char der[128];
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        if (sig_len != 96)
            return 0; /* PKCS#11 gives r||s, 48 bytes each */
        sig_len = rs_to_der(sig, der);
        if (sig_len == 0)
            return 0;
        sig = der;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok =
        ctx &&
        EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pk, NULL) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Signs in one part; returns the signature length. */
CK_ULONG t_sign(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE type, const void *data,
                CK_ULONG len, unsigned char sig[512])
{
    CK_MECHANISM m = { type, NULL, 0 };
    CK_ULONG sig_len = 512;

    OK(p11->C_SignInit(h, &m, t_privkey(h)));
    OK(p11->C_Sign(h, (CK_BYTE_PTR)data, len, sig, &sig_len));
    return sig_len;
}

void t_sign_verify(CK_SESSION_HANDLE h)
{
    unsigned char sig[512];
    EVP_PKEY *pk = t_token_pkey(h);
    CK_ULONG n = t_sign(h, T_MECH, msg, strlen(msg), sig);

    ck_assert(t_verify(pk, "SHA256", msg, strlen(msg), sig, n));
    EVP_PKEY_free(pk);
}
int t_list_has(const CK_SLOT_ID *l, CK_ULONG n, CK_SLOT_ID id)
{
    CK_ULONG i;

    for (i = 0; i < n; i++)
        if (l[i] == id)
            return 1;
    return 0;
}

/* Retry counters as the card image holds them. */
void t_card_tries(unsigned *auth, unsigned *sig)
{
    t_image_tries(card, auth, sig);
}

void t_image_tries(const char *image, unsigned *auth, unsigned *sig)
{
    emu_card *c = NULL;
    emu_info info;
    char err[256];

    ck_assert_int_eq(emu_card_load(image, &c, err, sizeof err), EMU_OK);
    ck_assert_int_eq(emu_card_get_info(c, &info), EMU_OK);
    *auth = info.auth_tries;
    *sig = info.sign_tries;
    emu_card_free(c);
}

TCase *t_tcase(Suite *s, const char *name, void (*setup)(void))
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, t_teardown);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return tc;
}
