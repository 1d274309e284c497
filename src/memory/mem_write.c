/*
** mem_write.c — writing memory items: texts, experiences, outcomes.
**
** Every write is one BEGIN IMMEDIATE transaction on the memory connection,
** and the vector shard (opened on the same connection) writes inside it as
** a savepoint, so an item's row, its FTS5 row, the document counts for
** query IDF and its vector are committed together or not at all.  All
** input is checked and every text embedded *before* the transaction
** starts: a bad item or a failing embedder leaves the file untouched.
**
** Item ids come from mem_items (AUTOINCREMENT, never reused) and are the
** vector ids in the shard as well.  The vector's metadata is a small JSON
** object built by SQLite's json_object() (so escaping is SQLite's), with
** the fields a search filter may name: kind, outcome, domain, tags (or the
** caller's own object for plain texts).
**
** store_experience (ReasoningBank): quality from the task's outcome and
** signals (formula in the header and docs/MEMORY.md); below min_quality
** nothing is stored.  Each item is embedded from "task title description
** content" (the paper keys memories by their task); an item whose cosine
** with a stored item of the same outcome is at least dup_threshold is
** merged into it (evidence + 1, the better quality kept) instead of stored.
*/
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

/* ---- document counts for query IDF ---- */

int sv__mem_df_update(sv_mem *m, const float *v, int sign) {
  uint32_t dim = m->emb->dim;
  assert(!sqlite3_get_autocommit(m->db)); /* only inside a transaction */
  if (!m->df_delta && !(m->df_delta = calloc(dim, sizeof *m->df_delta))) {
    return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  }
  for (uint32_t j = 0; j < dim; j++) {
    if (v[j] != 0.0f) m->df_delta[j] += sign > 0 ? 1 : -1;
  }
  m->n_delta += sign > 0 ? 1 : -1;
  m->df_dirty = 1;
  return SV_OK;
}

/* Write the pending document counts (called by sv__mem_commit). */
int sv__mem_df_flush(sv_mem *m) {
  sqlite3_stmt *st = NULL;
  unsigned char *df = NULL;
  uint32_t dim = m->emb->dim;
  int rc = SV_OK, sqlrc;
  if (!m->df_dirty) return SV_OK;
  sqlrc = sqlite3_prepare_v2(m->db, "SELECT value FROM mem_meta WHERE key = 'df'", -1, &st, NULL);
  if (sqlrc == SQLITE_OK) sqlrc = sqlite3_step(st);
  if (sqlrc != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "reading document counts");
    goto done;
  }
  if ((size_t)sqlite3_column_bytes(st, 0) != (size_t)dim * 4) {
    rc = sv__mem_fail(m, SV_EFORMAT, "document counts have the wrong size");
    goto done;
  }
  df = malloc((size_t)dim * 4);
  if (!df) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(df, sqlite3_column_blob(st, 0), (size_t)dim * 4);
  sqlite3_finalize(st);
  st = NULL;
  for (uint32_t j = 0; j < dim; j++) {
    if (m->df_delta[j] == 0) continue;
    unsigned char *p = df + 4 * (size_t)j;
    int64_t c = (int64_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                          (uint32_t)p[3] << 24);
    c += m->df_delta[j];
    if (c < 0) c = 0;
    if (c > UINT32_MAX) c = UINT32_MAX;
    p[0] = (unsigned char)c, p[1] = (unsigned char)(c >> 8), p[2] = (unsigned char)(c >> 16),
    p[3] = (unsigned char)(c >> 24);
  }
  sqlrc = sqlite3_prepare_v2(m->db,
                             "UPDATE mem_meta SET value = CASE key WHEN 'df' THEN ?1"
                             " ELSE max(0, value + ?2) END WHERE key IN ('df', 'df_n')",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_blob(st, 1, df, (int)dim * 4, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->n_delta);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_DONE) rc = sv__mem_sqlfail(m, sqlrc, "updating document counts");
done:
  sqlite3_finalize(st);
  free(df);
  sv__mem_df_reset(m);
  return rc;
}

