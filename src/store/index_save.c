/*
** index_save.c — the HNSW graph saved in the shard, so opening is a load,
** not a rebuild.
**
** The graph lives in memory and is maintained by every write (arena.c);
** the copy in the file is a snapshot, stamped with the sv_meta state
** (version, hlc, epoch) the in-memory graph reflected when it was saved:
**
**   sv_hnsw(chunk INTEGER PRIMARY KEY, first INTEGER, data BLOB)
**   sv_meta: hnsw_saved_version, hnsw_saved_epoch, hnsw_saved_m,
**            hnsw_saved_efc, hnsw_saved_entry, hnsw_saved_top, hnsw_saved_nodes
**
** One write transaction replaces the whole snapshot and its stamp, so a
** crash (kill -9) leaves either the old snapshot or the new one, never a
** mix.  It is saved after sv_index_build and when a handle that changed
** the graph closes.
**
** Why a stale snapshot is still safe to use: the stamp is a committed
** version V (the arena only reflects committed states when saving), every
** later commit carries a version > V, and compaction or an index change
** bumps the epoch.  So on load, with the same epoch and the same M and
** ef_construction, the rows that differ from the snapshot are exactly
** those with version > V (an index range scan).  Their nodes are dropped
** (their ids map to no slot) and the rows are re-added; nodes of rows that
** no longer exist are dropped the same way.  When more than a quarter of
** the rows changed, or the stamp does not match, or anything about the
** blobs is malformed, the graph is rebuilt from the vectors instead: a
** damaged or stale snapshot costs time, never correctness.
*/
#include <stdlib.h>
#include <string.h>

#include "store/hnsw.h"
#include "store/shard.h"

#define CHUNK_NODES 16384

typedef struct idset {
  int64_t *ids;
  size_t n, cap;
} idset;

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

typedef struct loadctx {
  const sv_arena *a;
  idset changed;
} loadctx;

static uint32_t slot_of(void *arg, int64_t id) {
  loadctx *c = arg;
  if (c->changed.n && bsearch(&id, c->changed.ids, c->changed.n, sizeof id, cmp_i64))
    return SV_ARENA_NO_SLOT;
  return sv_arena_find(c->a, id);
}

static int prepare(sv_shard *s, const char *fmt, sqlite3_stmt **st) {
  char *sql = sqlite3_mprintf(fmt, s->schema);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  sqlite3_free(sql);
  return rc;
}

/* Read the snapshot's stamp; 0 when there is none. */
static int read_stamp(sv_shard *s, int64_t v[7]) {
  sqlite3_stmt *st = NULL;
  static const char *keys[7] = {"hnsw_saved_version", "hnsw_saved_epoch", "hnsw_saved_m",
                                "hnsw_saved_efc",     "hnsw_saved_entry", "hnsw_saved_top",
                                "hnsw_saved_nodes"};
  int seen = 0;
  if (prepare(s, "SELECT key, value FROM \"%w\".sv_meta WHERE key LIKE 'hnsw_saved_%%'", &st) !=
      SQLITE_OK)
    goto done;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    for (int i = 0; k && i < 7; i++)
      if (strcmp(k, keys[i]) == 0 && sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
        v[i] = sqlite3_column_int64(st, 1);
        seen |= 1 << i;
      }
  }
done:
  sqlite3_finalize(st);
  return seen == 127;
}

/* Ids written after version v, sorted; -1 on error, 1 when too many. */
static int changed_since(sv_shard *s, int64_t v, size_t limit, idset *out) {
  sqlite3_stmt *st = NULL;
  int rc = -1, src;
  if (prepare(s, "SELECT id FROM \"%w\".sv_vectors WHERE version > ?1", &st) != SQLITE_OK)
    goto done;
  sqlite3_bind_int64(st, 1, v);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n >= limit) {
      rc = 1;
      goto done;
    }
    if (out->n == out->cap) {
      size_t nc = out->cap ? out->cap * 2 : 256;
      int64_t *p = realloc(out->ids, nc * sizeof *p);
      if (!p) goto done;
      out->ids = p;
      out->cap = nc;
    }
    out->ids[out->n++] = sqlite3_column_int64(st, 0);
  }
  if (src != SQLITE_DONE) goto done;
  if (out->n) qsort(out->ids, out->n, sizeof *out->ids, cmp_i64);
  rc = 0;
done:
  sqlite3_finalize(st);
  return rc;
}

