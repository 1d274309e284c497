/*
** kernels_sse.c — SSE kernels (4 floats per register), for x86 CPUs
** without AVX2.
**
** There is no FMA here, so each step is a multiply and an add; the add's
** latency (3-4 cycles) would serialise a single sum, so it is spread over
** four accumulators fed 16 floats per iteration.  Remaining whole
** registers go to the first accumulator; the last 1..3 floats are copied
** into a zeroed 4-float buffer (SSE has no masked load, and reading a full
** register past the end could cross into an unmapped page) and added to
** the second.  Zero lanes add nothing to a dot product or a squared
** distance, so the padding is exact.
**
** As in the AVX2 file, the batch kernels run the one-row kernel over the
** rows in order (one sequential stream for the prefetcher; the scan is
** memory-bound), so dot_batch() equals dot() bit for bit.
**
** Only SSE2 instructions are used, but the file is built with -msse4.1 and
** selected when CPUID reports SSE4.1, matching the "sse" level the rest of
** the project speaks of.
*/
#include "vec/kernels_impl.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__SSE4_1__)
#include <assert.h>
#include <stdint.h>
#include <math.h>
#include <smmintrin.h>
#include <string.h>

static inline __m128 load_tail(const float *p, size_t rem) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  assert(rem > 0 && rem < 4);
  memcpy(buf, p, rem * sizeof *p);
  return _mm_loadu_ps(buf);
}

static inline float hsum(__m128 v) {
  __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

/* acc + q*x (dot) or acc + (q-x)^2 (l2); `l2` is a constant after inlining. */
static inline __m128 step(__m128 acc, __m128 q, __m128 x, int l2) {
  if (l2) {
    __m128 d = _mm_sub_ps(q, x);
    return _mm_add_ps(acc, _mm_mul_ps(d, d));
  }
  return _mm_add_ps(acc, _mm_mul_ps(q, x));
}

static inline float finish(__m128 a0, __m128 a1, __m128 a2, __m128 a3) {
  return hsum(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)));
}

/* Software prefetch distance for streaming scans, in floats (1 KiB): see
** kernels_avx2.c for the measurement. */
#define PREFETCH_AHEAD 256

/* The address PREFETCH_AHEAD floats past p, computed as an integer: the
** target may lie past the end of the buffer, where pointer arithmetic
** would be undefined. */
static inline const char *ahead(const float *p) {
  return (const char *)((uintptr_t)p + PREFETCH_AHEAD * sizeof(float));
}

/* `pf` (a constant after inlining) prefetches the row stream for batch
** scans; prefetches never fault, so running past the buffer is harmless. */
static inline float row1(const float *q, const float *x, size_t n, int l2, int pf) {
  __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (pf) {
      _mm_prefetch(ahead(x + i), _MM_HINT_T0);
    }
    a0 = step(a0, _mm_loadu_ps(q + i), _mm_loadu_ps(x + i), l2);
    a1 = step(a1, _mm_loadu_ps(q + i + 4), _mm_loadu_ps(x + i + 4), l2);
    a2 = step(a2, _mm_loadu_ps(q + i + 8), _mm_loadu_ps(x + i + 8), l2);
    a3 = step(a3, _mm_loadu_ps(q + i + 12), _mm_loadu_ps(x + i + 12), l2);
  }
  for (; i + 4 <= n; i += 4) a0 = step(a0, _mm_loadu_ps(q + i), _mm_loadu_ps(x + i), l2);
  if (i < n) a1 = step(a1, load_tail(q + i, n - i), load_tail(x + i, n - i), l2);
  return finish(a0, a1, a2, a3);
}

static inline void batch(const float *q, const float *base, size_t rows, size_t n, float *out,
                         int l2) {
  for (size_t r = 0; r < rows; r++) out[r] = row1(q, base + r * n, n, l2, 1);
}

static float sse_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 0, 0);
}

static float sse_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 1, 0);
}

static void sse_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 0);
}

static void sse_l2sq_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 1);
}

/* Three sums at once (a.b, a.a, b.b), two accumulators each. */
static float sse_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  __m128 ab0 = _mm_setzero_ps(), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128 x0 = _mm_loadu_ps(a + i), y0 = _mm_loadu_ps(b + i);
    __m128 x1 = _mm_loadu_ps(a + i + 4), y1 = _mm_loadu_ps(b + i + 4);
    ab0 = _mm_add_ps(ab0, _mm_mul_ps(x0, y0));
    aa0 = _mm_add_ps(aa0, _mm_mul_ps(x0, x0));
    bb0 = _mm_add_ps(bb0, _mm_mul_ps(y0, y0));
    ab1 = _mm_add_ps(ab1, _mm_mul_ps(x1, y1));
    aa1 = _mm_add_ps(aa1, _mm_mul_ps(x1, x1));
    bb1 = _mm_add_ps(bb1, _mm_mul_ps(y1, y1));
  }
  if (i + 4 <= n) {
    __m128 x0 = _mm_loadu_ps(a + i), y0 = _mm_loadu_ps(b + i);
    ab0 = _mm_add_ps(ab0, _mm_mul_ps(x0, y0));
    aa0 = _mm_add_ps(aa0, _mm_mul_ps(x0, x0));
    bb0 = _mm_add_ps(bb0, _mm_mul_ps(y0, y0));
    i += 4;
  }
  if (i < n) {
    __m128 x1 = load_tail(a + i, n - i), y1 = load_tail(b + i, n - i);
    ab1 = _mm_add_ps(ab1, _mm_mul_ps(x1, y1));
    aa1 = _mm_add_ps(aa1, _mm_mul_ps(x1, x1));
    bb1 = _mm_add_ps(bb1, _mm_mul_ps(y1, y1));
  }
  double ab = hsum(_mm_add_ps(ab0, ab1));
  double aa = hsum(_mm_add_ps(aa0, aa1));
  double bb = hsum(_mm_add_ps(bb0, bb1));
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  return (float)(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
}

static const sv_kernels sse_table = {"sse",      sse_dot,       sse_l2sq,
                                     sse_cosine, sse_dot_batch, sse_l2sq_batch};

const sv_kernels *const sv_kernels_table_sse = &sse_table;
#else
const sv_kernels *const sv_kernels_table_sse = NULL;
#endif
