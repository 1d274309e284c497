/*
** changes.c — changesets: reading rows after a version, merging remote
** rows with last-writer-wins, per-peer progress and the content digest.
**
** Reading.  Every write gives its row the next shard version, so "what
** changed after version V" is the index range `version > V` in version
** order.  A row written twice appears once, with its latest state: a
** changeset carries states, not operations.  The reader hands out rows one
** at a time through a callback, inside one read snapshot, so a caller can
** encode them straight into a frame without an intermediate copy.
**
** Merging.  A remote change replaces the local row only when its
** (hlc, origin) pair is larger; an equal pair is the very same write seen
** again and is skipped.  Because the outcome for each id is simply "the
** state with the largest pair seen so far", applying is idempotent,
** commutative and associative: any replicas that saw the same set of
** changes, in any order and with any duplicates, hold the same rows.
** A written row gets a fresh *local* version (so this replica's own
** changesets and the in-memory mirrors of other connections pick it up)
** but keeps the writer's hlc and origin.  The shard's HLC moves to the
** largest hlc applied, so a later local write to the same id is stamped
** after the remote one and wins, as causality requires.
**
** All changes of one call are validated before anything is written, and
** the writes, the new sv_meta version/hlc and the peer's progress commit
** in one transaction: a bad change anywhere leaves the shard untouched,
** and a crash leaves either the whole batch with its progress marker or
** neither — so a resumed sync never loses or duplicates a batch.
**
** Progress.  sv_sync_peers(node, recv_version) records, per remote node
** id, the highest of that node's versions whose changes are stored here.
** The table is created on first use; shards that never sync lack it.
*/
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/changes.h"
#include "store/shard.h"
#include "util/clock.h"
#include "util/sha256.h"

/* A remote clock more than this far ahead of ours is refused: accepting it
** would drag this shard's HLC (and every later local write) into the
** future.  Documented in docs/SYNC.md. */
#define SV_SYNC_MAX_SKEW_MS (3600 * 1000)

static int prepare(sv_shard *s, const char *fmt, sqlite3_stmt **st) {
  char *sql = sqlite3_mprintf(fmt, s->schema);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory preparing a statement");
  int src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) return sv__fail_sql(s, src, "preparing a sync statement");
  return SV_OK;
}

int sv__changes_read(sv_shard *s, int64_t after, size_t max_rows, sv_change_fn fn, void *ctx,
                     int64_t *last_version) {
  sqlite3_stmt *st = NULL;
  float *row = NULL;
  int rc, opened = 0, src = SQLITE_DONE;
  *last_version = after;
  if (!(row = malloc((size_t)s->dim * sizeof *row))) return sv__fail(s, SV_ENOMEM, "out of memory");
  sv__db_lock(s);
  if ((rc = sv__tx_begin_read(s, &opened)) != SV_OK) goto done;
  rc = prepare(s,
               "SELECT id, vector, metadata, version, hlc, origin, deleted FROM \"%w\".sv_vectors "
               "WHERE version > ?1 ORDER BY version LIMIT ?2",
               &st);
  if (rc != SV_OK) goto done;
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_int64(st, 2, max_rows ? (int64_t)max_rows : -1);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    sv_change c;
    memset(&c, 0, sizeof c);
    c.id = sqlite3_column_int64(st, 0);
    c.version = sqlite3_column_int64(st, 3);
    c.hlc = sqlite3_column_int64(st, 4);
    c.origin = sqlite3_column_int64(st, 5);
    if (sqlite3_column_int64(st, 6) == 0) {
      const void *blob = sqlite3_column_blob(st, 1);
      size_t bytes = (size_t)sqlite3_column_bytes(st, 1);
      if (!blob || bytes != (size_t)s->dim * sizeof(float)) {
        rc = sv__fail(s, SV_EFORMAT, "damaged shard: row %lld has a %zu-byte vector",
                      (long long)c.id, bytes);
        goto done;
      }
      sv__blob_to_floats(row, blob, s->dim);
      c.vec = row;
      c.meta = (const char *)sqlite3_column_text(st, 2);
      c.meta_len = c.meta ? (size_t)sqlite3_column_bytes(st, 2) : 0;
      if (!c.meta) c.meta = "{}", c.meta_len = 2;
    }
    if ((rc = fn(ctx, &c)) != SV_OK) goto done;
    *last_version = c.version;
  }
  if (src != SQLITE_DONE) rc = sv__fail_sql(s, src, "reading changes");
done:
  sqlite3_finalize(st);
  sv__tx_end_read(s, opened);
  sv__db_unlock(s);
  free(row);
  return rc;
}

