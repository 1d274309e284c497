/*
** cmd_bench.c — `sqlite-vector bench SHARD --queries Q --truth GT`.
**
** Measures what a user of exact search cares about: is it exact (recall@k
** against a brute-force ground truth) and how fast (latency percentiles
** and throughput).  Queries run one at a time on one thread, as an
** embedded caller would issue them; the first --warmup queries are run
** once untimed so page-cache and arena loading do not pollute p99.
**
** Recall@k is |returned ∩ truth[:k]| / |truth[:k]| summed over queries,
** where truth[:k] are the first k ids of the .ivecs row (negative entries,
** used by some tools as padding, are not counted).  Percentiles use the
** nearest-rank method on the per-query times, which are measured around
** sv_search() alone.  queries/s is the number of timed queries divided by
** the wall time of the timed loop.
**
** --mode takes a comma-separated list of modes and --ef a list of ef
** values: every mode is measured in turn on the same open shard, HNSW once
** per ef (an ef sweep: recall against queries/s), and each run prints its
** own line (or JSON object, with "mode" and "ef" added).  The shard's
** structures are loaded by the first warm-up query of each run.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char SYNOPSIS[] =
    "bench SHARD --queries Q.fvecs --truth GT.ivecs [--k K] [--warmup N] [--min-recall R] "
    "[--mode M[,M..]] [--ef N[,N..]] [--oversample N] [--json]";

static void help(void) {
  printf(
      "Usage: sqlite-vector %s\n\n"
      "Run every query once (after N untimed warm-up queries) and report recall@k\n"
      "against the ground truth, latency percentiles p50/p95/p99 in ms and queries/s.\n\n"
      "  --queries Q     .fvecs query vectors\n"
      "  --truth GT      .ivecs ground truth: one row of neighbour ids per query, best\n"
      "                  first, at least k columns\n"
      "  --k K           neighbours per query (default 10)\n"
      "  --warmup N      untimed warm-up queries (default 10)\n"
      "  --min-recall R  exit 1 if recall@k is below R (0..1), in any run\n"
      "  --mode M,..     modes to measure: exact, quantized, binary, hnsw, auto\n"
      "                  (default auto); e.g. --mode exact,quantized,hnsw\n"
      "  --ef N,..       HNSW ef values to sweep (default 64)\n"
      "  --oversample N  rescoring factor of the quantized modes\n"
      "  --json          print the result as one JSON object\n",
      SYNOPSIS);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, size_t n, double p) {
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

/* Count returned ids found in the (sorted, non-negative) truth row. */
static size_t count_hits(const sv_results *res, const int32_t *truth, size_t nt) {
  size_t hits = 0;
  for (size_t i = 0; i < res->n; i++) {
    int64_t id = res->hits[i].id;
    if (id < 0 || id > INT32_MAX) continue;
    int32_t key = (int32_t)id;
    if (bsearch(&key, truth, nt, sizeof *truth, cmp_i32)) hits++;
  }
  return hits;
}

typedef struct run_result {
  double recall, p50, p95, p99, mean, max, qps;
  const char *plan;
} run_result;

