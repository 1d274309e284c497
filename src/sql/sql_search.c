/*
** sql_search.c — the vector_search table-valued function.
**
**   SELECT id, score, metadata
**     FROM vector_search('sv_vectors', :query, :k [, :filter [, :threshold
**                        [, :mode [, :ef]]]]);
**
** mode is 'exact', 'quantized' (int8 scan + exact rescoring), 'binary',
** 'hnsw' or 'auto' (NULL = auto); ef the HNSW candidate count (NULL = 64).
** The hidden column `plan` says what the planner ran.
**
** vector_search is an eponymous-only virtual table: it has no xCreate, so it
** exists in every connection the extension is loaded into and cannot be
** CREATEd or DROPped.  Its arguments are hidden columns (shard, query, k,
** filter, threshold, in that order), which is how SQLite implements
** table-valued functions; writing "WHERE k = 5" is therefore the same as
** passing 5 as the third argument.
**
** xBestIndex accepts only plans where the three required arguments arrive
** as usable equality constraints and hands all of them to xFilter
** (omitted from SQLite's own re-check).  When a required argument depends on
** a table not yet positioned in a join, it answers SQLITE_CONSTRAINT so the
** planner puts that table first; when an argument is missing altogether it
** fails the prepare with a usage message rather than scanning nothing.
**
** xFilter validates every argument, borrows the connection's cached shard
** handle for the schema (sql_cache.c), runs one sv_search and keeps the
** hits; the cursor then just walks the array.  Results come out in the
** engine's order (best first, ties by ascending id); an ORDER BY in the
** query costs SQLite a sort of only k rows.  The metadata text is fetched
** only when the statement reads the metadata column.
**
** xDisconnect also empties the connection's shard cache: SQLite calls it on
** sqlite3_close() before refusing to close a connection with unfinalized
** statements, and the cached handles may own some.
*/
#include <assert.h>
#include <math.h>
#include <string.h>

#include "sql/sql_internal.h"

/* The largest k accepted; far above any useful top-k, it only stops a typo
** from asking the engine for a multi-gigabyte result. */
#define SQL_MAX_K 1000000

enum {
  COL_ID,
  COL_SCORE,
  COL_METADATA,
  COL_SHARD,
  COL_QUERY,
  COL_K,
  COL_FILTER,
  COL_THRESHOLD,
  COL_MODE,
  COL_EF,
  COL_PLAN /* hidden, not an argument */
};
#define NARGS 7     /* argument columns, COL_SHARD.. */
#define NREQUIRED 3 /* shard, query, k */

/* idxNum bits */
#define IDX_FILTER 0x1
#define IDX_THRESHOLD 0x2
#define IDX_METADATA 0x4
#define IDX_MODE 0x8
#define IDX_EF 0x10

static const char *const arg_names[NARGS] = {"shard",     "query", "k", "filter",
                                             "threshold", "mode",  "ef"};

#define USAGE                                                                            \
  "usage: vector_search('[schema.]sv_vectors', query, k [, filter [, threshold [, mode " \
  "[, ef]]]])"

typedef struct search_vtab {
  sqlite3_vtab base;
  sql_conn *conn;
} search_vtab;

typedef struct search_cursor {
  sqlite3_vtab_cursor base;
  sv_results res;
  sv_ann_options ann;
  const char *plan; /* what the planner ran (static) */
  size_t pos;
  sqlite3_value *args[NARGS]; /* the arguments, echoed by hidden columns */
} search_cursor;

