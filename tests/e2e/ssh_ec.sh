#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/ssh.sh again, on a card of the ECDSA generation (P-384):
# OpenSSH logins with the ecdsa-sha2-nistp384 key.
JPKI_TEST_CARD_KEY=ec-p384 exec "$(dirname "$0")/ssh.sh"
