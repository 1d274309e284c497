/*
** kernels_avx2.c — AVX2 + FMA kernels (8 floats per register).
**
** A single FMA chain is bound by the instruction's latency (4-5 cycles),
** while the core can retire two per cycle, so each sum is split over four
** independent accumulators fed 32 floats per iteration; remaining whole
** registers go to the first accumulator and the last 1..7 floats are read
** with a masked load (which never touches memory past the end, so a vector
** ending at a page boundary is safe) into the second.  The four are added
** pairwise and reduced horizontally at the end.
**
** The batch kernels are the exact scan, and a scan is bound by memory
** bandwidth, not arithmetic, so they simply run the one-row kernel over
** each row in turn: the rows are then read as one sequential stream, which
** the hardware prefetcher follows best.  Walking two rows at once to share
** the query's loads was measured slower (7.7 vs 10.8 GB/s over 100,000 x
** 384 floats on a Zen 1 EPYC): two interleaved streams that jump at every
** pair defeat the prefetcher, while query reloads hit L1 for free.  It
** also makes dot_batch() return bit-for-bit what dot() returns for that
** row, so a score seen in a search equals the one sv_vector_score() gives.
**
** Built with -mavx2 -mfma; empty of code on other targets or flags, and
** only called once the dispatcher has seen AVX2 and FMA in CPUID.
*/
#include "vec/kernels_impl.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__AVX2__) && defined(__FMA__)
#include <assert.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

/* Sliding window: 8 - rem leading -1s select the first rem lanes. */
static const int32_t tail_bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256i tail_mask(size_t rem) {
  assert(rem > 0 && rem < 8);
  return _mm256_loadu_si256((const __m256i *)(const void *)(tail_bits + 8 - rem));
}

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* acc + q*x (dot) or acc + (q-x)^2 (l2); `l2` is a constant after inlining. */
static inline __m256 step(__m256 acc, __m256 q, __m256 x, int l2) {
  if (l2) {
    __m256 d = _mm256_sub_ps(q, x);
    return _mm256_fmadd_ps(d, d, acc);
  }
  return _mm256_fmadd_ps(q, x, acc);
}

static inline float finish(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

/* How far ahead of the loads a streaming scan prefetches, in floats.  The
** hardware prefetcher alone left ~10 % of read bandwidth unused on a scan
** of 100K x 384 rows; 1 KiB ahead recovered it (measured 256..1024
** floats, all within 2 %). */
#define PREFETCH_AHEAD 256

/* The address PREFETCH_AHEAD floats past p, computed as an integer: the
** target may lie past the end of the buffer, where pointer arithmetic
** would be undefined. */
static inline const char *ahead(const float *p) {
  return (const char *)((uintptr_t)p + PREFETCH_AHEAD * sizeof(float));
}

/* `pf` (a constant after inlining) asks for software prefetch of the row
** stream; harmless past the end of the buffer (prefetches never fault). */
static inline float row1(const float *q, const float *x, size_t n, int l2, int pf) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    if (pf) {
      _mm_prefetch(ahead(x + i), _MM_HINT_T0);
      _mm_prefetch(ahead(x + i + 16), _MM_HINT_T0);
    }
    a0 = step(a0, _mm256_loadu_ps(q + i), _mm256_loadu_ps(x + i), l2);
    a1 = step(a1, _mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(x + i + 8), l2);
    a2 = step(a2, _mm256_loadu_ps(q + i + 16), _mm256_loadu_ps(x + i + 16), l2);
    a3 = step(a3, _mm256_loadu_ps(q + i + 24), _mm256_loadu_ps(x + i + 24), l2);
  }
  for (; i + 8 <= n; i += 8) a0 = step(a0, _mm256_loadu_ps(q + i), _mm256_loadu_ps(x + i), l2);
  if (i < n) {
    __m256i m = tail_mask(n - i);
    a1 = step(a1, _mm256_maskload_ps(q + i, m), _mm256_maskload_ps(x + i, m), l2);
  }
  return finish(a0, a1, a2, a3);
}

static inline void batch(const float *q, const float *base, size_t rows, size_t n, float *out,
                         int l2) {
  for (size_t r = 0; r < rows; r++) out[r] = row1(q, base + r * n, n, l2, 1);
}

static float avx2_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 0, 0);
}

static float avx2_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 1, 0);
}

static void avx2_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 0);
}

static void avx2_l2sq_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 1);
}

/* Three sums at once (a.b, a.a, b.b), two accumulators each: six chains
** are enough to cover FMA latency. */
static float avx2_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  __m256 ab0 = _mm256_setzero_ps(), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 x0 = _mm256_loadu_ps(a + i), y0 = _mm256_loadu_ps(b + i);
    __m256 x1 = _mm256_loadu_ps(a + i + 8), y1 = _mm256_loadu_ps(b + i + 8);
    ab0 = _mm256_fmadd_ps(x0, y0, ab0);
    aa0 = _mm256_fmadd_ps(x0, x0, aa0);
    bb0 = _mm256_fmadd_ps(y0, y0, bb0);
    ab1 = _mm256_fmadd_ps(x1, y1, ab1);
    aa1 = _mm256_fmadd_ps(x1, x1, aa1);
    bb1 = _mm256_fmadd_ps(y1, y1, bb1);
  }
  if (i + 8 <= n) {
    __m256 x0 = _mm256_loadu_ps(a + i), y0 = _mm256_loadu_ps(b + i);
    ab0 = _mm256_fmadd_ps(x0, y0, ab0);
    aa0 = _mm256_fmadd_ps(x0, x0, aa0);
    bb0 = _mm256_fmadd_ps(y0, y0, bb0);
    i += 8;
  }
  if (i < n) {
    __m256i m = tail_mask(n - i);
    __m256 x1 = _mm256_maskload_ps(a + i, m), y1 = _mm256_maskload_ps(b + i, m);
    ab1 = _mm256_fmadd_ps(x1, y1, ab1);
    aa1 = _mm256_fmadd_ps(x1, x1, aa1);
    bb1 = _mm256_fmadd_ps(y1, y1, bb1);
  }
  double ab = hsum(_mm256_add_ps(ab0, ab1));
  double aa = hsum(_mm256_add_ps(aa0, aa1));
  double bb = hsum(_mm256_add_ps(bb0, bb1));
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  return (float)(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
}

static const sv_kernels avx2_table = {"avx2",      avx2_dot,       avx2_l2sq,
                                      avx2_cosine, avx2_dot_batch, avx2_l2sq_batch};

const sv_kernels *const sv_kernels_table_avx2 = &avx2_table;
#else
const sv_kernels *const sv_kernels_table_avx2 = NULL;
#endif
