/*
** tool_insert.c — vector_insert: one vector, or a batch in one transaction.
**
** A single vector goes through sv_insert / sv_insert_id / sv_upsert; a
** batch ("items") is first read and checked completely — every item an
** object with only known keys, every vector the same length, ids exact —
** and then written with one sv_insert_batch call, which is one
** transaction: either every item is stored or none is.  The engine checks
** the shard's dimension and vector values itself and its message (which
** names the offending item) is passed on.
**
** Text input ("text", or "text" inside an item) needs the agent-memory
** embedder, which this build does not have.  It is refused with a tool
** error that says so, rather than ignored or embedded some other way: a
** silently wrong vector would poison later searches.
*/
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_BATCH 100000

typedef struct batch {
  sv_item *items;
  float **vecs;
  char **metas;
  int64_t *ids;
  size_t n;
  uint32_t dim;
} batch;

static void batch_free(batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    if (b->vecs) free(b->vecs[i]);
    if (b->metas) cJSON_free(b->metas[i]);
  }
  free(b->items);
  free(b->vecs);
  free(b->metas);
  free(b->ids);
}

/* Read and check items[] into b (b->n counts items read so far). */
static int read_batch(const cJSON *items, batch *b, mcp_result *res) {
  char what[64];
  int n = cJSON_GetArraySize(items);
  if (!cJSON_IsArray(items) || n < 1 || n > MAX_BATCH)
    return mcp_fail(res, "argument 'items' must be an array of 1 to %d items", MAX_BATCH);
  b->items = calloc((size_t)n, sizeof *b->items);
  b->vecs = calloc((size_t)n, sizeof *b->vecs);
  b->metas = calloc((size_t)n, sizeof *b->metas);
  b->ids = calloc((size_t)n, sizeof *b->ids);
  if (!b->items || !b->vecs || !b->metas || !b->ids) return mcp_fail(res, "out of memory");
  for (const cJSON *it = items->child; it; it = it->next) {
    size_t i = b->n++;
    uint32_t dim;
    if (!cJSON_IsObject(it)) return mcp_fail(res, "items[%zu] must be an object", i);
    for (const cJSON *k = it->child; k; k = k->next) {
      if (strcmp(k->string, "vector") && strcmp(k->string, "id") && strcmp(k->string, "metadata") &&
          strcmp(k->string, "text"))
        return mcp_fail(res, "items[%zu]: unknown key '%.60s' (keys: vector, id, metadata)", i,
                        k->string);
    }
    if (mcp_arg(it, "text"))
      return mcp_fail(res,
                      "items[%zu].text: text embedding is not available in this build of "
                      "sqlite-vector-mcp (it has no text embedder); pass a 'vector' instead",
                      i);
    snprintf(what, sizeof what, "items[%zu].vector", i);
    const cJSON *v = mcp_arg(it, "vector");
    if (!v) return mcp_fail(res, "items[%zu] has no 'vector'", i);
    if (mcp_json_vector(v, what, &b->vecs[i], &dim, res) != SV_OK) return SV_EINVAL;
    if (i == 0) b->dim = dim;
    if (dim != b->dim)
      return mcp_fail(res, "items[%zu].vector has %u components but items[0] has %u", i,
                      (unsigned)dim, (unsigned)b->dim);
    const cJSON *id = mcp_arg(it, "id");
    snprintf(what, sizeof what, "items[%zu].id", i);
    if (id && mcp_json_id(id, what, &b->items[i].id, res) != SV_OK) return SV_EINVAL;
    b->items[i].has_id = id != NULL;
    snprintf(what, sizeof what, "items[%zu].metadata", i);
    if (mcp_json_object_text(mcp_arg(it, "metadata"), what, &b->metas[i], res) != SV_OK)
      return SV_EINVAL;
    b->items[i].vec = b->vecs[i];
    b->items[i].metadata = b->metas[i];
  }
  return SV_OK;
}

