/*
** datadir.c — the data directory, shard names, and open shard handles.
**
** Every shard a client can reach is a file DATA/NAME.shard, and the only
** way to name one is a shard name that passes mcp_name_check(): 1 to 64
** characters from [A-Za-z0-9_.-], starting with a letter or digit, with no
** "..".  So a name can hold no '/', cannot be absolute, cannot climb out,
** and is never empty or a dot-file.  The directory itself is resolved to
** its canonical path once at start-up and held open as a descriptor.
**
** A name could still lead outside through the file system: someone with
** access to the directory may have planted NAME.shard (or its -wal, -shm,
** -journal side files) as a symbolic link to a file elsewhere, or as a
** hard link to one.  Before a shard is opened, each of those files that
** exists is looked at with fstatat(AT_SYMLINK_NOFOLLOW) relative to the
** directory descriptor and must be a regular file with a single link;
** otherwise the call is refused and nothing is opened.  (An attacker able
** to swap files between that check and the open already controls the
** directory; the check is against mistakes and planted links, not races.)
**
** Open handles are cached by name, because opening a shard and loading
** its vectors into memory costs far more than a search.  The cache holds
** MCP_MAX_OPEN_SHARDS handles and closes the least recently used one when
** full.  Every handle is opened with SV_OPEN_DURABLE, so each write is
** fsynced before the tool returns; creating a shard also fsyncs the
** directory, so the new file's name survives a crash too.
*/
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcp/mcp.h"

/* mkdir -p with mode 0700 for the parts that are missing. */
static int make_dirs(const char *dir) {
  char buf[PATH_MAX];
  size_t n = strlen(dir);
  if (n >= sizeof buf) return -1;
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
      buf[i] = c;
    }
  }
  return 0;
}

