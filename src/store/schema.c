/*
** schema.c — recognise, create and verify a shard's tables.
**
** Opening must never damage a file that is not ours, so the order matters:
** first read the header fields (application_id, user_version, page_count)
** without writing anything; refuse a foreign or newer file; only then set
** pragmas that write (journal_mode=WAL) and create tables.  Reading a file
** that is not a database at all fails inside SQLite with SQLITE_NOTADB,
** which maps to SV_EFORMAT with the file untouched.
**
** A brand-new shard is created in one write transaction.  Two processes may
** race to create the same file: both see an empty database, one wins the
** write lock and creates, and the other re-reads the application id inside
** its own transaction, sees the shard, and falls through to verification.
**
** For an own connection "empty" means the database has no pages at all, so
** SV_OPEN_CREATE never turns someone's existing SQLite file into a shard.
** A borrowed connection (the SQL extension) may add a shard to a database
** that already holds the host's own tables, as long as it carries no
** application id yet and has no sv_meta/sv_vectors tables.
**
** The page size of a new file is chosen from the dimension so that whole
** rows pack into pages with little waste (a 384-d row of ~1.6 KB fills a
** 4 KiB page only 78%, an 8 KiB page 98%); see pick_page_size().
*/
#include <stdio.h>
#include <string.h>

#include "store/shard.h"
#include "util/clock.h"

/* Run one pragma/query returning a single integer (*out). */
static int query_int(sv_shard *s, const char *sql, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (src == SQLITE_OK) {
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      src = SQLITE_OK;
    } else if (src == SQLITE_DONE) {
      *out = 0;
      src = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return src;
}

/* Message and status for a failure while probing the file. */
static int probe_fail(sv_shard *s, int src) {
  int status = sv__status_of(src);
  if (status == SV_EFORMAT)
    return sv__fail(s, SV_EFORMAT, "not a shard, or a damaged one: %s", sqlite3_errmsg(s->db));
  if ((src & 0xff) == SQLITE_ERROR)
    return sv__fail(s, SV_EINVAL, "cannot read schema \"%s\": %s", s->schema,
                    sqlite3_errmsg(s->db));
  return sv__fail_sql(s, src, "reading the database header");
}

typedef struct probe {
  int64_t app_id, user_version, page_count, has_tables;
} probe;

static int read_probe(sv_shard *s, probe *p) {
  static const char *const fmt[4] = {
      "PRAGMA \"%w\".application_id", "PRAGMA \"%w\".user_version", "PRAGMA \"%w\".page_count",
      "SELECT count(*) FROM \"%w\".sqlite_master WHERE name IN ('sv_meta','sv_vectors')"};
  int64_t *dst[4] = {&p->app_id, &p->user_version, &p->page_count, &p->has_tables};
  for (int i = 0; i < 4; i++) {
    char *sql = sqlite3_mprintf(fmt[i], s->schema);
    if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
    int src = query_int(s, sql, dst[i]);
    sqlite3_free(sql);
    if (src != SQLITE_OK) return probe_fail(s, src);
  }
  return SV_OK;
}

/* Fraction of a page's bytes that rows of `row` bytes fill when packed. */
static double page_fill(uint32_t page, double row) {
  double usable = (double)page - 8.0; /* leaf page header */
  double cell = row + 6.0;            /* cell pointer, cell header */
  double per_page = (double)(long)(usable / cell);
  if (per_page >= 1.0) return per_page * row / (double)page;
  double pages = (double)(long)(row / usable) + 1.0; /* spills to overflow pages */
  return row / (pages * (double)page);
}

/* The smallest page size within 3% of the best fill for rows of this dim
** (vector + a typical small metadata document + the other columns). */
static uint32_t pick_page_size(uint32_t dim) {
  double row = (double)dim * 4.0 + 64.0;
  double best = 0.0;
  for (uint32_t p = 4096; p <= 32768; p *= 2)
    if (page_fill(p, row) > best) best = page_fill(p, row);
  for (uint32_t p = 4096; p <= 32768; p *= 2)
    if (page_fill(p, row) >= best - 0.03) return p;
  return 4096;
}

static int exec_sql(sv_shard *s, const char *sql, const char *what) {
  int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (src != SQLITE_OK) return sv__fail_sql(s, src, what);
  return SV_OK;
}

/* Create tables and meta rows; call inside a write transaction. */
static int create_shard(sv_shard *s, uint32_t dim, sv_metric metric) {
  int rc = SV_OK;
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf(
      "CREATE TABLE \"%w\".sv_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
      "CREATE TABLE \"%w\".sv_vectors(id INTEGER PRIMARY KEY, vector BLOB, metadata TEXT,"
      " version INTEGER NOT NULL, hlc INTEGER NOT NULL, origin INTEGER NOT NULL,"
      " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)));"
      "CREATE UNIQUE INDEX \"%w\".sv_vectors_version ON sv_vectors(version);"
      "CREATE INDEX \"%w\".sv_vectors_tombstones ON sv_vectors(deleted) WHERE deleted = 1;"
      "PRAGMA \"%w\".application_id = %d;"
      "PRAGMA \"%w\".user_version = %d;",
      s->schema, s->schema, s->schema, s->schema, s->schema, SV_APPLICATION_ID, s->schema,
      SV_FORMAT_VERSION);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  rc = exec_sql(s, sql, "creating the shard tables");
  sqlite3_free(sql);
  if (rc != SV_OK) goto done;

  unsigned char rnd[24];
  sqlite3_randomness((int)sizeof rnd, rnd);
  int64_t node = 0;
  for (int i = 0; i < 8; i++) node = (int64_t)(((uint64_t)node << 8) | rnd[i]);
  node &= INT64_MAX;
  if (node == 0) node = 1;
  char shard_id[33];
  for (int i = 0; i < 16; i++) snprintf(shard_id + 2 * i, 3, "%02x", rnd[8 + i]);

  sql = sqlite3_mprintf(
      "INSERT INTO \"%w\".sv_meta(key, value) VALUES ('format_version', %d), ('dim', ?1),"
      " ('metric', ?2), ('shard_id', ?3), ('node_id', ?4), ('version', 0), ('hlc', 0),"
      " ('epoch', 0), ('created_ms', ?5)",
      s->schema, SV_FORMAT_VERSION);
  if (!sql) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory");
    goto done;
  }
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, dim);
    sqlite3_bind_text(st, 2, sv_metric_name(metric), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, shard_id, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, node);
    sqlite3_bind_int64(st, 5, sv_clock_ms());
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) src = SQLITE_OK;
  }
  if (src != SQLITE_OK) rc = sv__fail_sql(s, src, "writing shard metadata");
