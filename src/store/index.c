/*
** index.c — index configuration, building, statistics and compaction.
**
** What is indexed is a choice stored in the shard (sv_meta keys
** index_quantize, index_hnsw_m, index_hnsw_efc); the structures themselves
** — int8 and sign codes, the HNSW graph — are derived from the vectors and
** live in each handle's arena (arena.c, hnsw.c).  That split is what keeps
** them correct with any number of writers: every row change reaches the
** arena through sv_arena_put/remove, whether it is this handle's write,
** another process's write found by version (mirror.c) or a full reload, so
** the codes and the graph are maintained by the same step that maintains
** the float mirror, and no structure on disk can go stale or be torn by a
** crash.  The cost is build time on a full load (see docs/INDEX.md).
**
** Changing the configuration bumps sv_meta.epoch in the same transaction,
** so every handle (in this or any process) reloads at its next search and
** picks the new configuration up in sv__index_prepare().
**
** Compaction is VACUUM: it rewrites the file without free pages.
** Tombstones stay (they are how replicas learn of deletes and are a few
** dozen bytes each), so a shard that lost half its rows ends close to the
** size of a fresh one with the live rows.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/hnsw.h"
#include "store/shard.h"

#define DEFAULT_M 16
#define DEFAULT_EFC 200

double sv__store_now_ms(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0.0;
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run one SQL text with up to three integer parameters. */
static int exec3(sv_shard *s, const char *fmt, int64_t p1, int64_t p2, int64_t p3,
                 const char *what) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK;
  /* Every %w in fmt names the shard's schema (at most two). */
  char *sql = sqlite3_mprintf(fmt, s->schema, s->schema);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) {
    rc = sv__fail_sql(s, src, what);
    goto done;
  }
  int np = sqlite3_bind_parameter_count(st);
  if (np >= 1) sqlite3_bind_int64(st, 1, p1);
  if (np >= 2) sqlite3_bind_int64(st, 2, p2);
  if (np >= 3) sqlite3_bind_int64(st, 3, p3);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (src != SQLITE_DONE) rc = sv__fail_sql(s, src, what);
done:
  sqlite3_finalize(st);
  return rc;
}

/* Read the configuration into the handle. */
static int read_config(sv_shard *s) {
  sqlite3_stmt *st = NULL;
  int rc = SV_OK;
  char *sql = sqlite3_mprintf(
      "SELECT key, value FROM \"%w\".sv_meta WHERE key IN "
      "('index_quantize','index_hnsw_m','index_hnsw_efc')",
      s->schema);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) {
    rc = sv__fail_sql(s, src, "reading the index configuration");
    goto done;
  }
  s->idx_quantize = 0;
  s->idx_m = s->idx_efc = 0;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    int64_t v = sqlite3_column_int64(st, 1);
    if (!k) continue;
    if (strcmp(k, "index_quantize") == 0)
      s->idx_quantize = (int)(v & (SV_QUANT_INT8 | SV_QUANT_BINARY));
    else if (strcmp(k, "index_hnsw_m") == 0 && v >= SV_HNSW_M_MIN && v <= SV_HNSW_M_MAX)
      s->idx_m = (uint32_t)v;
    else if (strcmp(k, "index_hnsw_efc") == 0 && v >= 1 && v <= SV_HNSW_EF_MAX)
      s->idx_efc = (uint32_t)v;
  }
  if (src != SQLITE_DONE) rc = sv__fail_sql(s, src, "reading the index configuration");
  if (!s->idx_m || !s->idx_efc) s->idx_m = s->idx_efc = 0; /* both or no graph */
done:
  sqlite3_finalize(st);
  return rc;
}

int sv__index_prepare(sv_shard *s) {
  int rc = read_config(s);
  if (rc != SV_OK) return rc;
  sv_arena *a = &s->arena;
  int codes = (s->idx_quantize & SV_QUANT_INT8 ? SV_ARENA_I8 : 0) |
              (s->idx_quantize & SV_QUANT_BINARY ? SV_ARENA_BITS : 0);
  if ((codes & ~a->codes) && sv_arena_set_codes(a, codes) != SV_OK)
    return sv__fail(s, SV_ENOMEM, "out of memory for quantized codes");
  /* The graph is built after the rows are loaded (sv__index_finish): one
  ** pass with progress, instead of growing it row by row. */
  sv_arena_set_hnsw(a, NULL, NULL, NULL);
  return SV_OK;
}

