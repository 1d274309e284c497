/*
** server.c — the life of an MCP server handle.
**
** A server is a data directory (opened once, kept as a directory file
** descriptor so later checks are relative to it), a table of tools whose
** schemas are parsed at start-up, and a small cache of open shard handles.
** Building one either completes or leaves a handle that only carries the
** error message, mirroring sv_shard_open(), so the caller always has
** something to read sv_mcp_errmsg() from.  Freeing closes every shard,
** which runs the library's final checkpoint.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp/mcp.h"

int mcp_server_fail(mcp_server *srv, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(srv->err, sizeof srv->err, fmt, ap);
  va_end(ap);
  return rc;
}

int mcp_version_at_least(const mcp_server *srv, const char *version) {
  /* Revisions are ISO dates, so byte order is time order.  Before
  ** initialize the server answers as its latest revision. */
  const char *p = srv->protocol[0] ? srv->protocol : MCP_LATEST_VERSION;
  return strcmp(p, version) >= 0;
}

int sv_mcp_server_new(const sv_mcp_options *opts, sv_mcp_server **out) {
  int rc = SV_OK;
  if (!out) return SV_EINVAL;
  mcp_server *srv = calloc(1, sizeof *srv);
  *out = srv;
  if (!srv) return SV_ENOMEM;
  srv->dir_fd = -1;
  snprintf(srv->err, sizeof srv->err, "not an error");
  if (!opts || !opts->data_dir || !*opts->data_dir) {
    rc = mcp_server_fail(srv, SV_EINVAL, "no data directory given");
    goto cleanup;
  }
  if (opts->log_level < SV_MCP_LOG_OFF || opts->log_level > SV_MCP_LOG_DEBUG) {
    rc = mcp_server_fail(srv, SV_EINVAL, "log level %d out of range", opts->log_level);
    goto cleanup;
  }
  srv->log_level = opts->log_level;
  if ((rc = mcp_registry_init(srv)) != SV_OK) goto cleanup;
  if ((rc = mcp_datadir_open(srv, opts->data_dir)) != SV_OK) goto cleanup;
  mcp_log(srv, SV_MCP_LOG_INFO, "data directory %s, %zu tools", srv->data_dir, srv->ntools);
cleanup:
  return rc;
}

const char *sv_mcp_errmsg(const sv_mcp_server *srv) {
  if (!srv) return "out of memory";
  return srv->err;
}

int sv_mcp_server_free(sv_mcp_server *srv) {
  int rc = SV_OK;
  if (!srv) return SV_OK;
  mcp_datadir_close(srv, &rc);
  mcp_registry_free(srv);
  free(srv);
  return rc;
}

int sv_mcp_log_level_parse(const char *name, int *out) {
  static const char *const names[] = {"off", "error", "warn", "info", "debug"};
  if (!name || !out) return SV_EINVAL;
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
    if (strcasecmp(name, names[i]) == 0) {
      *out = i;
      return SV_OK;
    }
  }
  return SV_EINVAL;
}
