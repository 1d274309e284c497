/*
** wasm_api.c — a flat C surface for the WebAssembly build's JS glue.
**
** JavaScript can pass numbers and pointers into linear memory but cannot
** portably fill C structs, so every call that takes or returns a struct
** (open options, batch items, search results, records, stats) gets a
** wrapper here with scalar arguments and small accessors.  The wrappers
** use only the public header, like any other face; statuses come back
** through an int out-parameter and the message through sv_errmsg().
** Everything returned is owned by the caller and freed with the matching
** svw_*_free (or free() for strings).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector.h"

/* On failure the handle is still returned when one exists, so the caller
** can read sv_errmsg() before sv_shard_close(). */
sv_shard *svw_open(const char *path, uint32_t dim, const char *metric, int flags, int *status) {
  sv_open_options o = {dim, SV_METRIC_UNSET, flags};
  sv_shard *s = NULL;
  if (metric != NULL && sv_metric_parse(metric, &o.metric) != SV_OK) {
    *status = SV_EINVAL;
    goto cleanup;
  }
  *status = sv_shard_open(path, &o, &s);
cleanup:
  return s;
}

int svw_insert_batch(sv_shard *s, const float *vecs, uint32_t n, uint32_t dim,
                     const char *const *metas, const int64_t *ids, const unsigned char *has_id,
                     int flags, int64_t *out_ids) {
  sv_item *items = NULL;
  uint32_t i;
  int rc = SV_ENOMEM;
  items = calloc(n ? n : 1, sizeof *items);
  if (items == NULL) goto cleanup;
  for (i = 0; i < n; i++) {
    items[i].vec = vecs + (size_t)i * dim;
    items[i].metadata = metas ? metas[i] : NULL;
    items[i].has_id = has_id ? has_id[i] : 0;
    items[i].id = ids ? ids[i] : 0;
  }
  rc = sv_insert_batch(s, items, n, dim, flags, out_ids);
cleanup:
  free(items);
  return rc;
}

sv_results *svw_search(sv_shard *s, const float *q, uint32_t dim, uint32_t k, int use_thr,
                       float thr, const char *filter, int with_meta, int *status) {
  sv_search_options so;
  sv_results *r = calloc(1, sizeof *r);
  memset(&so, 0, sizeof so);
  *status = SV_ENOMEM;
  if (r == NULL) goto cleanup;
  so.k = k;
  so.use_threshold = use_thr;
  so.threshold = thr;
  so.filter = filter;
  so.with_metadata = with_meta;
  *status = sv_search(s, q, dim, &so, r);
cleanup:
  return r;
}

size_t svw_results_n(const sv_results *r) {
  return r->n;
}
int64_t svw_hit_id(const sv_results *r, size_t i) {
  return r->hits[i].id;
}
float svw_hit_score(const sv_results *r, size_t i) {
  return r->hits[i].score;
}
const char *svw_hit_meta(const sv_results *r, size_t i) {
  return r->hits[i].metadata ? r->hits[i].metadata : "{}";
}
void svw_results_free(sv_results *r) {
  if (r == NULL) return;
  sv_results_free(r);
  free(r);
}

/* NULL with *status SV_ENOTFOUND when there is no live row. */
sv_record *svw_get(sv_shard *s, int64_t id, int *status) {
  sv_record *rec = calloc(1, sizeof *rec);
  *status = SV_ENOMEM;
  if (rec == NULL) goto cleanup;
  *status = sv_get(s, id, rec);
  if (*status != SV_OK) {
    free(rec);
    rec = NULL;
  }
cleanup:
  return rec;
}

uint32_t svw_rec_dim(const sv_record *r) {
  return r->dim;
}
const float *svw_rec_vec(const sv_record *r) {
  return r->vec;
}
const char *svw_rec_meta(const sv_record *r) {
  return r->metadata ? r->metadata : "{}";
}
int64_t svw_rec_version(const sv_record *r) {
  return r->version;
}
int64_t svw_rec_hlc(const sv_record *r) {
  return r->hlc;
}
int64_t svw_rec_origin(const sv_record *r) {
  return r->origin;
}
void svw_rec_free(sv_record *r) {
  if (r == NULL) return;
  sv_record_free(r);
  free(r);
}

/* Stats as JSON text (malloc'd); 64-bit values are strings so no digit is
** lost on the way through JSON.parse. */
char *svw_stats_json(sv_shard *s, int *status) {
  sv_stats st;
  char *out = NULL;
  const size_t cap = 512;
  *status = sv_shard_stats(s, &st);
  if (*status != SV_OK) goto cleanup;
  out = malloc(cap);
  if (out == NULL) {
    *status = SV_ENOMEM;
    goto cleanup;
  }
  snprintf(out, cap,
           "{\"count\":%llu,\"deleted\":%llu,\"dim\":%u,\"metric\":\"%s\",\"fileSize\":%llu,"
           "\"formatVersion\":%d,\"version\":\"%lld\",\"nodeId\":\"%lld\",\"shardId\":\"%s\","
           "\"simd\":\"%s\"}",
           (unsigned long long)st.count, (unsigned long long)st.deleted, st.dim,
           sv_metric_name(st.metric), (unsigned long long)st.file_size, st.format_version,
           (long long)st.version, (long long)st.node_id, st.shard_id,
           st.simd ? st.simd : sv_simd_backend());
cleanup:
  return out;
}
