/*
** qkernels_scalar.c — the reference quantized kernels and the quantizers.
**
** Plain loops, compiled without auto-vectorisation like the float
** reference, so they are the definition the SIMD paths are tested against.
** The quantizers live here too: a code is a pure function of the vector
** (one scale per vector, no shard-wide statistics), which is what lets the
** arena derive codes on every write without a re-quantize step.
**
** The dispatcher sits at the bottom: AVX2 when available and SV_SIMD does
** not force "scalar"/"sse" (the same switch that lowers the float kernels,
** so one environment variable makes a whole run use reference code).
*/
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vec/qkernels.h"

static void scalar_dot_i8_batch(const int8_t *q, const int8_t *base, size_t rows, size_t n,
                                int32_t *out) {
  for (size_t r = 0; r < rows; r++) {
    const int8_t *b = base + r * n;
    int32_t s = 0;
    for (size_t j = 0; j < n; j++) s += (int32_t)q[j] * (int32_t)b[j];
    out[r] = s;
  }
}

static unsigned popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

static void scalar_hamming_batch(const uint64_t *q, const uint64_t *base, size_t rows, size_t words,
                                 uint32_t *out) {
  for (size_t r = 0; r < rows; r++) {
    const uint64_t *b = base + r * words;
    uint32_t d = 0;
    for (size_t j = 0; j < words; j++) d += popcount64(q[j] ^ b[j]);
    out[r] = d;
  }
}

static const sv_qkernels scalar_table = {"scalar", scalar_dot_i8_batch, scalar_hamming_batch};

const sv_qkernels *sv_qkernels_scalar(void) {
  return &scalar_table;
}

float sv_quantize_i8(const float *x, size_t n, int8_t *codes) {
  float m = 0.0f;
  for (size_t j = 0; j < n; j++) m = fabsf(x[j]) > m ? fabsf(x[j]) : m;
  float scale = m > 0.0f ? m / 127.0f : 1.0f;
  float inv = m > 0.0f ? 127.0f / m : 0.0f;
  for (size_t j = 0; j < n; j++) {
    long c = lrintf(x[j] * inv);
    codes[j] = (int8_t)(c > 127 ? 127 : c < -127 ? -127 : c);
  }
  return scale;
}

void sv_quantize_bits(const float *x, size_t n, uint64_t *words) {
  size_t w = (n + 63) / 64;
  memset(words, 0, w * sizeof *words);
  for (size_t j = 0; j < n; j++)
    if (x[j] > 0.0f) words[j >> 6] |= (uint64_t)1 << (j & 63);
}

static _Atomic(const sv_qkernels *) active = NULL;

const sv_qkernels *sv_qkernels_active(void) {
  const sv_qkernels *k = atomic_load_explicit(&active, memory_order_acquire);
  if (!k) {
    const char *force = getenv("SV_SIMD");
    int low = force && (strcmp(force, "scalar") == 0 || strcmp(force, "sse") == 0);
    k = low ? NULL : sv_qkernels_avx2();
    if (!k) k = &scalar_table;
    atomic_store_explicit(&active, k, memory_order_release);
  }
  return k;
}
