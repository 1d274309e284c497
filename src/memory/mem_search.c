/*
** mem_search.c — retrieval: vector, BM25, their RRF fusion, and patterns.
**
** Vector list: the query is embedded, re-weighted by query-side IDF (hash
** embedders only, mem_read.c), and searched exactly in the shard by cosine.
** BM25 list: the query's hash-v1 tokens (so stopwords match what the
** vectors ignore), each double-quoted so no token is read as FTS5 syntax,
** joined with OR and ranked by FTS5's bm25() over title, description,
** content and tags.  Hybrid: weighted reciprocal-rank fusion,
** score(d) = sum over lists of w / (rrf_k + rank(d)), ranks from 1; ties go
** to the smaller id so results are deterministic.
**
** A metadata filter is the shard's filter language.  The vector list
** applies it in the scan; for the BM25 list the set of matching ids is
** taken from one filtered scan of the shard, and BM25 hits outside it are
** dropped, so both lists obey the same filter.
**
** find_patterns (ReasoningBank retrieval) scores vector candidates with
** alpha*similarity + beta*2^(-age/half_life) + gamma*(s+1)/(u+2), optionally
** picking them greedily by maximal marginal relevance with an explicit
** lambda (relevance weight): lambda*score - (1-lambda)*max cosine to the
** items already picked.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

typedef struct cand {
  int64_t id;
  double score, sim;
} cand;

static int cmp_cand_id(const void *a, const void *b) {
  const cand *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_cand_score(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* The IDF-weighted query vector (malloc'd) of text. */
static int query_vector(sv_mem *m, const char *text, float **out) {
  int rc;
  *out = malloc(m->emb->dim * sizeof **out);
  if (!*out) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  rc = sv__mem_embed1(m, text, *out);
  if (rc == SV_OK) rc = sv__mem_apply_idf(m, *out);
  if (rc != SV_OK) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

/* FTS5 query of text's tokens, "t1" OR "t2" ...; NULL error, "" no tokens. */
static char *fts_query(const char *text) {
  sv_tokens tk;
  char *q = NULL;
  if (sv__tokenize(text, &tk) != 0) return NULL;
  size_t n = 1;
  for (size_t i = 0; i < tk.n; i++) n += strlen(tk.tok[i]) + 6;
  q = malloc(n);
  if (q) {
    size_t w = 0;
    q[0] = '\0';
    for (size_t i = 0; i < tk.n; i++) {
      w += (size_t)snprintf(q + w, n - w, "%s\"%s\"", i ? " OR " : "", tk.tok[i]);
    }
  }
  sv__tokens_free(&tk);
  return q;
}

/* Ids matching filter (sorted) via one filtered scan with vector q. */
static int filter_ids(sv_mem *m, const float *q, const char *filter, int64_t **ids, size_t *n) {
  sv_results r = {0, NULL};
  sv_stats stats;
  int rc = sv_shard_stats(m->shard, &stats);
  *ids = NULL;
  *n = 0;
  if (rc != SV_OK) return sv__mem_shardfail(m, rc, "shard statistics");
  if (stats.count == 0) return SV_OK;
  sv_search_options so = {.k = (uint32_t)(stats.count > UINT32_MAX ? UINT32_MAX : stats.count),
                          .filter = filter};
  rc = sv_search(m->shard, q, m->emb->dim, &so, &r);
  if (rc != SV_OK) {
    rc = sv__mem_shardfail(m, rc, "filter");
    goto done;
  }
  *ids = malloc((r.n ? r.n : 1) * sizeof **ids);
  if (!*ids) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < r.n; i++) (*ids)[i] = r.hits[i].id;
  *n = r.n;
  for (size_t i = 1; i < *n; i++) { /* insertion sort is fine: tiny sets */
    int64_t v = (*ids)[i];
    size_t j = i;
    while (j > 0 && (*ids)[j - 1] > v) (*ids)[j] = (*ids)[j - 1], j--;
    (*ids)[j] = v;
  }
done:
  sv_results_free(&r);
  return rc;
}

static int has_id(const int64_t *ids, size_t n, int64_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && ids[lo] == id;
}

