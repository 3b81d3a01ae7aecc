/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/crl - the CRL index at JPKI scale, against `openssl verify
 * -crl_check` on the same files in the same run.
 *
 * For each size (BENCH_CRL_SIZES, default 10000,100000,1000000,5000000) a
 * JPKI-shaped CRL is generated (crl_gen.c), then, each in a fresh process
 * (this program re-executed):
 *   import   jpki_crlx_open into an empty cache: parse, signature check,
 *            index build, atomic write. Wall time inside the process; peak
 *            RSS of the whole process from wait4's ru_maxrss.
 *   check    a new process opens the existing index and looks one serial
 *            up ("first check"; warm page cache, then cold: the index and
 *            CRL files dropped with posix_fadvise(POSIX_FADV_DONTNEED)),
 *            then the median lookup time over 200 batches of 1000 lookups
 *            (half listed, half not): independent lookups, as a server
 *            checking many certificates makes them, and again with each
 *            lookup's serial chosen by the previous answer (latency: no
 *            two lookups overlap in the CPU); and the process's RSS growth
 *            (RssAnon + RssFile from /proc/self/status) after the first
 *            check and after all 200 000 lookups. Five processes each, warm
 *            and cold; the medians are printed.
 *   openssl  `openssl verify -crl_check -CAfile ca -CRLfile crl leaf`
 *            (fork/exec; wall time and ru_maxrss from wait4).
 * Figures are printed, never asserted.
 */
#include "bench/crl_bench.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "jpki/crl_index.h"

#define SEED 0x4a504b49

static bench_pki g_pki;
static volatile size_t g_zero; /* 0; chains a lookup to the previous answer */
#define BATCHES 200
#define PER_BATCH 1000
#define RUNS 5

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = atol(line + n + 1);
    if (f)
        fclose(f);
    return v;
}

static STACK_OF(X509) * load_ca(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (!x || !sk || !sk_X509_push(sk, x)) {
        fprintf(stderr, "bench/crl: cannot read %s\n", path);
        exit(2);
    }
    return sk;
}

