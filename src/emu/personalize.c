/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * personalize.c - make a test card: two self-signed test CAs profiled like
 * the J-LIS roots, an authentication and a signature certificate profiled
 * like real card certificates, and the card image holding them.
 *
 * Extensions are added in the order the real certificates carry them, and
 * names use the real string types (C PrintableString, the rest UTF8String),
 * so that a parser tested against these meets no surprise on a real card.
 */
#include "emu/personalize.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "emu/image.h"

#define CA_DAYS   3652   /* 10 years */
#define LEAF_DAYS 1826   /* 5 years */
#define DAY_SECS  86400L

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} pki_pair;

typedef struct {
    pki_pair auth_ca, sign_ca, auth, sign;
} test_pki;

__attribute__((format(printf, 4, 5)))
static emu_rv fail(emu_rv rv, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rv;
}

/* ---- names -------------------------------------------------------------- */

typedef struct {
    const char *field;
    const char *value;
} rdn;

/* C is a PrintableString, everything else UTF8String, as J-LIS does it. */
static X509_NAME *make_name(const rdn *rdns, size_t n)
{
    X509_NAME *name = X509_NAME_new();
    for (size_t i = 0; name && i < n; i++) {
        int type = strcmp(rdns[i].field, "C") == 0 ? V_ASN1_PRINTABLESTRING
                                                   : V_ASN1_UTF8STRING;
        if (!X509_NAME_add_entry_by_txt(name, rdns[i].field, type,
                                        (const unsigned char *)rdns[i].value, -1, -1, 0)) {
            X509_NAME_free(name);
            name = NULL;
        }
    }
    return name;
}

static X509_NAME *ca_name(int sign)
{
    const rdn r[] = { { "C", "JP" }, { "O", EMU_PKI_ORG },
                      { "OU", sign ? EMU_PKI_OU_SIGN : EMU_PKI_OU_AUTH },
                      { "OU", EMU_PKI_OU_AGENCY } };
    return make_name(r, 4);
}

/* The Japanese directoryName of the roots' SAN and the leaves' IAN. */
static X509_NAME *ja_name(int sign)
{
    const rdn r[] = { { "C", "JP" }, { "O", EMU_PKI_JA_SERVICE },
                      { "OU", sign ? EMU_PKI_JA_OU_SIGN : EMU_PKI_JA_OU_AUTH },
                      { "OU", EMU_PKI_JA_AGENCY } };
    return make_name(r, 4);
}

/* Leaf CRL distribution points are partitioned per municipality. */
static X509_NAME *crldp_name(int sign)
{
    const rdn r[] = { { "C", "JP" }, { "O", EMU_PKI_ORG },
                      { "OU", sign ? EMU_PKI_OU_SIGN : EMU_PKI_OU_AUTH },
                      { "OU", "CRL Distribution Points" },
                      { "OU", EMU_PERSON_CRLDP_OU }, { "CN", EMU_PERSON_CRLDP_CN } };
    return make_name(r, 6);
}

/* An opaque id like the card's: date of issue, then random hex. */
static int random_id(char *buf, size_t len)
{
    unsigned char rnd[6];
    time_t now = time(NULL);
    struct tm tm;
    if (RAND_bytes(rnd, sizeof rnd) != 1 || !gmtime_r(&now, &tm))
        return -1;
    size_t off = strftime(buf, len, "%Y%m%d", &tm);
    for (size_t i = 0; i < sizeof rnd && off + 2 < len; i++, off += 2)
        snprintf(buf + off, len - off, "%02X", rnd[i]);
    return 0;
}

/* ---- extensions --------------------------------------------------------- */

static int add_ext_conf(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* One directoryName as GENERAL_NAMES; takes ownership of name. */
static GENERAL_NAMES *dir_names(X509_NAME *name)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (!gens || !gn || !name || !sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        GENERAL_NAMES_free(gens);
        X509_NAME_free(name);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, name);
    return gens;
}

static int add_dirname_ext(X509 *x, int nid, X509_NAME *name)
{
    GENERAL_NAMES *gens = dir_names(name);
    int ok = gens && X509_add1_ext_i2d(x, nid, gens, 0, X509V3_ADD_APPEND) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

/* CRL distribution point given as a directoryName, never a URL. */
static int add_crldp(X509 *x, X509_NAME *name)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    DIST_POINT_NAME *dpn = DIST_POINT_NAME_new();
    GENERAL_NAMES *gens = dir_names(name);
    int ok = dps && dp && dpn && gens && sk_DIST_POINT_push(dps, dp);
    if (ok) {
        dpn->type = 0;
        dpn->name.fullname = gens;
        dp->distpoint = dpn;
        ok = X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_APPEND) == 1;
    } else {
        GENERAL_NAMES_free(gens);
        DIST_POINT_NAME_free(dpn);
        DIST_POINT_free(dp);
    }
    CRL_DIST_POINTS_free(dps);
    return ok;
}