/* BM25 list: up to depth hits, best first. */
static int bm25_list(sv_mem *m, const char *text, uint32_t depth, const int64_t *allow,
                     size_t nallow, int filtered, cand **out, size_t *n) {
  sqlite3_stmt *st = NULL;
  char *q = fts_query(text);
  int rc = SV_OK, sqlrc;
  size_t cap = 0;
  *out = NULL;
  *n = 0;
  if (!q) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  if (!*q) goto done;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT rowid, bm25(mem_fts) FROM mem_fts WHERE mem_fts MATCH ?1"
                             " ORDER BY bm25(mem_fts), rowid LIMIT ?2",
                             -1, &st, NULL);
  if (sqlrc != SQLITE_OK) {
    rc = sv__mem_sqlfail(m, sqlrc, "BM25 query");
    goto done;
  }
  sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
  /* With a filter, read further so filtered-out rows do not starve it. */
  sqlite3_bind_int64(st, 2, filtered ? -1 : (sqlite3_int64)depth);
  while ((sqlrc = sqlite3_step(st)) == SQLITE_ROW && *n < depth) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (filtered && !has_id(allow, nallow, id)) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      cand *c = realloc(*out, cap * sizeof *c);
      if (!c) {
        rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
        goto done;
      }
      *out = c;
    }
    (*out)[(*n)++] = (cand){id, -sqlite3_column_double(st, 1), 0};
  }
  if (sqlrc != SQLITE_ROW && sqlrc != SQLITE_DONE) rc = sv__mem_sqlfail(m, sqlrc, "BM25 query");
done:
  if (rc != SV_OK) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  sqlite3_finalize(st);
  free(q);
  return rc;
}

/* Vector list: up to depth hits by cosine with the IDF-weighted query. */
static int vector_list(sv_mem *m, const float *q, uint32_t depth, const char *filter, float thr,
                       int use_thr, cand **out, size_t *n) {
  sv_results r = {0, NULL};
  sv_search_options so = {.k = depth, .filter = filter, .use_threshold = use_thr, .threshold = thr};
  int rc = sv_search(m->shard, q, m->emb->dim, &so, &r);
  *out = NULL;
  *n = 0;
  if (rc != SV_OK) {
    rc = rc == SV_EJSON || rc == SV_EINVAL ? sv__mem_fail(m, rc, "%s", sv_errmsg(m->shard))
                                           : sv__mem_shardfail(m, rc, "vector search");
    goto done;
  }
  *out = malloc((r.n ? r.n : 1) * sizeof **out);
  if (!*out) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < r.n; i++)
    (*out)[i] = (cand){r.hits[i].id, r.hits[i].score, r.hits[i].score};
  *n = r.n;
done:
  sv_results_free(&r);
  return rc;
}

int sv_mem_search(sv_mem *m, const char *query, const sv_mem_search_options *opts,
                  sv_mem_hits *out) {
  sv_mem_search_options o = {.k = 10, .mode = SV_MEM_HYBRID};
  float *q = NULL;
  cand *vl = NULL, *bl = NULL, *all = NULL;
  size_t nv = 0, nb = 0, na = 0;
  int64_t *allow = NULL;
  size_t nallow = 0;
  char err[256];
  int rc = SV_OK;
  if (!m) return SV_EINVAL;
  if (out) out->n = 0, out->hits = NULL;
  MEM_LOCK(m);
  if (opts) o = *opts;
  if (!o.k) o.k = 10;
  if (o.vector_weight <= 0) o.vector_weight = 0.5;
  if (o.bm25_weight <= 0) o.bm25_weight = 1.0;
  if (!o.rrf_k) o.rrf_k = 60;
  if (!o.depth) o.depth = o.k * 4 > 100 ? o.k * 4 : 100;
  if (o.depth < o.k) o.depth = o.k;
  if (!out || (o.mode != SV_MEM_HYBRID && o.mode != SV_MEM_VECTOR && o.mode != SV_MEM_BM25) ||
      !isfinite(o.vector_weight) || !isfinite(o.bm25_weight)) {
    rc = sv__mem_fail(m, SV_EINVAL, "search: invalid options");
    goto done;
  }
  if ((rc = sv__check_text(query, "query", SV_MEM_MAX_TEXT, 1, err, sizeof err)) != SV_OK) {
    rc = sv__mem_fail(m, rc, "%s", err);
    goto done;
  }
  if ((rc = query_vector(m, query, &q)) != SV_OK) goto done;
  if (o.mode != SV_MEM_BM25 &&
      (rc = vector_list(m, q, o.depth, o.filter, 0, 0, &vl, &nv)) != SV_OK) {
    goto done;
  }
  if (o.mode != SV_MEM_VECTOR) {
    if (o.filter && (rc = filter_ids(m, q, o.filter, &allow, &nallow)) != SV_OK) goto done;
    if ((rc = bm25_list(m, query, o.depth, allow, nallow, o.filter != NULL, &bl, &nb)) != SV_OK) {
      goto done;
    }
  }
  all = malloc((nv + nb + 1) * sizeof *all);
  if (!all) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  if (o.mode == SV_MEM_VECTOR) {
    if (nv) memcpy(all, vl, nv * sizeof *all);
    na = nv;
  } else if (o.mode == SV_MEM_BM25) {
    if (nb) memcpy(all, bl, nb * sizeof *all);
    na = nb;
  } else {
    for (size_t i = 0; i < nv; i++) {
      all[na++] = (cand){vl[i].id, o.vector_weight / (o.rrf_k + i + 1.0), vl[i].sim};
    }
    for (size_t i = 0; i < nb; i++) {
      all[na++] = (cand){bl[i].id, o.bm25_weight / (o.rrf_k + i + 1.0), 0};
    }
    qsort(all, na, sizeof *all, cmp_cand_id);
    size_t w = 0;
    for (size_t i = 0; i < na; i++) {
      if (w > 0 && all[w - 1].id == all[i].id) {
        all[w - 1].score += all[i].score;
        if (all[i].sim != 0) all[w - 1].sim = all[i].sim;
      } else {
        all[w++] = all[i];
      }
    }
    na = w;
  }
  qsort(all, na, sizeof *all, cmp_cand_score);
  if (na > o.k) na = o.k;
  out->hits = malloc((na ? na : 1) * sizeof *out->hits);
  if (!out->hits) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < na; i++) out->hits[i] = (sv_mem_hit){all[i].id, all[i].score, all[i].sim};
  out->n = na;
