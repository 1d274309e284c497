/*
** write.c — inserts, upserts, batches and deletes.
**
** Every write is one transaction that (1) reads the shard's last version
** and HLC from sv_meta, (2) writes its rows, each carrying the next
** version, a fresh HLC and this shard's node id as origin, and (3) stores
** the new last version and HLC back into sv_meta.  BEGIN IMMEDIATE takes
** the write lock before step (1), so versions are allocated without races
** even between processes, and a failure anywhere rolls the whole
** transaction back: a batch is all or nothing.
**
** Single inserts, inserts under an id, upserts and batches all run through
** write_items(); a single call is a batch of one whose messages carry no
** "item N:" prefix.  Everything that needs no database — vector length,
** finiteness, non-zero for cosine, flags — is checked before the lock is
** taken; metadata is checked inside the transaction with SQLite's own
** json_valid()/json_type() (one prepared statement, so a batch pays one
** small query per item and no JSON parser of ours).
**
** Each row is written with one INSERT ... ON CONFLICT(id) DO UPDATE, which
** covers a new id, a reused tombstoned id and an upsert alike; inserting
** under an explicit id first checks for a live row (SV_EEXIST).  After the
** commit the rows are applied to the arena directly when it was current
** before the write (mirror.c), so the next search needs no refresh.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/shard.h"
#include "util/clock.h"

typedef struct wctx {
  sv_shard *s;
  int batch;          /* prefix messages with the item index */
  size_t index;       /* item being written */
  sv_meta_state cur;  /* version/hlc of the last row written */
  int have_next_auto; /* next_auto is valid */
  int auto_exhausted; /* an id of INT64_MAX was used */
  int64_t next_auto;
} wctx;

