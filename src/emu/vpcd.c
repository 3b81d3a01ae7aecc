/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpcd.c - the emulator as a client of vsmartcard's vpcd driver.
 *
 * Every message, both ways, is a 2-byte big-endian length and a payload.
 * From vpcd, a 1-byte payload is a control code (power off, power on,
 * reset: no reply; get ATR: reply with the ATR); any longer payload is a
 * command APDU, answered with the response APDU.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "emu/vpcd.h"

enum { CTRL_OFF = 0x00, CTRL_ON = 0x01, CTRL_RESET = 0x02, CTRL_ATR = 0x04 };

/* How often an idle connection looks at *wake, and how long the rest of a
 * message may take once its first byte arrived: vpcd sends a message in
 * one go, so a stall inside one means the peer is broken. */
#define IDLE_POLL_MS 250
#define MSG_TIMEOUT_MS 5000

/* The framing allows any length up to 0xFFFF; a command longer than a short
 * APDU is still read whole and left to the card to refuse (67 00). */
#define MSG_MAX 0xFFFF

typedef enum { RX_OK, RX_WOKEN, RX_CLOSED, RX_TRUNCATED, RX_ERROR } rx_rv;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int emu_vpcd_connect(const char *host, int port, int *refused, char *err,
                     size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[16];
    int fd = -1, e = 0, one = 1;

    if (refused)
        *refused = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof service, "%d", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        set_err(err, errlen, "vpcd host %s: %s", host, gai_strerror(gai));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int rc;
        do
            rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        while (rc < 0 && errno == EINTR);
        if (rc == 0)
            break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (refused)
            *refused = e == ECONNREFUSED;
        set_err(err, errlen, "cannot connect to vpcd at %s port %d: %s", host,
                port, strerror(e));
        return -1;
    }
    /* vpcd sends length and payload in two writes and leaves Nagle on;
     * without NODELAY here and QUICKACK before each recv, every APDU waits
     * for a delayed ACK (~40 ms). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void quickack(int fd)
{
    int one = 1;
    /* Linux clears QUICKACK by itself after a while: set it every time. */
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Read exactly n bytes. While nothing of a message has arrived (boundary)
 * it waits without limit, returning RX_WOKEN when *wake is set and
 * RX_CLOSED when the peer closes; past that point a close is RX_TRUNCATED
 * and an error or a stall RX_ERROR (errno says which). */
static rx_rv recv_full(int fd, uint8_t *buf, size_t n, int boundary,
                       volatile sig_atomic_t *wake)
{
    size_t got = 0;
    int waited = 0;

    while (got < n) {
        int idle = boundary && got == 0;
        if (idle && wake && *wake)
            return RX_WOKEN;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, IDLE_POLL_MS);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return RX_ERROR;
        }
        if (r == 0) {
            if (!idle && (waited += IDLE_POLL_MS) >= MSG_TIMEOUT_MS) {
                errno = ETIMEDOUT;
                return RX_ERROR;
            }
            continue;
        }
        quickack(fd);
        ssize_t k = recv(fd, buf + got, n - got, 0);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            if (idle && errno == ECONNRESET)
                return RX_CLOSED;
            return RX_ERROR;
        }
        if (k == 0)
            return idle ? RX_CLOSED : RX_TRUNCATED;
        got += (size_t)k;
    }
    return RX_OK;
}

static void rx_error(rx_rv rx, char *err, size_t errlen)
{
    if (rx == RX_TRUNCATED)
        set_err(err, errlen,
                "vpcd closed the connection in the middle of a message");
    else
        set_err(err, errlen, "vpcd: receiving a message failed: %s",
                strerror(errno));
}

static int send_full(int fd, const uint8_t *buf, size_t n)
{
    size_t sent = 0;
    while (sent < n) {
        /* NOSIGNAL: a vanished peer is an error return, not a SIGPIPE. */
        ssize_t k = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int r = poll(&p, 1, MSG_TIMEOUT_MS);
                if (r > 0 || (r < 0 && errno == EINTR))
                    continue;
                if (r == 0)
                    errno = ETIMEDOUT;
            }
            return -1;
        }
        sent += (size_t)k;
    }
    return 0;
}

