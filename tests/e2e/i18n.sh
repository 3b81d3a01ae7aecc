#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jpki-tool in Japanese: po/check.sh (every message translated, none fuzzy,
# none of the sources' messages missing), then LANG=ja_JP.UTF-8 status,
# pin status and a wrong PIN in Japanese, with the dates of the card's
# certificate in JST as 2031年12月7日; English under LANG=C; the JSON the
# same in both languages. The ja_JP.UTF-8 locale is made for the test
# when the machine lacks it (localedef into the scratch directory, from the
# 'locales' package's sources: no root needed).
. "$(dirname "$0")/lib.sh"
need python3

step "po/check.sh: every message has its translation"
sh "$top_srcdir/po/check.sh" "$top_srcdir" || fail "po/check.sh"

step "the ja_JP.UTF-8 locale"
use_ja_locale
[ -f "$JPKI_TOOL_LOCALEDIR/ja/LC_MESSAGES/jpki-tool.mo" ] ||
    fail "the built catalogue is missing: $JPKI_TOOL_LOCALEDIR/ja/LC_MESSAGES/jpki-tool.mo"

"$TOOL" emu init --out "$WORK/card.img" >/dev/null
export JPKI_PKCS11_EMULATOR="$WORK/card.img" XDG_CACHE_HOME="$WORK/cache"
unset LANGUAGE LC_ALL LC_MESSAGES || true
# The end of the card's authentication certificate, as the emulator holds
# it, in JST, computed here.
"$TOOL" emu info "$WORK/card.img" |
    awk '/^auth certificate/ { f = 1; next } f && /valid until/ { sub(/^ *valid until +/, ""); print; exit }' > "$WORK/end"
JST=$(python3 - "$WORK/end" <<'PY'
import sys, datetime
s = open(sys.argv[1]).read().strip()
t = datetime.datetime.strptime(s, "%b %d %H:%M:%S %Y GMT") + datetime.timedelta(hours=9)
print(f"{t.year}年{t.month}月{t.day}日")
PY
) || fail "the card's end date: $(cat "$WORK/end")"

step "LANG=ja_JP.UTF-8 jpki-tool status"
LANG=ja_JP.UTF-8 "$TOOL" status > "$WORK/ja" || fail "status exit $?"
cat "$WORK/ja"
grep -q '^  カード   マイナンバーカード (JPKI)$' "$WORK/ja" || fail "the card line is not Japanese"
grep -q '暗証番号 *残り 3/3 回$' "$WORK/ja" || fail "the PIN line is not Japanese"
grep -q "有効期間 .* から $JST まで: 有効 (失効は未確認)、残り [0-9]* 日\$" "$WORK/ja" ||
    fail "no JST end date $JST (or no days left) in Japanese"
grep -q '署名用電子証明書は失効します' "$WORK/ja" || fail "no revocation note in Japanese"
grep -q 'マイナポータルと e-Tax' "$WORK/ja" || fail "no portal note in Japanese"
# Nothing of the English status is left (the reader's and the tokens'
# names are the card's and the module's: not translated).
grep -E 'tries left|valid |certificate  |revocation not checked|municipal' "$WORK/ja" &&
    fail "English left in the Japanese output"
grep -qw '1234\|ABC123' "$WORK/ja" && fail "a PIN in the output"

step "LC_MESSAGES alone asks for Japanese (with a UTF-8 LC_CTYPE); LANG=C stays English"
LANG=C.UTF-8 LC_MESSAGES=ja_JP.UTF-8 "$TOOL" status | grep -q 'マイナンバーカード' ||
    fail "LC_MESSAGES=ja_JP.UTF-8 not honoured"
LANG=C "$TOOL" status > "$WORK/en"
grep -q '^  card   My Number Card (JPKI)$' "$WORK/en" || fail "LANG=C is not English"
grep -q 'valid, revocation not checked' "$WORK/en" || fail "English validity"
LC_ALL=C python3 - "$WORK/en" <<'PY' || fail "LANG=C output is not plain English"
import sys, re
for line in open(sys.argv[1], encoding="utf-8"):
    # Japanese only inside the names of offices and services, in parentheses
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", re.sub(r"\([^)]*\)|マイナポータル|ID・パスワード方式", "", line)):
        raise SystemExit("Japanese in English output: " + line)
PY

step "JSON is for programs: the same in both languages"
LANG=ja_JP.UTF-8 "$TOOL" status --json > "$WORK/ja.json"
LANG=C "$TOOL" status --json > "$WORK/en.json"
python3 - "$WORK/ja.json" "$WORK/en.json" <<'PY' || fail "JSON differs by language"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    for r in d["readers"]:
        for t in r["tokens"]:
            t["certificate"].pop("changed_since_last_run", None)
assert a == b, (a, b)
PY

step "pin status and a wrong PIN, in Japanese; the card counts one try"
LANG=ja_JP.UTF-8 "$TOOL" pin status > "$WORK/pin" || fail "pin status"
grep -q '^利用者証明用暗証番号  残り 3/3 回$' "$WORK/pin" || fail "pin status is not Japanese"
printf '9999\n' > "$WORK/wrong"
LANG=ja_JP.UTF-8 "$TOOL" cert sign --pin-fd 3 3< "$WORK/wrong" > /dev/null 2> "$WORK/err" &&
    fail "a malformed signature PIN was accepted"
grep -q '署名用暗証番号は 6〜16 文字の英数字' "$WORK/err" || { cat "$WORK/err"; fail "the PIN rule is not Japanese"; }
printf 'WRONG1\n' > "$WORK/wrong"
LANG=ja_JP.UTF-8 "$TOOL" cert sign --pin-fd 3 3< "$WORK/wrong" > /dev/null 2> "$WORK/err" &&
    fail "a wrong signature PIN was accepted"
grep -q '署名用暗証番号が違います: 残り 4 回' "$WORK/err" || { cat "$WORK/err"; fail "a wrong PIN is not told in Japanese"; }
"$TOOL" emu info "$WORK/card.img" | grep -q 'sign PIN *4 of 5' || fail "the card did not count exactly one try"
grep -q 'WRONG1' "$WORK/err" && fail "the PIN was echoed"

step "cert sign in Japanese: the card's birth date as 1971年2月3日, the labels aligned"
"$TOOL" emu init --out "$WORK/holder.img" --birth 19710203 --sex 1 >/dev/null
printf 'ABC123\n' > "$WORK/pin"
JPKI_PKCS11_EMULATOR="$WORK/holder.img" LANG=ja_JP.UTF-8 "$TOOL" cert sign --pin-fd 3 3< "$WORK/pin" > "$WORK/holder" 2> "$WORK/err" ||
    { cat "$WORK/err"; fail "cert sign"; }
cat "$WORK/holder"
grep -q '^生年月日      1971年2月3日$' "$WORK/holder" || fail "the birth date is not 1971年2月3日 in its column"
grep -q '^性別          男 (1)$' "$WORK/holder" || fail "the sex is not 男 (1) in its column"
grep -q '^鍵            RSA 2048 ビット$' "$WORK/holder" || fail "the key line"
grep -q '氏名・住所・生年月日・性別' "$WORK/err" || fail "no personal-data warning in Japanese"

step "the catalogue comes from LOCALEDIR unless JPKI_TOOL_LOCALEDIR says otherwise"
JPKI_TOOL_LOCALEDIR="$WORK/none" LANG=ja_JP.UTF-8 "$TOOL" status | grep -q '^  card   My Number Card' ||
    fail "JPKI_TOOL_LOCALEDIR not honoured"
echo "PASS: i18n"