void sv__mem_df_reset(sv_mem *m) {
  if (m->df_delta) memset(m->df_delta, 0, m->emb->dim * sizeof *m->df_delta);
  m->n_delta = 0;
  m->df_dirty = 0;
}

/* ---- rows ---- */

int sv__mem_insert_row(sv_mem *m, const sv_mem_row *r, const float *v, int64_t *id) {
  sqlite3_stmt *st = NULL;
  char *meta = NULL;
  int rc = SV_OK, sqlrc;
  static const char *const OUTCOMES[] = {"none", "success", "failure"};
  assert(r->outcome >= 0 && r->outcome <= 2);
  sqlrc = sqlite3_prepare_v2(
      m->db,
      "INSERT INTO mem_items(title, description, content, outcome, domain, tags, source_task,"
      " created_ms, last_used_ms, quality) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
      " RETURNING id, coalesce(?10, json_object('kind', CASE WHEN ?4 = 0 THEN 'text' ELSE 'item'"
      " END, 'outcome', ?11, 'domain', ?5, 'tags', json(coalesce(?6, '[]'))))",
      -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, r->title ? r->title : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->content, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->outcome);
    sqlite3_bind_text(st, 5, r->domain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->source_task, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->now_ms);
    if (r->outcome) sqlite3_bind_double(st, 9, r->quality);
    sqlite3_bind_text(st, 10, r->metadata, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, OUTCOMES[r->outcome], -1, SQLITE_STATIC);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "inserting the item");
    goto done;
  }
  *id = sqlite3_column_int64(st, 0);
  if (sv__strdup((const char *)sqlite3_column_text(st, 1), &meta) != 0) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "INSERT INTO mem_fts(rowid, title, description, content, tags)"
                             " VALUES (?1, ?2, ?3, ?4, (SELECT group_concat(value, ' ')"
                             " FROM json_each(coalesce(?5, '[]'))))",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_text(st, 2, r->title ? r->title : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->content, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->tags, -1, SQLITE_STATIC);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_DONE) {
    rc = sv__mem_sqlfail(m, sqlrc, "indexing the item text");
    goto done;
  }
  rc = sv_insert_id(m->shard, *id, v, m->emb->dim, meta);
  if (rc != SV_OK) {
    rc = sv__mem_shardfail(m, rc, "storing the vector");
    goto done;
  }
  rc = sv__mem_df_update(m, v, +1);
done:
  sqlite3_finalize(st);
  free(meta);
  return rc;
}

int sv__mem_delete_row(sv_mem *m, int64_t id) {
  sv_record rec;
  sqlite3_stmt *st = NULL;
  int rc, sqlrc;
  memset(&rec, 0, sizeof rec);
  rc = sv_get(m->shard, id, &rec);
  if (rc != SV_OK) {
    rc = rc == SV_ENOTFOUND ? sv__mem_fail(m, rc, "no memory item with id %lld", (long long)id)
                            : sv__mem_shardfail(m, rc, "reading the vector");
    goto done;
  }
  if ((rc = sv__mem_df_update(m, rec.vec, -1)) != SV_OK) goto done;
  if ((rc = sv_delete(m->shard, id)) != SV_OK) {
    rc = sv__mem_shardfail(m, rc, "deleting the vector");
    goto done;
  }
  sqlrc = sqlite3_prepare_v2(m->db, "DELETE FROM mem_fts WHERE rowid = ?1;", -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    sqlrc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (sqlrc == SQLITE_DONE) {
    sqlrc = sqlite3_prepare_v2(m->db, "DELETE FROM mem_items WHERE id = ?1", -1, &st, NULL);
    if (sqlrc == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, id);
      sqlrc = sqlite3_step(st);
    }
  }
  if (sqlrc != SQLITE_DONE) rc = sv__mem_sqlfail(m, sqlrc, "deleting the item");
done:
  sqlite3_finalize(st);
  sv_record_free(&rec);
  return rc;
}