/* --import CRL CACHE CA */
static int child_import(char **argv)
{
    STACK_OF(X509) *sk = load_ca(argv[4]);
    jpki_crlx *x = NULL;
    long base = status_kb("VmRSS");
    double t0 = now_s();
    jpki_crlx_rv rv = jpki_crlx_open(argv[2], sk, argv[3], &x);
    double t = now_s() - t0;
    if (rv != JPKI_CRLX_OK) {
        fprintf(stderr, "bench/crl: import: %s\n", jpki_crlx_strerror(rv));
        return 1;
    }
    printf("%.6f %ld\n", t, base);
    jpki_crlx_close(x);
    sk_X509_pop_free(sk, X509_free);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* --check CRL CACHE CA N */
static int child_check(char **argv)
{
    STACK_OF(X509) *sk = load_ca(argv[4]);
    uint64_t n = strtoull(argv[5], NULL, 10);
    uint8_t(*q)[16] = malloc((size_t)BATCHES * PER_BATCH * 16);
    uint64_t r = 88172645463325252ULL;
    for (size_t i = 0; i < (size_t)BATCHES * PER_BATCH; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        bench_serial(i % 2 ? SEED : SEED + 1, n ? r % n : 0,
                     q[i]); /* odd: listed */
    }
    long anon0 = status_kb("RssAnon"), file0 = status_kb("RssFile");
    jpki_crlx *x = NULL;
    jpki_crlx_entry e;
    static const uint8_t probe[16] = { 0x12, 0x34 };
    double t0 = now_s();
    jpki_crlx_rv rv = jpki_crlx_open(argv[2], sk, argv[3], &x);
    if (rv == JPKI_CRLX_OK)
        rv = jpki_crlx_lookup(x, probe, sizeof probe, &e);
    double first = now_s() - t0;
    if (rv != JPKI_CRLX_OK) {
        fprintf(stderr, "bench/crl: check: %s\n", jpki_crlx_strerror(rv));
        return 1;
    }
    long grow1 = status_kb("RssAnon") - anon0 + status_kb("RssFile") - file0;
    double batch[BATCHES], chained[BATCHES];
    uint64_t hits = 0;
    for (int b = 0; b < BATCHES; b++) {
        t0 = now_s();
        for (int i = 0; i < PER_BATCH; i++) {
            jpki_crlx_lookup(x, q[b * PER_BATCH + i], 16, &e);
            hits += (uint64_t)e.revoked;
        }
        batch[b] = (now_s() - t0) / PER_BATCH;
    }
    qsort(batch, BATCHES, sizeof batch[0], cmp_double);
    /* the same probes, each one's address depending on the previous answer
     * (g_zero is 0, but the compiler and the CPU cannot know) */
    size_t k = 0;
    for (int b = 0; b < BATCHES; b++) {
        t0 = now_s();
        for (int i = 0; i < PER_BATCH; i++, k++) {
            jpki_crlx_lookup(x, q[k ^ ((size_t)e.revoked & g_zero)], 16, &e);
            hits += (uint64_t)e.revoked;
        }
        chained[b] = (now_s() - t0) / PER_BATCH;
    }
    qsort(chained, BATCHES, sizeof chained[0], cmp_double);
    if (n && hits != (uint64_t)BATCHES * PER_BATCH)
        fprintf(stderr, "bench/crl: %llu hits, expected %d\n",
                (unsigned long long)hits, BATCHES * PER_BATCH);
    printf("%.6f %ld %.1f %ld %ld %.1f\n", first, grow1,
           batch[BATCHES / 2] * 1e9, status_kb("RssAnon") - anon0,
           status_kb("RssFile") - file0, chained[BATCHES / 2] * 1e9);
    jpki_crlx_close(x);
    free(q);
    sk_X509_pop_free(sk, X509_free);
    return 0;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return v[n / 2];
}

/* Runs argv, its stdout into out (if given); wall time, CPU time (user +
 * system) and maxrss (KiB) from wait4. */
static double g_cpu;
static int run(char *const argv[], char *out, size_t outlen, double *secs,
               long *maxrss)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    ssize_t k;
    char sink[512];
    while ((k = read(pfd[0], out && got + 1 < outlen ? out + got : sink,
                     out && got + 1 < outlen ? outlen - 1 - got
                                             : sizeof sink)) > 0)
        if (out && got + 1 < outlen)
            got += (size_t)k;
    close(pfd[0]);
    if (out)
        out[got] = '\0';
    int st;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
        return -1;
    *secs = now_s() - t0;
    *maxrss = ru.ru_maxrss;
    g_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

static int index_file(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = -1;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".idx") && !strstr(de->d_name, ".tmp")) {
            snprintf(out, len, "%s/%s", dir, de->d_name);
            rc = 0;
        }
    if (d)
        closedir(d);
    return rc;
}

