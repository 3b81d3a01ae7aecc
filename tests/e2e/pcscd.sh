# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced (after lib.sh) by end-to-end tests that go through PC/SC: pcscd
# with vsmartcard's vpcd driver, and the emulator serving a card image in
# one of vpcd's virtual readers.
#
# Only one pcscd can run per machine (its socket path is fixed), and others
# may be testing on it: a running pcscd is reused and left running; only a
# pcscd this test started is stopped, by its pid. Tests that use pcscd take
# the machine's pcscd lock first (pcscd_start does), so two runs serialize.

PATH="$PATH:/usr/sbin:/sbin"        # pcscd lives in sbin
PCSCD_COMM=${JPKI_TEST_PCSC_SOCKET:-/run/pcscd/pcscd.comm}
PCSCD_PID=""        # set only when this test started pcscd
EMU_PID=""
EMU_HOOKED=""
VPCD_READER=""      # "Virtual PCD 00 0N", chosen by emu_serve
VPCD_PORT=""
EMU_ALL=""          # "PID:N ..." every server still running (N: vpcd reader)
PCSCD_LOCK="${JPKI_PCSCD_LOCK:-/tmp/jpki-pcscd.lock}"
# JPKI_TEST_PCSCD_DEBUG=1: a pcscd this test starts logs every call and
# APDU to $WORK/pcscd.log (keep it with JPKI_TEST_KEEP=1).
PCSCD_DEBUG=""
[ -z "${JPKI_TEST_PCSCD_DEBUG:-}" ] || PCSCD_DEBUG="--debug"

# pcscd_lock: take the machine's pcscd lock (flock on fd 9, held until the
# test exits). A caller that runs us under "flock $PCSCD_LOCK ..." already
# holds it, on a descriptor we inherited: then there is nothing to take.
pcscd_lock() {
    for _fd in /proc/$$/fd/*; do
        if [ "$(readlink "$_fd" 2>/dev/null)" = "$PCSCD_LOCK" ]; then
            echo "pcscd lock: held by our caller (fd ${_fd##*/})"
            return 0
        fi
    done
    need flock
    exec 9>>"$PCSCD_LOCK"
    echo "pcscd lock: taking $PCSCD_LOCK"
    flock -w 1200 9 || fail "$PCSCD_LOCK was not released within 20 minutes"
}

# vpcd_only: the module through PC/SC only, and only the vpcd readers (a
# real reader on the machine running the test stays out), with no
# configuration file.
vpcd_only() {
    unset JPKI_PKCS11_EMULATOR JPKI_PKCS11_PCSC
    export JPKI_PKCS11_READERS_ALLOW="Virtual PCD"
    export JPKI_PKCS11_CONF=/dev/null
}