int sv__mem_embed1(sv_mem *m, const char *text, float *v) {
  const char *t[1] = {text};
  int rc = sv_embed(m->emb, t, 1, v);
  if (rc != SV_OK) return sv__mem_fail(m, rc, "%s", sv_embedder_errmsg(m->emb));
  for (uint32_t j = 0; j < m->emb->dim; j++) {
    if (v[j] != 0.0f) return SV_OK;
  }
  return sv__mem_fail(m, SV_EINVAL,
                      "the text has no indexable words (only stopwords, punctuation or spaces)");
}

static int check_writable(sv_mem *m) {
  if (m->readonly) return sv__mem_fail(m, SV_EREADONLY, "the memory file is open read-only");
  return SV_OK;
}

/* Tags: NULL, or a JSON array of strings each at most SV_MEM_MAX_SHORT bytes. */
static int check_tags(sv_mem *m, const char *tags, const char *what) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  char err[256];
  if (!tags) return SV_OK;
  if (sv__check_text(tags, what, 4096, 1, err, sizeof err) != SV_OK) {
    return sv__mem_fail(m, SV_EINVAL, "%s", err);
  }
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT json_valid(?1) AND json_type(?1) = 'array' AND NOT EXISTS"
                             " (SELECT 1 FROM json_each(?1) WHERE type != 'text' OR"
                             " length(CAST(value AS BLOB)) > ?2 OR value = '')",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, tags, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, SV_MEM_MAX_SHORT);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "checking tags");
  } else if (!sqlite3_column_int(st, 0)) {
    rc = sv__mem_fail(m, SV_EJSON,
                      "%s must be a JSON array of non-empty strings of at most %d bytes", what,
                      SV_MEM_MAX_SHORT);
  }
  sqlite3_finalize(st);
  return rc;
}

int sv_mem_add_texts(sv_mem *m, const char *const *texts, size_t n, const char *metadata,
                     int64_t *ids) {
  float *vecs = NULL;
  int rc = SV_OK, in_tx = 0;
  int64_t now;
  if (!m) return SV_EINVAL;
  MEM_LOCK(m);
  if ((rc = check_writable(m)) != SV_OK) goto done;
  if (!texts || n == 0) {
    rc = sv__mem_fail(m, SV_EINVAL, "no texts given");
    goto done;
  }
  if (n > SIZE_MAX / 4 / m->emb->dim || !(vecs = malloc(n * m->emb->dim * sizeof *vecs))) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if ((rc = sv__mem_embed1(m, texts[i], vecs + i * m->emb->dim)) != SV_OK) {
      char keep[sizeof m->err];
      snprintf(keep, sizeof keep, "%s", m->err);
      rc = sv__mem_fail(m, rc, "text %zu: %s", i, keep);
      goto done;
    }
  }
  if ((rc = sv__mem_begin(m)) != SV_OK) goto done;
  in_tx = 1;
  now = sv__now_ms();
  for (size_t i = 0; i < n; i++) {
    sv_mem_row r = {.title = "", .content = texts[i], .metadata = metadata, .now_ms = now};
    int64_t id;
    if ((rc = sv__mem_insert_row(m, &r, vecs + i * m->emb->dim, &id)) != SV_OK) goto done;
    if (ids) ids[i] = id;
  }
  in_tx = 0;
  rc = sv__mem_commit(m);
done:
  if (in_tx) sv__mem_rollback(m);
  free(vecs);
  MEM_UNLOCK(m);
  return rc;
}

/* quality = (success ? .6 : .1) + .2 max(0, 1 - d/60000) + .1 max(0, 1 - tok/10000)
**         + .1 max(0, 1 - it/5), capped at 1.  An unknown signal (negative, or
** no signals at all) contributes half its weight: neither rewarded nor
** punished, so a failure lesson without signals (0.3) still passes the
** default floor and a success without signals scores 0.8. */
static double quality_of(int success, const sv_mem_signals *s) {
  double q = success ? 0.6 : 0.1;
  double d = s ? s->duration_ms : -1, t = s ? s->tokens : -1, it = s ? s->iterations : -1;
  q += d >= 0 ? 0.2 * fmax(0.0, 1.0 - d / 60000.0) : 0.1;
  q += t >= 0 ? 0.1 * fmax(0.0, 1.0 - t / 10000.0) : 0.05;
  q += it >= 0 ? 0.1 * fmax(0.0, 1.0 - it / 5.0) : 0.05;
  return fmin(q, 1.0);
}

