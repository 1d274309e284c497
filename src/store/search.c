/*
** search.c — exact k-nearest-neighbour search over the arena.
**
** A search is: validate the query; under the connection lock, open a read
** snapshot, bring the arena up to date (mirror.c) and, with a filter, run
** the compiled filter query (filter.c) and turn the matching ids into a
** bitmap over arena slots; then scan under the arena's read lock only, so
** searches on one handle run in parallel and only wait for writers.  When
** metadata is requested the snapshot and connection lock are kept through
** the scan so every hit's metadata is the one of the scanned row.
**
** The scan feeds blocks of consecutive rows to the batch kernels
** (dot_batch / l2sq_batch), which keep the query in registers and stream
** the rows, then offers each score to a bounded top-k heap.  Keys are
** "smaller is better": l2 uses the squared distance (no sqrt in the loop),
** cosine and dot the negated score; cosine rows and the query are unit
** length so cosine is a dot product.  Most rows are rejected by one
** comparison against the heap's worst key.  A filtered scan walks the
** bitmap and hands each run of consecutive matching rows to the same batch
** kernels, so a dense filter costs little more than no filter and a sparse
** one touches only the rows it needs.
**
** The threshold is checked on the score reported to the caller (after the
** sqrt for l2 and clamping cosine to [-1, 1]), so "score >= t" and
** "distance <= t" hold exactly for every returned hit.  Ties are ordered by
** ascending id by the heap, so results do not depend on slot order.
** Vectors with components far outside the range embeddings use are scanned
** with the scalar (double-accumulating) kernels so sums cannot overflow.
**
** The planner (plan_search) picks exact, quantized or HNSW from the mode
** asked for, the structures the shard has and, with a filter, how many rows
** match: a selective filter (under 1 row in 20) makes an exact scan of just
** the matching rows cheaper and exact, so it wins; a broader one is applied
** during the graph traversal, and if the graph yields fewer than
** min(k, matches) rows the exact pre-filtered scan runs instead, so a
** filtered search always returns min(k, matching rows) results.  The
** approximate paths (ann.c) push candidates with exact keys into the same
** heap, so scores, thresholds and tie order are the exact scan's.
*/
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/ann.h"
#include "store/filter.h"
#include "store/hnsw.h"
#include "store/shard.h"
#include "vec/kernels.h"
#include "vec/topk.h"

#define SCAN_BLOCK 256

/* The float SIMD kernels are exact enough only while every row's largest
** |component| lies in [2^-40, 2^40] (see vec/kernels.h); a shard or query
** outside that band is scanned with the scalar kernels, which sum in
** double. */
#define SAFE_LO 0x1p-40f
#define SAFE_HI 0x1p40f

static const sv_kernels *pick_kernels(const sv_arena *a, const float *q) {
  float m = 0.0f;
  for (uint32_t i = 0; i < a->dim; i++) m = fabsf(q[i]) > m ? fabsf(q[i]) : m;
  int safe = (m == 0.0f || (m >= SAFE_LO && m <= SAFE_HI)) && a->row_max_hi <= SAFE_HI &&
             a->row_max_lo >= SAFE_LO;
  return safe ? sv_kernels_active() : sv_kernels_scalar();
}

typedef struct scan {
  const sv_kernels *kern;
  const sv_arena *a;
  sv_metric metric;
  const float *q;
  sv_topk *top;
  int use_threshold;
  float threshold;
  float scores[SCAN_BLOCK];
} scan;

/* The score the caller sees for a heap key. */
static float score_of(sv_metric metric, float key) {
  if (metric == SV_METRIC_L2) return sqrtf(key > 0.0f ? key : 0.0f);
  float s = -key;
  if (metric == SV_METRIC_COSINE) s = s > 1.0f ? 1.0f : s < -1.0f ? -1.0f : s;
  return s;
}

static int passes(const scan *sc, float key) {
  float score = score_of(sc->metric, key);
  return sc->metric == SV_METRIC_L2 ? score <= sc->threshold : score >= sc->threshold;
}

/* Score rows [start, start + rows) and offer them to the heap. */
static void scan_rows(scan *sc, size_t start, size_t rows) {
  const sv_arena *a = sc->a;
  const float *base = sv_arena_row(a, start);
  if (sc->metric == SV_METRIC_L2)
    sc->kern->l2sq_batch(sc->q, base, rows, a->dim, sc->scores);
  else
    sc->kern->dot_batch(sc->q, base, rows, a->dim, sc->scores);
  float bound = sv_topk_bound(sc->top);
  for (size_t i = 0; i < rows; i++) {
    float key = sc->metric == SV_METRIC_L2 ? sc->scores[i] : -sc->scores[i];
    if (key > bound) continue; /* equal keys still compete on id */
    if (sc->use_threshold && !passes(sc, key)) continue;
    sv_topk_push(sc->top, key, a->ids[start + i], (uint32_t)(start + i));
    bound = sv_topk_bound(sc->top);
  }
}

