/*
** bench_sync.c — shard sync over QUIC on loopback, and codec ratios.
**
** Usage: bench_sync [--n N] [--dim D] [--trials T] [--json]
**
** Everything runs in one process: a server thread serving shard B on
** 127.0.0.1 and the client on the main thread syncing shard A, with node
** identities generated in a scratch directory.  Both sides share the two
** cores, as two processes on one machine would.  Measured:
**   1. seed: 100 new 1536-d rows pushed per sync, a new QUIC connection
**      (full TLS 1.3 handshake with mutual certificates) each time;
**      p50/p90 of the whole sv_sync_shard call over T trials; then the same
**      over one kept connection (sv_sync_peer_run);
**   2. batching: 1000 x 1536 pushed with one change per batch frame versus
**      256 per frame;
**   3. initial sync of N x D (default 100,000 x 384): rows/s and MB/s of
**      vector payload, then the time to sync a 1 % delta (updates);
**   4. codec ratios on one 256-row batch: Gaussian-mixture embeddings
**      (normalised, like bench/gen_dataset's) and metadata-heavy rows,
**      raw vs zstd vs byte-shuffled zstd.
** The machine is shared and noisy: read the numbers as indicative.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_vector_sync.h"
#include "sync/frame.h"

static unsigned long long seed = 1;
static double urand(void) {
  unsigned long long z = (seed += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void) {
  double u = urand() + 1e-12, v = urand();
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* A Gaussian-mixture embedding: one of 100 centres plus noise, normalised. */
static float *centres = NULL;
static void embed(float *v, uint32_t dim) {
  static uint32_t cdim = 0;
  if (cdim != dim) {
    free(centres);
    centres = malloc(sizeof(float) * 100 * dim);
    for (size_t i = 0; i < 100 * (size_t)dim; i++) centres[i] = (float)gauss();
    cdim = dim;
  }
  const float *c = centres + (size_t)(urand() * 100) % 100 * dim;
  double n = 0;
  for (uint32_t i = 0; i < dim; i++) {
    v[i] = c[i] + 0.8f * (float)gauss();
    n += (double)v[i] * v[i];
  }
  for (uint32_t i = 0; i < dim; i++) v[i] = (float)(v[i] / sqrt(n));
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct srv {
  sv_shard *s;
  sv_sync_options o;
  volatile int stop, port;
  pthread_t th;
} srv;

static void *serve_main(void *arg) {
  srv *v = arg;
  sv_sync_serve(v->s, "127.0.0.1:0", &v->o, &v->stop, 0, NULL, NULL, &v->port);
  return NULL;
}

static char dir[256], ida[300], idb[300], fpa[65], fpb[65];

static sv_shard *fresh(const char *name, uint32_t dim) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  sv_shard *s = NULL;
  sv_open_options o = {dim, SV_METRIC_COSINE, SV_OPEN_CREATE};
  if (sv_shard_open(path, &o, &s) != SV_OK) {
    fprintf(stderr, "open %s: %s\n", path, s ? sv_errmsg(s) : "?");
    exit(1);
  }
  return s;
}

static void start(srv *v, sv_shard *b) {
  memset(v, 0, sizeof *v);
  v->s = b;
  v->o.identity_dir = idb;
  v->o.allow = fpa;
  v->o.compress = -1;
  pthread_create(&v->th, NULL, serve_main, v);
  while (!v->port) usleep(1000);
}
static void stop(srv *v) {
  v->stop = 1;
  pthread_join(v->th, NULL);
}

static void add_rows(sv_shard *s, int n, uint32_t dim, int64_t first_id, const char *meta) {
  sv_item *it = malloc(sizeof *it * (size_t)n);
  float *vs = malloc(sizeof(float) * (size_t)n * dim);
  for (int i = 0; i < n; i++) {
    embed(vs + (size_t)i * dim, dim);
    it[i].id = first_id + i;
    it[i].has_id = 1;
    it[i].vec = vs + (size_t)i * dim;
    it[i].metadata = meta;
  }
  if (sv_insert_batch(s, it, (size_t)n, dim, SV_BATCH_UPSERT, NULL) != SV_OK) {
    fprintf(stderr, "insert: %s\n", sv_errmsg(s));
    exit(1);
  }
  free(it);
  free(vs);
}

