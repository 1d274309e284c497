/*
** test_index.c — quantized codes, the HNSW graph, filtered ANN, the
** planner, compaction and bad index parameters.
**
** Reliability points of the scale issue, each a case below:
**   - the int8/AVX2 and Hamming kernels equal the scalar reference;
**   - codes always agree with the stored vectors after random
**     insert/update/delete sequences (recomputed and compared per slot);
**   - quantized int8 search with rescoring has recall@10 = 1 on clustered
**     data, binary close to it; HNSW recall@10 >= 0.95;
**   - churn: insert, delete a random half, insert more: recall stays
**     >= 0.95, the graph passes its consistency check (no orphaned nodes,
**     node count follows the live rows);
**   - filtered searches return exactly min(k, matches) rows; a 1% filter
**     runs the exact pre-filtered plan, a broad one the filtered graph;
**   - kill -9 during an index build and during inserts with the index on:
**     the reopened shard has a consistent index and exact results;
**   - compaction after deleting half brings the file within 1.2x of a
**     fresh shard with the live rows, and the index keeps its recall;
**   - bad parameters (M <= 1, ef 0 or huge, unknown modes) are refused with
**     a message and change nothing; a missing structure names its command.
** Sizes shrink under valgrind (SV_TEST_VALGRIND) and in unoptimised
** (coverage) builds to keep the suite within its time budget.
*/
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sqlite_vector.h"
#include "store/hnsw.h"
#include "store/shard.h"
#include "sv_test.h"
#include "vec/qkernels.h"

static unsigned long long seed = 7;
static int slow; /* valgrind / coverage: smaller sizes */

#define MAXD 128
#define NCLUST 40

static float centers[NCLUST][MAXD];

static void gen(float *v, uint32_t dim) {
  int c = (int)(sv_test_rand(&seed) % NCLUST);
  for (uint32_t j = 0; j < dim; j++) v[j] = centers[c][j] + 0.35f * sv_test_randf(&seed);
}

static void init_centers(void) {
  for (int c = 0; c < NCLUST; c++)
    for (int j = 0; j < MAXD; j++) centers[c][j] = sv_test_randf(&seed);
}

static sv_shard *open_new(const char *name, uint32_t dim, sv_metric m, char *path, size_t n) {
  sv_shard *s = NULL;
  sv_open_options o = {dim, m, SV_OPEN_CREATE};
  if (path) sv_test_fresh_path(path, n, "index", name);
  CHECK_RC(sv_shard_open(path ? path : ":memory:", &o, &s), SV_OK);
  return s;
}

/* Insert n generated vectors with metadata {"g": id % 100}. */
static void fill(sv_shard *s, uint32_t dim, size_t n) {
  sv_item *items = calloc(n, sizeof *items);
  float *vecs = malloc(n * dim * sizeof *vecs);
  char(*meta)[32] = malloc(n * sizeof *meta);
  for (size_t i = 0; i < n; i++) {
    gen(vecs + i * dim, dim);
    snprintf(meta[i], sizeof meta[i], "{\"g\":%d}", (int)(sv_test_rand(&seed) % 100));
    items[i].vec = vecs + i * dim;
    items[i].metadata = meta[i];
  }
  CHECK_RC(sv_insert_batch(s, items, n, dim, 0, NULL), SV_OK);
  free(items);
  free(vecs);
  free(meta);
}

/* Mean recall@k of `mode` against exact over nq generated queries. */
static double recall(sv_shard *s, uint32_t dim, int mode, uint32_t ef, const char *filter,
                     uint32_t k, int nq, const char *want_plan) {
  float q[MAXD];
  double hit = 0, total = 0;
  for (int t = 0; t < nq; t++) {
    gen(q, dim);
    sv_search_options so = {.k = k, .filter = filter};
    sv_ann_options eo = {.mode = SV_MODE_EXACT}, ao = {.mode = mode, .ef = ef};
    sv_results er, ar;
    const char *plan = NULL;
    CHECK_RC(sv_search_ex(s, q, dim, &so, &eo, &er, NULL), SV_OK);
    CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &ar, &plan), SV_OK);
    CHECK(ar.n == er.n, "mode %d returned %zu rows, exact %zu", mode, ar.n, er.n);
    if (want_plan && t == 0)
      CHECK(plan && strcmp(plan, want_plan) == 0, "plan %s, want %s", plan, want_plan);
    for (size_t i = 0; i < er.n; i++)
      for (size_t j = 0; j < ar.n; j++)
        if (er.hits[i].id == ar.hits[j].id) {
          hit++;
          break;
        }
    total += (double)er.n;
    sv_results_free(&er);
    sv_results_free(&ar);
  }
  return total > 0 ? hit / total : 1.0;
}

