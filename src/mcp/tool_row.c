/*
** tool_row.c — vector_get and vector_delete: one row by id.
**
** get returns the live row as stored (the vector is not normalised), with
** its metadata and the write version, hybrid-logical-clock stamp and
** origin node the engine keeps for sync.  delete turns the row into a
** tombstone.  Deleting an id that has no live row is not an error: the
** state the caller asked for holds, and "deleted": false tells it nothing
** was there (a mistyped id shows up that way instead of as a failure).
** In a text shard a row is a memory item or text, so delete goes through
** the memory layer, which removes its text index row and statistics too.
*/
#include <stdio.h>

#include "mcp/mcp.h"

/* The shard and id every row tool takes. */
static int row_args(mcp_server *srv, const cJSON *args, const char **name, sv_shard **s,
                    int64_t *id, mcp_result *res) {
  if (mcp_arg_string(args, "shard", name, res) != SV_OK) return SV_EINVAL;
  if (mcp_arg_id(args, "id", id, res) != SV_OK) return SV_EINVAL;
  return mcp_shard_get(srv, *name, s, res);
}

static int get(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc, with_vec;
  const char *name;
  sv_shard *s;
  int64_t id;
  sv_record rec = {0};
  cJSON *o = NULL, *vec = NULL;
  if ((rc = mcp_arg_bool(args, "with_vector", 1, &with_vec, res)) != SV_OK) goto cleanup;
  if ((rc = row_args(srv, args, &name, &s, &id, res)) != SV_OK) goto cleanup;
  if ((rc = sv_get(s, id, &rec)) != SV_OK) {
    if (rc == SV_ENOTFOUND)
      rc = mcp_fail(res, "no live row with id %lld in shard '%s'", (long long)id, name);
    else
      rc = mcp_fail_sv(res, s, rc, "get failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed =
      !o || !cJSON_AddStringToObject(o, "shard", name) || !mcp_add_int(o, "id", (int64_t)rec.id) ||
      mcp_add(o, "metadata", mcp_metadata(rec.metadata)) != SV_OK ||
      !mcp_add_int(o, "dim", (int64_t)rec.dim) ||
      !mcp_add_int(o, "version", (int64_t)rec.version) ||
      !mcp_add_int(o, "hlc", (int64_t)rec.hlc) || !mcp_add_int(o, "origin", (int64_t)rec.origin) ||
      (with_vec && !(vec = cJSON_AddArrayToObject(o, "vector")));
  for (uint32_t i = 0; !failed && with_vec && i < rec.dim; i++) {
    cJSON *f = mcp_float(rec.vec[i]);
    failed = !f || !cJSON_AddItemToArray(vec, f);
  }
  rc = mcp_result_set(res, o, failed, "out of memory");
cleanup:
  sv_record_free(&rec);
  return rc;
}

const mcp_tool mcp_tool_get = {
    "vector_get",
    "Get a vector by id",
    "Fetch one live row of a shard by id: its vector (as stored), metadata, write version, "
    "hybrid-logical-clock timestamp and origin node. A missing or deleted id is an error.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"},"
    "\"id\":{\"type\":\"integer\",\"description\":\"Row id\"},"
    "\"with_vector\":{\"type\":\"boolean\",\"default\":true,"
    "\"description\":\"Include the vector\"}},"
    "\"required\":[\"shard\",\"id\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"id\":{\"type\":\"integer\"},"
    "\"metadata\":{\"type\":\"object\"},\"dim\":{\"type\":\"integer\"},"
    "\"version\":{\"type\":\"integer\"},\"hlc\":{\"type\":\"integer\"},"
    "\"origin\":{\"type\":\"integer\"},"
    "\"vector\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}}},"
    "\"required\":[\"shard\",\"id\",\"metadata\",\"dim\",\"version\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    get,
};

static int del(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc;
  const char *name;
  sv_shard *s;
  int64_t id;
  mcp_open_shard *c;
  if ((rc = row_args(srv, args, &name, &s, &id, res)) != SV_OK) return rc;
  if ((rc = mcp_shard_entry(srv, name, &c, res)) != SV_OK) return rc;
  if (c->emb_name[0]) {
    if ((rc = mcp_text_get(srv, name, "shard", &c, res)) != SV_OK) return rc;
    rc = sv_mem_delete(c->mem, id);
    if (rc != SV_OK && rc != SV_ENOTFOUND) return mcp_fail_mem(res, c->mem, rc, "delete failed");
  } else {
    rc = sv_delete(s, id);
    if (rc != SV_OK && rc != SV_ENOTFOUND) return mcp_fail_sv(res, s, rc, "delete failed");
  }
  cJSON *o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "shard", name) ||
               !mcp_add_int(o, "id", (int64_t)id) ||
               !cJSON_AddBoolToObject(o, "deleted", rc == SV_OK);
  return mcp_result_set(res, o, failed, "out of memory");
}

const mcp_tool mcp_tool_delete = {
    "vector_delete",
    "Delete a vector by id",
    "Delete one row of a shard by id (it becomes a tombstone, so replicas learn of the delete). "
    "deleted is false when the id had no live row.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"},"
    "\"id\":{\"type\":\"integer\",\"description\":\"Row id\"}},"
    "\"required\":[\"shard\",\"id\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"id\":{\"type\":\"integer\"},"
    "\"deleted\":{\"type\":\"boolean\"}},"
    "\"required\":[\"shard\",\"id\",\"deleted\"]}",
    MCP_HINT_DESTRUCTIVE | MCP_HINT_IDEMPOTENT,
    del,
};
