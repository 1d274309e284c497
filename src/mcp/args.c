/*
** args.c — reading tool arguments strictly, building tool results.
**
** Every argument a model sends is outside input.  The readers here accept
** a value only when it has exactly the expected JSON type and range, and
** otherwise record a tool error that names the argument and what was
** expected, so the model can correct the call.  None of them coerce ("5"
** is not an integer, 1.5 is not an id, a NaN cannot reach the engine).
**
** Numbers: cJSON keeps every number as a double.  That is exact for
** integers up to 2^53, so ids are limited to +-2^53 rather than silently
** rounded; vector components are checked to fit a float32 before the
** narrowing conversion.  On the way out, floats are printed with nine
** significant digits, which read back to the identical float32 and avoid
** the noise digits of the double they were widened to.
*/
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

int mcp_fail(mcp_result *res, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* A later failure replaces an earlier one: the last word is the cause. */
  free(res->error);
  res->error = strdup(buf);
  cJSON_Delete(res->structured);
  res->structured = NULL;
  return SV_EINVAL;
}

int mcp_fail_sv(mcp_result *res, sv_shard *s, int rc, const char *what) {
  return mcp_fail(res, "%s: %s (%s)", what, s ? sv_errmsg(s) : sv_errstr(rc), sv_errstr(rc));
}

int mcp_result_set(mcp_result *res, cJSON *o, int failed, const char *oom) {
  /* One place decides between result and error, so no handler can leak a
  ** half-built object or report one as its result. */
  if (!o || failed) {
    cJSON_Delete(o);
    return mcp_fail(res, "%s", oom);
  }
  res->structured = o;
  return SV_OK;
}

void mcp_result_clear(mcp_result *res) {
  cJSON_Delete(res->structured);
  free(res->error);
  res->structured = NULL;
  res->error = NULL;
}

const cJSON *mcp_arg(const cJSON *args, const char *key) {
  const cJSON *v = args ? cJSON_GetObjectItemCaseSensitive(args, key) : NULL;
  return cJSON_IsNull(v) ? NULL : v;
}

int mcp_arg_string(const cJSON *args, const char *key, const char **out, mcp_result *res) {
  const cJSON *v = mcp_arg(args, key);
  if (!v) return mcp_fail(res, "missing required argument '%s'", key);
  if (!cJSON_IsString(v) || !v->valuestring[0])
    return mcp_fail(res, "argument '%s' must be a non-empty string", key);
  *out = v->valuestring;
  return SV_OK;
}

static int is_integer(const cJSON *v) {
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) && floor(v->valuedouble) == v->valuedouble;
}

int mcp_arg_int(const cJSON *args, const char *key, int64_t min, int64_t max, int64_t *out,
                int *present, mcp_result *res) {
  const cJSON *v = mcp_arg(args, key);
  *present = v != NULL;
  if (!v) return SV_OK;
  if (!is_integer(v) || v->valuedouble < (double)min || v->valuedouble > (double)max)
    return mcp_fail(res, "argument '%s' must be an integer from %lld to %lld", key, (long long)min,
                    (long long)max);
  *out = (int64_t)v->valuedouble;
  return SV_OK;
}

int mcp_json_id(const cJSON *v, const char *what, int64_t *out, mcp_result *res) {
  if (!is_integer(v) || fabs(v->valuedouble) > MAX_EXACT_INT)
    return mcp_fail(res, "%s must be an integer id between -2^53 and 2^53", what);
  *out = (int64_t)v->valuedouble;
  return SV_OK;
}

int mcp_arg_id(const cJSON *args, const char *key, int64_t *out, mcp_result *res) {
  char what[MCP_MAX_NAME + 16];
  const cJSON *v = mcp_arg(args, key);
  if (!v) return mcp_fail(res, "missing required argument '%s'", key);
  snprintf(what, sizeof what, "argument '%s'", key);
  return mcp_json_id(v, what, out, res);
}

int mcp_arg_number(const cJSON *args, const char *key, double *out, int *present, mcp_result *res) {
  const cJSON *v = mcp_arg(args, key);
  *present = v != NULL;
  if (!v) return SV_OK;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > FLT_MAX)
    return mcp_fail(res, "argument '%s' must be a finite number", key);
  *out = v->valuedouble;
  return SV_OK;
}

int mcp_arg_bool(const cJSON *args, const char *key, int dflt, int *out, mcp_result *res) {
  const cJSON *v = mcp_arg(args, key);
  if (!v) {
    *out = dflt;
    return SV_OK;
  }
  if (!cJSON_IsBool(v)) return mcp_fail(res, "argument '%s' must be true or false", key);
  *out = cJSON_IsTrue(v);
  return SV_OK;
}

