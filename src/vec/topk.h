/*
** topk.h — bounded selection of the k best candidates of a scan.
**
** A max-heap of at most k entries keyed by (key, id): smaller keys are
** better, ties go to the smaller id so results are deterministic.  Push is
** O(log k) and rejects most candidates with one comparison against the
** root, so a scan over n rows costs O(n log k).  Callers turn scores into
** keys: l2 uses the squared distance, cosine/dot use the negated score.
** The heap does not allocate; the caller provides storage for k entries.
*/
#ifndef SV_TOPK_H
#define SV_TOPK_H

#include <stddef.h>
#include <stdint.h>

typedef struct sv_topk_entry {
  float key;
  int64_t id;
  uint32_t slot; /* caller's row position (e.g. arena slot) */
} sv_topk_entry;

typedef struct sv_topk {
  sv_topk_entry *e;
  size_t k; /* capacity */
  size_t n; /* entries held */
} sv_topk;

void sv_topk_init(sv_topk *t, sv_topk_entry *storage, size_t k);
/* Key of the worst entry held, or +INF while fewer than k are held: a
** candidate whose key is greater cannot enter. */
float sv_topk_bound(const sv_topk *t);
void sv_topk_push(sv_topk *t, float key, int64_t id, uint32_t slot);
/* Sort held entries best-first (ascending key, then id) in place; the heap
** property is gone afterwards. */
void sv_topk_sort(sv_topk *t);

#endif /* SV_TOPK_H */
