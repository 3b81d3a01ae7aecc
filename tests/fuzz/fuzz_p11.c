/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_p11.c - sequences of PKCS#11 calls with fuzzed arguments against
 * the module and its in-process emulator card. Per input: the card image
 * is restored from a template (full PIN counters) and the module's
 * certificate cache emptied (a cache of its own, in the fuzzer's scratch
 * directory), C_Initialize, up to 64 calls chosen by the input, C_Finalize.
 *
 * Each call takes its function from one input byte and its arguments from
 * the next: handles (a session or object the module gave out, or any
 * value), lengths, templates, mechanisms, PINs (right, wrong, malformed,
 * NULL). Every pointer the module gets is NULL or a buffer of exactly the
 * length it is told, so ASan sees any access beyond it. WaitForSlotEvent
 * only with CKF_DONT_BLOCK (a blocking wait on an idle card never ends).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "emu/emu.h"

#define MAX_CALLS 64
#define MAX_HANDLES 16

static char card[4096];
static char cache[4096];
static uint8_t *tmpl;
static size_t tmpl_len;
static CK_FUNCTION_LIST_PTR f;

typedef struct {
    fz_in in;
    CK_SESSION_HANDLE sess[MAX_HANDLES];
    size_t n_sess;
    CK_OBJECT_HANDLE obj[MAX_HANDLES];
    size_t n_obj;
} state;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char conf[4096], err[512] = "";
    FILE *fp;

    (void)argc;
    (void)argv;
    fz_path(card, sizeof card, "card.img");
    fz_path(conf, sizeof conf, "none.conf");
    /* Every input's card has a new insertion identity (the image file is
     * rewritten), so each one adds a cache file: not in the user's
     * ~/.cache, and not piling up (each save scans the directory). */
    fz_path(cache, sizeof cache, "cache");
    if (emu_personalize(card, NULL, err, sizeof err) != EMU_OK) {
        fprintf(stderr, "fuzz_p11: cannot make the card: %s\n", err);
        abort();
    }
    if (!(fp = fopen(card, "rb")) || !(tmpl = malloc(1 << 20)))
        abort();
    tmpl_len = fread(tmpl, 1, 1 << 20, fp);
    fclose(fp);
    setenv("JPKI_PKCS11_EMULATOR", card, 1);
    setenv("JPKI_PKCS11_PCSC", "off", 1);
    setenv("JPKI_PKCS11_CONF", conf, 1);
    setenv("JPKI_PKCS11_CACHE", cache, 1);
    unsetenv("JPKI_PKCS11_TOKENS");
    unsetenv("JPKI_EMU_FAULTS");
    /* The whole log at the highest level goes nowhere: its formatting is
     * exercised, its output is not wanted. */
    setenv("JPKI_PKCS11_DEBUG", "5", 1);
    setenv("JPKI_PKCS11_LOG_FILE", "/dev/null", 1);
    if (C_GetFunctionList(&f) != CKR_OK || !f)
        abort();
    return 0;
}

/* ---- arguments ---------------------------------------------------------- */

static CK_ULONG any_ulong(state *s)
{
    static const CK_ULONG special[] = {
        0, 1, 2, 3, (CK_ULONG)-1, 0x7FFFFFFF, 0x80000000UL
    };
    uint8_t b = fz_u8(&s->in);
    if (b < 0xF0)
        return b;
    if (b < 0xF0 + sizeof special / sizeof special[0])
        return special[b - 0xF0];
    return fz_u32(&s->in);
}

static CK_SLOT_ID slot_arg(state *s)
{
    uint8_t b = fz_u8(&s->in);
    return b < 0xC0 ? (CK_SLOT_ID)(b & 1) : any_ulong(s);
}

static CK_SESSION_HANDLE sess_arg(state *s)
{
    uint8_t b = fz_u8(&s->in);
    if (b < 0xC0 && s->n_sess)
        return s->sess[b % s->n_sess];
    return any_ulong(s);
}

static CK_OBJECT_HANDLE obj_arg(state *s)
{
    uint8_t b = fz_u8(&s->in);
    if (b < 0xC0 && s->n_obj)
        return s->obj[b % s->n_obj];
    return any_ulong(s);
}

static void add_session(state *s, CK_SESSION_HANDLE h)
{
    if (s->n_sess < MAX_HANDLES)
        s->sess[s->n_sess++] = h;
    else
        s->sess[h % MAX_HANDLES] = h;
}

