/*
** mem_open.c — opening a memory file: schema, embedder record, errors.
**
** A memory file is a vector shard (sv_* tables, cosine metric, the
** embedder's dimension) plus the tables below, all in one SQLite file.  The
** handle opens its own connection (serialized mode), lets sv_shard_open_db
** check or create the shard on it first — so a file that is not a shard is
** refused before anything is written — and then creates or checks its own
** tables in one BEGIN IMMEDIATE transaction, so two processes creating the
** same file race safely.
**
**   mem_meta(key, value)  memory_format, embedder_name, embedder_version,
**                         embedder_dim; df (blob of dim little-endian
**                         uint32: items whose vector is non-zero in that
**                         dimension) and df_n (items counted) for query IDF
**   mem_items             one row per memory item (see sqlite_vector_memory.h)
**   mem_links(src, dst, relation)  'duplicate_of' / 'contradicts'
**   mem_fts               FTS5 over title, description, content, tags with
**                         the porter stemmer (best BM25 on Cranfield)
**
** The embedder record is the guard against mixing vector spaces: a file
** records (name, version, dim) when created and opening it with any other
** embedder fails.  A plain vector shard with rows but no memory tables is
** refused too (its vectors are from an unknown space).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory/mem_internal.h"

#define MEM_FORMAT 1

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS mem_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS mem_items("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, description TEXT, content TEXT "
    "NOT NULL,"
    " outcome INTEGER NOT NULL DEFAULT 0 CHECK (outcome IN (0,1,2)), domain TEXT, tags TEXT,"
    " source_task TEXT, created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL,"
    " uses INTEGER NOT NULL DEFAULT 0, successes INTEGER NOT NULL DEFAULT 0,"
    " evidence INTEGER NOT NULL DEFAULT 1, quality REAL);"
    "CREATE TABLE IF NOT EXISTS mem_links(src INTEGER NOT NULL, dst INTEGER NOT NULL,"
    " relation TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (src, dst, relation))"
    " WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE IF NOT EXISTS mem_fts USING fts5(title, description, content, tags,"
    " tokenize = 'porter unicode61');";

int64_t sv__now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sv__mem_fail(sv_mem *m, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->err, sizeof m->err, fmt, ap);
  va_end(ap);
  return rc;
}

int sv__mem_sqlfail(sv_mem *m, int sqlrc, const char *what) {
  int prim = sqlrc & 0xff;
  int rc = prim == SQLITE_BUSY || prim == SQLITE_LOCKED      ? SV_EBUSY
           : prim == SQLITE_NOMEM                            ? SV_ENOMEM
           : prim == SQLITE_READONLY                         ? SV_EREADONLY
           : prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ? SV_EFORMAT
                                                             : SV_EIO;
  return sv__mem_fail(m, rc, "%s: %s", what, m->db ? sqlite3_errmsg(m->db) : sqlite3_errstr(sqlrc));
}

int sv__mem_shardfail(sv_mem *m, int rc, const char *what) {
  return sv__mem_fail(m, rc, "%s: %s", what, sv_errmsg(m->shard));
}

int sv__strdup(const char *s, char **out) {
  *out = NULL;
  if (!s) return 0;
  size_t n = strlen(s) + 1;
  *out = malloc(n);
  if (!*out) return -1;
  memcpy(*out, s, n);
  return 0;
}

int sv__mem_begin(sv_mem *m) {
  int rc = sqlite3_exec(m->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  return rc == SQLITE_OK ? SV_OK : sv__mem_sqlfail(m, rc, "begin");
}

int sv__mem_commit(sv_mem *m) {
  int st0 = sv__mem_df_flush(m);
  if (st0 != SV_OK) {
    sv__mem_rollback(m);
    return st0;
  }
  int rc = sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL);
  if (rc == SQLITE_OK) return SV_OK;
  int st = sv__mem_sqlfail(m, rc, "commit");
  sv__mem_rollback(m);
  return st;
}

void sv__mem_rollback(sv_mem *m) {
  sv__mem_df_reset(m);
  if (!sqlite3_get_autocommit(m->db)) sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One text value of mem_meta into buf ("" when absent). */
static int meta_text(sv_mem *m, const char *key, char *buf, size_t cap) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(m->db, "SELECT value FROM mem_meta WHERE key = ?", -1, &st, NULL);
  buf[0] = '\0';
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      const char *v = (const char *)sqlite3_column_text(st, 0);
      snprintf(buf, cap, "%s", v ? v : "");
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? SV_OK : sv__mem_sqlfail(m, rc, "reading mem_meta");
}

