/*
** vecfile.c — reading .fvecs and .ivecs files (the TEXMEX/ANN-benchmarks
** formats).
**
** Each record is a little-endian int32 dimension followed by that many
** little-endian float32 (.fvecs) or int32 (.ivecs) values.  The whole file
** is read into one row-major array, because every user of these files
** wants all of it: import must validate everything before writing
** anything, and search/bench iterate over all queries.
**
** Validation is complete and names the record: every record must repeat
** the first record's dimension, the dimension must be 1..SV_MAX_DIM (and
** match the shard when the caller says so), .fvecs values must be finite,
** and the file must end exactly on a record boundary — a truncated last
** record is reported rather than dropped.  Values are decoded byte by byte
** so the code is correct on any host byte order.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Records read per fread call. */
#define CHUNK_RECORDS 1024

static uint32_t le32(const unsigned char *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

FILE *cli_open_regular(const char *path, size_t *size) {
  struct stat st;
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_err("%s: %s", path, strerror(errno));
    return NULL;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    cli_err("%s: not a regular file", path);
    fclose(f);
    return NULL;
  }
  *size = (size_t)st.st_size;
  return f;
}

/* Read the file into a new array of n*dim 4-byte values.  is_float selects
** the finiteness check and the element type written to *out. */
static int read_vecs(const char *path, int is_float, uint32_t want_dim, size_t *out_n,
                     uint32_t *out_dim, void **out) {
  FILE *f = NULL;
  unsigned char *buf = NULL;
  unsigned char *data = NULL;
  size_t size;
  unsigned char head[4];
  uint32_t dim;
  size_t rec, n, done = 0;
  int rc = -1;

  f = cli_open_regular(path, &size);
  if (!f) goto cleanup;
  if (size == 0) {
    cli_err("%s: file is empty", path);
    goto cleanup;
  }
  if (fread(head, 1, 4, f) != 4) {
    cli_err("%s: truncated: shorter than one record header", path);
    goto cleanup;
  }
  dim = le32(head);
  if (dim < 1 || dim > SV_MAX_DIM) {
    cli_err("%s: record 0 has dimension %lld (must be 1..%d); is this really a .%s file?", path,
            (long long)(int32_t)dim, SV_MAX_DIM, is_float ? "fvecs" : "ivecs");
    goto cleanup;
  }
  if (want_dim && dim != want_dim) {
    cli_err("%s: vectors have dimension %u but the shard has dimension %u", path, dim, want_dim);
    goto cleanup;
  }
  rec = 4 + 4 * (size_t)dim;
  n = size / rec;
  if (size % rec != 0) {
    cli_err("%s: truncated: the last record (index %zu) has %zu of %zu bytes", path, n, size % rec,
            rec);
    goto cleanup;
  }
  data = malloc(n * dim * 4);
  buf = malloc(rec * CHUNK_RECORDS);
  if (!data || !buf) {
    cli_err("%s: out of memory for %zu vectors of dimension %u", path, n, dim);
    goto cleanup;
  }
  rewind(f);
  while (done < n) {
    size_t want = n - done < CHUNK_RECORDS ? n - done : CHUNK_RECORDS;
    if (fread(buf, rec, want, f) != want) {
      cli_err("%s: read failed at record %zu (file changed while reading?)", path, done);
      goto cleanup;
    }
    for (size_t r = 0; r < want; r++) {
      const unsigned char *p = buf + r * rec;
      size_t row = done + r;
      uint32_t d = le32(p);
      if (d != dim) {
        cli_err("%s: record %zu has dimension %lld, expected %u", path, row, (long long)(int32_t)d,
                dim);
        goto cleanup;
      }
      for (uint32_t j = 0; j < dim; j++) {
        uint32_t bits = le32(p + 4 + 4 * (size_t)j);
        if (is_float) {
          float v;
          memcpy(&v, &bits, 4);
          if (!isfinite(v)) {
            cli_err("%s: record %zu, component %u is not a finite number", path, row, j);
            goto cleanup;
          }
          ((float *)(void *)data)[row * dim + j] = v;
        } else {
          ((int32_t *)(void *)data)[row * dim + j] = (int32_t)bits;
        }
      }
    }
    done += want;
  }
  if (fgetc(f) != EOF) {
    cli_err("%s: file grew while reading", path);
    goto cleanup;
  }
  *out_n = n;
  *out_dim = dim;
  *out = data;
  data = NULL;
  rc = 0;
cleanup:
  if (f) fclose(f);
  free(buf);
  free(data);
  return rc;
}

int cli_read_fvecs(const char *path, uint32_t want_dim, cli_fvecs *out) {
  void *data = NULL;
  memset(out, 0, sizeof *out);
  if (read_vecs(path, 1, want_dim, &out->n, &out->dim, &data) != 0) return -1;
  out->data = data;
  return 0;
}

int cli_read_ivecs(const char *path, cli_ivecs *out) {
  void *data = NULL;
  memset(out, 0, sizeof *out);
  if (read_vecs(path, 0, 0, &out->n, &out->dim, &data) != 0) return -1;
  out->data = data;
  return 0;
}

void cli_fvecs_free(cli_fvecs *v) {
  free(v->data);
  memset(v, 0, sizeof *v);
}

void cli_ivecs_free(cli_ivecs *v) {
  free(v->data);
  memset(v, 0, sizeof *v);
}