static void add_objects(state *s, const CK_OBJECT_HANDLE *h, CK_ULONG n)
{
    for (CK_ULONG i = 0; i < n; i++) {
        if (s->n_obj < MAX_HANDLES)
            s->obj[s->n_obj++] = h[i];
        else
            s->obj[h[i] % MAX_HANDLES] = h[i];
    }
}

/* A buffer of exactly *len bytes (maybe NULL), *len from the input. Filled
 * from the input when fill is set, else with a pattern. */
static uint8_t *buf_arg(state *s, CK_ULONG *len, size_t max, int fill)
{
    uint8_t b = fz_u8(&s->in);
    size_t n = fz_u16(&s->in) % (max + 1);
    uint8_t *p;

    *len = n;
    if ((b & 7) == 0)
        return NULL; /* a NULL buffer, with the length anyway */
    if ((b & 7) == 1)
        *len = n = 0;
    if (!(p = malloc(n ? n : 1)))
        abort();
    if (fill) {
        size_t got;
        const uint8_t *src = fz_bytes(&s->in, n, &got);
        memcpy(p, src, got);
        memset(p + got, 0, n - got);
    } else {
        memset(p, 0xA5, n);
    }
    return p;
}

static CK_ATTRIBUTE_TYPE attr_type(state *s)
{
    static const CK_ATTRIBUTE_TYPE types[] = {
        CKA_CLASS,
        CKA_TOKEN,
        CKA_PRIVATE,
        CKA_LABEL,
        CKA_ID,
        CKA_VALUE,
        CKA_KEY_TYPE,
        CKA_MODULUS,
        CKA_PUBLIC_EXPONENT,
        CKA_SUBJECT,
        CKA_ISSUER,
        CKA_SERIAL_NUMBER,
        CKA_CERTIFICATE_TYPE,
        CKA_SIGN,
        CKA_EC_PARAMS,
        CKA_EC_POINT,
        CKA_ALWAYS_AUTHENTICATE,
        CKA_MODULUS_BITS,
        CKA_CERTIFICATE_CATEGORY,
        CKA_START_DATE,
        CKA_END_DATE,
        CKA_CHECK_VALUE,
        CKA_PUBLIC_KEY_INFO,
        CKA_SENSITIVE,
        CKA_EXTRACTABLE,
        CKA_PRIVATE_EXPONENT,
        CKA_WRAP_TEMPLATE,
        CKA_ALLOWED_MECHANISMS,
        CKA_URL,
        CKA_TRUSTED,
        CKA_MODIFIABLE,
    };
    uint8_t b = fz_u8(&s->in);
    if (b < sizeof types / sizeof types[0])
        return types[b];
    return b < 0xF0 ? (CK_ATTRIBUTE_TYPE)b : any_ulong(s);
}

/* A template of 0-7 attributes (or NULL). For reading, the values are
 * output buffers; else values from the input (or a CK_ULONG class/type). */
static CK_ATTRIBUTE *template_arg(state *s, CK_ULONG *count, CK_ULONG *alloc,
                                  int fill)
{
    uint8_t b = fz_u8(&s->in);
    CK_ULONG n = b & 7;
    CK_ATTRIBUTE *t;

    *count = *alloc = n;
    if (b & 0x80) {
        *alloc = 0;
        return NULL;
    }
    if (!(t = calloc(n ? n : 1, sizeof *t)))
        abort();
    for (CK_ULONG i = 0; i < n; i++) {
        t[i].type = attr_type(s);
        t[i].pValue = buf_arg(s, &t[i].ulValueLen, 600, fill);
    }
    if (b & 0x40)
        *count = any_ulong(s) % (n + 1); /* fewer than there are */
    return t;
}

static void template_free(CK_ATTRIBUTE *t, CK_ULONG n_alloc)
{
    if (!t)
        return;
    for (CK_ULONG i = 0; i < n_alloc; i++)
        free(t[i].pValue);
    free(t);
}

