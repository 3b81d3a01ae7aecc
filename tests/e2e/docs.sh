#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The documentation cannot rot silently: the man pages format without a
# warning; every configuration key the module parses and every environment
# variable the code reads is documented in the man pages and in the README
# or docs/; every jpki-tool command has its place in jpki-tool(1); every
# relative link of README.md and docs/*.md resolves inside the repository;
# the version is the same in configure.ac, jpki-tool --version and
# debian/changelog.
. "$(dirname "$0")/lib.sh"
# No module is loaded here: man, groff and col run without the ASan
# runtime a sanitizer build preloads for clients (man fails under it).
unset LD_PRELOAD
need man groff

SRC=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN="$SRC/man"
README="$SRC/README.md"
# The documentation: README.md, its front page, and docs/*.md.
DOCS="$README $SRC/docs/*.md"
cat $DOCS > "$WORK/docs.md"
PAGES="jpki-pkcs11.8 jpki-pkcs11.conf.5 jpki-tool.1"

step "man pages format cleanly (man --warnings, groff -ww)"
for p in $PAGES; do
    [ -f "$MAN/$p" ] || fail "missing man page $p"
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$p" 2>"$WORK/err" >"$WORK/out" ||
        fail "man -l $p failed"
    [ -s "$WORK/err" ] && { cat "$WORK/err"; fail "man warnings in $p"; }
    grep -q 'NAME' "$WORK/out" || fail "$p renders without a NAME section"
    groff -man -ww -z "$MAN/$p" 2>"$WORK/err"
    [ -s "$WORK/err" ] && { cat "$WORK/err"; fail "groff warnings in $p"; }
done
echo "ok: $PAGES"

# Text of a man page as a reader sees it (hyphens and fonts resolved).
render() { LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$MAN/$1" 2>/dev/null | col -b; }
for p in $PAGES; do render "$p" > "$WORK/$p.txt"; done

# documented WORD FILE...: WORD appears in each FILE.
documented() {
    w=$1; shift
    for f in "$@"; do
        grep -qF -- "$w" "$f" || { echo "not documented: '$w' in $(basename "$f" .txt)" >&2; bad=1; }
    done
}
bad=0

step "configuration keys (src/pkcs11/config.c) in jpki-pkcs11(8), jpki-pkcs11.conf(5), docs"
# The keys are the first column of config.c's table of settings.
keys=$(grep -ohE '^ *(LOG_)?SETTING\("[a-z_]+"' "$SRC/src/pkcs11/config.c" | sed 's/.*"\(.*\)"/\1/' | sort -u)
[ "$(echo "$keys" | wc -w)" -ge 12 ] || fail "found only: $keys (did config.c change its table?)"
for k in $keys; do
    documented "$k" "$WORK/jpki-pkcs11.8.txt" "$WORK/jpki-pkcs11.conf.5.txt" "$WORK/docs.md" \
        "$SRC/examples/jpki-pkcs11.conf"
done
echo "keys: $(echo $keys)"

step "environment variables the code reads, in jpki-pkcs11(8) and docs"
vars=$( (grep -rhoE 'getenv\("[A-Za-z0-9_]+"\)' "$SRC/src"; grep -rhoE '"JPKI_[A-Z0-9_]+"' "$SRC/src") |
    grep -oE '[A-Za-z0-9_]+"' | tr -d '"' | grep -v '^getenv$' | sort -u)
[ "$(echo "$vars" | wc -w)" -ge 6 ] || fail "found only: $vars"
for v in $vars; do documented "$v" "$WORK/jpki-pkcs11.8.txt" "$WORK/docs.md"; done
echo "variables: $(echo $vars)"

step "every jpki-tool command in jpki-tool(1) and docs"
cmds=$(grep -oE '^ *\{ "[a-z-]+", cmd_' "$SRC/src/tools/jpki-tool.c" | grep -oE '"[a-z-]+"' | tr -d '"')
[ -n "$cmds" ] || fail "no commands found in jpki-tool.c"
for c in $cmds; do documented "jpki-tool $c" "$WORK/jpki-tool.1.txt" "$WORK/docs.md"; done
"$TOOL" --help > "$WORK/help"
for c in $cmds; do grep -q "^  $c " "$WORK/help" || fail "$c not in jpki-tool --help"; done
echo "commands: $(echo $cmds)"

step "every relative link in README.md and docs/*.md resolves"
# anchors FILE: the GitHub anchor of each heading of FILE (outside code
# blocks): lower case, ASCII punctuation but - and _ removed, spaces to -.
anchors() {
    LC_ALL=C awk '/^```/ { code = !code; next }
        !code && /^#+ / { h = $0; sub(/^#+ +/, "", h); h = tolower(h)
            gsub(/[]!"#$%&'\''()*+,.\/:;<=>?@[\\^`{|}~]/, "", h); gsub(/ /, "-", h); print h }' "$1"
}
links=0
for f in $DOCS; do
    dir=$(dirname "$f")
    # every ](target) of the file, outside code blocks
    for l in $(awk '/^```/ { code = !code; next } !code' "$f" |
        grep -oE '\]\([^) ]+\)' | sed 's/^](//; s/)$//'); do
        case "$l" in http://*|https://*|mailto:*) continue;; esac
        links=$((links + 1))
        path=${l%%#*}; anchor=
        case "$l" in *"#"*) anchor=${l#*#};; esac
        target=$f; [ -n "$path" ] && target="$dir/$path"
        [ -e "$target" ] || { echo "${f#$SRC/}: broken link $l" >&2; bad=1; continue; }
        case "$target" in *.md) ;; *) continue;; esac
        [ -z "$anchor" ] || anchors "$target" | grep -qxF -- "$anchor" ||
            { echo "${f#$SRC/}: no heading for $l" >&2; bad=1; }
    done
done
[ "$links" -ge 20 ] || fail "found only $links links (did the docs move?)"
echo "links: $links"

step "one version: configure.ac, jpki-tool --version, debian/changelog"
v=$(sed -n 's/^m4_define(\[jpki_\(major\|minor\|micro\)\], \[\([0-9]*\)\]).*/\2/p' "$SRC/configure.ac" | paste -sd.)
echo "configure.ac: $v"
echo "$v" | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' || fail "version not found in configure.ac"
"$TOOL" --version | grep -qF " $v" || fail "jpki-tool --version: $("$TOOL" --version)"
[ -f "$SRC/debian/changelog" ] || fail "no debian/changelog"
dv=$(sed -n '1s/^jpki-pkcs11 (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
case "$dv" in "$v"|"$v"-*) ;; *) fail "debian/changelog has $dv, configure.ac $v";; esac
echo "debian/changelog: $dv"

[ $bad -eq 0 ] || fail "undocumented keys, variables or commands, or broken links (see above)"
echo "docs: all steps passed"
