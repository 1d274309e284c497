/*
** cmd_import.c — `sqlite-vector import SHARD FILE`.
**
** Import runs in three phases so that a bad file changes nothing:
**   1. load: the whole file is parsed and validated in memory (rows.c):
**      dimensions, finite values, truncation, JSON syntax with line numbers;
**   2. check: ids repeated inside the file, and (unless --upsert) ids that
**      already live in the shard, found with sv_get() before any write;
**   3. write: sv_insert_batch() in batches of --batch rows, each batch one
**      transaction.
** Only phase 3 writes.  It can still fail part-way for reasons outside the
** input (disk full, another writer holding the lock past the busy
** timeout); then the batches already committed stay, and the message says
** how many rows those were, so the import can be resumed with --upsert.
**
** The reported rate counts the whole command (load + check + write), the
** number a user waiting at the terminal experiences; the write phase
** alone is reported too.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char SYNOPSIS[] =
    "import SHARD FILE [--format fvecs|jsonl] [--id-offset N] [--upsert] [--batch N] [--json]";

#define DEFAULT_BATCH 10000
#define MAX_BATCH 1000000

static void help(void) {
  printf(
      "Usage: sqlite-vector %s\n\n"
      "Import vectors into an existing shard.  FILE is either\n"
      "  .fvecs  records of an int32 LE dimension then that many float32 LE values;\n"
      "          row i (from 0) gets id i + N (--id-offset)\n"
      "  .jsonl  one JSON object per line: {\"id\":7,\"vector\":[...],\"metadata\":{...}};\n"
      "          \"id\" is optional (then a new id is assigned) and gets --id-offset added;\n"
      "          \"metadata\" is optional (an object or null); blank lines are skipped\n"
      "The format is taken from the extension (.fvecs; .jsonl/.ndjson/.json) or --format.\n\n"
      "The whole file is validated before anything is written: wrong dimension,\n"
      "non-finite values, a zero vector under cosine, a truncated record, or a\n"
      "malformed line imports nothing.\n"
      "An id already in the shard (or repeated in the file) is an error unless --upsert.\n\n"
      "  --format F      fvecs or jsonl (default: from FILE's extension)\n"
      "  --id-offset N   add N to every explicit or row-number id (default 0)\n"
      "  --upsert        replace rows whose id already exists\n"
      "  --batch N       rows per transaction, 1..%d (default %d)\n"
      "  --json          print the result as one JSON object\n"
      "A progress bar is drawn on stderr when it is a terminal.\n",
      SYNOPSIS, MAX_BATCH, DEFAULT_BATCH);
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Reject ids repeated inside the file (with --upsert the last one wins,
** which is what applying the rows in order means). */
static int check_file_duplicates(const cli_rows *r, const char *path) {
  int64_t *ids = malloc((r->n ? r->n : 1) * sizeof *ids);
  size_t m = 0;
  int rc = -1;
  if (!ids) {
    cli_err("out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < r->n; i++) {
    if (r->has_id[i]) ids[m++] = r->ids[i];
  }
  qsort(ids, m, sizeof *ids, cmp_i64);
  for (size_t i = 1; i < m; i++) {
    if (ids[i] == ids[i - 1]) {
      cli_err(
          "%s: id %lld appears more than once in the file (use --upsert to let the last "
          "one win); nothing was imported",
          path, (long long)ids[i]);
      goto cleanup;
    }
  }
  rc = 0;
cleanup:
  free(ids);
  return rc;
}

/* Reject ids that already have a live row in the shard. */
static int check_existing(sv_shard *sh, const cli_rows *r) {
  size_t clashes = 0;
  int64_t first = 0;
  for (size_t i = 0; i < r->n; i++) {
    sv_record rec;
    int rc;
    if (!r->has_id[i]) continue;
    memset(&rec, 0, sizeof rec);
    rc = sv_get(sh, r->ids[i], &rec);
    sv_record_free(&rec);
    if (rc == SV_OK) {
      if (clashes++ == 0) first = r->ids[i];
    } else if (rc != SV_ENOTFOUND) {
      return cli_fail(sh, rc, "checking existing ids");
    }
  }
  if (clashes) {
    cli_err(
        "%zu id%s already exist%s in the shard (first: %lld); use --upsert to replace "
        "them; nothing was imported",
        clashes, clashes == 1 ? "" : "s", clashes == 1 ? "s" : "", (long long)first);
    return CLI_ERR;
  }
  return CLI_OK;
}

/* Write all rows in batches.  *written counts rows committed so far.
** Rows with an explicit id go first and rows without one after them: an
** assigned id is max(id) + 1 at the time of writing, so assigning one
** before a later row's explicit id is written could collide with it and
** fail mid-import.  Written this way, assigned ids are always larger than
** every id in the file. */
static int write_batches(sv_shard *sh, const cli_rows *r, uint32_t batch, int flags,
                         size_t *written) {
  sv_item *items = malloc(batch * sizeof *items);
  size_t *order = malloc((r->n ? r->n : 1) * sizeof *order), k = 0;
  cli_progress bar;
  int rc = CLI_ERR;
  *written = 0;
  if (!items || !order) {
    cli_err("out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < r->n; i++) {
    if (r->has_id[i]) order[k++] = i;
  }
  for (size_t i = 0; i < r->n; i++) {
    if (!r->has_id[i]) order[k++] = i;
  }
  cli_progress_start(&bar, "importing", r->n);
  while (*written < r->n) {
    size_t m = r->n - *written < batch ? r->n - *written : batch;
    for (size_t j = 0; j < m; j++) {
      size_t i = order[*written + j];
      items[j].id = r->ids[i];
      items[j].has_id = r->has_id[i];
      items[j].vec = r->vecs + i * r->dim;
      items[j].metadata = r->meta[i];
    }
    int src = sv_insert_batch(sh, items, m, r->dim, flags, NULL);
    if (src != SV_OK) {
      char ctx[160];
      cli_progress_finish(&bar);
      snprintf(ctx, sizeof ctx,
               "import stopped: %zu of %zu rows were committed before this batch failed", *written,
               r->n);
      rc = cli_fail(sh, src, ctx);
      goto cleanup;
    }
    *written += m;
    cli_progress_update(&bar, *written);
  }
  cli_progress_finish(&bar);
  rc = CLI_OK;
cleanup:
  free(items);
  free(order);
  return rc;
}

int cmd_import(int argc, char **argv) {
  const char *pos[2], *format_s = NULL, *offset_s = NULL, *batch_s = NULL;
  int json = 0, upsert = 0, rc, is_fvecs, zero_bad;
  size_t npos, written = 0;
  int64_t id_offset = 0;
  uint32_t batch = DEFAULT_BATCH;
  sv_shard *sh = NULL;
  sv_stats st;
  cli_rows rows;
  double t0 = cli_now(), tw, t1;
  const cli_opt opts[] = {{"--format", &format_s, NULL},
                          {"--id-offset", &offset_s, NULL},
                          {"--batch", &batch_s, NULL},
                          {"--upsert", NULL, &upsert},
                          {"--json", NULL, &json}};

  memset(&rows, 0, sizeof rows);
  rc = cli_parse_args("import", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  if (rc == CLI_HELP) {
    help();
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if (offset_s && cli_parse_i64("--id-offset", offset_s, &id_offset) != 0) return CLI_USAGE;
  if (batch_s && cli_parse_u32("--batch", batch_s, 1, MAX_BATCH, &batch) != 0) return CLI_USAGE;
  if (format_s) {
    if (strcmp(format_s, "fvecs") != 0 && strcmp(format_s, "jsonl") != 0) {
      return cli_usage("import", "--format must be fvecs or jsonl, got '%s'", format_s);
    }
    is_fvecs = strcmp(format_s, "fvecs") == 0;
  } else if (ends_with(pos[1], ".fvecs")) {
    is_fvecs = 1;
  } else if (ends_with(pos[1], ".jsonl") || ends_with(pos[1], ".ndjson") ||
             ends_with(pos[1], ".json")) {
    is_fvecs = 0;
  } else {
    return cli_usage("import", "cannot tell the format of '%s' from its name; use --format",
                     pos[1]);
  }

  rc = cli_open_shard(pos[0], &sh);
  if (rc != CLI_OK) goto cleanup;
  if (sv_shard_stats(sh, &st) != SV_OK) {
    rc = cli_fail(sh, SV_EIO, pos[0]);
    goto cleanup;
  }
  rc = CLI_ERR;
  zero_bad = st.metric == SV_METRIC_COSINE;
  if (is_fvecs ? cli_rows_from_fvecs(pos[1], st.dim, id_offset, zero_bad, &rows)
               : cli_rows_from_jsonl(pos[1], st.dim, id_offset, zero_bad, &rows)) {
    goto cleanup;
  }
  if (!upsert && check_file_duplicates(&rows, pos[1]) != 0) goto cleanup;
  /* An empty shard cannot clash; skip one lookup per row. */
  if (!upsert && st.count > 0 && check_existing(sh, &rows) != CLI_OK) goto cleanup;

  tw = cli_now();
  rc = write_batches(sh, &rows, batch, upsert ? SV_BATCH_UPSERT : 0, &written);
  if (rc != CLI_OK) goto cleanup;
  t1 = cli_now();
  {
    double secs = t1 - t0, wsecs = t1 - tw;
    double rate = secs > 0 ? (double)written / secs : 0.0;
    size_t batches = (written + batch - 1) / batch;
    if (json) {
      printf(
          "{\"rows\":%zu,\"batches\":%zu,\"seconds\":%.6f,\"write_seconds\":%.6f,"
          "\"rows_per_sec\":%.1f,\"format\":\"%s\",\"upsert\":%s}\n",
          written, batches, secs, wsecs, rate, is_fvecs ? "fvecs" : "jsonl",
          upsert ? "true" : "false");
    } else {
      printf("imported %zu rows in %.3f s (%.0f rows/s; writing %.3f s in %zu batch%s)\n", written,
             secs, rate, wsecs, batches, batches == 1 ? "" : "es");
    }
  }
  rc = CLI_OK;
cleanup:
  cli_rows_free(&rows);
  sv_shard_close(sh);
  return rc;
}