/* Checks that need no database. */
static int check_change(sv_shard *s, const sv_change *c, size_t i, int64_t now_ms) {
  if (c->origin <= 0)
    return sv__fail(s, SV_EINVAL, "change %zu: origin %lld is not a node id", i,
                    (long long)c->origin);
  if (c->hlc <= 0 || (c->hlc >> 16) > now_ms + SV_SYNC_MAX_SKEW_MS)
    return sv__fail(s, SV_EINVAL, "change %zu: hlc %lld is out of range (clock skew over %d s?)", i,
                    (long long)c->hlc, SV_SYNC_MAX_SKEW_MS / 1000);
  if (!c->vec) return SV_OK;
  double ss = 0.0;
  for (uint32_t d = 0; d < s->dim; d++) {
    if (!isfinite(c->vec[d]))
      return sv__fail(s, SV_EINVAL, "change %zu: vector component %u is not finite", i,
                      (unsigned)d);
    ss += (double)c->vec[d] * (double)c->vec[d];
  }
  if (s->metric == SV_METRIC_COSINE && ss == 0.0)
    return sv__fail(s, SV_EINVAL, "change %zu: zero vector under the cosine metric", i);
  if (!c->meta || c->meta_len > 0x3fffffff)
    return sv__fail(s, SV_EINVAL, "change %zu: metadata missing or too large", i);
  return SV_OK;
}

static int check_metadata(sv_shard *s, const sv_change *c, size_t i) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_JSON_CHECK, &rc);
  if (!st) return rc;
  sqlite3_bind_text(st, 1, c->meta, (int)c->meta_len, SQLITE_STATIC);
  int src = sqlite3_step(st);
  const char *type = src == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  if (src != SQLITE_ROW)
    rc = sv__fail_sql(s, src, "checking metadata");
  else if (!type || strcmp(type, "object") != 0)
    rc = sv__fail(s, SV_EJSON, "change %zu: metadata is not a JSON object", i);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* 1 in *wins when (hlc, origin) beats the local row of id (or there is none). */
static int remote_wins(sv_shard *s, sqlite3_stmt *look, const sv_change *c, int *wins) {
  sqlite3_bind_int64(look, 1, c->id);
  int src = sqlite3_step(look);
  *wins = 1;
  if (src == SQLITE_ROW) {
    int64_t h = sqlite3_column_int64(look, 0), o = sqlite3_column_int64(look, 1);
    *wins = c->hlc > h || (c->hlc == h && c->origin > o);
  }
  sqlite3_reset(look);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return sv__fail_sql(s, src, "looking up a row");
  return SV_OK;
}

static int store_peer(sv_shard *s, int64_t node, int64_t version) {
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf(
      "CREATE TABLE IF NOT EXISTS \"%w\".sv_sync_peers(node INTEGER PRIMARY KEY, "
      "recv_version INTEGER NOT NULL)",
      s->schema);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) return sv__fail_sql(s, src, "creating sv_sync_peers");
  int rc = prepare(s,
                   "INSERT INTO \"%w\".sv_sync_peers(node, recv_version) VALUES(?1, ?2) "
                   "ON CONFLICT(node) DO UPDATE SET recv_version = "
                   "max(recv_version, excluded.recv_version)",
                   &st);
  if (rc != SV_OK) return rc;
  sqlite3_bind_int64(st, 1, node);
  sqlite3_bind_int64(st, 2, version);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE) return sv__fail_sql(s, src, "recording sync progress");
  return SV_OK;
}

int sv__changes_apply(sv_shard *s, const sv_change *c, size_t n, int64_t peer_node,
                      int64_t peer_version, sv_apply_stats *stats) {
  int rc = SV_OK, nested = 0, in_tx = 0;
  sqlite3_stmt *look = NULL;
  int64_t *ids = NULL;
  const float **vecs = NULL;
  size_t napplied = 0;
  sv_meta_state before = {0, 0, 0}, after;
  sv_apply_stats local = {0, 0};
  int64_t now = sv_clock_ms();

  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  for (size_t i = 0; i < n; i++)
    if ((rc = check_change(s, &c[i], i, now)) != SV_OK) return rc;
  if (n > 0 && (!(ids = malloc(n * sizeof *ids)) || !(vecs = malloc(n * sizeof *vecs)))) {
    free(ids);
    return sv__fail(s, SV_ENOMEM, "out of memory for %zu changes", n);
  }

  sv__db_lock(s);
  if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) goto done;
  in_tx = 1;
  for (size_t i = 0; i < n; i++)
    if (c[i].vec && (rc = check_metadata(s, &c[i], i)) != SV_OK) goto done;
  if ((rc = sv__meta_state(s, &before)) != SV_OK) goto done;
  after = before;
  rc = prepare(s, "SELECT hlc, origin FROM \"%w\".sv_vectors WHERE id = ?1", &look);
  if (rc != SV_OK) goto done;
  for (size_t i = 0; i < n; i++) {
    int wins = 0;
    if ((rc = remote_wins(s, look, &c[i], &wins)) != SV_OK) goto done;
    if (!wins) {
      local.skipped++;
      continue;
    }
    if (after.version == INT64_MAX) {
      rc = sv__fail(s, SV_EINTERNAL, "the shard's version counter is exhausted");
      goto done;
    }
    after.version++;
    if (c[i].hlc > after.hlc) after.hlc = c[i].hlc;
    rc = sv__write_row(s, c[i].id, c[i].vec, c[i].meta, c[i].meta_len, after.version, c[i].hlc,
                       c[i].origin);
    if (rc != SV_OK) goto done;
    ids[napplied] = c[i].id;
    vecs[napplied++] = c[i].vec;
    local.applied++;
  }
  if (napplied > 0 && (rc = sv__meta_store(s, &after)) != SV_OK) goto done;
  if (peer_node != 0 && (rc = store_peer(s, peer_node, peer_version)) != SV_OK) goto done;
  in_tx = 0;
  if ((rc = sv__tx_end(s, nested, 1)) != SV_OK) goto done;
  if (napplied > 0) sv__mirror_apply(s, &before, &after, ids, vecs, napplied, nested);
  if (stats) {
    stats->applied += local.applied;
    stats->skipped += local.skipped;
  }
