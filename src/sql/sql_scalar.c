/*
** sql_scalar.c — the pure vector functions: conversion, scores, norms.
**
** These functions touch no shard; they decode their arguments (a float32
** BLOB or JSON array text, see sql_vecarg.c), call the same public kernels
** the search uses (sv_vector_score, sv_vector_normalize), and encode the
** answer.  Using the search kernels rather than a second implementation
** means a brute-force "ORDER BY vector_cosine(...)" ranks exactly like
** vector_search, which is what the tests compare.
**
** Conventions shared by all of them: a NULL argument gives NULL (so they
** compose with outer joins and missing rows); any other bad argument is an
** error naming the function and the argument; two vectors of different
** dimension are an error, never a truncated comparison.  They are
** registered DETERMINISTIC (usable in indexes and generated columns) and
** INNOCUOUS (safe in views and triggers of an untrusted schema), since they
** read nothing but their arguments.
*/
#include <assert.h>
#include <string.h>

#include "sql/sql_internal.h"

/* Decode argument `i` (0-based) of fname into *out, or report the error on
** ctx and return non-zero. */
static int vec_arg(sqlite3_context *ctx, const char *fname, int argc, sqlite3_value **argv, int i,
                   sql_vec *out) {
  char *msg = NULL;
  int rc = sql_vec_from_value(argv[i], out, &msg);
  if (rc == SQLITE_OK) return 0;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(msg);
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  if (argc > 1 && msg) {
    char *m = sqlite3_mprintf("argument %d: %s", i + 1, msg);
    sqlite3_free(msg);
    msg = m;
  }
  sql_result_error(ctx, fname, msg);
  return 1;
}

static int any_null(int argc, sqlite3_value **argv) {
  for (int i = 0; i < argc; i++) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return 1;
  }
  return 0;
}

static void fn_from_json(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sql_vec v;
  assert(argc == 1);
  if (any_null(argc, argv)) return;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sql_result_error(ctx, "vector_from_json",
                     sqlite3_mprintf("expects the text of a JSON array such as '[0.1, 0.2]'"));
    return;
  }
  if (vec_arg(ctx, "vector_from_json", argc, argv, 0, &v)) return;
  sql_result_vec(ctx, v.v, v.dim);
  sql_vec_free(&v);
}

static void fn_to_json(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sql_vec v;
  char *json;
  assert(argc == 1);
  if (any_null(argc, argv)) return;
  if (vec_arg(ctx, "vector_to_json", argc, argv, 0, &v)) return;
  json = sql_vec_to_json(v.v, v.dim);
  sql_vec_free(&v);
  if (!json) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void score(sqlite3_context *ctx, int argc, sqlite3_value **argv, sv_metric metric,
                  const char *fname) {
  sql_vec a = {0}, b = {0};
  float out = 0.0f;
  assert(argc == 2);
  if (any_null(argc, argv)) return;
  if (vec_arg(ctx, fname, argc, argv, 0, &a)) goto done;
  if (vec_arg(ctx, fname, argc, argv, 1, &b)) goto done;
  if (a.dim != b.dim) {
    sql_result_error(ctx, fname,
                     sqlite3_mprintf("dimension mismatch: argument 1 has %u components, "
                                     "argument 2 has %u",
                                     a.dim, b.dim));
    goto done;
  }
  if (sv_vector_score(metric, a.v, b.v, a.dim, &out) != SV_OK) {
    sql_result_error(ctx, fname,
                     sqlite3_mprintf(metric == SV_METRIC_COSINE
                                         ? "cosine similarity is undefined for a zero vector"
                                         : "the vectors could not be scored"));
    goto done;
  }
  sqlite3_result_double(ctx, (double)out);
done:
  sql_vec_free(&a);
  sql_vec_free(&b);
}

static void fn_cosine(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  score(ctx, argc, argv, SV_METRIC_COSINE, "vector_cosine");
}

static void fn_l2(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  score(ctx, argc, argv, SV_METRIC_L2, "vector_l2");
}

static void fn_dot(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  score(ctx, argc, argv, SV_METRIC_DOT, "vector_dot");
}

static void fn_normalize(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sql_vec v = {0};
  float *copy = NULL;
  assert(argc == 1);
  if (any_null(argc, argv)) return;
  if (vec_arg(ctx, "vector_normalize", argc, argv, 0, &v)) goto done;
  copy = sqlite3_malloc64((sqlite3_uint64)v.dim * sizeof(float));
  if (!copy) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  memcpy(copy, v.v, (size_t)v.dim * sizeof(float));
  if (sv_vector_normalize(copy, v.dim) != SV_OK) {
    sql_result_error(ctx, "vector_normalize",
                     sqlite3_mprintf("a zero vector has no direction and cannot be normalized"));
    goto done;
  }
  sql_result_vec(ctx, copy, v.dim);
done:
  sqlite3_free(copy);
  sql_vec_free(&v);
}

static void fn_dims(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sql_vec v;
  assert(argc == 1);
  if (any_null(argc, argv)) return;
  if (vec_arg(ctx, "vector_dims", argc, argv, 0, &v)) return;
  sqlite3_result_int64(ctx, (sqlite3_int64)v.dim);
  sql_vec_free(&v);
}

static void fn_simd(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3_result_text(ctx, sv_simd_backend(), -1, SQLITE_STATIC);
}

static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3_result_text(ctx, SV_VERSION_STRING, -1, SQLITE_STATIC);
}

int sql_register_scalars(sqlite3 *db, sql_conn *c) {
  static const struct {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
  } fns[] = {
      {"vector_from_json", 1, fn_from_json},
      {"vector_to_json", 1, fn_to_json},
      {"vector_cosine", 2, fn_cosine},
      {"vector_l2", 2, fn_l2},
      {"vector_dot", 2, fn_dot},
      {"vector_normalize", 1, fn_normalize},
      {"vector_dims", 1, fn_dims},
      {"vector_simd", 0, fn_simd},
      {"vector_version", 0, fn_version},
  };
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  (void)c; /* pure functions need no per-connection state */
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs, flags, NULL, fns[i].fn, NULL,
                                        NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}
