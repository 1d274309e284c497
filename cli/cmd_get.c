/*
** cmd_get.c — `sqlite-vector get SHARD ID`.
**
** Prints one live row: the vector exactly as stored (floats with enough
** digits to round-trip), its metadata, and the row's version, hybrid
** logical clock and origin node — what one needs when debugging
** replication.  A missing or deleted id is an operational failure (exit 1)
** with the library's message; a malformed id is a command-line mistake
** (exit 2).
*/
#include <string.h>

#include "cli.h"

static const char GET_SYNOPSIS[] = "get SHARD ID [--json]";

static void print_record(const sv_record *r, int json) {
  if (json) {
    printf(
        "{\"id\":%lld,\"dim\":%u,\"version\":%lld,\"hlc\":%lld,\"origin\":%lld,\"metadata\":%s,"
        "\"vector\":[",
        (long long)r->id, r->dim, (long long)r->version, (long long)r->hlc, (long long)r->origin,
        r->metadata && *r->metadata ? r->metadata : "null");
    for (uint32_t i = 0; i < r->dim; i++) {
      if (i) putchar(',');
      cli_out_float(stdout, r->vec[i]);
    }
    printf("]}\n");
    return;
  }
  printf("id:       %lld\n", (long long)r->id);
  printf("dim:      %u\n", r->dim);
  printf("version:  %lld\n", (long long)r->version);
  printf("hlc:      %lld (ms %lld, counter %lld)\n", (long long)r->hlc, (long long)(r->hlc >> 16),
         (long long)(r->hlc & 0xFFFF));
  printf("origin:   %lld\n", (long long)r->origin);
  printf("metadata: %s\n", r->metadata ? r->metadata : "");
  printf("vector:   [");
  for (uint32_t i = 0; i < r->dim; i++) {
    if (i) fputs(", ", stdout);
    cli_out_float(stdout, r->vec[i]);
  }
  printf("]\n");
}

int cmd_get(int argc, char **argv) {
  const char *path = NULL;
  int64_t id = 0;
  int json = 0, rc, src;
  sv_shard *sh = NULL;
  sv_record rec;

  memset(&rec, 0, sizeof rec);
  rc = cli_parse_shard_id("get", GET_SYNOPSIS, argc, argv, &path, &id, &json);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector %s\n\n"
        "Print the live row ID: its vector as stored, metadata, version, hybrid logical\n"
        "clock and origin node.  Fails (exit 1) if there is no live row with that id.\n\n"
        "  --json   print the row as one JSON object\n",
        GET_SYNOPSIS);
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  rc = cli_open_shard(path, &sh);
  if (rc != CLI_OK) goto cleanup;
  src = sv_get(sh, id, &rec);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, path);
    goto cleanup;
  }
  print_record(&rec, json);
  rc = CLI_OK;
cleanup:
  sv_record_free(&rec);
  sv_shard_close(sh);
  return rc;
}