# need_vpcd: skip (or fail under scripts/test) without vsmartcard's driver.
need_vpcd() {
    need pcscd opensc-tool
    grep -qs libifdvpcd /etc/reader.conf.d/* || missing "vsmartcard-vpcd (pcscd's vpcd driver)"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s; false if it never succeeds.
wait_for() {
    _limit=$(($1 * 10)); shift
    _i=0
    until "$@" >/dev/null 2>&1; do
        _i=$((_i + 1))
        [ "$_i" -lt "$_limit" ] || return 1
        sleep 0.1
    done
}

# reader_card NAME: prints "Yes" or "No" (card present?), nothing if no
# such reader.
reader_card() {
    timeout 5 opensc-tool -l 2>/dev/null |
        awk -v r="$1" 'index($0, r) { print $2; exit }'
}
reader_has_card() { [ "$(reader_card "$1")" = Yes ]; }
reader_is_empty() { [ "$(reader_card "$1")" = No ]; }
reader_exists() { [ -n "$(reader_card "$1")" ]; }

pcscd_alive() { [ -n "$PCSCD_PID" ] && kill -0 "$PCSCD_PID" 2>/dev/null; }

pcscd_start() {
    [ -n "${PCSCD_LOCKED:-}" ] || { pcscd_lock; PCSCD_LOCKED=1; }
    # make check points every test at a socket where no pcscd listens (see
    # AM_TESTS_ENVIRONMENT); holding the lock, this test gets the real one.
    if [ -n "${JPKI_TEST_PCSC_SOCKET:-}" ]; then
        export PCSCLITE_CSOCK_NAME="$JPKI_TEST_PCSC_SOCKET"
    else
        unset PCSCLITE_CSOCK_NAME
    fi
    if pidof pcscd >/dev/null 2>&1; then
        # Running, perhaps still starting: give it its socket.
        wait_for 10 test -S "$PCSCD_COMM" ||
            fail "a pcscd runs (pid $(pidof pcscd)) but $PCSCD_COMM never appeared"
        echo "pcscd: reusing the running one (pid $(pidof pcscd)); it stays running"
    elif [ -S "$PCSCD_COMM" ] && timeout 5 opensc-tool -l >/dev/null 2>&1; then
        # systemd's socket activation: the first client started it.
        echo "pcscd: reusing the one systemd starts on demand; it stays running"
    else
        # Not with the ASan runtime a sanitizer build preloads for clients.
        env -u LD_PRELOAD pcscd -f -a $PCSCD_DEBUG > "$WORK/pcscd.log" 2>&1 &
        PCSCD_PID=$!
        at_exit pcscd_stop
        wait_for 10 test -S "$PCSCD_COMM" ||
            { cat "$WORK/pcscd.log"; fail "pcscd started but $PCSCD_COMM never appeared"; }
        echo "pcscd: started (pid $PCSCD_PID), log in $WORK/pcscd.log"
    fi
    wait_for 10 reader_exists "Virtual PCD 00 00" || {
        [ -n "$PCSCD_PID" ] && cat "$WORK/pcscd.log"
        timeout 5 opensc-tool -l || true
        fail "pcscd shows no 'Virtual PCD 00 00' reader (a pcscd started before vsmartcard-vpcd was installed?)"
    }
}

pcscd_stop() {
    pcscd_alive || return 0
    kill -TERM "$PCSCD_PID" 2>/dev/null
    wait "$PCSCD_PID" 2>/dev/null
    PCSCD_PID=""
}

# pcscd_restart: stop the pcscd this test started and start a new one
# (false, doing nothing, when the pcscd is not ours to stop). The cards
# served to it are gone with it (vpcd closes their connections).
pcscd_restart() {
    pcscd_alive || return 1
    pcscd_stop
    wait_for 10 sh -c "! pidof pcscd" || fail "pcscd did not stop"
    for _e in $EMU_ALL; do
        wait_for 10 sh -c "! kill -0 ${_e%%:*}" ||
            fail "emu serve ${_e%%:*} outlived pcscd"
        wait "${_e%%:*}" 2>/dev/null || true
    done
    EMU_ALL=""
    EMU_PID=""
    env -u LD_PRELOAD pcscd -f -a $PCSCD_DEBUG >> "$WORK/pcscd.log" 2>&1 &
    PCSCD_PID=$!
    wait_for 10 test -S "$PCSCD_COMM" || fail "pcscd did not come back"
    wait_for 10 reader_exists "Virtual PCD 00 00" || fail "no vpcd reader after the restart"
    echo "pcscd: restarted (pid $PCSCD_PID)"
}

# now_s: the time, SECONDS.NANOSECONDS. Under bash without starting a
# process (a process start can take 100 ms on a loaded machine, more with
# the ASan runtime preloaded).
now_s() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        echo "$EPOCHREALTIME"
    else
        env -u LD_PRELOAD date +%s.%N
    fi
}

# emu_serve CARD: put CARD into the first empty vpcd reader (others may be
# serving a card of their own) and wait until pcscd sees it. Sets
# VPCD_READER and VPCD_PORT; the server's output is in $WORK/serve.log.
# With EMU_STAMP=FILE set, FILE receives the time (date +%s.%N) at which the
# server said it was connected to vpcd, i.e. the card went in: its output is
# read line by line through a FIFO, so the time is taken as it is printed.
emu_serve() {
    VPCD_READER=""
    for n in 0 1; do
        if reader_is_empty "Virtual PCD 00 0$n"; then
            VPCD_READER="Virtual PCD 00 0$n"
            VPCD_PORT=$((35963 + n))
            break
        fi
    done
    # (n: the reader's number, used below)
    [ -n "$VPCD_READER" ] || fail "both vpcd readers already hold a card"
    : > "$WORK/serve.log"
    if [ -n "${EMU_STAMP:-}" ]; then
        rm -f "$WORK/serve.fifo"
        mkfifo "$WORK/serve.fifo"
        "$TOOL" emu serve "$1" --port "$VPCD_PORT" --stats > "$WORK/serve.fifo" 2>&1 &
        EMU_PID=$!
        while IFS= read -r _l; do
            case $_l in
            "serving "*) now_s > "$EMU_STAMP.tmp"
                         mv "$EMU_STAMP.tmp" "$EMU_STAMP" ;;
            esac
            printf '%s\n' "$_l" >> "$WORK/serve.log"
        done < "$WORK/serve.fifo" &
        wait_for 10 grep -q '^serving ' "$WORK/serve.log" ||
            { cat "$WORK/serve.log"; fail "emu serve never connected to vpcd"; }
    else
        "$TOOL" emu serve "$1" --port "$VPCD_PORT" --stats >> "$WORK/serve.log" 2>&1 &
        EMU_PID=$!
    fi
    EMU_ALL="$EMU_ALL $EMU_PID:$n"
    [ -n "$EMU_HOOKED" ] || { at_exit emu_stop_all; EMU_HOOKED=1; }
    wait_for 10 reader_has_card "$VPCD_READER" ||
        { cat "$WORK/serve.log"; fail "the card never appeared in $VPCD_READER"; }
    grep -q '^serving ' "$WORK/serve.log" || fail "emu serve did not say it was serving"
    echo "emulator: pid $EMU_PID serves $1 in $VPCD_READER"
}

# emu_stop_pid PID N: remove the card PID serves in vpcd reader N (stop
# that server); waits until pcscd notices. Its exit status.
emu_stop_pid() {
    _rest=""
    for _e in $EMU_ALL; do
        [ "${_e%%:*}" = "$1" ] || _rest="$_rest $_e"
    done
    EMU_ALL=$_rest
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    _rc=$?
    pcscd_alive || [ -z "$PCSCD_PID" ] || return "$_rc"
    wait_for 10 reader_is_empty "Virtual PCD 00 0$2" || true
    return "$_rc"
}

# emu_stop: remove the card emu_serve put in last.
emu_stop() {
    [ -n "$EMU_PID" ] || return 0
    _pid=$EMU_PID
    EMU_PID=""
    emu_stop_pid "$_pid" "${VPCD_READER##* 0}"
}

# emu_stop_all: every card this test still serves (at exit).
emu_stop_all() {
    for _e in $EMU_ALL; do
        emu_stop_pid "${_e%%:*}" "${_e##*:}" || true
    done
    EMU_PID=""
}

# emu_stat NAME: the card emu_serve put in last, its counter NAME so far
# (apdus, verifies, signatures...: asks the server with SIGUSR1).
emu_stat() {
    _n=$(grep -c '^stats:' "$WORK/serve.log" || true)
    kill -USR1 "$EMU_PID"
    wait_for 5 sh -c "[ \$(grep -c '^stats:' '$WORK/serve.log') -gt $_n ]" ||
        fail "emu serve printed no statistics"
    grep '^stats:' "$WORK/serve.log" | tail -n 1 | sed "s/.* $1=\([0-9]*\).*/\1/"
}