static int fail_item(wctx *w, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail_item(wctx *w, int status, const char *fmt, ...) {
  char msg[SV_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w->batch) return sv__fail(w->s, status, "item %zu: %s", w->index, msg);
  return sv__fail(w->s, status, "%s", msg);
}

/* Shape checks that need no database. */
static int check_vector(wctx *w, const float *vec) {
  const sv_shard *s = w->s;
  if (!vec) return fail_item(w, SV_EINVAL, "vector is NULL");
  double ss = 0.0;
  for (uint32_t i = 0; i < s->dim; i++) {
    if (!isfinite(vec[i]))
      return fail_item(w, SV_EINVAL, "vector component %u is not finite", (unsigned)i);
    ss += (double)vec[i] * (double)vec[i];
  }
  if (s->metric == SV_METRIC_COSINE && ss == 0.0)
    return fail_item(w, SV_EINVAL, "a zero vector has no direction (cosine metric)");
  return SV_OK;
}

/* Metadata must be a JSON object text (NULL stands for "{}"). */
static int check_metadata(wctx *w, const char *meta) {
  int rc;
  if (!meta) return SV_OK;
  size_t len = strlen(meta);
  if (len > 0x3fffffff) return fail_item(w, SV_EINVAL, "metadata is too large (%zu bytes)", len);
  sqlite3_stmt *st = sv__stmt(w->s, SV_STMT_JSON_CHECK, &rc);
  if (!st) return rc;
  sqlite3_bind_text(st, 1, meta, (int)len, SQLITE_STATIC);
  int src = sqlite3_step(st);
  const char *type = src == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  if (src != SQLITE_ROW) {
    rc = sv__fail_sql(w->s, src, "checking metadata");
  } else if (!type) {
    rc = fail_item(w, SV_EJSON, "metadata is not valid JSON");
  } else if (strcmp(type, "object") != 0) {
    rc = fail_item(w, SV_EJSON, "metadata must be a JSON object, not %s", type);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* The next auto id: one more than any id ever used (tombstones keep theirs). */
static int take_auto_id(wctx *w, int64_t *id) {
  int rc;
  if (!w->have_next_auto) {
    sqlite3_stmt *st = sv__stmt(w->s, SV_STMT_MAX_ID, &rc);
    if (!st) return rc;
    int src = sqlite3_step(st);
    int64_t max = 0;
    int null = 1;
    if (src == SQLITE_ROW) {
      null = sqlite3_column_type(st, 0) == SQLITE_NULL;
      max = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (src != SQLITE_ROW) return sv__fail_sql(w->s, src, "finding the largest id");
    w->have_next_auto = 1;
    if (!null && max == INT64_MAX) w->auto_exhausted = 1;
    w->next_auto = (null || max < 1) ? 1 : max + 1;
  }
  if (w->auto_exhausted)
    return fail_item(w, SV_EINVAL, "no id left: id %lld is in use", (long long)INT64_MAX);
  *id = w->next_auto;
  return SV_OK;
}

static void note_id_used(wctx *w, int64_t id) {
  if (!w->have_next_auto) return;
  if (id == INT64_MAX)
    w->auto_exhausted = 1;
  else if (id >= w->next_auto)
    w->next_auto = id + 1;
}

/* 1 when `id` is a live row. */
static int is_live(wctx *w, int64_t id, int *live) {
  int rc;
  sqlite3_stmt *st = sv__stmt(w->s, SV_STMT_ROW_STATE, &rc);
  if (!st) return rc;
  sqlite3_bind_int64(st, 1, id);
  int src = sqlite3_step(st);
  *live = src == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
  sqlite3_reset(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return sv__fail_sql(w->s, src, "looking up an id");
  return SV_OK;
}

/* Allocate the next version and HLC for a row. */
static void next_stamp(wctx *w) {
  w->cur.version++;
  w->cur.hlc = sv_hlc_next(w->cur.hlc, sv_clock_ms());
}

static int write_one(wctx *w, const sv_item *it, int upsert, int64_t *out_id) {
  int rc, live = 0;
  int64_t id = it->id;
  if ((rc = check_metadata(w, it->metadata)) != SV_OK) return rc;
  if (!it->has_id) {
    if ((rc = take_auto_id(w, &id)) != SV_OK) return rc;
  } else if (!upsert) {
    if ((rc = is_live(w, id, &live)) != SV_OK) return rc;
    if (live) return fail_item(w, SV_EEXIST, "id %lld already exists", (long long)id);
  }
  if (w->cur.version == INT64_MAX)
    return fail_item(w, SV_EINTERNAL, "the shard's version counter is exhausted");
  next_stamp(w);

  sqlite3_stmt *st = sv__stmt(w->s, SV_STMT_UPSERT_ROW, &rc);
  if (!st) return rc;
  const void *blob = it->vec;
  size_t bytes = (size_t)w->s->dim * sizeof(float);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  /* Stored vectors are little-endian; swap a copy on big-endian hosts. */
  unsigned char *le = malloc(bytes);
  if (!le) return fail_item(w, SV_ENOMEM, "out of memory");
  for (size_t i = 0; i < bytes; i += 4) {
    const unsigned char *src4 = (const unsigned char *)it->vec + i;
    le[i] = src4[3], le[i + 1] = src4[2], le[i + 2] = src4[1], le[i + 3] = src4[0];
  }
  blob = le;
#endif
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_blob(st, 2, blob, (int)bytes, SQLITE_STATIC);
  if (it->metadata)
    sqlite3_bind_text(st, 3, it->metadata, -1, SQLITE_STATIC);
  else
    sqlite3_bind_text(st, 3, "{}", 2, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, w->cur.version);
  sqlite3_bind_int64(st, 5, w->cur.hlc);
  sqlite3_bind_int64(st, 6, w->s->node_id);
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  free(le);
#endif
  if (src != SQLITE_DONE) {
    rc = sv__fail_sql(w->s, src, "writing a row");
    if (w->batch) rc = fail_item(w, rc, "%s", sv_errmsg(w->s));
    return rc;
  }
  note_id_used(w, id);
  *out_id = id;
  return SV_OK;
}

/* Checks shared by every write entry point. */
static int check_writable(sv_shard *s, uint32_t dim) {
  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  if (dim != s->dim)
    return sv__fail(s, SV_EDIM, "vector has dimension %u, shard has %u", (unsigned)dim,
                    (unsigned)s->dim);
  return SV_OK;
}

static int write_items(sv_shard *s, const sv_item *items, size_t n, uint32_t dim, int flags,
                       int64_t *out_ids, int batch) {
  int rc, nested = 0, in_tx = 0, locked = 0;
  int64_t one_id;
  int64_t *ids = NULL;
  const float **vecs = NULL;
  const float *one_vec;
  sv_meta_state before = {0, 0, 0};
  wctx w = {s, batch, 0, {0, 0, 0}, 0, 0, 0};

  if ((rc = check_writable(s, dim)) != SV_OK) goto done;
  if (flags & ~SV_BATCH_UPSERT) {
    rc = sv__fail(s, SV_EINVAL, "unknown batch flags 0x%x", (unsigned)flags);
    goto done;
  }
  if (n == 0) goto done;
  if (!items) {
    rc = sv__fail(s, SV_EINVAL, "items is NULL");
    goto done;
  }
  for (w.index = 0; w.index < n; w.index++)
    if ((rc = check_vector(&w, items[w.index].vec)) != SV_OK) goto done;

  if (n == 1) {
    ids = &one_id;
    vecs = &one_vec;
  } else if (n > SIZE_MAX / sizeof *ids || !(ids = malloc(n * sizeof *ids)) ||
             !(vecs = malloc(n * sizeof *vecs))) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory for %zu items", n);
    goto done;
  }

  sv__db_lock(s);
  locked = 1;
  if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) goto done;
  in_tx = 1;
  if ((rc = sv__meta_state(s, &before)) != SV_OK) goto done;
  w.cur = before;
  for (w.index = 0; w.index < n; w.index++) {
    rc = write_one(&w, &items[w.index], (flags & SV_BATCH_UPSERT) != 0, &ids[w.index]);
    if (rc != SV_OK) goto done;
    vecs[w.index] = items[w.index].vec;
  }
  if ((rc = sv__meta_store(s, &w.cur)) != SV_OK) goto done;
  in_tx = 0;
  if ((rc = sv__tx_end(s, nested, 1)) != SV_OK) goto done;
  sv__mirror_apply(s, &before, &w.cur, ids, vecs, n, nested);
  if (out_ids) memcpy(out_ids, ids, n * sizeof *ids);

done:
  if (in_tx) sv__tx_end(s, nested, 0);
  if (locked) sv__db_unlock(s);
  if (ids != &one_id) free(ids);
  if (vecs != &one_vec) free((void *)vecs);
  return rc;
}

int sv_insert(sv_shard *s, const float *vec, uint32_t dim, const char *metadata, int64_t *out_id) {
  if (!s) return SV_EINVAL;
  sv_item it = {0, 0, vec, metadata};
  return write_items(s, &it, 1, dim, 0, out_id, 0);
}

int sv_insert_id(sv_shard *s, int64_t id, const float *vec, uint32_t dim, const char *metadata) {
  if (!s) return SV_EINVAL;
  sv_item it = {id, 1, vec, metadata};
  return write_items(s, &it, 1, dim, 0, NULL, 0);
}

int sv_upsert(sv_shard *s, int64_t id, const float *vec, uint32_t dim, const char *metadata) {
  if (!s) return SV_EINVAL;
  sv_item it = {id, 1, vec, metadata};
  return write_items(s, &it, 1, dim, SV_BATCH_UPSERT, NULL, 0);
}

int sv_insert_batch(sv_shard *s, const sv_item *items, size_t n, uint32_t dim, int flags,
                    int64_t *out_ids) {
  if (!s) return SV_EINVAL;
  return write_items(s, items, n, dim, flags, out_ids, 1);
}

int sv_delete(sv_shard *s, int64_t id) {
  int rc, nested = 0, in_tx = 0;
  sv_meta_state before, after;
  if (!s) return SV_EINVAL;
  if (s->readonly) return sv__fail(s, SV_EREADONLY, "the shard is open read-only");
  sv__db_lock(s);
  if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) goto done;
  in_tx = 1;
  if ((rc = sv__meta_state(s, &before)) != SV_OK) goto done;
  after = before;
  if (after.version == INT64_MAX) {
    rc = sv__fail(s, SV_EINTERNAL, "the shard's version counter is exhausted");
    goto done;
  }
  after.version++;
  after.hlc = sv_hlc_next(after.hlc, sv_clock_ms());
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_DELETE_ROW, &rc);
  if (!st) goto done;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, after.version);
  sqlite3_bind_int64(st, 3, after.hlc);
  sqlite3_bind_int64(st, 4, s->node_id);
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  if (src != SQLITE_DONE) {
    rc = sv__fail_sql(s, src, "deleting a row");
    goto done;
  }
  if (sqlite3_changes(s->db) == 0) {
    rc = sv__fail(s, SV_ENOTFOUND, "no live row with id %lld", (long long)id);
    goto done;
  }
  if ((rc = sv__meta_store(s, &after)) != SV_OK) goto done;
  in_tx = 0;
  if ((rc = sv__tx_end(s, nested, 1)) != SV_OK) goto done;
  const float *none = NULL;
  sv__mirror_apply(s, &before, &after, &id, &none, 1, nested);
done:
  if (in_tx) sv__tx_end(s, nested, 0);
  sv__db_unlock(s);
  return rc;
}

