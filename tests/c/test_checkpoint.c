/*
** test_checkpoint.c — the background WAL checkpointer (src/store/ckpt.c).
**
** The thresholds are lowered through the internal sv__ckpt_tune() so every
** path runs with a few hundred small rows (fast under valgrind too):
**   - which handles get a checkpointer: an own writable file yes; memory,
**     read-only and borrowed connections no (a borrowed one keeps the
**     host's SQLite autocheckpoint);
**   - a batch is checkpointed in the background: the database file grows
**     while the handle stays open and the pass reports every frame copied;
**   - a stream of single inserts that never pauses hits the brake, and the
**     WAL file stays within the hard limit plus a couple of commits;
**   - after a big batch and close the WAL is gone (last connection) or
**     truncated to zero bytes (another handle still open), and a reopened
**     shard has every row, passes integrity_check and finds exact matches;
**   - closing right after a write, while a pass may be running, is safe,
**     repeated with different delays;
**   - a writer thread hitting the brake while other threads search the
**     same handle (for ThreadSanitizer).
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "store/shard.h"
#include "sv_test.h"

#define DIM 96

static int under_valgrind(void) {
  const char *v = getenv("SV_TEST_VALGRIND");
  return v && *v && strcmp(v, "0") != 0;
}

/* Size of a file in bytes, -1 when it does not exist. */
static long long file_size(const char *p, const char *suffix) {
  char b[1100];
  struct stat st;
  snprintf(b, sizeof b, "%s%s", p, suffix);
  return stat(b, &st) == 0 ? (long long)st.st_size : -1;
}

static void sleep_ms(long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&d, NULL);
}

static void vec_for(int64_t id, float *v) {
  unsigned long long s = (unsigned long long)id * 6364136223846793005ULL + 1;
  for (int i = 0; i < DIM; i++) v[i] = sv_test_randf(&s);
}

/* Insert rows first..first+n-1 (explicit ids) in one batch. */
static int insert_batch(sv_shard *s, int64_t first, int n) {
  sv_item *items = malloc((size_t)n * sizeof *items);
  float *vecs = malloc((size_t)n * DIM * sizeof *vecs);
  int rc = SV_ENOMEM;
  if (items && vecs) {
    for (int i = 0; i < n; i++) {
      items[i].id = first + i;
      items[i].has_id = 1;
      vec_for(first + i, vecs + (size_t)i * DIM);
      items[i].vec = vecs + (size_t)i * DIM;
      items[i].metadata = "{\"k\":\"checkpoint\"}";
    }
    rc = sv_insert_batch(s, items, (size_t)n, DIM, 0, NULL);
  }
  free(items);
  free(vecs);
  return rc;
}

static int pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Every row 1..n is present with its vector, and an exact query finds it. */
static void check_rows(sv_shard *s, int64_t n, const char *what) {
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == (uint64_t)n, "%s: count %llu, want %lld", what, (unsigned long long)st.count,
        (long long)n);
  int64_t step = n > 50 ? n / 50 : 1;
  size_t bad = 0;
  for (int64_t id = 1; id <= n; id += step) {
    sv_record r;
    float v[DIM];
    vec_for(id, v);
    if (sv_get(s, id, &r) != SV_OK || memcmp(r.vec, v, sizeof v) != 0) bad++;
    sv_record_free(&r);
  }
  CHECK(bad == 0, "%s: %zu rows missing or changed", what, bad);
  float q[DIM];
  vec_for(n, q);
  sv_search_options so = {1, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, q, DIM, &so, &res), SV_OK);
  CHECK(res.n == 1 && res.hits[0].id == n && res.hits[0].score == 0.0f, "%s: exact match", what);
  sv_results_free(&res);
}

/* Wait until the thread has copied every frame it was last asked for. */
static int wait_caught_up(sv_shard *s, uint64_t passes_before) {
  int limit_ms = under_valgrind() ? 120000 : 20000;
  for (int waited = 0; waited < limit_ms; waited += 2) {
    sv_ckpt_info in;
    sv__ckpt_info(s, &in);
    if (in.passes > passes_before && in.last_log > 0 && in.last_ckpt == in.last_log) return 1;
    sleep_ms(2);
  }
  return 0;
}