int mcp_datadir_open(mcp_server *srv, const char *dir) {
  int rc = SV_OK;
  struct stat st;
  if (make_dirs(dir) != 0) {
    rc =
        mcp_server_fail(srv, SV_EIO, "cannot create data directory '%s': %s", dir, strerror(errno));
    goto cleanup;
  }
  srv->data_dir = realpath(dir, NULL);
  if (!srv->data_dir) {
    rc = mcp_server_fail(srv, SV_EIO, "cannot resolve data directory '%s': %s", dir,
                         strerror(errno));
    goto cleanup;
  }
  srv->dir_fd = open(srv->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (srv->dir_fd < 0 || fstat(srv->dir_fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
    rc = mcp_server_fail(srv, SV_EIO, "cannot open data directory '%s': %s", srv->data_dir,
                         strerror(errno));
    goto cleanup;
  }
cleanup:
  return rc;
}

void mcp_datadir_close(mcp_server *srv, int *rc) {
  for (size_t i = 0; i < srv->nopen; i++) {
    if (sv_shard_close(srv->open[i].shard) != SV_OK) *rc = SV_EIO;
  }
  srv->nopen = 0;
  if (srv->dir_fd >= 0) close(srv->dir_fd);
  srv->dir_fd = -1;
  free(srv->data_dir);
  srv->data_dir = NULL;
}

int mcp_name_check(const char *name, char *why, size_t size) {
  size_t n = strlen(name);
  if (n == 0 || n > MCP_MAX_NAME) {
    snprintf(why, size, "must be 1 to %d characters long", MCP_MAX_NAME);
    return SV_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-' && c != '.'))) {
      snprintf(why, size,
               "may only hold letters, digits, '_', '-' and '.', and must start with a letter "
               "or digit (no '/', no absolute paths)");
      return SV_EINVAL;
    }
  }
  if (strstr(name, "..")) {
    snprintf(why, size, "must not contain '..'");
    return SV_EINVAL;
  }
  return SV_OK;
}

int mcp_shard_path(mcp_server *srv, const char *name, char *buf, size_t size, int *exists,
                   mcp_result *res) {
  static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
  char why[200], file[MCP_MAX_NAME + 32];
  if (mcp_name_check(name, why, sizeof why) != SV_OK)
    return mcp_fail(res, "invalid shard name '%.80s': %s", name, why);
  *exists = 0;
  for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
    struct stat st;
    snprintf(file, sizeof file, "%s.shard%s", name, sides[i]);
    if (fstatat(srv->dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return mcp_fail(res, "shard '%s': cannot inspect %s: %s", name, file, strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
      return mcp_fail(res,
                      "shard '%s': refusing %s, which is a symbolic link, a hard link or not a "
                      "regular file (shards must stay inside the data directory)",
                      name, file);
    if (i == 0) *exists = 1;
  }
  if ((size_t)snprintf(buf, size, "%s/%s.shard", srv->data_dir, name) >= size)
    return mcp_fail(res, "shard '%s': path too long", name);
  return SV_OK;
}

/* The identity of DATA/NAME.shard as it is now (0 when it is gone). */
static int file_id(mcp_server *srv, const char *name, uint64_t *dev, uint64_t *ino) {
  char file[MCP_MAX_NAME + 8];
  struct stat st;
  snprintf(file, sizeof file, "%s.shard", name);
  if (fstatat(srv->dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  *dev = (uint64_t)st.st_dev;
  *ino = (uint64_t)st.st_ino;
  return 1;
}

/* A cached handle for `name`, if the file it opened is still the one under
** that name.  A shard deleted or replaced behind the server's back (a
** restore from backup, `rm`) is dropped, so the caller opens what is there
** now, or reports that nothing is, instead of writing to an unlinked file. */
static mcp_open_shard *cache_find(mcp_server *srv, const char *name) {
  for (size_t i = 0; i < srv->nopen; i++) {
    mcp_open_shard *c = &srv->open[i];
    if (strcmp(c->name, name) != 0) continue;
    uint64_t dev, ino;
    if (file_id(srv, name, &dev, &ino) && dev == c->dev && ino == c->ino) {
      c->last_use = ++srv->use_clock;
      return c;
    }
    mcp_log(srv, SV_MCP_LOG_INFO, "shard %s changed on disk; reopening", name);
    sv_shard_close(c->shard);
    srv->open[i] = srv->open[--srv->nopen];
    return NULL;
  }
  return NULL;
}

/* Keep an opened handle; the least recently used one makes room. */
static void cache_add(mcp_server *srv, const char *name, sv_shard *s) {
  size_t slot = srv->nopen;
  if (srv->nopen == MCP_MAX_OPEN_SHARDS) {
    slot = 0;
    for (size_t i = 1; i < srv->nopen; i++) {
      if (srv->open[i].last_use < srv->open[slot].last_use) slot = i;
    }
    mcp_log(srv, SV_MCP_LOG_DEBUG, "closing shard %s (cache full)", srv->open[slot].name);
    sv_shard_close(srv->open[slot].shard);
  } else {
    srv->nopen++;
  }
  assert(strlen(name) <= MCP_MAX_NAME);
  snprintf(srv->open[slot].name, sizeof srv->open[slot].name, "%s", name);
  srv->open[slot].shard = s;
  srv->open[slot].last_use = ++srv->use_clock;
  if (!file_id(srv, name, &srv->open[slot].dev, &srv->open[slot].ino))
    srv->open[slot].dev = srv->open[slot].ino = 0;
}

int mcp_shard_get(mcp_server *srv, const char *name, sv_shard **out, mcp_result *res) {
  int rc, exists;
  char path[PATH_MAX];
  sv_shard *s = NULL;
  mcp_open_shard *c = cache_find(srv, name);
  if (c) {
    *out = c->shard;
    return SV_OK;
  }
  if ((rc = mcp_shard_path(srv, name, path, sizeof path, &exists, res)) != SV_OK) goto cleanup;
  if (!exists) {
    rc = mcp_fail(res, "no shard named '%s' (create it with vector_shard_create)", name);
    goto cleanup;
  }
  sv_open_options o = {0, SV_METRIC_UNSET, SV_OPEN_DURABLE};
  if ((rc = sv_shard_open(path, &o, &s)) != SV_OK) {
    rc = mcp_fail(res, "cannot open shard '%s': %s", name, s ? sv_errmsg(s) : sv_errstr(rc));
    goto cleanup;
  }
  cache_add(srv, name, s);
  *out = s;
  s = NULL;
cleanup:
  sv_shard_close(s);
  return rc;
}

int mcp_shard_create(mcp_server *srv, const char *name, uint32_t dim, sv_metric metric,
                     sv_shard **out, int *created, mcp_result *res) {
  int rc, exists;
  char path[PATH_MAX];
  sv_shard *s = NULL;
  struct stat st;
  *created = 0;
  mcp_open_shard *c = cache_find(srv, name);
  if ((rc = mcp_shard_path(srv, name, path, sizeof path, &exists, res)) != SV_OK) goto cleanup;
  if (c) {
    sv_stats stats;
    if ((rc = sv_shard_stats(c->shard, &stats)) != SV_OK) {
      rc = mcp_fail_sv(res, c->shard, rc, "reading the shard's dimension");
      goto cleanup;
    }
    if (stats.dim != dim || stats.metric != metric) {
      rc = mcp_fail(res, "shard '%s' already exists with dim %u and metric %s (asked for %u, %s)",
                    name, (unsigned)stats.dim, sv_metric_name(stats.metric), (unsigned)dim,
                    sv_metric_name(metric));
      goto cleanup;
    }
    *out = c->shard;
    goto cleanup;
  }
  /* An existing empty file holds nothing and becomes the shard. */
  int fresh =
      !exists || (fstatat(srv->dir_fd, strrchr(path, '/') + 1, &st, 0) == 0 && st.st_size == 0);
  sv_open_options o = {dim, metric, SV_OPEN_CREATE | SV_OPEN_DURABLE};
  if ((rc = sv_shard_open(path, &o, &s)) != SV_OK) {
    rc = mcp_fail(res, "cannot create shard '%s': %s", name, s ? sv_errmsg(s) : sv_errstr(rc));
    goto cleanup;
  }
  if (fresh && fsync(srv->dir_fd) != 0) {
    rc = mcp_fail(res, "shard '%s': cannot sync the data directory: %s", name, strerror(errno));
    goto cleanup;
  }
  cache_add(srv, name, s);
  *out = s;
  *created = fresh;
  s = NULL;
cleanup:
  sv_shard_close(s);
  return rc;
}