/* "task title description content": the text an item is embedded from. */
static char *item_text(const char *task, const sv_mem_item_in *it) {
  size_t n = strlen(task) + strlen(it->title) + strlen(it->content) +
             (it->description ? strlen(it->description) : 0) + 4;
  char *s = malloc(n);
  if (s) {
    snprintf(s, n, "%s %s %s %s", task, it->title, it->description ? it->description : "",
             it->content);
  }
  return s;
}

int sv_mem_store_experience(sv_mem *m, const char *task, int success, const sv_mem_item_in *items,
                            size_t n, const sv_mem_signals *signals,
                            const sv_mem_store_options *opts, sv_mem_store_result *out) {
  sv_mem_store_options o = {.min_quality = 0.3, .dup_threshold = 0.92};
  float *vecs = NULL;
  char err[256];
  int rc = SV_OK, in_tx = 0;
  sv_results near = {0, NULL};
  if (!m) return SV_EINVAL;
  MEM_LOCK(m);
  if (opts) {
    if (opts->min_quality != 0) o.min_quality = opts->min_quality;
    if (opts->dup_threshold != 0) o.dup_threshold = opts->dup_threshold;
    o.now_ms = opts->now_ms;
  }
  if (!o.now_ms) o.now_ms = sv__now_ms();
  if ((rc = check_writable(m)) != SV_OK) goto done;
  if (!out || !items || n == 0 || n > SV_MEM_MAX_ITEMS_PER_EXPERIENCE) {
    rc = sv__mem_fail(m, SV_EINVAL, "store_experience needs 1..%d items and a result struct",
                      SV_MEM_MAX_ITEMS_PER_EXPERIENCE);
    goto done;
  }
  if (!(o.min_quality >= 0 && o.min_quality <= 1) ||
      !(o.dup_threshold > 0 && o.dup_threshold <= 1)) {
    rc = sv__mem_fail(m, SV_EINVAL, "min_quality must be in [0,1] and dup_threshold in (0,1]");
    goto done;
  }
  if (signals &&
      (isnan(signals->duration_ms) || isnan(signals->tokens) || isnan(signals->iterations))) {
    rc = sv__mem_fail(m, SV_EINVAL, "signals must be numbers (negative = unknown)");
    goto done;
  }
  memset(out, 0, sizeof *out);
  if ((rc = sv__check_text(task, "task", SV_MEM_MAX_TEXT, 1, err, sizeof err)) != SV_OK) {
    rc = sv__mem_fail(m, rc, "%s", err);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    const sv_mem_item_in *it = &items[i];
    char w[64];
    int r2 = SV_OK;
#define CHK(field, what, max, req)                            \
  if (r2 == SV_OK) {                                          \
    snprintf(w, sizeof w, "item %zu %s", i, what);            \
    r2 = sv__check_text(field, w, max, req, err, sizeof err); \
  }
    CHK(it->title, "title", SV_MEM_MAX_TEXT, 1)
    CHK(it->description, "description", SV_MEM_MAX_TEXT, 0)
    CHK(it->content, "content", SV_MEM_MAX_TEXT, 1)
    CHK(it->domain, "domain", SV_MEM_MAX_SHORT, 0)
#undef CHK
    if (r2 != SV_OK) {
      rc = sv__mem_fail(m, r2, "%s", err);
      goto done;
    }
    snprintf(w, sizeof w, "item %zu tags", i);
    if ((rc = check_tags(m, it->tags, w)) != SV_OK) goto done;
  }
  out->n = n;
  out->quality = quality_of(success, signals);
  if (out->quality < o.min_quality) {
    for (size_t i = 0; i < n; i++) out->actions[i] = SV_MEM_SKIPPED;
    goto done;
  }
  if (!(vecs = malloc(n * m->emb->dim * sizeof *vecs))) {
    rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    char *t = item_text(task, &items[i]);
    if (!t) {
      rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
      goto done;
    }
    rc = sv__mem_embed1(m, t, vecs + i * m->emb->dim);
    free(t);
    if (rc != SV_OK) goto done;
  }
  if ((rc = sv__mem_begin(m)) != SV_OK) goto done;
  in_tx = 1;
  for (size_t i = 0; i < n; i++) {
    const float *v = vecs + i * m->emb->dim;
    int outcome = success ? SV_MEM_OUTCOME_SUCCESS : SV_MEM_OUTCOME_FAILURE;
    sv_search_options so = {
        .k = 1,
        .use_threshold = 1,
        .threshold = (float)o.dup_threshold,
        .filter = success ? "{\"outcome\":\"success\"}" : "{\"outcome\":\"failure\"}"};
    sv_results_free(&near);
    if ((rc = sv_search(m->shard, v, m->emb->dim, &so, &near)) != SV_OK) {
      rc = sv__mem_shardfail(m, rc, "looking for duplicates");
      goto done;
    }
    if (near.n > 0) {
      sqlite3_stmt *st = NULL;
      int sqlrc = sqlite3_prepare_v2(m->db,
                                     "UPDATE mem_items SET evidence = evidence + 1,"
                                     " quality = max(coalesce(quality, 0), ?2) WHERE id = ?1",
                                     -1, &st, NULL);
      if (sqlrc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, near.hits[0].id);
        sqlite3_bind_double(st, 2, out->quality);
        sqlrc = sqlite3_step(st);
      }
      sqlite3_finalize(st);
      if (sqlrc != SQLITE_DONE) {
        rc = sv__mem_sqlfail(m, sqlrc, "merging a duplicate");
        goto done;
      }
      out->ids[i] = near.hits[0].id;
      out->actions[i] = SV_MEM_MERGED;
    } else {
      sv_mem_row r = {.title = items[i].title,
                      .description = items[i].description,
                      .content = items[i].content,
                      .domain = items[i].domain,
                      .tags = items[i].tags,
                      .source_task = task,
                      .outcome = outcome,
                      .quality = out->quality,
                      .now_ms = o.now_ms};
      if ((rc = sv__mem_insert_row(m, &r, v, &out->ids[i])) != SV_OK) goto done;
      out->actions[i] = SV_MEM_STORED;
    }
  }
  in_tx = 0;
  rc = sv__mem_commit(m);
