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
#include "emu/error.h"
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

#include "emu/holder.h"
#include "emu/image.h"
#include "emu/sign_ec.h"
#include "emu/x509_profile.h"

#define CA_DAYS 3652   /* 10 years */
#define LEAF_DAYS 1826 /* 5 years */
/* The ECDSA generation's certificates are announced for 10 years; a leaf
 * ends with its CA. */
#define EC_LEAF_DAYS (CA_DAYS - 1)
#define DAY_SECS 86400L

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} pki_pair;

#define MAX_GENERATIONS 8
#define GENERATION_DAYS                                                       \
    1461 /* J-LIS starts a new CA generation every ~4 years */

/* ca[0][g] auth CA, ca[1][g] sign CA; g = gens - 1 is the newest, which
 * issues the leaves and is on the card. */
typedef struct {
    unsigned gens;
    int ec; /* P-384 keys, ecdsa-with-SHA384 (the next card generation) */
    pki_pair ca[2][MAX_GENERATIONS];
    pki_pair auth, sign;
} test_pki;

/* Everything personalization needs, defaults filled in. */
typedef struct {
    const char *auth_pin, *sign_pin;
    emu_holder holder;
    unsigned gens;
    int expired, smartphone, pinpad, sign_pin_single_use;
    int expires_in_given; /* the leaves end expires_in days from now */
    long expires_in;
    const char *serial; /* NULL: random */
    int reselect_keeps_pins, select_fci, serial_ap;
    int sign_sfi, no_sign_cert, no_auth_cert, sign_v15_only;
    int ec, ec_sig_der;
    uint16_t blocked_sw, blocked_query_sw, unverified_sign_sw;
    char token_info[EMU_TOKEN_INFO_LEN + 1];
} plan;

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

/* A certificate's fixed fields, valid from back_days ago for days days;
 * subject taken over. */
static X509 *new_cert(X509_NAME *subject, const X509_NAME *issuer,
                      EVP_PKEY *key, long back_days, long days)
{
    X509 *x = X509_new();
    int ok = x && subject && X509_set_version(x, X509_VERSION_3) &&
             set_serial(x) && X509_set_subject_name(x, subject) &&
             X509_set_issuer_name(x, issuer ? issuer : subject) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -back_days * DAY_SECS) &&
             X509_time_adj_ex(X509_getm_notAfter(x), (int)(days - back_days),
                              0, NULL) &&
             X509_set_pubkey(x, key);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

typedef struct {
    EVP_PKEY **key;
    int ec;
} keygen_job;

static void *keygen_thread(void *arg)
{
    keygen_job *job = arg;
    *job->key = emu_keygen(job->ec);
    return NULL;
}

/* RSA key generation is nearly all of the time spent here and its duration
 * varies a lot; making the keys in parallel keeps a card well under a
 * second on two cores. Without threads, they are made one after another. */
static int make_keys(test_pki *pki)
{
    keygen_job keys[2 * MAX_GENERATIONS + 2];
    pthread_t tid[2 * MAX_GENERATIONS + 2];
    int started[2 * MAX_GENERATIONS + 2];
    size_t n = 0;
    for (unsigned g = 0; g < pki->gens; g++) {
        keys[n++] = (keygen_job){ &pki->ca[0][g].key, pki->ec };
        keys[n++] = (keygen_job){ &pki->ca[1][g].key, pki->ec };
    }
    keys[n++] = (keygen_job){ &pki->auth.key, pki->ec };
    keys[n++] = (keygen_job){ &pki->sign.key, pki->ec };
    for (size_t i = 0; i < n; i++)
        started[i] =
            pthread_create(&tid[i], NULL, keygen_thread, &keys[i]) == 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            keygen_thread(&keys[i]);
        ok = ok && *keys[i].key;
    }
    return ok;
}

/* Every generation of a CA has the same name and its own key; generation
 * g of n began (n - 1 - g) * ~4 years before the newest, so with four or
 * more the oldest has expired, as J-LIS's 2015 roots have. */
static int make_ca(pki_pair *ca, int sign, long back_days)
{
    X509 *x = ca->cert =
        new_cert(emu_x509_ca_name(sign), NULL, ca->key, back_days, CA_DAYS);
    return x &&
           emu_x509_add_ext_conf(x, x, NID_key_usage,
                                 "critical,keyCertSign,cRLSign") &&
           emu_x509_add_dirname_ext(x, NID_subject_alt_name,
                                    emu_x509_ja_name(sign)) &&
           emu_x509_add_ext_conf(x, x, NID_basic_constraints,
                                 "critical,CA:TRUE") &&
           emu_x509_add_crldp(x, X509_NAME_dup(X509_get_subject_name(x))) &&
           emu_x509_add_ext_conf(x, x, NID_subject_key_identifier, "hash") &&
           X509_sign(x, ca->key, emu_ca_md(ca->key)) > 0;
}