static int search_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err) {
  sql_conn *c = aux;
  search_vtab *vt;
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(id INTEGER, score REAL, metadata TEXT, "
                                "shard HIDDEN, query HIDDEN, k HIDDEN, filter HIDDEN, "
                                "threshold HIDDEN, mode HIDDEN, ef HIDDEN, plan HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  vt = sqlite3_malloc(sizeof *vt);
  if (!vt) return SQLITE_NOMEM;
  memset(vt, 0, sizeof *vt);
  sql_conn_ref(c);
  vt->conn = c;
  c->epo_connected = 1;
  *out = &vt->base;
  return SQLITE_OK;
}

static int search_disconnect(sqlite3_vtab *base) {
  search_vtab *vt = (search_vtab *)base;
  vt->conn->epo_connected = 0;
  sql_conn_close_shards(vt->conn);
  sql_conn_unref(vt->conn);
  sqlite3_free(vt);
  return SQLITE_OK;
}

static int search_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
  int usable[NARGS], unusable = 0, next = 1, idx_num = 0;
  for (int a = 0; a < NARGS; a++) usable[a] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *con = &info->aConstraint[i];
    int a = con->iColumn - COL_SHARD;
    if (a < 0 || a >= NARGS || con->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!con->usable) {
      unusable |= 1 << a;
    } else if (usable[a] < 0) {
      usable[a] = i;
    }
  }
  for (int a = 0; a < NREQUIRED; a++) {
    if (usable[a] < 0 && !(unusable & (1 << a))) {
      sqlite3_free(base->zErrMsg);
      base->zErrMsg =
          sqlite3_mprintf("vector_search: the %s argument is missing; " USAGE, arg_names[a]);
      return SQLITE_ERROR;
    }
  }
  for (int a = 0; a < NARGS; a++) {
    /* An optional argument that is not usable yet would be dropped silently
    ** by this plan; make the planner wait for it like a required one. */
    if (usable[a] < 0 && (unusable & (1 << a))) return SQLITE_CONSTRAINT;
  }
  for (int a = 0; a < NARGS; a++) {
    if (usable[a] < 0) continue;
    info->aConstraintUsage[usable[a]].argvIndex = next++;
    info->aConstraintUsage[usable[a]].omit = 1;
  }
  if (usable[COL_FILTER - COL_SHARD] >= 0) idx_num |= IDX_FILTER;
  if (usable[COL_THRESHOLD - COL_SHARD] >= 0) idx_num |= IDX_THRESHOLD;
  if (usable[COL_MODE - COL_SHARD] >= 0) idx_num |= IDX_MODE;
  if (usable[COL_EF - COL_SHARD] >= 0) idx_num |= IDX_EF;
  if (info->colUsed & ((sqlite3_uint64)1 << COL_METADATA)) idx_num |= IDX_METADATA;
  info->idxNum = idx_num;
  info->estimatedCost = 10000.0;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int search_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
  search_cursor *cur = sqlite3_malloc(sizeof *cur);
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof *cur);
  *out = &cur->base;
  return SQLITE_OK;
}

static void cursor_reset(search_cursor *cur) {
  sv_results_free(&cur->res);
  cur->res.n = 0;
  cur->res.hits = NULL;
  cur->pos = 0;
  for (int a = 0; a < NARGS; a++) {
    sqlite3_value_free(cur->args[a]);
    cur->args[a] = NULL;
  }
}

