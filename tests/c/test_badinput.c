/*
** test_badinput.c — every kind of bad input gets a clear error and changes
** nothing: wrong dimensions, NaN/Inf, NULL/empty vectors, k = 0, unknown
** ids, malformed or non-object metadata, malformed and hostile filters
** (unknown operators, bad paths, injection attempts), files that are not
** shards, newer format versions, truncated and garbage files, and damaged
** rows.  After each rejected call the shard's count and version are
** compared with their values before it; rejected files are compared byte
** for byte.
*/
#include <stdint.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "store/sv_sqlite.h"
#include "sv_test.h"

#define DIM 4

/* A few paths are live at once, so rotate among four buffers. */
static const char *tmp(const char *name) {
  static char b[4][1100];
  static int which = 0;
  which = (which + 1) % 4;
  return sv_test_path(b[which], sizeof b[which], "test_badinput", name);
}

static unsigned char *slurp(const char *p, long *len) {
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)*len + 1);
  if (fread(b, 1, (size_t)*len, f) != (size_t)*len) *len = -1;
  fclose(f);
  return b;
}

static void spit(const char *p, const void *data, size_t n) {
  FILE *f = fopen(p, "wb");
  if (!f) return;
  fwrite(data, 1, n, f);
  fclose(f);
}

/* Opening `path` fails with `want` and leaves it byte-for-byte intact. */
static void check_refused(const char *path, int flags, int want, const char *what) {
  long n0 = 0, n1 = 0;
  unsigned char *before = slurp(path, &n0);
  sv_shard *s = NULL;
  sv_open_options o = {DIM, SV_METRIC_UNSET, flags};
  int rc = sv_shard_open(path, &o, &s);
  CHECK(rc == want, "%s: got %d want %d (%s)", what, rc, want, sv_errmsg(s));
  CHECK(strlen(sv_errmsg(s)) > 10, "%s: message '%s'", what, sv_errmsg(s));
  sv_shard_close(s);
  unsigned char *after = slurp(path, &n1);
  CHECK(before && after && n0 == n1 && memcmp(before, after, (size_t)n0) == 0,
        "%s: file unchanged (%ld -> %ld bytes)", what, n0, n1);
  char wal[1200];
  snprintf(wal, sizeof wal, "%s-wal", path);
  FILE *w = fopen(wal, "rb");
  CHECK(w == NULL, "%s: no WAL file created", what);
  if (w) fclose(w);
  free(before);
  free(after);
}

typedef struct snap {
  uint64_t count;
  int64_t version;
} snap;

static snap take(sv_shard *s) {
  sv_stats st;
  snap r = {0, 0};
  if (sv_shard_stats(s, &st) == SV_OK) {
    r.count = st.count;
    r.version = st.version;
  }
  return r;
}

#define UNCHANGED(s, before)                                                  \
  do {                                                                        \
    snap now_ = take(s);                                                      \
    CHECK(now_.count == (before).count && now_.version == (before).version,   \
          "state changed: count %llu->%llu version %lld->%lld",               \
          (unsigned long long)(before).count, (unsigned long long)now_.count, \
          (long long)(before).version, (long long)now_.version);              \
  } while (0)

