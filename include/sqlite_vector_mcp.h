/*
** sqlite_vector_mcp.h — the MCP server of sqlite-vector as a library.
**
** The server speaks the Model Context Protocol (JSON-RPC 2.0, one message
** per line) and exposes shards of one data directory as tools.  The
** sqlite-vector-mcp program (cli/mcp_main.c) is a thin main over this:
** it builds a server for a data directory and runs sv_mcp_serve() on
** stdin/stdout.  Tests drive the same functions with in-memory streams.
**
** Conventions follow sqlite_vector.h: functions return SV_OK or an SV_E*
** status and the handle keeps a message (sv_mcp_errmsg).  Nothing here
** writes to stdout except sv_mcp_serve() writing replies to `out`; logs go
** to stderr.
*/
#ifndef SQLITE_VECTOR_MCP_H
#define SQLITE_VECTOR_MCP_H

#include <stddef.h>
#include <stdio.h>

#include "sqlite_vector.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sv_mcp_server sv_mcp_server;

/* Log levels for messages on stderr. */
#define SV_MCP_LOG_OFF 0
#define SV_MCP_LOG_ERROR 1
#define SV_MCP_LOG_WARN 2
#define SV_MCP_LOG_INFO 3
#define SV_MCP_LOG_DEBUG 4

/* The largest message (one line) the server reads; a longer one is
** answered with an error and skipped. */
#define SV_MCP_MAX_MESSAGE (256u << 20)

typedef struct sv_mcp_options {
  /* Directory holding the shards (NAME.shard files).  Created, with its
  ** parents, mode 0700, when missing.  Required. */
  const char *data_dir;
  int log_level; /* SV_MCP_LOG_*; 0 = off */
} sv_mcp_options;

/* Build a server over opts->data_dir.  On failure *out is still set when
** possible (it carries the message) and must be freed with
** sv_mcp_server_free(); SV_EINVAL for bad options, SV_EIO when the
** directory cannot be created or opened, SV_ENOMEM. */
SV_API int sv_mcp_server_new(const sv_mcp_options *opts, sv_mcp_server **out);

/* Handle one JSON-RPC message of `len` bytes (no newline needed).  *reply
** receives the reply as a malloc'd NUL-terminated JSON text without a
** newline, or NULL when the message needs none (a notification, a
** response).  Bad messages get JSON-RPC error replies and change nothing;
** SV_OK is returned for them too.  Returns SV_ENOMEM / SV_EINVAL (NULL
** arguments) only when no reply could be built.  Free *reply with free(). */
SV_API int sv_mcp_handle(sv_mcp_server *srv, const char *msg, size_t len, char **reply);

/* Read newline-delimited messages from `in` until end of file, writing one
** reply line per request to `out` (flushed after each).  Returns SV_OK at
** end of input, SV_EIO when `in` fails or a reply cannot be written (the
** client went away). */
SV_API int sv_mcp_serve(sv_mcp_server *srv, FILE *in, FILE *out);

/* The message of the last failure on the handle, or "not an error". */
SV_API const char *sv_mcp_errmsg(const sv_mcp_server *srv);

/* Close every shard the server opened and free it.  NULL is a no-op.
** Returns SV_OK, or SV_EIO when a shard did not close cleanly (freed
** anyway). */
SV_API int sv_mcp_server_free(sv_mcp_server *srv);

/* "off", "error", "warn", "info", "debug" -> SV_MCP_LOG_*; SV_EINVAL for
** another name. */
SV_API int sv_mcp_log_level_parse(const char *name, int *out);

#ifdef __cplusplus
}
#endif
#endif /* SQLITE_VECTOR_MCP_H */
