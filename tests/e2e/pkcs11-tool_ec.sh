#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/pkcs11-tool.sh again, on a card of the ECDSA generation (P-384):
# the same listing, signatures (verified by openssl), --test, PIN changes,
# PIN counting and locking, PIN pad and broken images.
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/pkcs11-tool.sh"
