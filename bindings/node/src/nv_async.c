/*
** nv_async.c — batch insert and search on libuv's thread pool.
**
** Each call validates and *copies* its inputs on the JS thread (vectors,
** metadata, filter), so the caller may reuse its Float32Arrays at once and
** the worker never touches JS memory.  The worker calls the library, and
** because sv_errmsg() is per thread it copies the message there, right
** after the failure.  The completion callback, back on the JS thread,
** builds plain objects and settles the promise.
**
** The work holds a strong reference to the shard's external and bumps the
** handle's pending count: close() during the work only marks the handle,
** and the last completion closes it (nv_release), so neither close() nor
** the garbage collector can free a shard under a running search.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nv.h"

typedef struct nv_work {
  nv_handle *h;
  napi_ref ref;
  napi_deferred deferred;
  napi_async_work work;
  int status;
  char msg[512];
  /* batch */
  size_t n;
  uint32_t dim;
  float *vecs;
  char **metas;
  sv_item *items;
  int64_t *ids;
  int flags;
  /* search */
  float *query;
  char *filter;
  sv_search_options so;
  sv_results res;
} nv_work;

static void work_free(napi_env env, nv_work *w) {
  size_t i;
  if (w == NULL) return;
  if (w->ref != NULL) napi_delete_reference(env, w->ref);
  if (w->work != NULL) napi_delete_async_work(env, w->work);
  if (w->metas != NULL)
    for (i = 0; i < w->n; i++) free(w->metas[i]);
  free(w->metas);
  free(w->vecs);
  free(w->items);
  free(w->ids);
  free(w->query);
  free(w->filter);
  sv_results_free(&w->res);
  free(w);
}

static void keep_error(nv_work *w, int status) {
  w->status = status;
  if (status != SV_OK) snprintf(w->msg, sizeof w->msg, "%s", sv_errmsg(w->h->shard));
}

static void exec_batch(napi_env env, void *data) {
  nv_work *w = data;
  keep_error(w, sv_insert_batch(w->h->shard, w->items, w->n, w->dim, w->flags, w->ids));
}

static void exec_search(napi_env env, void *data) {
  nv_work *w = data;
  keep_error(w, sv_search(w->h->shard, w->query, w->dim, &w->so, &w->res));
}

static napi_value batch_result(napi_env env, nv_work *w) {
  napi_value arr = NULL;
  size_t i;
  if (napi_create_array_with_length(env, w->n, &arr) != napi_ok) return NULL;
  for (i = 0; i < w->n; i++) napi_set_element(env, arr, (uint32_t)i, nv_id(env, w->ids[i]));
  return arr;
}

static napi_value search_result(napi_env env, nv_work *w) {
  napi_value arr = NULL, o, v;
  size_t i;
  if (napi_create_array_with_length(env, w->res.n, &arr) != napi_ok) return NULL;
  for (i = 0; i < w->res.n; i++) {
    if (napi_create_object(env, &o) != napi_ok) return NULL;
    nv_set(env, o, "id", nv_id(env, w->res.hits[i].id));
    napi_create_double(env, w->res.hits[i].score, &v);
    nv_set(env, o, "score", v);
    if (w->so.with_metadata)
      nv_set(env, o, "metadata",
             nv_str(env, w->res.hits[i].metadata ? w->res.hits[i].metadata : "{}"));
    napi_set_element(env, arr, (uint32_t)i, o);
  }
  return arr;
}

static void complete(napi_env env, napi_status st, void *data) {
  nv_work *w = data;
  napi_value v = NULL;
  if (st == napi_ok && w->status == SV_OK)
    v = w->vecs ? batch_result(env, w) : search_result(env, w);
  if (v != NULL) {
    napi_resolve_deferred(env, w->deferred, v);
  } else {
    const char *code = st != napi_ok ? "SV_EINTERNAL" : sv_errstr(w->status);
    napi_reject_deferred(env, w->deferred,
                         nv_error(env, code, w->status ? w->msg : "cancelled or out of memory", 0));
  }
  nv_release(w->h);
  work_free(env, w);
}

/* Queue w; on success w belongs to the work and the promise is returned. */
static napi_value queue(napi_env env, napi_value handle, nv_work *w, napi_async_execute_callback ex,
                        const char *name) {
  napi_value promise = NULL, res_name;
  if (napi_create_reference(env, handle, 1, &w->ref) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &res_name) != napi_ok ||
      napi_create_async_work(env, NULL, res_name, ex, complete, w, &w->work) != napi_ok ||
      napi_create_promise(env, &w->deferred, &promise) != napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    work_free(env, w);
    return nv_throw(env, "SV_ENOMEM", "could not queue the work", 0);
  }
  w->h->pending++;
  return promise;
}

static int array_len(napi_env env, napi_value v, int nullable, uint32_t *len) {
  bool is_arr = false;
  *len = 0;
  if (nullable && nv_is_nullish(env, v)) return 0;
  if (napi_is_array(env, v, &is_arr) != napi_ok || !is_arr ||
      napi_get_array_length(env, v, len) != napi_ok) {
    nv_throw(env, "SV_EINVAL", "expected an array", 1);
    return -1;
  }
  return 0;
}

