/*
** nv_sync.c — the addon's synchronous calls: open, close, single-row
** writes, get and stats.
**
** These are short (one SQLite transaction or one lookup), so they run on
** the JS thread and the JS layer wraps them in promises; only batch insert
** and search, which can take long, go to the thread pool (nv_async.c).
** The library serialises writes and allows reads alongside them, so a
** synchronous insert may run while an async search holds the same shard.
**
** The handle lives in a napi_external; its finalizer closes the shard when
** the JS object is collected without close().  Async works hold a
** reference to the external, so the finalizer never races a worker.
*/
#include <stdlib.h>
#include <string.h>

#include "nv.h"

static void finalize(napi_env env, void *data, void *hint) {
  nv_handle *h = data;
  if (h->shard != NULL) sv_shard_close(h->shard);
  free(h);
}

/* open(path, dim, metric|null, flags) -> handle */
napi_value nv_open(napi_env env, napi_callback_info info) {
  napi_value argv[4], result = NULL;
  char *path = NULL, *metric = NULL;
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  uint32_t flags = 0;
  sv_shard *s = NULL;
  nv_handle *h = NULL;
  int rc;
  if (nv_args(env, info, 4, argv) || nv_get_string(env, argv[0], 0, &path) ||
      nv_get_uint32(env, argv[1], &o.dim) || nv_get_string(env, argv[2], 1, &metric) ||
      nv_get_uint32(env, argv[3], &flags))
    goto cleanup;
  if (metric != NULL && sv_metric_parse(metric, &o.metric) != SV_OK) {
    nv_throw(env, "SV_EINVAL", "metric must be \"cosine\", \"l2\" or \"dot\"", 0);
    goto cleanup;
  }
  o.flags = (int)(flags & (SV_OPEN_CREATE | SV_OPEN_READONLY));
  rc = sv_shard_open(path, &o, &s);
  if (rc != SV_OK) {
    nv_throw(env, sv_errstr(rc), s ? sv_errmsg(s) : "out of memory", 0);
    goto cleanup;
  }
  h = calloc(1, sizeof *h);
  if (h == NULL) {
    nv_throw(env, "SV_ENOMEM", "out of memory", 0);
    goto cleanup;
  }
  h->shard = s;
  if (napi_create_external(env, h, finalize, NULL, &result) != napi_ok) {
    result = NULL;
    goto cleanup;
  }
  s = NULL;
  h = NULL;
cleanup:
  if (h != NULL) free(h);
  if (s != NULL) sv_shard_close(s);
  free(path);
  free(metric);
  return result;
}

/* close(handle): idempotent; deferred while async works are in flight. */
napi_value nv_close(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  napi_valuetype t;
  void *p = NULL;
  nv_handle *h;
  if (nv_args(env, info, 1, argv)) goto cleanup;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    nv_throw(env, "SV_EINVAL", "not a shard handle", 1);
    goto cleanup;
  }
  h = p;
  h->closing = 1;
  if (h->pending == 0 && h->shard != NULL) {
    sv_shard_close(h->shard);
    h->shard = NULL;
  }
  napi_get_undefined(env, &result);
cleanup:
  return result;
}

/* What insert and upsert hand back: the row id, or NULL with the shard's
 * error thrown when the write failed. */
static napi_value id_or_throw(napi_env env, nv_handle *h, int rc, int64_t id) {
  if (rc != SV_OK) {
    nv_throw_shard(env, h, rc);
    return NULL;
  }
  return nv_id(env, id);
}

/* insert(handle, vec, metadata|null, id|undefined) -> id */
napi_value nv_insert(napi_env env, napi_callback_info info) {
  napi_value argv[4], result = NULL;
  nv_handle *h;
  const float *vec;
  uint32_t dim;
  char *meta = NULL;
  int64_t id = 0;
  int rc, has_id;
  if (nv_args(env, info, 4, argv) || nv_get_handle(env, argv[0], &h) ||
      nv_get_vector(env, argv[1], &vec, &dim) || nv_get_string(env, argv[2], 1, &meta))
    goto cleanup;
  has_id = !nv_is_nullish(env, argv[3]);
  if (has_id && nv_get_id(env, argv[3], &id)) goto cleanup;
  rc = has_id ? sv_insert_id(h->shard, id, vec, dim, meta)
              : sv_insert(h->shard, vec, dim, meta, &id);
  result = id_or_throw(env, h, rc, id);
cleanup:
  free(meta);
  return result;
}

