/*
** test_search.c — property test: sv_search equals a naive full sort.
**
** For each metric a shard is filled with random vectors and metadata, and
** a model of the rows (vectors, metadata fields, live flags) is kept in the
** test.  Every search is compared with a plain double-precision full sort
** of the model: same number of hits (min(k, matching rows)), each hit a
** matching live row, scores equal within float rounding, and the hit at
** each rank has the naive score of that rank (so the set is a true top-k
** up to float near-ties).  This runs with random k, with and without
** filters (eq, range, $in, AND, $ne, booleans, nested paths, a 1%
** selective filter, type mismatches), with thresholds, and again after
** random deletes and upserts.
*/
#include <stdint.h>

#include "sqlite_vector.h"
#include "sv_test.h"

#define NROWS 1500
#define MAXDIM 64

typedef struct row {
  int live;
  int64_t id;
  float v[MAXDIM];
  int cat, bucket, flag, nx;
  double score;
  char name[8];
} row;

static row rows[NROWS];
static uint32_t dim;
static sv_metric metric;
static unsigned long long seed = 42;

/* ---- filters and their C predicates ---- */
typedef struct filt {
  const char *json;
  int (*pred)(const row *r);
} filt;

static int p_all(const row *r) {
  (void)r;
  return 1;
}
static int p_cat3(const row *r) {
  return r->cat == 3;
}
static int p_range(const row *r) {
  return r->cat >= 2 && r->cat < 5;
}
static int p_in(const row *r) {
  return !strcmp(r->name, "n1") || !strcmp(r->name, "n4");
}
static int p_ne(const row *r) {
  return r->cat != 3;
}
static int p_and(const row *r) {
  return (r->cat == 1 || r->cat == 2) && !strcmp(r->name, "n2");
}
static int p_flag(const row *r) {
  return r->flag;
}
static int p_nested(const row *r) {
  return r->nx == 1;
}
static int p_real(const row *r) {
  return r->score > 0.5;
}
static int p_bucket(const row *r) {
  return r->bucket == 7;
}
static int p_none(const row *r) {
  (void)r;
  return 0;
}
static int p_text5(const row *r) {
  return r->cat == 5;
}
static int p_cat0(const row *r) {
  return r->cat == 0;
}

static const filt filters[] = {
    {NULL, p_all},
    {"{}", p_all},
    {"{\"cat\":3}", p_cat3},
    {"{\"cat\":{\"$gte\":2,\"$lt\":5}}", p_range},
    {"{\"cat\":{\"$gte\":2.0,\"$lte\":4.5}}", p_range},
    {"{\"name\":{\"$in\":[\"n1\",\"n4\"]}}", p_in},
    {"{\"cat\":{\"$ne\":3}}", p_ne},
    {"{\"cat\":{\"$in\":[1,2]},\"name\":\"n2\"}", p_and},
    {"{\"flag\":true}", p_flag},
    {"{\"flag\":{\"$eq\":true}}", p_flag},
    {"{\"nested.x\":1}", p_nested},
    {"{\"score\":{\"$gt\":0.5}}", p_real},
    {"{\"bucket\":7}", p_bucket},
    /* Type semantics: "s" holds the category as a string. */
    {"{\"s\":{\"$gt\":3}}", p_none},
    {"{\"s\":\"5\"}", p_text5},
    {"{\"cat\":\"3\"}", p_none},
    {"{\"flag\":1}", p_none},
    {"{\"nested\":{\"$eq\":\"{\\\"x\\\":1}\"}}", p_none},
    {"{\"missing\":{\"$ne\":1}}", p_all},
    {"{\"missing\":1}", p_none},
    {"{\"x\":{\"$in\":[1]},\"cat\":{\"$in\":[0]}}", p_none},
    {"{\"cat\":{\"$in\":[0,\"zz\",false]}}", p_cat0}, /* kinds mixed in one $in */
};

/* Naive score in double. */
static double naive_score(const float *q, const float *v) {
  double d = 0, qq = 0, vv = 0, l2 = 0;
  for (uint32_t i = 0; i < dim; i++) {
    d += (double)q[i] * v[i];
    qq += (double)q[i] * q[i];
    vv += (double)v[i] * v[i];
    l2 += ((double)q[i] - v[i]) * ((double)q[i] - v[i]);
  }
  if (metric == SV_METRIC_COSINE) return d / (sqrt(qq) * sqrt(vv));
  if (metric == SV_METRIC_L2) return sqrt(l2);
  return d;
}

typedef struct cand {
  double score;
  int64_t id;
} cand;

static int better(const cand *a, const cand *b) {
  if (a->score != b->score)
    return metric == SV_METRIC_L2 ? a->score < b->score : a->score > b->score;
  return a->id < b->id;
}

static int cmp_cand(const void *x, const void *y) {
  const cand *a = x, *b = y;
  if (better(a, b)) return -1;
  if (better(b, a)) return 1;
  return 0;
}

static const row *find_row(int64_t id) {
  for (int i = 0; i < NROWS; i++)
    if (rows[i].live && rows[i].id == id) return &rows[i];
  return NULL;
}

