/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_emu.c - "jpki-tool emu": make and inspect emulator card images.
 *
 *   jpki-tool emu init --out CARD [--auth-pin PIN] [--sign-pin PIN] [--force]
 *   jpki-tool emu info CARD
 *   jpki-tool emu revoke CARD --which auth|sign
 *   jpki-tool emu serve CARD ...   (cmd_serve.c)
 *
 * "info" reads the certificates the way a host would, through APDUs, so it
 * shows what the card gives away without a PIN: the signature certificate
 * (which carries personal data) stays unread. PINs are never printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "tools/tool.h"

#define FILE_MAX 0x7FFF

static void emu_usage(FILE *out)
{
    fprintf(
        out,
        _("Usage: %s emu init --out CARD [--auth-pin PIN] [--sign-pin PIN] "
          "[--force]\n"
          "                     [card options below]\n"
          "       %s emu info CARD\n"
          "       %s emu revoke CARD --which auth|sign\n"
          "       %s emu serve CARD [--host H] [--port N] [--retry-seconds S] "
          "[--stats]\n"
          "\n"
          "init  make a test card image CARD with a fresh test PKI in "
          "CARD.pki/\n"
          "      --out, -o CARD     where to write the card image\n"
          "      --auth-pin PIN     user-authentication PIN, 4 digits "
          "(default %s)\n"
          "      --sign-pin PIN     signature PIN, 6-16 of A-Z 0-9 (default "
          "%s)\n"
          "      --force, -f        overwrite an existing card image\n"
          "      --name TEXT        holder's name, UTF-8 (certificate and "
          "card-info AP)\n"
          "      --address TEXT     holder's address, UTF-8\n"
          "      --birth YYYYMMDD   holder's birth date\n"
          "      --sex 1|2|3        holder's sex (ISO 5218 style)\n"
          "      --expired          certificates whose validity ended "
          "yesterday\n"
          "      --expires-in DAYS  certificates that end DAYS days from now "
          "(negative:\n"
          "                         ended DAYS days ago)\n"
          "      --serial SERIAL    the chip serial, 13 of 0-9 A-Z (default "
          "random);\n"
          "                         init again with the same one = a renewal\n"
          "      --ca-generations N N CA generations (1-8) with one name; the "
          "newest\n"
          "                         issues the card, older ones go to "
          "CARD.pki/*-ca-G.pem\n"
          "      --smartphone       smartphone token (JPKIAPGPSETOKEN): the "
          "auth\n"
          "                         certificate needs the auth PIN\n"
          "      --pinpad           the card sits in a PIN-pad reader\n"
          "      --key rsa2048|ec-p384  the card's keys and test PKI: today's "
          "RSA-2048\n"
          "                         or the next generation's ECDSA P-384\n"
          "      --ec-sig-encoding raw|der  an EC card's signature answer: "
          "r||s\n"
          "                         (default) or a DER SEQUENCE\n"
          "      card behaviours real cards have not confirmed (default "
          "first):\n"
          "      --token-info LABEL EF 0006 label: JPKIAPICCTOKEN2 (My Number "
          "Card),\n"
          "                         JPKIAPICCTOKEN (Juki card), "
          "JPKIAPGPSETOKEN (as\n"
          "                         --smartphone), JPKIAPIOSTOKEN (iPhone)\n"
          "      --blocked-sw SW    a blocked PIN answers VERIFY and the "
          "retry query\n"
          "                         with SW: 6983, 6984 or 63C0\n"
          "      --blocked-query-sw SW  the retry query alone answers SW\n"
          "      --blocked-status-63c0  the same as --blocked-query-sw 63C0\n"
          "      --reselect-keeps-pins  SELECT of the current JPKI-AP keeps "
          "the\n"
          "                         verified PINs (default: clears them)\n"
          "      --unverified-sign-sw SW  a signature without its PIN answers "
          "SW,\n"
          "                         any 69xx (default 6982)\n"
          "      --sign-pin-single-use  each signature needs its own VERIFY\n"
          "                         (default: one VERIFY covers several)\n"
          "      --select-fci       SELECT by AID with P2=00 answers an FCI\n"
          "                         (default: 6A86)\n"
          "      --no-serial-ap     the card has no serial-number "
          "application\n"
          "      --no-sign-sfi      the signature command refuses P2 80|SFI "
          "(6A86)\n"
          "      --no-sign-cert     no signature certificate, key nor PIN "
          "(EF 0008)\n"
          "      --no-auth-cert     no authentication certificate, key nor "
          "PIN\n"
          "      --sign-schemes v15-only  the signature command knows P1 00 "
          "only\n"
          "                         (PKCS#1 v1.5) and answers 6A86 to 01-05, "
          "PSS among\n"
          "                         them (default: all, P1 00-05)\n"
          "info  show a card image's format, token info, PIN retry counters "
          "and\n"
          "      certificates (never the PINs or the signature certificate)\n"
          "revoke revoke the card's auth or sign certificate in its test CA "
          "and\n"
          "      write that CA's CRL to CARD.pki/auth-ca.crl or sign-ca.crl\n"
          "serve put CARD into pcscd's virtual reader (vpcd); see 'emu serve "
          "--help'\n"),
        TOOL_NAME, TOOL_NAME, TOOL_NAME, TOOL_NAME, EMU_DEFAULT_AUTH_PIN,
        EMU_DEFAULT_SIGN_PIN);
}

