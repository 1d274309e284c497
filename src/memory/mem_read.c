/*
** mem_read.c — reading items back, and the IDF statistics.
**
** sv_mem_get copies one mem_items row (plus the number of contradiction
** links it takes part in) into caller-owned strings.  The IDF step reads
** the per-dimension document counts kept by mem_write.c and re-weights a
** query: q[j] *= ln(1 + (N - df[j] + 0.5) / (df[j] + 0.5)).  Only the
** query changes, so stored vectors never do and any index keeps working;
** the ranking ignores the query's norm, so it is not renormalised (the
** store's cosine does that anyway).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

int sv__mem_apply_idf(sv_mem *m, float *q) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  uint32_t dim = m->emb->dim;
  if (!m->emb->sparse) return SV_OK;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT (SELECT value FROM mem_meta WHERE key = 'df'),"
                             " (SELECT value FROM mem_meta WHERE key = 'df_n')",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) sqlrc = sqlite3_step(st);
  if (sqlrc != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "reading document counts");
    goto done;
  }
  const unsigned char *df = sqlite3_column_blob(st, 0);
  double n = (double)sqlite3_column_int64(st, 1);
  if ((size_t)sqlite3_column_bytes(st, 0) != (size_t)dim * 4 || !df) {
    rc = sv__mem_fail(m, SV_EFORMAT, "document counts have the wrong size");
    goto done;
  }
  for (uint32_t j = 0; j < dim; j++) {
    if (q[j] == 0.0f) continue;
    const unsigned char *p = df + 4 * (size_t)j;
    double c = (double)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24);
    if (c > n) c = n;
    q[j] = (float)(q[j] * log(1.0 + (n - c + 0.5) / (c + 0.5)));
  }
done:
  sqlite3_finalize(st);
  return rc;
}

int sv_mem_count(sv_mem *m, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  if (!m || !out) return m ? sv__mem_fail(m, SV_EINVAL, "NULL argument") : SV_EINVAL;
  MEM_LOCK(m);
  sqlrc = sqlite3_prepare_v2(m->db, "SELECT count(*) FROM mem_items", -1, &st, NULL);
  if (sqlrc == SQLITE_OK) sqlrc = sqlite3_step(st);
  if (sqlrc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
  } else {
    rc = sv__mem_sqlfail(m, sqlrc, "counting items");
  }
  sqlite3_finalize(st);
  MEM_UNLOCK(m);
  return rc;
}

void sv_mem_item_free(sv_mem_item *it) {
  if (!it) return;
  free(it->title);
  free(it->description);
  free(it->content);
  free(it->domain);
  free(it->tags);
  free(it->source_task);
  memset(it, 0, sizeof *it);
}

int sv_mem_get(sv_mem *m, int64_t id, sv_mem_item *out) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc;
  if (!m || !out) return m ? sv__mem_fail(m, SV_EINVAL, "NULL argument") : SV_EINVAL;
  memset(out, 0, sizeof *out);
  MEM_LOCK(m);
  sqlrc = sqlite3_prepare_v2(
      m->db,
      "SELECT id, title, description, content, domain, tags, source_task, outcome, created_ms,"
      " last_used_ms, uses, successes, evidence, coalesce(quality, 0),"
      " (SELECT count(*) FROM mem_links WHERE relation = 'contradicts' AND (src = ?1 OR dst = ?1))"
      " FROM mem_items WHERE id = ?1",
      -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    sqlrc = sqlite3_step(st);
  }
  if (sqlrc == SQLITE_DONE) {
    rc = sv__mem_fail(m, SV_ENOTFOUND, "no memory item with id %lld", (long long)id);
    goto done;
  }
  if (sqlrc != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "reading the item");
    goto done;
  }
  out->id = sqlite3_column_int64(st, 0);
  char **dst[] = {&out->title,  &out->description, &out->content,
                  &out->domain, &out->tags,        &out->source_task};
  for (int i = 0; i < 6; i++) {
    if (sv__strdup((const char *)sqlite3_column_text(st, i + 1), dst[i]) != 0) {
      rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
      goto done;
    }
  }
  out->outcome = sqlite3_column_int(st, 7);
  out->created_ms = sqlite3_column_int64(st, 8);
  out->last_used_ms = sqlite3_column_int64(st, 9);
  out->uses = sqlite3_column_int64(st, 10);
  out->successes = sqlite3_column_int64(st, 11);
  out->evidence = sqlite3_column_int64(st, 12);
  out->quality = sqlite3_column_double(st, 13);
  out->contradictions = sqlite3_column_int(st, 14);
  out->reliability = (double)(out->successes + 1) / (double)(out->uses + 2);
done:
  if (rc != SV_OK) sv_mem_item_free(out);
  sqlite3_finalize(st);
  MEM_UNLOCK(m);
  return rc;
}