static int sync_push(sv_shard *a, int port, uint32_t batch, sv_sync_result *r) {
  char hp[64];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", port);
  sv_sync_options o = {ida, fpb, NULL, -1, batch, 120000, 0};
  int rc = sv_sync_shard(a, hp, SV_SYNC_PUSH, &o, r);
  if (rc != SV_OK) fprintf(stderr, "sync: %s\n", sv_errmsg(a));
  return rc;
}

static void codec_ratio(const char *what, uint32_t dim, int metaheavy) {
  svf_batch_builder b;
  svf_batch_init(&b, dim);
  float *v = malloc(sizeof(float) * dim);
  char meta[1024];
  for (int i = 0; i < 256; i++) {
    embed(v, dim);
    if (metaheavy)
      snprintf(meta, sizeof meta,
               "{\"source\":\"notes/meeting-%d.md\",\"author\":\"agent-%d\",\"kind\":\"memory\","
               "\"text\":\"The deployment of service %d was rolled back after the error rate "
               "rose above the threshold; the follow-up is to add a canary stage and to page the "
               "owner when latency exceeds the budget for five minutes.\",\"tags\":[\"ops\","
               "\"incident\",\"p%d\"],\"created\":%d}",
               i, i % 7, i, i % 4, 1700000000 + i * 37);
    else
      snprintf(meta, sizeof meta, "{\"doc\":%d}", i);
    sv_change c = {1000 + i,    ((int64_t)1733000000000 + i) << 16, 424242, i + 1, v, meta,
                   strlen(meta)};
    svf_batch_add(&b, &c);
  }
  size_t raw = 0, z = 0, zs = 0, dummy;
  sv_buf out = {0};
  svf_batch_emit(&b, SVF_CODEC_RAW, &out, &raw, &dummy);
  out.len = 0;
  svf_batch_emit(&b, SVF_CODEC_ZSTD, &out, &dummy, &z);
  out.len = 0;
  svf_batch_emit(&b, SVF_CODEC_ZSTD_SHUFFLE, &out, &dummy, &zs);
  printf("codec %-28s dim %4u: raw %7zu B  zstd %7zu B (%.3fx)  shuffle+zstd %7zu B (%.3fx)\n",
         what, dim, raw, z, (double)raw / z, zs, (double)raw / zs);
  sv_buf_free(&out);
  svf_batch_free(&b);
  free(v);
}

