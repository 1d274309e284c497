/*
** nv.h — shared declarations of the Node-API addon (bindings/node/src).
**
** The addon is a face: it sees only include/sqlite_vector.h.  A JS shard
** object holds an external wrapping an nv_handle; the handle counts the
** async operations in flight so that close() (or the garbage collector)
** never frees a shard a worker thread is still using.
*/
#ifndef NV_H
#define NV_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"

typedef struct nv_handle {
  sv_shard *shard; /* NULL once closed */
  int pending;     /* async works holding the shard */
  int closing;     /* close() asked while works were pending */
} nv_handle;

/* ---- nv_util.c: errors and argument conversion ---------------------------
** Every nv_get_* returns 0 on success; on failure it has thrown a JS error
** (code SV_EINVAL or SV_EDIM) and returns -1. */
napi_value nv_error(napi_env env, const char *code, const char *msg, int type_error);
napi_value nv_throw(napi_env env, const char *code, const char *msg, int type_error);
napi_value nv_throw_shard(napi_env env, nv_handle *h, int status);
int nv_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
int nv_get_handle(napi_env env, napi_value v, nv_handle **out);
int nv_get_vector(napi_env env, napi_value v, const float **data, uint32_t *dim);
int nv_get_id(napi_env env, napi_value v, int64_t *out);
int nv_is_nullish(napi_env env, napi_value v);
int nv_get_string(napi_env env, napi_value v, int nullable, char **out);
int nv_get_uint32(napi_env env, napi_value v, uint32_t *out);
napi_value nv_int64(napi_env env, int64_t v);
napi_value nv_bigint(napi_env env, int64_t v);
/* An id: a Number when exact (|id| <= 2^53 - 1), else a BigInt. */
napi_value nv_id(napi_env env, int64_t v);
void nv_set(napi_env env, napi_value obj, const char *key, napi_value v);
napi_value nv_str(napi_env env, const char *s);
/* Close the shard now if nothing is in flight, else when the last work ends. */
void nv_release(nv_handle *h);

/* ---- nv_sync.c / nv_async.c: the exported functions --------------------- */
napi_value nv_open(napi_env env, napi_callback_info info);
napi_value nv_close(napi_env env, napi_callback_info info);
napi_value nv_insert(napi_env env, napi_callback_info info);
napi_value nv_upsert(napi_env env, napi_callback_info info);
napi_value nv_delete(napi_env env, napi_callback_info info);
napi_value nv_get(napi_env env, napi_callback_info info);
napi_value nv_stats(napi_env env, napi_callback_info info);
napi_value nv_insert_batch(napi_env env, napi_callback_info info);
napi_value nv_search(napi_env env, napi_callback_info info);

#endif /* NV_H */
