/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.c - reads jpki-pkcs11.conf: "key = value" lines, '#' comments.
 *
 *   log_level = 0..5          JPKI_PKCS11_DEBUG
 *   log_file  = PATH          JPKI_PKCS11_LOG_FILE
 *   tokens    = both|auth|sign  JPKI_PKCS11_TOKENS
 *   pcsc      = on|off        JPKI_PKCS11_PCSC
 *   emulator  = IMAGE[:IMAGE] JPKI_PKCS11_EMULATOR
 *   readers_allow = PAT[,PAT] JPKI_PKCS11_READERS_ALLOW
 *   readers_deny  = PAT[,PAT] JPKI_PKCS11_READERS_DENY
 *       PC/SC readers whose name contains PAT (any case); deny wins, an
 *       empty allow list allows every reader.
 *   anchors   = DIR           JPKI_PKCS11_ANCHORS   (trust.c)
 *   crl       = FILE|DIR      JPKI_PKCS11_CRL
 *   invalid_cert = offer|hide JPKI_PKCS11_INVALID_CERT
 *   allow_test_pki = on|off   JPKI_PKCS11_ALLOW_TEST_PKI
 *   cache     = off|DIR       JPKI_PKCS11_CACHE   (src/jpki/cache.c; also
 *       where the CRL index goes: DIR/crl)
 *
 * The environment variable beside each key wins over the file.
 */
#include "pkcs11/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int set_tokens(p11_config *cfg, const char *v)
{
    if (strcmp(v, "both") == 0)
        cfg->show_auth = cfg->show_sign = 1;
    else if (strcmp(v, "auth") == 0)
        cfg->show_auth = 1, cfg->show_sign = 0;
    else if (strcmp(v, "sign") == 0)
        cfg->show_auth = 0, cfg->show_sign = 1;
    else
        return -1;
    return 0;
}

static int set_onoff(int *out, const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int set_level(int *out, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < 0 || n > 5)
        return -1;
    *out = (int)n;
    return 0;
}

static int set_path(char *out, const char *v)
{
    size_t n = strlen(v);

    if (n >= P11_CFG_PATH_MAX)
        return -1;
    memcpy(out, v, n + 1);
    return 0;
}

static int set_list(char *out, const char *v)
{
    size_t n = strlen(v);

    if (n >= P11_CFG_LIST_MAX)
        return -1;
    memcpy(out, v, n + 1);
    return 0;
}

/* -1: bad value, -2: unknown key. */
static int apply(p11_config *cfg, const char *key, const char *v)
{
    if (strcmp(key, "log_level") == 0)
        return set_level(&cfg->log_level, v);
    if (strcmp(key, "log_file") == 0)
        return set_path(cfg->log_file, v);
    if (strcmp(key, "tokens") == 0)
        return set_tokens(cfg, v);
    if (strcmp(key, "pcsc") == 0)
        return set_onoff(&cfg->pcsc, v);
    if (strcmp(key, "emulator") == 0)
        return set_path(cfg->emulator, v);
    if (strcmp(key, "readers_allow") == 0)
        return set_list(cfg->readers_allow, v);
    if (strcmp(key, "readers_deny") == 0)
        return set_list(cfg->readers_deny, v);
    if (strcmp(key, "anchors") == 0)
        return set_path(cfg->anchors, v);
    if (strcmp(key, "crl") == 0)
        return set_path(cfg->crl, v);
    if (strcmp(key, "invalid_cert") == 0 &&
        (!strcmp(v, "offer") || !strcmp(v, "hide"))) {
        cfg->invalid_cert_hide = strcmp(v, "hide") == 0;
        return 0;
    }
    if (strcmp(key, "invalid_cert") == 0)
        return -1;
    if (strcmp(key, "allow_test_pki") == 0)
        return set_onoff(&cfg->allow_test_pki, v);
    if (strcmp(key, "cache") == 0)
        return strcmp(v, "off") == 0 || v[0] == '/' ? set_path(cfg->cache, v)
                                                    : -1;
    if (strcmp(key, "pss") == 0)
        return set_onoff(&cfg->pss, v);
    return -2;
}

static void read_file(p11_config *cfg, const char *path)
{
    char line[P11_CFG_PATH_MAX + 64];
    unsigned lineno = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return; /* no file: the defaults */
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#'), *eq, *key;
        int rc;
        lineno++;
        if (hash)
            *hash = '\0';
        key = trim(line);
        if (!*key)
            continue;
        if (!(eq = strchr(key, '='))) {
            JLOG_ERR("%s:%u: expected 'key = value'", path, lineno);
            continue;
        }
        *eq = '\0';
        rc = apply(cfg, trim(key), trim(eq + 1));
        if (rc == -2)
            JLOG_ERR("%s:%u: unknown setting '%s'", path, lineno, trim(key));
        else if (rc)
            JLOG_ERR("%s:%u: bad value for '%s'", path, lineno, trim(key));
    }
    fclose(f);
}

static void from_env(p11_config *cfg, const char *var, const char *key)
{
    const char *v = getenv(var);

    if (v && *v && apply(cfg, key, v) != 0)
        JLOG_ERR("%s: bad value, ignored", var);
}

void p11_config_load_file(p11_config *cfg, const char *path)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = -1;
    cfg->show_auth = cfg->show_sign = 1;
    cfg->pcsc = 1;
    cfg->pss = 1;
    if (path)
        read_file(cfg, path);
    /* JPKI_PKCS11_DEBUG and _LOG_FILE are applied by jlog_init. */
    from_env(cfg, "JPKI_PKCS11_TOKENS", "tokens");
    from_env(cfg, "JPKI_PKCS11_PCSC", "pcsc");
    from_env(cfg, "JPKI_PKCS11_EMULATOR", "emulator");
    from_env(cfg, "JPKI_PKCS11_READERS_ALLOW", "readers_allow");
    from_env(cfg, "JPKI_PKCS11_READERS_DENY", "readers_deny");
    from_env(cfg, "JPKI_PKCS11_ANCHORS", "anchors");
    from_env(cfg, "JPKI_PKCS11_CRL", "crl");
    from_env(cfg, "JPKI_PKCS11_INVALID_CERT", "invalid_cert");
    from_env(cfg, "JPKI_PKCS11_ALLOW_TEST_PKI", "allow_test_pki");
    from_env(cfg, "JPKI_PKCS11_CACHE", "cache");
    from_env(cfg, "JPKI_PKCS11_PSS", "pss");
}

void p11_config_load(p11_config *cfg)
{
    const char *path = getenv("JPKI_PKCS11_CONF");

    p11_config_load_file(cfg, path && *path ? path
                                            : SYSCONFDIR "/jpki-pkcs11.conf");
}
