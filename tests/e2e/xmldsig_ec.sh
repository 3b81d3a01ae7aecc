#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/xmldsig.sh again, on a card of the ECDSA generation (P-384):
# XML signatures with ECDSA-SHA256 (libxmlsec1 NSS and Java).
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/xmldsig.sh"