static void test_which_handles(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "which.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  sv_shard *s = NULL, *ro = NULL, *mem = NULL, *b = NULL;
  sv_ckpt_info in;

  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  sv__ckpt_info(s, &in);
  CHECK(in.hooked && !in.started, "own file handle: hooked %d, no thread before any growth %d",
        in.hooked, in.started);
  CHECK(in.wake_frames >= 64 && in.hard_frames > in.wake_frames, "thresholds %u/%u",
        (unsigned)in.wake_frames, (unsigned)in.hard_frames);
  /* Our hook replaced SQLite's automatic checkpoint on that connection. */
  CHECK(pragma_int(s->db, "PRAGMA wal_autocheckpoint") == 0, "autocheckpoint off");

  sv_open_options ro_o = {0, SV_METRIC_UNSET, SV_OPEN_READONLY};
  CHECK_RC(sv_shard_open(path, &ro_o, &ro), SV_OK);
  sv__ckpt_info(ro, &in);
  CHECK(!in.hooked, "read-only handle has no checkpointer");
  sv_shard_close(ro);

  CHECK_RC(sv_shard_open(":memory:", &o, &mem), SV_OK);
  sv__ckpt_info(mem, &in);
  CHECK(!in.hooked, "memory handle has no checkpointer");
  sv_shard_close(mem);
  sv_shard_close(s);

  /* A borrowed connection keeps the host's settings. */
  sqlite3 *db = NULL;
  CHECK(sqlite3_open(path, &db) == SQLITE_OK, "host open");
  CHECK_RC(sv_shard_open_db(db, NULL, NULL, &b), SV_OK);
  sv__ckpt_info(b, &in);
  CHECK(!in.hooked, "borrowed handle has no checkpointer");
  float v[DIM];
  vec_for(1, v);
  CHECK_RC(sv_insert_id(b, 1, v, DIM, NULL), SV_OK);
  CHECK(pragma_int(db, "PRAGMA wal_autocheckpoint") == 1000, "host keeps autocheckpoint: %d",
        pragma_int(db, "PRAGMA wal_autocheckpoint"));
  sv_shard_close(b);
  CHECK(sqlite3_close(db) == SQLITE_OK, "host close");
  sv_test_remove_db(path);
}

/* A batch is checkpointed while the handle stays open. */
static void test_background_pass(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "bg.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  sv_shard *s = NULL;
  const int n = under_valgrind() ? 600 : 3000;
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  sv__ckpt_tune(s, 64, 100000); /* ask early; no brake */
  long long db_before = file_size(path, "");
  CHECK_RC(insert_batch(s, 1, n), SV_OK);
  CHECK(wait_caught_up(s, 0), "a background pass copied the batch");
  sv_ckpt_info in;
  sv__ckpt_info(s, &in);
  CHECK(in.started && in.errors == 0 && in.waits == 0, "started %d errors %llu waits %llu",
        in.started, (unsigned long long)in.errors, (unsigned long long)in.waits);
  long long db_after = file_size(path, "");
  CHECK(db_after > db_before + (long long)n * DIM * 4 / 2,
        "database file grew while open: %lld -> %lld bytes", db_before, db_after);
  /* Readers keep working on the checkpointed file. */
  check_rows(s, n, "after background pass");
  CHECK_RC(sv_shard_close(s), SV_OK);
  CHECK(file_size(path, "-wal") <= 0, "no WAL left after close (%lld)", file_size(path, "-wal"));
  sv_test_remove_db(path);
}

/* A writer that never pauses waits at the hard limit; the WAL stays bounded. */
static void test_brake_bounds_wal(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "brake.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  sv_shard *s = NULL;
  const uint32_t wake = 32, hard = 96;
  const int n = under_valgrind() ? 300 : 1500;
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  sv__ckpt_tune(s, wake, hard);
  long long page = pragma_int(s->db, "PRAGMA page_size");
  /* hard frames, plus the commit that found the WAL at the limit and the
  ** one before it (a few pages each), plus the header. */
  long long bound = (long long)(hard + 32) * (page + 24) + 32;
  long long max_wal = 0;
  for (int64_t id = 1; id <= n; id++) {
    float v[DIM];
    vec_for(id, v);
    int rc = sv_insert_id(s, id, v, DIM, NULL);
    if (rc != SV_OK) {
      CHECK_RC(rc, SV_OK);
      break;
    }
    long long w = file_size(path, "-wal");
    if (w > max_wal) max_wal = w;
  }
  sv_ckpt_info in;
  sv__ckpt_info(s, &in);
  CHECK(in.waits > 0, "the brake was used (%llu waits, %llu passes)", (unsigned long long)in.waits,
        (unsigned long long)in.passes);
  CHECK(max_wal <= bound, "WAL file peaked at %lld bytes, bound %lld", max_wal, bound);
  printf(
      "checkpoint: %d single inserts, %llu passes, %llu brake waits, WAL peak %lld of %lld "
      "bytes\n",
      n, (unsigned long long)in.passes, (unsigned long long)in.waits, max_wal, bound);
  check_rows(s, n, "after the single-insert stream");
  CHECK_RC(sv_shard_close(s), SV_OK);
  CHECK(sv_test_integrity_ok(path), "integrity_check");
  sv_test_remove_db(path);
}