int main(int argc, char **argv) {
  int n = 100000, trials = 30;
  uint32_t dim = 384;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--dim")) dim = (uint32_t)atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--trials")) trials = atoi(argv[i + 1]);
  }
  snprintf(dir, sizeof dir, "/tmp/bench_sync_%d", (int)getpid());
  snprintf(ida, sizeof ida, "%s/ida", dir);
  snprintf(idb, sizeof idb, "%s/idb", dir);
  char cmd[600], err[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd) != 0) return 1;
  if (sv_sync_keygen(ida, fpa, err, sizeof err) || sv_sync_keygen(idb, fpb, err, sizeof err)) {
    fprintf(stderr, "keygen: %s\n", err);
    return 1;
  }
  printf("bench_sync: loopback QUIC, simd %s, indicative numbers (shared 2-core VM)\n",
         sv_simd_backend());

  /* 1. seed: 100 x 1536 per sync, new connection each time. */
  {
    sv_shard *a = fresh("s1a.db", 1536), *b = fresh("s1b.db", 1536);
    srv v;
    start(&v, b);
    sv_sync_result r;
    add_rows(a, 100, 1536, 1, "{}");
    sync_push(a, v.port, 0, &r); /* warm-up (first handshake in a process is slower) */
    double *ms = malloc(sizeof(double) * (size_t)trials);
    uint64_t bytes = 0;
    for (int t = 0; t < trials; t++) {
      add_rows(a, 100, 1536, 1000 + t * 100, "{}");
      if (sync_push(a, v.port, 0, &r) != SV_OK) return 1;
      ms[t] = r.ms;
      bytes = r.bytes_sent;
    }
    qsort(ms, (size_t)trials, sizeof *ms, cmpd);
    printf(
        "seed 100x1536 push, new connection: p50 %.2f ms  p90 %.2f ms  min %.2f ms  (%llu B "
        "on the wire, %d trials)\n",
        ms[trials / 2], ms[trials * 9 / 10], ms[0], (unsigned long long)bytes, trials);
    /* The same over one kept connection (sv_sync_peer_run). */
    char hp[64];
    snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
    sv_sync_options po = {ida, fpb, NULL, -1, 0, 120000, 0};
    sv_sync_peer *peer = NULL;
    if (sv_sync_peer_open(hp, &po, &peer, err, sizeof err) != SV_OK) return 1;
    add_rows(a, 100, 1536, 500000, "{}");
    sv_sync_peer_run(peer, a, SV_SYNC_PUSH, &r); /* connects */
    for (int t = 0; t < trials; t++) {
      add_rows(a, 100, 1536, 600000 + t * 100, "{}");
      if (sv_sync_peer_run(peer, a, SV_SYNC_PUSH, &r) != SV_OK) return 1;
      ms[t] = r.ms;
    }
    qsort(ms, (size_t)trials, sizeof *ms, cmpd);
    printf("seed 100x1536 push, reused connection: p50 %.2f ms  p90 %.2f ms  min %.2f ms\n",
           ms[trials / 2], ms[trials * 9 / 10], ms[0]);
    /* Reconnecting each time with a resumed session and a 0-RTT hello. */
    int early = 0;
    for (int t = 0; t < trials; t++) {
      sv_sync_peer_disconnect(peer);
      add_rows(a, 100, 1536, 900000 + t * 100, "{}");
      if (sv_sync_peer_run(peer, a, SV_SYNC_PUSH, &r) != SV_OK) return 1;
      ms[t] = r.ms;
      early += r.early_data;
    }
    sv_sync_peer_close(peer);
    qsort(ms, (size_t)trials, sizeof *ms, cmpd);
    printf(
        "seed 100x1536 push, resumed connection (0-RTT hello accepted %d/%d): p50 %.2f ms  "
        "p90 %.2f ms  min %.2f ms\n",
        early, trials, ms[trials / 2], ms[trials * 9 / 10], ms[0]);
    free(ms);
    /* 2. batching. */
    double t1[3], t256[3];
    for (int k = 0; k < 3; k++) {
      add_rows(a, 1000, 1536, 100000 + k * 10000, "{}");
      sync_push(a, v.port, 1, &r);
      t1[k] = r.ms;
      add_rows(a, 1000, 1536, 200000 + k * 10000, "{}");
      sync_push(a, v.port, 256, &r);
      t256[k] = r.ms;
    }
    qsort(t1, 3, sizeof(double), cmpd);
    qsort(t256, 3, sizeof(double), cmpd);
    printf("batching 1000x1536: one change per frame %.1f ms, 256 per frame %.1f ms: %.1fx\n",
           t1[1], t256[1], t1[1] / t256[1]);
    stop(&v);
    sv_shard_close(a);
    sv_shard_close(b);
  }

  /* 3. initial sync and a 1 % delta. */
  {
    sv_shard *a = fresh("s3a.db", dim), *b = fresh("s3b.db", dim);
    for (int i = 0; i < n; i += 10000)
      add_rows(a, n - i < 10000 ? n - i : 10000, dim, 1 + i, "{\"k\":1}");
    srv v;
    start(&v, b);
    sv_sync_result r;
    if (sync_push(a, v.port, 0, &r) != SV_OK) return 1;
    double mb = (double)n * dim * 4 / 1e6;
    printf(
        "initial sync %dx%u: %.0f ms, %.0f rows/s, %.1f MB/s of vectors, wire %.1f MB, "
        "ratio %.3f\n",
        n, dim, r.ms, n / (r.ms / 1e3), mb / (r.ms / 1e3), r.bytes_sent / 1e6, r.compression_ratio);
    int d = n / 100;
    for (int i = 0; i < d; i++) add_rows(a, 1, dim, 1 + (int64_t)(urand() * n), "{\"k\":2}");
    if (sync_push(a, v.port, 0, &r) != SV_OK) return 1;
    printf("1%% delta (%llu rows): %.1f ms\n", (unsigned long long)r.rows_sent, r.ms);
    char da[65], db[65];
    sv_shard_digest(a, da, NULL);
    sv_shard_digest(b, db, NULL);
    printf("digests %s\n", strcmp(da, db) == 0 ? "equal" : "DIFFER");
    stop(&v);
    sv_shard_close(a);
    sv_shard_close(b);
  }

  /* 4. codec ratios. */
  codec_ratio("embeddings, tiny metadata", 384, 0);
  codec_ratio("embeddings, tiny metadata", 1536, 0);
  codec_ratio("metadata-heavy rows", 384, 1);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) return 1;
  free(centres);
  return 0;
}
