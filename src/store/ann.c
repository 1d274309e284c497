/*
** ann.c — quantized scans with exact rescoring, and the HNSW call.
**
** Quantized scan: the query is quantized the way rows are (int8 with its
** own per-vector scale, or sign bits) and every row's code is scored with
** the integer kernels (vec/qkernels.h), reading 1 byte (or 1 bit) per
** dimension instead of 4.  An approximate key is formed from the integer
** score — int8: dot ~ q_scale * row_scale * idot, and for l2 |row|^2 -
** 2 dot (|q|^2 is the same for every row, so it is left out); binary: the
** Hamming distance, which orders rows by angle — and the `cand` best go
** through a bounded heap.  Those candidates are then scored exactly on the
** float rows and pushed to the caller, so every returned score is exact
** and only the membership of the candidate set is approximate; `cand` is
** k times an oversampling factor chosen by measurement (docs/INDEX.md).
**
** The rescoring reads `cand` float rows at random (a few hundred KB at
** most), small against the code stream of a large shard, so the scan runs
** close to the int8 bandwidth floor.
*/
#include "store/ann.h"

#include <stdlib.h>

#include "sqlite_vector.h"
#include "store/hnsw.h"
#include "vec/qkernels.h"
#include "vec/topk.h"

#define BLOCK 256

/* The next run of consecutive rows to scan from *i: all rows in blocks, or
** the set bits of bm.  0 when none are left. */
static int next_run(const uint64_t *bm, size_t n, size_t *i, size_t *start, size_t *len) {
  if (!bm) {
    if (*i >= n) return 0;
    *start = *i;
    *len = n - *i < BLOCK ? n - *i : BLOCK;
    *i += *len;
    return 1;
  }
  while (*i < n) {
    uint64_t w = bm[*i >> 6] >> (*i & 63);
    if (w == 0) {
      *i = (*i | 63) + 1;
      continue;
    }
    *i += (size_t)__builtin_ctzll(w);
    if (*i >= n) return 0;
    size_t j = *i + 1;
    while (j < n && j - *i < BLOCK && ((bm[j >> 6] >> (j & 63)) & 1u)) j++;
    *start = *i;
    *len = j - *i;
    *i = j;
    return 1;
  }
  return 0;
}

int sv__ann_quantized(const sv_arena *a, const sv_kernels *kern, int l2, const float *q,
                      const uint64_t *bm, int binary, size_t cand, sv_ann_push push, void *ctx) {
  const sv_qkernels *qk = sv_qkernels_active();
  int rc = SV_ENOMEM;
  size_t dim = a->dim;
  int8_t *q8 = NULL;
  uint64_t *qb = NULL;
  sv_topk_entry *store = NULL;
  float qs = 1.0f;
  if (cand > a->count) cand = a->count;
  if (cand == 0) return SV_OK;
  if (!(store = malloc(cand * sizeof *store))) goto done;
  if (binary) {
    if (!(qb = malloc(a->bwords * sizeof *qb))) goto done;
    sv_quantize_bits(q, dim, qb);
  } else {
    if (!(q8 = malloc(dim))) goto done;
    qs = sv_quantize_i8(q, dim, q8);
  }
  sv_topk top;
  sv_topk_init(&top, store, cand);
  int32_t dots[BLOCK];
  uint32_t ham[BLOCK];
  size_t i = 0, start, len;
  while (next_run(bm, a->count, &i, &start, &len)) {
    if (binary)
      qk->hamming_batch(qb, a->bits + start * a->bwords, len, a->bwords, ham);
    else
      qk->dot_i8_batch(q8, a->i8 + start * dim, len, dim, dots);
    float bound = sv_topk_bound(&top);
    for (size_t r = 0; r < len; r++) {
      size_t slot = start + r;
      float k;
      if (binary) {
        k = (float)ham[r];
      } else {
        float d = qs * a->i8scale[slot] * (float)dots[r];
        k = l2 ? a->sqnorm[slot] - 2.0f * d : -d;
      }
      if (k > bound) continue;
      sv_topk_push(&top, k, a->ids[slot], (uint32_t)slot);
      bound = sv_topk_bound(&top);
    }
  }
  for (size_t c = 0; c < top.n; c++) {
    const float *row = sv_arena_row(a, top.e[c].slot);
    float k = l2 ? kern->l2sq(q, row, dim) : -kern->dot(q, row, dim);
    push(ctx, k, top.e[c].slot);
  }
  rc = SV_OK;
done:
  free(store);
  free(q8);
  free(qb);
  return rc;
}

long sv__ann_hnsw(const sv_arena *a, const float *q, size_t k, size_t ef, const uint64_t *bm,
                  sv_ann_push push, void *ctx) {
  float *keys = malloc(k * sizeof *keys);
  uint32_t *slots = malloc(k * sizeof *slots);
  long n = -1;
  if (keys && slots) n = sv_hnsw_search(a->hnsw, a, q, k, ef, bm, keys, slots);
  for (long i = 0; i < n; i++) push(ctx, keys[i], slots[i]);
  free(keys);
  free(slots);
  return n;
}