static CK_MECHANISM_TYPE mech_type(state *s)
{
    static const CK_MECHANISM_TYPE mechs[] = {
        CKM_RSA_PKCS,        CKM_SHA1_RSA_PKCS,
        CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
        CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
        CKM_RSA_PKCS_PSS,    CKM_SHA256_RSA_PKCS_PSS,
        CKM_RSA_X_509,       CKM_ECDSA,
        CKM_SHA256,          CKM_MD5_RSA_PKCS,
    };
    uint8_t b = fz_u8(&s->in);
    if (b < sizeof mechs / sizeof mechs[0])
        return mechs[b % (sizeof mechs / sizeof mechs[0])];
    return b < 0x80 ? mechs[b % (sizeof mechs / sizeof mechs[0])]
                    : any_ulong(s);
}

/* pin: the slot's right PIN, a wrong one, a malformed one, input bytes. */
static uint8_t *pin_arg(state *s, CK_ULONG *len)
{
    static const char *const pins[] = { "1234",  "ABC123", "9999", "ZZZZZZ",
                                        "12345", "abc123", "" };
    uint8_t b = fz_u8(&s->in);
    uint8_t *p;

    if (b < 0x80) {
        const char *v = pins[b % (sizeof pins / sizeof pins[0])];
        *len = strlen(v);
        if (!(p = malloc(*len ? *len : 1)))
            abort();
        memcpy(p, v, *len);
        return p;
    }
    return buf_arg(s, len, 40, 1);
}

/* ---- the calls ---------------------------------------------------------- */

static void call_info(state *s, uint8_t op)
{
    CK_SLOT_ID slots[8];
    CK_ULONG n = fz_u8(&s->in) % 9;
    CK_MECHANISM_TYPE mechs[32];
    CK_INFO info;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_SESSION_INFO sinfo;

    switch (op) {
    case 0: f->C_GetInfo(fz_u8(&s->in) & 1 ? &info : NULL); break;
    case 1:
        f->C_GetSlotList(fz_u8(&s->in) & 1, fz_u8(&s->in) & 1 ? slots : NULL,
                         &n);
        break;
    case 2: f->C_GetSlotInfo(slot_arg(s), &si); break;
    case 3: f->C_GetTokenInfo(slot_arg(s), &ti); break;
    case 4:
        n = fz_u8(&s->in) % 33;
        f->C_GetMechanismList(slot_arg(s), fz_u8(&s->in) & 1 ? mechs : NULL,
                              &n);
        break;
    case 5: f->C_GetMechanismInfo(slot_arg(s), mech_type(s), &mi); break;
    case 6: f->C_GetSessionInfo(sess_arg(s), &sinfo); break;
    default: {
        CK_SLOT_ID slot;
        f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
    }
    }
}

static void call_session(state *s, uint8_t op)
{
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG len, len2;
    uint8_t *a, *b;

    switch (op) {
    case 0: {
        CK_FLAGS fl = fz_u8(&s->in) & 1 ? CKF_SERIAL_SESSION : 0;
        if (fz_u8(&s->in) & 1)
            fl |= CKF_RW_SESSION;
        if (f->C_OpenSession(slot_arg(s), fl, NULL, NULL, &h) == CKR_OK)
            add_session(s, h);
        break;
    }
    case 1: f->C_CloseSession(sess_arg(s)); break;
    case 2: f->C_CloseAllSessions(slot_arg(s)); break;
    case 3: {
        CK_USER_TYPE ut = fz_u8(&s->in) < 0xE0 ? CKU_USER : any_ulong(s);
        h = sess_arg(s);
        a = pin_arg(s, &len);
        f->C_Login(h, ut, a, len);
        free(a);
        break;
    }
    case 4: f->C_Logout(sess_arg(s)); break;
    case 5:
        h = sess_arg(s);
        a = pin_arg(s, &len);
        b = pin_arg(s, &len2);
        f->C_SetPIN(h, a, len, b, len2);
        free(a);
        free(b);
        break;
    case 6:
        h = sess_arg(s);
        a = pin_arg(s, &len);
        f->C_InitPIN(h, a, len);
        free(a);
        break;
    default:
        a = buf_arg(s, &len, 64, 0);
        f->C_GenerateRandom(sess_arg(s), a, len);
        free(a);
    }
}

