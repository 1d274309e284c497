/*
** qkernels.h — kernels over quantized codes: int8 dot products and binary
** Hamming distances, with run-time dispatch.
**
** The quantized scan reads one int8 code per dimension (a quarter of the
** float32 bytes) or one bit per dimension, so its speed is set by how fast
** these loops stream codes.  As with the float kernels, every ISA lives in
** its own translation unit (qkernels_scalar.c is the reference,
** qkernels_avx2.c the fast path) and the table is picked once per process:
** AVX2 when the CPU has it and SV_SIMD does not ask for something lower.
** Integer arithmetic is exact, so every backend must return bit-identical
** results to the scalar reference (tests/c/test_qkernels.c checks it).
**
** Codes are in [-127, 127] (never -128): the AVX2 path multiplies |a| by
** b with the sign of a moved onto b, and |−128| would not fit a signed
** byte.  Sums stay in int32: 127 * 127 * SV_MAX_DIM (16384) < 2^31.
*/
#ifndef SV_QKERNELS_H
#define SV_QKERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sv_qkernels {
  const char *name; /* "scalar", "avx2" */
  /* out[i] = sum_j q[j] * base[i*n + j] for `rows` consecutive code rows. */
  void (*dot_i8_batch)(const int8_t *q, const int8_t *base, size_t rows, size_t n, int32_t *out);
  /* out[i] = popcount(q XOR row i) over `words` 64-bit words per row. */
  void (*hamming_batch)(const uint64_t *q, const uint64_t *base, size_t rows, size_t words,
                        uint32_t *out);
} sv_qkernels;

/* The table chosen for this process; never NULL. */
const sv_qkernels *sv_qkernels_active(void);
/* The scalar reference; never NULL. */
const sv_qkernels *sv_qkernels_scalar(void);
/* The AVX2 table, or NULL when not compiled in or the CPU lacks AVX2. */
const sv_qkernels *sv_qkernels_avx2(void);

/* Quantize n floats to int8 codes with one symmetric per-vector scale:
** code = round(x / scale), scale = max|x| / 127 (1 for an all-zero
** vector), so x ~ code * scale.  Returns the scale. */
float sv_quantize_i8(const float *x, size_t n, int8_t *codes);

/* Sign bits: bit j of the words is set when x[j] > 0; the padding bits of
** the last word are zero.  `words` = (n + 63) / 64. */
void sv_quantize_bits(const float *x, size_t n, uint64_t *words);

#endif /* SV_QKERNELS_H */