static int make_auth_leaf(pki_pair *leaf, const pki_pair *ca, long back_days,
                          long days)
{
    char cn[32];
    const rdn subj[] = { { "C", "JP" }, { "CN", cn } };
    if (random_id(cn, sizeof cn) != 0)
        return 0;
    X509 *x = leaf->cert =
        new_cert(emu_x509_name(subj, 2), X509_get_subject_name(ca->cert),
                 leaf->key, back_days, days);
    return x &&
           emu_x509_add_ext_conf(x, ca->cert, NID_key_usage,
                                 "critical,digitalSignature") &&
           emu_x509_add_ext_conf(x, ca->cert, NID_ext_key_usage,
                                 "clientAuth") &&
           emu_x509_add_policy(x, EMU_OID_POLICY_AUTH) &&
           emu_x509_add_dirname_ext(x, NID_issuer_alt_name,
                                    emu_x509_ja_name(0)) &&
           emu_x509_add_crldp(x, emu_x509_crldp_name(0)) &&
           emu_x509_add_ext_conf(x, ca->cert, NID_info_access,
                                 "OCSP;URI:" EMU_PKI_OCSP_URI) &&
           emu_x509_add_ext_conf(x, ca->cert, NID_authority_key_identifier,
                                 "keyid:always,issuer:always") &&
           emu_x509_add_ext_conf(x, ca->cert, NID_subject_key_identifier,
                                 "hash") &&
           X509_sign(x, ca->key, emu_ca_md(ca->key)) > 0;
}

static int make_sign_leaf(pki_pair *leaf, const pki_pair *ca, long back_days,
                          long days, const emu_holder *h)
{
    char cn[32];
    const rdn subj[] = { { "C", "JP" },
                         { "L", EMU_PERSON_PREFECTURE },
                         { "L", EMU_PERSON_CITY },
                         { "CN", cn } };
    if (random_id(cn, sizeof cn) != 0)
        return 0;
    X509 *x = leaf->cert =
        new_cert(emu_x509_name(subj, 4), X509_get_subject_name(ca->cert),
                 leaf->key, back_days, days);
    return x &&
           emu_x509_add_ext_conf(x, ca->cert, NID_key_usage,
                                 "critical,digitalSignature,nonRepudiation") &&
           emu_x509_add_person_san(x, h) &&
           emu_x509_add_policy(x, EMU_OID_POLICY_SIGN_TEST) &&
           emu_x509_add_dirname_ext(x, NID_issuer_alt_name,
                                    emu_x509_ja_name(1)) &&
           emu_x509_add_crldp(x, emu_x509_crldp_name(1)) &&
           emu_x509_add_ext_conf(x, ca->cert, NID_authority_key_identifier,
                                 "keyid:always,issuer:always") &&
           emu_x509_add_ext_conf(x, ca->cert, NID_subject_key_identifier,
                                 "hash") &&
           X509_sign(x, ca->key, emu_ca_md(ca->key)) > 0;
}

/* Expired leaves ended yesterday after their full five years; the newest
 * CA then predates them. */
static int make_pki(test_pki *pki, const plan *pl)
{
    long leaf_days = pl->ec ? EC_LEAF_DAYS : LEAF_DAYS;
    long leaf_back = pl->expired ? leaf_days + 1 : 1;
    if (pl->expires_in_given)
        leaf_back = leaf_days - pl->expires_in;
    long ca_back = leaf_back + 1;
    pki->gens = pl->gens;
    pki->ec = pl->ec;
    if (!make_keys(pki))
        return 0;
    for (unsigned g = 0; g < pki->gens; g++) {
        long back = ca_back + (long)(pki->gens - 1 - g) * GENERATION_DAYS;
        if (!make_ca(&pki->ca[0][g], 0, back) ||
            !make_ca(&pki->ca[1][g], 1, back))
            return 0;
    }
    return make_auth_leaf(&pki->auth, &pki->ca[0][pki->gens - 1], leaf_back,
                          leaf_days) &&
           make_sign_leaf(&pki->sign, &pki->ca[1][pki->gens - 1], leaf_back,
                          leaf_days, &pl->holder);
}