done:
  sqlite3_finalize(look);
  if (in_tx) sv__tx_end(s, nested, 0);
  sv__db_unlock(s);
  free(ids);
  free((void *)vecs);
  return rc;
}

int sv__peer_version(sv_shard *s, int64_t peer_node, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, opened = 0;
  *out = 0;
  sv__db_lock(s);
  if ((rc = sv__tx_begin_read(s, &opened)) != SV_OK) goto done;
  char *sql =
      sqlite3_mprintf("SELECT recv_version FROM \"%w\".sv_sync_peers WHERE node = ?1", s->schema);
  if (!sql) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory");
    goto done;
  }
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) goto done; /* no table yet: never synced */
  sqlite3_bind_int64(st, 1, peer_node);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else if (src != SQLITE_DONE)
    rc = sv__fail_sql(s, src, "reading sync progress");
done:
  sqlite3_finalize(st);
  sv__tx_end_read(s, opened);
  sv__db_unlock(s);
  return rc;
}

static void put_i64(sv_sha256 *h, int64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
  sv_sha256_update(h, b, 8);
}

int sv__content_digest(sv_shard *s, char out[65], uint64_t *rows) {
  sqlite3_stmt *st = NULL;
  int rc, opened = 0, src = SQLITE_DONE;
  uint64_t count = 0;
  uint8_t md[32];
  sv_sha256 h;
  sv_sha256_init(&h);
  sv_sha256_update(&h, "sqlite-vector digest v1", 23);
  sv__db_lock(s);
  if ((rc = sv__tx_begin_read(s, &opened)) != SV_OK) goto done;
  rc = prepare(s,
               "SELECT id, deleted, hlc, origin, vector, metadata FROM \"%w\".sv_vectors "
               "ORDER BY id",
               &st);
  if (rc != SV_OK) goto done;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    int deleted = sqlite3_column_int64(st, 1) != 0;
    put_i64(&h, sqlite3_column_int64(st, 0));
    put_i64(&h, deleted);
    put_i64(&h, sqlite3_column_int64(st, 2));
    put_i64(&h, sqlite3_column_int64(st, 3));
    if (!deleted) {
      const void *v = sqlite3_column_blob(st, 4);
      int64_t vn = sqlite3_column_bytes(st, 4);
      put_i64(&h, vn);
      if (vn) sv_sha256_update(&h, v, (size_t)vn);
      const unsigned char *m = sqlite3_column_text(st, 5);
      int64_t mn = sqlite3_column_bytes(st, 5);
      put_i64(&h, mn);
      if (mn) sv_sha256_update(&h, m, (size_t)mn);
    }
    count++;
  }
  if (src != SQLITE_DONE) rc = sv__fail_sql(s, src, "computing the digest");
done:
  sqlite3_finalize(st);
  sv__tx_end_read(s, opened);
  sv__db_unlock(s);
  put_i64(&h, (int64_t)count);
  sv_sha256_final(&h, md);
  sv_hex32(md, out);
  if (rows) *rows = count;
  return rc;
}

int sv__shard_info(sv_shard *s, sv_shard_info *out) {
  sv_meta_state m = {0, 0, 0};
  int rc, opened = 0;
  memset(out, 0, sizeof *out);
  out->dim = s->dim;
  out->metric = s->metric;
  out->format_version = s->format_version;
  out->node_id = s->node_id;
  memcpy(out->shard_id, s->shard_id, sizeof out->shard_id);
  sv__db_lock(s);
  if ((rc = sv__tx_begin_read(s, &opened)) == SV_OK) {
    rc = sv__meta_state(s, &m);
    sv__tx_end_read(s, opened);
  }
  sv__db_unlock(s);
  out->version = m.version;
  return rc;
}