static void test_kernels(void) {
  const sv_qkernels *ref = sv_qkernels_scalar(), *fast = sv_qkernels_active();
  int8_t a[300], b[4 * 300];
  uint64_t qa[5], qb[4 * 5];
  for (int round = 0; round < 200; round++) {
    size_t n = 1 + sv_test_rand(&seed) % 300, words = (n + 63) / 64;
    for (size_t j = 0; j < n; j++) a[j] = (int8_t)((int)(sv_test_rand(&seed) % 255) - 127);
    for (size_t j = 0; j < 4 * n; j++) b[j] = (int8_t)((int)(sv_test_rand(&seed) % 255) - 127);
    for (size_t j = 0; j < words; j++) qa[j] = sv_test_rand(&seed);
    for (size_t j = 0; j < 4 * words; j++) qb[j] = sv_test_rand(&seed);
    int32_t r1[4], r2[4];
    uint32_t h1[4], h2[4];
    ref->dot_i8_batch(a, b, 4, n, r1);
    fast->dot_i8_batch(a, b, 4, n, r2);
    ref->hamming_batch(qa, qb, 4, words, h1);
    fast->hamming_batch(qa, qb, 4, words, h2);
    CHECK(memcmp(r1, r2, sizeof r1) == 0, "%s int8 dot differs at n=%zu", fast->name, n);
    CHECK(memcmp(h1, h2, sizeof h1) == 0, "%s hamming differs at n=%zu", fast->name, n);
  }
  /* Extremes: every product at its largest magnitude. */
  for (size_t j = 0; j < 300; j++) a[j] = -127, b[j] = 127;
  int32_t r1, r2;
  ref->dot_i8_batch(a, b, 1, 300, &r1);
  fast->dot_i8_batch(a, b, 1, 300, &r2);
  CHECK(r1 == -127 * 127 * 300 && r2 == r1, "extreme dot %d %d", r1, r2);
  float x[5] = {0.5f, -1.0f, 0.0f, 0.25f, 1.0f};
  int8_t c[5];
  float sc = sv_quantize_i8(x, 5, c);
  CHECK(c[1] == -127 && c[4] == 127 && c[2] == 0 && fabsf(sc - 1.0f / 127) < 1e-7f,
        "quantize_i8 %d %d %d %g", c[1], c[4], c[2], (double)sc);
}

/* Every slot's codes equal a fresh quantization of its floats. */
static int codes_agree(sv_shard *s) {
  sv_arena *a = &s->arena;
  int8_t c[MAXD];
  uint64_t w[2];
  for (size_t slot = 0; slot < a->count; slot++) {
    const float *row = sv_arena_row(a, slot);
    float sc = sv_quantize_i8(row, a->dim, c);
    if (sc != a->i8scale[slot] || memcmp(c, a->i8 + slot * a->dim, a->dim) != 0) return 0;
    sv_quantize_bits(row, a->dim, w);
    if (memcmp(w, a->bits + slot * a->bwords, a->bwords * 8) != 0) return 0;
  }
  return 1;
}

/* The same for int8 codes only. */
static int codes_agree_i8(sv_shard *s) {
  sv_arena *a = &s->arena;
  int8_t c[MAXD];
  for (size_t slot = 0; slot < a->count; slot++) {
    float sc = sv_quantize_i8(sv_arena_row(a, slot), a->dim, c);
    if (sc != a->i8scale[slot] || memcmp(c, a->i8 + slot * a->dim, a->dim) != 0) return 0;
  }
  return 1;
}

