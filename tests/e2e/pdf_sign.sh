#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool sign --pdf against the in-process emulator: PDFs made by
# different producers (Ghostscript, qpdf with cross-reference and object
# streams, cairo, MuPDF) are signed, and poppler's pdfsig, qpdf --check and
# openssl cms (on the CMS cut out along the /ByteRange) judge the result;
# the original bytes must be a prefix of the output. Failure paths are
# observed on the card (its APDU log and retry counter) and on disk (no
# output left behind).
. "$(dirname "$0")/lib.sh"
need openssl pdfsig qpdf ps2pdf pdftocairo python3 timeout
# No client here loads the module, and jpki-tool carries its own sanitizer
# runtime: the clients run as they are (pdfsig 22.12 reports a use after
# free inside NSS under ASan when a file has two signatures).
unset LD_PRELOAD

CARD="$WORK/card.img"
"$TOOL" emu init --out "$CARD" --name "ZQPDFNAME 署名花子" > /dev/null
export JPKI_PKCS11_EMULATOR="$CARD"
export XDG_CACHE_HOME="$WORK/cache"
T="timeout 60 $TOOL"
CA="$CARD.pki/sign-ca.pem"

tries() { "$TOOL" emu info "$CARD" | sed -n 's/^sign PIN *\([0-9]*\) of .*/\1/p'; }
verifies() { [ -f "$1" ] || { echo 0; return; }; grep 'INS=20' "$1" | grep -vc 'Lc=-' || true; }
apdus() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
# run RC CMD...: with a fresh APDU log ($WORK/l); the exit status must be RC
run() {
    _want=$1; shift
    rm -f "$WORK/l"
    _rc=0
    JPKI_EMU_LOG="$WORK/l" "$@" > "$WORK/out" 2> "$WORK/err" || _rc=$?
    cat "$WORK/out" "$WORK/err"
    grep -q 'AddressSanitizer\|runtime error' "$WORK/err" && fail "sanitizer report: $*"
    [ "$_rc" -eq "$_want" ] || fail "exit status $_rc, expected $_want: $*"
}
# cms PDF: cuts the CMS and the signed bytes of PDF's last signature out
# along its /ByteRange into PDF.p7s and PDF.signed
cms() {
    python3 - "$1" <<'EOF'
import re, sys
d = open(sys.argv[1], 'rb').read()
a, b, c, n = map(int, re.findall(rb'/ByteRange \[(\d+) +(\d+) +(\d+) +(\d+) *\]', d)[-1])
assert a == 0 and c + n == len(d) and d[b:b + 1] == b'<' and d[c - 1:c] == b'>'
hexs = d[b + 1:c - 1].decode()
der = bytes.fromhex(hexs)
# DER length of the outer SEQUENCE: the rest is the zero padding
assert der[0] == 0x30 and der[1] == 0x82
der = der[:4 + (der[2] << 8 | der[3])]
assert der.hex().upper() == hexs[:len(der) * 2].upper() and set(hexs[len(der) * 2:]) <= {'0'}
open(sys.argv[1] + '.p7s', 'wb').write(der)
open(sys.argv[1] + '.signed', 'wb').write(d[:b] + d[c:])
print('CMS %d bytes, /Contents reserves %d' % (len(der), (c - b - 2) // 2))
EOF
}

step "PDFs from different producers"
cat > "$WORK/doc.ps" <<'EOF'
%!PS
/Helvetica findfont 20 scalefont setfont
72 720 moveto (A contract to sign) show
showpage
72 720 moveto (Page two) show
showpage
EOF
ps2pdf "$WORK/doc.ps" "$WORK/gs.pdf"
qpdf --object-streams=generate "$WORK/gs.pdf" "$WORK/qpdf.pdf"
grep -aq '/Type */XRef' "$WORK/qpdf.pdf" || fail "qpdf made no cross-reference stream"
grep -aq '/Type */ObjStm' "$WORK/qpdf.pdf" || fail "qpdf made no object stream"
pdftocairo -pdf "$WORK/gs.pdf" "$WORK/cairo.pdf"
# A form: its AcroForm, /Fields and /Annots are objects of their own, which
# the signature must extend (qpdf writes the cross-reference table).
cat > "$WORK/hand.pdf" <<'EOF'
%PDF-1.7
1 0 obj << /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots 4 0 R >> endobj
4 0 obj [7 0 R] endobj
5 0 obj << /Fields 6 0 R /DA (/Helv 0 Tf 0 g) >> endobj
6 0 obj [7 0 R] endobj
7 0 obj << /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [10 10 90 30] /P 3 0 R >>
endobj
trailer << /Size 8 /Root 1 0 R >>
EOF
qpdf "$WORK/hand.pdf" "$WORK/form.pdf" 2>/dev/null || [ $? -eq 3 ] || fail "qpdf: the form"
producers="gs qpdf cairo form"
if command -v mutool > /dev/null 2>&1; then
    mutool clean "$WORK/gs.pdf" "$WORK/mupdf.pdf"
    producers="$producers mupdf"
fi

# Our signature certificate, as the card gives it, for pdfsig's answer.
printf 'ABC123\n' | run 0 $T cert sign --pem -o "$WORK/signer.pem" --pin-fd 0
CN=$(openssl x509 -in "$WORK/signer.pem" -noout -subject -nameopt multiline |
    sed -n 's/^ *commonName *= *//p')
[ -n "$CN" ] || fail "no common name in the signature certificate"

for p in $producers; do
    step "sign --pdf: $p"
    in="$WORK/$p.pdf" out="$WORK/$p-signed.pdf"
    pin=ABC123
    [ "$p" = qpdf ] && pin=abc123   # lower case is read as upper case
    printf '%s\n' "$pin" | run 0 $T sign --pdf "$in" -o "$out" --pin-fd 0
    [ "$(verifies "$WORK/l")" -eq 1 ] || fail "$p: not exactly one VERIFY"
    [ "$(tries)" = 5 ] || fail "$p: a try was spent"
    grep -q '氏名・住所・生年月日・性別' "$WORK/err" || fail "$p: no personal-data warning"
    [ "$(stat -c %a "$out")" = 600 ] || fail "$p: output not 0600"
    size=$(stat -c %s "$in")
    cmp -n "$size" "$in" "$out" || fail "$p: the original bytes are not kept"
    growth=$(( $(stat -c %s "$out") - size ))
    echo "$p: $size bytes, +$growth bytes signed"
    [ "$growth" -lt 16384 ] || fail "$p: grew by $growth bytes"
    pdfsig "$out" > "$WORK/pdfsig" 2>&1 || true
    cat "$WORK/pdfsig"
    grep -q 'Signature Validation: Signature is Valid' "$WORK/pdfsig" ||
        fail "$p: pdfsig does not find the signature valid"
    grep -qF "Signer Certificate Common Name: $CN" "$WORK/pdfsig" || fail "$p: not our signer"
    grep -q 'Signature Type: ETSI.CAdES.detached' "$WORK/pdfsig" || fail "$p: not PAdES"
    grep -q 'Total document signed' "$WORK/pdfsig" || fail "$p: not the whole document"
    qpdf --check "$out" > "$WORK/qpdf" 2>&1 || { cat "$WORK/qpdf"; fail "$p: qpdf --check"; }
    grep -q 'No syntax or stream encoding errors' "$WORK/qpdf" || fail "$p: qpdf complains"
    [ "$(qpdf --show-npages "$out")" = "$(qpdf --show-npages "$in")" ] || fail "$p: pages lost"
    # The last cross-reference section is of the file's own kind.
    if grep -aq '/Type */XRef' "$in"; then
        tail -c 1200 "$out" | grep -aq '/Type /XRef' || fail "$p: no cross-reference stream"
        tail -c 1200 "$out" | grep -aq '^trailer' && fail "$p: a table after a stream-only file"
    else
        tail -c 600 "$out" | grep -aq '^trailer' || fail "$p: no trailer after a table file"
    fi
    if [ "$p" = form ]; then
        # The text field stays, beside the signature field, in both arrays.
        show() { qpdf --show-object="$1" "$out"; }
        form=$(show 1 | sed -n 's|.*/AcroForm \([0-9]*\) 0 R.*|\1|p')
        fields=$(show "$form" | sed -n 's|.*/Fields \([0-9]*\) 0 R.*|\1|p')
        page=$(qpdf --show-pages "$out" | sed -n 's|^page 1: \([0-9]*\) 0 R|\1|p')
        annots=$(show "$page" | sed -n 's|.*/Annots \([0-9]*\) 0 R.*|\1|p')
        [ -n "$fields" ] && [ -n "$annots" ] || fail "form: arrays not found"
        show "$form" | grep -q '/SigFlags 3' || fail "form: no /SigFlags 3"
        for o in "$fields" "$annots"; do
            show "$o" | grep -q '^\[ [0-9]* 0 R [0-9]* 0 R \]$' ||
                fail "form: object $o is not the old field and the new one"
        done
    fi
    cms "$out"
    openssl cms -verify -inform DER -in "$out.p7s" -binary -content "$out.signed" \
        -CAfile "$CA" -purpose any -out /dev/null || fail "$p: openssl cms -verify"
    openssl cms -cmsout -print -inform DER -in "$out.p7s" > "$WORK/print"
    grep -q 'signingCertificateV2' "$WORK/print" || fail "$p: no signingCertificateV2"
    grep -q 'signingTime' "$WORK/print" && fail "$p: a signingTime inside a PAdES CMS"
    grep -q 'eContent: <ABSENT>' "$WORK/print" || fail "$p: not detached"
    openssl pkcs7 -inform DER -in "$out.p7s" -print_certs > "$WORK/certs"
    [ "$(grep -c BEGIN "$WORK/certs")" -eq 2 ] || fail "$p: signer and CA certificates not both in"
done

step "a changed byte breaks the signature (pdfsig sees it)"
python3 - "$WORK/gs-signed.pdf" "$WORK/tampered.pdf" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.index(b'A contract') if b'A contract' in d else 20
d[i] ^= 1
open(sys.argv[2], 'wb').write(d)
EOF
pdfsig "$WORK/tampered.pdf" > "$WORK/pdfsig" 2>&1 || true
grep -q 'Signature is Valid' "$WORK/pdfsig" && fail "pdfsig accepts a changed document"

step "a second signature: a new field, both valid"
printf 'ABC123\n' | run 0 $T sign --pdf "$WORK/qpdf-signed.pdf" -o "$WORK/two.pdf" --pin-fd 0
pdfsig "$WORK/two.pdf" > "$WORK/pdfsig" 2>&1 || true
cat "$WORK/pdfsig"
[ "$(grep -c 'Signature is Valid' "$WORK/pdfsig")" -eq 2 ] || fail "not two valid signatures"
[ "$(grep 'Signature Field Name' "$WORK/pdfsig" | sort -u | wc -l)" -eq 2 ] ||
    fail "the second signature reuses the first field"
qpdf --check "$WORK/two.pdf" > /dev/null || fail "qpdf --check: two signatures"
# qpdf rewrites the signed file as one revision: the next signature must
# extend the AcroForm the first one made, not replace it.
qpdf --object-streams=disable "$WORK/gs-signed.pdf" "$WORK/rewritten.pdf"
printf 'ABC123\n' | run 0 $T sign --pdf "$WORK/rewritten.pdf" -o "$WORK/re.pdf" --pin-fd 0
pdfsig "$WORK/re.pdf" > "$WORK/pdfsig" 2>&1 || true
[ "$(grep -c 'Signature Field Name' "$WORK/pdfsig")" -eq 2 ] || fail "the first field was lost"
grep -q 'Signature is Valid' "$WORK/pdfsig" || fail "the new signature is not valid"

step "files that cannot be signed: a clear error, no PIN, no card, no output"
printf 'not a pdf\n' > "$WORK/plain.txt"
head -c 1500 "$WORK/gs.pdf" > "$WORK/truncated.pdf"
qpdf --encrypt user owner 256 -- "$WORK/gs.pdf" "$WORK/encrypted.pdf"
# A certification signature that forbids changes (DocMDP).
sed 's|/AcroForm 5 0 R|/AcroForm 5 0 R /Perms << /DocMDP 6 0 R >>|' "$WORK/hand.pdf" \
    > "$WORK/hand-certified.pdf"
qpdf "$WORK/hand-certified.pdf" "$WORK/certified.pdf" 2>/dev/null || [ $? -eq 3 ] ||
    fail "qpdf: the certified PDF"
for bad in plain.txt:'not a PDF' truncated.pdf:'truncated' encrypted.pdf:'encrypted' \
    certified.pdf:'certified'; do
    f=${bad%%:*} msg=${bad#*:}
    printf 'ABC123\n' | run 1 $T sign --pdf "$WORK/$f" -o "$WORK/x.pdf" --pin-fd 0
    grep -q "$msg" "$WORK/err" || fail "$f: no clear message"
    [ "$(apdus "$WORK/l")" -eq 0 ] || fail "$f: the card was touched"
    [ ! -e "$WORK/x.pdf" ] || fail "$f: an output was left"
done
grep -q 'PIN' "$WORK/err" && fail "a PIN was asked for a file that cannot be signed"
run 1 $T sign --pdf "$WORK/missing.pdf" -o "$WORK/x.pdf" --pin-fd 0
run 2 $T sign --pdf "$WORK/gs.pdf" --pin-fd 0
grep -q 'needs -o' "$WORK/err" || fail "no hint at -o"

step "an existing output: refused before the PIN, left unchanged"
printf 'keep me\n' > "$WORK/taken.pdf"
printf 'ABC123\n' | run 1 $T sign --pdf "$WORK/gs.pdf" -o "$WORK/taken.pdf" --pin-fd 0
grep -q 'exists' "$WORK/err" || fail "no message for an existing output"
[ "$(cat "$WORK/taken.pdf")" = 'keep me' ] || fail "an existing output was overwritten"
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "the card was touched for an existing output"

step "PINs: a rule violation touches no card; a wrong PIN costs one try; locked"
printf 'ABC-12\n' | run 4 $T sign --pdf "$WORK/gs.pdf" -o "$WORK/x.pdf" --pin-fd 0
[ "$(apdus "$WORK/l")" -eq 0 ] || fail "a malformed PIN reached the card"
grep -q '6 to 16 characters, A-Z and 0-9' "$WORK/err" || fail "no hint for a malformed PIN"
printf 'WRONG1\n' | run 4 $T sign --pdf "$WORK/gs.pdf" -o "$WORK/x.pdf" --pin-fd 0
grep -q 'wrong signature PIN: 4 tries left' "$WORK/err" || fail "tries left not said"
[ "$(verifies "$WORK/l")" -eq 1 ] || fail "not exactly one VERIFY for a wrong PIN"
[ "$(tries)" = 4 ] || fail "the card did not count exactly one try"
[ ! -e "$WORK/x.pdf" ] || fail "an output after a wrong PIN"
"$TOOL" emu init --out "$WORK/locked.img" > /dev/null
for i in 1 2 3 4 5; do
    printf 'WRONG1\n' | JPKI_PKCS11_EMULATOR="$WORK/locked.img" \
        $T sign --pdf "$WORK/gs.pdf" -o "$WORK/x.pdf" --pin-fd 0 > /dev/null 2>&1 &&
        fail "a wrong PIN signed"
done
printf 'ABC123\n' | JPKI_PKCS11_EMULATOR="$WORK/locked.img" \
    run 4 $T sign --pdf "$WORK/gs.pdf" -o "$WORK/x.pdf" --pin-fd 0
grep -q 'signature PIN is locked' "$WORK/err" || fail "lock not reported"
[ "$(verifies "$WORK/l")" -eq 0 ] || fail "a VERIFY was sent to a locked PIN"
[ ! -e "$WORK/x.pdf" ] || fail "an output with a locked PIN"

step "the card pulled at each APDU: a clean failure, no output, no try lost"
"$TOOL" emu init --out "$WORK/f.img" > /dev/null
export JPKI_PKCS11_EMULATOR="$WORK/f.img"
printf 'ABC123\n' | run 0 $T sign --pdf "$WORK/qpdf.pdf" -o "$WORK/f0.pdf" --pin-fd 0
printf 'ABC123\n' | run 0 $T sign --pdf "$WORK/qpdf.pdf" -o "$WORK/f1.pdf" --pin-fd 0
total=$(apdus "$WORK/l")
sig_at=$(grep -n 'INS=2A' "$WORK/l" | head -n 1 | cut -d: -f1)
[ -n "$sig_at" ] || fail "no signature APDU in the log"
n=0
while [ "$n" -lt "$total" ]; do
    rm -f "$WORK/drop.pdf" "$WORK/l"
    rc=0
    printf 'ABC123\n' | JPKI_EMU_FAULTS="drop-after=$n" JPKI_EMU_LOG="$WORK/l" \
        $T sign --pdf "$WORK/qpdf.pdf" -o "$WORK/drop.pdf" --pin-fd 0 > "$WORK/out" 2>&1 || rc=$?
    grep -q 'AddressSanitizer\|runtime error\|Segmentation' "$WORK/out" && fail "crash at $n"
    [ "$rc" -eq 124 ] && fail "hang with the card pulled after APDU $n"
    if [ "$n" -lt "$sig_at" ]; then
        [ "$rc" -ne 0 ] || fail "signed although the card was pulled after APDU $n"
        [ ! -e "$WORK/drop.pdf" ] || fail "an output after a pull at $n"
        grep -q 'removed\|stopped answering\|communication' "$WORK/out" ||
            { cat "$WORK/out"; fail "no clear message for a pull at $n"; }
    fi
    [ "$(verifies "$WORK/l")" -le 1 ] || fail "PIN re-sent after a pull at $n"
    n=$((n + 1))
done
[ "$("$TOOL" emu info "$WORK/f.img" | sed -n 's/^sign PIN *\([0-9]*\) of .*/\1/p')" = 5 ] ||
    fail "a pulled card cost a PIN try"
echo "$total pull positions: no crash, no hang, no output without a signature"

step "privacy: no personal data or PIN in stderr, the debug log or temporary files"
export JPKI_PKCS11_EMULATOR="$CARD"
mkdir -p "$WORK/tmp" "$WORK/logs"
printf 'ABC123\n' > "$WORK/pin"
( export TMPDIR="$WORK/tmp" JPKI_PKCS11_DEBUG=5 JPKI_PKCS11_LOG_FILE="$WORK/logs/tool.log"
  $T sign --pdf "$WORK/gs.pdf" -o "$WORK/p.pdf" --pin-fd 3 3< "$WORK/pin" 2> "$WORK/logs/err" ) ||
    fail "the privacy flow failed"
[ -s "$WORK/logs/tool.log" ] || fail "no debug log: the scan would prove nothing"
for secret in ZQPDFNAME 署名花子 ABC123; do
    if grep -rqF "$secret" "$WORK/logs" "$WORK/tmp" "$WORK/cache"; then
        grep -rlF "$secret" "$WORK/logs" "$WORK/tmp" "$WORK/cache"; fail "'$secret' leaked"
    fi
done
# The name is where it belongs, in the certificate inside /Contents (hex):
# the scan looks for the right spelling.
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(0 if b'ZQPDFNAME'.hex().upper().encode() in d else 1)" \
    "$WORK/p.pdf" || fail "the scan cannot see the name in the signature"

echo "jpki-tool sign --pdf end-to-end: all steps passed"