/* Warm up, then time every query with options `so`; fills *out. */
static int run_once(sv_shard *sh, const cli_fvecs *q, const cli_ivecs *gt, uint32_t k,
                    uint32_t warmup, const sv_search_options *so, const sv_ann_options *ann,
                    run_result *out) {
  int rc = CLI_ERR, src;
  size_t hits = 0, wanted = 0;
  double *lat = malloc((q->n ? q->n : 1) * sizeof *lat), wall, sum = 0.0;
  int32_t *row = malloc((size_t)k * sizeof *row);
  sv_results res;
  memset(&res, 0, sizeof res);
  out->plan = "exact";
  if (!lat || !row) {
    cli_err("out of memory");
    goto cleanup;
  }
  for (uint32_t w = 0; w < warmup && q->n > 0; w++) {
    src = sv_search_ex(sh, q->data + (w % q->n) * q->dim, q->dim, so, ann, &res, NULL);
    sv_results_free(&res);
    if (src != SV_OK) {
      rc = cli_fail(sh, src, "warm-up query");
      goto cleanup;
    }
  }
  wall = cli_now();
  for (size_t i = 0; i < q->n; i++) {
    double t0 = cli_now();
    size_t nt = 0;
    src = sv_search_ex(sh, q->data + i * q->dim, q->dim, so, ann, &res, &out->plan);
    lat[i] = (cli_now() - t0) * 1e3;
    if (src != SV_OK) {
      char ctx[64];
      snprintf(ctx, sizeof ctx, "query %zu", i);
      rc = cli_fail(sh, src, ctx);
      goto cleanup;
    }
    for (uint32_t j = 0; j < k; j++) {
      int32_t id = gt->data[i * gt->dim + j];
      if (id >= 0) row[nt++] = id;
    }
    qsort(row, nt, sizeof *row, cmp_i32);
    hits += count_hits(&res, row, nt);
    wanted += nt;
    sv_results_free(&res);
  }
  wall = cli_now() - wall;
  for (size_t i = 0; i < q->n; i++) sum += lat[i];
  qsort(lat, q->n, sizeof *lat, cmp_double);
  out->recall = wanted ? (double)hits / (double)wanted : 1.0;
  out->p50 = percentile(lat, q->n, 50);
  out->p95 = percentile(lat, q->n, 95);
  out->p99 = percentile(lat, q->n, 99);
  out->mean = q->n ? sum / (double)q->n : 0.0;
  out->max = q->n ? lat[q->n - 1] : 0.0;
  out->qps = wall > 0 ? (double)q->n / wall : 0.0;
  rc = CLI_OK;
cleanup:
  sv_results_free(&res);
  free(lat);
  free(row);
  return rc;
}

/* Split a comma list into at most max items (modifies s). */
static size_t split(char *s, char **items, size_t max) {
  size_t n = 0;
  for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ",")) items[n++] = t;
  return n;
}

static const char *mode_name(int mode) {
  static const char *names[] = {"auto", "exact", "quantized", "binary", "hnsw"};
  return mode >= 0 && mode <= SV_MODE_HNSW ? names[mode] : "?";
}

#define MAX_LIST 32