done:
  free(q);
  free(vl);
  free(bl);
  free(all);
  free(allow);
  MEM_UNLOCK(m);
  return rc;
}

void sv_mem_hits_free(sv_mem_hits *h) {
  if (!h) return;
  free(h->hits);
  h->hits = NULL;
  h->n = 0;
}

/* ---- find_similar_patterns ---- */

typedef struct pcand {
  sv_mem_pattern p;
  float *vec; /* for MMR */
} pcand;

static int cmp_pattern(const void *a, const void *b) {
  const pcand *x = a, *y = b;
  if (x->p.score != y->p.score) return x->p.score > y->p.score ? -1 : 1;
  return x->p.id < y->p.id ? -1 : x->p.id > y->p.id;
}

/* Fill recency and reliability of c from its row. */
static int pattern_stats(sv_mem *m, sqlite3_stmt *st, pcand *c, double now, double half_life) {
  int sqlrc;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, c->p.id);
  sqlrc = sqlite3_step(st);
  if (sqlrc != SQLITE_ROW) {
    return sv__mem_sqlfail(m, sqlrc == SQLITE_DONE ? SQLITE_CORRUPT : sqlrc,
                           "an item of the vector index has no row");
  }
  double last = (double)sqlite3_column_int64(st, 0);
  double uses = (double)sqlite3_column_int64(st, 1), succ = (double)sqlite3_column_int64(st, 2);
  double age_days = fmax(0.0, (now - last) / 86400000.0);
  c->p.recency = pow(2.0, -age_days / half_life);
  c->p.reliability = (succ + 1.0) / (uses + 2.0);
  return SV_OK;
}

