#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# po/check.sh SRCDIR: every message jpki-tool prints for people has a
# Japanese translation that gettext will use. Fails on:
#  - a format string that does not match its message (msgfmt --check);
#  - an untranslated or fuzzy message in po/ja.po (msgattrib);
#  - a _() or N_() message in the sources without a translation: xgettext
#    reads the files of po/POTFILES afresh and msgcmp holds ja.po to them;
#  - a source file of the tool that uses _() but is missing from POTFILES.
set -eu
src=${1:-.}
po="$src/po/ja.po"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jpki-po.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bad=0

msgfmt --check --statistics -o "$tmp/ja.mo" "$po" 2> "$tmp/stat" || { cat "$tmp/stat" >&2; exit 1; }
cat "$tmp/stat"
grep -q 'untranslated\|fuzzy' "$tmp/stat" && { echo "po/check: ja.po has untranslated or fuzzy messages" >&2; bad=1; }
for what in --untranslated --only-fuzzy; do
    msgattrib $what --no-obsolete "$po" | grep -v '^#' > "$tmp/left" || true
    # the header entry alone is no message
    if [ "$(grep -c '^msgid ' "$tmp/left")" -gt 1 ]; then
        echo "po/check: $what messages in ja.po:" >&2
        cat "$tmp/left" >&2
        bad=1
    fi
done

for f in "$src"/src/tools/*.c; do
    rel=src/tools/$(basename "$f")
    if grep -q '[^A-Za-z_]N\{0,1\}_("' "$f" && ! grep -qx "$rel" "$src/po/POTFILES"; then
        echo "po/check: $rel uses _() but is not in po/POTFILES" >&2
        bad=1
    fi
done

(cd "$src" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
    --add-comments=TRANSLATORS -o "$tmp/jpki-tool.pot" -f po/POTFILES)
if ! msgcmp "$po" "$tmp/jpki-tool.pot" 2> "$tmp/cmp"; then
    echo "po/check: messages of the sources without a Japanese translation:" >&2
    cat "$tmp/cmp" >&2
    bad=1
fi
[ "$bad" -eq 0 ] && echo "po/check: every message has its translation"
exit "$bad"