static void test_codes_agree(void) {
  uint32_t dim = 37;
  sv_shard *s = open_new("codes", dim, SV_METRIC_COSINE, NULL, 0);
  sv_index_options io = {.quantize = SV_QUANT_INT8 | SV_QUANT_BINARY, .hnsw = 1, .m = 8};
  fill(s, dim, 300);
  CHECK_RC(sv_index_build(s, &io), SV_OK);
  float v[MAXD], q[MAXD];
  int64_t maxid = 300;
  int ops = slow ? 200 : 3000;
  for (int i = 0; i < ops; i++) {
    int op = (int)(sv_test_rand(&seed) % 3);
    int64_t id = 1 + (int64_t)(sv_test_rand(&seed) % (uint64_t)maxid);
    gen(v, dim);
    if (op == 0) {
      CHECK_RC(sv_insert(s, v, dim, NULL, &maxid), SV_OK);
    } else if (op == 1) {
      CHECK_RC(sv_upsert(s, id, v, dim, NULL), SV_OK);
    } else {
      int rc = sv_delete(s, id);
      CHECK(rc == SV_OK || rc == SV_ENOTFOUND, "delete rc %d", rc);
    }
    if (i % 97 == 0) { /* a search keeps the arena loaded and current */
      gen(q, dim);
      sv_search_options so = {.k = 5};
      sv_ann_options ao = {.mode = SV_MODE_QUANTIZED};
      sv_results r;
      CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_OK);
      sv_results_free(&r);
      CHECK(codes_agree(s), "codes disagree with vectors after %d operations", i);
      const char *why = sv_hnsw_check(s->arena.hnsw, &s->arena);
      CHECK(why == NULL, "graph inconsistent after %d operations: %s", i, why);
    }
  }
  sv_shard_close(s);
}

static void test_modes(void) {
  uint32_t dim = 64, k = 10;
  size_t n = slow ? 700 : 6000;
  sv_metric metrics[3] = {SV_METRIC_COSINE, SV_METRIC_L2, SV_METRIC_DOT};
  for (int mi = 0; mi < 3; mi++) {
    sv_shard *s = open_new("modes", dim, metrics[mi], NULL, 0);
    fill(s, dim, n);
    float q[MAXD];
    gen(q, dim);
    sv_search_options so = {.k = k};
    sv_ann_options ao = {.mode = SV_MODE_HNSW};
    sv_results r;
    const char *plan = NULL;
    CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_ENOTFOUND);
    CHECK(strstr(sv_errmsg(s), "sqlite-vector index SHARD --hnsw") != NULL, "message: %s",
          sv_errmsg(s));
    ao.mode = SV_MODE_QUANTIZED;
    CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_ENOTFOUND);
    CHECK(strstr(sv_errmsg(s), "--quantize int8") != NULL, "message: %s", sv_errmsg(s));
    sv_index_options io = {
        .hnsw = 1, .quantize = SV_QUANT_INT8 | SV_QUANT_BINARY, .ef_construction = slow ? 60 : 0};
    CHECK_RC(sv_index_build(s, &io), SV_OK);
    double r8 = recall(s, dim, SV_MODE_QUANTIZED, 0, NULL, k, 30, "quantized-int8");
    double rb = recall(s, dim, SV_MODE_BINARY, 0, NULL, k, 30, "quantized-binary");
    double rh = recall(s, dim, SV_MODE_HNSW, 0, NULL, k, 30, "hnsw");
    CHECK(r8 >= 0.999, "metric %d int8 recall %.3f", mi, r8);
    CHECK(rb >= 0.85, "metric %d binary recall %.3f", mi, rb);
    CHECK(rh >= 0.95, "metric %d hnsw recall %.3f", mi, rh);
    printf("metric %s: recall@10 int8 %.3f binary %.3f hnsw %.3f\n", sv_metric_name(metrics[mi]),
           r8, rb, rh);
    /* Filters: 1 % of rows -> exact pre-filter; half -> filtered graph. */
    double rf1 = recall(s, dim, SV_MODE_HNSW, 0, "{\"g\":7}", k, 10, "exact-prefilter");
    double rf50 = recall(s, dim, SV_MODE_HNSW, 0, "{\"g\":{\"$lt\":50}}", k, 20, "hnsw-filtered");
    CHECK(rf1 == 1.0 && rf50 >= 0.95, "filtered recall %.3f %.3f", rf1, rf50);
    /* The quantized scans read only the matching rows' codes. */
    double rq =
        recall(s, dim, SV_MODE_QUANTIZED, 0, "{\"g\":{\"$lt\":50}}", k, 10, "quantized-int8");
    double rqb =
        recall(s, dim, SV_MODE_BINARY, 0, "{\"g\":{\"$lt\":50}}", k, 10, "quantized-binary");
    CHECK(rq >= 0.999 && rqb >= 0.85, "filtered quantized recall %.3f %.3f", rq, rqb);
    /* A filter matching fewer rows than k returns all of them. */
    recall(s, dim, SV_MODE_HNSW, 0, "{\"g\":{\"$gte\":99}}", 500, 2, NULL);
    /* Auto: below the threshold exact. */
    CHECK_RC(sv_search_ex(s, q, dim, &so, NULL, &r, &plan), SV_OK);
    CHECK(strcmp(plan, n >= SV_AUTO_MIN_ROWS ? "hnsw" : "exact") == 0, "auto plan %s", plan);
    sv_results_free(&r);
    sv_shard_close(s);
  }
}