done:
  if (in_tx) sv__mem_rollback(m);
  if (rc != SV_OK && out) memset(out, 0, sizeof *out);
  sv_results_free(&near);
  free(vecs);
  MEM_UNLOCK(m);
  return rc;
}

int sv_mem_record_outcome(sv_mem *m, int64_t id, int success, int64_t now_ms) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  if (!m) return SV_EINVAL;
  MEM_LOCK(m);
  if ((rc = check_writable(m)) != SV_OK) goto done;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "UPDATE mem_items SET uses = uses + 1, successes = successes + ?2,"
                             " last_used_ms = max(last_used_ms, ?3) WHERE id = ?1",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, success ? 1 : 0);
    sqlite3_bind_int64(st, 3, now_ms ? now_ms : sv__now_ms());
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc != SQLITE_DONE) {
    rc = sv__mem_sqlfail(m, sqlrc, "recording the outcome");
  } else if (sqlite3_changes(m->db) == 0) {
    rc = sv__mem_fail(m, SV_ENOTFOUND, "no memory item with id %lld", (long long)id);
  }
done:
  sqlite3_finalize(st);
  MEM_UNLOCK(m);
  return rc;
}

int sv_mem_delete(sv_mem *m, int64_t id) {
  int rc;
  if (!m) return SV_EINVAL;
  MEM_LOCK(m);
  if ((rc = check_writable(m)) != SV_OK) goto done;
  if ((rc = sv__mem_begin(m)) != SV_OK) goto done;
  rc = sv__mem_delete_row(m, id);
  if (rc == SV_OK) {
    rc = sv__mem_commit(m);
  } else {
    sv__mem_rollback(m);
  }
done:
  MEM_UNLOCK(m);
  return rc;
}
