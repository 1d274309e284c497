/*
** bench_insert.c — write throughput, write latency and resident memory, through the public API.
**
** Three measurements, each on a fresh file shard (WAL, synchronous=NORMAL:
** the shard's own pragmas) in --dir, using nothing but include/sqlite_vector.h:
**
**   batch  — n vectors (default 100,000 x 384) in ONE sv_insert_batch call,
**            i.e. one transaction; reported as rows/s of that call.  Run
**            twice: without metadata ("{}") and with a small JSON document
**            per row, since agent workloads always carry one.
**   single — sv_insert in autocommit mode, one transaction per row, each
**            call timed on its own after a warm-up; p50/p99/max latency.
**            WAL checkpoints (every ~1000 pages) land inside some calls and
**            are part of the tail on purpose.
**   rss    — a process that opens a 10,000 x 384 shard and runs k=10
**            searches: VmRSS and VmHWM from /proc/self/status, split into
**            anonymous and file-backed pages.  To keep the vectors this
**            program generates out of that number, the shard is built by one
**            forked child and measured by a second child forked before the
**            parent allocates anything large; the child sends its numbers
**            back through a pipe.
**
** Each timed phase starts with sync(), so the kernel's write-back of the
** previous phase's pages does not land inside it.
**
** Vectors are Gaussian (splitmix64 + Box-Muller) with a fixed seed, so runs
** are repeatable.  `--json` prints one JSON object instead of text for
** bench/run-all.sh.  Targets from the issue: >= 100K inserts/s in a batch,
** p50 <= 50 us for a single insert, RSS < 50 MB for the 10K x 384 process;
** the program reports the numbers and whether each target is met, and always
** exits 0 when the measurements themselves succeeded.
*/
#include "sqlite_vector.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct rss_report {
  int ok;
  double vmrss_start_kb; /* before opening the shard */
  double vmrss_kb;       /* after open and all searches */
  double vmhwm_kb;       /* peak */
  double rss_anon_kb, rss_file_kb;
  double search_p50_us;
  uint32_t n, dim, searches;
} rss_report;

