#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/clients.sh again, on a card of the ECDSA generation (P-384):
# the same clients sign with the EC key, openssl verifies.
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/clients.sh"
