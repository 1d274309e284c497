/*
** nv_util.c — JS errors and argument conversion for the addon.
**
** Every failure becomes a JS Error whose `code` is the library's status
** name (SV_EDIM, SV_EINVAL, ...) or SV_ECLOSED for a closed shard, so
** callers branch on codes, not on message text.  A wrong JS type is a
** TypeError with code SV_EINVAL.  Arguments are checked completely before
** the library is called, so a rejected call has changed nothing.
**
** Ids are JS numbers (integers within +-(2^53-1), so they round-trip
** exactly) or BigInts, and come back as Numbers unless they are beyond
** 2^53, then as BigInts; versions, clocks and node ids that can exceed 2^53
** come back as BigInt.  Strings are copied into malloc'd, NUL-terminated
** buffers; a string with an embedded NUL is refused instead of being cut.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nv.h"

#define NV_MAX_SAFE 9007199254740991.0

napi_value nv_error(napi_env env, const char *code, const char *msg, int type_error) {
  napi_value c = NULL, m = NULL, e = NULL;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  if (type_error) {
    napi_create_type_error(env, c, m, &e);
  } else {
    napi_create_error(env, c, m, &e);
  }
  return e;
}

napi_value nv_throw(napi_env env, const char *code, const char *msg, int type_error) {
  napi_throw(env, nv_error(env, code, msg, type_error));
  return NULL;
}

napi_value nv_throw_shard(napi_env env, nv_handle *h, int status) {
  return nv_throw(env, sv_errstr(status), sv_errmsg(h->shard), 0);
}

int nv_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  /* Missing trailing arguments read as undefined (Node-API fills them). */
  return 0;
}

int nv_get_handle(napi_env env, napi_value v, nv_handle **out) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    nv_throw(env, "SV_EINVAL", "not a shard handle", 1);
    return -1;
  }
  *out = p;
  if ((*out)->shard == NULL || (*out)->closing) {
    nv_throw(env, "SV_ECLOSED", "the shard is closed", 0);
    return -1;
  }
  return 0;
}

int nv_get_vector(napi_env env, napi_value v, const float **data, uint32_t *dim) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &len, &p, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    nv_throw(env, "SV_EINVAL", "vector must be a Float32Array", 1);
    return -1;
  }
  if (len == 0 || len > SV_MAX_DIM) {
    nv_throw(env, "SV_EDIM", "vector length must be 1..16384", 0);
    return -1;
  }
  *data = p;
  *dim = (uint32_t)len;
  return 0;
}

int nv_get_id(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  double d = 0;
  bool lossless = false;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_bigint) {
    if (napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok && lossless) return 0;
  } else if (t == napi_number && napi_get_value_double(env, v, &d) == napi_ok && isfinite(d) &&
             floor(d) == d && fabs(d) <= NV_MAX_SAFE) {
    *out = (int64_t)d;
    return 0;
  }
  nv_throw(env, "SV_EINVAL", "id must be an integer Number (|id| < 2^53) or a BigInt", 1);
  return -1;
}

int nv_is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

int nv_get_string(napi_env env, napi_value v, int nullable, char **out) {
  napi_valuetype t;
  size_t len = 0, got = 0;
  char *buf = NULL;
  int rc = -1;
  *out = NULL;
  if (nullable && nv_is_nullish(env, v)) return 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    nv_throw(env, "SV_EINVAL", "expected a string", 1);
    goto cleanup;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) goto cleanup;
  buf = malloc(len + 1);
  if (buf == NULL) {
    nv_throw(env, "SV_ENOMEM", "out of memory", 0);
    goto cleanup;
  }
  if (napi_get_value_string_utf8(env, v, buf, len + 1, &got) != napi_ok) goto cleanup;
  if (got != len || strlen(buf) != len) {
    nv_throw(env, "SV_EINVAL", "string contains a NUL character", 1);
    goto cleanup;
  }
  *out = buf;
  buf = NULL;
  rc = 0;
cleanup:
  free(buf);
  return rc;
}

int nv_get_uint32(napi_env env, napi_value v, uint32_t *out) {
  napi_valuetype t;
  double d = 0;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_number &&
      napi_get_value_double(env, v, &d) == napi_ok && isfinite(d) && floor(d) == d && d >= 0 &&
      d <= 4294967295.0) {
    *out = (uint32_t)d;
    return 0;
  }
  nv_throw(env, "SV_EINVAL", "expected a non-negative integer", 1);
  return -1;
}

napi_value nv_int64(napi_env env, int64_t v) {
  napi_value r = NULL;
  napi_create_int64(env, v, &r);
  return r;
}

napi_value nv_bigint(napi_env env, int64_t v) {
  napi_value r = NULL;
  napi_create_bigint_int64(env, v, &r);
  return r;
}

napi_value nv_id(napi_env env, int64_t v) {
  const int64_t max = 9007199254740991LL;
  return v >= -max && v <= max ? nv_int64(env, v) : nv_bigint(env, v);
}

napi_value nv_str(napi_env env, const char *s) {
  napi_value r = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

void nv_set(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

void nv_release(nv_handle *h) {
  h->pending--;
  if (h->closing && h->pending == 0 && h->shard != NULL) {
    sv_shard_close(h->shard);
    h->shard = NULL;
  }
}
