/*
** cmd_search.c — `sqlite-vector search SHARD (--query-file Q | --vector V)`.
**
** Runs one k-NN search (exact unless --mode says otherwise) per query vector and prints the results
*as a
** readable table or, with --json, one JSON object per query per line (so a
** thousand queries can be streamed into another program).  The time per
** query is measured around sv_search() alone, excluding printing.
**
** Everything checkable is checked before the first search: numbers,
** --vector syntax, the query file's dimension against the shard.  The
** filter is validated by the library on the first search; a filter the
** library rejects as invalid JSON or an unknown operator is a command-line
** mistake and exits 2, like any other bad option value.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char SYNOPSIS[] =
    "search SHARD (--query-file Q.fvecs | --vector '[..]') [--k K] [--filter JSON] "
    "[--threshold T] [--with-metadata] [--mode exact|quantized|binary|hnsw|auto] [--ef N] "
    "[--oversample N] [--explain] [--json]";

static void help(void) {
  printf(
      "Usage: sqlite-vector %s\n\n"
      "Exact k-nearest-neighbour search.  Queries come from an .fvecs file (one search\n"
      "per record) or from --vector, a JSON array of numbers.\n\n"
      "  --query-file Q   .fvecs file of query vectors\n"
      "  --vector V       a single query, e.g. '[0.1, 0.2, 0.3]'\n"
      "  --k K            results per query, 1..4294967295 (default 10)\n"
      "  --filter JSON    metadata filter, e.g. '{\"lang\":\"en\",\"year\":{\"$gte\":2020}}'\n"
      "                   (operators $eq $ne $lt $lte $gt $gte $in; conditions are ANDed)\n"
      "  --threshold T    cosine/dot: minimum score; l2: maximum distance\n"
      "  --with-metadata  include each hit's metadata\n"
      "  --mode M         exact, quantized (int8 scan + exact rescoring), binary, hnsw,\n"
      "                   or auto (default: exact below 10000 rows, else the index)\n"
      "  --ef N           HNSW candidates per query, 1..100000 (default 64)\n"
      "  --oversample N   quantized modes rescore k*N rows (default 10 int8, 40 binary)\n"
      "  --explain        show the plan the search ran (adds \"plan\" to --json)\n"
      "  --json           one line per query: {\"query\":i,\"ids\":[..],\"scores\":[..],"
      "\"ms\":..}\n\n"
      "Scores: cosine similarity and dot product sort descending, l2 distance ascending;\n"
      "ties go to the smaller id.\n",
      SYNOPSIS);
}

static void print_json(size_t q, const sv_results *res, double ms, int with_meta,
                       const char *plan) {
  printf("{\"query\":%zu,\"ids\":[", q);
  for (size_t i = 0; i < res->n; i++) printf("%s%lld", i ? "," : "", (long long)res->hits[i].id);
  printf("],\"scores\":[");
  for (size_t i = 0; i < res->n; i++) {
    if (i) putchar(',');
    cli_out_float(stdout, res->hits[i].score);
  }
  printf("]");
  if (with_meta) {
    /* The library stores metadata as validated JSON object text, so it
    ** is embedded verbatim. */
    printf(",\"metadata\":[");
    for (size_t i = 0; i < res->n; i++) {
      const char *m = res->hits[i].metadata;
      printf("%s%s", i ? "," : "", m && *m ? m : "null");
    }
    printf("]");
  }
  if (plan) printf(",\"plan\":\"%s\"", plan);
  printf(",\"ms\":%.4f}\n", ms);
}

static void print_table(size_t q, const sv_results *res, double ms, int with_meta,
                        const char *plan) {
  printf("query %zu: %zu result%s in %.3f ms\n", q, res->n, res->n == 1 ? "" : "s", ms);
  if (plan) printf("  plan: %s\n", plan);
  if (res->n == 0) {
    printf("  (no results)\n");
    return;
  }
  printf("  %4s  %-20s %12s%s\n", "rank", "id", "score", with_meta ? "  metadata" : "");
  for (size_t i = 0; i < res->n; i++) {
    printf("  %4zu  %-20lld %12.6f", i + 1, (long long)res->hits[i].id, (double)res->hits[i].score);
    if (with_meta) printf("  %s", res->hits[i].metadata ? res->hits[i].metadata : "");
    putchar('\n');
  }
}

