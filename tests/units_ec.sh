#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The promises, PIN accounting and fault-injection programs again, on a
# card of the ECDSA generation (as tests/pkcs11_ec.sh does for
# test_pkcs11): the same assertions, with the EC mechanism and lengths.
set -eu
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
export JPKI_TEST_CARD_KEY=ec-p384
for t in test_promises test_pin_accounting test_faults; do
    echo "== $t on an EC card"
    "$top_builddir/tests/$t"
done
