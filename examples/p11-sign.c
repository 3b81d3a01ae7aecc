/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11-sign.c - the smallest complete use of jpki-pkcs11 from C: load the
 * module with dlopen, find the token by label, log in, find the private key,
 * sign a message with CKM_SHA256_RSA_PKCS and write the signature.
 *
 *   p11-sign MODULE.so TOKEN-LABEL PIN INPUT OUTPUT
 *
 * e.g. p11-sign /usr/lib/x86_64-linux-gnu/pkcs11/jpki-pkcs11.so \
 *          "JPKI Digital Signature" ABC123 doc.txt doc.sig
 * Verify with: openssl dgst -sha256 -verify pub.pem -signature doc.sig doc.txt
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR p11;

static int check(CK_RV rv, const char *what)
{
    if (rv != CKR_OK)
        fprintf(stderr, "p11-sign: %s failed: CKR 0x%lX\n", what, rv);
    return rv == CKR_OK;
}

/* The first slot whose token label (blank padded) is `label`. */
static int find_slot(const char *label, CK_SLOT_ID *slot)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64, i;

    if (!check(p11->C_GetSlotList(CK_TRUE, slots, &n), "C_GetSlotList"))
        return 0;
    for (i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        size_t len = strlen(label);
        if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK || len > 32)
            continue;
        if (memcmp(ti.label, label, len) == 0 &&
            (len == 32 || ti.label[len] == ' ')) {
            *slot = slots[i];
            return 1;
        }
    }
    fprintf(stderr, "p11-sign: no token labelled '%s'\n", label);
    return 0;
}

static int find_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *key)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof cls } };
    CK_ULONG n = 0;

    if (!check(p11->C_FindObjectsInit(s, tmpl, 1), "C_FindObjectsInit") ||
        !check(p11->C_FindObjects(s, key, 1, &n), "C_FindObjects"))
        return 0;
    p11->C_FindObjectsFinal(s);
    if (n != 1)
        fprintf(stderr, "p11-sign: no private key on the token\n");
    return n == 1;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get_list;
    CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_SLOT_ID slot;
    CK_BYTE sig[512];
    CK_ULONG sig_len = sizeof sig;
    unsigned char *msg;
    size_t msg_len;
    void *lib;
    int ok = 0;
    FILE *out;

    if (argc != 6) {
        fprintf(stderr,
                "usage: p11-sign MODULE TOKEN-LABEL PIN INPUT OUTPUT\n");
        return 2;
    }
    if (!(msg = slurp(argv[4], &msg_len))) {
        fprintf(stderr, "p11-sign: cannot read %s\n", argv[4]);
        return 1;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list =
        lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (!get_list || get_list(&p11) != CKR_OK) {
        fprintf(stderr, "p11-sign: cannot load %s: %s\n", argv[1], dlerror());
        free(msg);
        return 1;
    }
    if (check(p11->C_Initialize(NULL), "C_Initialize")) {
        if (find_slot(argv[2], &slot) &&
            check(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
                  "C_OpenSession")) {
            ok = check(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[3],
                                    strlen(argv[3])),
                       "C_Login") &&
                 find_key(s, &key) &&
                 check(p11->C_SignInit(s, &mech, key), "C_SignInit") &&
                 check(p11->C_Sign(s, msg, msg_len, sig, &sig_len), "C_Sign");
            p11->C_Logout(s);
            p11->C_CloseSession(s);
        }
        p11->C_Finalize(NULL);
    }
    if (ok && (out = fopen(argv[5], "wb")) != NULL) {
        ok = fwrite(sig, 1, sig_len, out) == sig_len;
        ok = (fclose(out) == 0) && ok;
    }
    free(msg);
    dlclose(lib);
    return ok ? 0 : 1;
}
