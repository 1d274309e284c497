/*
** kernels_scalar.c — the reference kernels every SIMD backend is checked
** against.
**
** Plain loops, one element at a time, left to right.  CMake compiles this
** file with auto-vectorisation switched off, so it stays the slow, obvious
** baseline the benchmarks measure speed-ups against.
**
** Precision: every product and sum is carried in double and rounded to
** float once at the end.  A float32 product is exact in double and a
** double sum of up to SV_MAX_DIM of them loses far less than float32
** resolution, so this result is (nearly) the correctly rounded value; the
** SIMD backends, which accumulate in float across many lanes, are compared
** with it at 1e-5 relative.  Double also cannot overflow or underflow for
** any finite float input (FLT_MAX^2 * 2^14 < DBL_MAX, and the smallest
** float denormal squared is a normal double), which is why the public
** sv_vector_score() falls back to this backend for extreme magnitudes.
** Costs nothing in speed: a one-element loop is bound by the latency of
** its single add chain, which is the same for float and double.
*/
#include <assert.h>
#include <math.h>

#include "vec/kernels_impl.h"

static float scalar_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
  return (float)s;
}

static float scalar_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  double s = 0.0;
  for (size_t i = 0; i < n; i++) {
    /* The difference of two floats is exact in double. */
    double d = (double)a[i] - (double)b[i];
    s += d * d;
  }
  return (float)s;
}

static float scalar_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (size_t i = 0; i < n; i++) {
    double x = a[i], y = b[i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  /* Rounding can push |c| a hair past 1; similarity is defined on [-1,1]. */
  if (c > 1.0) c = 1.0;
  if (c < -1.0) c = -1.0;
  return (float)c;
}

static void scalar_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  for (size_t r = 0; r < rows; r++) out[r] = scalar_dot(q, base + r * n, n);
}

static void scalar_l2sq_batch(const float *q, const float *base, size_t rows, size_t n,
                              float *out) {
  for (size_t r = 0; r < rows; r++) out[r] = scalar_l2sq(q, base + r * n, n);
}

static const sv_kernels scalar_table = {"scalar",      scalar_dot,       scalar_l2sq,
                                        scalar_cosine, scalar_dot_batch, scalar_l2sq_batch};

const sv_kernels *const sv_kernels_table_scalar = &scalar_table;
