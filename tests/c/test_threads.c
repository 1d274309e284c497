/*
** test_threads.c — one handle shared by several threads.
**
** Four threads search (plain, filtered, with metadata, with a threshold)
** while a fifth inserts, upserts and deletes.  Every row's vector is a
** function of its id and version tag kept in its metadata, so a searcher
** can verify each hit on its own: the reported score must equal the
** distance to the vector of that id, hits must be ordered, a filtered hit
** must match the filter, and a search must return k hits (the writer never
** lets the shard drop below k rows).  Meanwhile each thread provokes its
** own errors and checks that sv_errmsg() returns its own message, not one
** another thread produced on the same handle.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "sv_test.h"

#define DIM 24
#define PRELOAD 2000
#define WRITES 1000
#define SEARCHERS 4
#define K 10

static sv_shard *shard;
static atomic_int writer_done;
static atomic_int failures;
static atomic_int searches;

static void vec_for(int64_t id, float *v) {
  unsigned long long s = (unsigned long long)id * 2654435761u + 11;
  for (int i = 0; i < DIM; i++) v[i] = sv_test_randf(&s);
}

static float l2(const float *a, const float *b) {
  double s = 0;
  for (int i = 0; i < DIM; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return (float)sqrt(s);
}

static void fail(const char *what, long long detail) {
  atomic_fetch_add(&failures, 1);
  fprintf(stderr, "thread check failed: %s (%lld)\n", what, detail);
}

static void *searcher(void *arg) {
  int me = (int)(intptr_t)arg;
  unsigned long long seed = 1000 + (unsigned long long)me;
  char want_msg[64];
  /* Bounded so slow runs (valgrind serialises threads) stay short. */
  for (int round = 0; round < 400 && !atomic_load(&writer_done); round++) {
    float q[DIM];
    for (int i = 0; i < DIM; i++) q[i] = sv_test_randf(&seed);
    sv_search_options o = {K, 0, 0, NULL, me == 2};
    if (me == 1) o.filter = "{\"even\":true}";
    if (me == 3) {
      o.use_threshold = 1;
      o.threshold = 3.0f;
    }
    sv_results res;
    int rc = sv_search(shard, q, DIM, &o, &res);
    if (rc != SV_OK) {
      fail(sv_errmsg(shard), rc);
      continue;
    }
    atomic_fetch_add(&searches, 1);
    if (me != 3 && res.n != K) fail("wrong hit count", (long long)res.n);
    for (size_t i = 0; i < res.n; i++) {
      float v[DIM];
      vec_for(res.hits[i].id, v);
      float d = l2(q, v);
      if (fabsf(d - res.hits[i].score) > 1e-4f * (1 + d)) fail("score mismatch", res.hits[i].id);
      if (i && res.hits[i].score < res.hits[i - 1].score) fail("order", (long long)i);
      if (me == 1 && res.hits[i].id % 2 != 0) fail("filter", res.hits[i].id);
      if (me == 3 && res.hits[i].score > 3.0f) fail("threshold", res.hits[i].id);
      if (me == 2) {
        char want[48];
        snprintf(want, sizeof want, "{\"id\":%lld,", (long long)res.hits[i].id);
        if (!res.hits[i].metadata || strncmp(res.hits[i].metadata, want, strlen(want)))
          fail("metadata", res.hits[i].id);
      }
    }
    sv_results_free(&res);

    /* This thread's own error message, despite the other threads. */
    uint32_t bad_dim = 100 + (uint32_t)me;
    snprintf(want_msg, sizeof want_msg, "dimension %u", (unsigned)bad_dim);
    if (sv_search(shard, q, bad_dim, &o, &res) != SV_EDIM) fail("EDIM", me);
    if (!strstr(sv_errmsg(shard), want_msg)) fail("errmsg belongs to another thread", me);
  }
  return NULL;
}

static char *meta_for(int64_t id, char *buf, size_t n) {
  snprintf(buf, n, "{\"id\":%lld,\"even\":%s}", (long long)id, id % 2 == 0 ? "true" : "false");
  return buf;
}

static void *writer(void *arg) {
  (void)arg;
  unsigned long long seed = 99;
  char meta[64];
  for (int i = 0; i < WRITES; i++) {
    int64_t id = PRELOAD + 1 + i;
    float v[DIM];
    vec_for(id, v);
    if (sv_insert_id(shard, id, v, DIM, meta_for(id, meta, sizeof meta)) != SV_OK)
      fail(sv_errmsg(shard), id);
    if (i % 5 == 0) {
      /* Delete a random older row and re-add it (same vector). */
      int64_t victim = 1 + (int64_t)(sv_test_rand(&seed) % PRELOAD);
      int rc = sv_delete(shard, victim);
      if (rc != SV_OK && rc != SV_ENOTFOUND) fail("delete", victim);
      vec_for(victim, v);
      if (sv_upsert(shard, victim, v, DIM, meta_for(victim, meta, sizeof meta)) != SV_OK)
        fail("upsert", victim);
    }
    if (sv_insert(shard, NULL, DIM, NULL, NULL) != SV_EINVAL) fail("writer EINVAL", i);
    if (!strstr(sv_errmsg(shard), "NULL")) fail("writer errmsg", i);
  }
  atomic_store(&writer_done, 1);
  return NULL;
}

int main(void) {
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_threads", "shard.db");
  CHECK_RC(sv_shard_open(path, &o, &shard), SV_OK);
  sv_item *items = malloc(PRELOAD * sizeof *items);
  float *vecs = malloc((size_t)PRELOAD * DIM * sizeof *vecs);
  char(*metas)[64] = malloc((size_t)PRELOAD * 64);
  for (int i = 0; i < PRELOAD; i++) {
    items[i].has_id = 1;
    items[i].id = i + 1;
    vec_for(i + 1, vecs + (size_t)i * DIM);
    items[i].vec = vecs + (size_t)i * DIM;
    items[i].metadata = meta_for(i + 1, metas[i], 64);
  }
  CHECK_RC(sv_insert_batch(shard, items, PRELOAD, DIM, 0, NULL), SV_OK);
  free(items);
  free(vecs);
  free(metas);

  pthread_t th[SEARCHERS + 1];
  for (int i = 0; i < SEARCHERS; i++)
    CHECK(pthread_create(&th[i], NULL, searcher, (void *)(intptr_t)i) == 0, "create");
  CHECK(pthread_create(&th[SEARCHERS], NULL, writer, NULL) == 0, "create writer");
  for (int i = 0; i <= SEARCHERS; i++) pthread_join(th[i], NULL);

  CHECK(atomic_load(&failures) == 0, "%d failed checks in threads", atomic_load(&failures));
  CHECK(atomic_load(&searches) > 0, "searches ran: %d", atomic_load(&searches));
  printf("threads: %d concurrent searches during %d writes\n", atomic_load(&searches), WRITES);
  sv_stats st;
  CHECK_RC(sv_shard_stats(shard, &st), SV_OK);
  CHECK(st.count == PRELOAD + WRITES, "final count %llu", (unsigned long long)st.count);
  float q[DIM] = {0};
  sv_search_options all = {PRELOAD + WRITES + 5, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(shard, q, DIM, &all, &res), SV_OK);
  CHECK(res.n == PRELOAD + WRITES, "final search sees %zu", res.n);
  sv_results_free(&res);
  CHECK_RC(sv_shard_close(shard), SV_OK);
  sv_test_remove_db(path);
  return sv_test_done("threads");
}
