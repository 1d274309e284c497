/*
** qkernels_avx2.c — AVX2 int8 dot products and Hamming distances.
**
** int8 x int8: _mm256_maddubs_epi16 multiplies unsigned by signed bytes, so
** the first operand is made non-negative (|a|) and its sign moved onto the
** second (sign(b, a)); pairs of products land in int16 lanes, which cannot
** saturate because codes avoid -128 (2 * 127 * 127 < 32767).  madd with
** ones widens them to int32 lanes, summed in two accumulators to hide the
** latency.  32 codes per step; the tail (dim not a multiple of 32) is a
** scalar loop, which is exact, so results equal the reference bit for bit.
**
** Hamming: the hardware POPCNT on 64-bit words is one instruction per
** word at a throughput of one per cycle; for the few words of a sign code
** (6 for 384 dimensions) that beats a shuffle-table popcount, and the
** row loop streams the codes sequentially for the prefetcher.
**
** Built with -mavx2 -mfma (file suffix); empty on other targets, and only
** called once CPUID has confirmed AVX2 and POPCNT.
*/
#include "vec/qkernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__AVX2__)
#include <immintrin.h>

static inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

static inline __m256i dot32(__m256i a, __m256i b, __m256i ones) {
  __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
  return _mm256_madd_epi16(p, ones);
}

static int32_t avx2_dot_i8(const int8_t *q, const int8_t *b, size_t n) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  size_t j = 0;
  for (; j + 64 <= n; j += 64) {
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(q + j));
    __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + j));
    __m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(q + j + 32));
    __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + j + 32));
    acc0 = _mm256_add_epi32(acc0, dot32(a0, b0, ones));
    acc1 = _mm256_add_epi32(acc1, dot32(a1, b1, ones));
  }
  if (j + 32 <= n) {
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(q + j));
    __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + j));
    acc0 = _mm256_add_epi32(acc0, dot32(a0, b0, ones));
    j += 32;
  }
  int32_t s = hsum_epi32(_mm256_add_epi32(acc0, acc1));
  for (; j < n; j++) s += (int32_t)q[j] * (int32_t)b[j];
  return s;
}

static void avx2_dot_i8_batch(const int8_t *q, const int8_t *base, size_t rows, size_t n,
                              int32_t *out) {
  for (size_t r = 0; r < rows; r++) out[r] = avx2_dot_i8(q, base + r * n, n);
}

__attribute__((target("popcnt"))) static void avx2_hamming_batch(const uint64_t *q,
                                                                 const uint64_t *base, size_t rows,
                                                                 size_t words, uint32_t *out) {
  for (size_t r = 0; r < rows; r++) {
    const uint64_t *b = base + r * words;
    uint32_t d = 0;
    for (size_t j = 0; j < words; j++) d += (uint32_t)__builtin_popcountll(q[j] ^ b[j]);
    out[r] = d;
  }
}

static const sv_qkernels avx2_table = {"avx2", avx2_dot_i8_batch, avx2_hamming_batch};

const sv_qkernels *sv_qkernels_avx2(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("popcnt")) return NULL;
  return &avx2_table;
}
#else
const sv_qkernels *sv_qkernels_avx2(void) {
  return NULL;
}
#endif
