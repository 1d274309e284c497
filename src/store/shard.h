/*
** shard.h — the shard handle and what the store's files share.
**
** One sv_shard owns (or borrows) one SQLite connection and one arena.  Two
** locks protect it: the connection lock (sv__db_lock: `db_mu`, or for a
** borrowed connection SQLite's own connection mutex) serialises every use
** of the connection and of the statement cache; `arena_lock` lets many searches scan the arena at
** once while a writer or a refresh changes it.  The lock order is always
** db_mu, then arena_lock; nobody waits for db_mu while holding arena_lock,
** so the two cannot deadlock.  A handle that owns a writable file also has
** a checkpointer thread with a second connection of its own (ckpt.h); its
** mutex is taken after db_mu and the thread never takes db_mu.
**
** All SQL names the shard's schema explicitly ("main", or an ATTACHed
** schema of a borrowed connection), so the statement texts are built at
** run time with the schema quoted as an identifier and cached per handle.
*/
#ifndef SV_STORE_SHARD_H
#define SV_STORE_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"
#include "store/arena.h"
#include "store/ckpt.h"
#include "store/sv_sqlite.h"
#include "util/err.h"
#include "util/lock.h"

#define SV_APPLICATION_ID 0x53564543 /* "SVEC" */

/* Cached statements (texts in stmt.c). */
typedef enum sv_stmt_id {
  SV_STMT_BEGIN_IMMEDIATE,
  SV_STMT_COMMIT,
  SV_STMT_ROLLBACK,
  SV_STMT_SAVEPOINT,
  SV_STMT_RELEASE,
  SV_STMT_ROLLBACK_TO,
  SV_STMT_META_STATE,
  SV_STMT_META_SET,
  SV_STMT_MAX_ID,
  SV_STMT_ROW_STATE,
  SV_STMT_JSON_CHECK,
  SV_STMT_UPSERT_ROW,
  SV_STMT_DELETE_ROW,
  SV_STMT_GET_ROW,
  SV_STMT_GET_METADATA,
  SV_STMT_LOAD_ALL,
  SV_STMT_CHANGES,
  SV_STMT_COUNT_ALL,
  SV_STMT_COUNT_DELETED,
  SV_STMT_TOMBSTONE_ROW, /* sync: a remote delete, inserted when unknown */
  SV_STMT_COUNT
} sv_stmt_id;

struct sv_shard {
  sqlite3 *db;
  int owns_db;   /* 0: borrowed (sv_shard_open_db) */
  char *schema;  /* schema name, sqlite3_malloc'ed */
  int readonly;  /* writes fail with SV_EREADONLY */
  int in_memory; /* file_size reports 0 */
  uint32_t dim;
  sv_metric metric;
  int format_version;
  int64_t node_id;
  char shard_id[33];

  sv_mutex db_mu;
  sv_rwlock arena_lock;
  int locks_ready;
  sv_arena arena;
  sqlite3_stmt *stmts[SV_STMT_COUNT];
  sv_ckpt ckpt; /* background WAL checkpointer (own file connections) */
  /* Index configuration as last read from sv_meta (index.c), the build
  ** progress callback while sv_index_build runs, the last load's time. */
  int idx_quantize;
  uint32_t idx_m, idx_efc;
  void (*idx_progress)(void *, uint64_t, uint64_t);
  void *idx_progress_arg;
  double idx_load_ms;
  int64_t idx_saved_version; /* arena version the saved graph reflects */
  int idx_graph_loaded;      /* the last load used the saved graph */
  sv_err err;
};

/* The connection lock.  An own connection (opened NOMUTEX) is guarded by
** db_mu.  A borrowed connection is guarded by SQLite's own recursive
** connection mutex instead: the host may call into us from inside a
** statement on that connection (a SQL function or virtual table already
** holding its mutex), and a separate db_mu taken there would invert the
** order "db_mu, then the connection mutex" that every write follows — a
** deadlock between two threads.  With the connection's mutex both orders
** are the same lock, re-entered.  (A host connection without a mutex is
** single-threaded by the host's own contract.) */
static inline void sv__db_lock(sv_shard *s) {
  if (s->owns_db)
    sv_mutex_lock(&s->db_mu);
  else
    sqlite3_mutex_enter(sqlite3_db_mutex(s->db));
}

static inline void sv__db_unlock(sv_shard *s) {
  if (s->owns_db)
    sv_mutex_unlock(&s->db_mu);
  else
    sqlite3_mutex_leave(sqlite3_db_mutex(s->db));
}

/* State of the shard as recorded in sv_meta. */
typedef struct sv_meta_state {
  int64_t version, hlc, epoch;
} sv_meta_state;

/* ---- errors (shard.c) ---- */