/* ---- init --------------------------------------------------------------- */

/* A status word as 4 hex digits ("6984", "63c0"); 0 or -1. */
static int parse_sw(const char *s, unsigned *out)
{
    char *end;
    if (strlen(s) != 4 || strspn(s, "0123456789abcdefABCDEF") != 4)
        return -1;
    *out = (unsigned)strtoul(s, &end, 16);
    return 0;
}

static int do_init(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "auth-pin", required_argument, NULL, 'a' },
        { "sign-pin", required_argument, NULL, 's' },
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { "name", required_argument, NULL, 'N' },
        { "address", required_argument, NULL, 'A' },
        { "birth", required_argument, NULL, 'B' },
        { "sex", required_argument, NULL, 'S' },
        { "ca-generations", required_argument, NULL, 'G' },
        { "expired", no_argument, NULL, 'E' },
        { "expires-in", required_argument, NULL, 'x' },
        { "serial", required_argument, NULL, 'z' },
        { "smartphone", no_argument, NULL, 'P' },
        { "pinpad", no_argument, NULL, 'K' },
        { "blocked-status-63c0", no_argument, NULL, 'C' },
        { "sign-pin-single-use", no_argument, NULL, 'U' },
        { "token-info", required_argument, NULL, 'T' },
        { "blocked-sw", required_argument, NULL, 'b' },
        { "blocked-query-sw", required_argument, NULL, 'q' },
        { "reselect-keeps-pins", no_argument, NULL, 'R' },
        { "unverified-sign-sw", required_argument, NULL, 'u' },
        { "select-fci", no_argument, NULL, 'F' },
        { "no-serial-ap", no_argument, NULL, 'n' },
        { "no-sign-sfi", no_argument, NULL, 'Z' },
        { "no-sign-cert", no_argument, NULL, 'X' },
        { "no-auth-cert", no_argument, NULL, 'Y' },
        { "sign-schemes", required_argument, NULL, 'W' },
        { "key", required_argument, NULL, 'k' },
        { "ec-sig-encoding", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    emu_init_opts io = { .auth_pin = NULL };
    char *end;
    const char *out = NULL;
    int force = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'a': io.auth_pin = optarg; break;
        case 's': io.sign_pin = optarg; break;
        case 'f': force = 1; break;
        case 'h': emu_usage(stdout); return TOOL_EXIT_OK;
        case 'N': io.name = optarg; break;
        case 'A': io.address = optarg; break;
        case 'B': io.birth = optarg; break;
        case 'S': io.sex = optarg; break;
        case 'E': io.expired = 1; break;
        case 'z': io.serial = optarg; break;
        case 'x':
            errno = 0;
            io.expires_in = strtol(optarg, &end, 10);
            io.expires_in_given = 1;
            if (errno || end == optarg || *end) {
                tool_error(_("emu init: --expires-in wants a number of days, "
                             "not '%s'"),
                           optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        case 'P': io.smartphone = 1; break;
        case 'K': io.pinpad = 1; break;
        case 'C': io.blocked_status_63c0 = 1; break;
        case 'U': io.sign_pin_single_use = 1; break;
        case 'T': io.token_info = optarg; break;
        case 'R': io.reselect_keeps_pins = 1; break;
        case 'F': io.select_fci = 1; break;
        case 'n': io.no_serial_ap = 1; break;
        case 'Z': io.no_sign_sfi = 1; break;
        case 'X': io.no_sign_cert = 1; break;
        case 'Y': io.no_auth_cert = 1; break;
        case 'W':
            if (strcmp(optarg, "all") != 0 &&
                strcmp(optarg, "v15-only") != 0) {
                tool_error(_("emu init: --sign-schemes is 'all' or "
                             "'v15-only', not '%s'"),
                           optarg);
                return TOOL_EXIT_USAGE;
            }
            io.sign_v15_only = strcmp(optarg, "v15-only") == 0;
            break;
        case 'k':
        case 'e': {
            const char *a = c == 'k' ? "rsa2048" : "raw",
                       *b = c == 'k' ? "ec-p384" : "der";
            if (strcmp(optarg, a) != 0 && strcmp(optarg, b) != 0) {
                tool_error("emu init: %s is %s or %s, not '%s'",
                           argv[optind - 1], a, b, optarg);
                return TOOL_EXIT_USAGE;
            }
            *(c == 'k' ? &io.ec_p384 : &io.ec_sig_der) =
                strcmp(optarg, b) == 0;
            break;
        }
        case 'b':
        case 'q':
        case 'u': {
            unsigned *to = c == 'b'   ? &io.blocked_sw
                           : c == 'q' ? &io.blocked_query_sw
                                      : &io.unverified_sign_sw;
            if (parse_sw(optarg, to) != 0) {
                tool_error(
                    _("emu init: %s wants a status word of 4 hex digits, "
                      "not '%s'"),
                    argv[optind - 1], optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        }
        case 'G':
            errno = 0;
            io.ca_generations = (unsigned)strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || io.ca_generations < 1 ||
                io.ca_generations > 8) {
                tool_error(_("emu init: --ca-generations must be a number "
                             "from 1 to 8"));
                return TOOL_EXIT_USAGE;
            }
            break;
        default:
            tool_error(
                _("emu init: bad or incomplete option '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!out || optind != argc) {
        tool_error(out ? _("emu init: unexpected argument '%s'")
                       : _("emu init: --out CARD is required%s"),
                   out ? argv[optind] : "");
        return TOOL_EXIT_USAGE;
    }
    struct stat st;
    if (!force && lstat(out, &st) == 0) {
        tool_error(_("emu init: %s exists; use --force to overwrite it"), out);
        return TOOL_EXIT_ERROR;
    }
    char err[512] = "";
    emu_rv rv = emu_personalize(out, &io, err, sizeof err);
    if (rv != EMU_OK) {
        tool_error(_("emu init: %s"), err[0] ? err : emu_strerror(rv));
        return rv == EMU_ERR_ARGS ? TOOL_EXIT_USAGE : TOOL_EXIT_ERROR;
    }
    printf(_("card image: %s\ntest PKI:   %s.pki/\nPINs:       %s\n"), out,
           out,
           io.auth_pin || io.sign_pin ? _("as given")
                                      : _("the defaults (see --help)"));
    return TOOL_EXIT_OK;
}

/* ---- info --------------------------------------------------------------- */

static int transmit(emu_card *card, const uint8_t *cmd, size_t len,
                    uint8_t *rsp, size_t *data_len)
{
    size_t n = 0;
    if (emu_card_transmit(card, cmd, len, rsp, &n) != EMU_OK || n < 2)
        return -1;
    *data_len = n - 2;
    return rsp[n - 2] << 8 | rsp[n - 1];
}

/* Select an EF of the JPKI-AP and read all of it; *len = 0 if absent or
 * not readable without a PIN. */
static int read_ef(emu_card *card, uint16_t fid, uint8_t *buf, size_t *len)
{
    uint8_t rsp[EMU_RSP_MAX];
    uint8_t sel[] = { 0x00,        0xA4, 0x02, 0x0C, 0x02, (uint8_t)(fid >> 8),
                      (uint8_t)fid };
    size_t n;
    *len = 0;
    int sw = transmit(card, sel, sizeof sel, rsp, &n);
    if (sw != 0x9000)
        return sw;
    for (;;) {
        uint8_t rb[] = { 0x00, 0xB0, (uint8_t)(*len >> 8), (uint8_t)*len,
                         0x00 };
        sw = transmit(card, rb, sizeof rb, rsp, &n);
        if (sw == 0x6B00 && *len > 0)
            return 0x9000;
        if (sw != 0x9000)
            return sw;
        memcpy(buf + *len, rsp, n);
        *len += n;
        if (n < 256 || *len + 256 > FILE_MAX)
            return 0x9000;
    }
}

static void print_cert(emu_card *card, const char *label, uint16_t fid)
{
    static uint8_t buf[FILE_MAX + 256];
    size_t len;
    int sw = read_ef(card, fid, buf, &len);
    printf("%-18s", label);
    if (sw == 0x6A82) {
        printf("absent\n");
        return;
    }
    if (sw == 0x6982) {
        printf("readable only after the %s PIN (not shown)\n",
               fid == 0x000A ? "authentication" : "signature");
        return;
    }
    const unsigned char *p = buf;
    X509 *x = sw == 0x9000 ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (!x) {
        printf("unreadable (status %04X)\n", (unsigned)sw);
        return;
    }
    /* an image is a file anyone can hand over: its names are escaped */
    char name[1024] = "";
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem &&
        X509_NAME_print_ex(mem, X509_get_subject_name(x), 0,
                           XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int k = BIO_read(mem, name, (int)sizeof name - 1);
        name[k > 0 ? k : 0] = '\0';
    }
    BIO_free(mem);
    tool_put_text(stdout, name);
    BIO *bio = BIO_new_fp(stdout, BIO_NOCLOSE);
    BIO_printf(bio, "\n%-18s", "  valid until");
    ASN1_TIME_print(bio, X509_get0_notAfter(x));
    BIO_printf(bio, "\n");
    BIO_free(bio);
    X509_free(x);
}

static void print_tries(const char *label, unsigned left, unsigned max)
{
    printf("%-18s%u of %u tries left%s\n", label, left, max,
           left ? "" : " (BLOCKED)");
}

static int do_info(int argc, char **argv)
{
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        emu_usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (argc != 2) {
        tool_error(_("emu info: give exactly one card image (see --help)"));
        return TOOL_EXIT_USAGE;
    }
    char err[512] = "";
    emu_card *card = NULL;
    emu_info info;
    emu_rv rv = emu_card_load(argv[1], &card, err, sizeof err);
    if (rv != EMU_OK || (rv = emu_card_get_info(card, &info)) != EMU_OK) {
        tool_error(_("emu info: %s"), err[0] ? err : emu_strerror(rv));
        emu_card_free(card);
        return TOOL_EXIT_ERROR;
    }
    static const uint8_t select_jpki[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A,
                                           0xD3, 0x92, 0xF0, 0x00, 0x26,
                                           0x01, 0x00, 0x00, 0x00, 0x01 };
    uint8_t rsp[EMU_RSP_MAX];
    size_t n;
    printf("%-18s", "card image");
    tool_put_text(stdout, argv[1]);
    printf("\n%-18s%u\n%-18s", "format version", info.format_version,
           "token info");
    tool_put_text(stdout, info.token_info);
    putchar('\n');
    print_tries("auth PIN", info.auth_tries, info.auth_max_tries);
    print_tries("sign PIN", info.sign_tries, info.sign_max_tries);
    printf("%-18sblocked_sw=%04X blocked_query_sw=%04X sign_pin_single_use=%d "
           "pinpad=%d\n"
           "%-18sreselect_keeps_pins=%d unverified_sign_sw=%04X select_fci=%d "
           "serial_ap=%d\n",
           "switches", info.blocked_sw, info.blocked_query_sw,
           info.sign_pin_single_use, info.pinpad, "", info.reselect_keeps_pins,
           info.unverified_sign_sw, info.select_fci, info.serial_ap);
    printf("%-18ssign_sfi=%d ef0008=%02X%02X%02X sign_schemes=%s\n", "",
           info.sign_sfi, info.ef0008[0], info.ef0008[1], info.ef0008[2],
           info.sign_v15_only ? "v15-only" : "all");
    printf("%-18s%s\n", "keys",
           !info.ec          ? "RSA-2048"
           : info.ec_sig_der ? "ECDSA P-384, signature answered as DER"
                             : "ECDSA P-384, signature answered as r||s");
    print_tries("card-info PIN", info.info_tries, info.info_max_tries);
    printf("%-18s", "serial");
    tool_put_text(stdout,
                  info.serial_ap ? info.serial : "(no serial-number AP)");
    putchar('\n');
    int ok =
        transmit(card, select_jpki, sizeof select_jpki, rsp, &n) == 0x9000;
    if (ok) {
        print_cert(card, "auth certificate", 0x000A);
        print_cert(card, "auth CA", 0x000B);
        print_cert(card, "sign certificate", 0x0001);
        print_cert(card, "sign CA", 0x0002);
    } else {
        tool_error(_("emu info: %s: the JPKI application cannot be selected"),
                   argv[1]);
    }
    emu_card_free(card);
    return ok ? TOOL_EXIT_OK : TOOL_EXIT_ERROR;
}

/* ---- revoke ------------------------------------------------------------- */

static int do_revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        { "which", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *which = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': which = optarg; break;
        case 'h': emu_usage(stdout); return TOOL_EXIT_OK;
        default:
            tool_error(
                _("emu revoke: bad or incomplete option '%s' (see --help)"),
                argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    int w = which && strcmp(which, "auth") == 0   ? 0
            : which && strcmp(which, "sign") == 0 ? 1
                                                  : -1;
    if (w < 0 || optind != argc - 1) {
        tool_error(_("emu revoke: give one card image and --which auth or "
                     "--which sign"));
        return TOOL_EXIT_USAGE;
    }
    char err[512] = "";
    emu_rv rv = emu_revoke(argv[optind], w, err, sizeof err);
    if (rv != EMU_OK) {
        tool_error(_("emu revoke: %s"), err[0] ? err : emu_strerror(rv));
        return TOOL_EXIT_ERROR;
    }
    printf(_("revoked the %s certificate; CRL: %s.pki/%s-ca.crl\n"), which,
           argv[optind], which);
    return TOOL_EXIT_OK;
}

int cmd_emu(int argc, char **argv)
{
    if (argc < 2) {
        emu_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        emu_usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (strcmp(argv[1], "init") == 0)
        return do_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return do_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0)
        return do_revoke(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    tool_error(_("emu: unknown subcommand '%s' (see '%s emu --help')"),
               argv[1], TOOL_NAME);
    return TOOL_EXIT_USAGE;
}