/* certificatePolicies (critical, like the real leaves) with a CPS URI. */
static int add_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    POLICYQUALINFO *q = POLICYQUALINFO_new();
    int ok = pols && pi && q && sk_POLICYINFO_push(pols, pi);
    if (!ok) {
        POLICYINFO_free(pi);
    } else {
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_txt2obj(oid, 1);
        pi->qualifiers = sk_POLICYQUALINFO_new_null();
        q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
        q->d.cpsuri = ASN1_IA5STRING_new();
        ok = pi->policyid && pi->qualifiers && q->d.cpsuri
            && ASN1_STRING_set(q->d.cpsuri, EMU_PKI_CPS_URI, -1)
            && sk_POLICYQUALINFO_push(pi->qualifiers, q);
        if (ok)
            q = NULL;
        ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 1,
                                 X509V3_ADD_APPEND) == 1;
    }
    POLICYQUALINFO_free(q);
    CERTIFICATEPOLICIES_free(pols);
    return ok;
}

/* One otherName of the signature certificate's SAN: a UTF8String under
 * 1.2.392.200149.8.5.5.<arc>. */
static int push_other_name(GENERAL_NAMES *gens, int arc, const char *value)
{
    char oid[64];
    snprintf(oid, sizeof oid, "%s.%d", EMU_OID_JPKI_ATTR, arc);
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
    ASN1_TYPE *t = ASN1_TYPE_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (!obj || !s || !t || !gn || !ASN1_STRING_set(s, value, -1)) {
        ASN1_OBJECT_free(obj);
        ASN1_UTF8STRING_free(s);
        ASN1_TYPE_free(t);
        GENERAL_NAME_free(gn);
        return 0;
    }
    ASN1_TYPE_set(t, V_ASN1_UTF8STRING, s);
    if (!GENERAL_NAME_set0_othername(gn, obj, t)) {
        ASN1_OBJECT_free(obj);
        ASN1_TYPE_free(t);
        GENERAL_NAME_free(gn);
        return 0;
    }
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

static int add_person_san(X509 *x)
{
    static const struct { int arc; const char *value; } attrs[] = {
        { 1, EMU_PERSON_NAME }, { 2, "" }, { 3, EMU_PERSON_SEX },
        { 4, EMU_PERSON_BIRTH }, { 5, EMU_PERSON_ADDRESS }, { 6, "" },
    };
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (size_t i = 0; ok && i < sizeof attrs / sizeof attrs[0]; i++)
        ok = push_other_name(gens, attrs[i].arc, attrs[i].value);
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

/* ---- certificates ------------------------------------------------------- */

/* Random positive serial of 8 to 16 bytes, first byte never 0. */
static int set_serial(X509 *x)
{
    unsigned char b[16], n;
    if (RAND_bytes(&n, 1) != 1)
        return 0;
    size_t len = 8 + n % 9;
    if (RAND_bytes(b, (int)len) != 1)
        return 0;
    b[0] = (unsigned char)((b[0] & 0x7F) | 0x10);
    BIGNUM *bn = BN_bin2bn(b, (int)len, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int ok = ai && X509_set_serialNumber(x, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok;
}

/* A certificate's fixed fields; subject taken over. */
static X509 *new_cert(X509_NAME *subject, const X509_NAME *issuer, EVP_PKEY *key,
                      long back_days, int days)
{
    X509 *x = X509_new();
    int ok = x && subject && X509_set_version(x, X509_VERSION_3) && set_serial(x)
        && X509_set_subject_name(x, subject)
        && X509_set_issuer_name(x, issuer ? issuer : subject)
        && X509_gmtime_adj(X509_getm_notBefore(x), -back_days * DAY_SECS)
        && X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL)
        && X509_set_pubkey(x, key);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static void *keygen_thread(void *arg)
{
    EVP_PKEY **key = arg;
    *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return NULL;
}

/* RSA key generation is nearly all of the time spent here and its duration
 * varies a lot; making the four keys in parallel keeps a card well under a
 * second on two cores. Without threads, they are made one after another. */
static int make_keys(test_pki *pki)
{
    EVP_PKEY **keys[] = { &pki->auth_ca.key, &pki->sign_ca.key, &pki->auth.key,
                          &pki->sign.key };
    pthread_t tid[4];
    int started[4];
    for (size_t i = 0; i < 4; i++)
        started[i] = pthread_create(&tid[i], NULL, keygen_thread, keys[i]) == 0;
    for (size_t i = 0; i < 4; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            keygen_thread(keys[i]);
    }
    return pki->auth_ca.key && pki->sign_ca.key && pki->auth.key && pki->sign.key;
}

static int make_ca(pki_pair *ca, int sign)
{
    X509 *x = ca->cert = new_cert(ca_name(sign), NULL, ca->key, 2, CA_DAYS);
    return x && add_ext_conf(x, x, NID_key_usage, "critical,keyCertSign,cRLSign")
        && add_dirname_ext(x, NID_subject_alt_name, ja_name(sign))
        && add_ext_conf(x, x, NID_basic_constraints, "critical,CA:TRUE")
        && add_crldp(x, X509_NAME_dup(X509_get_subject_name(x)))
        && add_ext_conf(x, x, NID_subject_key_identifier, "hash")
        && X509_sign(x, ca->key, EVP_sha256()) > 0;
}

static int make_auth_leaf(pki_pair *leaf, const pki_pair *ca)
{
    char cn[32];
    const rdn subj[] = { { "C", "JP" }, { "CN", cn } };
    if (random_id(cn, sizeof cn) != 0)
        return 0;
    X509 *x = leaf->cert = new_cert(make_name(subj, 2),
                                    X509_get_subject_name(ca->cert), leaf->key, 1, LEAF_DAYS);
    return x && add_ext_conf(x, ca->cert, NID_key_usage, "critical,digitalSignature")
        && add_ext_conf(x, ca->cert, NID_ext_key_usage, "clientAuth")
        && add_policy(x, EMU_OID_POLICY_AUTH)
        && add_dirname_ext(x, NID_issuer_alt_name, ja_name(0))
        && add_crldp(x, crldp_name(0))
        && add_ext_conf(x, ca->cert, NID_info_access, "OCSP;URI:" EMU_PKI_OCSP_URI)
        && add_ext_conf(x, ca->cert, NID_authority_key_identifier,
                        "keyid:always,issuer:always")
        && add_ext_conf(x, ca->cert, NID_subject_key_identifier, "hash")
        && X509_sign(x, ca->key, EVP_sha256()) > 0;
}

static int make_sign_leaf(pki_pair *leaf, const pki_pair *ca)
{
    char cn[32];
    const rdn subj[] = { { "C", "JP" }, { "L", EMU_PERSON_PREFECTURE },
                         { "L", EMU_PERSON_CITY }, { "CN", cn } };
    if (random_id(cn, sizeof cn) != 0)
        return 0;
    X509 *x = leaf->cert = new_cert(make_name(subj, 4),
                                    X509_get_subject_name(ca->cert), leaf->key, 1, LEAF_DAYS);
    return x && add_ext_conf(x, ca->cert, NID_key_usage,
                             "critical,digitalSignature,nonRepudiation")
        && add_person_san(x)
        && add_policy(x, EMU_OID_POLICY_SIGN_TEST)
        && add_dirname_ext(x, NID_issuer_alt_name, ja_name(1))
        && add_crldp(x, crldp_name(1))
        && add_ext_conf(x, ca->cert, NID_authority_key_identifier,
                        "keyid:always,issuer:always")
        && add_ext_conf(x, ca->cert, NID_subject_key_identifier, "hash")
        && X509_sign(x, ca->key, EVP_sha256()) > 0;
}

static void pki_free(test_pki *pki)
{
    pki_pair *p[] = { &pki->auth_ca, &pki->sign_ca, &pki->auth, &pki->sign };
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY_free(p[i]->key);
        X509_free(p[i]->cert);
    }
}

/* ---- output ------------------------------------------------------------- */

static emu_rv write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                        char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return fail(EMU_ERR_ARGS, err, errlen, "%s/%s: path too long", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = fp && (!key || fchmod(fd, 0600) == 0)
        && (key ? PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL)
                : PEM_write_X509(fp, cert)) == 1;
    int e = errno;
    if (fp)
        ok = (fclose(fp) == 0) && ok;
    else if (fd >= 0)
        close(fd);
    if (!ok)
        return fail(EMU_ERR_IO, err, errlen, "%s: cannot write: %s", path, strerror(e));
    return EMU_OK;
}

static emu_rv write_pki_dir(const char *image_path, const test_pki *pki,
                            char *err, size_t errlen)
{
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof dir, "%s.pki", image_path) >= sizeof dir)
        return fail(EMU_ERR_ARGS, err, errlen, "%s: path too long", image_path);
    struct stat st;
    if (mkdir(dir, 0700) != 0 && !(errno == EEXIST && stat(dir, &st) == 0
                                   && S_ISDIR(st.st_mode) && chmod(dir, 0700) == 0))
        return fail(EMU_ERR_IO, err, errlen, "%s: cannot create directory: %s", dir,
                    strerror(errno));
    emu_rv rv;
    if ((rv = write_pem(dir, "auth-ca.pem", pki->auth_ca.cert, NULL, err, errlen))
        || (rv = write_pem(dir, "auth-ca.key", NULL, pki->auth_ca.key, err, errlen))
        || (rv = write_pem(dir, "sign-ca.pem", pki->sign_ca.cert, NULL, err, errlen))
        || (rv = write_pem(dir, "sign-ca.key", NULL, pki->sign_ca.key, err, errlen)))
        return rv;
    return EMU_OK;
}

