/*
** registry.c — the table of tools.
**
** TOOLS below is the one place that decides which tools the server offers,
** in the order tools/list shows them.  Each entry is an mcp_tool defined
** in its own tool_*.c file.  Tools that need parts of the library this
** build may not have (agent memory, sync) are added here the same way,
** behind the feature macro their header provides.
**
** Schemas are written as JSON text next to their handlers, where they are
** easy to read and keep in step; they are parsed once at start-up, and a
** schema that does not parse or is not an object schema fails the server's
** construction (a programming error caught by every test run, never at a
** client).  The parsed input schema also drives the generic checks every
** call gets before its handler runs: each argument must be one the schema
** lists (a misspelt "treshold" would otherwise be silently ignored) and
** every required one must be present.  Types and ranges are left to the
** handlers, which can explain a bad value in the tool's own terms.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

static const mcp_tool *const TOOLS[] = {
    &mcp_tool_shard_create, &mcp_tool_insert, &mcp_tool_search,
    &mcp_tool_shard_stats,  &mcp_tool_get,    &mcp_tool_delete,
    /* Memory tools (issue 5) and vector_sync_shard (issue 4) go here. */
};
#define NTOOLS (sizeof TOOLS / sizeof TOOLS[0])

int mcp_registry_init(mcp_server *srv) {
  int rc = SV_OK;
  srv->tools = calloc(NTOOLS, sizeof *srv->tools);
  if (!srv->tools) return mcp_server_fail(srv, SV_ENOMEM, "out of memory");
  srv->ntools = NTOOLS;
  for (size_t i = 0; i < NTOOLS; i++) {
    const mcp_tool *t = TOOLS[i];
    mcp_tool_entry *e = &srv->tools[i];
    e->tool = t;
    e->input = cJSON_Parse(t->input_schema);
    e->output = t->output_schema ? cJSON_Parse(t->output_schema) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e->input, "type");
    if (!e->input || !cJSON_IsString(type) || strcmp(type->valuestring, "object") != 0 ||
        (t->output_schema && !e->output) || !t->call || !t->description || !t->title) {
      rc = mcp_server_fail(srv, SV_EINTERNAL, "tool %s: broken definition or schema", t->name);
      goto cleanup;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(TOOLS[j]->name, t->name) == 0) {
        rc = mcp_server_fail(srv, SV_EINTERNAL, "tool %s is registered twice", t->name);
        goto cleanup;
      }
    }
  }
cleanup:
  return rc;
}

void mcp_registry_free(mcp_server *srv) {
  for (size_t i = 0; srv->tools && i < srv->ntools; i++) {
    cJSON_Delete(srv->tools[i].input);
    cJSON_Delete(srv->tools[i].output);
  }
  free(srv->tools);
  srv->tools = NULL;
  srv->ntools = 0;
}

size_t mcp_registry_count(const mcp_server *srv) {
  return srv->ntools;
}

const mcp_tool_entry *mcp_registry_at(const mcp_server *srv, size_t i) {
  assert(i < srv->ntools);
  return &srv->tools[i];
}

const mcp_tool_entry *mcp_registry_find(const mcp_server *srv, const char *name) {
  for (size_t i = 0; i < srv->ntools; i++) {
    if (strcmp(srv->tools[i].tool->name, name) == 0) return &srv->tools[i];
  }
  return NULL;
}

int mcp_registry_check_args(const mcp_tool_entry *e, const cJSON *args, mcp_result *res) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(e->input, "properties");
  const cJSON *required = cJSON_GetObjectItemCaseSensitive(e->input, "required");
  for (const cJSON *a = args ? args->child : NULL; a; a = a->next) {
    if (!cJSON_GetObjectItemCaseSensitive(props, a->string)) {
      char allowed[512];
      size_t used = 0;
      allowed[0] = '\0';
      for (const cJSON *p = props ? props->child : NULL; p && used < sizeof allowed; p = p->next) {
        int n =
            snprintf(allowed + used, sizeof allowed - used, "%s%s", used ? ", " : "", p->string);
        if (n < 0) break;
        used += (size_t)n;
      }
      return mcp_fail(res, "%s: unknown argument '%.100s' (arguments: %s)", e->tool->name,
                      a->string, allowed);
    }
  }
  for (const cJSON *r = required ? required->child : NULL; r; r = r->next) {
    if (cJSON_IsString(r) && !mcp_arg(args, r->valuestring))
      return mcp_fail(res, "%s: missing required argument '%s'", e->tool->name, r->valuestring);
  }
  return SV_OK;
}