static int search_close(sqlite3_vtab_cursor *base) {
  search_cursor *cur = (search_cursor *)base;
  cursor_reset(cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Validate k, filter and threshold into opts; a message in *err on error. */
static int read_options(search_cursor *cur, sv_search_options *opts, sv_ann_options *ann,
                        char **err) {
  sqlite3_value *k = cur->args[COL_K - COL_SHARD];
  sqlite3_value *filter = cur->args[COL_FILTER - COL_SHARD];
  sqlite3_value *threshold = cur->args[COL_THRESHOLD - COL_SHARD];
  sqlite3_int64 kv;
  if (sqlite3_value_type(k) != SQLITE_INTEGER) {
    *err = sqlite3_mprintf("k must be an integer from 1 to %d", SQL_MAX_K);
    return SQLITE_ERROR;
  }
  kv = sqlite3_value_int64(k);
  if (kv < 1 || kv > SQL_MAX_K) {
    *err = sqlite3_mprintf("k = %lld is out of range; it must be from 1 to %d", kv, SQL_MAX_K);
    return SQLITE_ERROR;
  }
  opts->k = (uint32_t)kv;
  if (filter && sqlite3_value_type(filter) != SQLITE_NULL) {
    if (sqlite3_value_type(filter) != SQLITE_TEXT) {
      *err = sqlite3_mprintf("filter must be JSON object text (e.g. '{\"lang\":\"en\"}') or NULL");
      return SQLITE_ERROR;
    }
    opts->filter = (const char *)sqlite3_value_text(filter);
    if (!opts->filter) return SQLITE_NOMEM;
  }
  if (threshold && sqlite3_value_type(threshold) != SQLITE_NULL) {
    int t = sqlite3_value_type(threshold);
    double d = sqlite3_value_double(threshold);
    if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) {
      *err = sqlite3_mprintf("threshold must be a number or NULL");
      return SQLITE_ERROR;
    }
    if (!isfinite(d) || fabs(d) > 3.4e38) {
      *err = sqlite3_mprintf("threshold must be a finite number within the float32 range");
      return SQLITE_ERROR;
    }
    opts->use_threshold = 1;
    opts->threshold = (float)d;
  }
  sqlite3_value *mode = cur->args[COL_MODE - COL_SHARD];
  sqlite3_value *ef = cur->args[COL_EF - COL_SHARD];
  if (mode && sqlite3_value_type(mode) != SQLITE_NULL) {
    static const char *const names[] = {"auto", "exact", "quantized", "binary", "hnsw"};
    const char *m = (const char *)sqlite3_value_text(mode);
    int found = -1;
    for (int i = 0; m && sqlite3_value_type(mode) == SQLITE_TEXT && i < 5; i++)
      if (strcmp(m, names[i]) == 0) found = i;
    if (found < 0) {
      *err = sqlite3_mprintf("mode must be 'exact', 'quantized', 'binary', 'hnsw', 'auto' or NULL");
      return SQLITE_ERROR;
    }
    ann->mode = found; /* names[] is in sv_search_mode order */
  }
  if (ef && sqlite3_value_type(ef) != SQLITE_NULL) {
    sqlite3_int64 e = sqlite3_value_int64(ef);
    if (sqlite3_value_type(ef) != SQLITE_INTEGER || e < 1 || e > 100000) {
      *err = sqlite3_mprintf("ef must be an integer from 1 to 100000 or NULL");
      return SQLITE_ERROR;
    }
    ann->ef = (uint32_t)e;
  }
  return SQLITE_OK;
}

static int search_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                         sqlite3_value **argv) {
  search_cursor *cur = (search_cursor *)base;
  search_vtab *vt = (search_vtab *)base->pVtab;
  sv_search_options opts;
  sql_vec q = {0};
  sql_entry *e = NULL;
  char *schema = NULL, *err = NULL;
  int rc = SQLITE_OK, status, n = 0;
  cursor_reset(cur);
  memset(&opts, 0, sizeof opts);
  /* argv holds the arguments present, in hidden-column order. */
  for (int a = 0; a < NARGS; a++) {
    if (a == COL_FILTER - COL_SHARD && !(idx_num & IDX_FILTER)) continue;
    if (a == COL_THRESHOLD - COL_SHARD && !(idx_num & IDX_THRESHOLD)) continue;
    if (a == COL_MODE - COL_SHARD && !(idx_num & IDX_MODE)) continue;
    if (a == COL_EF - COL_SHARD && !(idx_num & IDX_EF)) continue;
    assert(n < argc);
    cur->args[a] = sqlite3_value_dup(argv[n++]);
    if (!cur->args[a]) {
      rc = SQLITE_NOMEM;
      goto done;
    }
  }
  assert(n == argc);
  if (sqlite3_value_type(cur->args[0]) != SQLITE_TEXT) {
    err = sqlite3_mprintf(
        "the shard argument must be the text 'sv_vectors' or "
        "'schema.sv_vectors'");
    rc = SQLITE_ERROR;
    goto done;
  }
  rc = sql_parse_shard_ref((const char *)sqlite3_value_text(cur->args[0]), &schema, &err);
  if (rc != SQLITE_OK) goto done;
  rc = sql_vec_from_value(cur->args[1], &q, &err);
  if (rc != SQLITE_OK) {
    if (err) {
      char *m = sqlite3_mprintf("query: %s", err);
      sqlite3_free(err);
      err = m;
    }
    goto done;
  }
  memset(&cur->ann, 0, sizeof cur->ann);
  rc = read_options(cur, &opts, &cur->ann, &err);
  if (rc != SQLITE_OK) goto done;
  opts.with_metadata = (idx_num & IDX_METADATA) != 0;
  rc = sql_acquire(vt->conn, schema, NULL, &e, &err);
  if (rc != SQLITE_OK) goto done;
  status = sv_search_ex(sql_entry_shard(e), q.v, q.dim, &opts, &cur->ann, &cur->res, &cur->plan);
  if (status != SV_OK) {
    rc = sql_status_code(status);
    err = sqlite3_mprintf("%s", sv_errmsg(sql_entry_shard(e)));
    sv_results_free(&cur->res);
    cur->res.n = 0;
    cur->res.hits = NULL;
    goto done;
  }
done:
  sql_release(e);
  sql_vec_free(&q);
  sqlite3_free(schema);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    sqlite3_free(base->pVtab->zErrMsg);
    base->pVtab->zErrMsg = err ? sqlite3_mprintf("vector_search: %s", err) : NULL;
    if (!base->pVtab->zErrMsg) rc = SQLITE_NOMEM;
  }
  sqlite3_free(err);
  return rc;
}

