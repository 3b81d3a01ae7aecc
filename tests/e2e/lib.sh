# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the end-to-end tests: where the built module and tool are, a
# scratch directory, and how to run a foreign client against a module that
# may be built with sanitizers. JPKI_TEST_KEEP=1 keeps a failed test's
# scratch directory (its path is printed), e.g. with
# JPKI_TEST_PCSCD_DEBUG=1 for pcscd's own log of every call (pcscd.sh).

set -eu

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
MODULE="$top_builddir/.libs/jpki-pkcs11.so"
TOOL="$top_builddir/jpki-tool"
[ -f "$MODULE" ] || { echo "FAIL: module not built: $MODULE" >&2; exit 1; }
[ -x "$TOOL" ] || { echo "FAIL: jpki-tool not built: $TOOL" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jpki-e2e.XXXXXX")

# JPKI_TEST_EMU_INIT="OPTIONS": every card a test makes with
# "$TOOL emu init" gets these emulator options too (e.g. --reselect-keeps-pins),
# so any test can run against an emulator variant: $TOOL becomes a wrapper
# that adds them (exec: its pid is the tool's, for signals to emu serve).
if [ -n "${JPKI_TEST_EMU_INIT:-}" ]; then
    printf '#!/bin/sh\nif [ "$1" = emu ] && [ "$2" = init ]; then\n    shift 2\n    exec "%s" emu init $JPKI_TEST_EMU_INIT "$@"\nfi\nexec "%s" "$@"\n' \
        "$TOOL" "$TOOL" > "$WORK/jpki-tool"
    chmod +x "$WORK/jpki-tool"
    TOOL="$WORK/jpki-tool"
    export JPKI_TEST_EMU_INIT
fi

# at_exit CMD: run CMD (e.g. a function that stops a daemon the test
# started) when the test ends, however it ends; the last added runs first,
# and $WORK is removed after all of them. A failing hook does not stop the
# others or change the test's exit status.
EXIT_HOOKS=""
at_exit() { EXIT_HOOKS="$1${EXIT_HOOKS:+; $EXIT_HOOKS}"; }
run_exit_hooks() {
    rc=$?
    set +e
    trap - EXIT
    eval "$EXIT_HOOKS"
    if [ "$rc" -ne 0 ] && [ -n "${JPKI_TEST_KEEP:-}" ]; then
        echo "JPKI_TEST_KEEP: the failed test's files stay in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap run_exit_hooks EXIT
# A signal (the harness's timeout, ^C) runs the hooks too.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Only the test's own emulator cards, unless a test is about PC/SC (it
# unsets this): tests run in parallel, and one may be serving a card to
# pcscd meanwhile.
export JPKI_PKCS11_PCSC=off

# jpki-tool speaks the locale's language (po/ja.po); the tests read its
# English, except where a test asks for Japanese (LANG=ja_JP.UTF-8).
unset LANGUAGE LC_ALL LC_MESSAGES || true
LANG=C.UTF-8; export LANG

# A client program is not built with ASan: the runtime must come first.
# Leak checking is the unit tests' job (the client's own leaks are not ours).
if [ "${JPKI_TEST_SANITIZERS:-no}" = yes ]; then
    LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so)"
    export LD_PRELOAD
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

# need CMD...: a client this test cannot run without. When the suite is run
# by scripts/test (JPKI_E2E_REQUIRED=1) a missing client is a failure, not
# a skip.
need() {
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || missing "$c"
    done
}

# missing WHAT: something this test needs (a program, a driver, a module)
# is not installed: a skip, or a failure under scripts/test.
missing() {
    if [ "${JPKI_E2E_REQUIRED:-0}" = 1 ]; then
        echo "FAIL: $1 is not installed" >&2
        exit 1
    fi
    echo "SKIP: $1 is not installed" >&2
    exit 77
}

# skip WHY: this test cannot run here (exit 77, automake's SKIP). The
# "SKIP: WHY" line is what .ci/run looks for: a skip must say why.
skip() { echo "SKIP: $*"; exit 77; }

# use_ja_locale: LANG=ja_JP.UTF-8 works from here on: the machine's locale,
# or one made by localedef in $WORK (Debian package 'locales'; no root).
use_ja_locale() {
    locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\{0,1\}8' && return 0
    command -v localedef >/dev/null || fail "no ja_JP.UTF-8 locale and no localedef (Debian: apt-get install locales)"
    mkdir -p "$WORK/locale"
    localedef -i ja_JP -f UTF-8 "$WORK/locale/ja_JP.UTF-8" 2>/dev/null ||
        [ -d "$WORK/locale/ja_JP.UTF-8" ] || fail "localedef ja_JP.UTF-8 failed (Debian: apt-get install locales)"
    LOCPATH="$WORK/locale"; export LOCPATH
}
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# must_fail CMD... || fail WHY: true when CMD failed by itself, with an exit
# status from 1 to 123; a success, a timeout (124), a command that could not
# run (125-127) or a crash (128 and above: a signal) is not the failure
# expected: says which on stderr and returns 1.
must_fail() {
    _rc=0
    "$@" || _rc=$?
    [ "$_rc" -ne 0 ] || { echo "expected a failure, the command succeeded: $*" >&2; return 1; }
    [ "$_rc" -lt 124 ] || { echo "exit $_rc (a timeout, not run, or a crash): $*" >&2; return 1; }
}

# run_to FILE CMD...: CMD's output (stdout and stderr) into FILE; the test
# fails, showing FILE, when CMD fails. The shell is POSIX sh, which has no
# pipefail: read FILE afterwards instead of piping CMD into grep.
run_to() {
    _f=$1; shift
    _rc=0
    "$@" > "$_f" 2>&1 || _rc=$?
    [ "$_rc" -eq 0 ] || { cat "$_f"; fail "exit $_rc from: $*"; }
    ! grep -q 'AddressSanitizer\|runtime error' "$_f" ||
        { cat "$_f"; fail "sanitizer report from: $*"; }
}

# expect_ckr CODE CMD...: run CMD, which must fail (not time out or crash)
# naming CKR code CODE.
expect_ckr() {
    code=$1; shift
    _rc=0
    out=$("$@" 2>&1) || _rc=$?
    if [ "$_rc" -eq 0 ]; then
        echo "$out"; fail "expected $code, the command succeeded: $*"
    fi
    echo "$out"
    [ "$_rc" -lt 124 ] || fail "expected $code, got exit $_rc (a timeout or a crash): $*"
    echo "$out" | grep -q "$code" || fail "expected $code from: $*"
    echo "$out" | grep -q "AddressSanitizer\|runtime error" && fail "sanitizer report"
    return 0
}
