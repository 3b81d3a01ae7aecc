/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_faults_flows.c - the flows of test_faults_flows.h. Each stops at
 * the first call that fails and says which one, so a test can hold the
 * return code to the table of codes the fault allows.
 */
#include "test_faults_flows.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "p11test.h"

#define STEP(call)                                                            \
    do {                                                                      \
        CK_RV rv_ = (call);                                                   \
        if (rv_ != CKR_OK)                                                    \
            return (tf_result){ rv_, #call };                                 \
    } while (0)
#define DONE ((tf_result){ CKR_OK, NULL })

static CK_FUNCTION_LIST_PTR f;
static const char doc[] = "fault-injection test document";

static CK_RV find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                  CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *n)
{
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof cls };
    CK_RV rv = f->C_FindObjectsInit(h, &t, 1);

    if (rv != CKR_OK)
        return rv;
    rv = f->C_FindObjects(h, out, max, n);
    if (rv != CKR_OK) {
        f->C_FindObjectsFinal(h);
        return rv;
    }
    return f->C_FindObjectsFinal(h);
}

/* Every certificate the session sees, read in full (CKA_VALUE); one that
 * is not a whole certificate is CKR_GENERAL_ERROR (a fault must never
 * hand out garbage as a certificate). */
static CK_RV read_certs(CK_SESSION_HANDLE h)
{
    CK_OBJECT_HANDLE o[8];
    CK_ULONG n = 0, i;
    unsigned char der[4096];
    CK_RV rv = find(h, CKO_CERTIFICATE, o, 8, &n);

    for (i = 0; rv == CKR_OK && i < n; i++) {
        CK_ATTRIBUTE a = { CKA_VALUE, der, sizeof der };
        const unsigned char *p = der;
        X509 *x;

        rv = f->C_GetAttributeValue(h, o[i], &a, 1);
        if (rv != CKR_OK)
            break;
        x = d2i_X509(NULL, &p, (long)a.ulValueLen);
        if (!x || p != der + a.ulValueLen)
            rv = CKR_GENERAL_ERROR;
        X509_free(x);
    }
    return rv;
}

static tf_result init(void)
{
    STEP(C_GetFunctionList(&f));
    STEP(f->C_Initialize(NULL));
    return DONE;
}

/* List tokens: slots, token info, objects and certificates of each. */
static tf_result flow_list(void)
{
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8, i, nobj;
    CK_OBJECT_HANDLE o[16];
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE h;
    tf_result r = init();

    if (r.rv != CKR_OK)
        return r;
    STEP(f->C_GetSlotList(CK_TRUE, slots, &n));
    if (n != 2) /* the card was not recognized: its tokens are absent */
        return (tf_result){ CKR_TOKEN_NOT_PRESENT,
                            "C_GetSlotList: < 2 tokens" };
    for (i = 0; i < n; i++) {
        STEP(f->C_GetTokenInfo(slots[i], &ti));
        STEP(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &h));
        STEP(f->C_FindObjectsInit(h, NULL, 0));
        STEP(f->C_FindObjects(h, o, 16, &nobj));
        STEP(f->C_FindObjectsFinal(h));
        STEP(read_certs(h));
        STEP(f->C_CloseSession(h));
    }
    return DONE;
}

static CK_RV login(CK_SESSION_HANDLE h, const char *pin)
{
    return f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static tf_result flow_login(void)
{
    CK_SESSION_HANDLE h;
    tf_result r = init();

    if (r.rv != CKR_OK)
        return r;
    STEP(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h));
    STEP(login(h, EMU_DEFAULT_AUTH_PIN));
    STEP(f->C_Logout(h));
    return DONE;
}

/* A signature the token's certificate verifies, or CKR_GENERAL_ERROR (a
 * fault must never yield a wrong signature reported as good). */
/* The certificate paired with key (same CKA_ID). A signature token's
 * certificate is private: if a fault after the signature cost the login
 * (the module re-selected the application), the session says so. */
static CK_RV key_cert(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key,
                      CK_OBJECT_HANDLE *cert)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_BYTE id[16];
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof cls },
                          { CKA_ID, id, sizeof id } };
    CK_SESSION_INFO si;
    CK_ULONG n = 0;
    CK_RV rv = f->C_GetAttributeValue(h, key, &t[1], 1);

    if (rv == CKR_OK)
        rv = f->C_FindObjectsInit(h, t, 2);
    if (rv != CKR_OK)
        return rv;
    rv = f->C_FindObjects(h, cert, 1, &n);
    f->C_FindObjectsFinal(h);
    if (rv != CKR_OK || n == 1)
        return rv;
    rv = f->C_GetSessionInfo(h, &si);
    if (rv != CKR_OK)
        return rv;
    return si.state == CKS_RO_PUBLIC_SESSION ? CKR_USER_NOT_LOGGED_IN
                                             : CKR_GENERAL_ERROR;
}

