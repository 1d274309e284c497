/*
** kernels_neon.c — AArch64 NEON kernels (4 floats per register).
**
** Four fused multiply-add accumulators fed 16 floats per iteration hide
** the FMA latency; remaining whole registers go to the first accumulator
** and the last 1..3 floats are copied into a zeroed 4-float buffer (NEON
** has no masked load) and go to the second, so nothing past the end is
** read.  As in the AVX2 file, the batch kernels run the one-row kernel over
** the rows in order (one sequential stream for the prefetcher; the scan
** is memory-bound), so dot_batch() equals dot() bit for bit.
**
** AArch64 only (vfmaq_f32 and the across-lanes vaddvq_f32 are A64
** instructions); NEON is part of that baseline, so the dispatcher needs no
** CPU probe.  Empty of code on every other target.
*/
#include "vec/kernels_impl.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#include <assert.h>
#include <math.h>
#include <string.h>

static inline float32x4_t load_tail(const float *p, size_t rem) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  assert(rem > 0 && rem < 4);
  memcpy(buf, p, rem * sizeof *p);
  return vld1q_f32(buf);
}

/* acc + q*x (dot) or acc + (q-x)^2 (l2); `l2` is a constant after inlining. */
static inline float32x4_t step(float32x4_t acc, float32x4_t q, float32x4_t x, int l2) {
  if (l2) {
    float32x4_t d = vsubq_f32(q, x);
    return vfmaq_f32(acc, d, d);
  }
  return vfmaq_f32(acc, q, x);
}

static inline float finish(float32x4_t a0, float32x4_t a1, float32x4_t a2, float32x4_t a3) {
  return vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
}

static inline float row1(const float *q, const float *x, size_t n, int l2) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = step(a0, vld1q_f32(q + i), vld1q_f32(x + i), l2);
    a1 = step(a1, vld1q_f32(q + i + 4), vld1q_f32(x + i + 4), l2);
    a2 = step(a2, vld1q_f32(q + i + 8), vld1q_f32(x + i + 8), l2);
    a3 = step(a3, vld1q_f32(q + i + 12), vld1q_f32(x + i + 12), l2);
  }
  for (; i + 4 <= n; i += 4) a0 = step(a0, vld1q_f32(q + i), vld1q_f32(x + i), l2);
  if (i < n) a1 = step(a1, load_tail(q + i, n - i), load_tail(x + i, n - i), l2);
  return finish(a0, a1, a2, a3);
}

static inline void batch(const float *q, const float *base, size_t rows, size_t n, float *out,
                         int l2) {
  for (size_t r = 0; r < rows; r++) out[r] = row1(q, base + r * n, n, l2);
}

static float neon_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 0);
}

static float neon_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 1);
}

static void neon_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 0);
}

static void neon_l2sq_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 1);
}

/* Three sums at once (a.b, a.a, b.b), two accumulators each. */
static float neon_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  float32x4_t ab0 = vdupq_n_f32(0.0f), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    float32x4_t x0 = vld1q_f32(a + i), y0 = vld1q_f32(b + i);
    float32x4_t x1 = vld1q_f32(a + i + 4), y1 = vld1q_f32(b + i + 4);
    ab0 = vfmaq_f32(ab0, x0, y0);
    aa0 = vfmaq_f32(aa0, x0, x0);
    bb0 = vfmaq_f32(bb0, y0, y0);
    ab1 = vfmaq_f32(ab1, x1, y1);
    aa1 = vfmaq_f32(aa1, x1, x1);
    bb1 = vfmaq_f32(bb1, y1, y1);
  }
  if (i + 4 <= n) {
    float32x4_t x0 = vld1q_f32(a + i), y0 = vld1q_f32(b + i);
    ab0 = vfmaq_f32(ab0, x0, y0);
    aa0 = vfmaq_f32(aa0, x0, x0);
    bb0 = vfmaq_f32(bb0, y0, y0);
    i += 4;
  }
  if (i < n) {
    float32x4_t x1 = load_tail(a + i, n - i), y1 = load_tail(b + i, n - i);
    ab1 = vfmaq_f32(ab1, x1, y1);
    aa1 = vfmaq_f32(aa1, x1, x1);
    bb1 = vfmaq_f32(bb1, y1, y1);
  }
  double ab = vaddvq_f32(vaddq_f32(ab0, ab1));
  double aa = vaddvq_f32(vaddq_f32(aa0, aa1));
  double bb = vaddvq_f32(vaddq_f32(bb0, bb1));
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  return (float)(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
}

static const sv_kernels neon_table = {"neon",      neon_dot,       neon_l2sq,
                                      neon_cosine, neon_dot_batch, neon_l2sq_batch};

const sv_kernels *const sv_kernels_table_neon = &neon_table;
#else
const sv_kernels *const sv_kernels_table_neon = NULL;
#endif