static void scan_all(scan *sc) {
  size_t n = sc->a->count;
  for (size_t start = 0; start < n; start += SCAN_BLOCK)
    scan_rows(sc, start, n - start < SCAN_BLOCK ? n - start : SCAN_BLOCK);
}

static int bit(const uint64_t *bm, size_t i) {
  return (int)((bm[i >> 6] >> (i & 63)) & 1u);
}

static unsigned lowest_bit(uint64_t w) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctzll(w);
#else
  unsigned n = 0;
  while (!(w & 1u)) w >>= 1, n++;
  return n;
#endif
}

/* Scan only the slots whose bit is set, in runs of consecutive slots. */
static void scan_bitmap(scan *sc, const uint64_t *bm) {
  size_t n = sc->a->count, i = 0;
  while (i < n) {
    uint64_t w = bm[i >> 6] >> (i & 63);
    if (w == 0) {
      i = (i | 63) + 1;
      continue;
    }
    i += lowest_bit(w);
    if (i >= n) break;
    size_t j = i + 1;
    while (j < n && j - i < SCAN_BLOCK && bit(bm, j)) j++;
    scan_rows(sc, i, j - i);
    i = j;
  }
}

/* Run the filter query and mark matching slots; *matches counts them. */
static int filter_bitmap(sv_shard *s, sqlite3_stmt *st, uint64_t **out, size_t *matches) {
  const sv_arena *a = &s->arena;
  size_t words = a->count / 64 + 1;
  uint64_t *bm = calloc(words, sizeof *bm);
  *matches = 0;
  if (!bm) return sv__fail(s, SV_ENOMEM, "out of memory for a filter bitmap");
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    uint32_t slot = sv_arena_find(a, sqlite3_column_int64(st, 0));
    if (slot == SV_ARENA_NO_SLOT) continue;
    uint64_t m = (uint64_t)1 << (slot & 63);
    if (!(bm[slot >> 6] & m)) (*matches)++;
    bm[slot >> 6] |= m;
  }
  if (src != SQLITE_DONE) {
    free(bm);
    int rc = sv__status_of(src);
    /* A stored metadata text json_extract cannot read, for instance. */
    if (rc == SV_EINTERNAL) rc = SV_EFORMAT;
    return sv__fail(s, rc, "evaluating the filter: %s", sqlite3_errmsg(s->db));
  }
  *out = bm;
  return SV_OK;
}

static int fetch_metadata(sv_shard *s, sv_results *res) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_GET_METADATA, &rc);
  if (!st) return rc;
  for (size_t i = 0; i < res->n; i++) {
    sqlite3_bind_int64(st, 1, res->hits[i].id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      const char *t = (const char *)sqlite3_column_text(st, 0);
      size_t len = t ? (size_t)sqlite3_column_bytes(st, 0) : 2;
      char *copy = malloc(len + 1);
      if (copy) {
        memcpy(copy, t ? t : "{}", len);
        copy[len] = '\0';
      }
      res->hits[i].metadata = copy;
      if (!copy) rc = sv__fail(s, SV_ENOMEM, "out of memory copying metadata");
    } else if (src == SQLITE_DONE) {
      rc = sv__fail(s, SV_EINTERNAL, "row %lld vanished during the search",
                    (long long)res->hits[i].id);
    } else {
      rc = sv__fail_sql(s, src, "reading metadata");
    }
    sqlite3_reset(st);
    if (rc != SV_OK) return rc;
  }
  return SV_OK;
}

