#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The PKCS#11 conformance program (tests/test_pkcs11) again, on a card of
# the ECDSA generation: every test card is then an ECDSA P-384 one, and the
# tests' T_* mechanisms, lengths and key checks are the EC ones.
set -eu
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
JPKI_TEST_CARD_KEY=ec-p384 exec "$top_builddir/tests/test_pkcs11"
