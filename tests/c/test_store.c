/*
** test_store.c — shard lifecycle and CRUD: create/reopen, dimension and
** metric checks, inserts with auto and explicit ids, upserts, tombstones,
** batches (all or nothing), monotonic versions and HLCs, statistics,
** :memory:, read-only handles, borrowed connections (ATTACHed schema,
** host transactions that roll back) and two handles on one file.
*/
#include <stdint.h>
#include <unistd.h>

#include "sqlite_vector.h"
#include "store/sv_sqlite.h"
#include "sv_test.h"

static int file_exists(const char *p) {
  FILE *f = fopen(p, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static void test_create_crud(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_store", "crud.db");
  sv_shard *s = NULL;
  sv_open_options o = {4, SV_METRIC_COSINE, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  CHECK(strcmp(sv_errmsg(s), "not an error") == 0, "fresh errmsg: %s", sv_errmsg(s));

  float v1[4] = {1, 0, 0, 0}, v2[4] = {0, 1, 0, 0}, v3[4] = {0, 0, 1, 0};
  int64_t id1 = 0, id2 = 0, id3 = 0;
  CHECK_RC(sv_insert(s, v1, 4, "{\"a\":1}", &id1), SV_OK);
  CHECK_RC(sv_insert(s, v2, 4, NULL, &id2), SV_OK);
  CHECK(id1 == 1 && id2 == 2, "auto ids %lld %lld", (long long)id1, (long long)id2);

  sv_record r;
  CHECK_RC(sv_get(s, id1, &r), SV_OK);
  CHECK(r.id == 1 && r.dim == 4 && r.vec && r.vec[0] == 1.0f, "get id1");
  CHECK(r.metadata && strcmp(r.metadata, "{\"a\":1}") == 0, "metadata %s", r.metadata);
  int64_t v_first = r.version, h_first = r.hlc;
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(r.origin == st.node_id && st.node_id > 0, "origin is node id");
  sv_record_free(&r);
  CHECK(r.vec == NULL && r.metadata == NULL, "record freed");
  CHECK_RC(sv_get(s, id2, &r), SV_OK);
  CHECK(r.metadata && strcmp(r.metadata, "{}") == 0, "NULL metadata stored as {}");
  CHECK(r.version > v_first && r.hlc > h_first, "version/hlc increase");
  sv_record_free(&r);

  /* Explicit ids. */
  CHECK_RC(sv_insert_id(s, 10, v3, 4, "{\"b\":2}"), SV_OK);
  CHECK_RC(sv_insert_id(s, 10, v3, 4, NULL), SV_EEXIST);
  CHECK(strstr(sv_errmsg(s), "10") != NULL, "EEXIST message names the id: %s", sv_errmsg(s));
  CHECK_RC(sv_insert(s, v3, 4, NULL, &id3), SV_OK);
  CHECK(id3 == 11, "auto id after explicit 10: %lld", (long long)id3);

  /* Upsert replaces vector and metadata. */
  float v1b[4] = {0.5f, 0.5f, 0, 0};
  CHECK_RC(sv_upsert(s, id1, v1b, 4, "{\"a\":3}"), SV_OK);
  CHECK_RC(sv_get(s, id1, &r), SV_OK);
  CHECK(r.vec[0] == 0.5f && r.vec[1] == 0.5f, "upsert vector stored as given");
  CHECK(strcmp(r.metadata, "{\"a\":3}") == 0, "upsert metadata");
  sv_record_free(&r);
  CHECK_RC(sv_upsert(s, 500, v2, 4, NULL), SV_OK); /* upsert of a new id inserts */

  /* Delete leaves a tombstone; the id is not reused automatically. */
  CHECK_RC(sv_delete(s, 500), SV_OK);
  CHECK_RC(sv_delete(s, 500), SV_ENOTFOUND);
  CHECK_RC(sv_get(s, 500, &r), SV_ENOTFOUND);
  CHECK_RC(sv_delete(s, 12345), SV_ENOTFOUND);
  int64_t id4 = 0;
  CHECK_RC(sv_insert(s, v2, 4, NULL, &id4), SV_OK);
  CHECK(id4 == 501, "auto id skips tombstoned 500: %lld", (long long)id4);
  CHECK_RC(sv_insert_id(s, 500, v2, 4, NULL), SV_OK); /* a tombstoned id may be reused */

  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 6 && st.deleted == 0, "count %llu deleted %llu", (unsigned long long)st.count,
        (unsigned long long)st.deleted);
  CHECK_RC(sv_delete(s, id2), SV_OK);
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 5 && st.deleted == 1, "after delete count %llu deleted %llu",
        (unsigned long long)st.count, (unsigned long long)st.deleted);
  CHECK(st.dim == 4 && st.metric == SV_METRIC_COSINE && st.format_version == SV_FORMAT_VERSION,
        "stats dim/metric/format");
  CHECK(st.file_size > 0 && st.simd && st.simd[0], "file size and simd");
  CHECK(strlen(st.shard_id) == 32, "shard id %s", st.shard_id);
  int64_t version_before = st.version;
  char shard_id[33];
  memcpy(shard_id, st.shard_id, 33);
  int64_t node = st.node_id;

  /* Versions and HLCs strictly increase over many writes. */
  int64_t last_v = 0, last_h = 0;
  int mono = 1;
  for (int i = 0; i < 200; i++) {
    int64_t id;
    float v[4] = {(float)i + 1, 1, 2, 3};
    if (sv_insert(s, v, 4, NULL, &id) != SV_OK || sv_get(s, id, &r) != SV_OK) {
      mono = 0;
      break;
    }
    if (r.version <= last_v || r.hlc <= last_h) mono = 0;
    last_v = r.version;
    last_h = r.hlc;
    sv_record_free(&r);
  }
  CHECK(mono, "versions and hlcs strictly increase");
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.version == version_before + 200, "version counts writes: %lld", (long long)st.version);
  CHECK_RC(sv_shard_close(s), SV_OK);

  /* Reopen reads dim and metric; conflicting options are refused. */
  sv_open_options o0 = {0, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(path, &o0, &s), SV_OK);
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.dim == 4 && st.metric == SV_METRIC_COSINE, "reopen dim/metric");
  CHECK(strcmp(st.shard_id, shard_id) == 0 && st.node_id == node, "ids persist");
  CHECK(st.count == 205, "count after reopen %llu", (unsigned long long)st.count);
  sv_shard_close(s);
  CHECK_RC(sv_shard_open(path, NULL, &s), SV_OK);
  sv_shard_close(s);
  sv_open_options o8 = {8, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(path, &o8, &s), SV_EDIM);
  CHECK(strstr(sv_errmsg(s), "dimension") != NULL, "EDIM message: %s", sv_errmsg(s));
  sv_shard_close(s);
  sv_open_options ol2 = {4, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &ol2, &s), SV_EINVAL);
  sv_shard_close(s);
  sv_test_remove_db(path);
}