/* Everything about the call that needs no database. */
static int check_query(sv_shard *s, const float *query, uint32_t dim, const sv_search_options *o,
                       const sv_ann_options *ann, float **qout) {
  if (!o) return sv__fail(s, SV_EINVAL, "search options are NULL");
  if (!query) return sv__fail(s, SV_EINVAL, "query vector is NULL");
  if (dim != s->dim)
    return sv__fail(s, SV_EDIM, "query has dimension %u, shard has %u", (unsigned)dim,
                    (unsigned)s->dim);
  if (o->k == 0) return sv__fail(s, SV_EINVAL, "k must be at least 1");
  if (ann->mode < SV_MODE_AUTO || ann->mode > SV_MODE_HNSW)
    return sv__fail(s, SV_EINVAL, "unknown search mode %d", ann->mode);
  if (ann->ef > SV_HNSW_EF_MAX)
    return sv__fail(s, SV_EINVAL, "ef must be between 1 and %d, got %u", SV_HNSW_EF_MAX,
                    (unsigned)ann->ef);
  if (ann->oversample > 10000)
    return sv__fail(s, SV_EINVAL, "oversample must be between 1 and 10000, got %u",
                    (unsigned)ann->oversample);
  if (o->use_threshold && !isfinite(o->threshold))
    return sv__fail(s, SV_EINVAL, "threshold is not a finite number");
  double ss = 0.0;
  for (uint32_t i = 0; i < dim; i++) {
    if (!isfinite(query[i]))
      return sv__fail(s, SV_EINVAL, "query component %u is not finite", (unsigned)i);
    ss += (double)query[i] * (double)query[i];
  }
  if (s->metric == SV_METRIC_COSINE && ss == 0.0)
    return sv__fail(s, SV_EINVAL, "a zero query vector has no direction (cosine metric)");
  float *q = malloc((size_t)dim * sizeof *q);
  if (!q) return sv__fail(s, SV_ENOMEM, "out of memory");
  double inv = s->metric == SV_METRIC_COSINE ? 1.0 / sqrt(ss) : 1.0;
  for (uint32_t i = 0; i < dim; i++) q[i] = (float)((double)query[i] * inv);
  *qout = q;
  return SV_OK;
}

static void push_slot(void *ctx, float key, uint32_t slot) {
  scan *sc = ctx;
  if (sc->use_threshold && !passes(sc, key)) return;
  sv_topk_push(sc->top, key, sc->a->ids[slot], slot);
}

/* Choose the mode to run; a structure the mode needs but the shard lacks
** is an error naming the command that builds it. */
static int plan_search(sv_shard *s, const sv_ann_options *ann, const sv_arena *a, int filtered,
                       size_t matches, int *mode) {
  int m = ann->mode;
  if (m == SV_MODE_AUTO) {
    m = SV_MODE_EXACT;
    if (a->count >= SV_AUTO_MIN_ROWS) {
      if (a->hnsw)
        m = SV_MODE_HNSW;
      else if (a->codes & SV_ARENA_I8)
        m = SV_MODE_QUANTIZED;
    }
  } else if (m == SV_MODE_HNSW && !a->hnsw) {
    return sv__fail(s, SV_ENOTFOUND,
                    "the shard has no HNSW index: build it with `sqlite-vector index SHARD "
                    "--hnsw` (sv_index_build)");
  } else if (m == SV_MODE_QUANTIZED && !(a->codes & SV_ARENA_I8)) {
    return sv__fail(s, SV_ENOTFOUND,
                    "the shard has no int8 codes: build them with `sqlite-vector index SHARD "
                    "--quantize int8` (sv_index_build)");
  } else if (m == SV_MODE_BINARY && !(a->codes & SV_ARENA_BITS)) {
    return sv__fail(s, SV_ENOTFOUND,
                    "the shard has no binary codes: build them with `sqlite-vector index SHARD "
                    "--quantize binary` (sv_index_build)");
  }
  /* A selective filter: scanning the few matching rows exactly is cheaper. */
  if (filtered && m != SV_MODE_EXACT && matches * 20 < a->count) m = SV_MODE_EXACT;
  *mode = m;
  return SV_OK;
}

int sv_search(sv_shard *s, const float *query, uint32_t dim, const sv_search_options *o,
              sv_results *out) {
  return sv_search_ex(s, query, dim, o, NULL, out, NULL);
}