int mcp_json_vector(const cJSON *v, const char *what, float **out, uint32_t *dim, mcp_result *res) {
  int rc = SV_OK;
  float *vec = NULL;
  *out = NULL;
  if (!cJSON_IsArray(v)) return mcp_fail(res, "%s must be an array of numbers", what);
  int n = cJSON_GetArraySize(v);
  if (n < 1 || n > SV_MAX_DIM)
    return mcp_fail(res, "%s has %d components; a vector has 1 to %d", what, n, SV_MAX_DIM);
  vec = malloc((size_t)n * sizeof *vec);
  if (!vec) return mcp_fail(res, "out of memory");
  int i = 0;
  for (const cJSON *c = v->child; c; c = c->next, i++) {
    if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || fabs(c->valuedouble) > FLT_MAX) {
      rc = mcp_fail(res, "%s[%d] must be a finite number within float32 range", what, i);
      goto cleanup;
    }
    vec[i] = (float)c->valuedouble;
  }
  assert(i == n);
  *out = vec;
  *dim = (uint32_t)n;
  vec = NULL;
cleanup:
  free(vec);
  return rc;
}

int mcp_json_object_text(const cJSON *v, const char *what, char **out, mcp_result *res) {
  *out = NULL;
  if (!v || cJSON_IsNull(v)) return SV_OK;
  if (!cJSON_IsObject(v)) return mcp_fail(res, "%s must be a JSON object", what);
  *out = cJSON_PrintUnformatted(v);
  if (!*out) return mcp_fail(res, "out of memory");
  return SV_OK;
}

int mcp_arg_memory(const cJSON *args, const char **out, mcp_result *res) {
  if (!mcp_arg(args, "memory")) {
    *out = MCP_DEFAULT_MEMORY;
    return SV_OK;
  }
  return mcp_arg_string(args, "memory", out, res);
}

int mcp_add_json(cJSON *obj, const char *key, char *json) {
  cJSON *v = json ? cJSON_Parse(json) : NULL;
  free(json);
  if (!v) return SV_ENOMEM; /* the library renders valid JSON: only memory can fail */
  if (key) return mcp_add(obj, key, v);
  int rc = SV_OK;
  while (v->child && rc == SV_OK) {
    cJSON *c = cJSON_DetachItemViaPointer(v, v->child);
    if (!cJSON_AddItemToObject(obj, c->string, c)) {
      cJSON_Delete(c);
      rc = SV_ENOMEM;
    }
  }
  cJSON_Delete(v);
  return rc;
}

cJSON *mcp_int(int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  return cJSON_CreateRaw(buf);
}

cJSON *mcp_add_int(cJSON *obj, const char *key, int64_t v) {
  cJSON *n = mcp_int(v);
  return mcp_add(obj, key, n) == SV_OK ? n : NULL;
}

cJSON *mcp_id_copy(const cJSON *id) {
  char buf[64];
  if (!cJSON_IsNumber(id)) return cJSON_Duplicate(id, 1);
  double d = id->valuedouble;
  /* Integers below 2^63 print exactly with %.0f; a JSON-RPC id is an
  ** integer in practice (fractions are discouraged by the spec). */
  if (isfinite(d) && floor(d) == d && fabs(d) < 9.2e18)
    snprintf(buf, sizeof buf, "%.0f", d);
  else
    for (int prec = 15; prec <= 17; prec++) { /* the shortest text that reads back exactly */
      snprintf(buf, sizeof buf, "%.*g", prec, d);
      if (strtod(buf, NULL) == d) break;
    }
  return cJSON_CreateRaw(buf);
}

cJSON *mcp_float(float f) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", (double)f);
  return cJSON_CreateNumber(strtod(buf, NULL));
}

cJSON *mcp_metadata(const char *text) {
  cJSON *m = text ? cJSON_Parse(text) : NULL;
  if (!cJSON_IsObject(m)) {
    /* The engine only stores objects; anything else would be a damaged
    ** row, reported as empty rather than failing the whole call. */
    cJSON_Delete(m);
    m = cJSON_CreateObject();
  }
  return m;
}

int mcp_add(cJSON *obj, const char *key, cJSON *v) {
  if (!v) return SV_ENOMEM;
  if (!cJSON_AddItemToObject(obj, key, v)) {
    cJSON_Delete(v);
    return SV_ENOMEM;
  }
  return SV_OK;
}