static void pki_free(test_pki *pki)
{
    for (unsigned g = 0; g < MAX_GENERATIONS; g++) {
        for (int s = 0; s < 2; s++) {
            EVP_PKEY_free(pki->ca[s][g].key);
            X509_free(pki->ca[s][g].cert);
        }
    }
    EVP_PKEY_free(pki->auth.key);
    X509_free(pki->auth.cert);
    EVP_PKEY_free(pki->sign.key);
    X509_free(pki->sign.cert);
}

/* ---- output ------------------------------------------------------------- */

static emu_rv write_pem(const char *dir, const char *name, X509 *cert,
                        EVP_PKEY *key, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return emu_fail(EMU_ERR_ARGS, err, errlen, "%s/%s: path too long", dir,
                        name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  key ? 0600 : 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = fp && (!key || fchmod(fd, 0600) == 0) &&
             (key ? PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL)
                  : PEM_write_X509(fp, cert)) == 1;
    int e = errno;
    if (fp)
        ok = (fclose(fp) == 0) && ok;
    else if (fd >= 0)
        close(fd);
    if (!ok)
        return emu_fail(EMU_ERR_IO, err, errlen, "%s: cannot write: %s", path,
                        strerror(e));
    return EMU_OK;
}

/* CARD.pki/: {auth,sign}-ca.pem and .key (the newest generation, which
 * issued the card's certificates), and with several generations the older
 * certificates as {auth,sign}-ca-<g>.pem, 1 the oldest. A CRL left from an
 * earlier card of the same name would lie about this one, so it goes. */
