/*
** cmd_create.c — `sqlite-vector create SHARD --dim D [--metric M]`.
**
** The only command that brings a shard into existence.  Creating is
** idempotent: if SHARD already is a shard with the same dimension and
** metric, nothing is touched and the command succeeds with "created":
** false, so scripts (like `make run`) can say "make sure it exists"
** without racing a separate existence test.  A shard with a different
** dimension or metric is never changed: that is an error (exit 1) naming
** both shapes, since re-creating would silently orphan every stored
** vector.  An existing file that is not a shard is refused by the library.
*/
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char SYNOPSIS[] = "create SHARD --dim D [--metric cosine|l2|dot] [--json]";

static void help(void) {
  printf(
      "Usage: sqlite-vector %s\n\n"
      "Create a shard file holding vectors of dimension D (1..%d) compared with the\n"
      "given metric (default cosine).  If SHARD already exists with the same dimension\n"
      "and metric this succeeds without changing it; with another dimension or\n"
      "metric it fails.\n\n"
      "  --dim D       vector dimension (required)\n"
      "  --metric M    cosine (default), l2 or dot\n"
      "  --json        print the result as one JSON object\n",
      SYNOPSIS, SV_MAX_DIM);
}

static void report(int json, const char *path, int created, uint32_t dim, sv_metric metric) {
  if (json) {
    printf("{\"path\":");
    cli_out_str(stdout, path);
    printf(",\"created\":%s,\"dim\":%u,\"metric\":\"%s\"}\n", created ? "true" : "false", dim,
           sv_metric_name(metric));
  } else if (created) {
    printf("created %s (dim %u, metric %s)\n", path, dim, sv_metric_name(metric));
  } else {
    printf("%s already exists (dim %u, metric %s); nothing to do\n", path, dim,
           sv_metric_name(metric));
  }
}

int cmd_create(int argc, char **argv) {
  const char *pos[1], *dim_s = NULL, *metric_s = NULL;
  int json = 0, rc, exists;
  size_t npos;
  uint32_t dim;
  sv_metric metric = SV_METRIC_COSINE;
  sv_shard *sh = NULL;
  sv_stats st;
  struct stat fst;
  const cli_opt opts[] = {
      {"--dim", &dim_s, NULL}, {"--metric", &metric_s, NULL}, {"--json", NULL, &json}};

  rc = cli_parse_args("create", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc == CLI_HELP) {
    help();
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if (!dim_s) return cli_usage("create", "--dim is required");
  if (cli_parse_u32("--dim", dim_s, 1, SV_MAX_DIM, &dim) != 0) return CLI_USAGE;
  if (metric_s && sv_metric_parse(metric_s, &metric) != SV_OK) {
    return cli_usage("create", "--metric must be cosine, l2 or dot, got '%s'", metric_s);
  }

  exists = stat(pos[0], &fst) == 0;
  if (!exists && errno != ENOENT) {
    cli_err("%s: %s", pos[0], strerror(errno));
    rc = CLI_ERR;
    goto cleanup;
  }
  /* An empty file (from touch or mktemp) holds nothing to protect: create
  ** the shard in it. */
  if (exists && !(S_ISREG(fst.st_mode) && fst.st_size == 0)) {
    /* Existing file: read its shape without asking for one, then compare,
    ** so the message can name both shapes. */
    rc = cli_open_shard(pos[0], &sh);
    if (rc != CLI_OK) goto cleanup;
    if (sv_shard_stats(sh, &st) != SV_OK) {
      rc = cli_fail(sh, SV_EIO, pos[0]);
      goto cleanup;
    }
    if (st.dim != dim || st.metric != metric) {
      cli_err(
          "%s already exists with dim %u, metric %s (asked for dim %u, metric %s); "
          "it was left unchanged",
          pos[0], st.dim, sv_metric_name(st.metric), dim, sv_metric_name(metric));
      rc = CLI_ERR;
      goto cleanup;
    }
    report(json, pos[0], 0, dim, metric);
    rc = CLI_OK;
    goto cleanup;
  }
  {
    sv_open_options o = {dim, metric, SV_OPEN_CREATE};
    int src = sv_shard_open(pos[0], &o, &sh);
    if (src != SV_OK) {
      rc = cli_fail(sh, src, pos[0]);
      goto cleanup;
    }
  }
  report(json, pos[0], 1, dim, metric);
  rc = CLI_OK;
cleanup:
  sv_shard_close(sh);
  return rc;
}