/* ---- small helpers ------------------------------------------------------ */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static uint64_t rng_next(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) { /* (0, 1] */
  return ((double)(rng_next(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static void fill_gaussian(float *v, size_t count, uint64_t *s) {
  for (size_t i = 0; i < count; i += 2) {
    double r = sqrt(-2.0 * log(rng_unit(s))), t = 6.283185307179586 * rng_unit(s);
    v[i] = (float)(r * cos(t));
    if (i + 1 < count) v[i + 1] = (float)(r * sin(t));
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *sorted, size_t n, double p) {
  size_t r = (size_t)ceil(p / 100.0 * (double)n);
  if (r < 1) r = 1;
  if (r > n) r = n;
  return sorted[r - 1];
}

/* Value in kB of `key` ("VmRSS:") in /proc/self/status, or -1. */
static double proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double v = -1;
  if (!f) return -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, key, kl)) {
      v = strtod(line + kl, NULL);
      break;
    }
  }
  fclose(f);
  return v;
}

static void remove_shard(const char *path) {
  char buf[4096];
  unlink(path);
  snprintf(buf, sizeof buf, "%s-wal", path);
  unlink(buf);
  snprintf(buf, sizeof buf, "%s-shm", path);
  unlink(buf);
  snprintf(buf, sizeof buf, "%s-journal", path);
  unlink(buf);
}

/* Open a new, empty shard at `path` (any old one is removed). */
static sv_shard *create_shard(const char *path, uint32_t dim) {
  sv_open_options o = {dim, SV_METRIC_COSINE, SV_OPEN_CREATE};
  sv_shard *s = NULL;
  remove_shard(path);
  int rc = sv_shard_open(path, &o, &s);
  if (rc != SV_OK) {
    fprintf(stderr, "bench_insert: open %s: %s (%s)\n", path, sv_errstr(rc),
            s ? sv_errmsg(s) : "no handle");
    sv_shard_close(s);
    return NULL;
  }
  return s;
}

/* ---- rss: child processes ----------------------------------------------- */

static int build_rss_shard(const char *path, uint32_t n, uint32_t dim) {
  sv_shard *s = create_shard(path, dim);
  float *v = malloc((size_t)n * dim * sizeof(float));
  sv_item *items = calloc(n, sizeof *items);
  uint64_t seed = 7;
  int rc = -1;
  if (!s || !v || !items) goto done;
  fill_gaussian(v, (size_t)n * dim, &seed);
  for (uint32_t i = 0; i < n; i++) items[i].vec = v + (size_t)i * dim;
  int st = sv_insert_batch(s, items, n, dim, 0, NULL);
  if (st != SV_OK) {
    fprintf(stderr, "bench_insert: rss shard: %s\n", sv_errmsg(s));
    goto done;
  }
  rc = 0;
done:
  free(items);
  free(v);
  if (sv_shard_close(s) != SV_OK) rc = -1;
  return rc;
}

static void measure_rss(const char *path, uint32_t searches, rss_report *r) {
  sv_shard *s = NULL;
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  float q[4096];
  double *lat = calloc(searches, sizeof *lat);
  uint64_t seed = 99;
  sv_stats st;
  memset(r, 0, sizeof *r);
  r->vmrss_start_kb = proc_status_kb("VmRSS:");
  if (!lat || sv_shard_open(path, &o, &s) != SV_OK || sv_shard_stats(s, &st) != SV_OK ||
      st.dim > sizeof q / sizeof q[0]) {
    fprintf(stderr, "bench_insert: rss open: %s\n", s ? sv_errmsg(s) : "no handle");
    goto done;
  }
  for (uint32_t i = 0; i < searches; i++) {
    sv_search_options so;
    sv_results res = {0, NULL};
    memset(&so, 0, sizeof so);
    so.k = 10;
    fill_gaussian(q, st.dim, &seed);
    double t0 = now_us();
    int rc = sv_search(s, q, st.dim, &so, &res);
    lat[i] = now_us() - t0;
    sv_results_free(&res);
    if (rc != SV_OK) {
      fprintf(stderr, "bench_insert: rss search: %s\n", sv_errmsg(s));
      goto done;
    }
  }
  qsort(lat, searches, sizeof *lat, cmp_double);
  r->search_p50_us = pct(lat, searches, 50);
  r->vmrss_kb = proc_status_kb("VmRSS:");
  r->vmhwm_kb = proc_status_kb("VmHWM:");
  r->rss_anon_kb = proc_status_kb("RssAnon:");
  r->rss_file_kb = proc_status_kb("RssFile:");
  r->n = (uint32_t)st.count;
  r->dim = st.dim;
  r->searches = searches;
  r->ok = 1;
done:
  free(lat);
  sv_shard_close(s);
}

/* Build the shard in one child, measure in another; both forked from this
** still-small process. */
static int run_rss(const char *dir, uint32_t n, uint32_t dim, rss_report *out) {
  char path[4096];
  int fds[2] = {-1, -1}, status = 0, rc = -1;
  snprintf(path, sizeof path, "%s/bench_rss.svdb", dir);
  memset(out, 0, sizeof *out);
  fflush(NULL);
  pid_t a = fork();
  if (a < 0) return -1;
  if (a == 0) _exit(build_rss_shard(path, n, dim) == 0 ? 0 : 1);
  if (waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status) != 0) goto done;
  sync(); /* no write-back of the new shard during the measurement */
  if (pipe(fds) != 0) goto done;
  pid_t b = fork();
  if (b < 0) goto done;
  if (b == 0) {
    rss_report r;
    close(fds[0]);
    measure_rss(path, 200, &r);
    ssize_t w = write(fds[1], &r, sizeof r);
    _exit(w == (ssize_t)sizeof r ? 0 : 1);
  }
  close(fds[1]);
  fds[1] = -1;
  ssize_t got = read(fds[0], out, sizeof *out);
  if (waitpid(b, &status, 0) != b || got != (ssize_t)sizeof *out || !out->ok) goto done;
  rc = 0;
done:
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
  remove_shard(path);
  return rc;
}