static void test_missing_and_options(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_store", "missing.db");
  sv_shard *s = NULL;
  sv_open_options o = {4, SV_METRIC_L2, 0};
  int rc = sv_shard_open(path, &o, &s);
  CHECK(rc == SV_ENOTFOUND || rc == SV_EIO, "missing file: %d", rc);
  CHECK(strstr(sv_errmsg(s), "SV_OPEN_CREATE") != NULL, "clear message: %s", sv_errmsg(s));
  sv_shard_close(s);
  CHECK(!file_exists(path), "open without CREATE did not create the file");
  sv_open_options ro = {4, SV_METRIC_L2, SV_OPEN_READONLY};
  CHECK(sv_shard_open(path, &ro, &s) != SV_OK, "read-only missing file");
  sv_shard_close(s);
  CHECK(!file_exists(path), "read-only open did not create the file");

  sv_open_options nodim = {0, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &nodim, &s), SV_EINVAL);
  sv_shard_close(s);
  CHECK(!file_exists(path), "create without dim made no file");
  sv_open_options big = {SV_MAX_DIM + 1, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &big, &s), SV_EINVAL);
  sv_shard_close(s);
  sv_open_options badm = {4, (sv_metric)9, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &badm, &s), SV_EINVAL);
  sv_shard_close(s);
  sv_open_options both = {4, SV_METRIC_L2, SV_OPEN_CREATE | SV_OPEN_READONLY};
  CHECK_RC(sv_shard_open(path, &both, &s), SV_EINVAL);
  sv_shard_close(s);
  CHECK_RC(sv_shard_open(NULL, &o, &s), SV_EINVAL);
  sv_shard_close(s);
  CHECK(!file_exists(path), "no file after bad options");
  CHECK_RC(sv_shard_open(path, &o, NULL), SV_EINVAL);
  CHECK_RC(sv_shard_close(NULL), SV_OK);
  CHECK(sv_errmsg(NULL) != NULL, "errmsg(NULL) not NULL");

  /* The largest dimension works. */
  sv_open_options maxd = {SV_MAX_DIM, SV_METRIC_DOT, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(":memory:", &maxd, &s), SV_OK);
  float *v = calloc(SV_MAX_DIM, sizeof *v);
  v[SV_MAX_DIM - 1] = 2.0f;
  CHECK_RC(sv_insert(s, v, SV_MAX_DIM, NULL, NULL), SV_OK);
  sv_search_options so = {1, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, v, SV_MAX_DIM, &so, &res), SV_OK);
  CHECK(res.n == 1 && fabsf(res.hits[0].score - 4.0f) < 1e-6f, "max dim search");
  sv_results_free(&res);
  free(v);
  sv_shard_close(s);
}