static void test_bad_params(void) {
  uint32_t dim = 8;
  sv_shard *s = open_new("bad", dim, SV_METRIC_COSINE, NULL, 0);
  fill(s, dim, 50);
  sv_index_options io = {.hnsw = 1, .m = 1};
  CHECK_RC(sv_index_build(s, &io), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "M must be") != NULL, "%s", sv_errmsg(s));
  io.m = 100000;
  CHECK_RC(sv_index_build(s, &io), SV_EINVAL);
  io.m = 16;
  io.ef_construction = 1u << 30;
  CHECK_RC(sv_index_build(s, &io), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "ef_construction") != NULL, "%s", sv_errmsg(s));
  sv_index_options none = {0};
  CHECK_RC(sv_index_build(s, &none), SV_EINVAL);
  sv_index_options badq = {.quantize = 0x40};
  CHECK_RC(sv_index_build(s, &badq), SV_EINVAL);
  CHECK_RC(sv_index_build(s, NULL), SV_EINVAL);
  sv_index_stats st;
  CHECK_RC(sv_index_stats_get(s, &st), SV_OK);
  CHECK(st.hnsw == 0 && st.quantize == 0, "a refused build changed the index");
  float q[8] = {1, 0, 0, 0, 0, 0, 0, 0};
  sv_results r;
  sv_search_options so = {.k = 3};
  sv_ann_options ao = {.mode = 99};
  CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_EINVAL);
  ao.mode = SV_MODE_HNSW;
  ao.ef = 1u << 30;
  CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_EINVAL);
  ao.ef = 0;
  ao.mode = SV_MODE_QUANTIZED;
  ao.oversample = 1u << 30;
  CHECK_RC(sv_search_ex(s, q, dim, &so, &ao, &r, NULL), SV_EINVAL);
  CHECK_RC(sv_index_drop(s, 0, 0x80), SV_EINVAL);
  sv_shard_close(s);
}

