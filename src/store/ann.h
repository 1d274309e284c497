/*
** ann.h — the approximate search paths (quantized scans, HNSW) behind
** sv_search.  Each finds candidate rows and hands them to `push` with their
** exact float32 key (smaller is better: l2 squared distance or negated
** dot), so the caller's top-k heap, threshold and tie order are the same as
** for the exact scan.  Callers hold the arena's read lock.
*/
#ifndef SV_STORE_ANN_H
#define SV_STORE_ANN_H

#include <stddef.h>
#include <stdint.h>

#include "store/arena.h"
#include "vec/kernels.h"

typedef void (*sv_ann_push)(void *ctx, float key, uint32_t slot);

/* Scan the int8 codes (binary = 0) or sign bits (binary = 1) of every row,
** or of the slots set in `bm` when not NULL, keep the `cand` best by the
** approximate key, and push those with exact keys.  SV_OK or SV_ENOMEM. */
int sv__ann_quantized(const sv_arena *a, const sv_kernels *kern, int l2, const float *q,
                      const uint64_t *bm, int binary, size_t cand, sv_ann_push push, void *ctx);

/* Search the arena's graph for k rows (ef candidates), only slots set in
** `bm` when not NULL; push each.  Returns the number pushed, -1 when out
** of memory. */
long sv__ann_hnsw(const sv_arena *a, const float *q, size_t k, size_t ef, const uint64_t *bm,
                  sv_ann_push push, void *ctx);

#endif /* SV_STORE_ANN_H */