static int insert(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc = SV_OK, upsert, have_id = 0;
  const char *name;
  sv_shard *s;
  batch b;
  memset(&b, 0, sizeof b);
  float *vec = NULL;
  char *meta = NULL;
  uint32_t dim = 0;
  int64_t id = 0;
  cJSON *o = NULL, *ids;

  if ((rc = mcp_refuse_text(args, "text", res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_string(args, "shard", &name, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_bool(args, "upsert", 0, &upsert, res)) != SV_OK) goto cleanup;
  const cJSON *items = mcp_arg(args, "items");
  const cJSON *vector = mcp_arg(args, "vector");
  if (!items == !vector) {
    rc = mcp_fail(res, "pass either 'vector' (one vector) or 'items' (a batch), not %s",
                  items ? "both" : "neither");
    goto cleanup;
  }
  if (items && (mcp_arg(args, "id") || mcp_arg(args, "metadata"))) {
    rc = mcp_fail(res, "with 'items', give each item its own 'id' and 'metadata'");
    goto cleanup;
  }
  if (items) {
    if ((rc = read_batch(items, &b, res)) != SV_OK) goto cleanup;
  } else {
    if ((rc = mcp_json_vector(vector, "argument 'vector'", &vec, &dim, res)) != SV_OK) goto cleanup;
    const cJSON *idv = mcp_arg(args, "id");
    have_id = idv != NULL;
    if (idv && (rc = mcp_json_id(idv, "argument 'id'", &id, res)) != SV_OK) goto cleanup;
    if ((rc = mcp_json_object_text(mcp_arg(args, "metadata"), "argument 'metadata'", &meta, res)) !=
        SV_OK)
      goto cleanup;
  }
  /* Everything is checked before the shard is touched. */
  if ((rc = mcp_shard_get(srv, name, &s, res)) != SV_OK) goto cleanup;
  if (items) {
    rc = sv_insert_batch(s, b.items, b.n, b.dim, upsert ? SV_BATCH_UPSERT : 0, b.ids);
  } else if (!have_id) {
    rc = sv_insert(s, vec, dim, meta, &id);
  } else {
    rc = upsert ? sv_upsert(s, id, vec, dim, meta) : sv_insert_id(s, id, vec, dim, meta);
  }
  if (rc != SV_OK) {
    rc = mcp_fail_sv(res, s, rc, "insert failed, nothing was written");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "shard", name) ||
      !mcp_add_int(o, "count", items ? (int64_t)b.n : 1) ||
      !(ids = cJSON_AddArrayToObject(o, "ids")))
    goto nomem;
  for (size_t i = 0; i < (items ? b.n : 1); i++) {
    cJSON *n = mcp_int(items ? b.ids[i] : id);
    if (!n) goto nomem;
    cJSON_AddItemToArray(ids, n);
  }
  res->structured = o;
  o = NULL;
  goto cleanup;
nomem:
  rc = mcp_fail(res, "out of memory (the rows were written)");
cleanup:
  cJSON_Delete(o);
  batch_free(&b);
  free(vec);
  cJSON_free(meta);
  return rc;
}

const mcp_tool mcp_tool_insert = {
    "vector_insert",
    "Insert vectors",
    "Insert one vector ('vector', optional 'id' and 'metadata') or a batch ('items': "
    "[{vector, id?, metadata?}, ...], up to 100000, written all-or-nothing in one transaction). "
    "Vectors must have the shard's dimension. Without an id a new one is assigned; an id that "
    "already has a live row is an error unless upsert is true. Metadata is a JSON object that "
    "vector_search can filter on. Returns the ids. Text input needs a build with the memory "
    "embedder and is refused otherwise.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"},"
    "\"vector\":{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1,"
    "\"description\":\"One vector of the shard's dimension\"},"
    "\"id\":{\"type\":\"integer\",\"description\":\"Id for the single vector (default: new id)\"},"
    "\"metadata\":{\"type\":\"object\",\"description\":\"JSON metadata of the single vector\"},"
    "\"items\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":100000,\"items\":{"
    "\"type\":\"object\",\"properties\":{"
    "\"vector\":{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1},"
    "\"id\":{\"type\":\"integer\"},\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"vector\"],\"additionalProperties\":false},"
    "\"description\":\"A batch of vectors, inserted in one transaction\"},"
    "\"upsert\":{\"type\":\"boolean\",\"default\":false,"
    "\"description\":\"Replace rows whose id already exists\"},"
    "\"text\":{\"type\":\"string\",\"description\":\"Text to embed (not available in this "
    "build)\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},"
    "\"ids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},"
    "\"required\":[\"shard\",\"count\",\"ids\"]}",
    0,
    insert,
};
