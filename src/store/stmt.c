/*
** stmt.c — the handle's prepared-statement cache and transaction helpers.
**
** Every hot path (insert, search refresh, get) runs a handful of fixed
** statements; preparing them once per handle and resetting them after each
** use keeps a single insert in the tens of microseconds and a batch insert
** free of parsing.  Texts name the shard's schema explicitly, so they are
** formatted with the schema quoted as an identifier (%w) on first use.
** Statements are always reset right after use so none is left holding a
** read lock or blocking a COMMIT.
**
** Transactions: a write takes BEGIN IMMEDIATE so the write lock is taken
** up front (a deferred transaction that upgrades later can fail with
** SQLITE_BUSY_SNAPSHOT after waiting); versions are then allocated safely
** inside it.  On a borrowed connection the host may already be inside a
** transaction, where BEGIN is an error, so the write becomes a SAVEPOINT
** nested in the host's transaction instead.  Reads that must agree with
** each other (arena refresh + filter) run inside a SAVEPOINT, which starts
** a read snapshot when the connection is idle; on a borrowed connection
** that is already inside a transaction or running a statement the
** snapshot already exists and no SAVEPOINT is taken.
*/
#include <assert.h>

#include "store/shard.h"

static const char *const stmt_text[SV_STMT_COUNT] = {
    [SV_STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [SV_STMT_COMMIT] = "COMMIT",
    [SV_STMT_ROLLBACK] = "ROLLBACK",
    [SV_STMT_SAVEPOINT] = "SAVEPOINT sv_tx",
    [SV_STMT_RELEASE] = "RELEASE sv_tx",
    [SV_STMT_ROLLBACK_TO] = "ROLLBACK TO sv_tx",
    [SV_STMT_META_STATE] =
        "SELECT key, value FROM \"%w\".sv_meta WHERE key IN ('version','hlc','epoch')",
    [SV_STMT_META_SET] =
        "UPDATE \"%w\".sv_meta SET value = CASE key WHEN 'version' THEN ?1 "
        "ELSE ?2 END WHERE key IN ('version','hlc')",
    [SV_STMT_MAX_ID] = "SELECT max(id) FROM \"%w\".sv_vectors",
    [SV_STMT_ROW_STATE] = "SELECT deleted FROM \"%w\".sv_vectors WHERE id = ?1",
    /* json_valid() first: json_type() would accept JSON5 on newer SQLite,
    ** and stored metadata must stay readable by any SQLite >= 3.40. */
    [SV_STMT_JSON_CHECK] = "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) END",
    [SV_STMT_UPSERT_ROW] =
        "INSERT INTO \"%w\".sv_vectors(id, vector, metadata, version, hlc, origin, deleted) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0) ON CONFLICT(id) DO UPDATE SET "
        "vector = excluded.vector, metadata = excluded.metadata, version = excluded.version, "
        "hlc = excluded.hlc, origin = excluded.origin, deleted = 0",
    [SV_STMT_DELETE_ROW] =
        "UPDATE \"%w\".sv_vectors SET vector = NULL, metadata = NULL, "
        "deleted = 1, version = ?2, hlc = ?3, origin = ?4 "
        "WHERE id = ?1 AND deleted = 0",
    [SV_STMT_GET_ROW] =
        "SELECT vector, metadata, version, hlc, origin FROM \"%w\".sv_vectors "
        "WHERE id = ?1 AND deleted = 0",
    [SV_STMT_GET_METADATA] = "SELECT metadata FROM \"%w\".sv_vectors WHERE id = ?1 AND deleted = 0",
    [SV_STMT_LOAD_ALL] = "SELECT id, vector FROM \"%w\".sv_vectors WHERE deleted = 0",
    [SV_STMT_CHANGES] =
        "SELECT id, vector, deleted FROM \"%w\".sv_vectors "
        "WHERE version > ?1 ORDER BY version",
    [SV_STMT_COUNT_ALL] = "SELECT count(*) FROM \"%w\".sv_vectors",
    [SV_STMT_COUNT_DELETED] = "SELECT count(*) FROM \"%w\".sv_vectors WHERE deleted = 1",
    [SV_STMT_TOMBSTONE_ROW] =
        "INSERT INTO \"%w\".sv_vectors(id, vector, metadata, version, hlc, origin, deleted) "
        "VALUES(?1, NULL, NULL, ?2, ?3, ?4, 1) ON CONFLICT(id) DO UPDATE SET "
        "vector = NULL, metadata = NULL, version = excluded.version, hlc = excluded.hlc, "
        "origin = excluded.origin, deleted = 1",
};

sqlite3_stmt *sv__stmt(sv_shard *s, sv_stmt_id id, int *rc) {
  assert(id < SV_STMT_COUNT && stmt_text[id]);
  *rc = SV_OK;
  if (s->stmts[id]) return s->stmts[id];
  char *sql = sqlite3_mprintf(stmt_text[id], s->schema);
  if (!sql) {
    *rc = sv__fail(s, SV_ENOMEM, "out of memory preparing a statement");
    return NULL;
  }
  int src = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) {
    /* A fixed statement that does not compile means a table or column is
    ** missing: the schema was damaged or never was a shard's. */
    if ((src & 0xff) == SQLITE_ERROR)
      *rc = sv__fail(s, SV_EFORMAT, "shard schema is damaged: %s", sqlite3_errmsg(s->db));
    else
      *rc = sv__fail_sql(s, src, "preparing a statement");
    sqlite3_finalize(s->stmts[id]);
    s->stmts[id] = NULL;
    return NULL;
  }
  return s->stmts[id];
}