static emu_rv write_pki_dir(const char *image_path, const test_pki *pki,
                            char *err, size_t errlen)
{
    static const char *const stem[2] = { "auth-ca", "sign-ca" };
    char dir[4096], name[64];
    if ((size_t)snprintf(dir, sizeof dir, "%s.pki", image_path) >=
        sizeof dir - 32)
        return emu_fail(EMU_ERR_ARGS, err, errlen, "%s: path too long",
                        image_path);
    struct stat st;
    if (mkdir(dir, 0700) != 0 &&
        !(errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
          chmod(dir, 0700) == 0))
        return emu_fail(EMU_ERR_IO, err, errlen,
                        "%s: cannot create directory: %s", dir,
                        strerror(errno));
    emu_rv rv;
    for (int s = 0; s < 2; s++) {
        const pki_pair *newest = &pki->ca[s][pki->gens - 1];
        snprintf(name, sizeof name, "%s.pem", stem[s]);
        if ((rv = write_pem(dir, name, newest->cert, NULL, err, errlen)))
            return rv;
        snprintf(name, sizeof name, "%s.key", stem[s]);
        if ((rv = write_pem(dir, name, NULL, newest->key, err, errlen)))
            return rv;
        for (unsigned g = 0; g + 1 < pki->gens; g++) {
            snprintf(name, sizeof name, "%s-%u.pem", stem[s], g + 1);
            if ((rv = write_pem(dir, name, pki->ca[s][g].cert, NULL, err,
                                errlen)))
                return rv;
        }
        char crl[4200];
        snprintf(crl, sizeof crl, "%s/%s.crl", dir, stem[s]);
        if (unlink(crl) != 0 && errno != ENOENT)
            return emu_fail(EMU_ERR_IO, err, errlen, "%s: cannot remove: %s",
                            crl, strerror(errno));
    }
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

static emu_rv write_image(const char *path, const test_pki *pki,
                          const plan *pl, char *err, size_t errlen)
{
    emu_image img;
    memset(&img, 0, sizeof img);
    img.version = EMU_IMAGE_VERSION;
    snprintf(img.pins.pin[EMU_PIN_AUTH], sizeof img.pins.pin[0], "%s",
             pl->auth_pin);
    snprintf(img.pins.pin[EMU_PIN_SIGN], sizeof img.pins.pin[0], "%s",
             pl->sign_pin);
    img.pins.tries[EMU_PIN_AUTH] = EMU_AUTH_PIN_TRIES;
    img.pins.tries[EMU_PIN_SIGN] = EMU_SIGN_PIN_TRIES;
    img.pins.tries[EMU_PIN_INFO] = EMU_INFO_PIN_TRIES;
    snprintf(img.token_info, sizeof img.token_info, "%s", pl->token_info);
    img.blocked_sw = pl->blocked_sw;
    img.blocked_query_sw = pl->blocked_query_sw;
    img.sign_pin_single_use = pl->sign_pin_single_use;
    img.reselect_keeps_pins = pl->reselect_keeps_pins;
    img.unverified_sign_sw = pl->unverified_sign_sw;
    img.select_fci = pl->select_fci;
    img.serial_ap = pl->serial_ap;
    img.sign_sfi = pl->sign_sfi;
    /* A certificate the card lacks: EF 0008 says so (byte not 8F). */
    img.ef0008[0] = pl->no_sign_cert ? 0x00 : EMU_CERT_PRESENT;
    img.ef0008[1] = pl->no_auth_cert ? 0x00 : EMU_CERT_PRESENT;
    img.sign_v15_only = pl->sign_v15_only;
    img.ec_sig_der = pl->ec_sig_der;
    img.pinpad = pl->pinpad;
    img.holder = pl->holder;
    const pki_pair *auth_ca = &pki->ca[0][pki->gens - 1],
                   *sign_ca = &pki->ca[1][pki->gens - 1];
    emu_rv rv;
    if (pl->serial)
        snprintf(img.serial, sizeof img.serial, "%s", pl->serial);
    if ((!pl->serial && emu_serial_random(img.serial) != 0) ||
        emu_number_random(img.holder.number) != 0)
        rv = emu_fail(EMU_ERR_CRYPTO, err, errlen, "%s: no random numbers",
                      path);
    else if ((rv = emu_image_set_key(&img, EMU_PIN_AUTH, pki->auth.key)) ||
             (rv = emu_image_set_key(&img, EMU_PIN_SIGN, pki->sign.key)) ||
             (rv = set_cert_file(&img, EMU_FILE_AUTH_CERT, pki->auth.cert)) ||
             (rv = set_cert_file(&img, EMU_FILE_AUTH_CA, auth_ca->cert)) ||
             (rv = set_cert_file(&img, EMU_FILE_SIGN_CERT, pki->sign.cert)) ||
             (rv = set_cert_file(&img, EMU_FILE_SIGN_CA, sign_ca->cert)))
        emu_fail(rv, err, errlen,
                 "%s: cannot encode the card's keys and certificates", path);
    else
        rv = emu_image_save(path, &img, NULL, NULL, err, errlen);
    emu_image_clear(&img);
    return rv;
}

/* ---- options ------------------------------------------------------------ */

/* The behaviour switches of the card (emu.h, emu_init_opts). */
static emu_rv plan_switches(const emu_init_opts *o, plan *pl, char *err,
                            size_t errlen)
{
    const char *label = o->token_info   ? o->token_info
                        : o->smartphone ? EMU_TOKEN_ANDROID
                                        : EMU_TOKEN_MYNUMBER;
    if (!emu_token_label_valid(label, strlen(label), 1))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the token info label must be 1 to %d "
                        "of A-Z and 0-9",
                        EMU_TOKEN_INFO_LEN);
    if (o->smartphone && strcmp(label, EMU_TOKEN_ANDROID) != 0)
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "a smartphone token's label is " EMU_TOKEN_ANDROID);
    if ((o->blocked_sw && !emu_blocked_sw_valid(o->blocked_sw)) ||
        (o->blocked_query_sw && !emu_blocked_sw_valid(o->blocked_query_sw)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "a blocked PIN answers 6983, 6984 or 63C0");
    if (o->unverified_sign_sw &&
        !emu_unverified_sign_sw_valid(o->unverified_sign_sw))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "a signature without its PIN answers "
                        "a 69xx status word");
    snprintf(pl->token_info, sizeof pl->token_info, "%s", label);
    if (o->blocked_sw)
        pl->blocked_sw = pl->blocked_query_sw = (uint16_t)o->blocked_sw;
    if (o->blocked_status_63c0)
        pl->blocked_query_sw = 0x63C0;
    if (o->blocked_query_sw)
        pl->blocked_query_sw = (uint16_t)o->blocked_query_sw;
    if (o->unverified_sign_sw)
        pl->unverified_sign_sw = (uint16_t)o->unverified_sign_sw;
    pl->reselect_keeps_pins = o->reselect_keeps_pins;
    pl->select_fci = o->select_fci;
    pl->serial_ap = !o->no_serial_ap;
    pl->sign_sfi = !o->no_sign_sfi;
    pl->no_sign_cert = o->no_sign_cert;
    pl->no_auth_cert = o->no_auth_cert;
    pl->sign_v15_only = o->sign_v15_only;
    pl->ec = o->ec_p384;
    pl->ec_sig_der = o->ec_sig_der;
    if (pl->ec_sig_der && !pl->ec)
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the signature encoding is a switch of EC cards "
                        "only (--key ec-p384)");
    return EMU_OK;
}