static emu_rv set_cert_file(emu_image *img, int f, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    if (len <= 0 || len > EMU_FILE_MAX) {
        OPENSSL_free(der);
        return EMU_ERR_CRYPTO;
    }
    img->file[f] = der;
    img->file_len[f] = (size_t)len;
    return EMU_OK;
}

static emu_rv write_image(const char *path, const test_pki *pki, const char *auth_pin,
                          const char *sign_pin, char *err, size_t errlen)
{
    emu_image img;
    memset(&img, 0, sizeof img);
    img.version = EMU_IMAGE_VERSION;
    snprintf(img.pins.pin[EMU_PIN_AUTH], sizeof img.pins.pin[0], "%s", auth_pin);
    snprintf(img.pins.pin[EMU_PIN_SIGN], sizeof img.pins.pin[0], "%s", sign_pin);
    img.pins.tries[EMU_PIN_AUTH] = EMU_AUTH_PIN_TRIES;
    img.pins.tries[EMU_PIN_SIGN] = EMU_SIGN_PIN_TRIES;
    snprintf(img.token_info, sizeof img.token_info, "%s", EMU_TOKEN_INFO_CARD);
    emu_rv rv;
    if ((rv = emu_image_set_key(&img, EMU_PIN_AUTH, pki->auth.key))
        || (rv = emu_image_set_key(&img, EMU_PIN_SIGN, pki->sign.key))
        || (rv = set_cert_file(&img, EMU_FILE_AUTH_CERT, pki->auth.cert))
        || (rv = set_cert_file(&img, EMU_FILE_AUTH_CA, pki->auth_ca.cert))
        || (rv = set_cert_file(&img, EMU_FILE_SIGN_CERT, pki->sign.cert))
        || (rv = set_cert_file(&img, EMU_FILE_SIGN_CA, pki->sign_ca.cert)))
        fail(rv, err, errlen, "%s: cannot encode the card's keys and certificates", path);
    else
        rv = emu_image_save(path, &img, NULL, NULL, err, errlen);
    emu_image_clear(&img);
    return rv;
}

