/*
** cmd_compact.c — `sqlite-vector compact SHARD`: rewrite the file without
** free pages (sv_compact, a VACUUM) and report the size before and after.
** Deleted rows' pages are otherwise kept for reuse by later inserts, so a
** shard that lost half its rows keeps its size until compacted.
*/
#include <string.h>

#include "cli.h"

static const char SYNOPSIS[] = "compact SHARD [--json]";

int cmd_compact(int argc, char **argv) {
  const char *pos[1];
  int json = 0, rc, src;
  size_t npos;
  sv_shard *sh = NULL;
  sv_stats before, after;
  const cli_opt opts[] = {{"--json", NULL, &json}};
  rc = cli_parse_args("compact", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector %s\n\n"
        "Rewrite the shard without free pages (VACUUM) so deleted rows give their space\n"
        "back; the HNSW graph and codes are unaffected.  Needs the file to itself.\n",
        SYNOPSIS);
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  double t0 = cli_now();
  if ((src = sv_shard_stats(sh, &before)) != SV_OK || (src = sv_compact(sh)) != SV_OK ||
      (src = sv_shard_stats(sh, &after)) != SV_OK) {
    rc = cli_fail(sh, src, pos[0]);
    goto cleanup;
  }
  double ms = (cli_now() - t0) * 1e3;
  if (json)
    printf("{\"before\":%llu,\"after\":%llu,\"ms\":%.1f}\n", (unsigned long long)before.file_size,
           (unsigned long long)after.file_size, ms);
  else
    printf("compacted %s: %llu -> %llu bytes in %.1f ms\n", pos[0],
           (unsigned long long)before.file_size, (unsigned long long)after.file_size, ms);
  rc = CLI_OK;
cleanup:
  sv_shard_close(sh);
  return rc;
}