static void test_churn(void) {
  uint32_t dim = 32;
  size_t first = slow ? 800 : 20000, more = slow ? 400 : 10000;
  char path[512];
  sv_shard *s = open_new("churn", dim, SV_METRIC_COSINE, path, sizeof path);
  sv_index_options io = {.hnsw = 1, .m = 12, .ef_construction = 100};
  CHECK_RC(sv_index_build(s, &io), SV_OK);
  fill(s, dim, first);
  /* Delete a random half, in batches of single deletes. */
  size_t deleted = 0;
  for (int64_t id = 1; id <= (int64_t)first; id++)
    if (sv_test_rand(&seed) & 1) {
      CHECK_RC(sv_delete(s, id), SV_OK);
      deleted++;
    }
  fill(s, dim, more);
  double rh = recall(s, dim, SV_MODE_HNSW, 100, NULL, 10, 50, "hnsw");
  CHECK(rh >= 0.95, "recall after churn %.3f", rh);
  sv_hnsw_info info;
  sv_hnsw_info_get(s->arena.hnsw, &info);
  const char *why = sv_hnsw_check(s->arena.hnsw, &s->arena);
  CHECK(why == NULL, "graph after churn: %s", why);
  size_t live = first - deleted + more;
  CHECK(info.live == live, "graph has %zu live nodes, shard %zu rows", info.live, live);
  CHECK(info.nodes <= live + live / 8 + 128, "graph holds %zu nodes for %zu rows", info.nodes,
        live);
  printf("churn: %zu live rows, %zu graph nodes, recall@10 %.3f\n", live, info.nodes, rh);

  /* Compaction: file within 1.2x of a fresh shard with the live rows. */
  CHECK_RC(sv_compact(s), SV_OK);
  struct stat a_st, f_st;
  CHECK(stat(path, &a_st) == 0, "stat");
  char fresh[512];
  sv_shard *f = open_new("churn_fresh", dim, SV_METRIC_COSINE, fresh, sizeof fresh);
  seed = 99;
  fill(f, dim, live);
  sv_shard_close(f);
  f = NULL;
  CHECK(stat(fresh, &f_st) == 0, "stat");
  CHECK((double)a_st.st_size <= 1.2 * (double)f_st.st_size, "compacted %lld vs fresh %lld",
        (long long)a_st.st_size, (long long)f_st.st_size);
  printf("compact: %lld bytes, fresh shard %lld bytes\n", (long long)a_st.st_size,
         (long long)f_st.st_size);
  double rc2 = recall(s, dim, SV_MODE_HNSW, 100, NULL, 10, 20, "hnsw");
  CHECK(rc2 >= 0.95, "recall after compaction %.3f", rc2);
  sv_shard_close(s);

  /* Reopen: the configuration persists and the graph is rebuilt. */
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  sv_index_stats st;
  CHECK_RC(sv_index_stats_get(s, &st), SV_OK);
  CHECK(st.hnsw && st.m == 12 && st.nodes == live, "after reopen: hnsw %d m %u nodes %llu", st.hnsw,
        st.m, (unsigned long long)st.nodes);
  CHECK(st.graph_loaded == 1, "the saved graph was not used at reopen");
  printf("reopen: load %.1f ms (saved graph %s)\n", st.load_ms,
         st.graph_loaded ? "loaded" : "rebuilt");
  CHECK(recall(s, dim, SV_MODE_HNSW, 100, NULL, 10, 20, "hnsw") >= 0.95, "recall after reopen");
  sv_shard_close(s);

  /* Rows deleted by a handle that never loaded the graph: the next load
  ** drops their nodes, its close saves that graph, and the one after loads
  ** it again (the save must encode the dropped nodes correctly). */
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  size_t gone = 0;
  for (int64_t id = 1; id <= (int64_t)first && gone < 100; id++)
    if (sv_delete(s, id) == SV_OK) gone++;
  live -= gone;
  sv_shard_close(s);
  for (int pass = 0; pass < 2; pass++) {
    CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
    CHECK_RC(sv_index_stats_get(s, &st), SV_OK);
    CHECK(st.graph_loaded && st.nodes == live, "pass %d: loaded %d, %llu nodes, %zu rows", pass,
          st.graph_loaded, (unsigned long long)st.nodes, live);
    CHECK(sv_hnsw_check(s->arena.hnsw, &s->arena) == NULL, "pass %d: graph consistent", pass);
    sv_shard_close(s);
  }

  /* A damaged snapshot is detected and the graph rebuilt from the vectors. */
  sqlite3 *raw = NULL;
  CHECK(sqlite3_open(path, &raw) == SQLITE_OK, "raw open");
  CHECK(sqlite3_exec(raw, "UPDATE sv_hnsw SET data = zeroblob(13) WHERE chunk = 0", NULL, NULL,
                     NULL) == SQLITE_OK,
        "damaging the snapshot");
  sqlite3_close(raw);
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  CHECK_RC(sv_index_stats_get(s, &st), SV_OK);
  CHECK(st.hnsw && !st.graph_loaded && st.nodes == live, "damaged snapshot: loaded %d, %llu nodes",
        st.graph_loaded, (unsigned long long)st.nodes);
  CHECK(sv_hnsw_check(s->arena.hnsw, &s->arena) == NULL, "rebuilt graph consistent");
  CHECK(recall(s, dim, SV_MODE_HNSW, 100, NULL, 10, 20, "hnsw") >= 0.95, "recall after rebuild");
  sv_shard_close(s);
  sv_test_remove_db(path);
  sv_test_remove_db(fresh);
}

