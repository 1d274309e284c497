/*
** sql_internal.h — what the pieces of the SQL extension share.
**
** The extension is a thin face over the public C API: each file registers
** one family of SQL functions (or the vector_search virtual table) on a
** connection and calls only include/sqlite_vector.h for engine work.  Every
** file reaches SQLite through the host's sqlite3_api table, declared here
** with SQLITE_EXTENSION_INIT3; sql_ext.c alone defines it (INIT1) next to
** the entry point, so there is one table per loaded copy of the extension.
**
** One sql_conn exists per connection the extension was loaded into.  It
** owns the cache of open sv_shard handles (one per attached schema, so the
** in-memory arena is built once and not per query) and is shared, by
** reference count, between every function and the module registered on that
** connection: SQLite calls a destructor for each registration when the
** connection closes or the name is re-registered, and the last one frees it.
*/
#ifndef SV_SQL_INTERNAL_H
#define SV_SQL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include "sqlite_vector.h"

/* ---- Per-connection state and the shard-handle cache (sql_cache.c) ------ */

typedef struct sql_entry sql_entry; /* one cached shard handle */

typedef struct sql_conn {
  sqlite3 *db;
  int refs;          /* registrations still pointing at this state */
  int epo_connected; /* the eponymous vector_search table exists */
  sql_entry *entries;
} sql_conn;

/* A fresh state for `db` with one reference, or NULL when out of memory. */
sql_conn *sql_conn_new(sqlite3 *db);
void sql_conn_ref(sql_conn *c);
/* Drop one reference; the last one closes every cached shard and frees c.
** Has the signature SQLite wants for destructors. */
void sql_conn_unref(void *c);
/* One SQL function bound to the connection state (see sql_register_fns). */
typedef struct sql_fn_def {
  const char *name;
  int nargs, flags; /* flags are or'ed with SQLITE_UTF8 */
  void (*fn)(sqlite3_context *, int, sqlite3_value **);
} sql_fn_def;
/* Register fns[0..n) on db with c as user data, each registration holding
** one reference to c.  Returns the first SQLite error (SQLite has then
** already dropped that registration's reference). */
int sql_register_fns(sqlite3 *db, sql_conn *c, const sql_fn_def *fns, size_t n);
/* Close every cached shard handle (not in use); the next call reopens. */
void sql_conn_close_shards(sql_conn *c);

/* Borrow the shard stored in `schema` of c->db for one operation.  When
** `create` is not NULL the shard is created with those options if absent
** (and checked against them if present).  On success returns SQLITE_OK and
** sets *out; the caller must sql_release() it.  On failure returns an
** SQLite code and sets *errmsg to a sqlite3_malloc'ed message (or NULL when
** out of memory). */
int sql_acquire(sql_conn *c, const char *schema, const sv_open_options *create, sql_entry **out,
                char **errmsg);
sv_shard *sql_entry_shard(sql_entry *e);
/* A write went through the handle: if the connection is inside a caller's
** transaction, the arena may hold rows a ROLLBACK would undo, so the handle
** is reloaded once the transaction is over. */
void sql_entry_wrote(sql_entry *e);
void sql_release(sql_entry *e);

/* ---- Vector arguments (sql_vecarg.c) ------------------------------------ */

/* A vector argument decoded to float32.  `v` points either into the BLOB
** of the sqlite3_value (valid while the value is) or into `own`. */
typedef struct sql_vec {
  const float *v;
  uint32_t dim;
  float *own; /* sqlite3_malloc'ed copy, or NULL */
} sql_vec;

/* Decode a BLOB of little-endian float32 or the text of a JSON array of
** numbers.  Returns SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *errmsg
** set to a sqlite3_malloc'ed explanation (NULL when out of memory).  A NULL
** value is an error here; callers that map NULL to NULL test first. */
int sql_vec_from_value(sqlite3_value *val, sql_vec *out, char **errmsg);
void sql_vec_free(sql_vec *vec);

/* Parse the JSON text `json` (n bytes) into a sqlite3_malloc'ed float array.
** Same return contract as sql_vec_from_value(). */
int sql_vec_parse_json(const char *json, size_t n, float **out, uint32_t *dim, char **errmsg);

/* Set the result of ctx to v as a BLOB of little-endian float32. */
void sql_result_vec(sqlite3_context *ctx, const float *v, uint32_t dim);

/* Format v as a JSON array with the shortest decimal form of each float that
** reads back to the same float.  Returns sqlite3_malloc'ed text or NULL when
** out of memory. */
char *sql_vec_to_json(const float *v, uint32_t dim);

/* ---- Small helpers (sql_util.c) ----------------------------------------- */

/* The SQLite result code closest to an sv_* status (SV_ENOMEM ->
** SQLITE_NOMEM, SV_EBUSY -> SQLITE_BUSY, SV_EREADONLY -> SQLITE_READONLY,
** anything else -> SQLITE_ERROR). */
int sql_status_code(int status);

/* Report `msg` (may be NULL: out of memory) as the error of `ctx`, prefixed
** with the function name, and free it. */
void sql_result_error(sqlite3_context *ctx, const char *fname, char *msg);

/* A "[schema.]sv_vectors" reference split into its schema ("main" when
** absent): sqlite3_malloc'ed in *schema.  SQLITE_ERROR with *errmsg for any
** other form. */
int sql_parse_shard_ref(const char *ref, char **schema, char **errmsg);

/* ---- Registration (one function per file) ------------------------------- */

int sql_register_scalars(sqlite3 *db, sql_conn *c);
int sql_register_writes(sqlite3 *db, sql_conn *c);
int sql_register_search(sqlite3 *db, sql_conn *c);
int sql_register_index(sqlite3 *db, sql_conn *c);

#endif /* SV_SQL_INTERNAL_H */
