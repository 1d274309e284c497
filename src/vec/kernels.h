/*
** kernels.h — float32 distance kernels and their run-time dispatch.
**
** Each ISA has its own translation unit (kernels_scalar.c, kernels_sse.c,
** kernels_avx2.c, kernels_avx512.c, kernels_neon.c, kernels_wasm.c) compiled
** with only that ISA's flags, so one binary carries every path.  The
** dispatcher probes the CPU once and hands out a table of function pointers;
** SV_SIMD=scalar|sse|avx2|avx512|neon|wasm128 forces a backend (one the CPU
** lacks is refused and the best available one is kept, with a warning on
** stderr only from the CLI, never from the library).
**
** Every kernel accepts any n >= 1, not only multiples of the vector width,
** and any float alignment; none reads past a[n-1] / b[n-1].  The scalar
** backend is the reference: compiled without auto-vectorisation,
** accumulating left to right in double and rounding once to float.  The
** SIMD backends accumulate in float over several lanes and accumulators,
** and agree with it to 1e-5 relative to the sum of |a_i*b_i|
** (tests/c/test_kernels.c).  Kernels take finite inputs of the magnitudes
** embeddings have: float sums of squares of |x| > 2^40 or < 2^-40 may
** overflow or underflow, so callers with such values use the scalar table
** (double sums never do; only a final result past FLT_MAX becomes inf) or
** double arithmetic, as sv_vector_score() does.
**
** Backend tables are found through kernels_impl.h (private to src/vec).
*/
#ifndef SV_KERNELS_H
#define SV_KERNELS_H

#include <stddef.h>

typedef struct sv_kernels {
  const char *name; /* "scalar", "sse", "avx2", "avx512", "neon", "wasm128" */
  float (*dot)(const float *a, const float *b, size_t n);
  float (*l2sq)(const float *a, const float *b, size_t n);
  /* Full cosine similarity dot(a,b)/(|a||b|); 0 when either norm is 0. */
  float (*cosine)(const float *a, const float *b, size_t n);
  /* Scores of q against `rows` consecutive rows of `base` (row stride n):
  ** out[i] = dot(q, base + i*n) or l2sq(q, base + i*n), bit-identical to
  ** what this table's dot/l2sq return for that row, so a scan's score
  ** equals a direct computation.  The exact scan's inner loop; rows may
  ** be 0 (nothing is read or written). */
  void (*dot_batch)(const float *q, const float *base, size_t rows, size_t n, float *out);
  void (*l2sq_batch)(const float *q, const float *base, size_t rows, size_t n, float *out);
} sv_kernels;

/* The backend chosen for this process (CPU features, then SV_SIMD).  Never
** NULL; thread-safe; cheap after the first call. */
const sv_kernels *sv_kernels_active(void);

/* The backend called `name`, or NULL when it is not compiled in or the CPU
** cannot run it.  Used by tests and benchmarks to compare paths. */
const sv_kernels *sv_kernels_by_name(const char *name);

/* The scalar reference (always available). */
const sv_kernels *sv_kernels_scalar(void);

#endif /* SV_KERNELS_H */