int sv__count(sv_shard *s, sv_stmt_id id, int64_t *out) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, id, &rc);
  *out = 0;
  if (!st) return rc;
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (src != SQLITE_ROW) return sv__fail_sql(s, src, "counting rows");
  return SV_OK;
}

void sv__stmt_finalize_all(sv_shard *s) {
  for (int i = 0; i < SV_STMT_COUNT; i++) {
    sqlite3_finalize(s->stmts[i]);
    s->stmts[i] = NULL;
  }
}

int sv__exec_stmt(sv_shard *s, sv_stmt_id id, const char *what) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, id, &rc);
  if (!st) return rc;
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  if (src != SQLITE_DONE) return sv__fail_sql(s, src, what);
  return SV_OK;
}

int sv__tx_begin_write(sv_shard *s, int *nested) {
  *nested = !sqlite3_get_autocommit(s->db);
  if (*nested) return sv__exec_stmt(s, SV_STMT_SAVEPOINT, "starting a write");
  return sv__exec_stmt(s, SV_STMT_BEGIN_IMMEDIATE, "starting a write transaction");
}

/* Undo without touching the recorded message: the caller's failure is the
** story the user needs, not a follow-up rollback complaint. */
static void rollback_quietly(sv_shard *s, int nested) {
  int rc;
  if (nested) {
    sqlite3_stmt *st = sv__stmt(s, SV_STMT_ROLLBACK_TO, &rc);
    if (st) {
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    st = sv__stmt(s, SV_STMT_RELEASE, &rc);
    if (st) {
      sqlite3_step(st);
      sqlite3_reset(st);
    }
  } else if (!sqlite3_get_autocommit(s->db)) {
    sqlite3_stmt *st = sv__stmt(s, SV_STMT_ROLLBACK, &rc);
    if (st) {
      sqlite3_step(st);
      sqlite3_reset(st);
    }
  }
}

int sv__tx_end(sv_shard *s, int nested, int ok) {
  if (!ok) {
    rollback_quietly(s, nested);
    return SV_OK;
  }
  int rc = sv__exec_stmt(s, nested ? SV_STMT_RELEASE : SV_STMT_COMMIT, "committing");
  if (rc != SV_OK) rollback_quietly(s, nested);
  return rc;
}

/* 1 when some statement of the host is running on the connection. */
static int host_statement_running(sv_shard *s) {
  for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st))
    if (sqlite3_stmt_busy(st)) return 1;
  return 0;
}

int sv__tx_begin_read(sv_shard *s, int *opened) {
  *opened = 0;
  /* On a borrowed connection that already has a transaction on the schema,
  ** or a statement running (which keeps whatever read transaction we start
  ** open until it finishes), our reads already share one snapshot; and
  ** SQLite refuses a SAVEPOINT while a write statement runs, as in
  ** INSERT INTO t SELECT ... FROM vector_search(...). */
  if (!s->owns_db &&
      (sqlite3_txn_state(s->db, s->schema) != SQLITE_TXN_NONE || host_statement_running(s)))
    return SV_OK;
  int rc = sv__exec_stmt(s, SV_STMT_SAVEPOINT, "starting a read");
  *opened = rc == SV_OK;
  return rc;
}

void sv__tx_end_read(sv_shard *s, int opened) {
  int rc;
  if (!opened) return;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_RELEASE, &rc);
  if (!st) return;
  sqlite3_step(st);
  sqlite3_reset(st);
}

int sv__meta_state(sv_shard *s, sv_meta_state *out) {
  int rc, seen = 0;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_META_STATE, &rc);
  if (!st) return rc;
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    int64_t v = sqlite3_column_int64(st, 1);
    if (!key || sqlite3_column_type(st, 1) != SQLITE_INTEGER) continue;
    if (key[0] == 'v') {
      out->version = v;
      seen |= 1;
    } else if (key[0] == 'h') {
      out->hlc = v;
      seen |= 2;
    } else if (key[0] == 'e') {
      out->epoch = v;
      seen |= 4;
    }
  }
  sqlite3_reset(st);
  if (src != SQLITE_DONE) return sv__fail_sql(s, src, "reading shard state");
  if (seen != 7) return sv__fail(s, SV_EFORMAT, "sv_meta lacks version/hlc/epoch: damaged shard");
  return SV_OK;
}

int sv__meta_store(sv_shard *s, const sv_meta_state *m) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_META_SET, &rc);
  if (!st) return rc;
  sqlite3_bind_int64(st, 1, m->version);
  sqlite3_bind_int64(st, 2, m->hlc);
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  if (src != SQLITE_DONE) return sv__fail_sql(s, src, "updating the shard version");
  if (sqlite3_changes(s->db) != 2)
    return sv__fail(s, SV_EFORMAT, "damaged shard: sv_meta lacks version/hlc");
  return SV_OK;
}

int sv__host_writing(sv_shard *s) {
  if (s->owns_db) return 0; /* our own transactions never outlive a call */
  return sqlite3_txn_state(s->db, s->schema) == SQLITE_TXN_WRITE;
}