static int search_next(sqlite3_vtab_cursor *base) {
  search_cursor *cur = (search_cursor *)base;
  cur->pos++;
  return SQLITE_OK;
}

static int search_eof(sqlite3_vtab_cursor *base) {
  search_cursor *cur = (search_cursor *)base;
  return cur->pos >= cur->res.n;
}

static int search_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
  search_cursor *cur = (search_cursor *)base;
  const sv_hit *hit;
  assert(cur->pos < cur->res.n);
  hit = &cur->res.hits[cur->pos];
  switch (col) {
    case COL_ID:
      sqlite3_result_int64(ctx, (sqlite3_int64)hit->id);
      break;
    case COL_SCORE:
      sqlite3_result_double(ctx, (double)hit->score);
      break;
    case COL_METADATA:
      if (hit->metadata) sqlite3_result_text(ctx, hit->metadata, -1, SQLITE_TRANSIENT);
      break;
    case COL_PLAN:
      sqlite3_result_text(ctx, cur->plan ? cur->plan : "exact", -1, SQLITE_STATIC);
      break;
    default:
      assert(col >= COL_SHARD && col - COL_SHARD < NARGS);
      if (cur->args[col - COL_SHARD]) sqlite3_result_value(ctx, cur->args[col - COL_SHARD]);
      break;
  }
  return SQLITE_OK;
}

static int search_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  search_cursor *cur = (search_cursor *)base;
  assert(cur->pos < cur->res.n);
  *rowid = (sqlite3_int64)cur->res.hits[cur->pos].id;
  return SQLITE_OK;
}

static const sqlite3_module search_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = search_connect,
    .xBestIndex = search_best_index,
    .xDisconnect = search_disconnect,
    .xDestroy = NULL,
    .xOpen = search_open,
    .xClose = search_close,
    .xFilter = search_filter,
    .xNext = search_next,
    .xEof = search_eof,
    .xColumn = search_column,
    .xRowid = search_rowid,
};

int sql_register_search(sqlite3 *db, sql_conn *c) {
  sql_conn_ref(c);
  /* On failure SQLite calls the destructor itself, dropping that reference. */
  return sqlite3_create_module_v2(db, "vector_search", &search_module, c, sql_conn_unref);
}
