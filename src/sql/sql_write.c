/*
** sql_write.c — managing a shard from SQL: create, insert, upsert, delete.
**
** These functions make the extension usable without the CLI.  They never
** write sv_vectors with SQL of their own: every write goes through the
** public API (sv_insert, sv_upsert, sv_delete) on the connection's cached
** handle, so versions, HLC timestamps, tombstones and the in-memory arena
** stay exactly as the engine keeps them.  Plain INSERT/UPDATE on sv_vectors
** would bypass all of that and is not supported.
**
** The optional last argument names the schema holding the shard ("main"
** when omitted), so a shard in an ATTACHed file is written the same way.
** Each write runs in the engine's own transaction when the connection is in
** autocommit mode; inside the caller's BEGIN ... COMMIT it becomes part of
** that transaction (see docs/SQL.md for what works where), and the cache
** reloads the handle afterwards in case the caller rolled back.
**
** They are registered DIRECTONLY: a function that writes must not be
** callable from a view or trigger planted in an untrusted database file,
** and that also rules out re-entering the engine from a trigger fired by
** its own write.
*/
#include <assert.h>
#include <string.h>

#include "sql/sql_internal.h"

/* The schema argument at argv[i], or "main" when i >= argc. */
static int schema_arg(sqlite3_context *ctx, const char *fname, int argc, sqlite3_value **argv,
                      int i, const char **out) {
  if (i >= argc) {
    *out = "main";
    return 0;
  }
  if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) {
    sql_result_error(ctx, fname,
                     sqlite3_mprintf("argument %d (schema) must be the name of a database such "
                                     "as 'main' or an ATTACHed name",
                                     i + 1));
    return 1;
  }
  *out = (const char *)sqlite3_value_text(argv[i]);
  if (!*out) {
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  return 0;
}

static int id_arg(sqlite3_context *ctx, const char *fname, sqlite3_value *v, int i, int64_t *out) {
  if (sqlite3_value_type(v) != SQLITE_INTEGER) {
    sql_result_error(ctx, fname, sqlite3_mprintf("argument %d (id) must be an integer", i + 1));
    return 1;
  }
  *out = (int64_t)sqlite3_value_int64(v);
  return 0;
}

static int vector_arg(sqlite3_context *ctx, const char *fname, sqlite3_value *v, int i,
                      sql_vec *out) {
  char *msg = NULL;
  int rc = sql_vec_from_value(v, out, &msg);
  if (rc == SQLITE_OK) return 0;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(msg);
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  if (msg) {
    char *m = sqlite3_mprintf("argument %d (vector): %s", i + 1, msg);
    sqlite3_free(msg);
    msg = m;
  }
  sql_result_error(ctx, fname, msg);
  return 1;
}

/* Metadata is JSON object text or NULL; the engine checks the JSON. */
static int metadata_arg(sqlite3_context *ctx, const char *fname, sqlite3_value *v, int i,
                        const char **out) {
  int type = sqlite3_value_type(v);
  *out = NULL;
  if (type == SQLITE_NULL) return 0;
  if (type != SQLITE_TEXT) {
    sql_result_error(
        ctx, fname,
        sqlite3_mprintf("argument %d (metadata) must be JSON object text or NULL", i + 1));
    return 1;
  }
  *out = (const char *)sqlite3_value_text(v);
  if (!*out) {
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  return 0;
}

/* Acquire the shard in schema (opening it with o when not NULL) into *e.
** Non-zero, with the failure reported on ctx, when that fails. */
static int acquire(sqlite3_context *ctx, const char *fname, sql_conn *c, const char *schema,
                   const sv_open_options *o, sql_entry **e) {
  char *msg = NULL;
  int rc = sql_acquire(c, schema, o, e, &msg);
  if (rc == SQLITE_OK) return 0;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(msg);
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  sql_result_error(ctx, fname, msg);
  sqlite3_result_error_code(ctx, rc);
  return 1;
}

/* Report a failed engine call on ctx with the handle's message. */
static void engine_error(sqlite3_context *ctx, const char *fname, sql_entry *e, int status) {
  if (status == SV_ENOMEM) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sql_result_error(ctx, fname, sqlite3_mprintf("%s", sv_errmsg(sql_entry_shard(e))));
  sqlite3_result_error_code(ctx, sql_status_code(status));
}

/* Non-zero (with the error reported on ctx) when a statement that writes
** is running on the connection: the caller's INSERT/UPDATE/DELETE.  The
** engine's own transaction could neither start a savepoint nor commit
** under it, and failing afterwards could roll back the caller's work, so
** the write is refused before anything is touched. */
static int writer_active(sqlite3_context *ctx, const char *fname, sqlite3 *db) {
  for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
    if (sqlite3_stmt_busy(st) && !sqlite3_stmt_readonly(st)) {
      sql_result_error(ctx, fname,
                       sqlite3_mprintf("cannot write while an INSERT, UPDATE or DELETE statement "
                                       "is running on this connection; call it from a SELECT "
                                       "(e.g. SELECT %s(...) FROM staging)",
                                       fname));
      return 1;
    }
  }
  return 0;
}