static void test_batch(void) {
  sv_shard *s = NULL;
  sv_open_options o = {3, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(":memory:", &o, &s), SV_OK);
  float vecs[5][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {0, 1, 1}};
  sv_item items[5];
  for (int i = 0; i < 5; i++) {
    items[i].id = 0;
    items[i].has_id = 0;
    items[i].vec = vecs[i];
    items[i].metadata = NULL;
  }
  items[2].has_id = 1;
  items[2].id = 40;
  int64_t ids[5] = {0};
  CHECK_RC(sv_insert_batch(s, items, 5, 3, 0, ids), SV_OK);
  CHECK(ids[0] == 1 && ids[1] == 2 && ids[2] == 40 && ids[3] == 41 && ids[4] == 42,
        "batch ids %lld %lld %lld %lld %lld", (long long)ids[0], (long long)ids[1],
        (long long)ids[2], (long long)ids[3], (long long)ids[4]);
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  int64_t v0 = st.version;
  CHECK(st.count == 5 && v0 == 5, "batch count %llu version %lld", (unsigned long long)st.count,
        (long long)v0);

  /* A bad item anywhere rolls back the whole batch; the message names it. */
  items[3].metadata = "[1,2]";
  int64_t ids2[5] = {-7, -7, -7, -7, -7};
  CHECK_RC(sv_insert_batch(s, items, 5, 3, SV_BATCH_UPSERT, ids2), SV_EJSON);
  CHECK(strstr(sv_errmsg(s), "item 3") != NULL, "names item 3: %s", sv_errmsg(s));
  CHECK(ids2[0] == -7, "out_ids untouched on failure");
  items[3].metadata = NULL;
  items[4].has_id = 1;
  items[4].id = 40; /* live, no upsert flag */
  items[2].has_id = 0;
  CHECK_RC(sv_insert_batch(s, items, 5, 3, 0, NULL), SV_EEXIST);
  CHECK(strstr(sv_errmsg(s), "item 4") != NULL, "names item 4: %s", sv_errmsg(s));
  float nan_vec[3] = {0, NAN, 0};
  items[1].vec = nan_vec;
  CHECK_RC(sv_insert_batch(s, items, 5, 3, 0, NULL), SV_EINVAL);
  CHECK(strstr(sv_errmsg(s), "item 1") != NULL, "names item 1: %s", sv_errmsg(s));
  items[1].vec = vecs[1];
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 5 && st.version == v0, "failed batches changed nothing");

  /* With SV_BATCH_UPSERT the same batch replaces row 40. */
  CHECK_RC(sv_insert_batch(s, items, 5, 3, SV_BATCH_UPSERT, ids2), SV_OK);
  CHECK(ids2[4] == 40, "upserted id");
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 9, "count after upsert batch %llu", (unsigned long long)st.count);
  CHECK_RC(sv_insert_batch(s, items, 0, 3, 0, NULL), SV_OK);
  CHECK_RC(sv_insert_batch(s, NULL, 2, 3, 0, NULL), SV_EINVAL);
  CHECK_RC(sv_insert_batch(s, items, 2, 3, 0x100, NULL), SV_EINVAL);
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.file_size == 0, "in-memory file size 0");
  sv_shard_close(s);
}

