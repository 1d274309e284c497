/*
** log.c — leveled messages on stderr.
**
** stdout belongs to the protocol: a stray byte there corrupts the framing
** for the client.  So every diagnostic of the server goes through here, to
** stderr, prefixed with the program name and level, and only when the
** configured level lets it through (default: warnings and errors).
*/
#include <stdarg.h>
#include <stdio.h>

#include "mcp/mcp.h"

void mcp_log(const mcp_server *srv, int level, const char *fmt, ...) {
  static const char *const names[] = {"", "error", "warn", "info", "debug"};
  if (!srv || level > srv->log_level || level <= SV_MCP_LOG_OFF) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sqlite-vector-mcp: %s: ", names[level]);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
