/*
** tool_search.c — vector_search: exact k nearest neighbours.
**
** The arguments map one to one onto sv_search_options: k, an optional
** threshold (minimum score for cosine and dot, maximum distance for l2),
** and an optional metadata filter, passed to the engine as JSON text and
** validated there (an unknown operator or a malformed condition is a tool
** error, never an ignored condition).  "mode" chooses the search method;
** this build only has the exact scan, so "auto" and "exact" are accepted
** and the result says which ran.  Approximate modes arrive with the HNSW
** index and are added to the accepted list then.
*/
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_K 10000

static int search(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc = SV_OK, have_k, have_t, with_meta;
  const char *name;
  sv_shard *s;
  float *q = NULL;
  uint32_t dim = 0;
  int64_t k = 10;
  double threshold = 0;
  char *filter = NULL;
  sv_results r = {0, NULL};
  cJSON *o = NULL, *list;

  if ((rc = mcp_refuse_text(args, "text", res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_string(args, "shard", &name, res)) != SV_OK) goto cleanup;
  const cJSON *mode = mcp_arg(args, "mode");
  if (mode && (!cJSON_IsString(mode) || (strcmp(mode->valuestring, "auto") != 0 &&
                                         strcmp(mode->valuestring, "exact") != 0))) {
    rc = mcp_fail(res,
                  "argument 'mode' must be \"auto\" or \"exact\" (this build has only the "
                  "exact search)");
    goto cleanup;
  }
  const cJSON *vector = mcp_arg(args, "vector");
  if (!vector) {
    rc = mcp_fail(res, "missing required argument 'vector'");
    goto cleanup;
  }
  if ((rc = mcp_json_vector(vector, "argument 'vector'", &q, &dim, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_int(args, "k", 1, MAX_K, &k, &have_k, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_number(args, "threshold", &threshold, &have_t, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_json_object_text(mcp_arg(args, "filter"), "argument 'filter'", &filter, res)) !=
      SV_OK)
    goto cleanup;
  if ((rc = mcp_arg_bool(args, "with_metadata", 1, &with_meta, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_shard_get(srv, name, &s, res)) != SV_OK) goto cleanup;

  sv_search_options so = {(uint32_t)k, have_t, (float)threshold, filter, with_meta};
  if ((rc = sv_search(s, q, dim, &so, &r)) != SV_OK) {
    rc = mcp_fail_sv(res, s, rc, "search failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "shard", name) ||
      !cJSON_AddStringToObject(o, "mode", "exact") || !mcp_add_int(o, "count", (int64_t)r.n) ||
      !(list = cJSON_AddArrayToObject(o, "results")))
    goto nomem;
  for (size_t i = 0; i < r.n; i++) {
    cJSON *h = cJSON_CreateObject();
    if (!h) goto nomem;
    cJSON_AddItemToArray(list, h);
    if (!mcp_add_int(h, "id", (int64_t)r.hits[i].id) ||
        mcp_add(h, "score", mcp_float(r.hits[i].score)) != SV_OK ||
        (with_meta && mcp_add(h, "metadata", mcp_metadata(r.hits[i].metadata)) != SV_OK))
      goto nomem;
  }
  res->structured = o;
  o = NULL;
  goto cleanup;
nomem:
  rc = mcp_fail(res, "out of memory");
cleanup:
  cJSON_Delete(o);
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
    "(operators $eq $ne $lt $lte $gt $gte $in; fields \"a\" or \"a.b\"). Text queries need a "
    "build with the memory embedder.",
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
    "\"mode\":{\"type\":\"string\",\"enum\":[\"auto\",\"exact\"],\"default\":\"auto\","
    "\"description\":\"Search method\"},"
    "\"with_metadata\":{\"type\":\"boolean\",\"default\":true,"
    "\"description\":\"Return each hit's metadata\"},"
    "\"text\":{\"type\":\"string\",\"description\":\"Text query (not available in this build)\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"mode\":{\"type\":\"string\"},"
    "\"count\":{\"type\":\"integer\"},\"results\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
    "\"score\":{\"type\":\"number\"},\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"id\",\"score\"]}}},"
    "\"required\":[\"shard\",\"mode\",\"count\",\"results\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    search,
};
