/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.h - the module's configuration: the file jpki-pkcs11.conf (path
 * from JPKI_PKCS11_CONF, else SYSCONFDIR/jpki-pkcs11.conf), each setting
 * overridable by an environment variable. See examples/jpki-pkcs11.conf.
 */
#ifndef JPKI_P11_CONFIG_H
#define JPKI_P11_CONFIG_H

#define P11_CFG_PATH_MAX 4096
#define P11_CFG_LIST_MAX 1024

typedef struct {
    int log_level; /* -1: not set */
    char log_file[P11_CFG_PATH_MAX];
    int show_auth, show_sign;        /* "tokens = both | auth | sign" */
    int pcsc;                        /* PC/SC readers on (1) or off (0) */
    char emulator[P11_CFG_PATH_MAX]; /* card images, ':'-separated */
    /* PC/SC readers used: ','-separated name substrings, any case; deny
     * wins; an empty allow list allows every reader. */
    char readers_allow[P11_CFG_LIST_MAX];
    char readers_deny[P11_CFG_LIST_MAX];
    /* certificate checks (trust.c) */
    char anchors[P11_CFG_PATH_MAX]; /* "" : the installed J-LIS roots */
    char crl[P11_CFG_PATH_MAX];     /* CRL file or directory, "" none */
    int invalid_cert_hide;          /* "invalid_cert = offer | hide" */
    int allow_test_pki;             /* accept the test cards' policy */
    char cache[P11_CFG_PATH_MAX];   /* "cache = off | DIR"; "": default */
    int pss;         /* offer RSA-PSS (card scheme P1 04): "pss = on | off" */
    char ec_aid[33]; /* ECDSA generation: an AID tried after the usual */
} p11_config;

/* Fills cfg from the defaults, the file, then the environment. A missing
 * file is no error; a bad line is logged and skipped (never fatal: a host
 * application must not lose its module to a typo). */
void p11_config_load(p11_config *cfg);
/* The same from a given file (NULL: none) and the environment; for tests. */
void p11_config_load_file(p11_config *cfg, const char *path);

#endif