/* A second handle sees an index built through the first and every write. */
static void test_two_handles(void) {
  uint32_t dim = 16;
  char path[512];
  sv_shard *a = open_new("two", dim, SV_METRIC_L2, path, sizeof path), *b = NULL;
  fill(a, dim, 500);
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(path, &o, &b), SV_OK);
  float q[MAXD];
  gen(q, dim);
  sv_search_options so = {.k = 5};
  sv_ann_options ao = {.mode = SV_MODE_HNSW};
  sv_results r;
  CHECK_RC(sv_search_ex(b, q, dim, &so, &ao, &r, NULL), SV_ENOTFOUND);
  sv_index_options io = {.hnsw = 1, .quantize = SV_QUANT_INT8};
  CHECK_RC(sv_index_build(a, &io), SV_OK);
  fill(a, dim, 300);
  for (int64_t id = 1; id <= 200; id++) CHECK_RC(sv_delete(a, id), SV_OK);
  CHECK_RC(sv_search_ex(b, q, dim, &so, &ao, &r, NULL), SV_OK);
  sv_results_free(&r);
  CHECK(sv_hnsw_check(b->arena.hnsw, &b->arena) == NULL && b->arena.count == 600,
        "second handle's graph (%zu rows)", b->arena.count);
  CHECK(recall(b, dim, SV_MODE_HNSW, 0, NULL, 10, 10, "hnsw") >= 0.95, "recall via b");
  CHECK(codes_agree_i8(b), "codes via b");
  sv_shard_close(a);
  sv_shard_close(b);
  sv_test_remove_db(path);
}

/* kill -9 during an index build and during inserts with the index on. */
static void test_kill(void) {
  uint32_t dim = 24;
  char path[512];
  sv_shard *s = open_new("kill", dim, SV_METRIC_COSINE, path, sizeof path);
  fill(s, dim, slow ? 400 : 4000);
  sv_shard_close(s);
  for (int round = 0; round < 4; round++) {
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      sv_shard *c = NULL;
      sv_open_options o = {0, SV_METRIC_UNSET, 0};
      if (sv_shard_open(path, &o, &c) != SV_OK) _exit(2);
      sv_index_options io = {.hnsw = 1, .quantize = SV_QUANT_INT8, .m = 8 + round};
      if (sv_index_build(c, &io) != SV_OK) _exit(3);
      if (write(fds[1], "b", 1) != 1) _exit(5);
      float v[MAXD];
      for (;;) {
        gen(v, dim);
        if (sv_insert(c, v, dim, "{}", NULL) != SV_OK) _exit(4);
      }
    }
    close(fds[1]);
    /* Rounds 0-1: kill during the build; 2-3: during inserts after it. */
    char b;
    if (round >= 2 && read(fds[0], &b, 1) != 1) CHECK(0, "child did not finish its build");
    usleep((useconds_t)(round < 2 ? 30000 + 60000 * round : 150000));
    kill(pid, SIGKILL);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status), "child exited by itself (status %d)", status);
    CHECK(sv_test_integrity_ok(path), "integrity after kill %d", round);
    sv_open_options o = {0, SV_METRIC_UNSET, 0};
    CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
    sv_index_stats st;
    CHECK_RC(sv_index_stats_get(s, &st), SV_OK);
    sv_stats ss;
    CHECK_RC(sv_shard_stats(s, &ss), SV_OK);
    if (st.hnsw) {
      CHECK(st.nodes == ss.count, "graph %llu nodes, %llu rows", (unsigned long long)st.nodes,
            (unsigned long long)ss.count);
      CHECK(sv_hnsw_check(s->arena.hnsw, &s->arena) == NULL, "graph after kill");
      CHECK(recall(s, dim, SV_MODE_HNSW, 100, NULL, 10, 10, NULL) >= 0.95, "recall after kill");
    }
    if (st.quantize) CHECK(codes_agree_i8(s), "codes after kill");
    printf("kill %d: %llu rows, graph %s\n", round, (unsigned long long)ss.count,
           !st.hnsw          ? "not configured yet"
           : st.graph_loaded ? "loaded and caught up"
                             : "rebuilt");
    sv_shard_close(s);
  }
  sv_test_remove_db(path);
}

int main(void) {
  slow = getenv("SV_TEST_VALGRIND") != NULL;
#ifndef __OPTIMIZE__
  slow = 1; /* the -O0 coverage build: same paths, smaller sizes */
#endif
  init_centers();
  test_kernels();
  test_codes_agree();
  test_modes();
  test_bad_params();
  test_two_handles();
  test_churn();
  test_kill();
  return sv_test_done("index");
}
