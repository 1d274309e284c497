/*
** vec_api.c — the public vector-math entry points and the static name
** tables (metrics, status codes, SIMD backend).
**
** sv_vector_score() runs the same kernels as the search so a caller's
** score matches a search hit's score.  The SIMD kernels accumulate in
** float, which is fine for ordinary embeddings but would overflow or
** underflow for vectors whose components are near the ends of the float
** range; the validation pass that rejects NaN/Inf also measures the
** largest magnitude, and outside a comfortable band the score is computed
** here in double instead, which cannot over- or underflow on the way for
** any finite float input (an l2 distance of 1e37-sized vectors is fine
** even though its square is not a float).  A final result beyond FLT_MAX
** is reported as SV_EINVAL rather than returned as infinity.
** Normalisation is done in double for the same reason; it is not on a hot
** path (one vector per insert or query).
*/
#include <assert.h>
#include <math.h>
#include <stddef.h>

#include "sqlite_vector.h"
#include "vec/kernels.h"

/* Components with |x| in [2^-40, 2^40] square to [2^-80, 2^80]; 2^14 such
** squares sum below 2^94: far inside float range, so float kernels are safe. */
#define SAFE_MIN 0x1p-40f
#define SAFE_MAX 0x1p40f

/* SV_OK when dim is 1..SV_MAX_DIM and every component is finite; stores
** the largest |component| in *maxabs. */
static int scan_vector(const float *v, uint32_t dim, float *maxabs) {
  if (!v || dim == 0 || dim > SV_MAX_DIM) return SV_EINVAL;
  float m = 0.0f;
  for (uint32_t i = 0; i < dim; i++) {
    float x = fabsf(v[i]);
    if (!(x <= 3.40282347e38f)) return SV_EINVAL; /* NaN or infinite */
    if (x > m) m = x;
  }
  *maxabs = m;
  return SV_OK;
}

static int in_safe_band(float m) {
  return m >= SAFE_MIN && m <= SAFE_MAX;
}

int sv_vector_check(const float *v, uint32_t dim) {
  float m;
  return scan_vector(v, dim, &m);
}

/* The score in double, for magnitudes the float kernels cannot take. */
static double score_double(sv_metric metric, const float *a, const float *b, uint32_t dim) {
  double ab = 0.0, aa = 0.0, bb = 0.0, dd = 0.0;
  for (uint32_t i = 0; i < dim; i++) {
    double x = a[i], y = b[i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
    dd += (x - y) * (x - y);
  }
  switch (metric) {
    case SV_METRIC_DOT:
      return ab;
    case SV_METRIC_L2:
      return sqrt(dd);
    default:
      break;
  }
  assert(metric == SV_METRIC_COSINE && aa > 0.0 && bb > 0.0);
  double c = ab / (sqrt(aa) * sqrt(bb));
  return c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
}

int sv_vector_score(sv_metric metric, const float *a, const float *b, uint32_t dim, float *out) {
  float ma = 0.0f, mb = 0.0f, s = 0.0f;
  if (!out) return SV_EINVAL;
  if (metric != SV_METRIC_COSINE && metric != SV_METRIC_L2 && metric != SV_METRIC_DOT)
    return SV_EINVAL;
  if (scan_vector(a, dim, &ma) != SV_OK || scan_vector(b, dim, &mb) != SV_OK) return SV_EINVAL;
  if (metric == SV_METRIC_COSINE && (ma == 0.0f || mb == 0.0f)) return SV_EINVAL;

  /* An all-zero vector is harmless for dot and l2 (the sums just shrink),
  ** so only a non-zero magnitude outside the band leaves the kernels. */
  int safe = (ma == 0.0f || in_safe_band(ma)) && (mb == 0.0f || in_safe_band(mb));
  if (safe) {
    const sv_kernels *k = sv_kernels_active();
    switch (metric) {
      case SV_METRIC_COSINE:
        s = k->cosine(a, b, dim);
        break;
      case SV_METRIC_DOT:
        s = k->dot(a, b, dim);
        break;
      default:
        s = sqrtf(k->l2sq(a, b, dim));
        break;
    }
  } else {
    s = (float)score_double(metric, a, b, dim);
  }
  if (!isfinite(s)) return SV_EINVAL; /* the true result exceeds float range */
  *out = s;
  return SV_OK;
}

int sv_vector_normalize(float *v, uint32_t dim) {
  float m;
  if (scan_vector(v, dim, &m) != SV_OK || m == 0.0f) return SV_EINVAL;
  double ss = 0.0;
  for (uint32_t i = 0; i < dim; i++) ss += (double)v[i] * (double)v[i];
  double norm = sqrt(ss);
  for (uint32_t i = 0; i < dim; i++) v[i] = (float)(v[i] / norm);
  return SV_OK;
}

const char *sv_simd_backend(void) {
  return sv_kernels_active()->name;
}

const char *sv_metric_name(sv_metric metric) {
  switch (metric) {
    case SV_METRIC_COSINE:
      return "cosine";
    case SV_METRIC_L2:
      return "l2";
    case SV_METRIC_DOT:
      return "dot";
    case SV_METRIC_UNSET:
      return "unset";
  }
  return "unknown";
}

/* ASCII case-insensitive equality; metric names are plain ASCII. */
static int name_eq(const char *s, const char *want) {
  for (; *s && *want; s++, want++) {
    char c = *s;
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != *want) return 0;
  }
  return *s == '\0' && *want == '\0';
}

int sv_metric_parse(const char *name, sv_metric *out) {
  if (!name || !out) return SV_EINVAL;
  if (name_eq(name, "cosine")) {
    *out = SV_METRIC_COSINE;
  } else if (name_eq(name, "l2")) {
    *out = SV_METRIC_L2;
  } else if (name_eq(name, "dot")) {
    *out = SV_METRIC_DOT;
  } else {
    return SV_EINVAL;
  }
  return SV_OK;
}

const char *sv_errstr(int status) {
  switch (status) {
    case SV_OK:
      return "SV_OK";
    case SV_EINVAL:
      return "SV_EINVAL";
    case SV_EDIM:
      return "SV_EDIM";
    case SV_ENOTFOUND:
      return "SV_ENOTFOUND";
    case SV_EIO:
      return "SV_EIO";
    case SV_ENOMEM:
      return "SV_ENOMEM";
    case SV_EEXIST:
      return "SV_EEXIST";
    case SV_EFORMAT:
      return "SV_EFORMAT";
    case SV_EBUSY:
      return "SV_EBUSY";
    case SV_EJSON:
      return "SV_EJSON";
    case SV_EREADONLY:
      return "SV_EREADONLY";
    case SV_EINTERNAL:
      return "SV_EINTERNAL";
    case 20: /* sync codes (sqlite_vector_sync.h) */
      return "SV_ESYNC";
    case 21:
      return "SV_ENET";
    case 22:
      return "SV_EAUTH";
    case 23:
      return "SV_ESHAPE";
  }
  return "SV_EUNKNOWN";
}