static void progress_thunk(void *arg, size_t done, size_t total) {
  sv_shard *s = arg;
  if (s->idx_progress) s->idx_progress(s->idx_progress_arg, done, total);
}

int sv__index_finish(sv_shard *s, sv_meta_state *now) {
  s->idx_graph_loaded = 0;
  if (!s->idx_m) return SV_OK;
  sv_hnsw *h = NULL;
  if (sv__index_load_saved(s, now, &h)) {
    /* Rows changed since the save are linked in now; a damaged snapshot
    ** (two nodes for one row) falls through to a rebuild. */
    if (sv_arena_attach_hnsw(&s->arena, h, progress_thunk, s) == SV_OK) {
      s->idx_graph_loaded = 1;
      return SV_OK;
    }
  }
  s->idx_saved_version = -1;
  h = sv_hnsw_new(s->idx_m, s->idx_efc, s->metric == SV_METRIC_L2);
  if (!h || sv_arena_set_hnsw(&s->arena, h, progress_thunk, s) != SV_OK)
    return sv__fail(s, SV_ENOMEM, "out of memory building the HNSW graph");
  return SV_OK;
}

void sv__index_close(sv_shard *s) {
  sv_arena *a = &s->arena;
  /* Best effort: a failed save only means the next open replays or rebuilds. */
  if (a->hnsw && a->loaded && a->version != s->idx_saved_version) (void)sv__index_save(s);
}

/* Store the configuration and bump the epoch in one write transaction. */
static int write_config(sv_shard *s, int quantize, uint32_t m, uint32_t efc, int keep_graph) {
  int rc, nested = 0;
  if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) return rc;
  /* The epoch bump below makes every handle reload; a saved graph that
  ** stays valid (no graph change asked for) follows the epoch so it is
  ** loaded, not rebuilt. */
  if (keep_graph)
    rc = exec3(s,
               "UPDATE \"%w\".sv_meta SET value = value + 1 WHERE key = 'hnsw_saved_epoch' "
               "AND value = (SELECT value FROM \"%w\".sv_meta WHERE key = 'epoch')",
               0, 0, 0, "keeping the saved graph");
  if (rc != SV_OK) {
    sv__tx_end(s, nested, 0);
    return rc;
  }
  rc = exec3(s,
             "INSERT INTO \"%w\".sv_meta(key, value) VALUES ('index_quantize', ?1), "
             "('index_hnsw_m', ?2), ('index_hnsw_efc', ?3) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
             quantize, m, efc, "storing the index configuration");
  if (rc == SV_OK)
    rc = exec3(s, "UPDATE \"%w\".sv_meta SET value = value + 1 WHERE key = 'epoch'", 0, 0, 0,
               "bumping the epoch");
  return sv__tx_end(s, nested, rc == SV_OK) != SV_OK && rc == SV_OK ? SV_EIO : rc;
}

/* Reload now (the epoch moved), running progress callbacks. */
static int load_now(sv_shard *s) {
  int savepoint = 0, idle = !sv__host_writing(s);
  int rc = sv__tx_begin_read(s, &savepoint);
  if (rc != SV_OK) return rc;
  rc = sv__mirror_sync(s, idle);
  sv__tx_end_read(s, savepoint);
  return rc;
}

static int change_config(sv_shard *s, int quantize, uint32_t m, uint32_t efc, int keep_graph,
                         const sv_index_options *o) {
  int rc;
  sv__db_lock(s);
  if ((rc = write_config(s, quantize, m, efc, keep_graph)) != SV_OK) goto done;
  s->idx_progress = o ? o->progress : NULL;
  s->idx_progress_arg = o ? o->arg : NULL;
  rc = load_now(s);
  if (rc == SV_OK && s->arena.hnsw) rc = sv__index_save(s);
  s->idx_progress = NULL;
  s->idx_progress_arg = NULL;
done:
  sv__db_unlock(s);
  return rc;
}

