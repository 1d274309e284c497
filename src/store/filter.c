/*
** filter.c — parse, validate and compile metadata filters.
**
** A filter is a JSON object; each key is a field path ("lang", "a.b") and
** each value either a scalar (equality) or an operator object using $eq,
** $ne, $lt, $lte, $gt, $gte and $in (a non-empty array of scalars).  All
** conditions are ANDed.  Example:
**   {"lang":"en","year":{"$gte":2020,"$lt":2024},"tag":{"$in":["a","b"]}}
**
** The JSON is parsed by SQLite itself (json_valid, json_each) on the
** handle's connection, so there is no JSON parser of ours to get wrong.
** The result is one query:
**   SELECT id FROM "schema".sv_vectors WHERE deleted = 0 AND <cond> AND ...
** in which every path and every value is a bound parameter (?N), never
** text spliced into SQL, so a hostile key or value can at worst fail to
** match.  Paths are rebuilt from validated segments as $."a"."b": each
** segment must be non-empty and free of '"', '\' and control characters
** (a quoted JSON-path label cannot contain them), so a key cannot smuggle
** array indexes or wildcards into the path either.
**
** Type semantics.  SQLite orders every TEXT after every number, so a naive
** json_extract(metadata, p) > 2020 would be true for the string "1999".
** Each comparison is therefore guarded by the JSON type of the field:
** numbers (integer or real, compared numerically with each other) only
** match numbers, strings (compared bytewise) only strings, and booleans
** only booleans (true/false, equality and $in only).  Objects and arrays
** in metadata never match a condition.  null is not a valid filter value.
** $ne is the negation of $eq: it also matches rows where the field is
** missing or has another type.
**
** Limits (an SV_EJSON error, not truncation): 64 conditions, paths of 32
** segments of at most 256 bytes, 1000 values per $in.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/filter.h"

#define MAX_CONDS 64
#define MAX_DEPTH 32
#define MAX_SEGMENT 256
#define MAX_IN 1000

enum kind { K_NUM, K_TEXT, K_BOOL, K_BAD };

typedef struct param {
  char *path;         /* a JSON path (sqlite3_malloc'ed) ... */
  sqlite3_value *val; /* ... or a value (sqlite3_value_dup'ed) */
} param;

typedef struct compiler {
  sv_shard *s;
  sqlite3_str *sql;
  param *params;
  int nparams, capparams;
  int nconds;
} compiler;

static const char *const guard_sql[3] = {
    "json_type(metadata, ?%d) IN ('integer','real')",
    "json_type(metadata, ?%d) = 'text'",
    "json_type(metadata, ?%d) IN ('true','false')",
};

static enum kind kind_of(const char *type) {
  if (!type) return K_BAD;
  if (!strcmp(type, "integer") || !strcmp(type, "real")) return K_NUM;
  if (!strcmp(type, "text")) return K_TEXT;
  if (!strcmp(type, "true") || !strcmp(type, "false")) return K_BOOL;
  return K_BAD;
}

/* Add a parameter; returns its ?N number or 0 when out of memory. */
static int add_param(compiler *c, char *path, sqlite3_value *val) {
  if (c->nparams == c->capparams) {
    int cap = c->capparams ? c->capparams * 2 : 16;
    param *p = realloc(c->params, (size_t)cap * sizeof *p);
    if (!p) return 0;
    c->params = p;
    c->capparams = cap;
  }
  c->params[c->nparams].path = path;
  c->params[c->nparams].val = val;
  return ++c->nparams;
}

static void free_params(compiler *c) {
  for (int i = 0; i < c->nparams; i++) {
    sqlite3_free(c->params[i].path);
    sqlite3_value_free(c->params[i].val);
  }
  free(c->params);
  c->params = NULL;
  c->nparams = c->capparams = 0;
}