static void test_vectors_and_ids(sv_shard *s) {
  float good[DIM] = {1, 2, 3, 4}, nan_v[DIM] = {1, NAN, 3, 4}, inf_v[DIM] = {1, 2, INFINITY, 4};
  float ninf_v[DIM] = {-INFINITY, 0, 0, 0}, zero[DIM] = {0, 0, 0, 0};
  float big[DIM + 1] = {1, 2, 3, 4, 5};
  snap b = take(s);
  CHECK(b.count == 3, "setup count");
  CHECK_RC(sv_insert(s, good, DIM + 1, NULL, NULL), SV_EDIM);
  CHECK(strstr(sv_errmsg(s), "dimension") != NULL, "EDIM message: %s", sv_errmsg(s));
  CHECK_RC(sv_insert(s, big, DIM - 1, NULL, NULL), SV_EDIM);
  CHECK_RC(sv_insert(s, good, 0, NULL, NULL), SV_EDIM);
  CHECK_RC(sv_insert(s, NULL, DIM, NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_insert(s, nan_v, DIM, NULL, NULL), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "finite") != NULL, "NaN message: %s", sv_errmsg(s));
  CHECK_RC(sv_insert(s, inf_v, DIM, NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_insert(s, ninf_v, DIM, NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_insert(s, zero, DIM, NULL, NULL), SV_EINVAL); /* cosine */
  CHECK_RC(sv_insert_id(s, 1, good, DIM, NULL), SV_EEXIST);
  CHECK_RC(sv_upsert(s, 1, nan_v, DIM, NULL), SV_EINVAL);
  CHECK_RC(sv_upsert(s, 1, good, 3, NULL), SV_EDIM);
  CHECK_RC(sv_delete(s, 999), SV_ENOTFOUND);
  CHECK_RC(sv_delete(s, -1), SV_ENOTFOUND);
  CHECK(strstr(sv_errmsg(s), "-1") != NULL, "ENOTFOUND names id: %s", sv_errmsg(s));
  sv_record r;
  CHECK_RC(sv_get(s, 999, &r), SV_ENOTFOUND);
  CHECK(r.vec == NULL && r.metadata == NULL, "record empty after failure");
  CHECK_RC(sv_get(s, 1, NULL), SV_EINVAL);
  CHECK_RC(sv_insert(NULL, good, DIM, NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_delete(NULL, 1), SV_EINVAL);
  CHECK_RC(sv_get(NULL, 1, &r), SV_EINVAL);
  CHECK_RC(sv_shard_stats(NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_shard_stats(s, NULL), SV_EINVAL);
  sv_item items[2] = {{0, 0, good, NULL}, {0, 0, inf_v, NULL}};
  CHECK_RC(sv_insert_batch(s, items, 2, DIM, 0, NULL), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "item 1") != NULL, "batch names item: %s", sv_errmsg(s));
  items[1].vec = NULL;
  CHECK_RC(sv_insert_batch(s, items, 2, DIM, 0, NULL), SV_EINVAL);
  CHECK_RC(sv_insert_batch(s, items, 1, DIM + 1, 0, NULL), SV_EDIM);
  UNCHANGED(s, b);

  /* Searches. */
  sv_search_options o = {5, 0, 0, NULL, 0};
  sv_results res = {7, (sv_hit *)&o};
  CHECK_RC(sv_search(s, good, DIM + 1, &o, &res), SV_EDIM);
  CHECK(res.n == 0 && res.hits == NULL, "results emptied on failure");
  CHECK_RC(sv_search(s, good, 0, &o, &res), SV_EDIM);
  CHECK_RC(sv_search(s, NULL, DIM, &o, &res), SV_EINVAL);
  CHECK_RC(sv_search(s, nan_v, DIM, &o, &res), SV_EINVAL);
  CHECK_RC(sv_search(s, inf_v, DIM, &o, &res), SV_EINVAL);
  CHECK_RC(sv_search(s, zero, DIM, &o, &res), SV_EINVAL);
  CHECK_RC(sv_search(s, good, DIM, NULL, &res), SV_EINVAL);
  CHECK_RC(sv_search(s, good, DIM, &o, NULL), SV_EINVAL);
  CHECK_RC(sv_search(NULL, good, DIM, &o, &res), SV_EINVAL);
  o.k = 0;
  CHECK_RC(sv_search(s, good, DIM, &o, &res), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "k") != NULL, "k message: %s", sv_errmsg(s));
  o.k = (uint32_t)-1; /* "k = -1" from a careless caller: a huge k returns every row */
  CHECK_RC(sv_search(s, good, DIM, &o, &res), SV_OK);
  CHECK(res.n == 3, "huge k returns all rows: %zu", res.n);
  sv_results_free(&res);
  o.k = 3;
  o.use_threshold = 1;
  o.threshold = NAN;
  CHECK_RC(sv_search(s, good, DIM, &o, &res), SV_EINVAL);
  o.threshold = INFINITY;
  CHECK_RC(sv_search(s, good, DIM, &o, &res), SV_EINVAL);
  sv_results_free(&res);
  sv_results_free(NULL);
  sv_record_free(NULL);
  UNCHANGED(s, b);
}

static void test_metadata(sv_shard *s) {
  float v[DIM] = {1, 2, 3, 4};
  static const char *const bad[] = {
      "",           "{",           "not json",   "[1,2]",
      "42",         "\"str\"",     "null",       "true",
      "{\"a\":}",   "{a:1}",       "{\"a\":1,}", "{'a':1}",
      "{\"a\":1}x", "{\"a\":NaN}", "/*c*/{}",    "{\"a\":1} {\"b\":2}"};
  snap b = take(s);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = sv_insert(s, v, DIM, bad[i], NULL);
    CHECK(rc == SV_EJSON, "metadata '%s': got %d (%s)", bad[i], rc, sv_errmsg(s));
    CHECK(strstr(sv_errmsg(s), "JSON") != NULL, "metadata message: %s", sv_errmsg(s));
    CHECK_RC(sv_upsert(s, 1, v, DIM, bad[i]), SV_EJSON);
  }
  sv_item items[3] = {{0, 0, v, "{}"}, {0, 0, v, "{\"ok\":1}"}, {0, 0, v, "[]"}};
  CHECK_RC(sv_insert_batch(s, items, 3, DIM, 0, NULL), SV_EJSON);
  CHECK(strstr(sv_errmsg(s), "item 2") != NULL, "batch metadata item: %s", sv_errmsg(s));
  UNCHANGED(s, b);
  sv_record r;
  CHECK_RC(sv_get(s, 1, &r), SV_OK);
  CHECK(strcmp(r.metadata, "{\"tag\":\"a\",\"n\":1}") == 0, "row 1 metadata intact: %s",
        r.metadata);
  sv_record_free(&r);
}

static void test_filters(sv_shard *s) {
  static const char *const bad[] = {
      "{",
      "[]",
      "[{\"a\":1}]",
      "\"a\"",
      "null",
      "{a:1}",
      "{\"a\":{\"$foo\":1}}",
      "{\"a\":{\"$regex\":\".*\"}}",
      "{\"a\":{\"$in\":[]}}",
      "{\"a\":{\"$in\":[[1]]}}",
      "{\"a\":{\"$in\":[{\"b\":1}]}}",
      "{\"a\":{\"$in\":[null]}}",
      "{\"a\":{\"$in\":5}}",
      "{\"a\":null}",
      "{\"a\":[1,2]}",
      "{\"a\":{}}",
      "{\"a\":{\"b\":1}}",
      "{\"a\":{\"$eq\":{\"b\":1}}}",
      "{\"a\":{\"$eq\":[1]}}",
      "{\"a\":{\"$gt\":null}}",
      "{\"a\":{\"$lt\":true}}",
      "{\"\":1}",
      "{\"a..b\":1}",
      "{\"a.\":1}",
      "{\".a\":1}",
      "{\"$or\":[{\"a\":1},{\"b\":2}]}",
      "{\"$where\":\"1=1\"}",
      "{\"a\\\"b\":1}",
      "{\"a\\\\b\":1}",
      "{\"a\\u0000b\":1}",
      "{\"a\\nb\":1}",
      "{\"x\\\") OR 1=1 --\":1}",
  };
  float q[DIM] = {1, 1, 1, 1};
  snap b = take(s);
  sv_results res;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sv_search_options o = {5, 0, 0, bad[i], 0};
    int rc = sv_search(s, q, DIM, &o, &res);
    CHECK(rc == SV_EJSON, "filter %s: got %d (%s)", bad[i], rc, sv_errmsg(s));
    CHECK(res.n == 0, "no results on failure");
    CHECK(strstr(sv_errmsg(s), "filter") != NULL, "filter message: %s", sv_errmsg(s));
    sv_results_free(&res);
  }
  /* Hostile but well-formed: bound as data, never SQL; they match nothing. */
  static const char *const hostile[] = {
      "{\"') OR 1=1 --\":1}",
      "{\"tag\":\"a' OR '1'='1\"}",
      "{\"tag\":\"a\\\") OR 1=1 --\"}",
      "{\"tag; DROP TABLE sv_vectors; --\":1}",
      "{\"tag\":{\"$in\":[\"x') OR 1=1 --\",\"'\"]}}",
      "{\"n\":{\"$gt\":\"1 OR 1=1\"}}",
      "{\"[0]\":1}",
      "{\"*\":1}",
      "{\"$.tag\":\"a\"}",
  };
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    sv_search_options o = {5, 0, 0, hostile[i], 0};
    int rc = sv_search(s, q, DIM, &o, &res);
    CHECK(rc == SV_OK || rc == SV_EJSON, "hostile %s: %d (%s)", hostile[i], rc, sv_errmsg(s));
    CHECK(res.n == 0, "hostile %s matched %zu rows", hostile[i], res.n);
    sv_results_free(&res);
  }
  /* Sanity: a real filter matches. */
  sv_search_options ok = {5, 0, 0, "{\"tag\":\"a\"}", 0};
  CHECK_RC(sv_search(s, q, DIM, &ok, &res), SV_OK);
  CHECK(res.n == 2, "tag a matches 2 rows: %zu", res.n);
  sv_results_free(&res);

  /* Size limits are errors, not truncation. */
  char *many = malloc(64 * 1024);
  strcpy(many, "{");
  for (int i = 0; i < 65; i++) sprintf(many + strlen(many), "%s\"f%d\":1", i ? "," : "", i);
  strcat(many, "}");
  sv_search_options o = {5, 0, 0, many, 0};
  CHECK_RC(sv_search(s, q, DIM, &o, &res), SV_EJSON);
  strcpy(many, "{\"a\":{\"$in\":[");
  for (int i = 0; i < 1001; i++) sprintf(many + strlen(many), "%s%d", i ? "," : "", i);
  strcat(many, "]}}");
  CHECK_RC(sv_search(s, q, DIM, &o, &res), SV_EJSON);
  strcpy(many, "{\"");
  for (int i = 0; i < 40; i++) strcat(many, i ? ".a" : "a");
  strcat(many, "\":1}");
  CHECK_RC(sv_search(s, q, DIM, &o, &res), SV_EJSON);
  free(many);
  sv_results_free(&res);
  UNCHANGED(s, b);

  /* The table is still there and whole. */
  CHECK_RC(sv_search(s, q, DIM, &ok, &res), SV_OK);
  CHECK(res.n == 2, "still 2");
  sv_results_free(&res);
}

