/*
** cmd_stats.c — `sqlite-vector stats SHARD`.
**
** A snapshot of what sv_shard_stats() reports: live and deleted rows,
** shape, file size, the write version and identity used by replication,
** and the SIMD backend this process would search with (a property of the
** process and CPU, not of the file, but the question "what is my search
** running on" is asked here).
*/
#include "cli.h"
#include "sqlite_vector_sync.h"

static const char SYNOPSIS[] = "stats SHARD [--json]";

int cmd_stats(int argc, char **argv) {
  const char *pos[1];
  int json = 0, rc, src;
  size_t npos;
  sv_shard *sh = NULL;
  sv_stats st;
  const cli_opt opts[] = {{"--json", NULL, &json}};

  rc = cli_parse_args("stats", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector %s\n\n"
        "Print the shard's row counts, dimension, metric, file size, format and write\n"
        "versions, identity, and the SIMD backend used for search.\n\n"
        "  --json   print one JSON object with count, deleted, dim, metric, simd,\n"
        "           format_version, file_size, version, shard_id, node_id, path,\n"
        "           digest (the content digest replicas compare, docs/SYNC.md)\n",
        SYNOPSIS);
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  cli_check_simd_env();
  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  src = sv_shard_stats(sh, &st);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, pos[0]);
    goto cleanup;
  }
  st.shard_id[sizeof st.shard_id - 1] = '\0';
  char digest[65];
  src = sv_shard_digest(sh, digest, NULL);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, pos[0]);
    goto cleanup;
  }
  if (json) {
    printf("{\"path\":");
    cli_out_str(stdout, pos[0]);
    printf(",\"count\":%llu,\"deleted\":%llu,\"dim\":%u,\"metric\":\"%s\",\"simd\":",
           (unsigned long long)st.count, (unsigned long long)st.deleted, st.dim,
           sv_metric_name(st.metric));
    cli_out_str(stdout, st.simd ? st.simd : sv_simd_backend());
    printf(",\"format_version\":%d,\"file_size\":%llu,\"version\":%lld,\"shard_id\":",
           st.format_version, (unsigned long long)st.file_size, (long long)st.version);
    cli_out_str(stdout, st.shard_id);
    printf(",\"node_id\":%lld", (long long)st.node_id);
    printf(",\"digest\":\"%s\"}\n", digest);
  } else {
    printf("path:           %s\n", pos[0]);
    printf("count:          %llu\n", (unsigned long long)st.count);
    printf("deleted:        %llu\n", (unsigned long long)st.deleted);
    printf("dim:            %u\n", st.dim);
    printf("metric:         %s\n", sv_metric_name(st.metric));
    printf("simd:           %s\n", st.simd ? st.simd : sv_simd_backend());
    printf("format_version: %d\n", st.format_version);
    printf("file_size:      %llu\n", (unsigned long long)st.file_size);
    printf("version:        %lld\n", (long long)st.version);
    printf("shard_id:       %s\n", st.shard_id);
    printf("node_id:        %lld\n", (long long)st.node_id);
    printf("digest:         %s\n", digest);
  }
  rc = CLI_OK;
cleanup:
  sv_shard_close(sh);
  return rc;
}