static emu_rv make_plan(const emu_init_opts *o, plan *pl, char *err,
                        size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    emu_holder_default(&pl->holder);
    pl->auth_pin = o && o->auth_pin ? o->auth_pin : EMU_DEFAULT_AUTH_PIN;
    pl->sign_pin = o && o->sign_pin ? o->sign_pin : EMU_DEFAULT_SIGN_PIN;
    pl->gens = o && o->ca_generations ? o->ca_generations : 1;
    pl->blocked_sw = pl->blocked_query_sw = 0x6983;
    pl->unverified_sign_sw = 0x6982;
    pl->serial_ap = 1;
    pl->sign_sfi = 1;
    snprintf(pl->token_info, sizeof pl->token_info, "%s", EMU_TOKEN_MYNUMBER);
    if (!emu_pin_valid(EMU_PIN_AUTH, (const uint8_t *)pl->auth_pin,
                       strlen(pl->auth_pin)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the authentication PIN must be exactly 4 digits");
    if (!emu_pin_valid(EMU_PIN_SIGN, (const uint8_t *)pl->sign_pin,
                       strlen(pl->sign_pin)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the signature PIN must be 6 to 16 characters, "
                        "upper-case letters A-Z and digits 0-9 only");
    if (!o)
        return EMU_OK;
    if (pl->gens > MAX_GENERATIONS)
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "CA generations must be 1 to %d", MAX_GENERATIONS);
    if (o->name && !emu_text_valid(o->name, strlen(o->name), EMU_NAME_MAX))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the name must be 1 to %d bytes of UTF-8 "
                        "without control characters",
                        EMU_NAME_MAX);
    if (o->address &&
        !emu_text_valid(o->address, strlen(o->address), EMU_ADDRESS_MAX))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the address must be 1 to %d bytes of UTF-8 "
                        "without control characters",
                        EMU_ADDRESS_MAX);
    if (o->birth && !emu_birth_valid(o->birth, strlen(o->birth)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the birth date must be YYYYMMDD, a real "
                        "date from 1900 to today");
    if (o->sex && !emu_sex_valid(o->sex, strlen(o->sex)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the sex must be 1, 2 or 3");
    if (o->name)
        snprintf(pl->holder.name, sizeof pl->holder.name, "%s", o->name);
    if (o->address)
        snprintf(pl->holder.address, sizeof pl->holder.address, "%s",
                 o->address);
    if (o->birth)
        snprintf(pl->holder.birth, sizeof pl->holder.birth, "%s", o->birth);
    if (o->sex)
        snprintf(pl->holder.sex, sizeof pl->holder.sex, "%s", o->sex);
    pl->expired = o->expired;
    const long leaf_days = o->ec_p384 ? EC_LEAF_DAYS : LEAF_DAYS;
    if (o->expires_in_given && (o->expired || o->expires_in < -leaf_days ||
                                o->expires_in > leaf_days - 1))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the certificates' end must be from %ld to %ld "
                        "days from now (and not with 'expired')",
                        -leaf_days, leaf_days - 1);
    pl->expires_in_given = o->expires_in_given;
    pl->expires_in = o->expires_in;
    if (o->serial && !(strlen(o->serial) == EMU_SERIAL_LEN &&
                       emu_serial_valid(o->serial, EMU_SERIAL_LEN)))
        return emu_fail(EMU_ERR_ARGS, err, errlen,
                        "the chip serial must be %d of 0-9 A-Z",
                        EMU_SERIAL_LEN);
    pl->serial = o->serial;
    pl->smartphone = o->smartphone;
    pl->pinpad = o->pinpad;
    pl->sign_pin_single_use = o->sign_pin_single_use;
    return plan_switches(o, pl, err, errlen);
}

emu_rv emu_personalize(const char *image_path, const emu_init_opts *opts,
                       char *err, size_t errlen)
{
    if (!image_path || !*image_path)
        return emu_fail(EMU_ERR_ARGS, err, errlen, "no card image path given");
    plan pl;
    emu_rv rv = make_plan(opts, &pl, err, errlen);
    if (rv != EMU_OK)
        return rv;
    test_pki pki;
    memset(&pki, 0, sizeof pki);
    if (!make_pki(&pki, &pl)) {
        pki_free(&pki);
        return emu_fail(EMU_ERR_CRYPTO, err, errlen,
                        "%s: cannot make the test PKI (OpenSSL error)",
                        image_path);
    }
    rv = write_pki_dir(image_path, &pki, err, errlen);
    if (rv == EMU_OK)
        rv = write_image(image_path, &pki, &pl, err, errlen);
    pki_free(&pki);
    OPENSSL_cleanse(&pl, sizeof pl);
    return rv;
}
