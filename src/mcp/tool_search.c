/*
** tool_search.c — vector_search: k nearest neighbours, exact or approximate.
**
** The arguments map one to one onto sv_search_options: k, an optional
** threshold (minimum score for cosine and dot, maximum distance for l2),
** and an optional metadata filter, passed to the engine as JSON text and
** validated there (an unknown operator or a malformed condition is a tool
** error, never an ignored condition).  "mode" chooses the search method
** (sv_search_ex): auto (the planner decides), exact, quantized (int8 scan
** and exact rescoring), binary (sign bits and rescoring) or hnsw, with "ef"
** for the graph and "oversample" for the quantized scans.  A mode whose
** structure the shard lacks is a tool error naming the command that
** builds it, never a silent fall back to another method; the result's
** "mode" is the plan that actually ran.
**
** A text query ('text' instead of 'vector') is embedded with the shard's
** own embedder and then searched exactly like a vector, so threshold,
** filter and metadata behave the same; each hit also carries its text.
** Only text shards (textshard.c) take text: a plain shard, or one whose
** embedder this server does not have, is a tool error, never a query in
** some other vector space.
*/
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_K 10000

/* In sv_search_mode order. */
static const char *const MODES[] = {"auto", "exact", "quantized", "binary", "hnsw"};
_Static_assert(SV_MODE_AUTO == 0 && SV_MODE_EXACT == 1 && SV_MODE_QUANTIZED == 2 &&
                   SV_MODE_BINARY == 3 && SV_MODE_HNSW == 4,
               "MODES follows sv_search_mode");

static int read_mode(const cJSON *args, int *mode, mcp_result *res) {
  const cJSON *m = mcp_arg(args, "mode");
  *mode = SV_MODE_AUTO;
  if (!m) return SV_OK;
  for (int i = 0; cJSON_IsString(m) && i < (int)(sizeof MODES / sizeof MODES[0]); i++) {
    if (strcmp(m->valuestring, MODES[i]) == 0) {
      *mode = i;
      return SV_OK;
    }
  }
  return mcp_fail(res,
                  "argument 'mode' must be \"auto\", \"exact\", \"quantized\", \"binary\" or "
                  "\"hnsw\"");
}

