/*
** open.c — creating, opening and closing shard handles.
**
** A handle is allocated before anything can fail so that every failure,
** even a file that is not a database, can be explained through
** sv_errmsg(): the caller always gets a handle back (NULL only when even
** the handle could not be allocated) and always closes it.
**
** Options are validated before SQLite sees the path, so a bad call never
** creates a file.  Opening without SV_OPEN_CREATE uses SQLite's
** open-without-create mode, so a missing file stays missing and is
** reported as SV_ENOTFOUND.  The connection is opened with
** SQLITE_OPEN_NOMUTEX because the handle serialises use of it itself
** (db_mu); SQLite's own mutex would be a second lock on every call.
**
** A borrowed connection (sv_shard_open_db) keeps the host's pragmas,
** busy timeout, threading mode and checkpointing; the handle only adds its
** statements, which sv_shard_close() finalizes before returning.  An own
** writable file connection gets the background checkpointer (ckpt.c) once
** it is fully open; closing stops that thread before the connection goes.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/shard.h"

static sv_shard *new_handle(void) {
  sv_shard *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  int err_ok = sv_err_init(&s->err) == 0;
  int mu_ok = err_ok && sv_mutex_init(&s->db_mu) == 0;
  int rw_ok = mu_ok && sv_rwlock_init(&s->arena_lock) == 0;
  if (rw_ok) {
    s->locks_ready = 1;
    sv_arena_init(&s->arena, 0, 0);
    return s;
  }
  if (mu_ok) sv_mutex_destroy(&s->db_mu);
  if (err_ok) sv_err_destroy(&s->err);
  free(s);
  return NULL;
}

/* Check the caller's options; copies them (defaults for NULL) into *o. */
static int check_options(sv_shard *s, const sv_open_options *opts, sv_open_options *o) {
  static const sv_open_options defaults = {0, SV_METRIC_UNSET, 0};
  *o = opts ? *opts : defaults;
  if (o->dim > SV_MAX_DIM)
    return sv__fail(s, SV_EINVAL, "dimension %u out of range (1..%d)", (unsigned)o->dim,
                    SV_MAX_DIM);
  if (o->metric != SV_METRIC_UNSET && o->metric != SV_METRIC_COSINE && o->metric != SV_METRIC_L2 &&
      o->metric != SV_METRIC_DOT)
    return sv__fail(s, SV_EINVAL, "unknown metric %d", (int)o->metric);
  if (o->flags & ~(SV_OPEN_CREATE | SV_OPEN_READONLY | SV_OPEN_DURABLE))
    return sv__fail(s, SV_EINVAL, "unknown open flags 0x%x", (unsigned)o->flags);
  if ((o->flags & SV_OPEN_CREATE) && (o->flags & SV_OPEN_READONLY))
    return sv__fail(s, SV_EINVAL, "SV_OPEN_CREATE and SV_OPEN_READONLY exclude each other");
  return SV_OK;
}

static int file_exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) {
    fclose(f);
    return 1;
  }
  return errno != ENOENT;
}

/* Everything after the SQLite connection exists. */
static int finish_open(sv_shard *s, const sv_open_options *o, int may_create) {
  int rc = sv__schema_open(s, o, may_create);
  if (rc != SV_OK) return rc;
  sv_arena_init(&s->arena, s->dim, s->metric == SV_METRIC_COSINE);
  return SV_OK;
}

/* The start both opens share: a fresh handle in *out, so that even a
** failure leaves one carrying the message, and opts checked into *o. */
static int start_open(const sv_open_options *opts, sv_shard **out, sv_open_options *o) {
  if (!out) return SV_EINVAL;
  *out = new_handle();
  if (!*out) return SV_ENOMEM;
  return check_options(*out, opts, o);
}