done:
  sqlite3_finalize(st);
  return rc;
}

static int is_hex32(const unsigned char *t, int n) {
  if (!t || n != 32) return 0;
  for (int i = 0; i < 32; i++)
    if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f'))) return 0;
  return 1;
}

/* Read and check every sv_meta field the handle needs. */
static int load_meta(sv_shard *s) {
  int rc = SV_OK, seen = 0;
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf("SELECT key, value FROM \"%w\".sv_meta", s->schema);
  if (!sql) return sv__fail(s, SV_ENOMEM, "out of memory");
  int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) {
    rc = sv__fail(s, SV_EFORMAT, "damaged shard: %s", sqlite3_errmsg(s->db));
    goto done;
  }
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    int type = sqlite3_column_type(st, 1);
    int64_t iv = sqlite3_column_int64(st, 1);
    if (!key) continue;
    if (strcmp(key, "format_version") == 0 && type == SQLITE_INTEGER) {
      if (iv < 1 || iv > SV_FORMAT_VERSION) {
        rc = sv__fail(s, SV_EFORMAT,
                      "shard format version %lld is not supported (this library reads up to %d)",
                      (long long)iv, SV_FORMAT_VERSION);
        goto done;
      }
      s->format_version = (int)iv;
      seen |= 1;
    } else if (strcmp(key, "dim") == 0 && type == SQLITE_INTEGER) {
      if (iv < 1 || iv > SV_MAX_DIM) {
        rc = sv__fail(s, SV_EFORMAT, "damaged shard: dimension %lld out of range", (long long)iv);
        goto done;
      }
      s->dim = (uint32_t)iv;
      seen |= 2;
    } else if (strcmp(key, "metric") == 0 && type == SQLITE_TEXT) {
      sv_metric m;
      const char *name = (const char *)sqlite3_column_text(st, 1);
      if (sv_metric_parse(name, &m) != SV_OK) {
        rc = sv__fail(s, SV_EFORMAT, "damaged shard: unknown metric '%s'", name ? name : "");
        goto done;
      }
      s->metric = m;
      seen |= 4;
    } else if (strcmp(key, "shard_id") == 0 && type == SQLITE_TEXT) {
      const unsigned char *t = sqlite3_column_text(st, 1);
      if (!is_hex32(t, sqlite3_column_bytes(st, 1))) {
        rc = sv__fail(s, SV_EFORMAT, "damaged shard: malformed shard_id");
        goto done;
      }
      memcpy(s->shard_id, t, 32);
      s->shard_id[32] = '\0';
      seen |= 8;
    } else if (strcmp(key, "node_id") == 0 && type == SQLITE_INTEGER) {
      s->node_id = iv;
      seen |= 16;
    } else if ((strcmp(key, "version") == 0 || strcmp(key, "hlc") == 0 ||
                strcmp(key, "epoch") == 0) &&
               type == SQLITE_INTEGER) {
      seen |= key[0] == 'v' ? 32 : key[0] == 'h' ? 64 : 128;
    }
  }
  if (src != SQLITE_DONE) {
    rc = sv__fail_sql(s, src, "reading sv_meta");
    goto done;
  }
  if (seen != 255) {
    rc = sv__fail(s, SV_EFORMAT, "damaged shard: sv_meta is missing required keys");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  /* The table the engine reads and writes must have every column. */
  sql = sqlite3_mprintf(
      "SELECT id, vector, metadata, version, hlc, origin, deleted FROM \"%w\".sv_vectors LIMIT 0",
      s->schema);
  if (!sql) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory");
    goto done;
  }
  src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (src != SQLITE_OK) rc = sv__fail(s, SV_EFORMAT, "damaged shard: %s", sqlite3_errmsg(s->db));
