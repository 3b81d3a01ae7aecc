/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * escape.c - everything jpki-tool prints that came from a card, a reader, a
 * certificate, a CRL or a file name goes through here, so that no such
 * byte can move the cursor, clear the screen, start a new "status:" line
 * or reorder text on a terminal (tool.h).
 *
 * Printable is well-formed UTF-8 (jpki_utf8_decode) except: C0 controls,
 * DEL and C1 controls; the invisible and direction-changing characters
 * (U+061C, U+200B..U+200F, U+2028..U+202E, U+2060..U+206F, U+FEFF,
 * U+FFF9..U+FFFB, the tags U+E0000..U+E007F) and the noncharacters U+FFFE,
 * U+FFFF.
 *   - text: each byte of anything else as \xHH (a malformed byte alone);
 *   - JSON: a string with '"' and '\' escaped, a non-printable character as
 *     \uXXXX (a surrogate pair above U+FFFF), a malformed byte as \ufffd,
 *     so the document is always valid UTF-8 JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jpki/san.h"
#include "tools/tool.h"

static int printable(uint32_t c)
{
    return !jpki_utf8_is_control(c) && c != 0x061C &&
           !(c >= 0x200B && c <= 0x200F) && !(c >= 0x2028 && c <= 0x202E) &&
           !(c >= 0x2060 && c <= 0x206F) && c != 0xFEFF &&
           !(c >= 0xFFF9 && c <= 0xFFFB) && c != 0xFFFE && c != 0xFFFF &&
           !(c >= 0xE0000 && c <= 0xE007F);
}

void tool_put_text(FILE *out, const char *s)
{
    const uint8_t *p = (const uint8_t *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n > 0) {
        uint32_t c;
        size_t k = jpki_utf8_decode(p, n, &c);
        if (k > 0 && printable(c)) {
            fwrite(p, 1, k, out);
        } else {
            if (k == 0)
                k = 1;
            for (size_t i = 0; i < k; i++)
                fprintf(out, "\\x%02X", p[i]);
        }
        p += k;
        n -= k;
    }
}

static void put_u(FILE *out, uint32_t c)
{
    if (c > 0xFFFF) {
        c -= 0x10000;
        fprintf(out, "\\u%04x\\u%04x", 0xD800 + (c >> 10),
                0xDC00 + (c & 0x3FF));
    } else {
        fprintf(out, "\\u%04x", c);
    }
}

void tool_put_json(FILE *out, const char *s)
{
    const uint8_t *p = (const uint8_t *)(s ? s : "");
    size_t n = strlen((const char *)p);
    fputc('"', out);
    while (n > 0) {
        uint32_t c;
        size_t k = jpki_utf8_decode(p, n, &c);
        if (k == 0) {
            put_u(out, 0xFFFD);
            k = 1;
        } else if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", (char)c);
        } else if (printable(c)) {
            fwrite(p, 1, k, out);
        } else {
            put_u(out, c);
        }
        p += k;
        n -= k;
    }
    fputc('"', out);
}
