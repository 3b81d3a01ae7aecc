/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* thread_wait.c - see thread_wait.h. */
#include "thread_wait.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Thread tid of this process is asleep (state S in its /proc stat). */
static int thread_asleep(long tid)
{
    char path[64], buf[512], *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    if (!(f = fopen(path, "re")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

int tw_blocked(atomic_long *tid)
{
    const struct timespec step = { 0, 20 * 1000 * 1000 };
    int asleep = 0;

    for (int i = 0; i < 250 && asleep < 3; i++) {
        long t = atomic_load(tid);
        asleep = t > 0 && thread_asleep(t) ? asleep + 1 : 0;
        nanosleep(&step, NULL);
    }
    return asleep == 3;
}
