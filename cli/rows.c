/*
** rows.c — turning import files and --vector arguments into validated rows.
**
** Import promises that a file which fails validation writes nothing, so
** loading is a separate, complete pass that ends in a cli_rows (vectors,
** ids, metadata) held in memory; only then does cmd_import.c open a write
** transaction.  Holding everything costs memory (a 100K x 384 file is
** ~150 MB) but it is the simple way to make "all or nothing per file"
** true without re-reading a file that might change underneath us.
**
** JSON lines: one object per line with "vector" (required, exactly dim
** finite numbers), "id" (optional integer) and "metadata" (optional
** object or null).  Unknown or repeated keys are errors, because a typo
** like "metdata" would otherwise silently drop data.  Blank lines are
** skipped.  Metadata is not re-serialised: the exact source slice of the
** object is handed to the library, NUL-terminated in place inside the
** file buffer (the byte after an object's closing brace belongs to the
** enclosing line, which has been fully parsed by then).
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "json.h"

void cli_rows_free(cli_rows *r) {
  free(r->vecs);
  free(r->ids);
  free(r->has_id);
  free((void *)r->meta);
  free(r->text);
  memset(r, 0, sizeof *r);
}

/* Allocate per-row arrays for n rows (vectors separately). */
static int rows_alloc(cli_rows *r, size_t n) {
  r->ids = calloc(n ? n : 1, sizeof *r->ids);
  r->has_id = calloc(n ? n : 1, 1);
  r->meta = calloc(n ? n : 1, sizeof *r->meta);
  return (r->ids && r->has_id && r->meta) ? 0 : -1;
}

static int is_zero(const float *v, uint32_t dim) {
  for (uint32_t i = 0; i < dim; i++) {
    if (v[i] != 0.0f) return 0;
  }
  return 1;
}

int cli_rows_from_fvecs(const char *path, uint32_t dim, int64_t id_offset, int reject_zero,
                        cli_rows *out) {
  cli_fvecs fv;
  int rc = -1;
  memset(out, 0, sizeof *out);
  if (cli_read_fvecs(path, dim, &fv) != 0) return -1;
  out->n = fv.n;
  out->dim = fv.dim;
  out->vecs = fv.data; /* owned by out from here on */
  if (rows_alloc(out, fv.n) != 0) {
    cli_err("%s: out of memory", path);
    goto cleanup;
  }
  if (id_offset > 0 && (uint64_t)(fv.n - 1) > (uint64_t)(INT64_MAX - id_offset)) {
    cli_err("%s: --id-offset %lld plus %zu rows overflows a 64-bit id", path, (long long)id_offset,
            fv.n);
    goto cleanup;
  }
  for (size_t i = 0; i < fv.n; i++) {
    if (reject_zero && is_zero(fv.data + i * fv.dim, fv.dim)) {
      cli_err("%s: record %zu is a zero vector, which has no direction under the cosine metric",
              path, i);
      goto cleanup;
    }
    out->ids[i] = id_offset + (int64_t)i;
    out->has_id[i] = 1;
  }
  rc = 0;
cleanup:
  if (rc != 0) cli_rows_free(out);
  return rc;
}

/* Fill dst[0..dim) from array node `arr`; on failure write a message. */
static int vector_from_node(const cli_json_doc *doc, size_t arr, uint32_t dim, float *dst,
                            char *err, size_t cap) {
  const cli_json_node *a = &doc->nodes[arr];
  size_t j = 0;
  if (a->type != CLI_JSON_ARRAY) {
    snprintf(err, cap, "\"vector\" must be an array of numbers");
    return -1;
  }
  if (a->count != dim) {
    snprintf(err, cap, "\"vector\" has %zu components but the shard has dimension %u", a->count,
             dim);
    return -1;
  }
  for (size_t c = a->first; c != CLI_JSON_NONE; c = doc->nodes[c].next, j++) {
    if (doc->nodes[c].type != CLI_JSON_NUMBER) {
      snprintf(err, cap, "\"vector\" component %zu is not a number", j);
      return -1;
    }
    float v = (float)doc->nodes[c].number;
    if (!isfinite(v)) {
      snprintf(err, cap, "\"vector\" component %zu is outside the float32 range", j);
      return -1;
    }
    dst[j] = v;
  }
  return 0;
}