/* ---- batch and single inserts ------------------------------------------- */

/* Rows per second of one sv_insert_batch of n rows; < 0 on failure. */
static double run_batch(const char *path, const float *vecs, uint32_t n, uint32_t dim,
                        int with_meta) {
  sv_shard *s = create_shard(path, dim);
  sv_item *items = calloc(n, sizeof *items);
  char *meta = with_meta ? malloc((size_t)n * 48) : NULL;
  double rate = -1;
  if (!s || !items || (with_meta && !meta)) goto done;
  for (uint32_t i = 0; i < n; i++) {
    items[i].vec = vecs + (size_t)i * dim;
    if (meta) {
      char *m = meta + (size_t)i * 48;
      snprintf(m, 48, "{\"doc\":%u,\"tag\":\"t%u\"}", i, i % 10);
      items[i].metadata = m;
    }
  }
  sync(); /* start every timed phase with no dirty pages pending */
  double t0 = now_us();
  int rc = sv_insert_batch(s, items, n, dim, 0, NULL);
  double t1 = now_us();
  if (rc != SV_OK) {
    fprintf(stderr, "bench_insert: batch: %s\n", sv_errmsg(s));
    goto done;
  }
  rate = (double)n / ((t1 - t0) * 1e-6);
done:
  free(meta);
  free(items);
  sv_shard_close(s);
  remove_shard(path);
  return rate;
}

typedef struct single_report {
  double p50, p99, max, mean;
  uint32_t n;
} single_report;

static int run_single(const char *path, const float *vecs, uint32_t n, uint32_t dim,
                      single_report *r) {
  const uint32_t warmup = 200;
  sv_shard *s = create_shard(path, dim);
  double *lat = calloc(n, sizeof *lat);
  int rc = -1;
  if (!s || !lat) goto done;
  sync();
  for (uint32_t i = 0; i < warmup + n; i++) {
    const float *v = vecs + (size_t)(i % 1000) * dim;
    double t0 = now_us();
    int st = sv_insert(s, v, dim, NULL, NULL);
    double t1 = now_us();
    if (st != SV_OK) {
      fprintf(stderr, "bench_insert: single: %s\n", sv_errmsg(s));
      goto done;
    }
    if (i >= warmup) lat[i - warmup] = t1 - t0;
  }
  double sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += lat[i];
  qsort(lat, n, sizeof *lat, cmp_double);
  r->p50 = pct(lat, n, 50);
  r->p99 = pct(lat, n, 99);
  r->max = lat[n - 1];
  r->mean = sum / n;
  r->n = n;
  rc = 0;
done:
  free(lat);
  sv_shard_close(s);
  remove_shard(path);
  return rc;
}

/* ---- main --------------------------------------------------------------- */

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) return -1;
  *out = (uint32_t)v;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: bench_insert [--dir DIR] [--n N] [--dim D] [--single N] [--rss-n N] [--json]\n"
          "  --dir DIR    where the temporary shards go (default /tmp)\n"
          "  --n N        rows in the batch insert (default 100000)\n"
          "  --dim D      dimension (default 384)\n"
          "  --single N   timed autocommit inserts (default 5000)\n"
          "  --rss-n N    rows in the shard of the RSS measurement (default 10000)\n"
          "  --json       print one JSON object\n");
}

