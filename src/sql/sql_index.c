/*
** sql_index.c — building search structures from SQL.
**
**   SELECT vector_index('hnsw' [, m, ef_construction [, schema]]);
**   SELECT vector_index('int8' | 'binary' [, NULL, NULL [, schema]]);
**   SELECT vector_index_info([schema]);   -- JSON description
**
** Both go through the public API on the connection's cached handle
** (sv_index_build, sv_index_stats_get), like the write functions, and
** vector_index is DIRECTONLY for the same reason they are: it writes.
** Compaction is plain `VACUUM` in SQL (that is all sv_compact does), so it
** has no function of its own.  Search modes are arguments of vector_search
** (sql_search.c).
*/
#include <string.h>

#include "sql/sql_internal.h"

static int get_shard(sqlite3_context *ctx, const char *fname, const char *schema, sql_entry **e) {
  char *msg = NULL;
  int rc = sql_acquire(sqlite3_user_data(ctx), schema, NULL, e, &msg);
  if (rc == SQLITE_OK) return 0;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(msg);
    sqlite3_result_error_nomem(ctx);
  } else {
    sql_result_error(ctx, fname, msg);
    sqlite3_result_error_code(ctx, rc);
  }
  return 1;
}

static const char *schema_of(int argc, sqlite3_value **argv, int i) {
  const char *s = i < argc ? (const char *)sqlite3_value_text(argv[i]) : NULL;
  return s ? s : "main";
}

/* An optional integer argument in [lo, hi]; NULL or absent gives 0. */
static int int_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i, const char *name,
                   int lo, int hi, uint32_t *out) {
  *out = 0;
  if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL) return 0;
  sqlite3_int64 v = sqlite3_value_int64(argv[i]);
  if (sqlite3_value_type(argv[i]) != SQLITE_INTEGER || v < lo || v > hi) {
    sql_result_error(ctx, "vector_index",
                     sqlite3_mprintf("%s must be an integer from %d to %d or NULL", name, lo, hi));
    return 1;
  }
  *out = (uint32_t)v;
  return 0;
}

static void fn_index(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *what = (const char *)sqlite3_value_text(argv[0]);
  sv_index_options io;
  sql_entry *e = NULL;
  memset(&io, 0, sizeof io);
  if (!what || sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
      (strcmp(what, "hnsw") != 0 && strcmp(what, "int8") != 0 && strcmp(what, "binary") != 0)) {
    sql_result_error(ctx, "vector_index",
                     sqlite3_mprintf("the first argument must be 'hnsw', 'int8' or 'binary'"));
    return;
  }
  if (int_arg(ctx, argc, argv, 1, "m", 2, 128, &io.m) ||
      int_arg(ctx, argc, argv, 2, "ef_construction", 1, 100000, &io.ef_construction))
    return;
  io.hnsw = strcmp(what, "hnsw") == 0;
  io.quantize = strcmp(what, "int8") == 0     ? SV_QUANT_INT8
                : strcmp(what, "binary") == 0 ? SV_QUANT_BINARY
                                              : 0;
  if (get_shard(ctx, "vector_index", schema_of(argc, argv, 3), &e)) return;
  int status = sv_index_build(sql_entry_shard(e), &io);
  if (status == SV_OK) {
    sqlite3_result_int(ctx, 1);
  } else if (status == SV_ENOMEM) {
    sqlite3_result_error_nomem(ctx);
  } else {
    sql_result_error(ctx, "vector_index", sqlite3_mprintf("%s", sv_errmsg(sql_entry_shard(e))));
    sqlite3_result_error_code(ctx, sql_status_code(status));
  }
  sql_release(e);
}

static void fn_index_info(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sql_entry *e = NULL;
  sv_index_stats st;
  if (get_shard(ctx, "vector_index_info", schema_of(argc, argv, 0), &e)) return;
  int status = sv_index_stats_get(sql_entry_shard(e), &st);
  if (status != SV_OK) {
    sql_result_error(ctx, "vector_index_info",
                     sqlite3_mprintf("%s", sv_errmsg(sql_entry_shard(e))));
    sqlite3_result_error_code(ctx, sql_status_code(status));
  } else {
    char *json = sqlite3_mprintf(
        "{\"hnsw\":%s,\"m\":%u,\"ef_construction\":%u,\"int8\":%s,\"binary\":%s,\"nodes\":%llu,"
        "\"graph_bytes\":%llu,\"load_ms\":%.1f}",
        st.hnsw ? "true" : "false", st.m, st.ef_construction,
        st.quantize & SV_QUANT_INT8 ? "true" : "false",
        st.quantize & SV_QUANT_BINARY ? "true" : "false", (unsigned long long)st.nodes,
        (unsigned long long)st.graph_bytes, st.load_ms);
    if (json)
      sqlite3_result_text(ctx, json, -1, sqlite3_free);
    else
      sqlite3_result_error_nomem(ctx);
  }
  sql_release(e);
}

int sql_register_index(sqlite3 *db, sql_conn *c) {
  static const sql_fn_def fns[] = {
      {"vector_index", 1, SQLITE_DIRECTONLY, fn_index},
      {"vector_index", 3, SQLITE_DIRECTONLY, fn_index},
      {"vector_index", 4, SQLITE_DIRECTONLY, fn_index},
      {"vector_index_info", 0, 0, fn_index_info},
      {"vector_index_info", 1, 0, fn_index_info},
  };
  return sql_register_fns(db, c, fns, sizeof fns / sizeof fns[0]);
}