/* Record a message on the handle and return `status`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int sv__fail(sv_shard *s, int status, const char *fmt, ...);
/* Map an SQLite result code to an SV_E* status. */
int sv__status_of(int sqlite_rc);
/* Record "<what>: <sqlite message>" and return the mapped status of rc. */
int sv__fail_sql(sv_shard *s, int rc, const char *what);

/* ---- statements and transactions (stmt.c) ---- */

/* The cached statement `id`, prepared on first use; NULL on failure with
** the error recorded (status in *rc). */
sqlite3_stmt *sv__stmt(sv_shard *s, sv_stmt_id id, int *rc);
void sv__stmt_finalize_all(sv_shard *s);
/* Run the cached count(*) statement `id` into *out (0 on failure).  SV_OK
** or a failure recorded on the handle. */
int sv__count(sv_shard *s, sv_stmt_id id, int64_t *out);
/* Run a cached statement that returns no rows.  SV_OK or a failure
** recorded on the handle. */
int sv__exec_stmt(sv_shard *s, sv_stmt_id id, const char *what);

/* A write transaction: BEGIN IMMEDIATE on an idle connection, a SAVEPOINT
** inside a transaction the caller of a borrowed connection already has
** open (*nested then says so).  sv__tx_end commits (ok != 0) or rolls
** back; a failed commit is rolled back and reported. */
int sv__tx_begin_write(sv_shard *s, int *nested);
int sv__tx_end(sv_shard *s, int nested, int ok);
/* A read snapshot (a SAVEPOINT) so a sequence of reads sees one state;
** *opened says whether one was taken (see stmt.c) and goes to end_read. */
int sv__tx_begin_read(sv_shard *s, int *opened);
void sv__tx_end_read(sv_shard *s, int opened);

/* Read version/hlc/epoch from sv_meta. */
int sv__meta_state(sv_shard *s, sv_meta_state *out);
/* Write m's version and hlc to sv_meta (every local or replicated write ends
** here); SV_EFORMAT when sv_meta lacks either row. */
int sv__meta_store(sv_shard *s, const sv_meta_state *m);

/* ---- schema (schema.c) ---- */

/* Create or verify the shard in s->schema and fill the handle's dim,
** metric, node_id, shard_id, format_version.  `may_create`: create when
** the schema is empty (own connection) or holds no shard yet (borrowed). */
int sv__schema_open(sv_shard *s, const sv_open_options *o, int may_create);

/* ---- the arena mirror (mirror.c) ---- */

/* Bring the arena up to date with the database.  Call with db_mu held and
** inside a read snapshot; takes arena_lock for writing only when something
** changed.  `conn_idle` is !sv__host_writing() as it was before the
** snapshot began (0: the caller of a borrowed connection has a write
** transaction open, so what we read might still be rolled back). */
int sv__mirror_sync(sv_shard *s, int conn_idle);

/* 1 when the caller of a borrowed connection has a write transaction open
** on the shard's schema (our reads may see rows it could still roll back). */
int sv__host_writing(sv_shard *s);

/* Apply one own committed write to the arena when it directly follows
** what the arena holds (`before` is the sv_meta state the write started
** from, `after` the state it committed).  Rows are given as id/vector
** pairs; vec NULL means the row was deleted.  Call with db_mu held. */
void sv__mirror_apply(sv_shard *s, const sv_meta_state *before, const sv_meta_state *after,
                      const int64_t *ids, const float *const *vecs, size_t n, int tentative);

/* ---- index configuration (index.c) ---- */

/* Read the index configuration from sv_meta and shape the (cleared) arena
** accordingly: codes enabled, a fresh empty graph attached or detached.
** Call with db_mu and the arena write lock held, before rows are loaded. */
int sv__index_prepare(sv_shard *s);
/* After a full load: build the graph over the loaded rows when configured
** (arena write lock held). */
int sv__index_finish(sv_shard *s, sv_meta_state *now);
/* The saved graph when it is usable for the arena just loaded at state
** `now` (index_save.c); 1 with *out set, or 0 (then rebuild). */
struct sv_hnsw;
int sv__index_load_saved(sv_shard *s, sv_meta_state *now, struct sv_hnsw **out);
/* Save the arena's graph with its state stamp (db_mu held).  SV_OK also
** when there is nothing to save. */
int sv__index_save(sv_shard *s);
/* At close: save the graph when it changed since it was saved or loaded. */
void sv__index_close(sv_shard *s);
/* A wall-clock time in milliseconds (double) for durations. */
double sv__store_now_ms(void);

/* ---- blob helpers (shard.c) ---- */

/* Copy a stored vector BLOB (little-endian float32) into dst. */
void sv__blob_to_floats(float *dst, const void *blob, uint32_t dim);

#endif /* SV_STORE_SHARD_H */
