/*
** test_multiproc.c — two processes writing one shard at the same time.
**
** Two forked children insert into the same file concurrently (auto ids,
** explicit ids, small batches), each reporting every acknowledged row id
** through a pipe.  The parent, a third process with its own handle, reads
** the acknowledgements as they arrive and for a sample of them searches for
** the exact vector of that row: a write committed by another process must
** be visible to the next search.  At the end: no acknowledged id lost, no
** id acknowledged twice, stats count equals the acknowledgements, and the
** arena's view (a k = all search) agrees with the file.
*/
#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "sv_test.h"

#define DIM 8
#define PER_CHILD 400
#define MAX_IDS (2 * PER_CHILD + 16)

static void vec_for(int64_t id, float *v) {
  unsigned long long s = (unsigned long long)id * 104729u + 3u;
  for (int i = 0; i < DIM; i++) v[i] = sv_test_randf(&s) * 10.0f;
}

static void child(const char *path, int fd, int who) {
  sv_shard *s = NULL;
  if (sv_shard_open(path, NULL, &s) != SV_OK) _exit(3);
  int done = 0;
  while (done < PER_CHILD) {
    int64_t ids[4];
    int n = 0;
    if (done % 3 == 0) {
      /* Auto id: the vector can only be chosen after the id is known, so
      ** write a placeholder and replace it (both are acknowledged writes). */
      float v[DIM] = {0};
      if (sv_insert(s, v, DIM, NULL, &ids[0]) != SV_OK) _exit(4);
      vec_for(ids[0], v);
      if (sv_upsert(s, ids[0], v, DIM, NULL) != SV_OK) _exit(5);
      n = 1;
    } else if (done % 3 == 1) {
      ids[0] = -(1000000 * (who + 1) + done); /* explicit ids below the auto ones */
      float v[DIM];
      vec_for(ids[0], v);
      if (sv_insert_id(s, ids[0], v, DIM, NULL) != SV_OK) _exit(6);
      n = 1;
    } else {
      sv_item items[4];
      float vs[4][DIM];
      for (int i = 0; i < 4; i++) {
        items[i].has_id = 1;
        items[i].id = -(1000000 * (who + 1) + 500000 + done * 4 + i);
        vec_for(items[i].id, vs[i]);
        items[i].vec = vs[i];
        items[i].metadata = "{\"batch\":true}";
      }
      if (sv_insert_batch(s, items, 4, DIM, 0, ids) != SV_OK) {
        fprintf(stderr, "child %d: batch failed: %s\n", who, sv_errmsg(s));
        _exit(7);
      }
      n = 4;
    }
    if (write(fd, ids, (size_t)n * sizeof ids[0]) != (ssize_t)((size_t)n * sizeof ids[0])) _exit(8);
    done++;
  }
  sv_shard_close(s);
  _exit(0);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_multiproc", "shard.db");
  CHECK_RC(sv_test_create_shard(path, DIM, SV_METRIC_L2), SV_OK);
  sv_shard *s = NULL;

  int fds[2][2];
  pid_t pids[2];
  for (int c = 0; c < 2; c++) {
    CHECK(pipe(fds[c]) == 0, "pipe");
    pids[c] = fork();
    if (pids[c] == 0) {
      close(fds[c][0]);
      if (c == 1) close(fds[0][0]);
      child(path, fds[c][1], c);
    }
    close(fds[c][1]);
  }

  /* The parent watches: each acknowledged row must be found by a search. */
  CHECK_RC(sv_shard_open(path, NULL, &s), SV_OK);
  int64_t *acked = malloc(sizeof(int64_t) * 4 * MAX_IDS);
  size_t n = 0, checked = 0, visible = 0;
  int open_pipes = 2;
  int eof[2] = {0, 0};
  while (open_pipes > 0) {
    for (int c = 0; c < 2; c++) {
      if (eof[c]) continue;
      int64_t id;
      ssize_t r = read(fds[c][0], &id, sizeof id);
      if (r != (ssize_t)sizeof id) {
        eof[c] = 1;
        open_pipes--;
        continue;
      }
      acked[n++] = id;
      if (n % 7 == 0) {
        float v[DIM];
        vec_for(id, v);
        sv_search_options so = {1, 0, 0, NULL, 0};
        sv_results res;
        if (sv_search(s, v, DIM, &so, &res) == SV_OK) {
          checked++;
          /* An auto-id row is acknowledged after its final upsert only
          ** (the placeholder id is written to the pipe after both). */
          if (res.n == 1 && res.hits[0].id == id && res.hits[0].score == 0.0f) visible++;
        }
        sv_results_free(&res);
      }
    }
  }
  for (int c = 0; c < 2; c++) {
    int status = 0;
    waitpid(pids[c], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d exit status %d", c, status);
    close(fds[c][0]);
  }
  CHECK(checked > 0 && visible == checked, "%zu of %zu acknowledged rows visible to a search",
        visible, checked);

  size_t want =
      2 * (PER_CHILD / 3 + 1) + 2 * (PER_CHILD / 3 + (PER_CHILD % 3 > 1)) + 2 * 4 * (PER_CHILD / 3);
  CHECK(n == want, "acknowledged %zu rows, expected %zu", n, want);
  qsort(acked, n, sizeof acked[0], cmp_i64);
  size_t dups = 0;
  for (size_t i = 1; i < n; i++) dups += acked[i] == acked[i - 1];
  CHECK(dups == 0, "%zu ids acknowledged twice", dups);
  size_t missing = 0;
  for (size_t i = 0; i < n; i++) {
    sv_record r;
    if (sv_get(s, acked[i], &r) != SV_OK) missing++;
    sv_record_free(&r);
  }
  CHECK(missing == 0, "%zu acknowledged rows missing", missing);
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == n, "stats count %llu, acknowledged %zu", (unsigned long long)st.count, n);
  float q[DIM] = {0};
  sv_search_options all = {(uint32_t)(n + 10), 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, q, DIM, &all, &res), SV_OK);
  CHECK(res.n == n, "search sees %zu rows, acknowledged %zu", res.n, n);
  sv_results_free(&res);
  sv_search_options batch = {(uint32_t)n, 0, 0, "{\"batch\":true}", 0};
  CHECK_RC(sv_search(s, q, DIM, &batch, &res), SV_OK);
  CHECK(res.n == 2 * 4 * (PER_CHILD / 3), "batch rows %zu", res.n);
  sv_results_free(&res);
  sv_shard_close(s);
  free(acked);
  sv_test_remove_db(path);
  return sv_test_done("multiproc");
}