int main(int argc, char **argv) {
  const char *dir = "/tmp";
  uint32_t n = 100000, dim = 384, single_n = 5000, rss_n = 10000;
  int json = 0, rc = 1;
  float *vecs = NULL;
  char path[4096];
  rss_report rss;
  single_report single;
  double batch_plain = -1, batch_meta = -1;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!strcmp(a, "--dir") && v) {
      dir = v;
      i++;
    } else if (!strcmp(a, "--n") && v) {
      bad = parse_u32(v, 1, 10000000, &n), i++;
    } else if (!strcmp(a, "--dim") && v) {
      bad = parse_u32(v, 1, 4096, &dim), i++;
    } else if (!strcmp(a, "--single") && v) {
      bad = parse_u32(v, 1, 10000000, &single_n), i++;
    } else if (!strcmp(a, "--rss-n") && v) {
      bad = parse_u32(v, 1, 10000000, &rss_n), i++;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else {
      bad = 1;
    }
    if (bad) {
      usage(stderr);
      return 2;
    }
  }

  /* RSS first, while this process is still small (see the header). */
  if (run_rss(dir, rss_n, dim, &rss) != 0) {
    fprintf(stderr, "bench_insert: RSS measurement failed\n");
    goto cleanup;
  }

  uint64_t seed = 42;
  vecs = malloc((size_t)n * dim * sizeof(float));
  if (!vecs) {
    fprintf(stderr, "bench_insert: out of memory\n");
    goto cleanup;
  }
  fill_gaussian(vecs, (size_t)n * dim, &seed);

  snprintf(path, sizeof path, "%s/bench_insert.svdb", dir);
  batch_plain = run_batch(path, vecs, n, dim, 0);
  batch_meta = run_batch(path, vecs, n, dim, 1);
  if (batch_plain < 0 || batch_meta < 0) goto cleanup;
  if (run_single(path, vecs, single_n < n ? single_n : n, dim, &single) != 0) goto cleanup;

  if (json) {
    printf("{\"simd\":\"%s\",\"dim\":%u,", sv_simd_backend(), dim);
    printf("\"batch\":{\"rows\":%u,\"rows_per_s\":%.0f,\"rows_per_s_with_metadata\":%.0f},", n,
           batch_plain, batch_meta);
    printf(
        "\"single\":{\"rows\":%u,\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,"
        "\"mean_us\":%.2f},",
        single.n, single.p50, single.p99, single.max, single.mean);
    printf(
        "\"rss\":{\"rows\":%u,\"dim\":%u,\"searches\":%u,\"vmrss_start_kb\":%.0f,"
        "\"vmrss_kb\":%.0f,\"vmhwm_kb\":%.0f,\"rss_anon_kb\":%.0f,\"rss_file_kb\":%.0f,"
        "\"search_p50_us\":%.1f}}\n",
        rss.n, rss.dim, rss.searches, rss.vmrss_start_kb, rss.vmrss_kb, rss.vmhwm_kb,
        rss.rss_anon_kb, rss.rss_file_kb, rss.search_p50_us);
  } else {
    printf("bench_insert: dim %u, SIMD %s, shards in %s\n", dim, sv_simd_backend(), dir);
    printf("  batch, one transaction, %u rows : %.0f rows/s (target >= 100000: %s)\n", n,
           batch_plain, batch_plain >= 100000 ? "met" : "MISSED");
    printf("  same, with JSON metadata       : %.0f rows/s\n", batch_meta);
    printf(
        "  single autocommit insert, %u   : p50 %.1f us (target <= 50: %s)  p99 %.1f us  "
        "max %.1f us  mean %.1f us\n",
        single.n, single.p50, single.p50 <= 50 ? "met" : "MISSED", single.p99, single.max,
        single.mean);
    /* /proc reports KiB; MB here are 10^6 bytes. */
    const double mb = 1024.0 / 1e6;
    printf(
        "  process with %u x %u shard open, %u searches: VmHWM %.1f MB  VmRSS %.1f MB "
        "(anon %.1f, file %.1f; %.1f before open) (target < 50 MB: %s)  search p50 %.0f us\n",
        rss.n, rss.dim, rss.searches, rss.vmhwm_kb * mb, rss.vmrss_kb * mb, rss.rss_anon_kb * mb,
        rss.rss_file_kb * mb, rss.vmrss_start_kb * mb, rss.vmhwm_kb * mb < 50 ? "met" : "MISSED",
        rss.search_p50_us);
  }
  rc = 0;
cleanup:
  free(vecs);
  return rc;
}