done:
  sqlite3_finalize(st);
  return rc;
}

/* Pragmas for a connection the handle owns (a borrowed one keeps the
** host's).  journal_mode=WAL writes the file header, so it runs only after
** the file is known to be a shard or empty. */
static int own_pragmas(sv_shard *s, int is_new) {
  int rc;
  if (is_new && !s->in_memory) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA page_size = %u", (unsigned)pick_page_size(s->dim));
    if ((rc = exec_sql(s, sql, "setting the page size")) != SV_OK) return rc;
  }
  if (!s->readonly && !s->in_memory) {
    /* Another process holding the file may keep it from switching; the
    ** shard still works in rollback-journal mode, so this is not fatal. */
    sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
  }
  return exec_sql(s,
                  "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;"
                  " PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;",
                  "setting pragmas");
}

int sv__schema_open(sv_shard *s, const sv_open_options *o, int may_create) {
  probe p;
  int rc = read_probe(s, &p);
  if (rc != SV_OK) return rc;

  int is_new;
  if (p.app_id == SV_APPLICATION_ID) {
    is_new = 0;
  } else if (p.app_id != 0) {
    return sv__fail(s, SV_EFORMAT, "not a shard: application_id is 0x%08llx, expected 0x%08x",
                    (unsigned long long)(uint32_t)p.app_id, (unsigned)SV_APPLICATION_ID);
  } else if (s->owns_db ? p.page_count == 0 : p.has_tables == 0) {
    is_new = 1;
  } else {
    return sv__fail(s, SV_EFORMAT, "not a shard: the database has no sqlite-vector application id");
  }
  if (!is_new && p.user_version > SV_FORMAT_VERSION)
    return sv__fail(s, SV_EFORMAT,
                    "shard format version %lld is newer than this library supports (%d)",
                    (long long)p.user_version, SV_FORMAT_VERSION);
  if (!is_new && p.user_version < 1)
    return sv__fail(s, SV_EFORMAT, "damaged shard: user_version %lld", (long long)p.user_version);
  if (is_new) {
    if (!may_create)
      return sv__fail(s, SV_EFORMAT,
                      "not a shard: the database is empty (pass SV_OPEN_CREATE to create one)");
    if (s->readonly) return sv__fail(s, SV_EREADONLY, "cannot create a shard read-only");
    if (o->dim == 0)
      return sv__fail(s, SV_EINVAL, "creating a shard needs a dimension (opts.dim 1..%d)",
                      SV_MAX_DIM);
    s->dim = o->dim;
  }

  if (s->owns_db && (rc = own_pragmas(s, is_new)) != SV_OK) return rc;
  /* SV_OPEN_DURABLE: fsync the WAL at every commit, so a write survives
  ** power loss once it returns (NORMAL only survives a process crash). */
  if (s->owns_db && (o->flags & SV_OPEN_DURABLE) &&
      (rc = exec_sql(s, "PRAGMA synchronous = FULL", "setting synchronous=FULL")) != SV_OK)
    return rc;

  if (is_new) {
    int nested;
    if ((rc = sv__tx_begin_write(s, &nested)) != SV_OK) return rc;
    /* Re-check under the write lock: another process may have won the race. */
    rc = read_probe(s, &p);
    if (rc == SV_OK && p.app_id == 0 && p.has_tables == 0) {
      sv_metric m = o->metric == SV_METRIC_UNSET ? SV_METRIC_COSINE : o->metric;
      rc = create_shard(s, o->dim, m);
    } else if (rc == SV_OK && p.app_id != SV_APPLICATION_ID) {
      rc = sv__fail(s, SV_EFORMAT, "not a shard: the database changed while it was opened");
    }
    int rc2 = sv__tx_end(s, nested, rc == SV_OK);
    if (rc == SV_OK) rc = rc2;
    if (rc != SV_OK) return rc;
  }

  if ((rc = load_meta(s)) != SV_OK) return rc;
  if (o->dim != 0 && o->dim != s->dim)
    return sv__fail(s, SV_EDIM, "shard has dimension %u, not %u", (unsigned)s->dim,
                    (unsigned)o->dim);
  if (o->metric != SV_METRIC_UNSET && o->metric != s->metric)
    return sv__fail(s, SV_EINVAL, "shard uses metric %s, not %s", sv_metric_name(s->metric),
                    sv_metric_name(o->metric));
  return SV_OK;
}