static emu_rv check_pins(const char *auth_pin, const char *sign_pin, char *err, size_t errlen)
{
    if (!emu_pin_valid(EMU_PIN_AUTH, (const uint8_t *)auth_pin, strlen(auth_pin)))
        return fail(EMU_ERR_ARGS, err, errlen, "the authentication PIN must be exactly 4 digits");
    if (!emu_pin_valid(EMU_PIN_SIGN, (const uint8_t *)sign_pin, strlen(sign_pin)))
        return fail(EMU_ERR_ARGS, err, errlen, "the signature PIN must be 6 to 16 characters, "
                    "upper-case letters A-Z and digits 0-9 only");
    return EMU_OK;
}

emu_rv emu_personalize(const char *image_path, const emu_init_opts *opts,
                       char *err, size_t errlen)
{
    const char *auth_pin = opts && opts->auth_pin ? opts->auth_pin : EMU_DEFAULT_AUTH_PIN;
    const char *sign_pin = opts && opts->sign_pin ? opts->sign_pin : EMU_DEFAULT_SIGN_PIN;
    if (!image_path || !*image_path)
        return fail(EMU_ERR_ARGS, err, errlen, "no card image path given");
    emu_rv rv = check_pins(auth_pin, sign_pin, err, errlen);
    if (rv != EMU_OK)
        return rv;
    test_pki pki;
    memset(&pki, 0, sizeof pki);
    if (!make_keys(&pki) || !make_ca(&pki.auth_ca, 0) || !make_ca(&pki.sign_ca, 1)
        || !make_auth_leaf(&pki.auth, &pki.auth_ca)
        || !make_sign_leaf(&pki.sign, &pki.sign_ca)) {
        pki_free(&pki);
        return fail(EMU_ERR_CRYPTO, err, errlen, "%s: cannot make the test PKI (OpenSSL error)", image_path);
    }
    rv = write_pki_dir(image_path, &pki, err, errlen);
    if (rv == EMU_OK)
        rv = write_image(image_path, &pki, auth_pin, sign_pin, err, errlen);
    pki_free(&pki);
    return rv;
}
