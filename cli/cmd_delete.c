/*
** cmd_delete.c — `sqlite-vector delete SHARD ID`.
**
** Deleting turns the row into a tombstone with a new version rather than
** removing it, so replicas and other processes' in-memory mirrors learn
** about the delete.  Deleting an id with no live row is an operational
** failure (exit 1): a script that deletes twice should hear about it.
*/
#include "cli.h"

static const char SYNOPSIS[] = "delete SHARD ID [--json]";

int cmd_delete(int argc, char **argv) {
  const char *path = NULL;
  int64_t id = 0;
  int json = 0, rc, src;
  sv_shard *sh = NULL;

  rc = cli_parse_shard_id("delete", SYNOPSIS, argc, argv, &path, &id, &json);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector %s\n\n"
        "Delete the live row ID.  The row becomes a tombstone with a new version so\n"
        "replicas learn about the delete.  Fails (exit 1) if there is no live row with\n"
        "that id.\n\n"
        "  --json   print the result as one JSON object\n",
        SYNOPSIS);
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  rc = cli_open_shard(path, &sh);
  if (rc != CLI_OK) goto cleanup;
  src = sv_delete(sh, id);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, path);
    goto cleanup;
  }
  if (json) {
    printf("{\"id\":%lld,\"deleted\":true}\n", (long long)id);
  } else {
    printf("deleted %lld\n", (long long)id);
  }
  rc = CLI_OK;
cleanup:
  sv_shard_close(sh);
  return rc;
}
