/*
** methods.c — the MCP methods: initialize, ping, tools/list, tools/call.
**
** Version negotiation: the client proposes a protocol revision in
** initialize; when it is one we speak (2024-11-05, 2025-03-26, 2025-06-18,
** 2025-11-25) we answer with the same, otherwise with our latest, and the
** client decides whether it can go on.  An unknown revision is never an
** error.  The negotiated revision shapes later replies: structuredContent,
** outputSchema and titles only exist from 2025-06-18, tool annotations
** from 2025-03-26, so older clients get neither.  Before any initialize
** we answer as the latest revision: a lenient server costs nothing here
** and lets simple clients list tools straight away.
**
** tools/call separates two kinds of failure.  A call that cannot be
** routed (params without a string name, an unknown tool, arguments that
** are not an object) is a JSON-RPC error -32602.  Anything wrong with the
** arguments' content or the operation itself is a tool result with
** isError and a message the model can act on, as the 2025-11-25 revision
** asks for input validation; nothing is written in that case.
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "mcp/mcp.h"

static const char *const VERSIONS[] = {"2024-11-05", "2025-03-26", "2025-06-18",
                                       MCP_LATEST_VERSION};
#define NVERSIONS (sizeof VERSIONS / sizeof VERSIONS[0])

static const char INSTRUCTIONS[] =
    "sqlite-vector: an embedded vector database.  Vectors live in named shards (one SQLite "
    "file each, fixed dimension and metric).  Create a shard with vector_shard_create, add "
    "vectors with vector_insert (single or batch, optional JSON metadata), query with "
    "vector_search (k nearest, optional threshold and metadata filter), and inspect with "
    "vector_shard_stats and vector_get; vector_sync_shard replicates a shard.  Text shards "
    "(vector_shard_create with embedder hash-v1) take text instead of vectors.  Agent memory: "
    "memory_find_patterns before a task, memory_store_experience after it, "
    "memory_record_outcome when a pattern helped or not, memory_synthesize_context for a "
    "prompt block, memory_consolidate now and then (default memory: \"memory\").  Every write "
    "is on disk when the call returns.";

static cJSON *m_initialize(mcp_server *srv, const cJSON *params, int *code, char *msg,
                           size_t size) {
  const cJSON *want = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
  cJSON *r = NULL, *caps, *tools, *info;
  if (!cJSON_IsString(want)) {
    *code = RPC_INVALID_PARAMS;
    snprintf(msg, size, "Invalid params: initialize needs a string \"protocolVersion\"");
    return NULL;
  }
  const char *chosen = MCP_LATEST_VERSION;
  for (size_t i = 0; i < NVERSIONS; i++) {
    if (strcmp(want->valuestring, VERSIONS[i]) == 0) chosen = VERSIONS[i];
  }
  snprintf(srv->protocol, sizeof srv->protocol, "%s", chosen);
  mcp_log(srv, SV_MCP_LOG_INFO, "client asked for %s, speaking %s", want->valuestring, chosen);

  r = cJSON_CreateObject();
  caps = cJSON_CreateObject();
  tools = cJSON_CreateObject();
  info = cJSON_CreateObject();
  if (!r || !caps || !tools || !info) goto nomem;
  if (!cJSON_AddBoolToObject(tools, "listChanged", 0)) goto nomem;
  cJSON_AddItemToObject(caps, "tools", tools);
  tools = NULL;
  if (!cJSON_AddStringToObject(info, "name", "sqlite-vector-mcp") ||
      !cJSON_AddStringToObject(info, "version", SV_VERSION_STRING))
    goto nomem;
  if (mcp_version_at_least(srv, MCP_STRUCTURED_VERSION) &&
      !cJSON_AddStringToObject(info, "title", "sqlite-vector"))
    goto nomem;
  if (!cJSON_AddStringToObject(r, "protocolVersion", chosen)) goto nomem;
  cJSON_AddItemToObject(r, "capabilities", caps);
  caps = NULL;
  cJSON_AddItemToObject(r, "serverInfo", info);
  info = NULL;
  if (!cJSON_AddStringToObject(r, "instructions", INSTRUCTIONS)) goto nomem;
  return r;
nomem:
  cJSON_Delete(r);
  cJSON_Delete(caps);
  cJSON_Delete(tools);
  cJSON_Delete(info);
  *code = RPC_INTERNAL_ERROR;
  snprintf(msg, size, "Internal error: out of memory");
  return NULL;
}

/* A reply object `o` when building it went well (ok), else NULL: a
** half-built reply is freed rather than sent. */
static cJSON *whole(cJSON *o, int ok) {
  if (ok) return o;
  cJSON_Delete(o);
  return NULL;
}