/* Turn the field key "a.b" into the JSON path $."a"."b" (or report). */
static int build_path(compiler *c, const char *key, int *pnum) {
  if (!key || !*key) return sv__fail(c->s, SV_EJSON, "filter: empty field name");
  if (key[0] == '$')
    return sv__fail(c->s, SV_EJSON,
                    "filter: unknown top-level operator \"%.64s\" (only field conditions, "
                    "combined with AND, are supported)",
                    key);
  sqlite3_str *p = sqlite3_str_new(NULL);
  sqlite3_str_appendall(p, "$");
  int depth = 0;
  const char *seg = key;
  for (;;) {
    const char *end = strchr(seg, '.');
    size_t len = end ? (size_t)(end - seg) : strlen(seg);
    const char *bad = NULL;
    if (len == 0) bad = "an empty segment";
    if (len > MAX_SEGMENT) bad = "a segment longer than 256 bytes";
    if (++depth > MAX_DEPTH) bad = "more than 32 segments";
    for (size_t i = 0; !bad && i < len; i++) {
      unsigned char ch = (unsigned char)seg[i];
      if (ch == '"' || ch == '\\' || ch < 0x20) bad = "a quote, backslash or control character";
    }
    if (bad) {
      sqlite3_free(sqlite3_str_finish(p));
      return sv__fail(c->s, SV_EJSON, "filter: bad field path \"%.64s\": %s", key, bad);
    }
    sqlite3_str_appendf(p, ".\"%.*s\"", (int)len, seg);
    if (!end) break;
    seg = end + 1;
  }
  char *path = sqlite3_str_finish(p);
  if (!path || !(*pnum = add_param(c, path, NULL))) {
    sqlite3_free(path);
    return sv__fail(c->s, SV_ENOMEM, "out of memory compiling a filter");
  }
  return SV_OK;
}

/* Keep a copy of a scalar value as a parameter; *knd gets its kind. */
static int value_param(compiler *c, sqlite3_value *v, const char *type, const char *field,
                       const char *op, enum kind *knd, int *vnum) {
  *knd = kind_of(type);
  if (*knd == K_BAD)
    return sv__fail(c->s, SV_EJSON,
                    "filter: field \"%.64s\": %s needs a string, number or "
                    "boolean, not %s",
                    field, op, type ? type : "nothing");
  sqlite3_value *dup = sqlite3_value_dup(v);
  if (!dup || !(*vnum = add_param(c, NULL, dup))) {
    sqlite3_value_free(dup);
    return sv__fail(c->s, SV_ENOMEM, "out of memory compiling a filter");
  }
  return SV_OK;
}

