/*
** textshard.c — text shards: shards that know how to turn text into vectors.
**
** A text shard is a memory file of the agent-memory layer: a shard
** (cosine, the embedder's dimension) plus the memory tables, with the
** embedder's name, version and dimension recorded in the file when it was
** made.  It lives in the data directory like any shard (DATA/NAME.shard,
** the same name rules) and the vector tools work on it; the memory tools
** work only on text shards, and text given to vector_insert/vector_search
** is embedded with the shard's own embedder.  A plain vector shard has no
** embedder, so text sent to it is refused with a message saying how to
** make a text shard: guessing an embedder would put vectors of another
** space next to the caller's and make every later search quietly wrong.
**
** When a shard is opened, mcp_text_probe() reads the embedder record
** (sv_mem_file_embedder) into its cache entry, so the question "is this a
** text shard?" costs nothing later.  The embedder and the memory handle
** are opened on first text use and kept with the entry.  This server
** embeds with the built-in hash-v1 only (any dimension); a file written
** with another embedder (an HTTP model, a command) stays usable for
** vectors, but text for it is a tool error naming its embedder.
**
** The memory handle is a second SQLite connection on the same file as the
** entry's shard handle; both use WAL, and the engine notices the other
** connection's commits, as it does for other processes.  It is opened
** with SV_OPEN_DURABLE, so memory writes are fsynced before a tool returns.
*/
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"

#define HASH_V1 "hash-v1"

int mcp_fail_mem(mcp_result *res, sv_mem *m, int rc, const char *what) {
  return mcp_fail(res, "%s: %s (%s)", what, m ? sv_mem_errmsg(m) : sv_errstr(rc), sv_errstr(rc));
}

int mcp_text_probe(mcp_open_shard *c, const char *path, mcp_result *res) {
  char err[256];
  int rc = sv_mem_file_embedder(path, c->emb_name, sizeof c->emb_name, c->emb_version,
                                sizeof c->emb_version, &c->emb_dim, err, sizeof err);
  if (rc == SV_EFORMAT) { /* a plain vector shard */
    c->emb_name[0] = c->emb_version[0] = '\0';
    c->emb_dim = 0;
    return SV_OK;
  }
  if (rc != SV_OK) return mcp_fail(res, "cannot read shard '%s': %s", c->name, err);
  return SV_OK;
}

int mcp_text_get(mcp_server *srv, const char *name, const char *what, mcp_open_shard **out,
                 mcp_result *res) {
  int rc, exists;
  char path[PATH_MAX];
  mcp_open_shard *c;
  if ((rc = mcp_shard_entry(srv, name, &c, res)) != SV_OK) goto cleanup;
  if (!c->emb_name[0]) {
    rc = mcp_fail(res,
                  "%s '%s' is a plain vector shard with no text embedder, so it takes vectors, "
                  "not text; text needs a text shard: create one with vector_shard_create "
                  "{\"shard\":\"NAME\",\"embedder\":\"hash-v1\"} (memory tools create theirs on "
                  "the first memory_store_experience)",
                  what, name);
    goto cleanup;
  }
  if (!c->emb) {
    if (strcmp(c->emb_name, HASH_V1) != 0 || strcmp(c->emb_version, "1") != 0) {
      rc = mcp_fail(res,
                    "%s '%s' was written with embedder %s version %s (%u-d); this server embeds "
                    "text only with hash-v1, so it cannot embed text for it (pass vectors of "
                    "that space instead)",
                    what, name, c->emb_name, c->emb_version, (unsigned)c->emb_dim);
      goto cleanup;
    }
    if ((rc = sv_embedder_hash_v1(c->emb_dim, &c->emb)) != SV_OK) {
      rc = mcp_fail(res, "%s '%s': cannot make the hash-v1 embedder of dim %u (%s)", what, name,
                    (unsigned)c->emb_dim, sv_errstr(rc));
      goto cleanup;
    }
  }
  if (!c->mem) {
    if ((rc = mcp_shard_path(srv, name, path, sizeof path, &exists, res)) != SV_OK) goto cleanup;
    if ((rc = sv_mem_open(path, c->emb, SV_OPEN_DURABLE, &c->mem)) != SV_OK) {
      rc = mcp_fail_mem(res, c->mem, rc, "cannot open the memory file");
      sv_mem_close(c->mem);
      c->mem = NULL;
      goto cleanup;
    }
  }
  *out = c;
cleanup:
  return rc;
}

int mcp_text_create(mcp_server *srv, const char *name, const char *embedder, uint32_t dim,
                    int *created, mcp_open_shard **out, mcp_result *res) {
  int rc, exists;
  char path[PATH_MAX];
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  mcp_open_shard *c;
  *created = 0;
  if (strcmp(embedder, HASH_V1) != 0) {
    rc = mcp_fail(res, "unknown embedder '%.60s' (this server has: hash-v1)", embedder);
    goto cleanup;
  }
  if (dim == 0) dim = SV_HASH_V1_DEFAULT_DIM;
  if ((rc = mcp_shard_path(srv, name, path, sizeof path, &exists, res)) != SV_OK) goto cleanup;
  if (!mcp_shard_fresh(srv, name, exists)) {
    if ((rc = mcp_shard_entry(srv, name, &c, res)) != SV_OK) goto cleanup;
    if (!c->emb_name[0]) {
      rc = mcp_fail(res, "shard '%s' already exists as a plain vector shard (no embedder)", name);
      goto cleanup;
    }
    if (strcmp(c->emb_name, embedder) != 0 || c->emb_dim != dim) {
      rc = mcp_fail(res, "shard '%s' already exists with embedder %s and dim %u (asked for %s, %u)",
                    name, c->emb_name, (unsigned)c->emb_dim, embedder, (unsigned)dim);
      goto cleanup;
    }
    rc = mcp_text_get(srv, name, "shard", out, res);
    goto cleanup;
  }
  if ((rc = sv_embedder_hash_v1(dim, &e)) != SV_OK) {
    rc = mcp_fail(res, "cannot make the hash-v1 embedder of dim %u (%s)", (unsigned)dim,
                  sv_errstr(rc));
    goto cleanup;
  }
  if ((rc = sv_mem_open(path, e, SV_OPEN_CREATE | SV_OPEN_DURABLE, &m)) != SV_OK) {
    rc = mcp_fail_mem(res, m, rc, "cannot create the text shard");
    goto cleanup;
  }
  if (fsync(srv->dir_fd) != 0) {
    rc = mcp_fail(res, "shard '%s': cannot sync the data directory", name);
    goto cleanup;
  }
  /* The cache opens it again as any shard, which records its embedder. */
  sv_mem_close(m);
  m = NULL;
  if ((rc = mcp_text_get(srv, name, "shard", out, res)) != SV_OK) goto cleanup;
  *created = 1;
cleanup:
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}
