/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reader.c - backend-independent reader calls and the list of readers. */
#include "reader/reader.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

reader_rv reader_connect(reader *r)
{
    reader_rv rv;

    if (!r)
        return READER_ERR_ARGS;
    if (r->connected)
        return READER_OK;
    rv = r->ops->connect(r);
    if (rv == READER_OK) {
        r->connected = 1;
        r->pin_sent = 0;
    }
    return rv;
}

reader_rv reader_reset(reader *r)
{
    reader_rv rv;

    if (!r || !r->ops->reset)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    rv = r->ops->reset(r);
    if (rv == READER_OK)
        r->pin_sent = 0;
    return rv;
}

const reader_labels *reader_labels_of(const reader *r)
{
    static const reader_labels hardware = { "PC/SC", 1, NULL, NULL };

    return r->ops->labels ? r->ops->labels : &hardware;
}

void reader_note_pin(reader *r)
{
    if (r)
        r->pin_sent = 1;
}

void reader_disconnect(reader *r)
{
    if (r && r->connected) {
        r->ops->disconnect(r);
        r->connected = 0;
    }
}

reader_rv reader_begin(reader *r)
{
    if (!r)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    return r->ops->begin(r);
}

reader_rv reader_identity(reader *r, char *buf, size_t cap)
{
    if (!r || !buf || !cap || !r->ops->identity)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    return r->ops->identity(r, buf, cap);
}

void reader_end(reader *r)
{
    if (r && r->connected)
        r->ops->end(r);
}

reader_rv reader_present(reader *r, int *present)
{
    if (!r || !present)
        return READER_ERR_ARGS;
    return r->ops->present(r, present);
}

reader_rv reader_transmit_raw(reader *r, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *rsp, size_t *rsp_len)
{
    if (!r || !cmd || cmd_len < 4 || !rsp || !rsp_len)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    return r->ops->transmit(r, cmd, cmd_len, rsp, rsp_len);
}

reader_rv reader_pinpad_verify(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw)
{
    if (!r || !req || !sw)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    if (!(r->flags & READER_FLAG_PINPAD) || !r->ops->pinpad_verify)
        return READER_ERR_ARGS;
    jlog(JLOG_LEVEL_TRACE, "[%s] > PIN pad VERIFY %02X %02X %02X %02X",
         r->name, req->cla, req->ins, req->p1, req->p2);
    return r->ops->pinpad_verify(r, req, sw);
}

reader_rv reader_pinpad_modify(reader *r, const reader_pinpad_req *req,
                               uint16_t *sw)
{
    if (!r || !req || !sw)
        return READER_ERR_ARGS;
    if (!r->connected)
        return READER_ERR_NO_CARD;
    if (!(r->flags & READER_FLAG_PINPAD_MODIFY) || !r->ops->pinpad_modify)
        return READER_ERR_ARGS;
    jlog(JLOG_LEVEL_TRACE, "[%s] > PIN pad CHANGE %02X %02X %02X %02X",
         r->name, req->cla, req->ins, req->p1, req->p2);
    return r->ops->pinpad_modify(r, req, sw);
}

void reader_free(reader *r)
{
    if (!r)
        return;
    reader_disconnect(r);
    r->ops->destroy(r);
}

void reader_list_free(reader **list, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        reader_free(list[i]);
    free(list);
}

reader_rv reader_list_push(reader ***list, size_t *count, reader *r)
{
    reader **grown = realloc(*list, (*count + 1) * sizeof(**list));

    if (!grown)
        return READER_ERR_MEMORY;
    grown[(*count)++] = r;
    *list = grown;
    return READER_OK;
}

static reader_rv list_emulators(const char *images, reader ***list,
                                size_t *count)
{
#ifdef ENABLE_EMULATOR
    char *copy, *save = NULL, *path;
    reader_rv rv = READER_OK;

    if (!images || !*images)
        return READER_OK;
    copy = strdup(images);
    if (!copy)
        return READER_ERR_MEMORY;
    for (path = strtok_r(copy, ":", &save); path && rv == READER_OK;
         path = strtok_r(NULL, ":", &save)) {
        reader *r = NULL;
        rv = reader_emu_new(path, &r);
        if (rv == READER_OK &&
            (rv = reader_list_push(list, count, r)) != READER_OK)
            reader_free(r);
    }
    free(copy);
    return rv;
#else
    if (images && *images)
        JLOG_WARN("an emulator card is configured, but this module was "
                  "built without the emulator (--disable-emulator)");
    (void)list;
    (void)count;
    return READER_OK;
#endif
}

reader_rv reader_list_emulators(const char *images, reader ***list,
                                size_t *count)
{
    reader_rv rv;

    if (!list || !count)
        return READER_ERR_ARGS;
    *list = NULL;
    *count = 0;
    rv = list_emulators(images, list, count);
    if (rv != READER_OK) {
        reader_list_free(*list, *count);
        *list = NULL;
        *count = 0;
    }
    return rv;
}