/* A big batch, close, reopen: WAL gone or empty, data intact.  With a
** second handle open, close truncates the WAL instead of deleting it. */
static void test_close_truncates(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "trunc.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  sv_shard *w = NULL, *r = NULL;
  const int n = under_valgrind() ? 1500 : 6000;
  CHECK_RC(sv_shard_open(path, &o, &w), SV_OK);
  CHECK_RC(sv_shard_open(path, NULL, &r), SV_OK);
  sv__ckpt_tune(w, 64, 0);
  CHECK_RC(insert_batch(w, 1, n), SV_OK);
  long long wal_open = file_size(path, "-wal");
  CHECK(wal_open > (long long)n * DIM * 4, "the batch went through the WAL (%lld bytes)", wal_open);
  CHECK_RC(sv_shard_close(w), SV_OK);
  CHECK(file_size(path, "-wal") == 0, "WAL truncated at close while another handle is open: %lld",
        file_size(path, "-wal"));
  check_rows(r, n, "other handle after writer closed");
  CHECK_RC(sv_shard_close(r), SV_OK);
  CHECK(file_size(path, "-wal") <= 0, "no WAL after the last close: %lld", file_size(path, "-wal"));
  CHECK(sv_test_integrity_ok(path), "integrity_check after close");
  CHECK_RC(sv_shard_open(path, NULL, &r), SV_OK);
  check_rows(r, n, "reopened");
  CHECK_RC(sv_shard_close(r), SV_OK);
  sv_test_remove_db(path);
}

/* Close right after a write, at different moments of a pass. */
static void test_close_while_running(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "race.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  const int rounds = under_valgrind() ? 4 : 12, per = under_valgrind() ? 200 : 800;
  sv_shard *s = NULL;
  int64_t total = 0;
  for (int round = 0; round < rounds; round++) {
    CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
    sv__ckpt_tune(s, 16, (uint32_t)(round % 3 == 0 ? 48 : 100000));
    CHECK_RC(insert_batch(s, total + 1, per), SV_OK);
    total += per;
    /* A few singles so the brake (every third round) and requests fire. */
    for (int i = 0; i < 20; i++) {
      float v[DIM];
      vec_for(total + 1, v);
      CHECK_RC(sv_insert_id(s, total + 1, v, DIM, NULL), SV_OK);
      total++;
    }
    if (round % 4 == 1) sleep_ms(1);
    if (round % 4 == 2) sleep_ms(3);
    if (round % 4 == 3) sleep_ms(10);
    CHECK_RC(sv_shard_close(s), SV_OK);
    s = NULL;
  }
  CHECK(sv_test_integrity_ok(path), "integrity_check after racing closes");
  CHECK_RC(sv_shard_open(path, NULL, &s), SV_OK);
  check_rows(s, total, "after racing closes");
  CHECK_RC(sv_shard_close(s), SV_OK);
  sv_test_remove_db(path);
}

/* ---- threads: brake and passes while others search ---------------------- */

static sv_shard *shared;
static atomic_int writer_done, thread_failures;

static void *writer_main(void *arg) {
  int n = *(const int *)arg;
  for (int64_t id = 1; id <= n; id++) {
    float v[DIM];
    vec_for(id, v);
    if (sv_insert_id(shared, id, v, DIM, NULL) != SV_OK) atomic_fetch_add(&thread_failures, 1);
    if (id % 50 == 0) sleep_ms(2); /* a quiet moment now and then */
  }
  atomic_store(&writer_done, 1);
  return NULL;
}

static void *searcher_main(void *arg) {
  (void)arg;
  unsigned long long seed = 7;
  /* Bounded: valgrind runs one thread at a time and could starve the writer. */
  int rounds = under_valgrind() ? 100 : 100000;
  for (int round = 0; round < rounds && !atomic_load(&writer_done); round++) {
    float q[DIM];
    for (int i = 0; i < DIM; i++) q[i] = sv_test_randf(&seed);
    sv_search_options so = {3, 0, 0, NULL, 0};
    sv_results res;
    if (sv_search(shared, q, DIM, &so, &res) != SV_OK) atomic_fetch_add(&thread_failures, 1);
    sv_results_free(&res);
  }
  return NULL;
}

static void test_threads(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_ckpt", "threads.db");
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  int n = under_valgrind() ? 150 : 1200;
  CHECK_RC(sv_shard_open(path, &o, &shared), SV_OK);
  sv__ckpt_tune(shared, 16, 64);
  pthread_t w, r[2];
  CHECK(pthread_create(&w, NULL, writer_main, &n) == 0, "writer");
  for (int i = 0; i < 2; i++)
    CHECK(pthread_create(&r[i], NULL, searcher_main, NULL) == 0, "reader");
  pthread_join(w, NULL);
  for (int i = 0; i < 2; i++) pthread_join(r[i], NULL);
  CHECK(atomic_load(&thread_failures) == 0, "%d failed calls", atomic_load(&thread_failures));
  sv_ckpt_info in;
  sv__ckpt_info(shared, &in);
  CHECK(in.passes > 0 && in.errors == 0, "passes %llu errors %llu", (unsigned long long)in.passes,
        (unsigned long long)in.errors);
  check_rows(shared, n, "after threads");
  CHECK_RC(sv_shard_close(shared), SV_OK);
  shared = NULL;
  sv_test_remove_db(path);
}

int main(void) {
  test_which_handles();
  test_background_pass();
  test_brake_bounds_wal();
  test_close_truncates();
  test_close_while_running();
  test_threads();
  return sv_test_done("checkpoint");
}