int sv_shard_open(const char *path, const sv_open_options *opts, sv_shard **out) {
  sv_open_options o;
  int rc = start_open(opts, out, &o);
  if (rc != SV_OK) return rc;
  sv_shard *s = *out;
  if (!path || !*path) return sv__fail(s, SV_EINVAL, "shard path is empty");
  s->owns_db = 1;
  s->schema = sqlite3_mprintf("main");
  if (!s->schema) return sv__fail(s, SV_ENOMEM, "out of memory");
  s->in_memory = strcmp(path, ":memory:") == 0;
  s->readonly = (o.flags & SV_OPEN_READONLY) != 0;
  int create = (o.flags & SV_OPEN_CREATE) != 0;
  if (s->in_memory && s->readonly)
    return sv__fail(s, SV_EINVAL, "an in-memory shard cannot be read-only");
  if (!s->in_memory && !file_exists(path)) {
    if (!create)
      return sv__fail(s, SV_ENOTFOUND, "no shard file '%s' (pass SV_OPEN_CREATE to create it)",
                      path);
    if (o.dim == 0)
      return sv__fail(s, SV_EINVAL, "creating shard '%s' needs a dimension (opts.dim 1..%d)", path,
                      SV_MAX_DIM);
  }

  int flags = SQLITE_OPEN_NOMUTEX;
  if (s->readonly)
    flags |= SQLITE_OPEN_READONLY;
  else
    flags |= SQLITE_OPEN_READWRITE | (create || s->in_memory ? SQLITE_OPEN_CREATE : 0);
  int src = sqlite3_open_v2(path, &s->db, flags, NULL);
  if (src != SQLITE_OK) {
    int status = sv__status_of(src);
    if ((src & 0xff) == SQLITE_CANTOPEN) status = SV_EIO;
    rc = sv__fail(s, status == SV_OK ? SV_EIO : status, "cannot open '%s': %s", path,
                  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
    sqlite3_close(s->db);
    s->db = NULL;
    return rc;
  }
  sqlite3_busy_timeout(s->db, 5000);
  if ((rc = finish_open(s, &o, create || s->in_memory)) != SV_OK) return rc;
  sv__ckpt_install(s);
  return SV_OK;
}

int sv_shard_open_db(void *db, const char *schema, const sv_open_options *opts, sv_shard **out) {
  sv_open_options o;
  int rc = start_open(opts, out, &o);
  if (rc != SV_OK) return rc;
  sv_shard *s = *out;
  if (!db) return sv__fail(s, SV_EINVAL, "no database connection given");
  s->db = db;
  s->owns_db = 0;
  s->schema = sqlite3_mprintf("%s", schema ? schema : "main");
  if (!s->schema) return sv__fail(s, SV_ENOMEM, "out of memory");
  int ro = sqlite3_db_readonly(s->db, s->schema);
  if (ro < 0) return sv__fail(s, SV_EINVAL, "the connection has no schema named \"%s\"", s->schema);
  s->readonly = ro == 1 || (o.flags & SV_OPEN_READONLY) != 0;
  const char *fname = sqlite3_db_filename(s->db, s->schema);
  s->in_memory = fname == NULL || fname[0] == '\0';
  return finish_open(s, &o, (o.flags & SV_OPEN_CREATE) != 0);
}

int sv_shard_close(sv_shard *s) {
  int rc = SV_OK;
  if (!s) return SV_OK;
  int locked = s->locks_ready && (s->owns_db || s->db);
  if (locked) sv__db_lock(s);
  if (locked && s->db && s->owns_db) sv__index_close(s);
  sv__stmt_finalize_all(s);
  if (s->owns_db) sv__ckpt_close(s);
  if (s->db && s->owns_db) {
    if (sqlite3_close(s->db) != SQLITE_OK) {
      rc = SV_EIO;
      sqlite3_close_v2(s->db); /* frees once whatever still holds it is gone */
    }
  }
  if (locked) sv__db_unlock(s);
  s->db = NULL;
  sv_arena_free(&s->arena);
  sqlite3_free(s->schema);
  if (s->locks_ready) {
    sv_rwlock_destroy(&s->arena_lock);
    sv_mutex_destroy(&s->db_mu);
  }
  sv_err_destroy(&s->err);
  free(s);
  return rc;
}

const char *sv_errmsg(const sv_shard *s) {
  if (!s) return "no shard handle (out of memory while opening)";
  return sv_err_get(&s->err);
}