static const char *op_sql(const char *op) {
  static const char *const ops[][2] = {{"$eq", "="},   {"$ne", "="}, {"$lt", "<"},
                                       {"$lte", "<="}, {"$gt", ">"}, {"$gte", ">="}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (!strcmp(op, ops[i][0])) return ops[i][1];
  return NULL;
}

static int begin_cond(compiler *c, const char *field) {
  if (++c->nconds > MAX_CONDS)
    return sv__fail(c->s, SV_EJSON, "filter: more than %d conditions (at field \"%.64s\")",
                    MAX_CONDS, field);
  sqlite3_str_appendall(c->sql, " AND ");
  return SV_OK;
}

/* One comparison: field OP value. */
static int compare_cond(compiler *c, int pnum, const char *field, const char *op, sqlite3_value *v,
                        const char *type) {
  enum kind k;
  int vnum, rc;
  const char *sqlop = op_sql(op);
  assert(sqlop);
  if ((rc = value_param(c, v, type, field, op, &k, &vnum)) != SV_OK) return rc;
  if (k == K_BOOL && strcmp(op, "$eq") && strcmp(op, "$ne"))
    return sv__fail(c->s, SV_EJSON,
                    "filter: field \"%.64s\": %s needs a number or a string, not a boolean", field,
                    op);
  if ((rc = begin_cond(c, field)) != SV_OK) return rc;
  int ne = !strcmp(op, "$ne");
  sqlite3_str_appendall(c->sql, ne ? "NOT coalesce(" : "(");
  sqlite3_str_appendf(c->sql, guard_sql[k], pnum);
  sqlite3_str_appendf(c->sql, " AND json_extract(metadata, ?%d) %s ?%d", pnum, sqlop, vnum);
  sqlite3_str_appendall(c->sql, ne ? ", 0)" : ")");
  return SV_OK;
}

/* field $in [v1, v2, ...]: one IN list per value kind, ORed. */
static int in_cond(compiler *c, int pnum, const char *field, const char *array_json) {
  int rc = SV_OK, n = 0, src;
  sqlite3_str *lists[3] = {NULL, NULL, NULL};
  sqlite3_stmt *st = NULL;
  src = sqlite3_prepare_v2(c->s->db, "SELECT type, value FROM json_each(?1)", -1, &st, NULL);
  if (src != SQLITE_OK) {
    rc = sv__fail_sql(c->s, src, "compiling a filter");
    goto done;
  }
  sqlite3_bind_text(st, 1, array_json, -1, SQLITE_STATIC);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(st, 0);
    enum kind k;
    int vnum;
    if (++n > MAX_IN) {
      rc = sv__fail(c->s, SV_EJSON, "filter: field \"%.64s\": $in has more than %d values", field,
                    MAX_IN);
      goto done;
    }
    if ((rc = value_param(c, sqlite3_column_value(st, 1), type, field, "$in", &k, &vnum)) != SV_OK)
      goto done;
    if (!lists[k]) {
      lists[k] = sqlite3_str_new(NULL);
      sqlite3_str_appendf(lists[k], "?%d", vnum);
    } else {
      sqlite3_str_appendf(lists[k], ", ?%d", vnum);
    }
  }
  if (src != SQLITE_DONE) {
    rc = sv__fail_sql(c->s, src, "compiling a filter");
    goto done;
  }
  if (n == 0) {
    rc = sv__fail(c->s, SV_EJSON, "filter: field \"%.64s\": $in needs a non-empty array", field);
    goto done;
  }
  if ((rc = begin_cond(c, field)) != SV_OK) goto done;
  sqlite3_str_appendall(c->sql, "(");
  int first = 1;
  for (int k = 0; k < 3; k++) {
    if (!lists[k]) continue;
    char *list = sqlite3_str_finish(lists[k]);
    lists[k] = NULL;
    if (!list) {
      rc = sv__fail(c->s, SV_ENOMEM, "out of memory compiling a filter");
      goto done;
    }
    sqlite3_str_appendall(c->sql, first ? "(" : " OR (");
    sqlite3_str_appendf(c->sql, guard_sql[k], pnum);
    sqlite3_str_appendf(c->sql, " AND json_extract(metadata, ?%d) IN (%s))", pnum, list);
    sqlite3_free(list);
    first = 0;
  }
  sqlite3_str_appendall(c->sql, ")");
done:
  for (int k = 0; k < 3; k++) sqlite3_free(sqlite3_str_finish(lists[k]));
  sqlite3_finalize(st);
  return rc;
}

/* Prepare *st to walk the (key, type, value) entries of a JSON object: the
** top-level filter and each operator object are read the same way. */
static int each_entry(compiler *c, const char *json, sqlite3_stmt **st) {
  int src =
      sqlite3_prepare_v2(c->s->db, "SELECT key, type, value FROM json_each(?1)", -1, st, NULL);
  if (src != SQLITE_OK) return sv__fail_sql(c->s, src, "compiling a filter");
  sqlite3_bind_text(*st, 1, json, -1, SQLITE_STATIC);
  return SV_OK;
}

/* An operator object {"$gte": 1, "$lt": 5, ...} for one field. */
static int operator_conds(compiler *c, int pnum, const char *field, const char *obj_json) {
  int rc = SV_OK, n = 0, src;
  sqlite3_stmt *st = NULL;
  if ((rc = each_entry(c, obj_json, &st)) != SV_OK) goto done;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *op = (const char *)sqlite3_column_text(st, 0);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    n++;
    if (op && !strcmp(op, "$in")) {
      if (!type || strcmp(type, "array")) {
        rc = sv__fail(c->s, SV_EJSON, "filter: field \"%.64s\": $in needs an array", field);
        goto done;
      }
      rc = in_cond(c, pnum, field, (const char *)sqlite3_column_text(st, 2));
    } else if (op && op_sql(op)) {
      rc = compare_cond(c, pnum, field, op, sqlite3_column_value(st, 2), type);
    } else if (op && op[0] == '$') {
      rc = sv__fail(c->s, SV_EJSON, "filter: field \"%.64s\": unknown operator \"%.64s\"", field,
                    op);
    } else {
      rc = sv__fail(c->s, SV_EJSON,
                    "filter: field \"%.64s\": nested object key \"%.64s\" is not an operator "
                    "(write nested fields as \"a.b\")",
                    field, op ? op : "");
    }
    if (rc != SV_OK) goto done;
  }
  if (src != SQLITE_DONE) {
    rc = sv__fail_sql(c->s, src, "compiling a filter");
    goto done;
  }
  if (n == 0)
    rc = sv__fail(c->s, SV_EJSON, "filter: field \"%.64s\": empty operator object", field);