int cli_parse_vector_json(const char *what, const char *text, uint32_t dim, float **out,
                          uint32_t *out_dim) {
  cli_json_doc doc;
  float *v = NULL;
  char err[160];
  int rc = -1;
  cli_json_init(&doc);
  *out = NULL;
  if (cli_json_parse(&doc, text, strlen(text)) != 0) {
    cli_err("%s: invalid JSON at offset %zu: %s", what, doc.err_pos, doc.err);
    goto cleanup;
  }
  if (doc.nodes[0].type != CLI_JSON_ARRAY || doc.nodes[0].count == 0) {
    cli_err("%s: must be a non-empty JSON array of numbers", what);
    goto cleanup;
  }
  if (doc.nodes[0].count > SV_MAX_DIM) {
    cli_err("%s: more than %d components", what, SV_MAX_DIM);
    goto cleanup;
  }
  if (dim == 0) dim = (uint32_t)doc.nodes[0].count;
  v = malloc(dim * sizeof *v);
  if (!v) {
    cli_err("%s: out of memory", what);
    goto cleanup;
  }
  if (vector_from_node(&doc, 0, dim, v, err, sizeof err) != 0) {
    cli_err("%s: %s", what, err + (strncmp(err, "\"vector\" ", 9) == 0 ? 9 : 0));
    goto cleanup;
  }
  *out = v;
  *out_dim = dim;
  v = NULL;
  rc = 0;
cleanup:
  free(v);
  cli_json_free(&doc);
  return rc;
}

/* Read a whole file into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len) {
  size_t size;
  char *buf = NULL;
  FILE *f = cli_open_regular(path, &size);
  if (!f) return NULL;
  buf = malloc(size + 1);
  if (!buf) {
    cli_err("%s: out of memory", path);
    goto cleanup;
  }
  if (fread(buf, 1, size, f) != size) {
    cli_err("%s: read failed", path);
    free(buf);
    buf = NULL;
    goto cleanup;
  }
  buf[size] = '\0';
  *len = size;
cleanup:
  fclose(f);
  return buf;
}

/* Grow the row arrays to hold at least n rows. */
static int rows_reserve(cli_rows *r, size_t *cap, size_t n) {
  if (n <= *cap) return 0;
  size_t c = *cap ? *cap * 2 : 1024;
  while (c < n) c *= 2;
  float *v = realloc(r->vecs, c * r->dim * sizeof *v);
  if (!v) return -1;
  r->vecs = v;
  int64_t *ids = realloc(r->ids, c * sizeof *ids);
  if (!ids) return -1;
  r->ids = ids;
  unsigned char *h = realloc(r->has_id, c);
  if (!h) return -1;
  r->has_id = h;
  const char **m = realloc((void *)r->meta, c * sizeof *m);
  if (!m) return -1;
  r->meta = m;
  *cap = c;
  return 0;
}