static int shard_exists(sqlite3 *db, const char *schema, int *exists) {
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf(
      "SELECT 1 FROM \"%w\".sqlite_master WHERE type = 'table' AND name = 'sv_meta'", schema);
  int rc;
  *exists = 0;
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
  return rc;
}

/* vector_shard_init(dim, metric [, schema]) -> 1 created, 0 already there */
static void fn_shard_init(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char fname[] = "vector_shard_init";
  sql_conn *c = sqlite3_user_data(ctx);
  sv_open_options o = {0, SV_METRIC_UNSET, SV_OPEN_CREATE};
  const char *schema, *metric;
  sqlite3_int64 dim;
  sql_entry *e = NULL;
  int existed = 0, rc;
  assert(argc == 2 || argc == 3);
  if (schema_arg(ctx, fname, argc, argv, 2, &schema)) return;
  if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
    sql_result_error(ctx, fname, sqlite3_mprintf("argument 1 (dim) must be an integer"));
    return;
  }
  dim = sqlite3_value_int64(argv[0]);
  if (dim < 1 || dim > SV_MAX_DIM) {
    sql_result_error(ctx, fname,
                     sqlite3_mprintf("dimension %lld is out of range 1..%d", dim, SV_MAX_DIM));
    return;
  }
  o.dim = (uint32_t)dim;
  metric = (const char *)sqlite3_value_text(argv[1]);
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || !metric ||
      sv_metric_parse(metric, &o.metric) != SV_OK) {
    sql_result_error(ctx, fname,
                     sqlite3_mprintf("argument 2 (metric) must be 'cosine', 'l2' or 'dot'"));
    return;
  }
  if (writer_active(ctx, fname, c->db)) return;
  rc = shard_exists(c->db, schema, &existed);
  if (rc != SQLITE_OK) {
    sql_result_error(
        ctx, fname,
        sqlite3_mprintf("cannot inspect database '%s': %s", schema, sqlite3_errmsg(c->db)));
    return;
  }
  if (acquire(ctx, fname, c, schema, &o, &e)) return;
  sql_release(e);
  sqlite3_result_int(ctx, existed ? 0 : 1);
}

/* vector_insert(vector, metadata [, schema]) -> new id and
** vector_upsert(id, vector, metadata [, schema]) -> id: the same write but
** for the leading id argument, so one body serves both and their argument
** checks and errors cannot drift apart. */
static void put_vector(sqlite3_context *ctx, int argc, sqlite3_value **argv, int with_id) {
  const char *fname = with_id ? "vector_upsert" : "vector_insert";
  const int vi = with_id ? 1 : 0; /* index of the vector argument */
  sql_conn *c = sqlite3_user_data(ctx);
  const char *schema, *meta;
  sql_vec v = {0};
  sql_entry *e = NULL;
  int64_t id = 0;
  int status;
  assert(argc == vi + 2 || argc == vi + 3);
  if (schema_arg(ctx, fname, argc, argv, vi + 2, &schema)) return;
  if (with_id && id_arg(ctx, fname, argv[0], 0, &id)) return;
  if (metadata_arg(ctx, fname, argv[vi + 1], vi + 1, &meta)) return;
  if (vector_arg(ctx, fname, argv[vi], vi, &v)) return;
  if (writer_active(ctx, fname, c->db)) goto done;
  if (acquire(ctx, fname, c, schema, NULL, &e)) goto done;
  if (with_id)
    status = sv_upsert(sql_entry_shard(e), id, v.v, v.dim, meta);
  else
    status = sv_insert(sql_entry_shard(e), v.v, v.dim, meta, &id);
  if (status != SV_OK) {
    engine_error(ctx, fname, e, status);
    goto done;
  }
  sql_entry_wrote(e);
  sqlite3_result_int64(ctx, (sqlite3_int64)id);
done:
  sql_release(e);
  sql_vec_free(&v);
}

