/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_sshkey.c - "jpki-tool ssh-key": the authentication key as one
 * authorized_keys line, "ssh-rsa AAAA... jpki-auth-<card id>", and nothing
 * else on stdout. The key comes from the authentication certificate, which
 * a card gives without a PIN (a smartphone token asks for the
 * authentication PIN). The comment is the card id of the PKCS#11 token
 * serial: no personal data, different for each card.
 *
 * The public key blob is RFC 4253's: string "ssh-rsa", mpint e, mpint n;
 * on a card of the ECDSA generation RFC 5656's ecdsa-sha2-nistp384.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/tool.h"
#include "tools/tool_card.h"

static void sshkey_usage(FILE *out)
{
    fprintf(out,
            _("Usage: %s ssh-key [--pin-fd N]\n"
              "\n"
              "Print the card's authentication key as one line for\n"
              "~/.ssh/authorized_keys. No PIN is needed (a smartphone token "
              "asks for\n"
              "the authentication PIN). Log in with\n"
              "  ssh -I /usr/local/lib/pkcs11/jpki-pkcs11.so HOST\n"
              "(the module's path on your system; see also ssh-add -s).\n"),
            TOOL_NAME);
}

/* Appends a uint32 length and the bytes; mpint: a leading zero byte when
 * the top bit is set (the value is positive). */
static size_t put_string(unsigned char *p, const unsigned char *s, size_t n,
                         int mpint)
{
    size_t pad = mpint && n && (s[0] & 0x80) ? 1 : 0, total = n + pad;
    p[0] = (unsigned char)(total >> 24);
    p[1] = (unsigned char)(total >> 16);
    p[2] = (unsigned char)(total >> 8);
    p[3] = (unsigned char)total;
    if (pad)
        p[4] = 0;
    memcpy(p + 4 + pad, s, n);
    return 4 + total;
}

int cmd_sshkey(int argc, char **argv)
{
    int rc = tool_pin_options(argc, argv, "ssh-key", sshkey_usage);
    if (rc >= 0)
        return rc;
    if (optind < argc) {
        tool_error(_("ssh-key: unexpected argument '%s' (see --help)"),
                   argv[optind]);
        return TOOL_EXIT_USAGE;
    }

    tool_card tc;
    unsigned char *der = NULL;
    size_t len = 0;
    char id[17] = "";
    rc = tool_card_open(&tc, "ssh-key");
    if (rc != 0)
        return rc;
    rc = tool_card_read_cert(&tc, "ssh-key", JPKI_AUTH, 0, &der, &len);
    if (rc == 0 && jpki_card_id(tc.card, id) != JPKI_OK)
        id[0] = '\0';
    tool_card_close(&tc);
    if (rc != 0)
        return rc;

    jpki_cert *cert = NULL;
    jpki_rv rv = jpki_cert_parse(der, len, &cert);
    free(der);
    if (rv != JPKI_OK) {
        tool_error(
            _("ssh-key: the card's authentication certificate is malformed"));
        return TOOL_EXIT_ERROR;
    }
    /* RSA, or the ECDSA generation's P-384 key (RFC 5656: string
     * "ecdsa-sha2-nistp384", string "nistp384", string Q uncompressed). */
    static const unsigned char p384_oid[] = { 0x06, 0x05, 0x2B, 0x81,
                                              0x04, 0x00, 0x22 };
    const int ec = cert->key_type == JPKI_KEYTYPE_EC;
    const char *type = ec ? "ecdsa-sha2-nistp384" : "ssh-rsa";
    if (ec && (cert->ec_params.len != sizeof p384_oid ||
               memcmp(cert->ec_params.p, p384_oid, sizeof p384_oid) != 0 ||
               cert->ec_point.len < 3)) {
        tool_error(_("ssh-key: the card's EC key is not on P-384"));
        jpki_cert_free(cert);
        return TOOL_EXIT_ERROR;
    }
    size_t blob_len = 4 + strlen(type) +
                      (ec ? 4 + 8 + 4 + cert->ec_point.len
                          : 5 + cert->exponent.len + 5 + cert->modulus.len);
    unsigned char *blob = malloc(blob_len);
    unsigned char *b64 = malloc(4 * ((blob_len + 2) / 3) + 1);
    if (!blob || !b64) {
        free(blob);
        free(b64);
        jpki_cert_free(cert);
        tool_error(_("ssh-key: out of memory"));
        return TOOL_EXIT_ERROR;
    }
    size_t n = put_string(blob, (const unsigned char *)type, strlen(type), 0);
    if (ec) {
        n += put_string(blob + n, (const unsigned char *)"nistp384", 8, 0);
        /* the point without its OCTET STRING header */
        n += put_string(blob + n, cert->ec_point.p + 2, cert->ec_point.len - 2,
                        0);
    } else {
        n += put_string(blob + n, cert->exponent.p, cert->exponent.len, 1);
        n += put_string(blob + n, cert->modulus.p, cert->modulus.len, 1);
    }
    EVP_EncodeBlock(b64, blob, (int)n);
    if (id[0])
        printf("%s %s jpki-auth-%s\n", type, (char *)b64, id);
    else
        printf("%s %s jpki-auth\n", type, (char *)b64);
    free(blob);
    free(b64);
    jpki_cert_free(cert);
    return fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_ERROR;
}