/* One write per reply, so the reply leaves in one segment. */
static int send_msg(int fd, const uint8_t *payload, size_t len)
{
    uint8_t frame[2 + EMU_RSP_MAX];
    if (len > EMU_RSP_MAX)
        return -1;
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, payload, len);
    return send_full(fd, frame, len + 2);
}

/* Returns 0, 1 when the card is gone, or -1 with err set. */
static int answer_apdu(emu_card *card, int fd, const uint8_t *cmd, size_t len,
                       char *err, size_t errlen)
{
    uint8_t rsp[EMU_RSP_MAX];
    size_t rsp_len = 0;
    /* Lock for the whole command so another process using the same image
     * (an in-process module, a second server) sees its PIN counters
     * consistently. If locking fails, transmit falls back to the state in
     * memory, as it documents. */
    int locked = emu_card_lock(card) == EMU_OK;
    emu_rv rv = emu_card_transmit(card, cmd, len, rsp, &rsp_len);
    if (locked)
        emu_card_unlock(card);
    if (rv == EMU_ERR_GONE)
        return 1;
    if (rv != EMU_OK) {
        set_err(err, errlen, "vpcd: the card gave no response: %s",
                emu_strerror(rv));
        return -1;
    }
    if (send_msg(fd, rsp, rsp_len) == 0)
        return 0;
    set_err(err, errlen, "vpcd: sending a response failed: %s",
            strerror(errno));
    return -1;
}

/* Returns 0, or -1 with err set. */
static int handle_ctrl(emu_card *card, int fd, uint8_t code, char *err,
                       size_t errlen)
{
    switch (code) {
    case CTRL_OFF:
    case CTRL_ON:
    case CTRL_RESET:
        /* Every power event leaves no application selected and no PIN
         * verified, as on a real card. */
        emu_card_reset(card);
        return 0;
    case CTRL_ATR: {
        uint8_t atr[33];
        size_t n = emu_card_atr(card, atr, sizeof atr);
        if (n > sizeof atr)
            n = sizeof atr;
        if (send_msg(fd, atr, n) == 0)
            return 0;
        set_err(err, errlen, "vpcd: sending the ATR failed: %s",
                strerror(errno));
        return -1;
    }
    default:
        set_err(err, errlen, "vpcd: unknown control code 0x%02X", code);
        return -1;
    }
}

emu_vpcd_rv emu_vpcd_serve(emu_card *card, int fd, volatile sig_atomic_t *wake,
                           char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!card || fd < 0) {
        set_err(err, errlen, "vpcd: no card or no connection");
        return EMU_VPCD_ERROR;
    }
    uint8_t *msg = malloc(MSG_MAX);
    if (!msg) {
        set_err(err, errlen, "vpcd: no memory for a message buffer");
        return EMU_VPCD_ERROR;
    }
    emu_vpcd_rv result = EMU_VPCD_ERROR;
    int rc;
    for (;;) {
        uint8_t hdr[2];
        rx_rv rx = recv_full(fd, hdr, sizeof hdr, 1, wake);
        if (rx == RX_WOKEN || rx == RX_CLOSED) {
            result = rx == RX_WOKEN ? EMU_VPCD_WOKEN : EMU_VPCD_CLOSED;
            break;
        }
        if (rx != RX_OK) {
            rx_error(rx, err, errlen);
            break;
        }
        size_t len = (size_t)hdr[0] << 8 | hdr[1];
        if (len == 0) {
            set_err(err, errlen, "vpcd: empty message (protocol error)");
            break;
        }
        if ((rx = recv_full(fd, msg, len, 0, wake)) != RX_OK) {
            rx_error(rx, err, errlen);
            break;
        }
        if (len == 1) {
            if (handle_ctrl(card, fd, msg[0], err, errlen) < 0)
                break;
        } else {
            rc = answer_apdu(card, fd, msg, len, err, errlen);
            /* A VERIFY or CHANGE REFERENCE DATA carries PINs: not kept. */
            OPENSSL_cleanse(msg, len);
            if (rc != 0) {
                if (rc > 0)
                    result = EMU_VPCD_GONE;
                break;
            }
        }
    }
    OPENSSL_cleanse(msg, MSG_MAX);
    free(msg);
    return result;
}