int cmd_search(int argc, char **argv) {
  const char *pos[1], *qfile = NULL, *vec_s = NULL, *k_s = NULL, *filter = NULL, *thr_s = NULL;
  const char *mode_s = NULL, *ef_s = NULL, *over_s = NULL;
  int json = 0, with_meta = 0, rc, mode = SV_MODE_AUTO, explain = 0;
  uint32_t ef = 0, over = 0;
  size_t npos;
  uint32_t k = 10, vdim = 0;
  float thr = 0.0f;
  float *single = NULL;
  cli_fvecs queries;
  sv_shard *sh = NULL;
  sv_stats st;
  sv_results res;
  sv_search_options so;
  const cli_opt opts[] = {{"--query-file", &qfile, NULL},
                          {"--vector", &vec_s, NULL},
                          {"--k", &k_s, NULL},
                          {"--filter", &filter, NULL},
                          {"--threshold", &thr_s, NULL},
                          {"--with-metadata", NULL, &with_meta},
                          {"--mode", &mode_s, NULL},
                          {"--ef", &ef_s, NULL},
                          {"--oversample", &over_s, NULL},
                          {"--explain", NULL, &explain},
                          {"--json", NULL, &json}};

  memset(&queries, 0, sizeof queries);
  memset(&res, 0, sizeof res);
  rc = cli_parse_args("search", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    help();
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if (!qfile == !vec_s) return cli_usage("search", "give exactly one of --query-file and --vector");
  if (k_s && cli_parse_u32("--k", k_s, 1, UINT32_MAX, &k) != 0) return CLI_USAGE;
  if (thr_s && cli_parse_float("--threshold", thr_s, &thr) != 0) return CLI_USAGE;
  if (mode_s && (rc = cli_parse_mode("search", mode_s, &mode)) != CLI_OK) return rc;
  if (ef_s && cli_parse_u32("--ef", ef_s, 1, 100000, &ef) != 0) return CLI_USAGE;
  if (over_s && cli_parse_u32("--oversample", over_s, 1, 10000, &over) != 0) return CLI_USAGE;
  if (vec_s && cli_parse_vector_json("--vector", vec_s, 0, &single, &vdim) != 0) return CLI_USAGE;

  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  if (sv_shard_stats(sh, &st) != SV_OK) {
    rc = cli_fail(sh, SV_EIO, pos[0]);
    goto cleanup;
  }
  rc = CLI_ERR;
  if (single) {
    if (vdim != st.dim) {
      cli_err("--vector has %u components but the shard has dimension %u", vdim, st.dim);
      goto cleanup;
    }
    queries.n = 1;
    queries.dim = vdim;
    queries.data = single;
    single = NULL;
  } else if (cli_read_fvecs(qfile, st.dim, &queries) != 0) {
    goto cleanup;
  }
  cli_check_simd_env();

  memset(&so, 0, sizeof so);
  so.k = k;
  so.use_threshold = thr_s != NULL;
  so.threshold = thr;
  so.filter = filter;
  so.with_metadata = with_meta;
  sv_ann_options ann = {mode, ef, over};
  for (size_t q = 0; q < queries.n; q++) {
    double t0 = cli_now(), ms;
    const char *plan = NULL;
    int src = sv_search_ex(sh, queries.data + q * queries.dim, queries.dim, &so, &ann, &res, &plan);
    ms = (cli_now() - t0) * 1e3;
    if (src != SV_OK) {
      if (src == SV_EJSON) {
        cli_err("--filter: %s", sv_errmsg(sh));
        rc = CLI_USAGE;
      } else {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "query %zu", q);
        rc = cli_fail(sh, src, ctx);
      }
      goto cleanup;
    }
    if (json) {
      print_json(q, &res, ms, with_meta, explain ? plan : NULL);
    } else {
      print_table(q, &res, ms, with_meta, explain ? plan : NULL);
    }
    sv_results_free(&res);
    memset(&res, 0, sizeof res);
  }
  rc = CLI_OK;
cleanup:
  sv_results_free(&res);
  cli_fvecs_free(&queries);
  free(single);
  sv_shard_close(sh);
  return rc;
}
