#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds every fuzz target with clang and libFuzzer (ASan + UBSan), out of
# tree, into $FUZZ_BUILD (default: build-fuzz/ at the top of the source
# tree). The project's libraries are configured and built there with the
# same instrumentation (-fsanitize=fuzzer-no-link for coverage).
#
#   tests/fuzz/build.sh            build all targets: build-fuzz/fuzz-NAME
#   tests/fuzz/build.sh seeds      also rebuild the generated seeds
#                                  (tests/fuzz/seeds/NAME/, see README.md)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD:-$top/build-fuzz}
CC=${CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san"
jobs=${JOBS:-2}

mkdir -p "$out"
cd "$out"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
    [ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
    "$top/configure" -q CC="$CC" CFLAGS="$cflags -fsanitize=fuzzer-no-link" \
        LDFLAGS="$san" --disable-shared
fi
make -s -j"$jobs" libcommon.la libreader.la libemu.la libjpki.la libp11.la \
    ${1:+jpki-tool}

libs=$(pkg-config --libs libcrypto libpcsclite zlib)
inc="-include $out/config.h -I$top/src -I$top/tests/fuzz -D_GNU_SOURCE $(pkg-config --cflags libpcsclite p11-kit-1)"
f=$top/tests/fuzz

# NAME: the target's sources beside fuzz_NAME.c and fuzzutil.c; its libraries.
target() {
    name=$1
    shift
    extra=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do extra="$extra $f/$1"; shift; done
    shift
    la=
    for l in "$@"; do la="$la .libs/$l.a"; done
    echo "  FUZZ     fuzz-$name"
    # shellcheck disable=SC2086
    $CC -std=c11 $cflags -fsanitize=fuzzer $inc -o "fuzz-$name" \
        "$f/fuzz_$name.c" "$f/fuzzutil.c" $extra $la $libs -lpthread
}

target apdu fuzzreader.c -- libjpki libemu
target cert -- libjpki
target image -- libemu
target config -- libp11
target p11 -- libp11 libemu
target crl -- libjpki
target san -- libjpki libemu
target pdf ../../src/tools/tool_pdf.c ../../src/tools/tool_pdf_lex.c \
    ../../src/tools/tool_pdf_stream.c ../../src/tools/tool_pdf_write.c --
target pcsc -- libreader
target cache -- libjpki
target anchors -- libjpki libemu
target revcov -- libjpki libemu
target cardid fuzzreader.c -- libjpki libemu
target vpcd -- libemu

if [ "${1:-}" = seeds ]; then
    echo "  SEEDS    tests/fuzz/seeds"
    # shellcheck disable=SC2086
    $CC -std=c11 $cflags $inc -o seed-apdu "$f/seed_apdu.c" \
        "$f/fuzz_apdu.c" "$f/fuzzreader.c" "$f/fuzzutil.c" \
        .libs/libjpki.a .libs/libemu.a $libs -lpthread
    sh "$f/seeds.sh" "$out" "${FUZZ_ROOTS:-}"
fi
