/*
** sql_cache.c — one sv_shard handle per (connection, schema), kept open.
**
** Opening a shard builds its in-memory arena from every live row, which is
** far too slow to repeat per query.  So the extension keeps the handle it
** opened for a schema in a small list hanging off the connection's sql_conn
** and reuses it; the engine itself then catches up with writes made by other
** connections or processes (it compares the shard's version before each
** search).  What the engine cannot notice is the *schema name* now meaning a
** different database — after DETACH and ATTACH of another file under the
** same name — so each borrow re-checks the file name and the shard's random
** shard_id (one indexed read of sv_meta) and reopens on any change.
**
** Two more hazards are handled here:
**   - A write made inside the caller's own transaction reaches the arena at
**     once, but a later ROLLBACK takes it out of the file, not out of the
**     arena.  Such a handle is marked and reopened once the connection is
**     back in autocommit mode.
**   - SQLite refuses sqlite3_close() while any statement is unfinalized, and
**     a cached handle may hold prepared statements.  The only callback SQLite
**     makes before that check is xDisconnect of every virtual table, so the
**     cache makes sure the eponymous vector_search table exists whenever it
**     holds a handle, and vector_search's xDisconnect empties the cache.
**
** A handle is borrowed by one operation at a time (the connection's mutex
** serialises calls); a second borrow while the first is active can only
** come from re-entrant SQL and is refused with a clear error rather than
** handed a handle in mid-write.
*/
#include <assert.h>
#include <string.h>

#include "sql/sql_internal.h"

struct sql_entry {
  sql_entry *next;
  sql_conn *conn;
  char *schema;   /* as first given; compared case-insensitively */
  char *filename; /* sqlite3_db_filename() when opened; "" in memory */
  char shard_id[33];
  sv_shard *shard;
  sqlite3_stmt *id_stmt; /* reads sv_meta's shard_id; see read_shard_id() */
  int in_use;
  int txn_dirty; /* wrote inside a caller's transaction */
  int doomed;    /* close as soon as the current borrow ends */
};

sql_conn *sql_conn_new(sqlite3 *db) {
  sql_conn *c = sqlite3_malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->db = db;
  c->refs = 1;
  return c;
}

void sql_conn_ref(sql_conn *c) {
  assert(c && c->refs > 0);
  c->refs++;
}

static void entry_free(sql_entry *e) {
  if (!e) return;
  sqlite3_finalize(e->id_stmt);
  sv_shard_close(e->shard);
  sqlite3_free(e->schema);
  sqlite3_free(e->filename);
  sqlite3_free(e);
}

void sql_conn_close_shards(sql_conn *c) {
  sql_entry **pp = &c->entries;
  while (*pp) {
    sql_entry *e = *pp;
    if (e->in_use) {
      e->doomed = 1;
      pp = &e->next;
    } else {
      *pp = e->next;
      entry_free(e);
    }
  }
}

void sql_conn_unref(void *p) {
  sql_conn *c = p;
  if (!c) return;
  assert(c->refs > 0);
  if (--c->refs > 0) return;
  sql_conn_close_shards(c);
  assert(c->entries == NULL); /* nothing can be borrowed once unregistered */
  sqlite3_free(c);
}

int sql_register_fns(sqlite3 *db, sql_conn *c, const sql_fn_def *fns, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sql_conn_ref(c);
    int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs, SQLITE_UTF8 | fns[i].flags,
                                        c, fns[i].fn, NULL, NULL, sql_conn_unref);
    /* On failure SQLite has already called the destructor, dropping the
    ** reference taken above. */
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

sv_shard *sql_entry_shard(sql_entry *e) {
  assert(e && e->in_use && e->shard);
  return e->shard;
}

void sql_entry_wrote(sql_entry *e) {
  assert(e && e->in_use);
  if (!sqlite3_get_autocommit(e->conn->db)) e->txn_dirty = 1;
}

void sql_release(sql_entry *e) {
  sql_entry **pp;
  if (!e) return;
  assert(e->in_use);
  e->in_use = 0;
  if (!e->doomed) return;
  for (pp = &e->conn->entries; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      break;
    }
  }
  entry_free(e);
}

/* The shard_id stored in the entry's schema, into buf (33 bytes).  The
** statement is kept with the entry: this runs on every borrow, and after a
** DETACH/ATTACH SQLite re-prepares it against whatever the name now means
** (or fails, when nothing is attached under it). */
static int read_shard_id(sql_entry *e, char *buf, char **errmsg) {
  sqlite3 *db = e->conn->db;
  int rc;
  buf[0] = '\0';
  if (!e->id_stmt) {
    char *sql =
        sqlite3_mprintf("SELECT value FROM \"%w\".sv_meta WHERE key = 'shard_id'", e->schema);
    if (!sql) return SQLITE_NOMEM;
    rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->id_stmt, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) goto fail;
  }
  rc = sqlite3_step(e->id_stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char *v = sqlite3_column_text(e->id_stmt, 0);
    int n = sqlite3_column_bytes(e->id_stmt, 0);
    if (v && n > 0 && n < 33) {
      memcpy(buf, v, (size_t)n);
      buf[n] = '\0';
      rc = SQLITE_OK;
      goto done;
    }
    rc = SQLITE_ERROR;
    *errmsg = sqlite3_mprintf("schema '%s' has a malformed shard_id in sv_meta", e->schema);
    goto done;
  }
  if (rc == SQLITE_DONE) {
    rc = SQLITE_ERROR;
    *errmsg = sqlite3_mprintf("schema '%s' has no shard_id in sv_meta", e->schema);
    goto done;
  }