/* Create the tables and record the embedder, or check the record.  Runs in
** its own write transaction (readers only check). */
static int setup_schema(sv_mem *m, int create) {
  char name[SV_MEM_MAX_SHORT], ver[64], dim[32], fmt[32];
  int rc = SV_OK, sqlrc, in_tx = 0;
  sv_embedder *e = m->emb;
  sqlite3_stmt *st = NULL;
  if (!m->readonly) {
    if ((rc = sv__mem_begin(m)) != SV_OK) goto done;
    in_tx = 1;
  }
  sqlrc = sqlite3_prepare_v2(m->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'mem_meta'",
                             -1, &st, NULL);
  if (sqlrc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
    rc = sv__mem_sqlfail(m, sqlrc, "reading the schema");
    goto done;
  }
  int have = sqlite3_column_int(st, 0) > 0;
  sqlite3_finalize(st);
  st = NULL;
  if (!have) {
    sv_stats stats;
    if (!create || m->readonly) {
      rc = sv__mem_fail(m, SV_EFORMAT, "'%s' is a vector shard but not a memory file", m->path);
      goto done;
    }
    if ((rc = sv_shard_stats(m->shard, &stats)) != SV_OK) {
      rc = sv__mem_shardfail(m, rc, "shard statistics");
      goto done;
    }
    if (stats.count + stats.deleted > 0) {
      rc = sv__mem_fail(m, SV_EFORMAT,
                        "'%s' already holds vectors but no memory tables; their embedder is "
                        "unknown, so it cannot become a memory file",
                        m->path);
      goto done;
    }
    sqlrc = sqlite3_exec(m->db, SCHEMA, NULL, NULL, NULL);
    if (sqlrc != SQLITE_OK) {
      rc = sv__mem_sqlfail(m, sqlrc, "creating the memory tables");
      goto done;
    }
    sqlrc = sqlite3_prepare_v2(m->db,
                               "INSERT INTO mem_meta(key, value) VALUES ('memory_format', ?1),"
                               " ('embedder_name', ?2), ('embedder_version', ?3),"
                               " ('embedder_dim', ?4), ('df_n', 0), ('df', zeroblob(?4 * 4))",
                               -1, &st, NULL);
    if (sqlrc == SQLITE_OK) {
      sqlite3_bind_int(st, 1, MEM_FORMAT);
      sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, e->version, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, e->dim);
      sqlrc = sqlite3_step(st);
    }
    if (sqlrc != SQLITE_DONE) {
      rc = sv__mem_sqlfail(m, sqlrc, "recording the embedder");
      goto done;
    }
  } else {
    if ((rc = meta_text(m, "memory_format", fmt, sizeof fmt)) ||
        (rc = meta_text(m, "embedder_name", name, sizeof name)) ||
        (rc = meta_text(m, "embedder_version", ver, sizeof ver)) ||
        (rc = meta_text(m, "embedder_dim", dim, sizeof dim))) {
      goto done;
    }
    if (atoi(fmt) != MEM_FORMAT) {
      rc = sv__mem_fail(m, SV_EFORMAT, "memory format %s is not supported (this build reads %d)",
                        fmt, MEM_FORMAT);
      goto done;
    }
    if (strcmp(name, e->name) != 0 || strcmp(ver, e->version) != 0) {
      rc = sv__mem_fail(m, SV_EINVAL,
                        "'%s' was written with embedder %s version %s, not %s version %s; "
                        "vectors from different embedders cannot be mixed",
                        m->path, name, ver, e->name, e->version);
      goto done;
    }
    if (strtoul(dim, NULL, 10) != e->dim) {
      rc = sv__mem_fail(m, SV_EDIM, "'%s' holds %s-d vectors of %s, the embedder makes %u-d",
                        m->path, dim, name, (unsigned)e->dim);
      goto done;
    }
  }
  if (in_tx) {
    in_tx = 0;
    rc = sv__mem_commit(m);
  }
done:
  sqlite3_finalize(st);
  if (in_tx) sv__mem_rollback(m);
  return rc;
}

