/*
** embedder.c — the embedder interface: built-in hash-v1 and custom ones.
**
** An embedder is a name, a version, a dimension and one function that
** turns n texts into n vectors.  The memory layer records (name, version,
** dim) in each file and refuses a file made with another embedder, so the
** only thing this file must guarantee is that what comes back is what the
** record promises: every text is checked before the call (UTF-8, limits),
** and every answer after it (finite values; a zero vector is allowed here
** and refused by the store).  Nothing falls back to another embedder: a
** failing embedder fails the call.
**
** Error messages are per thread (an embedder may be shared), kept in a
** thread-local buffer that sv_embedder_errmsg() returns.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

static _Thread_local char emb_err[SV_EMB_ERRCAP] = "not an error";

void sv__emb_seterr(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(emb_err, sizeof emb_err, fmt, ap);
  va_end(ap);
}

const char *sv__emb_geterr(void) {
  return emb_err;
}

static int hash_fn(void *ctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                   char *err, size_t errcap) {
  (void)ctx;
  for (size_t i = 0; i < n; i++) {
    if (sv__hash_v1_embed(texts[i], out + i * (size_t)dim, dim) != 0) {
      snprintf(err, errcap, "out of memory");
      return 1;
    }
  }
  return 0;
}

static int make(const char *name, const char *version, uint32_t dim, sv_embed_fn fn, void *ctx,
                void (*free_ctx)(void *), sv_embedder **out) {
  char err[256];
  int rc = SV_OK;
  sv_embedder *e = NULL;
  if (!out) return SV_EINVAL;
  *out = NULL;
  if ((rc = sv__check_text(name, "embedder name", SV_MEM_MAX_SHORT - 1, 1, err, sizeof err)) ||
      (rc = sv__check_text(version, "embedder version", 63, 1, err, sizeof err))) {
    sv__emb_seterr("%s", err);
    goto done;
  }
  if (!fn || dim < 1 || dim > SV_MAX_DIM) {
    sv__emb_seterr("embedder needs a function and a dimension in 1..%d", SV_MAX_DIM);
    rc = SV_EINVAL;
    goto done;
  }
  e = calloc(1, sizeof *e);
  if (!e) {
    sv__emb_seterr("out of memory");
    rc = SV_ENOMEM;
    goto done;
  }
  snprintf(e->name, sizeof e->name, "%s", name);
  snprintf(e->version, sizeof e->version, "%s", version);
  e->dim = dim;
  e->fn = fn;
  e->ctx = ctx;
  e->free_ctx = free_ctx;
  *out = e;
done:
  if (rc != SV_OK && free_ctx) free_ctx(ctx);
  return rc;
}

int sv_embedder_hash_v1(uint32_t dim, sv_embedder **out) {
  if (dim == 0) dim = SV_HASH_V1_DEFAULT_DIM;
  if (dim < 64 || dim > SV_MAX_DIM) {
    if (out) *out = NULL;
    sv__emb_seterr("hash-v1 dimension must be 64..%d", SV_MAX_DIM);
    return SV_EINVAL;
  }
  int rc = make("hash-v1", "1", dim, hash_fn, NULL, NULL, out);
  if (rc == SV_OK) (*out)->sparse = 1;
  return rc;
}

int sv_embedder_custom(const char *name, const char *version, uint32_t dim, sv_embed_fn fn,
                       void *ctx, void (*free_ctx)(void *), sv_embedder **out) {
  return make(name, version, dim, fn, ctx, free_ctx, out);
}

void sv_embedder_free(sv_embedder *e) {
  if (!e) return;
  if (e->free_ctx) e->free_ctx(e->ctx);
  free(e);
}

int sv_embed(sv_embedder *e, const char *const *texts, size_t n, float *out) {
  char err[SV_EMB_ERRCAP];
  if (!e || (!texts && n) || (!out && n)) {
    sv__emb_seterr("sv_embed: NULL argument");
    return SV_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    char what[48];
    snprintf(what, sizeof what, "text %zu", i);
    if (sv__check_text(texts[i], what, SV_MEM_MAX_TEXT, 1, err, sizeof err) != SV_OK) {
      sv__emb_seterr("%s", err);
      return SV_EINVAL;
    }
  }
  if (n == 0) return SV_OK;
  err[0] = '\0';
  int frc = e->fn(e->ctx, texts, n, out, e->dim, err, sizeof err);
  if (frc != 0) {
    sv__emb_seterr("embedder %s failed: %s", e->name, err[0] ? err : "no reason given");
    return frc == SV_EDIM ? SV_EDIM : SV_EIO;
  }
  for (size_t i = 0; i < n * (size_t)e->dim; i++) {
    if (!isfinite(out[i])) {
      sv__emb_seterr("embedder %s returned a non-finite value for text %zu", e->name, i / e->dim);
      return SV_EIO;
    }
  }
  return SV_OK;
}

const char *sv_embedder_name(const sv_embedder *e) {
  return e ? e->name : "";
}
const char *sv_embedder_version(const sv_embedder *e) {
  return e ? e->version : "";
}
uint32_t sv_embedder_dim(const sv_embedder *e) {
  return e ? e->dim : 0;
}
const char *sv_embedder_errmsg(const sv_embedder *e) {
  (void)e;
  return emb_err;
}