int cmd_bench(int argc, char **argv) {
  const char *pos[1], *qfile = NULL, *tfile = NULL, *k_s = NULL, *warm_s = NULL, *min_s = NULL;
  const char *mode_s = NULL, *ef_s = NULL, *over_s = NULL;
  int json = 0, rc, below = 0;
  size_t npos, nmodes = 1, nefs = 1;
  uint32_t k = 10, warmup = 10, over = 0, efs[MAX_LIST] = {0};
  int modes[MAX_LIST] = {SV_MODE_AUTO};
  char *list = NULL, *items[MAX_LIST];
  float min_recall = -1.0f;
  cli_fvecs q;
  cli_ivecs gt;
  sv_shard *sh = NULL;
  sv_stats st;
  sv_search_options so;
  const cli_opt opts[] = {
      {"--queries", &qfile, NULL}, {"--truth", &tfile, NULL},      {"--k", &k_s, NULL},
      {"--warmup", &warm_s, NULL}, {"--min-recall", &min_s, NULL}, {"--json", NULL, &json},
      {"--mode", &mode_s, NULL},   {"--ef", &ef_s, NULL},          {"--oversample", &over_s, NULL}};

  memset(&q, 0, sizeof q);
  memset(&gt, 0, sizeof gt);
  rc = cli_parse_args("bench", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    help();
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if (!qfile || !tfile) return cli_usage("bench", "--queries and --truth are required");
  if (k_s && cli_parse_u32("--k", k_s, 1, UINT32_MAX, &k) != 0) return CLI_USAGE;
  if (warm_s && cli_parse_u32("--warmup", warm_s, 0, UINT32_MAX, &warmup) != 0) return CLI_USAGE;
  if (over_s && cli_parse_u32("--oversample", over_s, 1, 10000, &over) != 0) return CLI_USAGE;
  if (min_s) {
    if (cli_parse_float("--min-recall", min_s, &min_recall) != 0) return CLI_USAGE;
    if (min_recall < 0.0f || min_recall > 1.0f) {
      return cli_usage("bench", "--min-recall must be between 0 and 1, got '%s'", min_s);
    }
  }
  if (mode_s) {
    if (!(list = strdup(mode_s))) return CLI_ERR;
    nmodes = split(list, items, MAX_LIST);
    if (nmodes == 0) rc = cli_usage("bench", "--mode is empty");
    for (size_t i = 0; i < nmodes && rc == CLI_OK; i++)
      rc = cli_parse_mode("bench", items[i], &modes[i]);
    free(list);
    list = NULL;
    if (rc != CLI_OK) return rc;
  }
  if (ef_s) {
    if (!(list = strdup(ef_s))) return CLI_ERR;
    nefs = split(list, items, MAX_LIST);
    if (nefs == 0) rc = cli_usage("bench", "--ef is empty");
    for (size_t i = 0; i < nefs && rc == CLI_OK; i++)
      if (cli_parse_u32("--ef", items[i], 1, 100000, &efs[i]) != 0) rc = CLI_USAGE;
    free(list);
    list = NULL;
    if (rc != CLI_OK) return rc;
  }

  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  rc = CLI_ERR;
  if (sv_shard_stats(sh, &st) != SV_OK) {
    rc = cli_fail(sh, SV_EIO, pos[0]);
    goto cleanup;
  }
  if (cli_read_fvecs(qfile, st.dim, &q) != 0 || cli_read_ivecs(tfile, &gt) != 0) goto cleanup;
  if (gt.n != q.n) {
    cli_err("%s has %zu rows but %s has %zu queries", tfile, gt.n, qfile, q.n);
    goto cleanup;
  }
  if (gt.dim < k) {
    cli_err("%s has %u neighbours per query, fewer than --k %u", tfile, gt.dim, k);
    goto cleanup;
  }
  if (q.n == 0) {
    cli_err("%s has no queries", qfile);
    goto cleanup;
  }
  cli_check_simd_env();

  int extended = mode_s || ef_s; /* the original output stays as it was */
  if (!json)
    printf("bench: %zu queries, k=%u, %llu vectors, dim %u, %s, simd %s\n", q.n, k,
           (unsigned long long)st.count, st.dim, sv_metric_name(st.metric), sv_simd_backend());
  for (size_t mi = 0; mi < nmodes; mi++) {
    int hnsw_like = modes[mi] == SV_MODE_HNSW || modes[mi] == SV_MODE_AUTO;
    for (size_t ei = 0; ei < (hnsw_like ? nefs : 1); ei++) {
      run_result r;
      memset(&r, 0, sizeof r);
      memset(&so, 0, sizeof so);
      so.k = k;
      sv_ann_options ann = {modes[mi], hnsw_like ? efs[ei] : 0, over};
      if ((rc = run_once(sh, &q, &gt, k, warmup, &so, &ann, &r)) != CLI_OK) goto cleanup;
      if (min_s && r.recall < (double)min_recall) below = 1;
      unsigned ef_shown = ann.ef ? ann.ef : SV_DEFAULT_EF_SEARCH;
      if (json) {
        printf("{\"queries\":%zu,\"k\":%u,\"count\":%llu,\"dim\":%u,\"metric\":\"%s\",\"simd\":",
               q.n, k, (unsigned long long)st.count, st.dim, sv_metric_name(st.metric));
        cli_out_str(stdout, sv_simd_backend());
        printf(
            ",\"recall\":%.6f,\"p50_ms\":%.4f,\"p95_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f,"
            "\"max_ms\":%.4f,\"qps\":%.1f,\"warmup\":%u",
            r.recall, r.p50, r.p95, r.p99, r.mean, r.max, r.qps, warmup);
        if (extended)
          printf(",\"mode\":\"%s\",\"plan\":\"%s\",\"ef\":%u", mode_name(modes[mi]), r.plan,
                 ef_shown);
        printf("}\n");
      } else {
        if (extended) {
          printf("mode %s (plan %s", mode_name(modes[mi]), r.plan);
          if (strncmp(r.plan, "hnsw", 4) == 0) printf(", ef %u", ef_shown);
          printf("):\n");
        }
        printf("recall@%u:   %.4f\n", k, r.recall);
        printf("latency ms:  p50 %.3f  p95 %.3f  p99 %.3f  mean %.3f  max %.3f\n", r.p50, r.p95,
               r.p99, r.mean, r.max);
        printf("queries/s:   %.1f\n", r.qps);
      }
      fflush(stdout);
    }
  }
  if (below) {
    cli_err("recall@%u is below --min-recall %s", k, min_s);
    rc = CLI_ERR;
    goto cleanup;
  }
  rc = CLI_OK;
cleanup:
  cli_fvecs_free(&q);
  cli_ivecs_free(&gt);
  sv_shard_close(sh);
  return rc;
}
