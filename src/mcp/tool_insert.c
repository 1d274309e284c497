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
** Text ("text": one string or an array of strings, with one optional
** 'metadata' for all) goes to a text shard (textshard.c) and is embedded
** there by the shard's own embedder through sv_mem_add_texts, in one
** transaction, so the memory's text index and vectors stay in step.  A
** plain shard refuses text, and a text shard refuses raw vectors (they
** would have no text behind them and no place in its text index); each
** refusal says what to do instead.
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
                      "items[%zu].text: items carry vectors; send texts as 'text' (a string or "
                      "an array of strings) with one shared 'metadata'",
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

/* The result object: the shard and the ids written. */
static int result(const char *name, const int64_t *ids, size_t n, mcp_result *res) {
  cJSON *list = NULL, *o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "shard", name) ||
               !mcp_add_int(o, "count", (int64_t)n) || !(list = cJSON_AddArrayToObject(o, "ids"));
  for (size_t i = 0; !failed && i < n; i++) {
    cJSON *v = mcp_int(ids[i]);
    failed = !v || !cJSON_AddItemToArray(list, v);
  }
  return mcp_result_set(res, o, failed, "out of memory (the rows were written)");
}

/* Text into a text shard: one string or an array of them. */
static int insert_text(mcp_server *srv, const char *name, const cJSON *args, const cJSON *text,
                       mcp_result *res) {
  int rc = SV_OK, n = 1;
  const char **texts = NULL;
  int64_t *ids = NULL;
  char *meta = NULL;
  mcp_open_shard *c;
  if (mcp_arg(args, "vector") || mcp_arg(args, "items") || mcp_arg(args, "id") ||
      mcp_arg(args, "upsert")) {
    rc = mcp_fail(res,
                  "with 'text' pass only 'metadata' (ids of text rows are assigned; no "
                  "'vector', 'items', 'id' or 'upsert')");
    goto cleanup;
  }
  if (cJSON_IsArray(text)) n = cJSON_GetArraySize(text);
  if ((!cJSON_IsString(text) && !cJSON_IsArray(text)) || n < 1 || n > MAX_BATCH) {
    rc =
        mcp_fail(res, "argument 'text' must be a string or an array of 1 to %d strings", MAX_BATCH);
    goto cleanup;
  }
  texts = calloc((size_t)n, sizeof *texts);
  ids = calloc((size_t)n, sizeof *ids);
  if (!texts || !ids) {
    rc = mcp_fail(res, "out of memory");
    goto cleanup;
  }
  if (cJSON_IsString(text)) {
    texts[0] = text->valuestring;
  } else {
    int i = 0;
    for (const cJSON *t = text->child; t; t = t->next, i++) {
      if (!cJSON_IsString(t)) {
        rc = mcp_fail(res, "text[%d] must be a string", i);
        goto cleanup;
      }
      texts[i] = t->valuestring;
    }
  }
  if ((rc = mcp_json_object_text(mcp_arg(args, "metadata"), "argument 'metadata'", &meta, res)) !=
      SV_OK)
    goto cleanup;
  if ((rc = mcp_text_get(srv, name, "shard", &c, res)) != SV_OK) goto cleanup;
  if ((rc = sv_mem_add_texts(c->mem, texts, (size_t)n, meta, ids)) != SV_OK) {
    rc = mcp_fail_mem(res, c->mem, rc, "insert failed, nothing was written");
    goto cleanup;
  }
  rc = result(name, ids, (size_t)n, res);
cleanup:
  free(texts);
  free(ids);
  cJSON_free(meta);
  return rc;
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
  mcp_open_shard *c;

  if ((rc = mcp_arg_string(args, "shard", &name, res)) != SV_OK) goto cleanup;
  const cJSON *text = mcp_arg(args, "text");
  if (text) {
    rc = insert_text(srv, name, args, text, res);
    goto cleanup;
  }
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
  if ((rc = mcp_shard_entry(srv, name, &c, res)) != SV_OK) goto cleanup;
  if (c->emb_name[0]) {
    rc = mcp_fail(res,
                  "shard '%s' is a text shard (embedder %s): insert 'text', which it embeds "
                  "itself; raw vectors would have no text behind them",
                  name, c->emb_name);
    goto cleanup;
  }
  s = c->shard;
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
  rc = result(name, items ? b.ids : &id, items ? b.n : 1, res);
cleanup:
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
    "vector_search can filter on. Returns the ids. Text ('text': a string or an array of "
    "strings, with one shared 'metadata') goes to a text shard, made with vector_shard_create "
    "and an 'embedder', which embeds it itself; plain shards take vectors only.",
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
    "\"text\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"array\",\"items\":{"
    "\"type\":\"string\"},\"minItems\":1,\"maxItems\":100000}],"
    "\"description\":\"Text (or texts) to embed into a text shard\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},"
    "\"ids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},"
    "\"required\":[\"shard\",\"count\",\"ids\"]}",
    0,
    insert,
};
