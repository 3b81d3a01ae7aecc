#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs every committed fuzz corpus (tests/fuzz/corpus/NAME/) through its
# target's replay program (tests/fuzz/replay-NAME, built by make check).
# Fails when a corpus has no program, a program has no corpus, or any input
# crashes (in the sanitizer build: any ASan/UBSan report).
set -u

src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
corpora=$src/tests/fuzz/corpus
fail=0
ran=0

# A report is fatal, leaks included.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}halt_on_error=1:print_stacktrace=1"

for prog in "$build"/tests/fuzz/replay-*; do
    case $prog in *.o | *.sh) continue ;; esac
    [ -x "$prog" ] || continue
    name=${prog##*/replay-}
    if [ ! -d "$corpora/$name" ]; then
        echo "FAIL: $name: no corpus $corpora/$name"
        fail=1
    fi
done

for dir in "$corpora"/*/; do
    name=$(basename "$dir")
    prog=$build/tests/fuzz/replay-$name
    if [ ! -x "$prog" ]; then
        echo "FAIL: $name: no replay program $prog"
        fail=1
        continue
    fi
    n=$(find "$dir" -type f | wc -l)
    echo "replay $name: $n inputs"
    if ! "$prog" "$dir" >/dev/null; then
        echo "FAIL: $name: an input of $dir crashed (see above)"
        fail=1
    fi
    ran=$((ran + 1))
done

if [ "$ran" -eq 0 ]; then
    echo "FAIL: no corpus found in $corpora"
    exit 1
fi
exit $fail