static void fn_insert(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  put_vector(ctx, argc, argv, 0);
}

static void fn_upsert(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  put_vector(ctx, argc, argv, 1);
}

/* vector_delete(id [, schema]) -> 1 deleted, 0 no live row with that id */
static void fn_delete(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char fname[] = "vector_delete";
  sql_conn *c = sqlite3_user_data(ctx);
  const char *schema;
  sql_entry *e = NULL;
  int64_t id;
  int status;
  assert(argc == 1 || argc == 2);
  if (schema_arg(ctx, fname, argc, argv, 1, &schema)) return;
  if (id_arg(ctx, fname, argv[0], 0, &id)) return;
  if (writer_active(ctx, fname, c->db)) return;
  if (acquire(ctx, fname, c, schema, NULL, &e)) return;
  status = sv_delete(sql_entry_shard(e), id);
  if (status == SV_OK) {
    sql_entry_wrote(e);
    sqlite3_result_int(ctx, 1);
  } else if (status == SV_ENOTFOUND) {
    sqlite3_result_int(ctx, 0);
  } else {
    engine_error(ctx, fname, e, status);
  }
  sql_release(e);
}

/* vector_shard_info([schema]) -> JSON object describing the shard */
static void fn_shard_info(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char fname[] = "vector_shard_info";
  sql_conn *c = sqlite3_user_data(ctx);
  const char *schema;
  sql_entry *e = NULL;
  char *json;
  sv_stats st;
  int status;
  assert(argc == 0 || argc == 1);
  if (schema_arg(ctx, fname, argc, argv, 0, &schema)) return;
  if (acquire(ctx, fname, c, schema, NULL, &e)) return;
  memset(&st, 0, sizeof st);
  status = sv_shard_stats(sql_entry_shard(e), &st);
  if (status != SV_OK) {
    engine_error(ctx, fname, e, status);
    goto done;
  }
  json = sqlite3_mprintf(
      "{\"dim\":%u,\"metric\":\"%s\",\"count\":%llu,\"deleted\":%llu,\"version\":%lld,"
      "\"format_version\":%d,\"shard_id\":\"%s\",\"node_id\":%lld,\"file_size\":%llu,"
      "\"simd\":\"%s\"}",
      st.dim, sv_metric_name(st.metric), (unsigned long long)st.count,
      (unsigned long long)st.deleted, (long long)st.version, st.format_version, st.shard_id,
      (long long)st.node_id, (unsigned long long)st.file_size, st.simd ? st.simd : "");
  if (!json) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
done:
  sql_release(e);
}

int sql_register_writes(sqlite3 *db, sql_conn *c) {
  static const sql_fn_def fns[] = {
      {"vector_shard_init", 2, SQLITE_DIRECTONLY, fn_shard_init},
      {"vector_shard_init", 3, SQLITE_DIRECTONLY, fn_shard_init},
      {"vector_insert", 2, SQLITE_DIRECTONLY, fn_insert},
      {"vector_insert", 3, SQLITE_DIRECTONLY, fn_insert},
      {"vector_upsert", 3, SQLITE_DIRECTONLY, fn_upsert},
      {"vector_upsert", 4, SQLITE_DIRECTONLY, fn_upsert},
      {"vector_delete", 1, SQLITE_DIRECTONLY, fn_delete},
      {"vector_delete", 2, SQLITE_DIRECTONLY, fn_delete},
      {"vector_shard_info", 0, 0, fn_shard_info},
      {"vector_shard_info", 1, 0, fn_shard_info},
  };
  return sql_register_fns(db, c, fns, sizeof fns / sizeof fns[0]);
}
