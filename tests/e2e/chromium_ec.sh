#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/chromium.sh again, on a card of the ECDSA generation (P-384):
# Chromium on the desktop logs in with the EC key, the server's trace proves
# an ECDSA CertificateVerify from the card's certificate.
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/chromium.sh"
