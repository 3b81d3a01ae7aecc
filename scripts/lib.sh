# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by scripts/demo and scripts/test: Debian packages and the build.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# What building and testing need, and why:
#   build-essential autoconf automake libtool pkg-config  the build
#   libssl-dev libpcsclite-dev libp11-kit-dev              the module's libraries
#   zlib1g-dev                                             jpki-tool only: inflating PDF streams (sign --pdf)
#   check                                                  unit tests
#   openssl                                                verifying signatures
#   opensc                                                 pkcs11-tool, the first real client
#   pcscd vsmartcard-vpcd                                  a virtual PC/SC reader for the emulator
#   opensc-pkcs11                                          OpenSC's JPKI driver, an independent client
#   pcsc-tools                                             pcsc_scan, to look at the virtual reader
#   gnutls-bin libnss3-tools libengine-pkcs11-openssl      the clients users have: p11tool,
#   poppler-utils openjdk-17-jdk-headless                  NSS certutil, OpenSSL's engine, pdfsig, Java
#   man-db groff-base                                      man page checks (man --warnings, groff -ww)
#   p11-kit                                                p11-kit list-modules: the registration file
#   debhelper dh-autoreconf dpkg-dev                       scripts/deb builds the .deb
#   curl                                                   HTTPS with the card's key (tls.sh)
#   p11-kit p11-kit-modules                                p11-kit list-modules/server, the proxy
#                                                          and client modules (p11kit.sh)
#   firefox-esr                                            the browser, headless (firefox.sh)
#   openssh-server openssh-client                          sshd and ssh/ssh-agent with the card (ssh.sh)
#   chromium xvfb xdotool                                  the other browser, headless and on a
#                                                          private X display, its PIN dialog typed into (chromium.sh)
#   xmlsec1 libxmlsec1-dev libxmlsec1-nss                  XML signatures: xmlsec1 --verify and the
#                                                          NSS example examples/xmldsig-sign (xmldsig.sh)
#   libpam-pkcs11 pamtester                                PAM login with the card (pam.sh)
#   ghostscript qpdf mupdf-tools                           PDFs from other producers, qpdf --check
#                                                          (pdf_sign.sh)
#   clang-format                                           scripts/check-format: one C style
#   gettext                                                msgfmt: jpki-tool's Japanese catalogue (po/ja.po),
#                                                          xgettext/msgcmp for po/check.sh
#   locales                                                the ja_JP.UTF-8 locale i18n.sh makes (localedef)
BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config libssl-dev libpcsclite-dev libp11-kit-dev \
    zlib1g-dev gettext"
DEMO_PACKAGES="$BUILD_PACKAGES openssl opensc"
TEST_PACKAGES="$DEMO_PACKAGES check pcscd vsmartcard-vpcd opensc-pkcs11 pcsc-tools \
    gnutls-bin libnss3-tools libengine-pkcs11-openssl poppler-utils openjdk-17-jdk-headless \
    man-db groff-base p11-kit python3 valgrind \
    curl p11-kit-modules firefox-esr \
    openssh-server openssh-client chromium xvfb xdotool xmlsec1 libxmlsec1-dev libxmlsec1-nss \
    libpam-pkcs11 pamtester ghostscript qpdf mupdf-tools clang-format locales"
DEB_PACKAGES="$TEST_PACKAGES debhelper dh-autoreconf dpkg-dev"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# install_packages PKG...: installs what is missing (as root, with apt-get).
install_packages() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing Debian packages:$missing" >&2
        echo "Install them (sudo apt-get install$missing) or run this as root." >&2
        exit 1
    fi
    say "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build DIR [CONFIGURE ARGS...]: an out-of-tree build under build/DIR.
build() {
    dir="$ROOT/build/$1"; shift
    if [ ! -x "$ROOT/configure" ] || [ "$ROOT/configure.ac" -nt "$ROOT/configure" ]; then
        say "autoreconf"
        (cd "$ROOT" && autoreconf -fi >/dev/null 2>&1) ||
            (cd "$ROOT" && autoreconf -fi)
    fi
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$ROOT/configure" -nt "$dir/Makefile" ]; then
        say "configure $*"
        (cd "$dir" && "$ROOT/configure" --enable-silent-rules "$@" >configure.out) ||
            { cat "$dir/configure.out"; exit 1; }
    fi
    say "make (build/$(basename "$dir"))"
    make -C "$dir" -j"$(nproc)" >/dev/null
}