static CK_RV sign_and_check(CK_SESSION_HANDLE h)
{
    CK_MECHANISM m = { T_MECH, NULL, 0 };
    CK_OBJECT_HANDLE key, cert;
    CK_ULONG n = 0, sig_len = 512;
    unsigned char sig[512], der[4096];
    CK_ATTRIBUTE a = { CKA_VALUE, der, sizeof der };
    const unsigned char *p = der;
    CK_RV rv = find(h, CKO_PRIVATE_KEY, &key, 1, &n);
    X509 *x = NULL;
    int ok;

    if (rv == CKR_OK && n != 1) {
        /* No key: right only if the token says it lost its login (the
         * card's PIN state was cleared behind the session's back). */
        CK_SESSION_INFO si;
        rv = f->C_GetSessionInfo(h, &si);
        if (rv != CKR_OK)
            return rv;
        return si.state == CKS_RO_PUBLIC_SESSION ? CKR_USER_NOT_LOGGED_IN
                                                 : CKR_GENERAL_ERROR;
    }
    if (rv == CKR_OK)
        rv = f->C_SignInit(h, &m, key);
    if (rv == CKR_OK)
        rv = f->C_Sign(h, (CK_BYTE_PTR)doc, sizeof doc - 1, sig, &sig_len);
    if (rv == CKR_OK)
        rv = key_cert(h, key, &cert);
    if (rv == CKR_OK)
        rv = f->C_GetAttributeValue(h, cert, &a, 1);
    if (rv != CKR_OK)
        return rv;
    x = d2i_X509(NULL, &p, (long)a.ulValueLen);
    ok = x && t_verify(X509_get0_pubkey(x), "SHA256", doc, sizeof doc - 1, sig,
                       sig_len);
    X509_free(x);
    return ok ? CKR_OK : CKR_GENERAL_ERROR;
}

static tf_result flow_sign(CK_SLOT_ID slot, const char *pin)
{
    CK_SESSION_HANDLE h;
    tf_result r = init();

    if (r.rv != CKR_OK)
        return r;
    STEP(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
    STEP(login(h, pin));
    STEP(sign_and_check(h));
    STEP(f->C_Logout(h));
    return DONE;
}

static tf_result flow_sign_auth(void)
{
    return flow_sign(0, EMU_DEFAULT_AUTH_PIN);
}

static tf_result flow_sign_sign(void)
{
    return flow_sign(1, EMU_DEFAULT_SIGN_PIN);
}

static tf_result flow_set_pin(void)
{
    static const char new_pin[] = "XYZ789";
    CK_SESSION_HANDLE h;
    tf_result r = init();

    if (r.rv != CKR_OK)
        return r;
    STEP(f->C_OpenSession(1, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                          &h));
    STEP(f->C_SetPIN(h, (CK_UTF8CHAR_PTR)EMU_DEFAULT_SIGN_PIN,
                     strlen(EMU_DEFAULT_SIGN_PIN), (CK_UTF8CHAR_PTR)new_pin,
                     strlen(new_pin)));
    return DONE;
}

/* A mistyped signature PIN: CKR_PIN_INCORRECT is this flow's success. */
static tf_result flow_wrong_pin(void)
{
    CK_SESSION_HANDLE h;
    CK_RV rv;
    tf_result r = init();

    if (r.rv != CKR_OK)
        return r;
    STEP(f->C_OpenSession(1, CKF_SERIAL_SESSION, NULL, NULL, &h));
    rv = login(h, "ABC124");
    if (rv == CKR_PIN_INCORRECT)
        return DONE;
    return (tf_result){ rv == CKR_OK ? CKR_GENERAL_ERROR : rv,
                        "C_Login with a wrong PIN" };
}

const tf_flow tf_flows[] = {
    { "list", flow_list, 0, 0, -1, 0, 0 },
    { "login", flow_login, 1, 0, 0, 0, 0 },
    { "sign-auth", flow_sign_auth, 1, 1, 0, 0, 0 },
    { "sign-sign", flow_sign_sign, 1, 1, 1, 0, 0 },
    { "set-pin", flow_set_pin, 1, 0, 1, 0, 1 },
    { "wrong-pin", flow_wrong_pin, 1, 0, 1, 1, 0 },
};
const unsigned tf_n_flows = sizeof tf_flows / sizeof tf_flows[0];

tf_result tf_run(const tf_flow *fl)
{
    tf_result r = fl->run();

    if (f)
        f->C_Finalize(NULL);
    return r;
}