/* One tools/list entry, shaped for the negotiated revision. */
static cJSON *tool_json(const mcp_server *srv, const mcp_tool_entry *e) {
  const mcp_tool *t = e->tool;
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  int ok = cJSON_AddStringToObject(o, "name", t->name) != NULL &&
           cJSON_AddStringToObject(o, "description", t->description) != NULL &&
           mcp_add(o, "inputSchema", cJSON_Duplicate(e->input, 1)) == SV_OK;
  if (ok && mcp_version_at_least(srv, MCP_STRUCTURED_VERSION)) {
    ok = cJSON_AddStringToObject(o, "title", t->title) != NULL;
    if (ok && e->output) ok = mcp_add(o, "outputSchema", cJSON_Duplicate(e->output, 1)) == SV_OK;
  }
  if (ok && mcp_version_at_least(srv, MCP_ANNOTATIONS_VERSION)) {
    cJSON *a = cJSON_CreateObject();
    ok =
        a != NULL && cJSON_AddStringToObject(a, "title", t->title) != NULL &&
        cJSON_AddBoolToObject(a, "readOnlyHint", (t->hints & MCP_HINT_READ_ONLY) != 0) != NULL &&
        cJSON_AddBoolToObject(a, "destructiveHint", (t->hints & MCP_HINT_DESTRUCTIVE) != 0) !=
            NULL &&
        cJSON_AddBoolToObject(a, "idempotentHint", (t->hints & MCP_HINT_IDEMPOTENT) != 0) != NULL &&
        cJSON_AddBoolToObject(a, "openWorldHint", 0) != NULL;
    if (a && !ok) cJSON_Delete(a);
    if (ok) ok = mcp_add(o, "annotations", a) == SV_OK;
  }
  return whole(o, ok);
}

static cJSON *m_tools_list(mcp_server *srv, const cJSON *params, int *code, char *msg,
                           size_t size) {
  const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(params, "cursor");
  if (cursor && !cJSON_IsNull(cursor)) {
    /* Every tool fits on one page, so no cursor was ever handed out. */
    *code = RPC_INVALID_PARAMS;
    snprintf(msg, size, "Invalid params: unknown cursor (tools/list has a single page)");
    return NULL;
  }
  cJSON *r = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(r, "tools");
  if (!r || !list) goto nomem;
  for (size_t i = 0; i < mcp_registry_count(srv); i++) {
    cJSON *t = tool_json(srv, mcp_registry_at(srv, i));
    if (!t) goto nomem;
    cJSON_AddItemToArray(list, t);
  }
  return r;
nomem:
  cJSON_Delete(r);
  *code = RPC_INTERNAL_ERROR;
  snprintf(msg, size, "Internal error: out of memory");
  return NULL;
}

