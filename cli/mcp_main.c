/*
** mcp_main.c — the sqlite-vector-mcp program: an MCP server on stdio.
**
** It parses a few options, picks the data directory, builds a server
** through the public sqlite_vector_mcp.h API and serves newline-delimited
** JSON-RPC from stdin to stdout until stdin closes, then closes every
** shard and exits 0.  stdout carries protocol messages only: --help and
** --version are the sole other things ever printed there, and they run
** instead of the server.  Diagnostics go to stderr.
**
** The data directory is --data DIR, else $SQLITE_VECTOR_MCP_DATA, else
** $XDG_DATA_HOME/sqlite-vector-mcp, else ~/.local/share/sqlite-vector-mcp.
** Exit status: 0 at end of input or after SIGTERM/SIGINT/SIGHUP (the
** shards are closed cleanly), 1 when the server cannot start or the
** client's pipe breaks, 2 for a wrong command line.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "sqlite_vector_mcp.h"

static void usage(FILE *f) {
  fprintf(f,
          "sqlite-vector-mcp %s — MCP server (JSON-RPC 2.0 over stdio) for sqlite-vector\n"
          "\n"
          "Usage: sqlite-vector-mcp [--data DIR] [--log-level LEVEL]\n"
          "\n"
          "  --data DIR         directory of the shards (created if missing); default\n"
          "                     $SQLITE_VECTOR_MCP_DATA, else $XDG_DATA_HOME/sqlite-vector-mcp,\n"
          "                     else ~/.local/share/sqlite-vector-mcp\n"
          "  --log-level LEVEL  off, error, warn (default), info or debug; logs go to stderr\n"
          "  --version          print the version\n"
          "  --help             show this help\n",
          SV_VERSION_STRING);
}

/* The signal that asked us to stop, or 0. */
static volatile sig_atomic_t stop_signal = 0;

/* SIGTERM, SIGINT, SIGHUP: stop reading and shut down cleanly.  Closing
** stdin (async-signal-safe) makes the pending or next read fail, so the
** serve loop ends after the request in progress, and the shards are closed
** (final checkpoint, WAL removed) as at end of input. */
static void on_stop(int sig) {
  stop_signal = sig;
  close(STDIN_FILENO);
}

/* The default data directory into buf, or NULL when none can be named. */
static const char *default_dir(char *buf, size_t n) {
  const char *e = getenv("SQLITE_VECTOR_MCP_DATA");
  if (e && *e) return e;
  e = getenv("XDG_DATA_HOME");
  if (e && *e == '/') {
    snprintf(buf, n, "%s/sqlite-vector-mcp", e);
    return buf;
  }
  e = getenv("HOME");
  if (e && *e) {
    snprintf(buf, n, "%s/.local/share/sqlite-vector-mcp", e);
    return buf;
  }
  return NULL;
}

/* The value of option `name` at argv[*i] ("--name V" or "--name=V"), or
** NULL when argv[*i] is another option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] != '\0') return NULL;
  if (*i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  return argv[++*i];
}

int main(int argc, char **argv) {
  const char *data = NULL, *level_name = NULL;
  char dirbuf[4096];
  int level = SV_MCP_LOG_WARN, rc = 0;
  sv_mcp_server *srv = NULL;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int missing = 0;
    const char *v;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(arg, "--version") == 0) {
      printf("sqlite-vector-mcp %s (format %d, simd %s)\n", SV_VERSION_STRING, SV_FORMAT_VERSION,
             sv_simd_backend());
      return fflush(stdout) == 0 ? 0 : 1;
    }
    const char **slot = NULL;
    if ((v = opt_value(argc, argv, &i, "--data", &missing)) != NULL || missing) {
      slot = &data;
    } else if ((v = opt_value(argc, argv, &i, "--log-level", &missing)) != NULL || missing) {
      slot = &level_name;
    }
    if (!slot || missing || *slot) {
      fprintf(stderr, "sqlite-vector-mcp: %s option '%s' (see --help)\n",
              !slot ? "unknown" : (missing ? "missing value for" : "repeated"), arg);
      return 2;
    }
    *slot = v;
  }
  if (level_name && sv_mcp_log_level_parse(level_name, &level) != SV_OK) {
    fprintf(stderr, "sqlite-vector-mcp: --log-level must be off, error, warn, info or debug\n");
    return 2;
  }
  if (data && !*data) {
    fprintf(stderr, "sqlite-vector-mcp: --data needs a directory\n");
    return 2;
  }
  if (!data && !(data = default_dir(dirbuf, sizeof dirbuf))) {
    fprintf(stderr, "sqlite-vector-mcp: no --data given and no HOME to default to\n");
    return 2;
  }
  /* A client that goes away must show up as a write error, not kill us
  ** before the shards are closed. */
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop; /* no SA_RESTART: a blocked read returns */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* The protocol gets a private copy of stdout, and fd 1 becomes stderr:
  ** a stray print anywhere in the process (a library, a future embedder)
  ** then lands in the log instead of corrupting the JSON-RPC stream. */
  int proto_fd = dup(STDOUT_FILENO);
  FILE *proto = proto_fd >= 0 ? fdopen(proto_fd, "w") : NULL;
  if (!proto || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    fprintf(stderr, "sqlite-vector-mcp: cannot set up the protocol stream\n");
    if (proto)
      fclose(proto);
    else if (proto_fd >= 0)
      close(proto_fd);
    return 1;
  }
  sv_mcp_options o = {data, level};
  if (sv_mcp_server_new(&o, &srv) != SV_OK) {
    fprintf(stderr, "sqlite-vector-mcp: %s\n", sv_mcp_errmsg(srv));
    rc = 1;
    goto cleanup;
  }
  if (sv_mcp_serve(srv, stdin, proto) != SV_OK && !stop_signal) {
    fprintf(stderr, "sqlite-vector-mcp: %s\n", sv_mcp_errmsg(srv));
    rc = 1;
  }
cleanup:
  if (sv_mcp_server_free(srv) != SV_OK) rc = 1;
  if (fclose(proto) != 0 && rc == 0) rc = 1;
  return rc;
}
