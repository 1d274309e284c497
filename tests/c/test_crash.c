/*
** test_crash.c — a writer killed with SIGKILL loses nothing it acknowledged
** and leaves no partial batch.
**
** A child process writes a stream of large batches (each batch's rows carry
** the batch number in their metadata) interleaved with runs of small
** single-row commits, and reports every acknowledged write through a pipe
** (one write() per acknowledgement, after the call returned SV_OK).  The
** parent kills it with SIGKILL at a random moment, collects every
** acknowledgement still in the pipe, reopens the shard and checks:
** PRAGMA integrity_check is "ok"; every acknowledged batch and single row is
** present; every batch in the file is complete (all rows or none); the
** shard still accepts writes and searches.  Repeated a few times with
** different kill delays, on the same file, so recovery of an earlier crash
** is exercised by the next round too.
*/
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "store/sv_sqlite.h"
#include "sv_test.h"

#define DIM 32
#define BATCH 1500
#define SINGLES 40
#define ROUNDS 4
#define MAX_ACKS 200000

typedef struct ack {
  int32_t kind; /* 1 = batch (value = batch number), 2 = single (value = id) */
  int32_t pad;
  int64_t value;
} ack;

static void vec_for(int64_t id, float *v) {
  unsigned long long s = (unsigned long long)id * 7919u + 1;
  for (int i = 0; i < DIM; i++) v[i] = sv_test_randf(&s);
}

static void send_ack(int fd, int kind, int64_t value) {
  ack a = {kind, 0, value};
  ssize_t w = write(fd, &a, sizeof a);
  (void)w;
}

/* The child: write forever (until killed). Batch k uses ids base_k.. */
static void child(const char *path, int fd, int round) {
  sv_shard *s = NULL;
  if (sv_shard_open(path, NULL, &s) != SV_OK) _exit(3);
  sv_item *items = malloc(BATCH * sizeof *items);
  float *vecs = malloc((size_t)BATCH * DIM * sizeof *vecs);
  char(*meta)[48] = malloc((size_t)BATCH * 48);
  int64_t single_id = 1000000000LL * (round + 1);
  for (int64_t k = round * 100000LL;; k++) {
    int64_t base = k * BATCH + 1;
    for (int i = 0; i < BATCH; i++) {
      items[i].has_id = 1;
      items[i].id = base + i;
      vec_for(base + i, vecs + (size_t)i * DIM);
      items[i].vec = vecs + (size_t)i * DIM;
      snprintf(meta[i], sizeof meta[i], "{\"batch\":%lld}", (long long)k);
      items[i].metadata = meta[i];
    }
    if (sv_insert_batch(s, items, BATCH, DIM, 0, NULL) != SV_OK) _exit(4);
    send_ack(fd, 1, k);
    for (int j = 0; j < SINGLES; j++) {
      float v[DIM];
      vec_for(single_id, v);
      if (sv_insert_id(s, single_id, v, DIM, "{\"single\":1}") != SV_OK) _exit(5);
      send_ack(fd, 2, single_id);
      single_id++;
    }
  }
}

/* Every batch in the file has all BATCH rows. Returns batches seen. */
static int check_batches(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int batches = 0, partial = 0;
  CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open");
  CHECK(sqlite3_prepare_v2(db,
                           "SELECT json_extract(metadata, '$.batch') AS b, count(*) FROM "
                           "sv_vectors WHERE b IS NOT NULL GROUP BY b",
                           -1, &st, NULL) == SQLITE_OK,
        "prepare");
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    batches++;
    if (sqlite3_column_int(st, 1) != BATCH) {
      partial++;
      fprintf(stderr, "batch %lld has %d rows\n", (long long)sqlite3_column_int64(st, 0),
              sqlite3_column_int(st, 1));
    }
  }
  CHECK(partial == 0, "%d partial batches", partial);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return batches;
}

int main(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_crash", "shard.db");

  CHECK_RC(sv_test_create_shard(path, DIM, SV_METRIC_L2), SV_OK);
  sv_shard *s = NULL;

  ack *acks = malloc(MAX_ACKS * sizeof *acks);
  size_t total_batches = 0, total_singles = 0;
  unsigned long long seed = (unsigned long long)time(NULL);
  for (int round = 0; round < ROUNDS; round++) {
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      child(path, fds[1], round);
      _exit(0);
    }
    close(fds[1]);
    /* Wait for its first acknowledgement (so slow runs, e.g. under
    ** valgrind, still get going), let it run 0..300 ms more, then kill it
    ** wherever it is. */
    size_t n = 0;
    ssize_t r = read(fds[0], &acks[0], sizeof acks[0]);
    if (r == (ssize_t)sizeof acks[0]) n = 1;
    struct timespec d = {0, (long)(sv_test_rand(&seed) % 300) * 1000000L};
    nanosleep(&d, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was killed (status %d)",
          status);
    while (n < MAX_ACKS && (r = read(fds[0], &acks[n], sizeof acks[n])) == (ssize_t)sizeof acks[n])
      n++;
    close(fds[0]);

    CHECK(sv_test_integrity_ok(path), "round %d: integrity_check ok", round);
    int batches = check_batches(path);
    sv_open_options ro = {0, SV_METRIC_UNSET, 0};
    CHECK_RC(sv_shard_open(path, &ro, &s), SV_OK);
    size_t missing = 0, nb = 0, ns = 0;
    for (size_t i = 0; i < n; i++) {
      sv_record rec;
      int64_t id = acks[i].kind == 1 ? acks[i].value * BATCH + 1 : acks[i].value;
      int64_t last = acks[i].kind == 1 ? id + BATCH - 1 : id;
      if (acks[i].kind == 1)
        nb++;
      else
        ns++;
      for (int64_t x = id; x <= last; x += (last - id > 0 ? last - id : 1)) {
        if (sv_get(s, x, &rec) != SV_OK) missing++;
        sv_record_free(&rec);
      }
    }
    total_batches += nb;
    total_singles += ns;
    CHECK(missing == 0, "round %d: %zu acknowledged writes missing", round, missing);
    /* At most one committed-but-unacknowledged batch per kill so far. */
    CHECK((size_t)batches >= total_batches && (size_t)batches <= total_batches + (size_t)round + 1,
          "round %d: %d batches in file, %zu acknowledged", round, batches, total_batches);
    /* The shard still works: a write, an exact-match search, stats. */
    float v[DIM];
    vec_for(42, v);
    int64_t id = 0;
    CHECK_RC(sv_insert(s, v, DIM, NULL, &id), SV_OK);
    sv_search_options so = {1, 0, 0, NULL, 0};
    sv_results res;
    CHECK_RC(sv_search(s, v, DIM, &so, &res), SV_OK);
    CHECK(res.n == 1 && res.hits[0].score == 0.0f, "search after crash");
    sv_results_free(&res);
    CHECK_RC(sv_delete(s, id), SV_OK);
    sv_shard_close(s);
  }
  printf("crash: %zu acknowledged batches, %zu acknowledged single writes over %d kills\n",
         total_batches, total_singles, ROUNDS);
  CHECK(total_batches + total_singles > 0, "the child acknowledged some writes");
  free(acks);
  sv_test_remove_db(path);
  return sv_test_done("crash");
}