static void test_readonly(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_store", "ro.db");
  sv_shard *s = NULL;
  sv_open_options o = {2, SV_METRIC_DOT, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  float v[2] = {1, 2};
  CHECK_RC(sv_insert(s, v, 2, NULL, NULL), SV_OK);
  sv_shard_close(s);
  sv_open_options ro = {0, SV_METRIC_UNSET, SV_OPEN_READONLY};
  CHECK_RC(sv_shard_open(path, &ro, &s), SV_OK);
  CHECK_RC(sv_insert(s, v, 2, NULL, NULL), SV_EREADONLY);
  CHECK_RC(sv_upsert(s, 1, v, 2, NULL), SV_EREADONLY);
  CHECK_RC(sv_delete(s, 1), SV_EREADONLY);
  sv_item it = {0, 0, v, NULL};
  CHECK_RC(sv_insert_batch(s, &it, 1, 2, 0, NULL), SV_EREADONLY);
  sv_search_options so = {5, 0, 0, NULL, 1};
  sv_results res;
  CHECK_RC(sv_search(s, v, 2, &so, &res), SV_OK);
  CHECK(res.n == 1 && res.hits[0].id == 1 && fabsf(res.hits[0].score - 5.0f) < 1e-6f,
        "read-only search");
  CHECK(res.n == 1 && strcmp(res.hits[0].metadata, "{}") == 0, "metadata");
  sv_results_free(&res);
  sv_record r;
  CHECK_RC(sv_get(s, 1, &r), SV_OK);
  sv_record_free(&r);
  sv_shard_close(s);
  sv_test_remove_db(path);
}

/* Two handles on one file: each search sees the other's writes. */
static void test_two_handles(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_store", "two.db");
  sv_shard *a = NULL, *b = NULL;
  sv_open_options o = {2, SV_METRIC_L2, SV_OPEN_CREATE};
  CHECK_RC(sv_shard_open(path, &o, &a), SV_OK);
  CHECK_RC(sv_shard_open(path, &o, &b), SV_OK);
  float q[2] = {0, 0};
  sv_search_options so = {10, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(b, q, 2, &so, &res), SV_OK); /* b's arena is loaded (empty) */
  CHECK(res.n == 0, "empty");
  sv_results_free(&res);
  for (int i = 1; i <= 5; i++) {
    float v[2] = {(float)i, 0};
    CHECK_RC(sv_insert(a, v, 2, NULL, NULL), SV_OK);
  }
  CHECK_RC(sv_search(b, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 5 && res.hits[0].id == 1 && fabsf(res.hits[4].score - 5.0f) < 1e-6f,
        "b sees a's inserts (n=%zu)", res.n);
  sv_results_free(&res);
  float moved[2] = {0.5f, 0};
  CHECK_RC(sv_upsert(a, 5, moved, 2, NULL), SV_OK);
  CHECK_RC(sv_delete(a, 1), SV_OK);
  CHECK_RC(sv_search(b, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 4 && res.hits[0].id == 5 && fabsf(res.hits[0].score - 0.5f) < 1e-6f,
        "b sees a's upsert and delete");
  sv_results_free(&res);
  /* b writes after a: b's own write directly follows a gap; still correct. */
  float v9[2] = {9, 0};
  CHECK_RC(sv_insert_id(b, 9, v9, 2, NULL), SV_OK);
  CHECK_RC(sv_search(a, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 5 && res.hits[4].id == 9, "a sees b's insert");
  sv_results_free(&res);
  CHECK_RC(sv_search(b, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 5 && res.hits[4].id == 9, "b sees its own insert");
  sv_results_free(&res);
  sv_shard_close(a);
  sv_shard_close(b);
  sv_test_remove_db(path);
}

/* An SQL function that searches, so a search can run inside the host's
** own statements (as the SQL extension's vector_search does). */
static void count_hits_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sv_shard *s = sqlite3_user_data(ctx);
  float q[2] = {0, 0};
  sv_search_options so = {10, 0, 0, NULL, 1};
  sv_results res;
  (void)argc;
  (void)argv;
  if (sv_search(s, q, 2, &so, &res) != SV_OK) {
    sqlite3_result_error(ctx, sv_errmsg(s), -1);
    return;
  }
  sqlite3_result_int64(ctx, (sqlite3_int64)res.n);
  sv_results_free(&res);
}

/* A borrowed connection: an ATTACHed schema, host transactions. */
static void test_borrowed(void) {
  char path[1024];
  sv_test_fresh_path(path, sizeof path, "test_store", "borrowed.db");
  sqlite3 *db = NULL;
  CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "open host db");
  CHECK(sqlite3_exec(db, "CREATE TABLE host_table(x)", NULL, NULL, NULL) == SQLITE_OK, "host");
  char *sql = sqlite3_mprintf("ATTACH %Q AS \"my db\"", path);
  CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "attach");
  sqlite3_free(sql);

  sv_shard *s = NULL;
  sv_open_options o = {2, SV_METRIC_L2, 0};
  CHECK_RC(sv_shard_open_db(db, "my db", &o, &s), SV_EFORMAT); /* no CREATE: not a shard */
  sv_shard_close(s);
  CHECK_RC(sv_shard_open_db(db, "nosuch", &o, &s), SV_EINVAL);
  sv_shard_close(s);
  o.flags = SV_OPEN_CREATE;
  CHECK_RC(sv_shard_open_db(db, "main", &o, &s), SV_OK); /* main has a host table: allowed */
  sv_shard_close(s);
  CHECK_RC(sv_shard_open_db(db, "my db", &o, &s), SV_OK);
  float v1[2] = {1, 0}, v2[2] = {2, 0}, q[2] = {0, 0};
  CHECK_RC(sv_insert(s, v1, 2, NULL, NULL), SV_OK);
  sv_search_options so = {10, 0, 0, NULL, 0};
  sv_results res;
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 1, "one row");
  sv_results_free(&res);

  /* A write inside the host's transaction, then ROLLBACK. */
  CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK, "begin");
  CHECK_RC(sv_insert(s, v2, 2, NULL, NULL), SV_OK);
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 2, "sees own uncommitted write (n=%zu)", res.n);
  sv_results_free(&res);
  CHECK(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK, "rollback");
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 1, "rolled-back write gone (n=%zu)", res.n);
  sv_results_free(&res);
  /* The same again, but the host commits: rows stay. */
  CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK, "begin");
  CHECK_RC(sv_insert(s, v2, 2, NULL, NULL), SV_OK);
  CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "commit");
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 2, "committed write kept (n=%zu)", res.n);
  sv_results_free(&res);
  /* Rollback and redo with the same version numbers. */
  CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK, "begin");
  CHECK_RC(sv_delete(s, 1), SV_OK);
  CHECK(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK, "rollback");
  CHECK_RC(sv_insert_id(s, 77, v2, 2, NULL), SV_OK);
  CHECK_RC(sv_search(s, q, 2, &so, &res), SV_OK);
  CHECK(res.n == 3 && res.hits[0].id == 1, "rollback+redo (n=%zu)", res.n);
  sv_results_free(&res);
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.file_size > 0 && st.count == 3, "attached stats");

  /* Searches from inside the host's statements: a SELECT, and a write
  ** statement (where SQLite refuses a SAVEPOINT). */
  CHECK(sqlite3_create_function(db, "count_hits", 0, SQLITE_UTF8, s, count_hits_fn, NULL, NULL) ==
            SQLITE_OK,
        "create function");
  char *err = NULL;
  int src = sqlite3_exec(db,
                         "CREATE TABLE hits(n); INSERT INTO hits SELECT count_hits();"
                         "INSERT INTO hits SELECT count_hits() FROM host_table;"
                         "INSERT INTO host_table VALUES (1), (2);"
                         "INSERT INTO hits SELECT count_hits() FROM host_table;"
                         "BEGIN; INSERT INTO hits SELECT count_hits(); COMMIT;",
                         NULL, NULL, &err);
  CHECK(src == SQLITE_OK, "search inside a write statement: %s", err ? err : "");
  sqlite3_free(err);
  sqlite3_stmt *hs = NULL;
  CHECK(sqlite3_prepare_v2(db, "SELECT count(*), min(n), max(n) FROM hits", -1, &hs, NULL) ==
            SQLITE_OK,
        "prepare");
  CHECK(sqlite3_step(hs) == SQLITE_ROW && sqlite3_column_int(hs, 0) == 4 &&
            sqlite3_column_int(hs, 1) == 3 && sqlite3_column_int(hs, 2) == 3,
        "hits recorded");
  sqlite3_finalize(hs);
  CHECK_RC(sv_shard_close(s), SV_OK);
  /* The connection is still usable after the handle is gone. */
  sqlite3_stmt *stmt = NULL;
  CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM \"my db\".sv_vectors", -1, &stmt, NULL) ==
            SQLITE_OK,
        "prepare");
  CHECK(sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 3, "rows");
  sqlite3_finalize(stmt);
  CHECK(sqlite3_close(db) == SQLITE_OK, "host connection closes cleanly");
  sv_test_remove_db(path);
}

int main(void) {
  test_create_crud();
  test_missing_and_options();
  test_batch();
  test_readonly();
  test_two_handles();
  test_borrowed();
  return sv_test_done("store");
}