/* Copy item i of the batch into w; 0 or -1 with a JS error thrown. */
static int copy_item(napi_env env, nv_work *w, uint32_t i, napi_value vecs, napi_value metas,
                     napi_value ids) {
  napi_value el;
  const float *vec;
  uint32_t dim;
  char msg[96];
  if (napi_get_element(env, vecs, i, &el) != napi_ok || nv_get_vector(env, el, &vec, &dim))
    return -1;
  if (dim != w->dim) {
    snprintf(msg, sizeof msg, "item %u: vector has %u floats, the batch %u", i, dim, w->dim);
    nv_throw(env, "SV_EDIM", msg, 0);
    return -1;
  }
  memcpy(w->vecs + (size_t)i * dim, vec, dim * sizeof(float));
  w->items[i].vec = w->vecs + (size_t)i * dim;
  if (!nv_is_nullish(env, metas)) {
    if (napi_get_element(env, metas, i, &el) != napi_ok || nv_get_string(env, el, 1, &w->metas[i]))
      return -1;
    w->items[i].metadata = w->metas[i];
  }
  if (!nv_is_nullish(env, ids)) {
    if (napi_get_element(env, ids, i, &el) != napi_ok) return -1;
    if (!nv_is_nullish(env, el)) {
      if (nv_get_id(env, el, &w->items[i].id)) return -1;
      w->items[i].has_id = 1;
    }
  }
  return 0;
}

/* insertBatch(handle, vectors[], metadata[]|null, ids[]|null, upsert) -> Promise<ids[]> */
napi_value nv_insert_batch(napi_env env, napi_callback_info info) {
  napi_value argv[5], first, result = NULL;
  nv_handle *h;
  nv_work *w = NULL;
  uint32_t n, nm, ni, i;
  const float *v0;
  bool upsert = false;
  if (nv_args(env, info, 5, argv) || nv_get_handle(env, argv[0], &h) ||
      array_len(env, argv[1], 0, &n) || array_len(env, argv[2], 1, &nm) ||
      array_len(env, argv[3], 1, &ni))
    goto cleanup;
  if (n == 0 || (!nv_is_nullish(env, argv[2]) && nm != n) ||
      (!nv_is_nullish(env, argv[3]) && ni != n)) {
    nv_throw(env, "SV_EINVAL", "batch must be non-empty and its arrays of equal length", 0);
    goto cleanup;
  }
  napi_get_value_bool(env, argv[4], &upsert);
  w = calloc(1, sizeof *w);
  if (w == NULL) goto oom;
  w->h = h;
  w->n = n;
  w->flags = upsert ? SV_BATCH_UPSERT : 0;
  if (napi_get_element(env, argv[1], 0, &first) != napi_ok ||
      nv_get_vector(env, first, &v0, &w->dim))
    goto cleanup;
  w->vecs = malloc((size_t)n * w->dim * sizeof(float));
  w->metas = calloc(n, sizeof *w->metas);
  w->items = calloc(n, sizeof *w->items);
  w->ids = calloc(n, sizeof *w->ids);
  if (!w->vecs || !w->metas || !w->items || !w->ids) goto oom;
  for (i = 0; i < n; i++)
    if (copy_item(env, w, i, argv[1], argv[2], argv[3])) goto cleanup;
  result = queue(env, argv[0], w, exec_batch, "sqlite-vector:insertBatch");
  w = NULL;
  goto cleanup;
oom:
  nv_throw(env, "SV_ENOMEM", "out of memory", 0);
cleanup:
  work_free(env, w);
  return result;
}

/* search(handle, query, k, threshold|null, filter|null, withMetadata) -> Promise<hits[]> */
napi_value nv_search(napi_env env, napi_callback_info info) {
  napi_value argv[6], result = NULL;
  nv_handle *h;
  nv_work *w = NULL;
  const float *q;
  double thr = 0;
  bool with_meta = false;
  napi_valuetype t;
  if (nv_args(env, info, 6, argv) || nv_get_handle(env, argv[0], &h)) goto cleanup;
  w = calloc(1, sizeof *w);
  if (w == NULL) {
    nv_throw(env, "SV_ENOMEM", "out of memory", 0);
    goto cleanup;
  }
  w->h = h;
  if (nv_get_vector(env, argv[1], &q, &w->dim) || nv_get_uint32(env, argv[2], &w->so.k) ||
      nv_get_string(env, argv[4], 1, &w->filter))
    goto cleanup;
  if (!nv_is_nullish(env, argv[3])) {
    if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_number ||
        napi_get_value_double(env, argv[3], &thr) != napi_ok) {
      nv_throw(env, "SV_EINVAL", "threshold must be a number", 1);
      goto cleanup;
    }
    w->so.use_threshold = 1;
    w->so.threshold = (float)thr;
  }
  napi_get_value_bool(env, argv[5], &with_meta);
  w->so.with_metadata = with_meta;
  w->so.filter = w->filter;
  w->query = malloc(w->dim * sizeof(float));
  if (w->query == NULL) {
    nv_throw(env, "SV_ENOMEM", "out of memory", 0);
    goto cleanup;
  }
  memcpy(w->query, q, w->dim * sizeof(float));
  result = queue(env, argv[0], w, exec_search, "sqlite-vector:search");
  w = NULL;
cleanup:
  work_free(env, w);
  return result;
}
