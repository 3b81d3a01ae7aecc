#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/pam.sh again, on a card of the ECDSA generation (P-384):
# the PAM login (pam_pkcs11 checks an ECDSA signature).
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/pam.sh"
