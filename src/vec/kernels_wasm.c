/*
** kernels_wasm.c — WebAssembly SIMD128 kernels (4 floats per v128).
**
** Baseline SIMD128 has no fused multiply-add (that is in relaxed-simd,
** whose results may differ between engines), so each step is a multiply
** and an add, spread over four accumulators fed 16 floats per iteration.
** Remaining whole vectors go to the first accumulator and the last 1..3
** floats are copied into a zeroed buffer and go to the second: a v128 load
** past the end of the vector could run off the end of linear memory.  The
** batch kernels run the one-row kernel over the rows in order (the scan is
** memory-bound), so dot_batch() equals dot() bit for bit.
**
** Compiled only when the compiler targets wasm with -msimd128; a module
** that loaded at all runs on an engine with SIMD128, so the dispatcher
** needs no probe.  Empty of code everywhere else.
*/
#include "vec/kernels_impl.h"

#if defined(__wasm_simd128__)
#include <assert.h>
#include <math.h>
#include <string.h>
#include <wasm_simd128.h>

static inline v128_t load(const float *p) {
  return wasm_v128_load(p);
}

static inline v128_t load_tail(const float *p, size_t rem) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  assert(rem > 0 && rem < 4);
  memcpy(buf, p, rem * sizeof *p);
  return wasm_v128_load(buf);
}

static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 2)) +
         (wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 3));
}

/* acc + q*x (dot) or acc + (q-x)^2 (l2); `l2` is a constant after inlining. */
static inline v128_t step(v128_t acc, v128_t q, v128_t x, int l2) {
  if (l2) {
    v128_t d = wasm_f32x4_sub(q, x);
    return wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
  }
  return wasm_f32x4_add(acc, wasm_f32x4_mul(q, x));
}

static inline float finish(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  return hsum(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)));
}

static inline float row1(const float *q, const float *x, size_t n, int l2) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = step(a0, load(q + i), load(x + i), l2);
    a1 = step(a1, load(q + i + 4), load(x + i + 4), l2);
    a2 = step(a2, load(q + i + 8), load(x + i + 8), l2);
    a3 = step(a3, load(q + i + 12), load(x + i + 12), l2);
  }
  for (; i + 4 <= n; i += 4) a0 = step(a0, load(q + i), load(x + i), l2);
  if (i < n) a1 = step(a1, load_tail(q + i, n - i), load_tail(x + i, n - i), l2);
  return finish(a0, a1, a2, a3);
}

static inline void batch(const float *q, const float *base, size_t rows, size_t n, float *out,
                         int l2) {
  for (size_t r = 0; r < rows; r++) out[r] = row1(q, base + r * n, n, l2);
}

static float wasm_dot(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 0);
}

static float wasm_l2sq(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  return row1(a, b, n, 1);
}

static void wasm_dot_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 0);
}

static void wasm_l2sq_batch(const float *q, const float *base, size_t rows, size_t n, float *out) {
  assert(q && (base || rows == 0) && (out || rows == 0) && n >= 1);
  batch(q, base, rows, n, out, 1);
}

/* Three sums at once (a.b, a.a, b.b), two accumulators each. */
static float wasm_cosine(const float *a, const float *b, size_t n) {
  assert(a && b && n >= 1);
  v128_t ab0 = wasm_f32x4_splat(0.0f), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t x0 = load(a + i), y0 = load(b + i), x1 = load(a + i + 4), y1 = load(b + i + 4);
    ab0 = wasm_f32x4_add(ab0, wasm_f32x4_mul(x0, y0));
    aa0 = wasm_f32x4_add(aa0, wasm_f32x4_mul(x0, x0));
    bb0 = wasm_f32x4_add(bb0, wasm_f32x4_mul(y0, y0));
    ab1 = wasm_f32x4_add(ab1, wasm_f32x4_mul(x1, y1));
    aa1 = wasm_f32x4_add(aa1, wasm_f32x4_mul(x1, x1));
    bb1 = wasm_f32x4_add(bb1, wasm_f32x4_mul(y1, y1));
  }
  if (i + 4 <= n) {
    v128_t x0 = load(a + i), y0 = load(b + i);
    ab0 = wasm_f32x4_add(ab0, wasm_f32x4_mul(x0, y0));
    aa0 = wasm_f32x4_add(aa0, wasm_f32x4_mul(x0, x0));
    bb0 = wasm_f32x4_add(bb0, wasm_f32x4_mul(y0, y0));
    i += 4;
  }
  if (i < n) {
    v128_t x1 = load_tail(a + i, n - i), y1 = load_tail(b + i, n - i);
    ab1 = wasm_f32x4_add(ab1, wasm_f32x4_mul(x1, y1));
    aa1 = wasm_f32x4_add(aa1, wasm_f32x4_mul(x1, x1));
    bb1 = wasm_f32x4_add(bb1, wasm_f32x4_mul(y1, y1));
  }
  double ab = hsum(wasm_f32x4_add(ab0, ab1));
  double aa = hsum(wasm_f32x4_add(aa0, aa1));
  double bb = hsum(wasm_f32x4_add(bb0, bb1));
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  double c = ab / sqrt(aa * bb); /* one sqrt; a double product of float squares cannot overflow */
  return (float)(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
}

static const sv_kernels wasm_table = {"wasm128",   wasm_dot,       wasm_l2sq,
                                      wasm_cosine, wasm_dot_batch, wasm_l2sq_batch};

const sv_kernels *const sv_kernels_table_wasm128 = &wasm_table;
#else
const sv_kernels *const sv_kernels_table_wasm128 = NULL;
#endif
