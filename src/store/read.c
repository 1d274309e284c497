/*
** read.c — fetching one row and reporting shard statistics.
**
** sv_get reads straight from the database (not the arena), so it returns
** the vector exactly as it was written, not the normalised copy a cosine
** arena holds, and it sees other processes' writes without a refresh.
**
** Statistics avoid scanning the table: the total row count comes from the
** smallest index (SQLite counts sv_vectors_version's entries) and the
** tombstone count from the partial index sv_vectors_tombstones, which holds
** only deleted rows; live rows are the difference.  Both run in one read
** snapshot so they agree with each other and with the version reported.
*/
#include <stdlib.h>
#include <string.h>

#include "store/shard.h"

static int get_row(sv_shard *s, int64_t id, sv_record *out) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_GET_ROW, &rc);
  if (!st) return rc;
  sqlite3_bind_int64(st, 1, id);
  int src = sqlite3_step(st);
  if (src == SQLITE_DONE) {
    rc = sv__fail(s, SV_ENOTFOUND, "no live row with id %lld", (long long)id);
  } else if (src != SQLITE_ROW) {
    rc = sv__fail_sql(s, src, "reading a row");
  } else {
    const void *blob = sqlite3_column_blob(st, 0);
    size_t bytes = (size_t)sqlite3_column_bytes(st, 0);
    const char *meta = (const char *)sqlite3_column_text(st, 1);
    size_t mlen = meta ? (size_t)sqlite3_column_bytes(st, 1) : 2;
    if (!blob || bytes != (size_t)s->dim * sizeof(float)) {
      rc = sv__fail(s, SV_EFORMAT, "damaged shard: row %lld has a %zu-byte vector", (long long)id,
                    bytes);
    } else {
      out->vec = malloc(bytes);
      out->metadata = malloc(mlen + 1);
      if (!out->vec || !out->metadata) {
        rc = sv__fail(s, SV_ENOMEM, "out of memory reading a row");
      } else {
        sv__blob_to_floats(out->vec, blob, s->dim);
        memcpy(out->metadata, meta ? meta : "{}", mlen);
        out->metadata[mlen] = '\0';
        out->id = id;
        out->dim = s->dim;
        out->version = sqlite3_column_int64(st, 2);
        out->hlc = sqlite3_column_int64(st, 3);
        out->origin = sqlite3_column_int64(st, 4);
      }
    }
  }
  sqlite3_reset(st);
  return rc;
}

int sv_get(sv_shard *s, int64_t id, sv_record *out) {
  if (out) memset(out, 0, sizeof *out);
  if (!s) return SV_EINVAL;
  if (!out) return sv__fail(s, SV_EINVAL, "record pointer is NULL");
  sv__db_lock(s);
  int rc = get_row(s, id, out);
  sv__db_unlock(s);
  if (rc != SV_OK) sv_record_free(out);
  return rc;
}

void sv_record_free(sv_record *rec) {
  if (!rec) return;
  free(rec->vec);
  free(rec->metadata);
  memset(rec, 0, sizeof *rec);
}

static int pragma_int(sv_shard *s, const char *name, int64_t *out) {
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf("PRAGMA \"%w\".%s", s->schema, name);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  *out = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (src != SQLITE_ROW) return sv__fail_sql(s, src, "reading the file size");
  return SV_OK;
}

static int stats_locked(sv_shard *s, sv_stats *out) {
  int64_t all = 0, dead = 0, pages = 0, page_size = 0;
  sv_meta_state m;
  int rc;
  if ((rc = sv__meta_state(s, &m)) != SV_OK) return rc;
  if ((rc = sv__count(s, SV_STMT_COUNT_ALL, &all)) != SV_OK) return rc;
  if ((rc = sv__count(s, SV_STMT_COUNT_DELETED, &dead)) != SV_OK) return rc;
  if (!s->in_memory) {
    if ((rc = pragma_int(s, "page_count", &pages)) != SV_OK) return rc;
    if ((rc = pragma_int(s, "page_size", &page_size)) != SV_OK) return rc;
  }
  out->count = (uint64_t)(all - dead);
  out->deleted = (uint64_t)dead;
  out->file_size = (uint64_t)pages * (uint64_t)page_size;
  out->version = m.version;
  return SV_OK;
}

int sv_shard_stats(sv_shard *s, sv_stats *out) {
  if (out) memset(out, 0, sizeof *out);
  if (!s) return SV_EINVAL;
  if (!out) return sv__fail(s, SV_EINVAL, "stats pointer is NULL");
  out->dim = s->dim;
  out->metric = s->metric;
  out->format_version = s->format_version;
  out->node_id = s->node_id;
  memcpy(out->shard_id, s->shard_id, sizeof out->shard_id);
  out->simd = sv_simd_backend();
  sv__db_lock(s);
  int savepoint = 0;
  int rc = sv__tx_begin_read(s, &savepoint);
  if (rc == SV_OK) {
    rc = stats_locked(s, out);
    sv__tx_end_read(s, savepoint);
  }
  sv__db_unlock(s);
  return rc;
}
