/*
** shard.c — opening shards and reporting library errors for the commands.
**
** Only `create` may bring a shard into existence.  Every other command
** opens without SV_OPEN_CREATE, but SQLite would still happily create an
** empty database file for a mistyped path in some configurations, so the
** path is checked with stat() first: a missing file is reported as such,
** with a hint, before the library is involved.  The library's own checks
** (not a shard, newer format, corrupt) then speak through sv_errmsg().
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_open_shard(const char *path, sv_shard **out) {
  struct stat st;
  sv_open_options opts = {0, SV_METRIC_UNSET, 0};
  sv_shard *sh = NULL;
  int rc;
  *out = NULL;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) {
      cli_err("%s: no such shard (create it with 'sqlite-vector create')", path);
    } else {
      cli_err("%s: %s", path, strerror(errno));
    }
    return CLI_ERR;
  }
  if (!S_ISREG(st.st_mode)) {
    cli_err("%s: not a regular file", path);
    return CLI_ERR;
  }
  if (st.st_size == 0) {
    cli_err("%s: empty file, not a shard (create it with 'sqlite-vector create')", path);
    return CLI_ERR;
  }
  rc = sv_shard_open(path, &opts, &sh);
  if (rc != SV_OK) {
    cli_err("%s: %s", path, sh ? sv_errmsg(sh) : sv_errstr(rc));
    sv_shard_close(sh);
    return CLI_ERR;
  }
  *out = sh;
  return CLI_OK;
}

int cli_fail(sv_shard *sh, int rc, const char *context) {
  const char *msg = sh ? sv_errmsg(sh) : sv_errstr(rc);
  if (context && *context) {
    cli_err("%s: %s", context, msg);
  } else {
    cli_err("%s", msg);
  }
  return CLI_ERR;
}

void cli_check_simd_env(void) {
  const char *want = getenv("SV_SIMD");
  const char *have = sv_simd_backend();
  if (want && *want && strcmp(want, have) != 0) {
    fprintf(stderr,
            "sqlite-vector: warning: SV_SIMD=%s is unknown or not available on this CPU or "
            "build; using %s\n",
            want, have);
  }
}