static void make_shard(const char *path, int rows) {
  sv_test_remove_db(path);
  sv_shard *s = NULL;
  sv_open_options o = {DIM, SV_METRIC_L2, SV_OPEN_CREATE};
  if (sv_shard_open(path, &o, &s) != SV_OK) {
    CHECK(0, "make_shard: %s", sv_errmsg(s));
    sv_shard_close(s);
    return;
  }
  for (int i = 0; i < rows; i++) {
    float v[DIM] = {(float)i, 1, 2, 3};
    sv_insert(s, v, DIM, "{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
              NULL);
  }
  sv_shard_close(s);
}

static void sql_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
  char *err = NULL;
  CHECK(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql, err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

static void test_files(void) {
  /* A SQLite database that is not a shard (also with SV_OPEN_CREATE). */
  const char *plain = tmp("plain.db");
  sv_test_remove_db(plain);
  sql_exec(plain, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  check_refused(plain, 0, SV_EFORMAT, "plain sqlite db");
  check_refused(plain, SV_OPEN_CREATE, SV_EFORMAT, "plain sqlite db with CREATE");
  check_refused(plain, SV_OPEN_READONLY, SV_EFORMAT, "plain sqlite db read-only");
  sv_test_remove_db(plain);

  /* Wrong application id. */
  const char *other = tmp("other.db");
  sv_test_remove_db(other);
  sql_exec(other, "PRAGMA application_id = 4660; CREATE TABLE sv_meta(key, value);");
  check_refused(other, SV_OPEN_CREATE, SV_EFORMAT, "foreign application id");
  sv_test_remove_db(other);

  /* A newer format version. */
  const char *newer = tmp("newer.db");
  make_shard(newer, 3);
  sql_exec(newer, "PRAGMA user_version = 99;");
  check_refused(newer, 0, SV_EFORMAT, "user_version 99");
  check_refused(newer, SV_OPEN_CREATE, SV_EFORMAT, "user_version 99 with CREATE");
  sv_shard *s = NULL;
  sv_open_options o0 = {0, SV_METRIC_UNSET, 0};
  sv_shard_open(newer, &o0, &s);
  CHECK(strstr(sv_errmsg(s), "newer") != NULL, "newer message: %s", sv_errmsg(s));
  sv_shard_close(s);
  sv_test_remove_db(newer);

  /* Garbage bytes, a text file, an empty file. */
  const char *garbage = tmp("garbage.db");
  unsigned char junk[8192];
  unsigned long long seed = 7;
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)sv_test_rand(&seed);
  spit(garbage, junk, sizeof junk);
  check_refused(garbage, 0, SV_EFORMAT, "garbage file");
  check_refused(garbage, SV_OPEN_CREATE, SV_EFORMAT, "garbage file with CREATE");
  spit(garbage, "hello, world\n", 13);
  check_refused(garbage, SV_OPEN_CREATE, SV_EFORMAT, "text file");
  spit(garbage, "", 0);
  check_refused(garbage, 0, SV_EFORMAT, "empty file");
  sv_test_remove_db(garbage);

  /* A header that claims to be SQLite followed by garbage. */
  const char *fake = tmp("fake.db");
  memcpy(junk, "SQLite format 3", 16);
  spit(fake, junk, sizeof junk);
  check_refused(fake, SV_OPEN_CREATE, SV_EFORMAT, "SQLite magic + garbage");
  sv_test_remove_db(fake);

  /* A truncated shard: opening or the first use reports it; never a crash. */
  const char *trunc = tmp("trunc.db");
  make_shard(trunc, 400);
  long n = 0;
  unsigned char *whole = slurp(trunc, &n);
  CHECK(whole && n > 8192, "shard file has %ld bytes", n);
  /* Truncations, then pages in the middle overwritten with garbage. */
  long cuts[] = {n - 4096, n - 12288, n * 3 / 4, n / 2, n / 4, 8192, 100, -1, -2, -3};
  for (size_t ci = 0; whole && ci < sizeof cuts / sizeof cuts[0]; ci++) {
    long cut = cuts[ci];
    if (cut > 0) {
      spit(trunc, whole, (size_t)cut);
    } else {
      unsigned char *copy = malloc((size_t)n);
      memcpy(copy, whole, (size_t)n);
      long at = (n / 4096) * 4096 * (-cut) / 4;
      memcpy(copy + at, junk, 4096);
      spit(trunc, copy, (size_t)n);
      free(copy);
    }
    sv_open_options o = {0, SV_METRIC_UNSET, 0};
    int rc = sv_shard_open(trunc, &o, &s);
    if (rc == SV_OK) {
      float q[DIM] = {0, 0, 0, 0};
      sv_search_options so = {5, 0, 0, NULL, 0};
      sv_results res;
      sv_stats st;
      int r1 = sv_search(s, q, DIM, &so, &res);
      sv_results_free(&res);
      int r2 = sv_shard_stats(s, &st);
      CHECK(r1 == SV_EFORMAT || r2 == SV_EFORMAT, "truncated to %ld: search %d stats %d (%s)", cut,
            r1, r2, sv_errmsg(s));
      float v[DIM] = {1, 2, 3, 4};
      int r3 = sv_insert(s, v, DIM, NULL, NULL);
      CHECK(r3 != SV_OK || r1 != SV_OK, "truncated file accepted a write");
    } else {
      CHECK(rc == SV_EFORMAT, "truncated to %ld: open %d (%s)", cut, rc, sv_errmsg(s));
    }
    sv_shard_close(s);
  }
  free(whole);
  sv_test_remove_db(trunc);

  /* Damaged rows written behind the library's back. */
  const char *dmg = tmp("damaged.db");
  make_shard(dmg, 5);
  sql_exec(dmg, "UPDATE sv_vectors SET vector = x'0000' WHERE id = 3;");
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(dmg, &o, &s), SV_OK);
  float q[DIM] = {0, 0, 0, 0};
  sv_search_options so = {5, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, q, DIM, &so, &res), SV_EFORMAT);
  CHECK(strstr(sv_errmsg(s), "row 3") != NULL, "damaged row named: %s", sv_errmsg(s));
  sv_record r;
  CHECK_RC(sv_get(s, 3, &r), SV_EFORMAT);
  CHECK_RC(sv_get(s, 2, &r), SV_OK);
  sv_record_free(&r);
  sv_shard_close(s);
  sql_exec(dmg, "UPDATE sv_vectors SET vector = x'0000807f0000803f0000803f0000803f' WHERE id = 3;");
  CHECK_RC(sv_shard_open(dmg, &o, &s), SV_OK);
  CHECK_RC(sv_search(s, q, DIM, &so, &res), SV_EFORMAT); /* +Inf component */
  sv_shard_close(s);
  sql_exec(dmg, "DELETE FROM sv_meta WHERE key = 'dim';");
  check_refused(dmg, 0, SV_EFORMAT, "sv_meta without dim");
  sql_exec(dmg, "INSERT INTO sv_meta VALUES ('dim', 0);");
  check_refused(dmg, 0, SV_EFORMAT, "dim 0 in sv_meta");
  sql_exec(dmg,
           "UPDATE sv_meta SET value = 4 WHERE key = 'dim';"
           "UPDATE sv_meta SET value = 'manhattan' WHERE key = 'metric';");
  check_refused(dmg, 0, SV_EFORMAT, "unknown metric in sv_meta");
  sql_exec(dmg, "UPDATE sv_meta SET value = 'l2' WHERE key = 'metric'; DROP TABLE sv_vectors;");
  check_refused(dmg, 0, SV_EFORMAT, "sv_vectors missing");
  sv_test_remove_db(dmg);
}

int main(void) {
  sv_shard *s = NULL;
  sv_open_options o = {DIM, SV_METRIC_COSINE, SV_OPEN_CREATE};
  const char *path = tmp("main.db");
  sv_test_remove_db(path);
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  float v1[DIM] = {1, 0, 0, 0}, v2[DIM] = {0, 1, 0, 0}, v3[DIM] = {0, 0, 1, 0};
  CHECK_RC(sv_insert(s, v1, DIM, "{\"tag\":\"a\",\"n\":1}", NULL), SV_OK);
  CHECK_RC(sv_insert(s, v2, DIM, "{\"tag\":\"a\",\"n\":2}", NULL), SV_OK);
  CHECK_RC(sv_insert(s, v3, DIM, "{\"tag\":\"b\",\"n\":3}", NULL), SV_OK);
  test_vectors_and_ids(s);
  test_metadata(s);
  test_filters(s);
  sv_shard_close(s);
  sv_test_remove_db(path);
  test_files();
  return sv_test_done("badinput");
}
