#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer target (built by tests/fuzz/build.sh) for SECONDS,
# starting from its committed corpus; new inputs go to a scratch corpus in
# $FUZZ_BUILD/work-NAME (merge the interesting ones back with
# "fuzz-NAME -merge=1 tests/fuzz/corpus/NAME build-fuzz/work-NAME").
# Crashes are written to $FUZZ_BUILD/crash-NAME/. Extra arguments go to
# libFuzzer.
#
#   tests/fuzz/run.sh NAME SECONDS [libFuzzer options...]
set -eu

[ $# -ge 2 ] || { echo "usage: $0 NAME SECONDS [options]" >&2; exit 2; }
name=$1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD:-$top/build-fuzz}
bin=$out/fuzz-$name
[ -x "$bin" ] || { echo "$bin: not built (tests/fuzz/build.sh)" >&2; exit 2; }
mkdir -p "$out/work-$name" "$out/crash-$name"
corpus=$top/tests/fuzz/corpus/$name
[ -d "$corpus" ] || corpus=

# Files the targets write (card images, configs) go to memory if possible.
[ -n "${TMPDIR:-}" ] || { [ -w /dev/shm ] && export TMPDIR=/dev/shm; }
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}halt_on_error=1:print_stacktrace=1"
# shellcheck disable=SC2086
exec nice -n 10 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/crash-$name/" \
    ${FUZZ_DICT:+-dict="$FUZZ_DICT"} "$@" "$out/work-$name" $corpus