static void make_row(row *r, int i) {
  for (uint32_t d = 0; d < dim; d++) r->v[d] = sv_test_randf(&seed);
  if (metric == SV_METRIC_DOT && i % 10 == 0)
    for (uint32_t d = 0; d < dim; d++) r->v[d] *= 3.0f; /* varied norms */
  r->cat = (int)(sv_test_rand(&seed) % 10);
  r->bucket = (int)(sv_test_rand(&seed) % 100);
  r->flag = (int)(sv_test_rand(&seed) % 2);
  r->nx = (int)(sv_test_rand(&seed) % 3);
  r->score = (double)(sv_test_rand(&seed) % 1000) / 1000.0 + 0.0005;
  snprintf(r->name, sizeof r->name, "n%d", (int)(sv_test_rand(&seed) % 7));
}

static char *row_meta(const row *r, char *buf, size_t n) {
  snprintf(buf, n,
           "{\"id\":%lld,\"cat\":%d,\"bucket\":%d,\"flag\":%s,\"nested\":{\"x\":%d},"
           "\"score\":%.4f,\"name\":\"%s\",\"s\":\"%d\"}",
           (long long)r->id, r->cat, r->bucket, r->flag ? "true" : "false", r->nx, r->score,
           r->name, r->cat);
  return buf;
}

static double tol_for(double s) {
  return 2e-4 * (1.0 + fabs(s));
}

/* One search compared with the model. */
static void check_search(sv_shard *s, const filt *f, uint32_t k, int use_thr, float thr,
                         int with_meta) {
  float q[MAXDIM];
  for (uint32_t d = 0; d < dim; d++) q[d] = sv_test_randf(&seed);
  static cand all[NROWS];
  size_t n = 0;
  for (int i = 0; i < NROWS; i++) {
    if (!rows[i].live || !f->pred(&rows[i])) continue;
    all[n].score = naive_score(q, rows[i].v);
    all[n].id = rows[i].id;
    n++;
  }
  qsort(all, n, sizeof all[0], cmp_cand);
  size_t lo = 0, hi = n; /* acceptable hit counts under a threshold */
  if (use_thr) {
    lo = hi = 0;
    for (size_t i = 0; i < n; i++) {
      double sc = all[i].score, t = tol_for(sc);
      int sure = metric == SV_METRIC_L2 ? sc <= thr - t : sc >= thr + t;
      int maybe = metric == SV_METRIC_L2 ? sc <= thr + t : sc >= thr - t;
      lo += sure;
      hi += maybe;
    }
  }
  if (lo > k) lo = k;
  if (hi > k) hi = k;

  sv_search_options o = {k, use_thr, thr, f->json, with_meta};
  sv_results res;
  int rc = sv_search(s, q, dim, &o, &res);
  CHECK(rc == SV_OK, "search rc %d (%s) filter %s", rc, sv_errmsg(s), f->json ? f->json : "-");
  if (rc != SV_OK) return;
  CHECK(res.n >= lo && res.n <= hi, "hits %zu, want %zu..%zu (k=%u, matches=%zu, filter %s)", res.n,
        lo, hi, (unsigned)k, n, f->json ? f->json : "-");
  int ok = 1;
  for (size_t i = 0; i < res.n && ok; i++) {
    const row *r = find_row(res.hits[i].id);
    if (!r || !f->pred(r)) {
      CHECK(0, "hit %lld is not a live matching row", (long long)res.hits[i].id);
      ok = 0;
      break;
    }
    double own = naive_score(q, r->v);
    if (fabs(own - res.hits[i].score) > tol_for(own)) {
      CHECK(0, "hit %lld score %.7f, naive %.7f", (long long)res.hits[i].id, res.hits[i].score,
            own);
      ok = 0;
    }
    if (i < n && fabs(own - all[i].score) > tol_for(own)) {
      CHECK(0, "rank %zu: id %lld score %.7f, naive rank score %.7f (id %lld)", i,
            (long long)res.hits[i].id, own, all[i].score, (long long)all[i].id);
      ok = 0;
    }
    if (use_thr && (metric == SV_METRIC_L2 ? res.hits[i].score > thr : res.hits[i].score < thr)) {
      CHECK(0, "hit %zu violates threshold", i);
      ok = 0;
    }
    if (i > 0) {
      float a = res.hits[i - 1].score, b = res.hits[i].score;
      int order = metric == SV_METRIC_L2 ? a < b || (a == b && res.hits[i - 1].id < res.hits[i].id)
                                         : a > b || (a == b && res.hits[i - 1].id < res.hits[i].id);
      if (!order) {
        CHECK(0, "hits %zu and %zu out of order", i - 1, i);
        ok = 0;
      }
    }
    if (with_meta) {
      char want[32];
      snprintf(want, sizeof want, "{\"id\":%lld,", (long long)r->id);
      if (!res.hits[i].metadata || strncmp(res.hits[i].metadata, want, strlen(want)) != 0) {
        CHECK(0, "metadata of %lld: %s", (long long)r->id,
              res.hits[i].metadata ? res.hits[i].metadata : "(null)");
        ok = 0;
      }
    } else if (res.hits[i].metadata) {
      CHECK(0, "metadata filled without with_metadata");
      ok = 0;
    }
  }
  if (ok) CHECK(1, "ok");
  sv_results_free(&res);
}