static int write_pem(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    int ok = f && PEM_write_X509(f, x) == 1;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

static int bench_size(const char *dir, uint64_t n)
{
    char crl[4200], cache[4200], ca[4200], leaf[4200], idx[4600], buf[512],
        num[32], self[4096];
    snprintf(crl, sizeof crl, "%s/crl-%llu.der", dir, (unsigned long long)n);
    snprintf(cache, sizeof cache, "%s/cache-%llu", dir, (unsigned long long)n);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(leaf, sizeof leaf, "%s/leaf.pem", dir);
    snprintf(num, sizeof num, "%llu", (unsigned long long)n);
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return -1;
    self[sl] = '\0';
    double gen0 = now_s();
    if (bench_crl_write(&g_pki, crl, n, SEED) != 0) {
        fprintf(stderr, "bench/crl: cannot write %s\n", crl);
        return -1;
    }
    double gen = now_s() - gen0;
    struct stat st;
    stat(crl, &st);

    double t_imp, t_w, t_c, t_ossl, wall;
    long rss_imp, rss_ossl, base, g1, ganon, gfile, g1c, ga, gf, rss;
    double first_w, first_c, look_ns, look_c, chain_c;
    char *imp[] = { self, "--import", crl, cache, ca, NULL };
    char *chk[] = { self, "--check", crl, cache, ca, num, NULL };
    char *ossl[] = { "openssl",  "verify", "-crl_check", "-CAfile", ca,
                     "-CRLfile", crl,      leaf,         NULL };
    if (run(imp, buf, sizeof buf, &wall, &rss_imp) != 0 ||
        sscanf(buf, "%lf %ld", &t_imp, &base) != 2)
        return -1;
    double cpu_imp = g_cpu;
    /* Each check figure is the median of RUNS new processes (the machine is
     * shared: one process can be descheduled mid-measurement). */
    double fw[RUNS], fc[RUNS], lk[RUNS], ch[RUNS];
    if (index_file(cache, idx, sizeof idx) != 0)
        return -1;
    for (int r = 0; r < RUNS; r++) {
        if (run(chk, buf, sizeof buf, &t_w, &rss) != 0 ||
            sscanf(buf, "%lf %ld %lf %ld %ld %lf", &fw[r], &g1, &lk[r], &ganon,
                   &gfile, &ch[r]) != 6)
            return -1;
    }
    for (int r = 0; r < RUNS; r++) {
        drop_cache(idx);
        drop_cache(crl);
        if (run(chk, buf, sizeof buf, &t_c, &rss) != 0 ||
            sscanf(buf, "%lf %ld %lf %ld %ld %lf", &fc[r], &g1c, &look_c, &ga,
                   &gf, &chain_c) != 6)
            return -1;
    }
    first_w = median(fw, RUNS);
    first_c = median(fc, RUNS);
    look_ns = median(lk, RUNS);
    int orc = run(ossl, NULL, 0, &t_ossl, &rss_ossl);
    double cpu_ossl = g_cpu;
    struct stat ist;
    stat(idx, &ist);
    printf("| %llu | %.1f MB | %.3f s (cpu %.3f) | %.1f MiB (base %.1f) | "
           "%.3f ms | %.3f ms "
           "| %.0f ns | %.0f ns | %ld KiB | %ld / %ld KiB | %.1f B | %.2f s "
           "(cpu %.2f)%s | %.0f MiB "
           "| %.1fx | %.1fx |\n",
           (unsigned long long)n, (double)st.st_size / 1e6, t_imp, cpu_imp,
           rss_imp / 1024.0, base / 1024.0, first_w * 1e3, first_c * 1e3,
           look_ns, median(ch, RUNS), g1, ganon, gfile,
           n ? (double)ist.st_size / (double)n : 0.0, t_ossl, cpu_ossl,
           orc ? " (rc!=0)" : "", rss_ossl / 1024.0, t_ossl / t_imp,
           (double)rss_ossl / (double)rss_imp);
    fflush(stdout);
    fprintf(stderr, "  (%llu entries: CRL generated in %.2f s)\n",
            (unsigned long long)n, gen);
    unlink(crl);
    unlink(idx);
    rmdir(cache);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--import"))
        return child_import(argv);
    if (argc == 6 && !strcmp(argv[1], "--check"))
        return child_check(argv);
    if (argc == 4 &&
        !strcmp(argv[1], "--gen")) { /* for profiling: CRL + ca.pem */
        char ca[4200];
        snprintf(ca, sizeof ca, "%s.ca.pem", argv[3]);
        return bench_pki_make(&g_pki) || write_pem(ca, g_pki.ca) ||
               bench_crl_write(&g_pki, argv[3], strtoull(argv[2], NULL, 10),
                               SEED);
    }
    if (argc > 1) {
        fprintf(
            stderr,
            "usage: bench/crl   (sizes: BENCH_CRL_SIZES=10000,100000,...)\n"
            "       bench/crl --gen N CRL-FILE\n");
        return 2;
    }
    const char *sizes = getenv("BENCH_CRL_SIZES");
    if (!sizes || !*sizes)
        sizes = "10000,100000,1000000,5000000";
    char dir[] = "/tmp/bench-crl-XXXXXX", path[4200];
    if (!mkdtemp(dir) || bench_pki_make(&g_pki) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    int rc = write_pem(path, g_pki.ca);
    snprintf(path, sizeof path, "%s/leaf.pem", dir);
    rc |= write_pem(path, g_pki.leaf);
    printf("bench/crl: CRL index vs openssl verify -crl_check (cold = "
           "posix_fadvise "
           "DONTNEED on index and CRL)\n\n"
           "| entries | CRL | import (wall, cpu = user+sys) | import peak RSS "
           "| 1st check warm | 1st check cold "
           "| lookup (median) | lookup latency (chained) | growth 1st check | "
           "growth 200k lookups anon / file "
           "| index/entry | openssl verify | openssl RSS | time ratio (wall) "
           "| RSS ratio |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const char *p = sizes; rc == 0 && *p;) {
        char *end;
        unsigned long long n = strtoull(p, &end, 10);
        if (end == p)
            break;
        rc = bench_size(dir, n);
        p = *end == ',' ? end + 1 : end;
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    unlink(path);
    rmdir(dir);
    bench_pki_free(&g_pki);
    if (rc != 0)
        fprintf(stderr, "bench/crl: failed\n");
    return rc ? 1 : 0;
}
