/*
** tool_shard.c — vector_shard_create and vector_shard_stats.
**
** Creating is idempotent, like the CLI's create: asking again for a shard
** that exists with the same dimension and metric succeeds with
** "created": false, so an agent can call it at the start of every session
** without checking first; a different dimension or metric is an error that
** names what the shard has.  With an 'embedder' the shard is a text shard
** (textshard.c): a memory file whose vectors the embedder makes from text,
** cosine, the embedder's dimension (dim optional).  Stats reads the
** engine's counters, which are cheap (indexed lookups), so agents can poll
** them; for a text shard it also names the embedder.
*/
#include <stdio.h>
#include <string.h>

#include "mcp/mcp.h"

static int shard_create(mcp_server *srv, const cJSON *args, mcp_result *res) {
  const char *name, *metric_name = "cosine";
  int64_t dim = 0;
  int have_dim;
  sv_metric metric;
  sv_shard *s;
  int created;
  const cJSON *emb = mcp_arg(args, "embedder");
  mcp_open_shard *c;
  if (mcp_arg_string(args, "shard", &name, res) != SV_OK) return SV_EINVAL;
  if (mcp_arg_int(args, "dim", 1, SV_MAX_DIM, &dim, &have_dim, res) != SV_OK) return SV_EINVAL;
  if (emb && (!cJSON_IsString(emb) || strcmp(emb->valuestring, "hash-v1") != 0))
    return mcp_fail(res, "argument 'embedder' must be \"hash-v1\" (the embedder this server has)");
  if (!have_dim && !emb) return mcp_fail(res, "missing required argument 'dim'");
  if (emb && have_dim && dim < 64)
    return mcp_fail(res, "argument 'dim': hash-v1 makes 64 to %d dimensions", SV_MAX_DIM);
  const cJSON *m = mcp_arg(args, "metric");
  if (m) {
    if (!cJSON_IsString(m)) return mcp_fail(res, "argument 'metric' must be a string");
    metric_name = m->valuestring;
  }
  if (sv_metric_parse(metric_name, &metric) != SV_OK)
    return mcp_fail(res, "argument 'metric' must be \"cosine\", \"l2\" or \"dot\", not \"%.40s\"",
                    metric_name);
  if (emb && metric != SV_METRIC_COSINE)
    return mcp_fail(res, "a text shard uses the cosine metric");
  if (emb) {
    if (mcp_text_create(srv, name, emb->valuestring, (uint32_t)dim, &created, &c, res) != SV_OK)
      return SV_EINVAL;
    dim = c->emb_dim;
  } else if (mcp_shard_create(srv, name, (uint32_t)dim, metric, &s, &created, res) != SV_OK) {
    return SV_EINVAL;
  }
  cJSON *o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "shard", name) ||
               !cJSON_AddBoolToObject(o, "created", created) ||
               !mcp_add_int(o, "dim", (int64_t)dim) ||
               !cJSON_AddStringToObject(o, "metric", sv_metric_name(metric)) ||
               (emb && !cJSON_AddStringToObject(o, "embedder", emb->valuestring));
  return mcp_result_set(res, o, failed, "out of memory");
}

const mcp_tool mcp_tool_shard_create = {
    "vector_shard_create",
    "Create a vector shard",
    "Create a shard: a named collection of vectors with a fixed dimension and distance metric, "
    "stored as one file in the server's data directory. Idempotent: if the shard already exists "
    "with the same dim and metric nothing changes and created is false; a different dim or "
    "metric is an error. Give 'embedder' (\"hash-v1\") to make a text shard: it takes text in "
    "vector_insert/vector_search and is a memory for the memory_* tools (cosine; dim optional, "
    "default 1024).",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\","
    "\"description\":\"Shard name: letters, digits, '_', '-', '.'; no '..'\"},"
    "\"dim\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":16384,"
    "\"description\":\"Vector dimension, e.g. 384\"},"
    "\"metric\":{\"type\":\"string\",\"enum\":[\"cosine\",\"l2\",\"dot\"],\"default\":\"cosine\","
    "\"description\":\"Distance metric\"},"
    "\"embedder\":{\"type\":\"string\",\"enum\":[\"hash-v1\"],"
    "\"description\":\"Make a text shard whose vectors this embedder makes from text (dim "
    "optional, default 1024)\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"created\":{\"type\":\"boolean\"},"
    "\"dim\":{\"type\":\"integer\"},\"metric\":{\"type\":\"string\"},"
    "\"embedder\":{\"type\":\"string\"}},"
    "\"required\":[\"shard\",\"created\",\"dim\",\"metric\"]}",
    MCP_HINT_IDEMPOTENT,
    shard_create,
};

static int shard_stats(mcp_server *srv, const cJSON *args, mcp_result *res) {
  const char *name;
  sv_shard *s;
  sv_stats st;
  int rc;
  mcp_open_shard *c;
  if (mcp_arg_string(args, "shard", &name, res) != SV_OK) return SV_EINVAL;
  if (mcp_shard_entry(srv, name, &c, res) != SV_OK) return SV_EINVAL;
  s = c->shard;
  if ((rc = sv_shard_stats(s, &st)) != SV_OK) return mcp_fail_sv(res, s, rc, "stats");
  cJSON *o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "shard", name) ||
               !mcp_add_int(o, "count", (int64_t)st.count) ||
               !mcp_add_int(o, "deleted", (int64_t)st.deleted) ||
               !mcp_add_int(o, "dim", (int64_t)st.dim) ||
               !cJSON_AddStringToObject(o, "metric", sv_metric_name(st.metric)) ||
               !mcp_add_int(o, "file_size", (int64_t)st.file_size) ||
               !mcp_add_int(o, "format_version", (int64_t)st.format_version) ||
               !mcp_add_int(o, "version", (int64_t)st.version) ||
               !cJSON_AddStringToObject(o, "shard_id", st.shard_id) ||
               !cJSON_AddStringToObject(o, "simd", st.simd) ||
               (c->emb_name[0] && !cJSON_AddStringToObject(o, "embedder", c->emb_name));
  return mcp_result_set(res, o, failed, "out of memory");
}

const mcp_tool mcp_tool_shard_stats = {
    "vector_shard_stats",
    "Shard statistics",
    "Statistics of a shard: live vector count, deleted (tombstoned) rows, dimension, metric, "
    "file size, format version, write version, shard id, the SIMD backend searches use, and "
    "for a text shard its embedder.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},"
    "\"deleted\":{\"type\":\"integer\"},\"dim\":{\"type\":\"integer\"},"
    "\"metric\":{\"type\":\"string\"},\"file_size\":{\"type\":\"integer\"},"
    "\"format_version\":{\"type\":\"integer\"},\"version\":{\"type\":\"integer\"},"
    "\"shard_id\":{\"type\":\"string\"},\"simd\":{\"type\":\"string\"},"
    "\"embedder\":{\"type\":\"string\"}},"
    "\"required\":[\"shard\",\"count\",\"deleted\",\"dim\",\"metric\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    shard_stats,
};