# emu_apdus: how many APDUs the served card has answered so far.
emu_apdus() { emu_stat apdus; }

# use_opensc: OpenSC's PKCS#11 module in $OPENSC (the test is skipped
# without it), with its JPKI driver alone (else it probes ~30 other
# applications), configured in $WORK/opensc.conf; OpenSC's file cache is
# off (its default). The reference the flows are compared with.
use_opensc() {
    OPENSC=""
    for m in /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so \
             "/usr/lib/$(gcc -print-multiarch 2>/dev/null)/opensc-pkcs11.so" \
             /usr/lib64/opensc-pkcs11.so /usr/lib/opensc-pkcs11.so \
             /usr/lib/pkcs11/opensc-pkcs11.so; do
        [ -f "$m" ] && { OPENSC=$m; break; }
    done
    [ -n "$OPENSC" ] ||
        OPENSC=$(dpkg -L opensc-pkcs11 2>/dev/null | grep '/opensc-pkcs11\.so$' | head -n 1)
    [ -n "$OPENSC" ] || missing "opensc-pkcs11 (OpenSC's PKCS#11 module)"
    printf 'app default {\n    card_drivers = jpki;\n}\n' > "$WORK/opensc.conf"
    export OPENSC_CONF="$WORK/opensc.conf"
}
