/*
** test_topk.c — the bounded heap against a full sort.
**
** For random keys (continuous, and drawn from a handful of values so ties
** are everywhere) and every k from 0 to past n, pushing all candidates in
** a shuffled order and sorting must give exactly the first k entries of a
** qsort by (key, id) — same ids, same order — whatever the visiting order.
** sv_topk_bound() must be +INF until the heap is full and the worst kept
** key afterwards, and NaN keys must never displace real ones.
*/
#include <stdint.h>

#include "sv_test.h"
#include "vec/topk.h"

static unsigned long long seed = 1234;

static int cmp_entry(const void *pa, const void *pb) {
  const sv_topk_entry *a = pa, *b = pb;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

static void shuffle(sv_topk_entry *e, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(sv_test_rand(&seed) % i);
    sv_topk_entry t = e[i - 1];
    e[i - 1] = e[j];
    e[j] = t;
  }
}

/* n candidates with distinct ids; `levels` > 0 draws keys from that many
** values (ties), 0 from a continuous range. */
static void make(sv_topk_entry *c, size_t n, int levels) {
  for (size_t i = 0; i < n; i++) {
    c[i].id = (int64_t)(sv_test_rand(&seed) % 1000000) * 1000 + (int64_t)i - 500000000;
    c[i].slot = (uint32_t)i;
    c[i].key = levels ? (float)(sv_test_rand(&seed) % (unsigned)levels) - 1.0f
                      : sv_test_randf(&seed) * 100.0f;
  }
}

static void run_case(const sv_topk_entry *cand, size_t n, size_t k, const char *what) {
  sv_topk_entry *sorted = malloc((n + 1) * sizeof *sorted);
  sv_topk_entry *visit = malloc((n + 1) * sizeof *visit);
  sv_topk_entry *store = malloc((k + 1) * sizeof *store);
  if (!sorted || !visit || !store) {
    CHECK(0, "out of memory");
    goto done;
  }
  memcpy(sorted, cand, n * sizeof *sorted);
  memcpy(visit, cand, n * sizeof *visit);
  qsort(sorted, n, sizeof *sorted, cmp_entry);
  shuffle(visit, n);

  sv_topk t;
  sv_topk_init(&t, store, k);
  int bound_ok = 1;
  for (size_t i = 0; i < n; i++) {
    sv_topk_push(&t, visit[i].key, visit[i].id, visit[i].slot);
    float b = sv_topk_bound(&t);
    if (t.n < k && b != INFINITY) bound_ok = 0;
    if (k > 0 && t.n == k) {
      /* The worst kept key: the largest key among the entries held. */
      float worst = -INFINITY;
      for (size_t j = 0; j < t.n; j++)
        if (t.e[j].key > worst) worst = t.e[j].key;
      if (b != worst) bound_ok = 0;
    }
  }
  CHECK(bound_ok, "%s n=%zu k=%zu: bound wrong", what, n, k);
  size_t want = k < n ? k : n;
  CHECK(t.n == want, "%s n=%zu k=%zu: holds %zu", what, n, k, t.n);
  sv_topk_sort(&t);
  int same = t.n == want;
  for (size_t i = 0; same && i < want; i++)
    same =
        t.e[i].id == sorted[i].id && t.e[i].key == sorted[i].key && t.e[i].slot == sorted[i].slot;
  CHECK(same, "%s n=%zu k=%zu: differs from qsort", what, n, k);
done:
  free(sorted);
  free(visit);
  free(store);
}

static void test_random(void) {
  static const size_t ns[] = {0, 1, 2, 3, 5, 8, 13, 31, 64, 100};
  static const int levels[] = {0, 1, 2, 5};
  sv_topk_entry cand[100];
  for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
    size_t n = ns[ni];
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
      for (int rep = 0; rep < 3; rep++) {
        make(cand, n, levels[li]);
        for (size_t k = 0; k <= n + 2; k++) run_case(cand, n, k, levels[li] ? "ties" : "random");
      }
    }
  }
  /* A larger scan with a small k, as a search does. */
  enum { BIG = 20000 };
  sv_topk_entry *big = malloc(BIG * sizeof *big);
  if (big) {
    make(big, BIG, 0);
    run_case(big, BIG, 10, "big");
    make(big, BIG, 3);
    run_case(big, BIG, 100, "big-ties");
    free(big);
  }
}

static void test_edges(void) {
  sv_topk_entry store[4];
  sv_topk t;

  /* k = 0 accepts nothing, and its bound says so. */
  sv_topk_init(&t, NULL, 0);
  sv_topk_push(&t, 1.0f, 1, 0);
  CHECK(t.n == 0 && sv_topk_bound(&t) == -INFINITY, "k=0");
  sv_topk_sort(&t);

  /* Equal keys: the smaller ids win, whatever the order they arrive in. */
  sv_topk_init(&t, store, 2);
  int64_t ids[] = {9, 3, 7, 1, 5};
  for (int i = 0; i < 5; i++) sv_topk_push(&t, 0.5f, ids[i], (uint32_t)i);
  sv_topk_sort(&t);
  CHECK(t.n == 2 && t.e[0].id == 1 && t.e[1].id == 3, "tie by id: %lld %lld", (long long)t.e[0].id,
        (long long)t.e[1].id);

  /* NaN never displaces a number, and sorts last while there is room. */
  sv_topk_init(&t, store, 3);
  sv_topk_push(&t, NAN, 1, 0);
  sv_topk_push(&t, 2.0f, 2, 0);
  sv_topk_push(&t, -1.0f, 3, 0);
  sv_topk_push(&t, 5.0f, 4, 0); /* replaces the NaN */
  sv_topk_push(&t, NAN, 0, 0);  /* rejected */
  sv_topk_sort(&t);
  CHECK(t.n == 3 && t.e[0].id == 3 && t.e[1].id == 2 && t.e[2].id == 4, "NaN handling");

  /* Infinite keys order like numbers. */
  sv_topk_init(&t, store, 4);
  sv_topk_push(&t, INFINITY, 1, 0);
  sv_topk_push(&t, -INFINITY, 2, 0);
  sv_topk_push(&t, 0.0f, 3, 0);
  sv_topk_sort(&t);
  CHECK(t.n == 3 && t.e[0].id == 2 && t.e[1].id == 3 && t.e[2].id == 1, "infinities");

  /* Negative and zero keys (negated similarities) and extreme ids. */
  sv_topk_init(&t, store, 2);
  sv_topk_push(&t, -0.9f, INT64_MAX, 0);
  sv_topk_push(&t, -0.9f, INT64_MIN, 1);
  sv_topk_push(&t, -0.1f, 0, 2);
  sv_topk_sort(&t);
  CHECK(t.n == 2 && t.e[0].id == INT64_MIN && t.e[1].id == INT64_MAX && t.e[1].slot == 0,
        "extreme ids");
}

int main(void) {
  test_random();
  test_edges();
  return sv_test_done("topk");
}
