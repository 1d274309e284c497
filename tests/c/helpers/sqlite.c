/*
** sqlite.c — test helpers that talk to SQLite or open shards.
**
** CMake links every .c file in tests/c/helpers into every C suite.  Functions
** that need SQLite's API live here rather than inline in sv_test.h so a
** suite that never opens a database (the kernels, top-k) need not include
** SQLite's header.  Nothing here records CHECKs: the counters are each
** suite's own, so these return a result for the suite to CHECK.
*/
#include "store/sv_sqlite.h"
#include "sv_test.h"

int sv_test_integrity_ok(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int ok = 0;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ok;
}

int sv_test_create_shard(const char *path, uint32_t dim, sv_metric metric) {
  sv_shard *s = NULL;
  sv_open_options o = {dim, metric, SV_OPEN_CREATE};
  int rc = sv_shard_open(path, &o, &s);
  sv_shard_close(s);
  return rc;
}
