/*
** mirror.c — keeping the arena in step with the database.
**
** The arena is a cache of the live rows, and sv_meta says which database
** state it must reflect: `version` (the last write's version), `hlc` (the
** last write's clock) and `epoch` (bumped when rows are physically removed,
** e.g. by compaction).  The arena remembers the triple it was built from.
** Before each search the handle reads the triple (one indexed lookup) and:
**
**   - equal: nothing to do — the common case;
**   - version moved forward, same epoch: another process or connection
**     wrote; apply `WHERE version > arena.version ORDER BY version`, an
**     index range scan over exactly the rows that changed, each either
**     replacing/adding its vector or, for a tombstone, removing it;
**   - anything else (first search, epoch changed, version went backwards or
**     the same version with another hlc, which means a transaction the
**     arena had seen was rolled back and replaced): reload everything.
**
** The handle's own writes are applied directly after they commit when the
** arena was current before them, so a process writing and searching alone
** never rescans.  On a borrowed connection a write done inside the host's
** open transaction may still be rolled back, so it is not applied at all:
** the arena stays at the committed state it reflects, and the first search
** after the commit catches up by version (after a rollback there is nothing
** to do).  Only a refresh done inside the host's transaction reads rows
** that may vanish; the arena is then marked tentative and reloaded once,
** the first time it is used after the transaction ended.
**
** Loading checks every stored vector (length and finiteness): a damaged
** row fails the search with SV_EFORMAT rather than producing NaN scores.
*/
#include <math.h>
#include <stdlib.h>

#include "store/shard.h"

static int same_state(const sv_arena *a, const sv_meta_state *m) {
  return a->version == m->version && a->hlc == m->hlc && a->epoch == m->epoch;
}

/* Decode one stored vector into dst (dim floats) with checks. */
static int decode_row(sv_shard *s, sqlite3_stmt *st, int col, int64_t id, float *dst) {
  const void *blob = sqlite3_column_blob(st, col);
  int bytes = sqlite3_column_bytes(st, col);
  if (!blob || (size_t)bytes != (size_t)s->dim * sizeof(float))
    return sv__fail(s, SV_EFORMAT, "damaged shard: row %lld has a %d-byte vector, expected %zu",
                    (long long)id, bytes, (size_t)s->dim * sizeof(float));
  sv__blob_to_floats(dst, blob, s->dim);
  for (uint32_t i = 0; i < s->dim; i++)
    if (!isfinite(dst[i]))
      return sv__fail(s, SV_EFORMAT, "damaged shard: row %lld has a non-finite component",
                      (long long)id);
  return SV_OK;
}

/* Step st (rows of id, vector [, deleted]) to its end and apply each row to
** the arena: a tombstone (when has_deleted and column 2 is set) removes the
** id, a live row is decoded into row and put.  A full load and a catch-up
** differ only in the statement and the messages, so they share this loop. */
static int apply_rows(sv_shard *s, sqlite3_stmt *st, int has_deleted, float *row,
                      const char *oom_msg, const char *what) {
  sv_arena *a = &s->arena;
  int rc = SV_OK, src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (has_deleted && sqlite3_column_int64(st, 2) != 0) {
      sv_arena_remove(a, id);
      continue;
    }
    if ((rc = decode_row(s, st, 1, id, row)) != SV_OK) break;
    if (sv_arena_put(a, id, row) != SV_OK) {
      rc = sv__fail(s, SV_ENOMEM, "%s", oom_msg);
      break;
    }
  }
  sqlite3_reset(st);
  if (rc == SV_OK && src != SQLITE_DONE) rc = sv__fail_sql(s, src, what);
  return rc;
}

static int reload(sv_shard *s, float *row, sv_meta_state *now) {
  sv_arena *a = &s->arena;
  int64_t all = 0, dead = 0;
  int rc;
  sv_arena_clear(a);
  if ((rc = sv__index_prepare(s)) != SV_OK) return rc;
  if ((rc = sv__count(s, SV_STMT_COUNT_ALL, &all)) != SV_OK) return rc;
  if ((rc = sv__count(s, SV_STMT_COUNT_DELETED, &dead)) != SV_OK) return rc;
  if (all > dead && sv_arena_reserve(a, (size_t)(all - dead)) != SV_OK)
    return sv__fail(s, SV_ENOMEM, "out of memory loading %lld vectors", (long long)(all - dead));
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_LOAD_ALL, &rc);
  if (!st) return rc;
  rc = apply_rows(s, st, 0, row, "out of memory loading vectors", "loading vectors");
  if (rc == SV_OK) rc = sv__index_finish(s, now);
  return rc;
}

static int catch_up(sv_shard *s, float *row) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_CHANGES, &rc);
  if (!st) return rc;
  sqlite3_bind_int64(st, 1, s->arena.version);
  return apply_rows(s, st, 1, row, "out of memory applying changes", "reading changes");
}

int sv__mirror_sync(sv_shard *s, int conn_idle) {
  sv_arena *a = &s->arena;
  sv_meta_state m;
  int rc = sv__meta_state(s, &m);
  if (rc != SV_OK) return rc;
  int stale_tx = a->tentative && conn_idle;
  if (a->loaded && !stale_tx && same_state(a, &m)) return SV_OK;

  float *row = malloc((size_t)s->dim * sizeof *row);
  if (!row) return sv__fail(s, SV_ENOMEM, "out of memory");
  sv_rwlock_wrlock(&s->arena_lock);
  int full = !a->loaded || stale_tx || a->epoch != m.epoch || m.version < a->version ||
             (m.version == a->version && m.hlc != a->hlc);
  double t0 = full ? sv__store_now_ms() : 0.0;
  rc = full ? reload(s, row, &m) : catch_up(s, row);
  if (full && rc == SV_OK) s->idx_load_ms = sv__store_now_ms() - t0;
  if (rc == SV_OK) {
    a->version = m.version;
    a->hlc = m.hlc;
    a->epoch = m.epoch;
    a->loaded = 1;
    a->tentative = !conn_idle;
  } else {
    sv_arena_clear(a); /* half-applied: rebuild from scratch next time */
  }
  sv_rwlock_wrunlock(&s->arena_lock);
  free(row);
  return rc;
}

void sv__mirror_apply(sv_shard *s, const sv_meta_state *before, const sv_meta_state *after,
                      const int64_t *ids, const float *const *vecs, size_t n, int tentative) {
  sv_arena *a = &s->arena;
  /* A gap, or rows that may yet be rolled back: the next search catches up. */
  if (tentative || !a->loaded || !same_state(a, before)) return;
  sv_rwlock_wrlock(&s->arena_lock);
  for (size_t i = 0; i < n; i++) {
    if (!vecs[i]) {
      sv_arena_remove(a, ids[i]);
    } else if (sv_arena_put(a, ids[i], vecs[i]) != SV_OK) {
      sv_arena_clear(a); /* out of memory: reload lazily, the write itself stands */
      break;
    }
  }
  if (a->loaded) {
    a->version = after->version;
    a->hlc = after->hlc;
    a->epoch = after->epoch;
  }
  sv_rwlock_wrunlock(&s->arena_lock);
}
