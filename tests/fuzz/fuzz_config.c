/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_config.c - the module's config file parser (src/pkcs11/config.c)
 * over fuzzed files: any bytes, any line length, NULs, no final newline.
 * Whatever the file says, the result must be a valid configuration.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pkcs11/config.h"

static char path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_path(path, sizeof path, "jpki-pkcs11.conf");
    /* Only the file: no setting from the environment. */
    unsetenv("JPKI_PKCS11_TOKENS");
    unsetenv("JPKI_PKCS11_PCSC");
    unsetenv("JPKI_PKCS11_EMULATOR");
    /* Bad lines are logged: keep the formatting, lose the output. */
    setenv("JPKI_PKCS11_LOG_FILE", "/dev/null", 1);
    jlog_init(JLOG_LEVEL_TRACE, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    p11_config cfg;

    if (fz_write_file(path, data, size) != 0)
        abort();
    p11_config_load_file(&cfg, path);
    if (cfg.log_level < -1 || cfg.log_level > 5)
        abort();
    if ((cfg.show_auth != 0 && cfg.show_auth != 1) ||
        (cfg.show_sign != 0 && cfg.show_sign != 1) ||
        (!cfg.show_auth && !cfg.show_sign) || (cfg.pcsc != 0 && cfg.pcsc != 1))
        abort();
    if (!memchr(cfg.log_file, '\0', sizeof cfg.log_file) ||
        !memchr(cfg.emulator, '\0', sizeof cfg.emulator))
        abort();
    return 0;
}