static void call_object(state *s, uint8_t op)
{
    CK_OBJECT_HANDLE found[MAX_HANDLES];
    CK_SESSION_HANDLE h = sess_arg(s);
    CK_ULONG n = 0, alloc = 0;
    CK_ATTRIBUTE *t;

    switch (op) {
    case 0:
        t = template_arg(s, &n, &alloc, 1);
        f->C_FindObjectsInit(h, t, n);
        template_free(t, alloc);
        break;
    case 1: {
        CK_ULONG max = fz_u8(&s->in) % (MAX_HANDLES + 1), got = 0;
        if (f->C_FindObjects(h, fz_u8(&s->in) & 0x80 ? NULL : found, max,
                             &got) == CKR_OK &&
            got <= max)
            add_objects(s, found, got);
        else if (got > max)
            abort(); /* more handles than room */
        break;
    }
    case 2: f->C_FindObjectsFinal(h); break;
    case 3:
        t = template_arg(s, &n, &alloc, 0);
        f->C_GetAttributeValue(h, obj_arg(s), t, n);
        template_free(t, alloc);
        break;
    case 4: {
        CK_ULONG size = 0;
        f->C_GetObjectSize(h, obj_arg(s), &size);
        break;
    }
    case 5:
        t = template_arg(s, &n, &alloc, 1);
        f->C_SetAttributeValue(h, obj_arg(s), t, n);
        template_free(t, alloc);
        break;
    case 6: {
        CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
        t = template_arg(s, &n, &alloc, 1);
        f->C_CreateObject(h, t, n, &o);
        template_free(t, alloc);
        break;
    }
    default: f->C_DestroyObject(h, obj_arg(s));
    }
}

static void call_sign(state *s, uint8_t op)
{
    CK_SESSION_HANDLE h = sess_arg(s);
    CK_MECHANISM m;
    CK_ULONG len, cap, siglen;
    uint8_t *param, *data, *sig;

    switch (op) {
    case 0:
    case 1:
        m.mechanism = mech_type(s);
        param = buf_arg(s, &m.ulParameterLen, 64, 1);
        m.pParameter = param;
        if (op == 0)
            f->C_SignInit(h, fz_u8(&s->in) & 0x80 ? NULL : &m, obj_arg(s));
        else
            f->C_VerifyInit(h, &m, obj_arg(s));
        free(param);
        break;
    case 2:
    case 3:
        data = buf_arg(s, &len, 600, 1);
        sig = buf_arg(s, &cap, 600, 0);
        siglen = fz_u8(&s->in) & 0x80 ? cap : any_ulong(s) % (cap + 1);
        if (op == 2) {
            if (f->C_Sign(h, data, len, sig, &siglen) == CKR_OK && sig &&
                siglen > cap)
                abort(); /* wrote more than the buffer holds */
        } else {
            f->C_Verify(h, data, len, sig, cap);
        }
        free(data);
        free(sig);
        break;
    case 4:
        data = buf_arg(s, &len, 600, 1);
        if (fz_u8(&s->in) & 1)
            f->C_SignUpdate(h, data, len);
        else
            f->C_VerifyUpdate(h, data, len);
        free(data);
        break;
    case 5:
        sig = buf_arg(s, &cap, 600, 0);
        siglen = cap;
        if (f->C_SignFinal(h, sig, &siglen) == CKR_OK && sig && siglen > cap)
            abort();
        free(sig);
        break;
    case 6:
        sig = buf_arg(s, &cap, 600, 1);
        f->C_VerifyFinal(h, sig, cap);
        free(sig);
        break;
    default: {
        CK_ULONG st = 0;
        f->C_GetOperationState(h, NULL, &st);
        m.mechanism = mech_type(s);
        m.pParameter = NULL;
        m.ulParameterLen = 0;
        f->C_DigestInit(h, &m);
        f->C_EncryptInit(h, &m, obj_arg(s));
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    state s = { .in = { data, size } };
    CK_C_INITIALIZE_ARGS args = { 0 };
    uint8_t mode;

    if (fz_write_file(card, tmpl, tmpl_len) != 0 || fz_empty_dir(cache) != 0)
        abort();
    mode = fz_u8(&s.in);
    args.flags = (mode & 1) ? CKF_OS_LOCKING_OK : 0;
    if (f->C_Initialize((mode & 2) ? &args : NULL) != CKR_OK)
        return 0;
    for (int i = 0; i < MAX_CALLS && s.in.n; i++) {
        uint8_t op = fz_u8(&s.in);
        switch (op >> 3 & 3) {
        case 0: call_info(&s, op & 7); break;
        case 1: call_session(&s, op & 7); break;
        case 2: call_object(&s, op & 7); break;
        default: call_sign(&s, op & 7); break;
        }
    }
    if (f->C_Finalize(NULL) != CKR_OK)
        abort();
    return 0;
}