fail:
  *errmsg =
      sqlite3_mprintf("cannot read sv_meta in schema '%s': %s", e->schema, sqlite3_errmsg(db));
done:
  if (e->id_stmt) sqlite3_reset(e->id_stmt);
  return rc;
}

/* Preparing any statement that names vector_search makes SQLite create the
** eponymous table (and call xConnect), which is all that is wanted here:
** the statement itself is expected to fail for lack of arguments. */
static void ensure_eponymous(sql_conn *c) {
  sqlite3_stmt *st = NULL;
  if (c->epo_connected) return;
  sqlite3_prepare_v2(c->db, "SELECT rowid FROM vector_search", -1, &st, NULL);
  sqlite3_finalize(st);
}

static int still_valid(sql_entry *e, const char *filename) {
  char id[33];
  char *err = NULL;
  if (e->txn_dirty && sqlite3_get_autocommit(e->conn->db)) return 0;
  if (strcmp(e->filename, filename) != 0) return 0;
  if (read_shard_id(e, id, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return 0;
  }
  return strcmp(id, e->shard_id) == 0;
}

static int open_entry(sql_conn *c, const char *schema, const char *filename,
                      const sv_open_options *create, sql_entry **out, char **errmsg) {
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  sql_entry *e = NULL;
  int rc = SQLITE_NOMEM, status;
  if (create) o = *create;
  if (sqlite3_db_readonly(c->db, schema) == 1) {
    if (create) {
      *errmsg = sqlite3_mprintf("database '%s' is read-only; cannot create a shard in it", schema);
      return SQLITE_READONLY;
    }
    o.flags |= SV_OPEN_READONLY;
  }
  e = sqlite3_malloc(sizeof *e);
  if (!e) goto fail;
  memset(e, 0, sizeof *e);
  e->conn = c;
  e->schema = sqlite3_mprintf("%s", schema);
  e->filename = sqlite3_mprintf("%s", filename);
  if (!e->schema || !e->filename) goto fail;
  ensure_eponymous(c);
  status = sv_shard_open_db(c->db, schema, &o, &e->shard);
  if (status != SV_OK) {
    rc = sql_status_code(status);
    *errmsg = sqlite3_mprintf("cannot open the shard in schema '%s': %s", schema,
                              e->shard ? sv_errmsg(e->shard) : sv_errstr(status));
    goto fail;
  }
  rc = read_shard_id(e, e->shard_id, errmsg);
  if (rc != SQLITE_OK) goto fail;
  *out = e;
  return SQLITE_OK;
fail:
  entry_free(e);
  return rc;
}

int sql_acquire(sql_conn *c, const char *schema, const sv_open_options *create, sql_entry **out,
                char **errmsg) {
  sqlite3 *db = c->db;
  const char *filename = sqlite3_db_filename(db, schema);
  sql_entry *e = NULL, **pp;
  int rc;
  *out = NULL;
  *errmsg = NULL;
  if (!filename) {
    /* The temp database exists only once something was put in it. */
    if (sqlite3_stricmp(schema, "temp") != 0) {
      *errmsg = sqlite3_mprintf("no such database: '%s' (ATTACH it first)", schema);
      return SQLITE_ERROR;
    }
    filename = "";
  }
  for (pp = &c->entries; *pp; pp = &(*pp)->next) {
    if (!(*pp)->doomed && sqlite3_stricmp((*pp)->schema, schema) == 0) break;
  }
  e = *pp;
  if (e) {
    if (e->in_use) {
      *errmsg = sqlite3_mprintf(
          "the shard in schema '%s' is already in use by an outer call on this connection "
          "(re-entrant use, e.g. from a trigger, is not supported)",
          schema);
      return SQLITE_ERROR;
    }
    if (!create && still_valid(e, filename)) {
      e->in_use = 1;
      *out = e;
      return SQLITE_OK;
    }
    *pp = e->next;
    entry_free(e);
  }
  rc = open_entry(c, schema, filename, create, &e, errmsg);
  if (rc != SQLITE_OK) return rc;
  e->next = c->entries;
  c->entries = e;
  e->in_use = 1;
  *out = e;
  return SQLITE_OK;
}