static int search(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc = SV_OK, have_k, have_t, with_meta, have;
  int64_t ef = 0, oversample = 0;
  const char *plan = "exact";
  sv_ann_options ann;
  const char *name;
  sv_shard *s;
  float *q = NULL;
  uint32_t dim = 0;
  int64_t k = 10;
  double threshold = 0;
  char *filter = NULL;
  sv_results r = {0, NULL};
  cJSON *o = NULL, *list = NULL;
  mcp_open_shard *c = NULL;

  if ((rc = mcp_arg_string(args, "shard", &name, res)) != SV_OK) goto cleanup;
  memset(&ann, 0, sizeof ann);
  if ((rc = read_mode(args, &ann.mode, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_int(args, "ef", 1, 100000, &ef, &have, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_int(args, "oversample", 1, 10000, &oversample, &have, res)) != SV_OK)
    goto cleanup;
  ann.ef = (uint32_t)ef;
  ann.oversample = (uint32_t)oversample;
  const cJSON *vector = mcp_arg(args, "vector");
  const cJSON *text = mcp_arg(args, "text");
  if (!vector == !text) {
    rc = mcp_fail(res, "pass either 'vector' or 'text' as the query, not %s",
                  text ? "both" : "neither");
    goto cleanup;
  }
  if (text && (!cJSON_IsString(text) || !text->valuestring[0])) {
    rc = mcp_fail(res, "argument 'text' must be a non-empty string");
    goto cleanup;
  }
  if (vector && (rc = mcp_json_vector(vector, "argument 'vector'", &q, &dim, res)) != SV_OK)
    goto cleanup;
  if ((rc = mcp_arg_int(args, "k", 1, MAX_K, &k, &have_k, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_number(args, "threshold", &threshold, &have_t, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_json_object_text(mcp_arg(args, "filter"), "argument 'filter'", &filter, res)) !=
      SV_OK)
    goto cleanup;
  if ((rc = mcp_arg_bool(args, "with_metadata", 1, &with_meta, res)) != SV_OK) goto cleanup;
  if (text) {
    const char *t = text->valuestring;
    if ((rc = mcp_text_get(srv, name, "shard", &c, res)) != SV_OK) goto cleanup;
    dim = sv_embedder_dim(c->emb);
    if (!(q = malloc((size_t)dim * sizeof *q))) {
      rc = mcp_fail(res, "out of memory");
      goto cleanup;
    }
    if ((rc = sv_embed(c->emb, &t, 1, q)) != SV_OK) {
      rc = mcp_fail(res, "cannot embed the query: %s", sv_embedder_errmsg(c->emb));
      goto cleanup;
    }
    s = c->shard;
  } else if ((rc = mcp_shard_get(srv, name, &s, res)) != SV_OK) {
    goto cleanup;
  }

  sv_search_options so = {(uint32_t)k, have_t, (float)threshold, filter, with_meta};
  if ((rc = sv_search_ex(s, q, dim, &so, &ann, &r, &plan)) != SV_OK) {
    rc = mcp_fail_sv(res, s, rc, "search failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "shard", name) ||
               !cJSON_AddStringToObject(o, "mode", plan) ||
               !mcp_add_int(o, "count", (int64_t)r.n) ||
               !(list = cJSON_AddArrayToObject(o, "results"));
  for (size_t i = 0; !failed && i < r.n; i++) {
    cJSON *h = cJSON_CreateObject();
    failed = !h || !cJSON_AddItemToArray(list, h) || !mcp_add_int(h, "id", (int64_t)r.hits[i].id) ||
             mcp_add(h, "score", mcp_float(r.hits[i].score)) != SV_OK ||
             (with_meta && mcp_add(h, "metadata", mcp_metadata(r.hits[i].metadata)) != SV_OK);
    sv_mem_item it;
    if (!failed && c && sv_mem_get(c->mem, (int64_t)r.hits[i].id, &it) == SV_OK) {
      failed = !cJSON_AddStringToObject(h, "text", it.content);
      sv_mem_item_free(&it);
    }
  }
  rc = mcp_result_set(res, o, failed, "out of memory");
cleanup:
  sv_results_free(&r);
  free(q);
  cJSON_free(filter);
  return rc;
}

const mcp_tool mcp_tool_search = {
    "vector_search",
    "Search nearest vectors",
    "Find the k vectors of a shard nearest to a query vector. Scores: cosine similarity or dot "
    "product (higher is nearer) or l2 distance (lower is nearer). Optional threshold (cosine/dot: "
    "minimum score; l2: maximum distance) and metadata filter: an object of field conditions, "
    "all ANDed, e.g. {\"lang\":\"en\",\"year\":{\"$gte\":2020},\"tag\":{\"$in\":[\"a\",\"b\"]}} "
    "(operators $eq $ne $lt $lte $gt $gte $in; fields \"a\" or \"a.b\"). mode: auto (default), "
    "exact, quantized, binary or hnsw (ef); the result's mode is the plan that ran. A 'text' "
    "query works "
    "on text shards (made with vector_shard_create and an 'embedder'): it is embedded with the "
    "shard's embedder and each hit carries its text.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"},"
    "\"vector\":{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1,"
    "\"description\":\"Query vector of the shard's dimension\"},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000,\"default\":10,"
    "\"description\":\"Number of neighbours\"},"
    "\"threshold\":{\"type\":\"number\",\"description\":\"cosine/dot: minimum score; l2: maximum "
    "distance\"},"
    "\"filter\":{\"type\":\"object\",\"description\":\"Metadata filter, e.g. "
    "{\\\"year\\\":{\\\"$gte\\\":2020}}\"},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"auto\",\"exact\",\"quantized\",\"binary\","
    "\"hnsw\"],\"default\":\"auto\",\"description\":\"Search method: auto (planner), exact, "
    "quantized (int8 + rescoring), binary (sign bits + rescoring), hnsw (graph); the approximate "
    "ones need the index built (sqlite-vector index)\"},"
    "\"ef\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000,"
    "\"description\":\"HNSW candidates kept (default 64; higher: better recall, slower)\"},"
    "\"oversample\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000,"
    "\"description\":\"Quantized modes rescore k*oversample rows (default 10 int8, 40 "
    "binary)\"},"
    "\"with_metadata\":{\"type\":\"boolean\",\"default\":true,"
    "\"description\":\"Return each hit's metadata\"},"
    "\"text\":{\"type\":\"string\",\"description\":\"Text query (text shards only)\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"mode\":{\"type\":\"string\"},"
    "\"count\":{\"type\":\"integer\"},\"results\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
    "\"score\":{\"type\":\"number\"},\"metadata\":{\"type\":\"object\"},"
    "\"text\":{\"type\":\"string\"}},"
    "\"required\":[\"id\",\"score\"]}}},"
    "\"required\":[\"shard\",\"mode\",\"count\",\"results\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    search,
};