int sv__index_load_saved(sv_shard *s, sv_meta_state *now, sv_hnsw **out) {
  int64_t v[7];
  sqlite3_stmt *st = NULL;
  sv_hnsw *h = NULL;
  loadctx c = {&s->arena, {NULL, 0, 0}};
  int ok = 0;
  *out = NULL;
  uint16_t probe = 1;
  unsigned char little;
  memcpy(&little, &probe, 1);
  if (!little || !read_stamp(s, v)) goto done;
  if (v[1] != now->epoch || v[0] > now->version || v[2] != (int64_t)s->idx_m ||
      v[3] != (int64_t)s->idx_efc || v[6] < 0 || v[4] < 0 || v[4] > UINT32_MAX)
    goto done;
  if (changed_since(s, v[0], s->arena.count / 4 + 16, &c.changed) != 0) goto done;
  sv_hnsw_header hdr = {(uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4], (int32_t)v[5],
                        (uint64_t)v[6]};
  if (!(h = sv_hnsw_load_begin(&hdr, s->metric == SV_METRIC_L2))) goto done;
  if (prepare(s, "SELECT first, data FROM \"%w\".sv_hnsw ORDER BY chunk", &st) != SQLITE_OK)
    goto done;
  size_t next = 0;
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_int64(st, 0) != (int64_t)next) goto done;
    const void *blob = sqlite3_column_blob(st, 1);
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    if (sv_hnsw_decode(h, blob, len, next, &next, slot_of, &c) != 0) goto done;
  }
  if (src != SQLITE_DONE || next != hdr.nodes || sv_hnsw_load_end(h) != 0) goto done;
  ok = 1;
  *out = h;
  h = NULL;
done:
  sqlite3_finalize(st);
  sv_hnsw_free(h);
  free(c.changed.ids);
  return ok;
}

static int exec_sql(sv_shard *s, const char *fmt, int64_t key_v, const char *key) {
  sqlite3_stmt *st = NULL;
  int src = prepare(s, fmt, &st);
  if (src == SQLITE_OK) {
    if (key) {
      sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 2, key_v);
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) src = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return src;
}

int sv__index_save(sv_shard *s) {
  sv_arena *a = &s->arena;
  sqlite3_stmt *ins = NULL;
  unsigned char *buf = NULL;
  int rc = SV_OK, nested = 0, in_tx = 0, locked = 0;
  if (s->readonly || !a->hnsw || !a->loaded || a->tentative) goto done;
  if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) goto done;
  in_tx = 1;
  sv_rwlock_rdlock(&s->arena_lock);
  locked = 1;
  int src = exec_sql(s,
                     "CREATE TABLE IF NOT EXISTS \"%w\".sv_hnsw(chunk INTEGER PRIMARY KEY, "
                     "first INTEGER NOT NULL, data BLOB NOT NULL)",
                     0, NULL);
  if (src == SQLITE_OK) src = exec_sql(s, "DELETE FROM \"%w\".sv_hnsw", 0, NULL);
  if (src == SQLITE_OK)
    src = prepare(s, "INSERT INTO \"%w\".sv_hnsw(chunk, first, data) VALUES(?1, ?2, ?3)", &ins);
  sv_hnsw_header hdr;
  sv_hnsw_header_get(a->hnsw, &hdr);
  for (size_t first = 0, chunk = 0; src == SQLITE_OK && first < hdr.nodes;
       first += CHUNK_NODES, chunk++) {
    size_t count = hdr.nodes - first < CHUNK_NODES ? hdr.nodes - first : CHUNK_NODES, len;
    if (sv_hnsw_encode(a->hnsw, a, first, count, &buf, &len) != 0) {
      src = SQLITE_NOMEM;
      break;
    }
    sqlite3_bind_int64(ins, 1, (int64_t)chunk);
    sqlite3_bind_int64(ins, 2, (int64_t)first);
    sqlite3_bind_blob(ins, 3, buf, (int)len, SQLITE_STATIC);
    src = sqlite3_step(ins);
    sqlite3_reset(ins);
    free(buf);
    buf = NULL;
    if (src == SQLITE_DONE) src = SQLITE_OK;
  }
  const char *up =
      "INSERT INTO \"%w\".sv_meta(key, value) VALUES(?1, ?2) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
  int64_t vals[7] = {a->version, a->epoch, hdr.m, hdr.efc, hdr.entry, hdr.top, (int64_t)hdr.nodes};
  static const char *keys[7] = {"hnsw_saved_version", "hnsw_saved_epoch", "hnsw_saved_m",
                                "hnsw_saved_efc",     "hnsw_saved_entry", "hnsw_saved_top",
                                "hnsw_saved_nodes"};
  for (int i = 0; i < 7 && src == SQLITE_OK; i++) src = exec_sql(s, up, vals[i], keys[i]);
  if (src != SQLITE_OK) rc = sv__fail_sql(s, src, "saving the HNSW graph");
  if (rc == SV_OK) s->idx_saved_version = a->version;
done:
  if (locked) sv_rwlock_rdunlock(&s->arena_lock);
  sqlite3_finalize(ins);
  if (in_tx && sv__tx_end(s, nested, rc == SV_OK) != SV_OK && rc == SV_OK) rc = SV_EIO;
  return rc;
}
