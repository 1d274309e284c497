/*
** topk.c — a bounded max-heap that keeps the k best scan candidates.
**
** The heap's root is the worst entry held, so once it is full a new
** candidate needs only one comparison with the root to be rejected, which
** is what nearly every row of a large scan gets; the few that beat it
** replace the root and sift down in O(log k).  "Worse" is a strict total
** order on (key, id): larger key is worse, equal keys are ordered by id,
** and NaN counts as worse than any number (so a NaN score can never push
** out a real one and comparisons stay consistent).  Because the order is
** total and ids are unique per scan, the set kept and its sorted order do
** not depend on the order rows were visited in — searches are
** deterministic.  Sorting is an in-place heapsort: popping the worst to
** the end repeatedly leaves the array best-first, with no allocation.
*/
#include <assert.h>
#include <math.h>

#include "vec/topk.h"

/* Strict "a is worse than b". */
static int worse(const sv_topk_entry *a, const sv_topk_entry *b) {
  int an = isnan(a->key), bn = isnan(b->key);
  if (an != bn) return an;
  if (!an && a->key != b->key) return a->key > b->key;
  return a->id > b->id;
}

static void swap(sv_topk_entry *a, sv_topk_entry *b) {
  sv_topk_entry t = *a;
  *a = *b;
  *b = t;
}

static void sift_down(sv_topk_entry *e, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(&e[l], &e[m])) m = l;
    if (r < n && worse(&e[r], &e[m])) m = r;
    if (m == i) return;
    swap(&e[i], &e[m]);
    i = m;
  }
}

static void sift_up(sv_topk_entry *e, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!worse(&e[i], &e[p])) return;
    swap(&e[i], &e[p]);
    i = p;
  }
}

void sv_topk_init(sv_topk *t, sv_topk_entry *storage, size_t k) {
  assert(t && (storage || k == 0));
  t->e = storage;
  t->k = k;
  t->n = 0;
}

float sv_topk_bound(const sv_topk *t) {
  assert(t && t->n <= t->k);
  if (t->k == 0) return -INFINITY; /* nothing can ever enter */
  if (t->n < t->k) return INFINITY;
  return t->e[0].key;
}

void sv_topk_push(sv_topk *t, float key, int64_t id, uint32_t slot) {
  assert(t && t->n <= t->k);
  sv_topk_entry c = {key, id, slot};
  if (t->n < t->k) {
    t->e[t->n] = c;
    sift_up(t->e, t->n);
    t->n++;
    return;
  }
  if (t->k == 0 || !worse(&t->e[0], &c)) return;
  t->e[0] = c;
  sift_down(t->e, t->n, 0);
}

void sv_topk_sort(sv_topk *t) {
  assert(t && t->n <= t->k);
  for (size_t end = t->n; end > 1; end--) {
    swap(&t->e[0], &t->e[end - 1]);
    sift_down(t->e, end - 1, 0);
  }
}
