/*
** cmd_index.c — `sqlite-vector index SHARD --hnsw [--m M] [--ef-construction E]`,
** `--quantize int8|binary`, `--drop hnsw|int8|binary`, or no option: show.
**
** The choice is stored in the shard and the structures are built at once
** with a progress bar (on a terminal), then described: what is configured,
** graph nodes and memory, and how long the load + build took.  Every
** later writer keeps them up to date (docs/INDEX.md), so this is run once.
** Numbers are range-checked here for a clear command-line error; the
** library checks them again.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char SYNOPSIS[] =
    "index SHARD [--hnsw [--m M] [--ef-construction E]] [--quantize int8|binary] "
    "[--drop hnsw|int8|binary] [--json]";

static void help(void) {
  printf(
      "Usage: sqlite-vector %s\n\n"
      "Build search structures, stored as a choice in the shard and kept up to date by\n"
      "every write afterwards.  Without an option, describe what the shard has.\n\n"
      "  --hnsw               build the HNSW graph (saved in the shard, loaded at open)\n"
      "  --m M                links per node, 2..128 (default 16)\n"
      "  --ef-construction E  candidates per insert, 1..100000 (default 200)\n"
      "  --quantize Q         keep int8 codes (search --mode quantized) or sign bits\n"
      "                       (--mode binary); may be given with --hnsw\n"
      "  --drop X             remove hnsw, int8 or binary\n"
      "  --json               print the description as one JSON object\n",
      SYNOPSIS);
}

static void on_progress(void *arg, uint64_t done, uint64_t total) {
  cli_progress *p = arg;
  if (p->total != total) cli_progress_start(p, "building the HNSW graph", (size_t)total);
  cli_progress_update(p, (size_t)done);
}

static int parse_quant(const char *what, const char *s, int *out) {
  if (strcmp(s, "int8") == 0)
    *out = SV_QUANT_INT8;
  else if (strcmp(s, "binary") == 0)
    *out = SV_QUANT_BINARY;
  else
    return cli_usage("index", "%s must be int8 or binary, got '%s'", what, s);
  return CLI_OK;
}

int cmd_index(int argc, char **argv) {
  const char *pos[1], *m_s = NULL, *efc_s = NULL, *quant_s = NULL, *drop_s = NULL;
  int hnsw = 0, json = 0, rc, src;
  size_t npos;
  sv_shard *sh = NULL;
  sv_index_options io;
  sv_index_stats ist;
  cli_progress prog;
  const cli_opt opts[] = {{"--hnsw", NULL, &hnsw},
                          {"--m", &m_s, NULL},
                          {"--ef-construction", &efc_s, NULL},
                          {"--quantize", &quant_s, NULL},
                          {"--drop", &drop_s, NULL},
                          {"--json", NULL, &json}};

  memset(&io, 0, sizeof io);
  memset(&prog, 0, sizeof prog);
  rc = cli_parse_args("index", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    help();
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if ((m_s || efc_s) && !hnsw) return cli_usage("index", "--m and --ef-construction need --hnsw");
  if (m_s && cli_parse_u32("--m", m_s, 2, 128, &io.m) != 0) return CLI_USAGE;
  if (efc_s && cli_parse_u32("--ef-construction", efc_s, 1, 100000, &io.ef_construction) != 0)
    return CLI_USAGE;
  if (quant_s && (rc = parse_quant("--quantize", quant_s, &io.quantize)) != CLI_OK) return rc;
  int drop_q = 0, drop_h = 0;
  if (drop_s) {
    if (hnsw || quant_s) return cli_usage("index", "--drop cannot be combined with building");
    if (strcmp(drop_s, "hnsw") == 0)
      drop_h = 1;
    else if ((rc = parse_quant("--drop", drop_s, &drop_q)) != CLI_OK)
      return cli_usage("index", "--drop must be hnsw, int8 or binary, got '%s'", drop_s);
  }
  io.hnsw = hnsw;
  io.progress = on_progress;
  io.arg = &prog;

  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  if (drop_s)
    src = sv_index_drop(sh, drop_h, drop_q);
  else if (hnsw || quant_s)
    src = sv_index_build(sh, &io);
  else
    src = SV_OK;
  cli_progress_finish(&prog);
  if (src == SV_OK) src = sv_index_stats_get(sh, &ist);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, pos[0]);
    goto cleanup;
  }
  const char *q8 = ist.quantize & SV_QUANT_INT8 ? "int8" : "";
  const char *qb = ist.quantize & SV_QUANT_BINARY ? "binary" : "";
  if (json) {
    printf("{\"path\":");
    cli_out_str(stdout, pos[0]);
    printf(
        ",\"hnsw\":%s,\"m\":%u,\"ef_construction\":%u,\"int8\":%s,\"binary\":%s,"
        "\"nodes\":%llu,\"graph_bytes\":%llu,\"top_level\":%d,\"load_ms\":%.1f,"
        "\"graph_loaded\":%s}\n",
        ist.hnsw ? "true" : "false", ist.m, ist.ef_construction, *q8 ? "true" : "false",
        *qb ? "true" : "false", (unsigned long long)ist.nodes, (unsigned long long)ist.graph_bytes,
        ist.top_level, ist.load_ms, ist.graph_loaded ? "true" : "false");
  } else {
    printf("path:        %s\n", pos[0]);
    if (ist.hnsw)
      printf("hnsw:        M %u, ef_construction %u, %llu nodes, %.1f MB, top level %d\n", ist.m,
             ist.ef_construction, (unsigned long long)ist.nodes, (double)ist.graph_bytes / 1e6,
             ist.top_level);
    else
      printf("hnsw:        none\n");
    printf("quantize:    %s%s%s\n", q8, *q8 && *qb ? ", " : "", *q8 || *qb ? qb : "none");
    printf("load:        %.1f ms (%s)\n", ist.load_ms,
           !ist.hnsw          ? "vectors and codes"
           : ist.graph_loaded ? "saved graph"
                              : "graph built");
  }
  rc = CLI_OK;
cleanup:
  sv_shard_close(sh);
  return rc;
}