static void run_all_filters(sv_shard *s) {
  size_t nf = sizeof filters / sizeof filters[0];
  for (size_t f = 0; f < nf; f++) {
    filt fl = filters[f];
    for (int rep = 0; rep < 3; rep++) {
      uint32_t k = 1 + (uint32_t)(sv_test_rand(&seed) % 40);
      check_search(s, &fl, k, 0, 0, rep == 0);
    }
  }
  /* k beyond the live rows returns them all; a huge k too. */
  check_search(s, &filters[0], NROWS + 10, 0, 0, 0);
  check_search(s, &filters[0], UINT32_MAX, 0, 0, 0);
  check_search(s, &filters[12], 1000, 0, 0, 1);
  /* Thresholds. */
  for (int rep = 0; rep < 6; rep++) {
    float thr;
    if (metric == SV_METRIC_COSINE)
      thr = 0.1f + 0.1f * (float)rep;
    else if (metric == SV_METRIC_L2)
      thr = sqrtf((float)dim) * (0.5f + 0.1f * (float)rep);
    else
      thr = 0.5f * (float)rep;
    check_search(s, &filters[rep % 2 ? 0 : 3], 1 + (uint32_t)(sv_test_rand(&seed) % 2000), 1, thr,
                 0);
  }
}

static void run_metric(sv_metric m, uint32_t d) {
  metric = m;
  dim = d;
  sv_shard *s = NULL;
  sv_open_options o = {dim, metric, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(":memory:", &o, &s), SV_OK);
  memset(rows, 0, sizeof rows);

  /* Most rows in one batch with auto ids, some one at a time with chosen ids. */
  static sv_item items[NROWS];
  static char metas[NROWS][256];
  int batch_n = NROWS - 100;
  for (int i = 0; i < NROWS; i++) make_row(&rows[i], i);
  for (int i = 0; i < batch_n; i++) {
    rows[i].id = i + 1;
    items[i].has_id = 0;
    items[i].id = 0;
    items[i].vec = rows[i].v;
    items[i].metadata = row_meta(&rows[i], metas[i], sizeof metas[i]);
  }
  int64_t *ids = malloc(NROWS * sizeof *ids);
  CHECK_RC(sv_insert_batch(s, items, (size_t)batch_n, dim, 0, ids), SV_OK);
  for (int i = 0; i < batch_n; i++) rows[i].id = ids[i];
  free(ids);
  for (int i = 0; i < batch_n; i++) rows[i].live = 1;

  /* A first search loads the arena; later writes are applied to it. */
  run_all_filters(s);
  for (int i = batch_n; i < NROWS; i++) {
    rows[i].id = 100000 + i * 3;
    char meta[256];
    CHECK_RC(sv_insert_id(s, rows[i].id, rows[i].v, dim, row_meta(&rows[i], meta, sizeof meta)),
             SV_OK);
    rows[i].live = 1;
  }
  run_all_filters(s);

  /* Random deletes and upserts, then compare again. */
  for (int rep = 0; rep < 300; rep++) {
    int i = (int)(sv_test_rand(&seed) % NROWS);
    if (!rows[i].live) continue;
    if (rep % 2) {
      CHECK_RC(sv_delete(s, rows[i].id), SV_OK);
      rows[i].live = 0;
    } else {
      int64_t id = rows[i].id;
      make_row(&rows[i], i);
      rows[i].id = id;
      char meta[256];
      CHECK_RC(sv_upsert(s, id, rows[i].v, dim, row_meta(&rows[i], meta, sizeof meta)), SV_OK);
    }
  }
  run_all_filters(s);
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  size_t live = 0;
  for (int i = 0; i < NROWS; i++) live += rows[i].live;
  CHECK(st.count == live, "stats count %llu, model %zu", (unsigned long long)st.count, live);
  sv_shard_close(s);
}

/* Equal scores are ordered by ascending id. */
static void test_ties(void) {
  sv_shard *s = NULL;
  sv_open_options o = {2, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(":memory:", &o, &s), SV_OK);
  float v[2] = {1, 1};
  int64_t order[6] = {50, 3, 20, 7, 1, 9};
  for (int i = 0; i < 6; i++) CHECK_RC(sv_insert_id(s, order[i], v, 2, NULL), SV_OK);
  float q[2] = {0, 0};
  sv_search_options so = {4, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 4 && res.hits[0].id == 1 && res.hits[1].id == 3 && res.hits[2].id == 7 &&
            res.hits[3].id == 9,
        "ties by ascending id");
  sv_results_free(&res);
  sv_shard_close(s);
}

int main(void) {
  run_metric(SV_METRIC_COSINE, 37);
  run_metric(SV_METRIC_L2, 16);
  run_metric(SV_METRIC_DOT, 5);
  run_metric(SV_METRIC_L2, 1);
  test_ties();
  return sv_test_done("search");
}