/* Parse one non-blank line into row r->n.  Returns 0 or -1 with err set. */
static int parse_line(cli_json_doc *doc, char *line, size_t len, cli_rows *r, int64_t id_offset,
                      int reject_zero, char *err, size_t cap) {
  size_t id_node = CLI_JSON_NONE, vec_node = CLI_JSON_NONE, meta_node = CLI_JSON_NONE;
  size_t row = r->n;
  if (cli_json_parse(doc, line, len) != 0) {
    snprintf(err, cap, "column %zu: %s", doc->err_pos + 1, doc->err);
    return -1;
  }
  if (doc->nodes[0].type != CLI_JSON_OBJECT) {
    snprintf(err, cap, "expected a JSON object {\"vector\": [...]}");
    return -1;
  }
  for (size_t c = doc->nodes[0].first; c != CLI_JSON_NONE; c = doc->nodes[c].next) {
    size_t key = doc->nodes[c].key, *slot;
    if (cli_json_str_eq(doc, key, "id")) {
      slot = &id_node;
    } else if (cli_json_str_eq(doc, key, "vector")) {
      slot = &vec_node;
    } else if (cli_json_str_eq(doc, key, "metadata")) {
      slot = &meta_node;
    } else {
      char name[64];
      cli_json_str_decode(doc, key, name, sizeof name);
      snprintf(err, cap, "unknown key \"%s\" (allowed: id, vector, metadata)", name);
      return -1;
    }
    if (*slot != CLI_JSON_NONE) {
      snprintf(err, cap, "key \"%.*s\" appears twice",
               (int)(doc->nodes[key].end - doc->nodes[key].start - 2),
               line + doc->nodes[key].start + 1);
      return -1;
    }
    *slot = c;
  }
  if (vec_node == CLI_JSON_NONE) {
    snprintf(err, cap, "missing \"vector\"");
    return -1;
  }
  if (vector_from_node(doc, vec_node, r->dim, r->vecs + row * r->dim, err, cap) != 0) return -1;
  if (reject_zero && is_zero(r->vecs + row * r->dim, r->dim)) {
    snprintf(err, cap, "a zero vector has no direction under the cosine metric");
    return -1;
  }
  r->has_id[row] = 0;
  r->ids[row] = 0;
  if (id_node != CLI_JSON_NONE) {
    int64_t id;
    if (cli_json_int64(doc, id_node, &id) != 0) {
      snprintf(err, cap, "\"id\" must be an integer that fits in 64 bits");
      return -1;
    }
    if ((id_offset > 0 && id > INT64_MAX - id_offset) ||
        (id_offset < 0 && id < INT64_MIN - id_offset)) {
      snprintf(err, cap, "\"id\" %lld plus --id-offset overflows a 64-bit id", (long long)id);
      return -1;
    }
    r->ids[row] = id + id_offset;
    r->has_id[row] = 1;
  }
  r->meta[row] = NULL;
  if (meta_node != CLI_JSON_NONE) {
    const cli_json_node *m = &doc->nodes[meta_node];
    if (m->type == CLI_JSON_OBJECT) {
      /* The byte after '}' is inside this line (a ',', '}' or space). */
      line[m->end] = '\0';
      r->meta[row] = line + m->start;
    } else if (m->type != CLI_JSON_NULL) {
      snprintf(err, cap, "\"metadata\" must be a JSON object or null");
      return -1;
    }
  }
  r->n++;
  return 0;
}

int cli_rows_from_jsonl(const char *path, uint32_t dim, int64_t id_offset, int reject_zero,
                        cli_rows *out) {
  cli_json_doc doc;
  size_t len = 0, cap = 0, lineno = 0, pos = 0;
  char err[200];
  int rc = -1;
  memset(out, 0, sizeof *out);
  cli_json_init(&doc);
  out->dim = dim;
  out->text = slurp(path, &len);
  if (!out->text) goto cleanup;
  while (pos < len) {
    char *line = out->text + pos;
    char *nl = memchr(line, '\n', len - pos);
    size_t llen = nl ? (size_t)(nl - line) : len - pos;
    lineno++;
    pos += llen + (nl ? 1 : 0);
    if (strspn(line, " \t\r") >= llen) continue; /* blank line */
    if (rows_reserve(out, &cap, out->n + 1) != 0) {
      cli_err("%s: out of memory at line %zu", path, lineno);
      goto cleanup;
    }
    if (parse_line(&doc, line, llen, out, id_offset, reject_zero, err, sizeof err) != 0) {
      cli_err("%s: line %zu: %s", path, lineno, err);
      goto cleanup;
    }
  }
  if (out->n == 0) {
    cli_err("%s: no JSON lines found", path);
    goto cleanup;
  }
  rc = 0;
cleanup:
  cli_json_free(&doc);
  if (rc != 0) cli_rows_free(out);
  return rc;
}
