/*
** kernels_avx512.c — AVX-512F kernels (16 floats per register).
**
** Same shape as the AVX2 file with registers twice as wide: four FMA
** accumulators fed 64 floats per iteration, then whole registers into the
** first, then the last 1..15 floats through a zero-masked load into the
** second.  A masked-off lane is neither read nor faulted on, so the tail
** never touches memory past the end.  As in the AVX2 file, the batch
** kernels run the one-row kernel over the rows in order (one sequential
** stream for the prefetcher; the scan is memory-bound), so dot_batch()
** equals dot() bit for bit.
**
** Only AVX-512F intrinsics are used, but CMake builds the file with
** -mavx512f/bw/vl, -mavx2 and -mfma, so the compiler may pick any of those
** encodings; the dispatcher therefore requires F, BW, VL and FMA in CPUID
** (and ZMM state enabled by the OS).  Empty of code on other targets.
*/
#include "vec/kernels_impl.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__AVX512F__)
#include <assert.h>
#include <stdint.h>
#include <immintrin.h>
#include <math.h>

static inline __mmask16 tail_mask(size_t rem) {
  assert(rem > 0 && rem < 16);
  return (__mmask16)((1u << rem) - 1u);
}

/* acc + q*x (dot) or acc + (q-x)^2 (l2); `l2` is a constant after inlining. */
static inline __m512 step(__m512 acc, __m512 q, __m512 x, int l2) {
  if (l2) {
    __m512 d = _mm512_sub_ps(q, x);
    return _mm512_fmadd_ps(d, d, acc);
  }
  return _mm512_fmadd_ps(q, x, acc);
}

static inline float finish(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
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
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if (pf) {
      _mm_prefetch(ahead(x + i), _MM_HINT_T0);
      _mm_prefetch(ahead(x + i + 16), _MM_HINT_T0);
      _mm_prefetch(ahead(x + i + 32), _MM_HINT_T0);
      _mm_prefetch(ahead(x + i + 48), _MM_HINT_T0);
    }
    a0 = step(a0, _mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i), l2);
    a1 = step(a1, _mm512_loadu_ps(q + i + 16), _mm512_loadu_ps(x + i + 16), l2);
    a2 = step(a2, _mm512_loadu_ps(q + i + 32), _mm512_loadu_ps(x + i + 32), l2);
    a3 = step(a3, _mm512_loadu_ps(q + i + 48), _mm512_loadu_ps(x + i + 48), l2);
  }
  for (; i + 16 <= n; i += 16) a0 = step(a0, _mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i), l2);
  if (i < n) {
    __mmask16 m = tail_mask(n - i);
    a1 = step(a1, _mm512_maskz_loadu_ps(m, q + i), _mm512_maskz_loadu_ps(m, x + i), l2);
  }
  return finish(a0, a1, a2, a3);
}

static inline void batch(const float *q, const float *base, size_t rows, size_t n, float *out,
                         int l2) {
  for (size_t r = 0; r < rows; r++) out[r] = row1(q, base + r * n, n, l2, 1);
}

static float avx512_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 0, 0);
}

static float avx512_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 1, 0);
}

static void avx512_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 0);
}

static void avx512_l2sq_batch(const float *q, const float *base, size_t rows, size_t n,
                              float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 1);
}

/* Three sums at once (a.b, a.a, b.b), two accumulators each. */
static float avx512_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  __m512 ab0 = _mm512_setzero_ps(), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 x0 = _mm512_loadu_ps(a + i), y0 = _mm512_loadu_ps(b + i);
    __m512 x1 = _mm512_loadu_ps(a + i + 16), y1 = _mm512_loadu_ps(b + i + 16);
    ab0 = _mm512_fmadd_ps(x0, y0, ab0);
    aa0 = _mm512_fmadd_ps(x0, x0, aa0);
    bb0 = _mm512_fmadd_ps(y0, y0, bb0);
    ab1 = _mm512_fmadd_ps(x1, y1, ab1);
    aa1 = _mm512_fmadd_ps(x1, x1, aa1);
    bb1 = _mm512_fmadd_ps(y1, y1, bb1);
  }
  if (i + 16 <= n) {
    __m512 x0 = _mm512_loadu_ps(a + i), y0 = _mm512_loadu_ps(b + i);
    ab0 = _mm512_fmadd_ps(x0, y0, ab0);
    aa0 = _mm512_fmadd_ps(x0, x0, aa0);
    bb0 = _mm512_fmadd_ps(y0, y0, bb0);
    i += 16;
  }
  if (i < n) {
    __mmask16 m = tail_mask(n - i);
    __m512 x1 = _mm512_maskz_loadu_ps(m, a + i), y1 = _mm512_maskz_loadu_ps(m, b + i);
    ab1 = _mm512_fmadd_ps(x1, y1, ab1);
    aa1 = _mm512_fmadd_ps(x1, x1, aa1);
    bb1 = _mm512_fmadd_ps(y1, y1, bb1);
  }
  double ab = _mm512_reduce_add_ps(_mm512_add_ps(ab0, ab1));
  double aa = _mm512_reduce_add_ps(_mm512_add_ps(aa0, aa1));
  double bb = _mm512_reduce_add_ps(_mm512_add_ps(bb0, bb1));
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  return (float)(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
}

static const sv_kernels avx512_table = {"avx512",      avx512_dot,       avx512_l2sq,
                                        avx512_cosine, avx512_dot_batch, avx512_l2sq_batch};

const sv_kernels *const sv_kernels_table_avx512 = &avx512_table;
#else
const sv_kernels *const sv_kernels_table_avx512 = NULL;
#endif