/* Wrap a handler's outcome as a CallToolResult. */
static cJSON *call_result(const mcp_server *srv, mcp_result *res) {
  cJSON *r = cJSON_CreateObject();
  cJSON *content = cJSON_AddArrayToObject(r, "content");
  cJSON *block = cJSON_CreateObject();
  char *text = NULL;
  /* A handler that failed without a message ran out of memory recording it. */
  int ok = r && content && block && (res->structured || res->error);
  if (ok)
    cJSON_AddItemToArray(content, block);
  else
    cJSON_Delete(block);
  if (ok && res->error) {
    ok = cJSON_AddStringToObject(block, "type", "text") &&
         cJSON_AddStringToObject(block, "text", res->error) &&
         cJSON_AddBoolToObject(r, "isError", 1);
  } else if (ok) {
    /* The same JSON as text, for clients that read only content. */
    text = cJSON_PrintUnformatted(res->structured);
    ok = text && cJSON_AddStringToObject(block, "type", "text") &&
         cJSON_AddStringToObject(block, "text", text);
    if (ok && mcp_version_at_least(srv, MCP_STRUCTURED_VERSION)) {
      ok = mcp_add(r, "structuredContent", res->structured) == SV_OK;
      res->structured = NULL;
    }
    if (ok) ok = cJSON_AddBoolToObject(r, "isError", 0) != NULL;
  }
  cJSON_free(text);
  return whole(r, ok);
}

static cJSON *m_tools_call(mcp_server *srv, const cJSON *params, int *code, char *msg,
                           size_t size) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
  mcp_result res = {NULL, NULL};
  cJSON *r = NULL;
  *code = RPC_INVALID_PARAMS;
  if (!cJSON_IsString(name)) {
    snprintf(msg, size, "Invalid params: tools/call needs a string \"name\"");
    goto cleanup;
  }
  const mcp_tool_entry *e = mcp_registry_find(srv, name->valuestring);
  if (!e) {
    snprintf(msg, size, "Unknown tool: %.200s", name->valuestring);
    goto cleanup;
  }
  if (args && !cJSON_IsNull(args) && !cJSON_IsObject(args)) {
    snprintf(msg, size, "Invalid params: \"arguments\" must be an object");
    goto cleanup;
  }
  if (cJSON_IsNull(args)) args = NULL;
  if (mcp_registry_check_args(e, args, &res) == SV_OK) {
    int rc = e->tool->call(srv, args, &res);
    assert(rc == SV_OK ? (res.structured && !res.error) : !res.structured);
    (void)rc;
  }
  if (res.error) mcp_log(srv, SV_MCP_LOG_INFO, "%s: %s", e->tool->name, res.error);
  r = call_result(srv, &res);
  if (!r) {
    *code = RPC_INTERNAL_ERROR;
    snprintf(msg, size, "Internal error: out of memory");
  }
cleanup:
  mcp_result_clear(&res);
  return r;
}

static cJSON *m_ping(mcp_server *srv, const cJSON *params, int *code, char *msg, size_t size) {
  cJSON *r = cJSON_CreateObject();
  if (!r) {
    *code = RPC_INTERNAL_ERROR;
    snprintf(msg, size, "Internal error: out of memory");
  }
  return r;
}

typedef cJSON *(*method_fn)(mcp_server *, const cJSON *, int *, char *, size_t);
static const struct {
  const char *name;
  method_fn fn;
} METHODS[] = {
    {"initialize", m_initialize},
    {"ping", m_ping},
    {"tools/list", m_tools_list},
    {"tools/call", m_tools_call},
};

cJSON *mcp_method_call(mcp_server *srv, const char *method, const cJSON *params, int *code,
                       char *msg, size_t size) {
  for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++) {
    if (strcmp(method, METHODS[i].name) == 0) return METHODS[i].fn(srv, params, code, msg, size);
  }
  *code = RPC_METHOD_NOT_FOUND;
  snprintf(msg, size, "Method not found: %.200s", method);
  return NULL;
}

void mcp_method_notify(mcp_server *srv, const char *method, const cJSON *params) {
  if (strcmp(method, "notifications/initialized") == 0) {
    srv->initialized = 1;
  } else if (strcmp(method, "notifications/cancelled") == 0) {
    /* Requests run to completion one at a time, so by the time this is
    ** read the request it names has already been answered. */
  } else {
    mcp_log(srv, SV_MCP_LOG_DEBUG, "ignoring notification %.200s", method);
  }
}