/* ---- the row write remote applies use (sync, changes.c) ----
** Kept here, next to write_one, so that whatever a row write must also
** maintain (indexes, codes) is maintained for replicated rows too. */
#include "store/changes.h"

int sv__write_row(sv_shard *s, int64_t id, const float *vec, const char *meta, size_t meta_len,
                  int64_t version, int64_t hlc, int64_t origin) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, vec ? SV_STMT_UPSERT_ROW : SV_STMT_TOMBSTONE_ROW, &rc);
  if (!st) return rc;
  const void *blob = vec;
  size_t bytes = (size_t)s->dim * sizeof(float);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  unsigned char *le = NULL;
  if (vec) {
    if (!(le = malloc(bytes))) return sv__fail(s, SV_ENOMEM, "out of memory");
    for (size_t i = 0; i < bytes; i += 4) {
      const unsigned char *src4 = (const unsigned char *)vec + i;
      le[i] = src4[3], le[i + 1] = src4[2], le[i + 2] = src4[1], le[i + 3] = src4[0];
    }
    blob = le;
  }
#endif
  sqlite3_bind_int64(st, 1, id);
  if (vec) {
    sqlite3_bind_blob(st, 2, blob, (int)bytes, SQLITE_STATIC);
    if (meta)
      sqlite3_bind_text(st, 3, meta, (int)meta_len, SQLITE_STATIC);
    else
      sqlite3_bind_text(st, 3, "{}", 2, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, version);
    sqlite3_bind_int64(st, 5, hlc);
    sqlite3_bind_int64(st, 6, origin);
  } else {
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, hlc);
    sqlite3_bind_int64(st, 4, origin);
  }
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  free(le);
#endif
  if (src != SQLITE_DONE) return sv__fail_sql(s, src, "writing a replicated row");
  return SV_OK;
}
