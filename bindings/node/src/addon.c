/*
** addon.c — module registration of the sqlite-vector Node-API addon.
**
** The addon exports flat functions over an opaque shard handle (see
** nv_sync.c and nv_async.c); the VectorShard class, metadata JSON and
** promise wrapping live in the shared JS layer (bindings/js), which the
** WebAssembly build uses too, so both backends expose one API.  Written in
** plain C against Node-API version 8, so one binary loads on Node 18-24.
*/
#include "nv.h"

static napi_value simd(napi_env env, napi_callback_info info) {
  return nv_str(env, sv_simd_backend());
}

static napi_value init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"open", nv_open},     {"close", nv_close},
      {"insert", nv_insert}, {"upsert", nv_upsert},
      {"delete", nv_delete}, {"get", nv_get},
      {"stats", nv_stats},   {"insertBatch", nv_insert_batch},
      {"search", nv_search}, {"simd", simd},
  };
  size_t i;
  napi_value f;
  for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, f) != napi_ok)
      return NULL;
  }
  napi_set_named_property(env, exports, "version", nv_str(env, SV_VERSION_STRING));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
