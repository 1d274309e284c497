/*
** sv_test.h — the tiny test harness every C suite uses.
**
** CHECK(cond, ...) records one assertion; a failure prints file:line and a
** printf-style message but lets the suite go on, so one run reports every
** broken case.  sv_test_done() prints the closing "N passed, N failed" line
** that ctest and CI read, and returns the process exit status.
**
** The helpers below are the ones several suites need (scratch paths,
** removing a database with its WAL files, random numbers).  They are
** static inline so CHECK's counters, which are per translation unit, stay
** the suite's own; the few that need SQLite live in tests/c/helpers/ and
** are declared here.
*/
#ifndef SV_TEST_H
#define SV_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_vector.h"

static int sv_test_passed_ = 0;
static int sv_test_failed_ = 0;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (cond) {                                                       \
      sv_test_passed_++;                                              \
    } else {                                                          \
      sv_test_failed_++;                                              \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
    }                                                                 \
  } while (0)

/* CHECK_RC(expr, want): expr returns an sv status code. */
#define CHECK_RC(expr, want)                                              \
  do {                                                                    \
    int rc_ = (expr);                                                     \
    CHECK(rc_ == (want), "got %d want %d (%s)", rc_, (int)(want), #expr); \
  } while (0)

static inline int sv_test_done(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, sv_test_passed_, sv_test_failed_);
  printf("%d passed, %d failed\n", sv_test_passed_, sv_test_failed_);
  return sv_test_failed_ == 0 ? 0 : 1;
}

/* A scratch directory for files the suite creates (SV_TEST_TMP or /tmp).
** Created on the first call and remembered, so per-case paths do not each
** run a shell. */
static inline const char *sv_test_tmpdir(void) {
  static const char *dir = NULL;
  if (!dir) {
    const char *d = getenv("SV_TEST_TMP");
    char buf[512];
    if (!d || !*d) d = "/tmp";
    snprintf(buf, sizeof buf, "mkdir -p '%s'", d);
    if (system(buf) != 0) d = "/tmp";
    dir = d;
  }
  return dir;
}

/* "<tmpdir>/<prefix>_<pid>_<name>" in buf (returned); the pid keeps
** concurrent runs of one suite (ctest -j, sanitizer stages) apart. */
static inline const char *sv_test_path(char *buf, size_t n, const char *prefix, const char *name) {
  snprintf(buf, n, "%s/%s_%d_%s", sv_test_tmpdir(), prefix, (int)getpid(), name);
  return buf;
}

/* Remove a database file with its -wal and -shm side files, which a
** crashed or killed earlier run may have left behind. */
static inline void sv_test_remove_db(const char *path) {
  char b[1200];
  remove(path);
  snprintf(b, sizeof b, "%s-wal", path);
  remove(b);
  snprintf(b, sizeof b, "%s-shm", path);
  remove(b);
}

/* sv_test_path with nothing left at that path: where a case starts. */
static inline const char *sv_test_fresh_path(char *buf, size_t n, const char *prefix,
                                             const char *name) {
  sv_test_remove_db(sv_test_path(buf, n, prefix, name));
  return buf;
}

/* Create an empty shard at path and close it again (the setup of suites
** whose workers open an existing file); the sv_shard_open status. */
int sv_test_create_shard(const char *path, uint32_t dim, sv_metric metric);

/* 1 when `PRAGMA integrity_check` on the file (opened read-only) says "ok"
** (tests/c/helpers/sqlite.c: suites include SQLite headers differently). */
int sv_test_integrity_ok(const char *path);

/* Deterministic pseudo-random numbers (splitmix64) for reproducible tests. */
static inline unsigned long long sv_test_rand(unsigned long long *s) {
  unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static inline float sv_test_randf(unsigned long long *s) {
  return (float)((sv_test_rand(s) >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

#endif /* SV_TEST_H */
