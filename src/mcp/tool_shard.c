/*
** tool_shard.c — vector_shard_create and vector_shard_stats.
**
** Creating is idempotent, like the CLI's create: asking again for a shard
** that exists with the same dimension and metric succeeds with
** "created": false, so an agent can call it at the start of every session
** without checking first; a different dimension or metric is an error that
** names what the shard has.  Stats reads the engine's counters, which are
** cheap (indexed lookups), so agents can poll them.
*/
#include <stdio.h>

#include "mcp/mcp.h"

static int shard_create(mcp_server *srv, const cJSON *args, mcp_result *res) {
  const char *name, *metric_name = "cosine";
  int64_t dim = 0;
  int have_dim;
  sv_metric metric;
  sv_shard *s;
  int created;
  if (mcp_arg_string(args, "shard", &name, res) != SV_OK) return SV_EINVAL;
  if (mcp_arg_int(args, "dim", 1, SV_MAX_DIM, &dim, &have_dim, res) != SV_OK) return SV_EINVAL;
  if (!have_dim) return mcp_fail(res, "missing required argument 'dim'");
  const cJSON *m = mcp_arg(args, "metric");
  if (m) {
    if (!cJSON_IsString(m)) return mcp_fail(res, "argument 'metric' must be a string");
    metric_name = m->valuestring;
  }
  if (sv_metric_parse(metric_name, &metric) != SV_OK)
    return mcp_fail(res, "argument 'metric' must be \"cosine\", \"l2\" or \"dot\", not \"%.40s\"",
                    metric_name);
  if (mcp_shard_create(srv, name, (uint32_t)dim, metric, &s, &created, res) != SV_OK)
    return SV_EINVAL;
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "shard", name) ||
      !cJSON_AddBoolToObject(o, "created", created) || !mcp_add_int(o, "dim", (int64_t)dim) ||
      !cJSON_AddStringToObject(o, "metric", sv_metric_name(metric))) {
    cJSON_Delete(o);
    return mcp_fail(res, "out of memory");
  }
  res->structured = o;
  return SV_OK;
}

const mcp_tool mcp_tool_shard_create = {
    "vector_shard_create",
    "Create a vector shard",
    "Create a shard: a named collection of vectors with a fixed dimension and distance metric, "
    "stored as one file in the server's data directory. Idempotent: if the shard already exists "
    "with the same dim and metric nothing changes and created is false; a different dim or "
    "metric is an error.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\","
    "\"description\":\"Shard name: letters, digits, '_', '-', '.'; no '..'\"},"
    "\"dim\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":16384,"
    "\"description\":\"Vector dimension, e.g. 384\"},"
    "\"metric\":{\"type\":\"string\",\"enum\":[\"cosine\",\"l2\",\"dot\"],\"default\":\"cosine\","
    "\"description\":\"Distance metric\"}},"
    "\"required\":[\"shard\",\"dim\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"created\":{\"type\":\"boolean\"},"
    "\"dim\":{\"type\":\"integer\"},\"metric\":{\"type\":\"string\"}},"
    "\"required\":[\"shard\",\"created\",\"dim\",\"metric\"]}",
    MCP_HINT_IDEMPOTENT,
    shard_create,
};

static int shard_stats(mcp_server *srv, const cJSON *args, mcp_result *res) {
  const char *name;
  sv_shard *s;
  sv_stats st;
  int rc;
  if (mcp_arg_string(args, "shard", &name, res) != SV_OK) return SV_EINVAL;
  if (mcp_shard_get(srv, name, &s, res) != SV_OK) return SV_EINVAL;
  if ((rc = sv_shard_stats(s, &st)) != SV_OK) return mcp_fail_sv(res, s, rc, "stats");
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "shard", name) ||
      !mcp_add_int(o, "count", (int64_t)st.count) ||
      !mcp_add_int(o, "deleted", (int64_t)st.deleted) || !mcp_add_int(o, "dim", (int64_t)st.dim) ||
      !cJSON_AddStringToObject(o, "metric", sv_metric_name(st.metric)) ||
      !mcp_add_int(o, "file_size", (int64_t)st.file_size) ||
      !mcp_add_int(o, "format_version", (int64_t)st.format_version) ||
      !mcp_add_int(o, "version", (int64_t)st.version) ||
      !cJSON_AddStringToObject(o, "shard_id", st.shard_id) ||
      !cJSON_AddStringToObject(o, "simd", st.simd)) {
    cJSON_Delete(o);
    return mcp_fail(res, "out of memory");
  }
  res->structured = o;
  return SV_OK;
}

const mcp_tool mcp_tool_shard_stats = {
    "vector_shard_stats",
    "Shard statistics",
    "Statistics of a shard: live vector count, deleted (tombstoned) rows, dimension, metric, "
    "file size, format version, write version, shard id and the SIMD backend searches use.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},"
    "\"deleted\":{\"type\":\"integer\"},\"dim\":{\"type\":\"integer\"},"
    "\"metric\":{\"type\":\"string\"},\"file_size\":{\"type\":\"integer\"},"
    "\"format_version\":{\"type\":\"integer\"},\"version\":{\"type\":\"integer\"},"
    "\"shard_id\":{\"type\":\"string\"},\"simd\":{\"type\":\"string\"}},"
    "\"required\":[\"shard\",\"count\",\"deleted\",\"dim\",\"metric\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    shard_stats,
};
