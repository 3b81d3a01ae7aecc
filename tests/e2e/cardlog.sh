# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced (after lib.sh) by the client tests (ssh.sh, pam.sh, xmldsig.sh,
# chromium.sh, idle.sh) that ask the emulated card itself what happened:
# its PIN retry counters (jpki-tool emu info) and its APDU log
# ($JPKI_EMU_LOG: command headers and lengths only, never a PIN).

# card_tries CARD auth|sign: the PIN tries the card has left.
card_tries() {
    "$TOOL" emu info "$1" | sed -n "s/^$2 PIN *\([0-9]*\) of.*/\1/p"
}

# card_count auth-verify|sign-verify|signature: how many such commands the
# card has answered so far. A VERIFY with a 4-byte PIN (typed or from the
# PIN pad) is the authentication PIN's, with 6 to 16 bytes the signature
# PIN's; a VERIFY without data only reads the retry counter.
card_count() {
    case $1 in
    auth-verify) grep -c 'INS=20 P1=00 P2=80 Lc=4 ' "$JPKI_EMU_LOG" || true ;;
    sign-verify) grep -c 'INS=20 P1=00 P2=80 Lc=\([6-9]\|1[0-6]\) ' "$JPKI_EMU_LOG" || true ;;
    # any scheme (P1), the key selected (P2 80) or named by SFI (97, 9A);
    # a card that refuses the SFI form is asked twice for one signature
    signature) grep -c 'INS=2A P1=[0-9A-F]* P2=[0-9A-F]* ' "$JPKI_EMU_LOG" || true ;;
    *) fail "card_count: $1?" ;;
    esac
}

# card_init [EMU INIT OPTIONS...]: a new card image, $CARD, that the module
# uses (JPKI_PKCS11_EMULATOR), its APDU log empty in $JPKI_EMU_LOG.
card_init() {
    CARD="$WORK/card.img"
    "$TOOL" emu init "$@" --out "$CARD" >/dev/null
    JPKI_PKCS11_EMULATOR="$CARD" JPKI_EMU_LOG="$WORK/apdu.log"
    export JPKI_PKCS11_EMULATOR JPKI_EMU_LOG
    : > "$JPKI_EMU_LOG"
}