int sv_mem_find_patterns(sv_mem *m, const char *task, const sv_mem_pattern_options *opts,
                         sv_mem_patterns *out) {
  sv_mem_pattern_options o = {.k = 1};
  float *q = NULL;
  cand *vl = NULL;
  pcand *pc = NULL;
  size_t nv = 0;
  char err[256], *filter = NULL;
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  if (!m) return SV_EINVAL;
  if (out) out->n = 0, out->p = NULL;
  MEM_LOCK(m);
  if (opts) o = *opts;
  if (!o.k) o.k = 1;
  if (!o.use_threshold) o.threshold = 0.01;
  if (o.alpha == 0 && o.beta == 0 && o.gamma == 0) o.alpha = 0.65, o.beta = 0.15, o.gamma = 0.20;
  if (o.half_life_days == 0) o.half_life_days = 30;
  if (!o.now_ms) o.now_ms = sv__now_ms();
  if (!out || !(o.half_life_days > 0) || !isfinite(o.alpha) || !isfinite(o.beta) ||
      !isfinite(o.gamma) || !(o.mmr_lambda >= 0 && o.mmr_lambda <= 1) || !isfinite(o.threshold) ||
      o.k > 1000) {
    rc = sv__mem_fail(m, SV_EINVAL,
                      "find_patterns: invalid options (k 1..1000, half_life > 0, mmr_lambda 0..1,"
                      " finite weights)");
    goto done;
  }
  if ((rc = sv__check_text(task, "task", SV_MEM_MAX_TEXT, 1, err, sizeof err)) != SV_OK ||
      (rc = sv__check_text(o.domain, "domain", SV_MEM_MAX_SHORT, 0, err, sizeof err)) != SV_OK) {
    rc = sv__mem_fail(m, rc, "%s", err);
    goto done;
  }
  /* {"kind":"item"} or {"kind":"item","domain":...}, escaped by SQLite. */
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT CASE WHEN ?1 IS NULL THEN json_object('kind', 'item')"
                             " ELSE json_object('kind', 'item', 'domain', ?1) END",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, o.domain, -1, SQLITE_STATIC);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_ROW || sv__strdup((const char *)sqlite3_column_text(st, 0), &filter) != 0) {
    rc = sv__mem_sqlfail(m, sqlrc == SQLITE_ROW ? SQLITE_NOMEM : sqlrc, "building the filter");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  if ((rc = query_vector(m, task, &q)) != SV_OK) goto done;
  uint32_t depth = o.k * 10 > 50 ? o.k * 10 : 50;
  if ((rc = vector_list(m, q, depth, filter, (float)o.threshold, 1, &vl, &nv)) != SV_OK) goto done;
  pc = calloc(nv ? nv : 1, sizeof *pc);
  if (!pc) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT max(created_ms, last_used_ms), uses, successes FROM mem_items"
                             " WHERE id = ?1",
                             -1, &st, NULL);
  if (sqlrc != SQLITE_OK) {
    rc = sv__mem_sqlfail(m, sqlrc, "reading items");
    goto done;
  }
  for (size_t i = 0; i < nv; i++) {
    pc[i].p.id = vl[i].id;
    pc[i].p.similarity = vl[i].sim;
    if ((rc = pattern_stats(m, st, &pc[i], (double)o.now_ms, o.half_life_days)) != SV_OK) goto done;
    pc[i].p.score =
        o.alpha * pc[i].p.similarity + o.beta * pc[i].p.recency + o.gamma * pc[i].p.reliability;
  }
  qsort(pc, nv, sizeof *pc, cmp_pattern);
  size_t k = o.k < nv ? o.k : nv;
  if (o.mmr_lambda > 0 && k > 1) {
    /* Greedy MMR over the candidates: vectors are read once each. */
    for (size_t i = 0; i < nv; i++) {
      sv_record rec;
      if ((rc = sv_get(m->shard, pc[i].p.id, &rec)) != SV_OK) {
        rc = sv__mem_shardfail(m, rc, "reading a vector");
        goto done;
      }
      pc[i].vec = rec.vec;
      rec.vec = NULL;
      sv_record_free(&rec);
    }
    for (size_t sel = 1; sel < k; sel++) {
      size_t best = sel;
      double best_v = -INFINITY;
      for (size_t i = sel; i < nv; i++) {
        double maxsim = -1;
        for (size_t j = 0; j < sel; j++) {
          float c = 0;
          sv_vector_score(SV_METRIC_COSINE, pc[i].vec, pc[j].vec, m->emb->dim, &c);
          if (c > maxsim) maxsim = c;
        }
        double v = o.mmr_lambda * pc[i].p.score - (1 - o.mmr_lambda) * maxsim;
        if (v > best_v) best_v = v, best = i;
      }
      pcand t = pc[sel];
      pc[sel] = pc[best];
      pc[best] = t;
    }
  }
  out->p = malloc((k ? k : 1) * sizeof *out->p);
  if (!out->p) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < k; i++) out->p[i] = pc[i].p;
  out->n = k;
done:
  if (pc) {
    for (size_t i = 0; i < nv; i++) free(pc[i].vec);
  }
  sqlite3_finalize(st);
  free(pc);
  free(vl);
  free(q);
  free(filter);
  MEM_UNLOCK(m);
  return rc;
}

void sv_mem_patterns_free(sv_mem_patterns *p) {
  if (!p) return;
  free(p->p);
  p->p = NULL;
  p->n = 0;
}