int sv_mem_open(const char *path, sv_embedder *e, int flags, sv_mem **out) {
  int rc = SV_OK, sqlrc;
  sv_mem *m;
  if (!out) return SV_EINVAL;
  *out = m = calloc(1, sizeof *m);
  if (!m) return SV_ENOMEM;
  if (sv_mutex_init(&m->mu) != 0) {
    free(m);
    *out = NULL;
    return SV_ENOMEM;
  }
  snprintf(m->err, sizeof m->err, "not an error");
  if (!path || !*path || !e)
    return sv__mem_fail(m, SV_EINVAL, "sv_mem_open: path and embedder are required");
  if (flags & ~(SV_OPEN_CREATE | SV_OPEN_READONLY) ||
      (flags & SV_OPEN_CREATE && flags & SV_OPEN_READONLY)) {
    return sv__mem_fail(m, SV_EINVAL, "sv_mem_open: invalid flags 0x%x", (unsigned)flags);
  }
  m->emb = e;
  m->readonly = (flags & SV_OPEN_READONLY) != 0;
  if (sv__strdup(path, &m->path) != 0) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  int oflags = SQLITE_OPEN_FULLMUTEX | (m->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  if (flags & SV_OPEN_CREATE) oflags |= SQLITE_OPEN_CREATE;
  sqlrc = sqlite3_open_v2(path, &m->db, oflags, NULL);
  if (sqlrc != SQLITE_OK) {
    rc = sqlrc == SQLITE_CANTOPEN ? SV_ENOTFOUND : SV_EIO;
    return sv__mem_fail(m, rc, "cannot open '%s': %s", path,
                        m->db ? sqlite3_errmsg(m->db) : sqlite3_errstr(sqlrc));
  }
  sqlite3_extended_result_codes(m->db, 1);
  sqlite3_busy_timeout(m->db, 5000);
  sv_open_options so = {.dim = e->dim, .metric = SV_METRIC_COSINE, .flags = flags};
  rc = sv_shard_open_db(m->db, "main", &so, &m->shard);
  if (rc == SV_EDIM) {
    return sv__mem_fail(m, rc,
                        "'%s': %s; embedder %s makes %u-d vectors (open a file with the embedder "
                        "it was written with)",
                        path, sv_errmsg(m->shard), e->name, (unsigned)e->dim);
  }
  if (rc != SV_OK) {
    return sv__mem_fail(m, rc, "'%s': %s", path, m->shard ? sv_errmsg(m->shard) : "out of memory");
  }
  if (!m->readonly) {
    /* WAL: readers never block the writer, several processes share a file. */
    sqlite3_exec(m->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
  }
  return setup_schema(m, (flags & SV_OPEN_CREATE) != 0);
}

int sv_mem_close(sv_mem *m) {
  int rc = SV_OK;
  if (!m) return SV_OK;
  if (m->shard) sv_shard_close(m->shard);
  if (m->db && sqlite3_close(m->db) != SQLITE_OK) rc = SV_EIO;
  sv_mutex_destroy(&m->mu);
  free(m->df_delta);
  free(m->path);
  free(m);
  return rc;
}

int sv_mem_file_embedder(const char *path, char *name, size_t name_cap, char *version,
                         size_t version_cap, uint32_t *dim, char *errbuf, size_t errcap) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int rc = SV_OK, sqlrc, found = 0;
  char dummy[8];
  if (!errbuf || !errcap) errbuf = dummy, errcap = sizeof dummy;
  errbuf[0] = '\0';
  if (!path || !*path || !name || !name_cap || !version || !version_cap || !dim) {
    snprintf(errbuf, errcap, "sv_mem_file_embedder: invalid arguments");
    return SV_EINVAL;
  }
  name[0] = version[0] = '\0';
  *dim = 0;
  sqlrc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (sqlrc != SQLITE_OK) {
    snprintf(errbuf, errcap, "cannot open '%s': %s", path,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(sqlrc));
    rc = sqlrc == SQLITE_CANTOPEN ? SV_ENOTFOUND : SV_EIO;
    goto done;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlrc = sqlite3_prepare_v2(db,
                             "SELECT key, value FROM mem_meta WHERE key IN"
                             " ('embedder_name', 'embedder_version', 'embedder_dim')",
                             -1, &st, NULL);
  if (sqlrc != SQLITE_OK) {
    snprintf(errbuf, errcap, "'%s' is not a memory file (%s)", path, sqlite3_errmsg(db));
    rc = SV_EFORMAT;
    goto done;
  }
  while ((sqlrc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const char *v = (const char *)sqlite3_column_text(st, 1);
    if (!k || !v) continue;
    if (strcmp(k, "embedder_name") == 0) snprintf(name, name_cap, "%s", v), found |= 1;
    if (strcmp(k, "embedder_version") == 0) snprintf(version, version_cap, "%s", v), found |= 2;
    if (strcmp(k, "embedder_dim") == 0) *dim = (uint32_t)strtoul(v, NULL, 10), found |= 4;
  }
  if (sqlrc != SQLITE_DONE) {
    snprintf(errbuf, errcap, "reading '%s': %s", path, sqlite3_errmsg(db));
    rc = SV_EIO;
  } else if (found != 7 || *dim < 1 || *dim > SV_MAX_DIM) {
    snprintf(errbuf, errcap, "'%s' has no complete embedder record", path);
    rc = SV_EFORMAT;
  }
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

const char *sv_mem_errmsg(const sv_mem *m) {
  return m ? m->err : "no memory handle (out of memory)";
}