/* upsert(handle, id, vec, metadata|null) */
napi_value nv_upsert(napi_env env, napi_callback_info info) {
  napi_value argv[4], result = NULL;
  nv_handle *h;
  const float *vec;
  uint32_t dim;
  char *meta = NULL;
  int64_t id = 0;
  int rc;
  if (nv_args(env, info, 4, argv) || nv_get_handle(env, argv[0], &h) ||
      nv_get_id(env, argv[1], &id) || nv_get_vector(env, argv[2], &vec, &dim) ||
      nv_get_string(env, argv[3], 1, &meta))
    goto cleanup;
  rc = sv_upsert(h->shard, id, vec, dim, meta);
  result = id_or_throw(env, h, rc, id);
cleanup:
  free(meta);
  return result;
}

/* delete(handle, id) -> true, or false when there was no live row */
napi_value nv_delete(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  nv_handle *h;
  int64_t id = 0;
  int rc;
  if (nv_args(env, info, 2, argv) || nv_get_handle(env, argv[0], &h) ||
      nv_get_id(env, argv[1], &id))
    goto cleanup;
  rc = sv_delete(h->shard, id);
  if (rc != SV_OK && rc != SV_ENOTFOUND) {
    nv_throw_shard(env, h, rc);
    goto cleanup;
  }
  napi_get_boolean(env, rc == SV_OK, &result);
cleanup:
  return result;
}

/* get(handle, id) -> {id, vector, metadata, version, hlc, origin} | null */
napi_value nv_get(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL, ab, ta;
  nv_handle *h;
  int64_t id = 0;
  sv_record rec;
  void *data = NULL;
  int rc;
  memset(&rec, 0, sizeof rec);
  if (nv_args(env, info, 2, argv) || nv_get_handle(env, argv[0], &h) ||
      nv_get_id(env, argv[1], &id))
    goto cleanup;
  rc = sv_get(h->shard, id, &rec);
  if (rc == SV_ENOTFOUND) {
    napi_get_null(env, &result);
    goto cleanup;
  }
  if (rc != SV_OK) {
    nv_throw_shard(env, h, rc);
    goto cleanup;
  }
  if (napi_create_arraybuffer(env, rec.dim * sizeof(float), &data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float32_array, rec.dim, ab, 0, &ta) != napi_ok ||
      napi_create_object(env, &result) != napi_ok) {
    result = NULL;
    goto cleanup;
  }
  memcpy(data, rec.vec, rec.dim * sizeof(float));
  nv_set(env, result, "id", nv_id(env, rec.id));
  nv_set(env, result, "vector", ta);
  nv_set(env, result, "metadata", nv_str(env, rec.metadata ? rec.metadata : "{}"));
  nv_set(env, result, "version", nv_bigint(env, rec.version));
  nv_set(env, result, "hlc", nv_bigint(env, rec.hlc));
  nv_set(env, result, "origin", nv_bigint(env, rec.origin));
cleanup:
  sv_record_free(&rec);
  return result;
}

/* stats(handle) -> plain object */
napi_value nv_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL, v;
  nv_handle *h;
  sv_stats st;
  int rc;
  if (nv_args(env, info, 1, argv) || nv_get_handle(env, argv[0], &h)) goto cleanup;
  rc = sv_shard_stats(h->shard, &st);
  if (rc != SV_OK) {
    nv_throw_shard(env, h, rc);
    goto cleanup;
  }
  if (napi_create_object(env, &result) != napi_ok) goto cleanup;
  nv_set(env, result, "count", nv_int64(env, (int64_t)st.count));
  nv_set(env, result, "deleted", nv_int64(env, (int64_t)st.deleted));
  napi_create_uint32(env, st.dim, &v);
  nv_set(env, result, "dim", v);
  nv_set(env, result, "metric", nv_str(env, sv_metric_name(st.metric)));
  nv_set(env, result, "fileSize", nv_int64(env, (int64_t)st.file_size));
  napi_create_int32(env, st.format_version, &v);
  nv_set(env, result, "formatVersion", v);
  nv_set(env, result, "version", nv_bigint(env, st.version));
  nv_set(env, result, "nodeId", nv_bigint(env, st.node_id));
  nv_set(env, result, "shardId", nv_str(env, st.shard_id));
  nv_set(env, result, "simd", nv_str(env, st.simd ? st.simd : sv_simd_backend()));
cleanup:
  return result;
}