int sv_search_ex(sv_shard *s, const float *query, uint32_t dim, const sv_search_options *o,
                 const sv_ann_options *ann_in, sv_results *out, const char **plan) {
  static const sv_ann_options defaults = {SV_MODE_AUTO, 0, 0};
  const sv_ann_options *ann = ann_in ? ann_in : &defaults;
  const char *ran = "exact";
  int rc, db_locked = 0, in_read = 0, savepoint = 0, arena_locked = 0;
  float *q = NULL;
  uint64_t *bm = NULL;
  sqlite3_stmt *fst = NULL;
  sv_topk_entry *heap = NULL;
  size_t matches = 0;

  int mode = SV_MODE_EXACT;
  if (out) {
    out->n = 0;
    out->hits = NULL;
  }
  if (!s) return SV_EINVAL;
  if (!out) return sv__fail(s, SV_EINVAL, "results pointer is NULL");
  if ((rc = check_query(s, query, dim, o, ann, &q)) != SV_OK) goto done;

  sv__db_lock(s);
  db_locked = 1;
  if (o->filter && (rc = sv__filter_compile(s, o->filter, &fst)) != SV_OK) goto done;
  int idle = !sv__host_writing(s);
  if ((rc = sv__tx_begin_read(s, &savepoint)) != SV_OK) goto done;
  in_read = 1;
  if ((rc = sv__mirror_sync(s, idle)) != SV_OK) goto done;
  sv_rwlock_rdlock(&s->arena_lock);
  arena_locked = 1;
  const sv_arena *a = &s->arena;
  if (fst) {
    rc = filter_bitmap(s, fst, &bm, &matches);
    sqlite3_finalize(fst); /* touches the connection: only under db_mu */
    fst = NULL;
    if (rc != SV_OK) goto done;
  }
  if (!o->with_metadata) {
    sv__tx_end_read(s, savepoint);
    in_read = 0;
    sv__db_unlock(s);
    db_locked = 0;
  }

  if ((rc = plan_search(s, ann, a, bm != NULL, matches, &mode)) != SV_OK) goto done;
  if (mode == SV_MODE_EXACT) ran = bm ? "exact-prefilter" : "exact";
  size_t candidates = bm ? matches : a->count;
  size_t k = o->k < candidates ? o->k : candidates;
  if (k == 0) goto done;
  heap = malloc(k * sizeof *heap);
  out->hits = calloc(k, sizeof *out->hits);
  if (!heap || !out->hits) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory for %zu results", k);
    goto done;
  }
  sv_topk top;
  sv_topk_init(&top, heap, k);
  scan sc;
  sc.kern = pick_kernels(a, q);
  sc.a = a;
  sc.metric = s->metric;
  sc.q = q;
  sc.top = &top;
  sc.use_threshold = o->use_threshold;
  sc.threshold = o->threshold;
  int l2 = s->metric == SV_METRIC_L2;
  if (mode == SV_MODE_QUANTIZED || mode == SV_MODE_BINARY) {
    int bin = mode == SV_MODE_BINARY;
    size_t over = ann->oversample ? ann->oversample
                  : bin           ? SV_DEFAULT_OVERSAMPLE_BINARY
                                  : SV_DEFAULT_OVERSAMPLE_INT8;
    ran = bin ? "quantized-binary" : "quantized-int8";
    if (sv__ann_quantized(a, sc.kern, l2, q, bm, bin, k * over, push_slot, &sc) != SV_OK) {
      rc = sv__fail(s, SV_ENOMEM, "out of memory for a quantized scan");
      goto done;
    }
  } else if (mode == SV_MODE_HNSW) {
    size_t ef = ann->ef ? ann->ef : SV_DEFAULT_EF_SEARCH;
    long got = sv__ann_hnsw(a, q, k, ef, bm, push_slot, &sc);
    if (got < 0) {
      rc = sv__fail(s, SV_ENOMEM, "out of memory for an HNSW search");
      goto done;
    }
    ran = bm ? "hnsw-filtered" : "hnsw";
    if (bm && (size_t)got < k) { /* the graph missed matching rows: scan them */
      sv_topk_init(&top, heap, k);
      mode = SV_MODE_EXACT;
    }
  }
  if (mode == SV_MODE_EXACT) {
    ran = bm ? "exact-prefilter" : "exact";
    if (bm)
      scan_bitmap(&sc, bm);
    else
      scan_all(&sc);
  }
  sv_topk_sort(&top);
  for (size_t i = 0; i < top.n; i++) {
    out->hits[i].id = top.e[i].id;
    out->hits[i].score = score_of(s->metric, top.e[i].key);
  }
  out->n = top.n;
  sv_rwlock_rdunlock(&s->arena_lock);
  arena_locked = 0;
  if (o->with_metadata) rc = fetch_metadata(s, out);

done:
  assert(!fst || db_locked);
  sqlite3_finalize(fst);
  if (arena_locked) sv_rwlock_rdunlock(&s->arena_lock);
  if (in_read) sv__tx_end_read(s, savepoint);
  if (db_locked) sv__db_unlock(s);
  free(bm);
  free(heap);
  free(q);
  if (rc != SV_OK && out) sv_results_free(out);
  if (plan) *plan = ran;
  return rc;
}

void sv_results_free(sv_results *res) {
  if (!res) return;
  if (res->hits)
    for (size_t i = 0; i < res->n; i++) free(res->hits[i].metadata);
  free(res->hits);
  res->hits = NULL;
  res->n = 0;
}
