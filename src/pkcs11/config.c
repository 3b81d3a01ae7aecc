/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.c - the module's settings: "key = value" lines of
 * jpki-pkcs11.conf ('#' comments), then the environment variable of each,
 * which wins over the file. The table `settings` below is the list (what
 * each means: man/jpki-pkcs11.conf.5). jpki-tool links this same object
 * (libconfig.la) to read the settings the module would see.
 */
#include "pkcs11/config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "jpki/ec_card.h"

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

/* A parser gets the whole config (tokens sets two fields) and its own
 * field with the field's size. 0, or -1 for a bad value. */
typedef int (*parse_fn)(p11_config *cfg, void *field, size_t size,
                        const char *v);

static int set_tokens(p11_config *cfg, void *field, size_t size, const char *v)
{
    (void)field, (void)size;
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

static int set_onoff(p11_config *cfg, void *field, size_t size, const char *v)
{
    int *out = field;
    (void)cfg, (void)size;
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int set_level(p11_config *cfg, void *field, size_t size, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    (void)cfg, (void)size;
    if (*v == '\0' || *end != '\0' || n < 0 || n > 5)
        return -1;
    *(int *)field = (int)n;
    return 0;
}

/* A path or a list, as long as it fits. */
static int set_text(p11_config *cfg, void *field, size_t size, const char *v)
{
    size_t n = strlen(v);
    (void)cfg;
    if (n >= size)
        return -1;
    memcpy(field, v, n + 1);
    return 0;
}

static int set_offer_hide(p11_config *cfg, void *field, size_t size,
                          const char *v)
{
    (void)cfg, (void)size;
    if (strcmp(v, "offer") != 0 && strcmp(v, "hide") != 0)
        return -1;
    *(int *)field = strcmp(v, "hide") == 0;
    return 0;
}

/* "off", or an absolute directory. */
static int set_cache(p11_config *cfg, void *field, size_t size, const char *v)
{
    return strcmp(v, "off") == 0 || v[0] == '/' ? set_text(cfg, field, size, v)
                                                : -1;
}

/* An AID in hex for a card of the ECDSA generation (src/jpki/ec_card.h).
 * It is a process-wide setting of the card layer, made here as it is read;
 * the last value read wins, as for every setting. */
static int set_ec_aid(p11_config *cfg, void *field, size_t size, const char *v)
{
    return jpki_ec_set_alt_aid(v) == 0 ? set_text(cfg, field, size, v) : -1;
}

/* Every setting: its key in the file, the environment variable that wins
 * over it, its parser and its field. A new setting is one line here (and
 * its field in config.h); tests/e2e/docs.sh reads the keys from this
 * table. LOG_SETTING: the variable is read by jlog_init (common/log.c),
 * which must see it before any configuration is read. */
#define FIELD(field)                                                          \
    offsetof(p11_config, field), sizeof(((p11_config *)0)->field)
#define SETTING(key, env, parse, field)                                       \
    {                                                                         \
        key, env, parse, FIELD(field), 0                                      \
    }
#define LOG_SETTING(key, env, parse, field)                                   \
    {                                                                         \
        key, env, parse, FIELD(field), 1                                      \
    }

static const struct setting {
    const char *key, *env;
    parse_fn parse;
    size_t off, size;
    int env_by_log;
} settings[] = {
    LOG_SETTING("log_level", "JPKI_PKCS11_DEBUG", set_level, log_level),
    LOG_SETTING("log_file", "JPKI_PKCS11_LOG_FILE", set_text, log_file),
    SETTING("tokens", "JPKI_PKCS11_TOKENS", set_tokens, show_auth),
    SETTING("pcsc", "JPKI_PKCS11_PCSC", set_onoff, pcsc),
    SETTING("emulator", "JPKI_PKCS11_EMULATOR", set_text, emulator),
    SETTING("readers_allow", "JPKI_PKCS11_READERS_ALLOW", set_text,
            readers_allow),
    SETTING("readers_deny", "JPKI_PKCS11_READERS_DENY", set_text,
            readers_deny),
    SETTING("anchors", "JPKI_PKCS11_ANCHORS", set_text, anchors),
    SETTING("crl", "JPKI_PKCS11_CRL", set_text, crl),
    SETTING("invalid_cert", "JPKI_PKCS11_INVALID_CERT", set_offer_hide,
            invalid_cert_hide),
    SETTING("allow_test_pki", "JPKI_PKCS11_ALLOW_TEST_PKI", set_onoff,
            allow_test_pki),
    SETTING("cache", "JPKI_PKCS11_CACHE", set_cache, cache),
    SETTING("pss", "JPKI_PKCS11_PSS", set_onoff, pss),
    SETTING("ec_aid", "JPKI_PKCS11_EC_AID", set_ec_aid, ec_aid),
};

static int apply(p11_config *cfg, const struct setting *s, const char *v)
{
    return s->parse(cfg, (char *)cfg + s->off, s->size, v);
}

static const struct setting *find(const char *key)
{
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
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
        const struct setting *set;
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
        key = trim(key);
        if (!(set = find(key)))
            JLOG_ERR("%s:%u: unknown setting '%s'", path, lineno, key);
        else if (apply(cfg, set, trim(eq + 1)) != 0)
            JLOG_ERR("%s:%u: bad value for '%s'", path, lineno, key);
    }
    fclose(f);
}

void p11_config_load_file(p11_config *cfg, const char *path)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = -1;
    cfg->show_auth = cfg->show_sign = 1;
    cfg->pcsc = 1;
    cfg->pss = 1;
    jpki_ec_set_alt_aid(NULL);
    if (path)
        read_file(cfg, path);
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const char *v =
            settings[i].env_by_log ? NULL : getenv(settings[i].env);
        if (v && *v && apply(cfg, &settings[i], v) != 0)
            JLOG_ERR("%s: bad value, ignored", settings[i].env);
    }
}

void p11_config_load(p11_config *cfg)
{
    const char *path = getenv("JPKI_PKCS11_CONF");

    p11_config_load_file(cfg, path && *path ? path
                                            : SYSCONFDIR "/jpki-pkcs11.conf");
}
