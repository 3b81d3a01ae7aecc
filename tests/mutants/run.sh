#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-mutants: every mutant in tests/mutants/ (one small change that
# breaks one promise of the README, listed in docs/testing.md) must be killed,
# i.e. make its tests fail.
#
#   tests/mutants/run.sh SRCDIR BUILDDIR [NAME...]
#
# A copy of the source tree is configured and built once in
# BUILDDIR/mutants/base, and the mutants' tests must pass there. Then each
# mutant gets its own build directory, a copy of that one with its one file
# changed (make rebuilds only what depends on it), and runs only its own
# tests. A mutant whose code is no longer found exactly once fails loudly:
# re-target it. Killed mutants' directories are removed; a survivor's stays.
#
# A mutant file: "file: PATH" (one source file), "tests: TEST..." (make
# check TESTS=), optionally "programs: PROGRAM..." (helpers its tests run)
# and "also: MUTANT..." (their changes are made too: a promise that two
# pieces of code keep, each a safety net for the other), then "--- find"
# and "--- replace" blocks of whole lines.
set -eu
SRC=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
shift 2
MUT="$SRC/tests/mutants"
W="$BUILD/mutants"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
say() { printf '== %s\n' "$*"; }

if [ $# -eq 0 ]; then
    set --
    for m in "$MUT"/*.mutant; do n=${m##*/}; set -- "$@" "${n%.mutant}"; done
fi
# field NAME MUTANT: a header line of MUTANT.mutant (or of MUTANT.part: a
# change that is only made together with another, "also:")
field() {
    _f="$MUT/$2.mutant"; [ -f "$_f" ] || _f="$MUT/$2.part"
    sed -n "s/^$1: *//p" "$_f"
}
all_tests="" all_programs=""
for n in "$@"; do
    [ -f "$MUT/$n.mutant" ] || { echo "no mutant $n" >&2; exit 2; }
    [ -n "$(field file "$n")" ] && [ -n "$(field tests "$n")" ] ||
        { echo "$n.mutant: no file: or tests: line" >&2; exit 2; }
    for t in $(field tests "$n"); do
        case " $all_tests " in *" $t "*) ;; *) all_tests="$all_tests $t" ;; esac
    done
    all_programs="$all_programs $(field programs "$n")"
done
# unit tests are programs too
progs() { for t in $all_tests; do case $t in *.sh) ;; *) echo "$t" ;; esac; done; echo $all_programs; }

say "base: a copy of the source in $W/base, configured and built"
[ ! -f "$SRC/config.status" ] || { echo "configure out of the source tree first" >&2; exit 2; }
rm -rf "$W"
mkdir -p "$W/base/src" "$W/base/build"
rel=${BUILD#"$SRC"/}
(cd "$SRC" && tar --exclude=./.git --exclude=./build --exclude=./build-fuzz \
    --exclude="./$rel" -cf - .) |
    tar -C "$W/base/src" -xf -
(cd "$W/base/build" && ../src/configure --enable-silent-rules ${MUTANT_CONFIGURE_ARGS:-} \
    > configure.out 2>&1) || { tail -n 30 "$W/base/build/configure.out"; exit 1; }
# (two goals of one make -j would build the same libraries at once)
build_in() { make -C "$1" -j"$JOBS" all && { [ -z "$2" ] || make -C "$1" -j"$JOBS" $2; }; }
build_in "$W/base/build" "$(progs)" > "$W/base/build.out" 2>&1 ||
    { tail -n 40 "$W/base/build.out"; exit 1; }
say "base: the mutants' tests pass on the unchanged code:$all_tests"
make -C "$W/base/build" check TESTS="$all_tests" check_PROGRAMS= \
    > "$W/base/check.out" 2>&1 ||
    { cat "$W/base/check.out"; echo "the tests fail without any mutant" >&2; exit 1; }

killed=0 survived=0 broken=0
for n in "$@"; do
    d="$W/$n" file=$(field file "$n") tests=$(field tests "$n")
    say "$n: $(field promise "$n")"
    cp -a "$W/base" "$d"
    # the copy's own absolute paths (Makefile, config.status)
    sed -i "s|$W/base/|$d/|g" "$d/build/Makefile" "$d/build/config.status"
    applied=1
    for m in $(field also "$n") "$n"; do
        f=$(field file "$m")
        mf="$MUT/$m.mutant"; [ -f "$mf" ] || mf="$MUT/$m.part"
        if awk -v mutant="$mf" -f "$MUT/apply.awk" "$d/src/$f" > "$d/mutated"; then
            mv "$d/mutated" "$d/src/$f"
        else
            applied=0
        fi
    done
    if [ $applied -eq 0 ]; then
        broken=$((broken + 1)); echo "   NO LONGER APPLIES"; continue
    fi
    if ! build_in "$d/build" "$(field programs "$n")" > "$d/build.out" 2>&1; then
        broken=$((broken + 1)); tail -n 20 "$d/build.out"; echo "   DOES NOT BUILD"; continue
    fi
    if make -C "$d/build" check TESTS="$tests" check_PROGRAMS= > "$d/check.out" 2>&1; then
        survived=$((survived + 1))
        echo "   SURVIVED: $tests passed with it (kept: $d)"
    elif grep -q '^FAIL: ' "$d/check.out"; then
        killed=$((killed + 1))
        echo "   killed by: $(grep '^FAIL: ' "$d/check.out" | sed 's/^FAIL: //' | tr '\n' ' ')"
        rm -rf "$d"
    else
        broken=$((broken + 1)); tail -n 20 "$d/check.out"; echo "   ERROR (no test failed)"
    fi
done
say "mutants: $killed killed, $survived survived, $broken could not be run"
[ $survived -eq 0 ] && [ $broken -eq 0 ]
