/*
** bench_memory.c — hash-v1 throughput and memory search latency.
**
** Usage: bench_memory [N] [FILE]   (defaults: 100000 items, a temporary
** file under /tmp).  Texts are synthetic: 12-40 words drawn with a
** Zipf-like skew from a vocabulary of 20,000 pronounceable pseudo-words,
** so term statistics resemble prose.  Measures, on one thread:
**   - embedding throughput of hash-v1 (texts/s, 1024-d, sv_embed batches);
**   - storing N texts with sv_mem_add_texts in batches of 1000 (items/s:
**     embedding, item row, FTS5 row, document counts and vector together);
**   - 200 queries of 3-6 words per search mode (vector with query IDF,
**     BM25, hybrid RRF), k = 10: p50 / p95 / p99 latency in ms.
** Timings on a shared machine are indicative only.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_vector_memory.h"

static unsigned long long rng = 7;
static unsigned long long next(void) {
  unsigned long long z = (rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define VOCAB 20000
static char words[VOCAB][16];

static void make_vocab(void) {
  static const char *syl[] = {"ka", "to", "ri",  "men", "sa", "lo", "ver", "qu", "an", "del",
                              "po", "ni", "tra", "ex",  "ul", "mo", "ce",  "is", "ba", "gor"};
  for (int i = 0; i < VOCAB; i++) {
    int n = 2 + (int)(next() % 3);
    words[i][0] = '\0';
    for (int j = 0; j < n; j++) strcat(words[i], syl[next() % 20]);
  }
}

static const char *word(void) {
  /* Zipf-like: the square of a uniform number skews toward low ranks. */
  double u = (double)(next() >> 11) / 9007199254740992.0;
  return words[(int)(u * u * u * VOCAB) % VOCAB];
}

static char *text(int minw, int maxw) {
  int n = minw + (int)(next() % (unsigned)(maxw - minw + 1));
  char *s = malloc((size_t)n * 16 + 1), *p = s;
  for (int i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? " " : "", word());
  return s;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
  char path[256];
  snprintf(path, sizeof path, "%s", argc > 2 ? argv[2] : "/tmp/sv_bench_memory.db");
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  char **texts = NULL;
  float *vecs = NULL;
  int rc = 1;
  if (n < 1000 || sv_embedder_hash_v1(0, &e) != SV_OK) return 1;
  make_vocab();
  texts = malloc(n * sizeof *texts);
  for (size_t i = 0; i < n; i++) texts[i] = text(12, 40);
  vecs = malloc(1000 * 1024 * sizeof *vecs);
  /* Embedding throughput. */
  double t = now_s();
  size_t nemb = n < 20000 ? n : 20000;
  for (size_t i = 0; i < nemb; i += 1000) {
    if (sv_embed(e, (const char *const *)texts + i, 1000, vecs) != SV_OK) goto done;
  }
  double emb_s = now_s() - t;
  printf("hash-v1 embedding: %.0f texts/s (%zu texts of 12-40 words, 1024-d)\n", nemb / emb_s,
         nemb);
  /* Insert. */
  {
    static const char *const SUF[3] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
      char p[300];
      snprintf(p, sizeof p, "%s%s", path, SUF[i]);
      remove(p);
    }
  }
  if (sv_mem_open(path, e, SV_OPEN_CREATE, &m) != SV_OK) {
    fprintf(stderr, "%s\n", sv_mem_errmsg(m));
    goto done;
  }
  t = now_s();
  for (size_t i = 0; i < n; i += 1000) {
    size_t b = n - i < 1000 ? n - i : 1000;
    if (sv_mem_add_texts(m, (const char *const *)texts + i, b, NULL, NULL) != SV_OK) {
      fprintf(stderr, "%s\n", sv_mem_errmsg(m));
      goto done;
    }
  }
  double ins_s = now_s() - t;
  printf("store: %zu texts in %.1f s = %.0f items/s (batches of 1000)\n", n, ins_s, n / ins_s);
  /* Search latency per mode. */
  static const char *const NAMES[3] = {"hybrid", "vector", "bm25"};
  for (int mode = 0; mode < 3; mode++) {
    double lat[200];
    sv_mem_search_options so = {.k = 10, .mode = (sv_mem_mode)mode};
    for (int q = 0; q < 200; q++) {
      char *qt = text(3, 6);
      sv_mem_hits h;
      double q0 = now_s();
      if (sv_mem_search(m, qt, &so, &h) != SV_OK) {
        fprintf(stderr, "%s\n", sv_mem_errmsg(m));
        free(qt);
        goto done;
      }
      lat[q] = (now_s() - q0) * 1000;
      sv_mem_hits_free(&h);
      free(qt);
    }
    qsort(lat, 200, sizeof lat[0], cmpd);
    printf("search %-6s over %zu items, k=10: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n", NAMES[mode],
           n, lat[100], lat[190], lat[198]);
  }
  rc = 0;
done:
  sv_mem_close(m);
  sv_embedder_free(e);
  if (texts) {
    for (size_t i = 0; i < n; i++) free(texts[i]);
  }
  free(texts);
  free(vecs);
  return rc;
}
