/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11test.h - shared by the files of the PKCS#11 test program (p11test.c
 * holds the fixtures and helpers declared here).
 */
#ifndef JPKI_P11TEST_H
#define JPKI_P11TEST_H

#include <check.h>
#include <stdatomic.h>
#include <stddef.h>

#include <openssl/evp.h>

#include <p11-kit/pkcs11.h>

/* The call returns a (or b, or c): every code the specification allows. */
#define RV3(a, b, c, call)                                                    \
    do {                                                                      \
        CK_RV rv_ = (call);                                                   \
        ck_assert_msg(rv_ == (CK_RV)(a) || rv_ == (CK_RV)(b) ||               \
                          rv_ == (CK_RV)(c),                                  \
                      "%s: expected %s (or %s, %s), got 0x%lx", #call, #a,    \
                      #b, #c, (unsigned long)rv_);                            \
    } while (0)
#define RV2(a, b, call) RV3(a, b, b, call)
#define RV(a, call) RV3(a, a, a, call)
#define OK(call) RV(CKR_OK, call)
#define PIN_FLAGS                                                             \
    (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)
#define BAD_SLOT ((CK_SLOT_ID)0x7fff0000)

typedef struct {
    CK_MECHANISM_TYPE type;
    const char *md; /* OpenSSL digest name */
} t_hash_mech;
#define N_HASH_MECHS 5

/* The card kind under test: JPKI_TEST_CARD_KEY=ec-p384 runs the suite on
 * an ECDSA P-384 card (set by the fixtures), else RSA-2048. The T_*
 * macros name what differs. */
extern int t_ec;
void t_set_card_kind(void); /* sets t_ec; t_setup_card calls it */
extern const t_hash_mech ec_hash_mechs[3];
#define T_HASH_MECHS (t_ec ? ec_hash_mechs : hash_mechs)
#define T_N_HASH_MECHS (t_ec ? 3 : N_HASH_MECHS)
#define T_MECH (t_ec ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS)
#define T_MECH_RAW (t_ec ? CKM_ECDSA : CKM_RSA_PKCS)
#define T_SIG_LEN (t_ec ? 96UL : 256UL)
#define T_KEY_BITS (t_ec ? 384UL : 2048UL)

extern CK_FUNCTION_LIST_PTR p11;
extern char card[4096],
    away[4200]; /* the card image; where it goes when pulled */
extern const char *const pins[2]; /* default PIN of slot 0 and slot 1 */
extern const t_hash_mech hash_mechs[N_HASH_MECHS];
extern const char msg[];
extern atomic_long n_create, n_destroy, n_lock, n_unlock;

/* Fixtures: a fresh card; the same and C_Initialize(NULL). */
void t_setup_card(void);
void t_setup_init(void);
void t_teardown(void);
TCase *t_tcase(Suite *s, const char *name, void (*setup)(void));
/* Counting pthread mutex callbacks (counters reset). */
CK_C_INITIALIZE_ARGS t_callback_args(CK_FLAGS flags);

CK_SESSION_HANDLE t_open(CK_SLOT_ID slot, CK_FLAGS extra);
CK_RV t_login(CK_SESSION_HANDLE h, const char *pin);
CK_SESSION_HANDLE t_open_login(CK_SLOT_ID slot);
CK_STATE t_state(CK_SESSION_HANDLE h);
CK_FLAGS t_token_flags(CK_SLOT_ID slot);
CK_ULONG t_find(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n,
                CK_OBJECT_HANDLE *out, CK_ULONG max);
CK_ULONG t_count(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls);
/* The one object of a class; certificates by category (1 user, 2 CA). */
CK_OBJECT_HANDLE t_find_obj(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                            CK_ULONG category);
CK_OBJECT_HANDLE t_privkey(CK_SESSION_HANDLE h);
CK_OBJECT_HANDLE t_usercert(CK_SESSION_HANDLE h);
unsigned char *t_attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type, CK_ULONG *len);
CK_BBOOL t_attr_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE type);
CK_ULONG t_attr_ulong(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type);
EVP_PKEY *t_der_pkey(const unsigned char *der, CK_ULONG len);
EVP_PKEY *t_token_pkey(CK_SESSION_HANDLE h);
int t_verify(EVP_PKEY *pk, const char *md, const void *data, size_t len,
             const unsigned char *sig, size_t sig_len);
CK_ULONG t_sign(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE type, const void *data,
                CK_ULONG len, unsigned char sig[512]);
void t_sign_verify(CK_SESSION_HANDLE h);
int t_list_has(const CK_SLOT_ID *l, CK_ULONG n, CK_SLOT_ID id);
void t_card_tries(unsigned *auth, unsigned *sig);
/* The same for another card image. */
void t_image_tries(const char *image, unsigned *auth, unsigned *sig);

/* test_pkcs11_ops.c, test_pkcs11_sign.c */
void t_add_ops_tests(Suite *s);
void t_add_sign_tests(Suite *s);
/* test_pkcs11_interfaces.c, test_pkcs11_pin_verify.c,
 * test_pkcs11_slot_events.c, test_pkcs11_pinpad.c */
void t_add_interface_tests(Suite *s);
void t_add_pin_verify_tests(Suite *s);
void t_add_slot_event_tests(Suite *s);
void t_add_pinpad_tests(Suite *s);

#endif
