/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_diagnose_out.c - the field report of "jpki-tool diagnose", as text
 * for people and as one JSON object for bug reports. Both say the same:
 * the reader, the card's answers, the findings and the APDU record.
 */
#include <stdio.h>
#include <string.h>

#include "tools/cmd_diagnose.h"
#include "tools/tool.h"
#include "common/sw.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The token kind a token-info label names. */
static const char *label_kind(const char *label)
{
    static const struct {
        const char *label, *kind;
    } kinds[] = {
        { "JPKIAPICCTOKEN2", "My Number Card" },
        { "JPKIAPICCTOKEN", "Basic Resident Register card" },
        { "JPKIAPGPSETOKEN", "Android secure element" },
        { "JPKIAPIOSTOKEN", "iPhone" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(label, kinds[i].label) == 0)
            return kinds[i].kind;
    return label[0] ? "unknown kind" : "none";
}

/* A retry-query answer in words. */
static void pin_words(uint16_t sw, char *out, size_t cap)
{
    int left = diag_tries_left(sw);
    if (!sw)
        snprintf(out, cap, "not asked");
    else if (left > 0)
        snprintf(out, cap, "%04X (%d tries left)", sw, left);
    else if (left == 0 || sw == SW_BLOCKED || sw == SW_REF_DATA_UNUSABLE)
        snprintf(out, cap, "%04X (blocked)", sw);
    else
        snprintf(out, cap, "%04X (unexpected)", sw);
}

static const char *fci_word(const diag_report *r)
{
    return r->fci_sw == SW_OK           ? "fci"
           : r->fci_sw == SW_WRONG_P1P2 ? "6A86"
                                        : "other";
}

/* Signature length from the experiments that signed. */
static size_t sig_len(const diag_report *r)
{
    for (size_t i = 0; i < diag_n_experiments; i++)
        if (r->results[i].sig_len)
            return r->results[i].sig_len;
    return 0;
}

static void spent(const diag_report *r, unsigned out[2], unsigned announced[2])
{
    out[0] = out[1] = 0;
    for (size_t i = 0; i < diag_n_experiments; i++) {
        out[0] += r->results[i].auth_spent;
        out[1] += r->results[i].sign_spent;
    }
    announced[0] = r->announced[0];
    announced[1] = r->announced[1];
}

/* ---- text --------------------------------------------------------------- */

static void text_files(const diag_report *r)
{
    for (size_t i = 0; i < DIAG_N_FILES; i++) {
        const diag_file *f = &r->files[i];
        if (!f->name)
            continue;
        printf("  %-22s EF %04X: ", f->name, f->fid);
        if (f->select_sw != SW_OK)
            printf("SELECT %04X%s\n", f->select_sw,
                   f->select_sw == SW_NOT_FOUND ? " (absent)" : "");
        else if (!f->read)
            printf("SELECT 9000, not read (personal data)\n");
        else if (f->size >= 0)
            printf("%ld bytes\n", f->size);
        else
            printf("READ BINARY %04X\n", f->read_sw);
    }
}

static void text_findings(const diag_report *r)
{
    char a[48], s[48];
    pin_words(r->pin_sw[DIAG_AUTH], a, sizeof a);
    pin_words(r->pin_sw[DIAG_SIGN], s, sizeof s);
    printf("Findings\n");
    printf("  %-22s %s (%s)\n", "token info label",
           r->token_label[0] ? r->token_label : "-",
           label_kind(r->token_label));
    printf("  %-22s %s\n  %-22s %s\n", "auth PIN status", a, "sign PIN status",
           s);
    text_files(r);
    if (r->cert_ok)
        printf("  %-22s issuer %s\n  %-22s %s to %s, %s\n", "auth certificate",
               r->issuer, "", r->not_before, r->not_after, r->key_type);
    if (!strcmp(fci_word(r), "fci"))
        printf("  %-22s FCI, %zu bytes\n", "SELECT by AID, P2=00", r->fci_len);
    else
        printf("  %-22s %04X%s\n", "SELECT by AID, P2=00", r->fci_sw,
               r->fci_sw == SW_WRONG_P1P2 ? " (no FCI)" : "");
    if (r->serial_select_sw != SW_OK)
        printf("  %-22s absent (SELECT %04X)\n", "serial-number AP",
               r->serial_select_sw);
    else if (r->serial_tag < 0)
        printf("  %-22s present, READ RECORD %04X\n", "serial-number AP",
               r->serial_read_sw);
    else
        printf("  %-22s present: one TLV, tag %02X, value %ld characters; "
               "value [2,15) %s\n",
               "serial-number AP", r->serial_tag, r->serial_value_len,
               r->serial_value_alnum ? "is 13 of 0-9 A-Z"
                                     : "does NOT look like a serial");
}

static void text_experiments(const diag_report *r)
{
    unsigned sent[2], announced[2];
    if (!r->with_pin)
        return;
    printf("Experiments\n");
    for (size_t i = 0; i < diag_n_experiments; i++) {
        const diag_result *x = &r->results[i];
        printf("  %-22s %s\n  %-22s %s\n", diag_experiments[i].name,
               diag_experiments[i].question, "",
               x->ran ? x->answer : "skipped");
        if (x->detail[0])
            printf("  %-22s (%s)\n", "", x->detail);
    }
    if (sig_len(r))
        printf("  %-22s %zu bytes\n", "signature length", sig_len(r));
    spent(r, sent, announced);
    printf("  %-22s auth %u, sign %u (announced: auth %u, sign %u)\n",
           "VERIFYs sent", sent[0], sent[1], announced[0], announced[1]);
    if (sent[0] + sent[1])
        printf("  %-22s %s\n", "card reset after",
               r->reset_rv == READER_OK ? "done: no PIN stays verified"
                                        : "not possible here: the card is "
                                          "reset when diagnose lets go of it");
}

static void text_apdus(const diag_link *l)
{
    printf("APDUs (command header, Lc, Le, status word, response bytes, time; "
           "no data)\n");
    printf("  %-3s %-26s %-11s %-4s %-4s %-4s %-5s %s\n", "#", "step",
           "CLA INS P1P2", "Lc", "Le", "SW", "bytes", "ms");
    for (size_t i = 0; i < l->n_log; i++) {
        const diag_apdu *a = &l->log[i];
        char lc[12] = "-", le[12] = "-", sw[8] = "none";
        if (a->lc >= 0)
            snprintf(lc, sizeof lc, "%d", a->lc);
        if (a->le >= 0)
            snprintf(le, sizeof le, "%d", a->le);
        if (a->sw)
            snprintf(sw, sizeof sw, "%04X", a->sw);
        printf("  %-3zu %-26s %02X %02X %02X%02X %-4s %-4s %-4s %-5zu %.3f\n",
               i + 1, a->step ? a->step : "", a->cla, a->ins, a->p1, a->p2, lc,
               le, sw, a->len, (double)a->us / 1000.0);
    }
}

void diag_print_text(const diag_report *r)
{
    printf("reader   %s [%s]\n", r->reader, r->emulated ? "emulator" : "pcsc");
    printf("ATR      %s\nprotocol %s\n", r->atr[0] ? r->atr : "unknown",
           r->protocol[0] ? r->protocol : "unknown");
    printf("card     %s\n", !strcmp(r->card, "jpki") ? "JPKI application found"
                            : !strcmp(r->card, "none") ? "none"
                            : !strcmp(r->card, "other")
                                ? "no JPKI application (not a My Number Card)"
                                : "did not answer");
    if (!strcmp(r->card, "jpki")) {
        text_findings(r);
        text_experiments(r);
    }
    if (r->link.n_log)
        text_apdus(&r->link);
    printf("\n");
}

/* ---- JSON --------------------------------------------------------------- */

/* "key": "value", */
static void jkv(const char *key, const char *val)
{
    tool_put_json(stdout, key);
    putchar(':');
    tool_put_json(stdout, val);
    putchar(',');
}

static void jsw(const char *key, uint16_t sw)
{
    char h[8];
    snprintf(h, sizeof h, "%04X", sw);
    if (sw)
        jkv(key, h);
    else
        printf("\"%s\":null,", key);
}

static void json_findings(const diag_report *r)
{
    printf("\"findings\":{");
    jkv("token_label", r->token_label);
    jkv("token_kind", label_kind(r->token_label));
    printf("\"token_info_size\":%ld,", r->token_info_size);
    printf("\"pin_status\":{");
    jsw("auth", r->pin_sw[DIAG_AUTH]);
    jsw("sign", r->pin_sw[DIAG_SIGN]);
    printf("\"auth_tries_left\":%d,\"sign_tries_left\":%d},",
           diag_tries_left(r->pin_sw[DIAG_AUTH]),
           diag_tries_left(r->pin_sw[DIAG_SIGN]));
    printf("\"files\":[");
    for (size_t i = 0; i < DIAG_N_FILES; i++) {
        const diag_file *f = &r->files[i];
        if (!f->name)
            continue;
        printf("%s{\"fid\":\"%04X\",", i ? "," : "", f->fid);
        jkv("name", f->name);
        jsw("select_sw", f->select_sw);
        jsw("read_sw", f->read ? f->read_sw : 0);
        printf("\"read\":%s,\"size\":%ld}", f->read ? "true" : "false",
               f->size);
    }
    printf("],\"auth_certificate\":");
    if (r->cert_ok) {
        printf("{");
        jkv("issuer", r->issuer);
        jkv("not_before", r->not_before);
        jkv("not_after", r->not_after);
        tool_put_json(stdout, "key_type");
        putchar(':');
        tool_put_json(stdout, r->key_type);
        printf("},");
    } else {
        printf("null,");
    }
    jkv("select_p2_00", fci_word(r));
    jsw("select_p2_00_sw", r->fci_sw);
    printf("\"select_p2_00_len\":%zu,", r->fci_len);
    jkv("serial_ap", r->serial_select_sw == SW_OK ? "present" : "absent");
    jsw("serial_ap_select_sw", r->serial_select_sw);
    jsw("serial_record_sw", r->serial_read_sw);
    printf("\"serial_record_tag\":%d,\"serial_value_len\":%ld,\"serial_value_"
           "alnum\":%s}",
           r->serial_tag, r->serial_value_len,
           r->serial_value_alnum ? "true" : "false");
}

static void json_experiments(const diag_report *r)
{
    unsigned sent[2], announced[2];
    spent(r, sent, announced);
    printf(",\"experiments\":[");
    for (size_t i = 0; i < diag_n_experiments; i++) {
        const diag_result *x = &r->results[i];
        printf("%s{", i ? "," : "");
        jkv("name", diag_experiments[i].name);
        jkv("question", diag_experiments[i].question);
        printf("\"ran\":%s,\"conclusive\":%s,", x->ran ? "true" : "false",
               x->conclusive ? "true" : "false");
        printf("\"verifies_sent\":{\"auth\":%u,\"sign\":%u},\"signature_"
               "length\":%zu,",
               x->auth_spent, x->sign_spent, x->sig_len);
        jkv("detail", x->detail);
        tool_put_json(stdout, "answer");
        putchar(':');
        tool_put_json(stdout, x->ran ? x->answer : "skipped");
        printf("}");
    }
    printf("],\"verifies\":{\"announced\":{\"auth\":%u,\"sign\":%u},"
           "\"sent\":{\"auth\":%u,\"sign\":%u}}",
           announced[0], announced[1], sent[0], sent[1]);
    printf(",\"card_reset\":%s",
           sent[0] + sent[1] && r->reset_rv == READER_OK ? "true" : "false");
}

static void json_apdus(const diag_link *l)
{
    printf(",\"apdus\":[");
    for (size_t i = 0; i < l->n_log; i++) {
        const diag_apdu *a = &l->log[i];
        char hdr[16];
        snprintf(hdr, sizeof hdr, "%02X %02X %02X %02X", a->cla, a->ins, a->p1,
                 a->p2);
        printf("%s{", i ? "," : "");
        jkv("step", a->step ? a->step : "");
        jkv("header", hdr);
        printf("\"lc\":%d,\"le\":%d,", a->lc, a->le);
        jsw("sw", a->sw);
        printf("\"len\":%zu,\"us\":%lu}", a->len, a->us);
    }
    printf("]");
}

void diag_print_json(const diag_report *const *reps, size_t n, int with_pin)
{
    printf("{\"tool\":\"jpki-tool diagnose\",");
    jkv("version", PACKAGE_VERSION);
    printf("\"with_pin\":%s,\"readers\":[", with_pin ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        const diag_report *r = reps[i];
        printf("%s{", i ? "," : "");
        jkv("name", r->reader);
        jkv("kind", r->emulated ? "emulator" : "pcsc");
        jkv("atr", r->atr);
        jkv("protocol", r->protocol);
        tool_put_json(stdout, "card");
        putchar(':');
        tool_put_json(stdout, r->card);
        if (!strcmp(r->card, "jpki")) {
            putchar(',');
            json_findings(r);
            if (r->with_pin)
                json_experiments(r);
        }
        json_apdus(&r->link);
        printf("}");
    }
    printf("]}\n");
}