done:
  sqlite3_finalize(st);
  return rc;
}

static int top_level(compiler *c, const char *json) {
  int rc = SV_OK, src;
  sqlite3_stmt *st = NULL;
  if ((rc = each_entry(c, json, &st)) != SV_OK) goto done;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *field = (const char *)sqlite3_column_text(st, 0);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    int pnum = 0;
    if (field && (size_t)sqlite3_column_bytes(st, 0) != strlen(field)) {
      rc = sv__fail(c->s, SV_EJSON, "filter: bad field path \"%.64s\": a NUL character", field);
      goto done;
    }
    if ((rc = build_path(c, field, &pnum)) != SV_OK) goto done;
    if (type && !strcmp(type, "object")) {
      rc = operator_conds(c, pnum, field, (const char *)sqlite3_column_text(st, 2));
    } else if (type && !strcmp(type, "array")) {
      rc = sv__fail(c->s, SV_EJSON,
                    "filter: field \"%.64s\": an array is not a value (use {\"$in\": [...]})",
                    field);
    } else {
      rc = compare_cond(c, pnum, field, "$eq", sqlite3_column_value(st, 2), type);
    }
    if (rc != SV_OK) goto done;
  }
  if (src != SQLITE_DONE) rc = sv__fail_sql(c->s, src, "compiling a filter");
done:
  sqlite3_finalize(st);
  return rc;
}

/* The filter text must be a JSON object (strict JSON, like metadata). */
static int check_object(sv_shard *s, const char *json) {
  int rc;
  sqlite3_stmt *st = sv__stmt(s, SV_STMT_JSON_CHECK, &rc);
  if (!st) return rc;
  sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
  int src = sqlite3_step(st);
  const char *type = src == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  if (src != SQLITE_ROW)
    rc = sv__fail_sql(s, src, "checking a filter");
  else if (!type)
    rc = sv__fail(s, SV_EJSON, "filter is not valid JSON");
  else if (strcmp(type, "object"))
    rc = sv__fail(s, SV_EJSON, "filter must be a JSON object, not %s", type);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

int sv__filter_compile(sv_shard *s, const char *json, sqlite3_stmt **out) {
  compiler c;
  int rc;
  char *sql = NULL;
  *out = NULL;
  memset(&c, 0, sizeof c);
  c.s = s;
  if (strlen(json) > 1000000) return sv__fail(s, SV_EJSON, "filter is larger than 1 MB");
  if ((rc = check_object(s, json)) != SV_OK) return rc;
  c.sql = sqlite3_str_new(NULL);
  sqlite3_str_appendf(c.sql, "SELECT id FROM \"%w\".sv_vectors WHERE deleted = 0", s->schema);
  if ((rc = top_level(&c, json)) != SV_OK) goto done;
  if (c.nconds == 0) goto done; /* {}: every row matches */
  if (sqlite3_str_errcode(c.sql) != SQLITE_OK) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory compiling a filter");
    goto done;
  }
  sql = sqlite3_str_finish(c.sql);
  c.sql = NULL;
  if (!sql) {
    rc = sv__fail(s, SV_ENOMEM, "out of memory compiling a filter");
    goto done;
  }
  int src = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);
  if (src != SQLITE_OK) {
    rc = sv__fail_sql(s, src, "compiling a filter");
    goto done;
  }
  for (int i = 0; i < c.nparams && src == SQLITE_OK; i++) {
    if (c.params[i].path)
      src = sqlite3_bind_text(*out, i + 1, c.params[i].path, -1, SQLITE_TRANSIENT);
    else
      src = sqlite3_bind_value(*out, i + 1, c.params[i].val);
  }
  if (src != SQLITE_OK) rc = sv__fail_sql(s, src, "binding a filter");
done:
  if (rc != SV_OK) {
    sqlite3_finalize(*out);
    *out = NULL;
  }
  sqlite3_free(sql);
  sqlite3_free(sqlite3_str_finish(c.sql));
  free_params(&c);
  return rc;
}