int sv_index_build(sv_shard *s, const sv_index_options *o) {
  if (!s) return SV_EINVAL;
  if (!o) return sv__fail(s, SV_EINVAL, "index options are NULL");
  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  if (o->quantize & ~(SV_QUANT_INT8 | SV_QUANT_BINARY))
    return sv__fail(s, SV_EINVAL, "unknown quantize bits 0x%x", (unsigned)o->quantize);
  if (!o->hnsw && !o->quantize)
    return sv__fail(s, SV_EINVAL, "nothing to build: ask for hnsw and/or quantize");
  uint32_t m = o->m ? o->m : DEFAULT_M, efc = o->ef_construction ? o->ef_construction : DEFAULT_EFC;
  if (o->hnsw && (m < SV_HNSW_M_MIN || m > SV_HNSW_M_MAX))
    return sv__fail(s, SV_EINVAL, "M must be between %d and %d, got %u", SV_HNSW_M_MIN,
                    SV_HNSW_M_MAX, (unsigned)m);
  if (o->hnsw && efc > SV_HNSW_EF_MAX)
    return sv__fail(s, SV_EINVAL, "ef_construction must be between 1 and %d, got %u",
                    SV_HNSW_EF_MAX, (unsigned)efc);
  sv__db_lock(s);
  int rc = read_config(s);
  sv__db_unlock(s);
  if (rc != SV_OK) return rc;
  int q = s->idx_quantize | o->quantize;
  if (!o->hnsw) m = s->idx_m, efc = s->idx_efc;
  return change_config(s, q, m, efc, !o->hnsw, o);
}

int sv_index_drop(sv_shard *s, int drop_hnsw, int quantize) {
  if (!s) return SV_EINVAL;
  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  if (quantize & ~(SV_QUANT_INT8 | SV_QUANT_BINARY))
    return sv__fail(s, SV_EINVAL, "unknown quantize bits 0x%x", (unsigned)quantize);
  sv__db_lock(s);
  int rc = read_config(s);
  sv__db_unlock(s);
  if (rc != SV_OK) return rc;
  /* Dropped codes are freed by the next arena rebuild: start it clean.
  ** The connection lock first (the lock order), so no search sits between
  ** its refresh and its scan while the arena empties. */
  sv__db_lock(s);
  sv_rwlock_wrlock(&s->arena_lock);
  sv_arena_free(&s->arena);
  sv_rwlock_wrunlock(&s->arena_lock);
  sv__db_unlock(s);
  return change_config(s, s->idx_quantize & ~quantize, drop_hnsw ? 0 : s->idx_m,
                       drop_hnsw ? 0 : s->idx_efc, !drop_hnsw, NULL);
}

int sv_index_stats_get(sv_shard *s, sv_index_stats *out) {
  if (out) memset(out, 0, sizeof *out);
  if (!s) return SV_EINVAL;
  if (!out) return sv__fail(s, SV_EINVAL, "stats pointer is NULL");
  sv__db_lock(s);
  int rc = load_now(s);
  if (rc == SV_OK) {
    sv_rwlock_rdlock(&s->arena_lock);
    out->hnsw = s->idx_m != 0;
    out->m = s->idx_m;
    out->ef_construction = s->idx_efc;
    out->quantize = s->idx_quantize;
    out->top_level = -1;
    out->load_ms = s->idx_load_ms;
    out->graph_loaded = s->idx_graph_loaded;
    if (s->arena.hnsw) {
      sv_hnsw_info info;
      sv_hnsw_info_get(s->arena.hnsw, &info);
      out->nodes = info.live;
      out->graph_bytes = info.bytes;
      out->top_level = info.top;
    }
    sv_rwlock_rdunlock(&s->arena_lock);
  }
  sv__db_unlock(s);
  return rc;
}

int sv_compact(sv_shard *s) {
  if (!s) return SV_EINVAL;
  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  sv__db_lock(s);
  int rc = SV_OK;
  if (!sqlite3_get_autocommit(s->db)) {
    rc = sv__fail(s, SV_EBUSY, "cannot compact inside an open transaction");
    goto done;
  }
  sv__stmt_finalize_all(s); /* VACUUM needs no statement of ours pending */
  rc = exec3(s, "VACUUM \"%w\"", 0, 0, 0, "compacting (VACUUM)");
done:
  sv__db_unlock(s);
  return rc;
}
