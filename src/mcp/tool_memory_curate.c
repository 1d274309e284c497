/*
** tool_memory_curate.c — memory_consolidate and memory_synthesize_context.
**
** consolidate is sv_mem_consolidate on one memory: near-duplicates with the
** same outcome are merged, similar items with opposite outcomes are linked
** as contradictions, and items both stale and unreliable are deleted, in
** one transaction; the library's report (counts and the list of actions)
** is returned as it is.
**
** synthesize_context turns several memories into one prompt-ready block:
** each named memory is checked like any shard name (so no path can reach
** outside the data directory) and must be a text shard of the same
** embedder, because the task is embedded once for all of them.  The
** library opens the files read-only, takes the best items of each, drops
** duplicates across memories and formats what fits in `budget` bytes of
** UTF-8 (so the text never has more than `budget` characters; items that
** do not fit whole are left out).  Its provenance names each item's file
** by path, in the sources and in the text; the tool puts the memory name
** in both places instead, so the result means something to a client that
** does not know where the data directory is (and the text only shrinks,
** so it stays within the budget).
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_MEMORIES 16
#define MAX_BUDGET (1024 * 1024)

static int consolidate(mcp_server *srv, const cJSON *args, mcp_result *res) {
  static const char *const KEYS[] = {"dup_threshold", "contra_threshold", "prune_age_days",
                                     "prune_reliability"};
  static const double HI[] = {1, 1, 36500, 1};
  int rc = SV_OK, have;
  const char *mem;
  mcp_open_shard *c;
  sv_mem_consolidate_options co;
  sv_mem_consolidate_report rep;
  double *slots[] = {&co.dup_threshold, &co.contra_threshold, &co.prune_age_days,
                     &co.prune_reliability};
  cJSON *o = NULL;
  memset(&co, 0, sizeof co);
  memset(&rep, 0, sizeof rep);

  if ((rc = mcp_arg_memory(args, &mem, res)) != SV_OK) goto cleanup;
  for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
    if ((rc = mcp_arg_number(args, KEYS[i], slots[i], &have, res)) != SV_OK) goto cleanup;
    /* 0 means the library's default, so a given value must be positive. */
    if (have && (*slots[i] <= 0 || *slots[i] > HI[i])) {
      rc = mcp_fail(res, "argument '%s' must be greater than 0 and at most %g", KEYS[i], HI[i]);
      goto cleanup;
    }
  }
  if ((rc = mcp_text_get(srv, mem, "memory", &c, res)) != SV_OK) goto cleanup;
  if ((rc = sv_mem_consolidate(c->mem, &co, &rep)) != SV_OK) {
    rc = mcp_fail_mem(res, c->mem, rc, "consolidate failed, nothing was changed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "memory", mem) ||
               mcp_add_json(o, NULL, sv_mem_consolidate_json(&rep)) != SV_OK;
  rc = mcp_result_set(res, o, failed, "out of memory (the memory was consolidated)");
cleanup:
  sv_mem_consolidate_report_free(&rep);
  return rc;
}

const mcp_tool mcp_tool_mem_consolidate = {
    "memory_consolidate",
    "Consolidate a memory",
    "Curate a memory in one transaction: merge near-duplicate items with the same outcome "
    "(cosine >= dup_threshold, default 0.92; the more reliable one is kept), link similar items "
    "with opposite outcomes as contradictions (>= contra_threshold, 0.80), and delete items "
    "unused for prune_age_days (90) whose reliability is below prune_reliability (0.3). "
    "Returns the counts and every action taken.",
    "{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\","
    "\"default\":\"memory\",\"description\":\"Memory name (a text shard of the data directory)\"},"
    "\"dup_threshold\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1},"
    "\"contra_threshold\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1},"
    "\"prune_age_days\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":36500},"
    "\"prune_reliability\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1}},"
    "\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\"},\"examined\":{\"type\":\"integer\"},"
    "\"merged\":{\"type\":\"integer\"},\"contradictions\":{\"type\":\"integer\"},"
    "\"pruned\":{\"type\":\"integer\"},\"actions\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"action\":{\"type\":\"string\","
    "\"enum\":[\"merged\",\"contradicts\",\"pruned\"]}},\"required\":[\"action\"]}}},"
    "\"required\":[\"memory\",\"examined\",\"merged\",\"contradictions\",\"pruned\",\"actions\"]}",
    MCP_HINT_DESTRUCTIVE,
    consolidate,
};

/* The memory names into names[] (default: the default memory). */
static int read_memories(const cJSON *args, const char **names, size_t *n, mcp_result *res) {
  const cJSON *v = mcp_arg(args, "memories");
  *n = 0;
  if (!v) {
    names[(*n)++] = MCP_DEFAULT_MEMORY;
    return SV_OK;
  }
  int count = cJSON_GetArraySize(v);
  if (!cJSON_IsArray(v) || count < 1 || count > MAX_MEMORIES)
    return mcp_fail(res, "argument 'memories' must be an array of 1 to %d memory names",
                    MAX_MEMORIES);
  for (const cJSON *s = v->child; s; s = s->next) {
    if (!cJSON_IsString(s) || !s->valuestring[0])
      return mcp_fail(res, "memories[%zu] must be a non-empty string", *n);
    for (size_t j = 0; j < *n; j++) {
      if (strcmp(names[j], s->valuestring) == 0)
        return mcp_fail(res, "memories: '%.64s' is listed twice", s->valuestring);
    }
    names[(*n)++] = s->valuestring;
  }
  return SV_OK;
}

/* A copy of text with every occurrence of each paths[i] replaced by
** names[i] (never longer than text: a name is shorter than its path). */
static char *name_text(const char *text, const char *const *paths, const char *const *names,
                       size_t n) {
  char *out = malloc(strlen(text) + 1), *w = out;
  if (!out) return NULL;
  while (*text) {
    size_t i = 0;
    while (i < n && strncmp(text, paths[i], strlen(paths[i])) != 0) i++;
    if (i < n) {
      size_t len = strlen(names[i]);
      memcpy(w, names[i], len);
      w += len;
      text += strlen(paths[i]);
    } else {
      *w++ = *text++;
    }
  }
  *w = '\0';
  return out;
}

/* Name memories, not files: each source's path and each path quoted in
** the text become the memory's name. */
static int name_sources(cJSON *o, const char *const *paths, const char *const *names, size_t n) {
  cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
  if (!cJSON_IsString(text)) return SV_ENOMEM;
  char *named = name_text(text->valuestring, paths, names, n);
  cJSON *nt = named ? cJSON_CreateString(named) : NULL;
  free(named);
  if (!nt || !cJSON_ReplaceItemInObjectCaseSensitive(o, "text", nt)) {
    cJSON_Delete(nt);
    return SV_ENOMEM;
  }
  cJSON *sources = cJSON_GetObjectItemCaseSensitive(o, "sources");
  cJSON *s;
  cJSON_ArrayForEach(s, sources) {
    cJSON *shard = cJSON_DetachItemFromObjectCaseSensitive(s, "shard");
    const char *name = "?";
    for (size_t i = 0; cJSON_IsString(shard) && i < n; i++) {
      if (strcmp(shard->valuestring, paths[i]) == 0) name = names[i];
    }
    cJSON_Delete(shard);
    if (!cJSON_AddStringToObject(s, "memory", name)) return SV_ENOMEM;
  }
  return SV_OK;
}

static int context(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc = SV_OK, have, exists;
  const char *task, *names[MAX_MEMORIES];
  char *paths[MAX_MEMORIES] = {0}, err[512];
  size_t n = 0;
  int64_t budget = 4000, k = 3;
  char ename[SV_MEM_MAX_SHORT + 1] = "";
  uint32_t edim = 0;
  sv_embedder *emb = NULL;
  sv_mem_pattern_options po;
  sv_mem_context ctx;
  cJSON *o = NULL, *text;
  memset(&po, 0, sizeof po);
  memset(&ctx, 0, sizeof ctx);

  if ((rc = mcp_arg_string(args, "task", &task, res)) != SV_OK) goto cleanup;
  if ((rc = read_memories(args, names, &n, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_int(args, "budget", 100, MAX_BUDGET, &budget, &have, res)) != SV_OK)
    goto cleanup;
  if ((rc = mcp_arg_int(args, "k", 1, 100, &k, &have, res)) != SV_OK) goto cleanup;
  po.k = (uint32_t)k;
  for (size_t i = 0; i < n; i++) {
    mcp_open_shard *c;
    char path[PATH_MAX];
    if ((rc = mcp_text_get(srv, names[i], "memory", &c, res)) != SV_OK) goto cleanup;
    if (i == 0) { /* one embedding of the task serves every memory */
      snprintf(ename, sizeof ename, "%s", c->emb_name);
      edim = c->emb_dim;
    } else if (strcmp(ename, c->emb_name) != 0 || edim != c->emb_dim) {
      rc = mcp_fail(res,
                    "memory '%s' uses embedder %s (%u-d) but '%s' uses %s (%u-d); context is "
                    "made from memories of one embedder",
                    names[i], c->emb_name, (unsigned)c->emb_dim, names[0], ename, (unsigned)edim);
      goto cleanup;
    }
    if ((rc = mcp_shard_path(srv, names[i], path, sizeof path, &exists, res)) != SV_OK)
      goto cleanup;
    if (!(paths[i] = strdup(path))) {
      rc = mcp_fail(res, "out of memory");
      goto cleanup;
    }
  }
  /* An embedder of our own: opening the later memories may have closed
  ** the first one's cache entry, so none is borrowed from the cache.
  ** (mcp_text_get only admits hash-v1 memories.) */
  if ((rc = sv_embedder_hash_v1(edim, &emb)) != SV_OK) {
    rc = mcp_fail(res, "cannot make the embedder (%s)", sv_errstr(rc));
    goto cleanup;
  }
  rc = sv_mem_synthesize_context(emb, task, (const char *const *)paths, n, (size_t)budget, &po,
                                 &ctx, err, sizeof err);
  if (rc != SV_OK) {
    rc = mcp_fail(res, "synthesize_context failed: %s", err);
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || mcp_add_json(o, NULL, sv_mem_context_json(&ctx)) != SV_OK ||
               name_sources(o, (const char *const *)paths, names, n) != SV_OK ||
               !(text = cJSON_GetObjectItemCaseSensitive(o, "text")) ||
               !mcp_add_int(o, "bytes", (int64_t)strlen(cJSON_GetStringValue(text)));
  rc = mcp_result_set(res, o, failed, "out of memory");
cleanup:
  sv_mem_context_free(&ctx);
  sv_embedder_free(emb);
  for (size_t i = 0; i < n; i++) free(paths[i]);
  return rc;
}

const mcp_tool mcp_tool_mem_context = {
    "memory_synthesize_context",
    "Synthesize context from memories",
    "Build one prompt-ready block of the memory items most useful for a task, from one or more "
    "memories of the data directory (default [\"memory\"]; all of one embedder): the best k "
    "(default 3) of each, merged by score, duplicates across memories dropped, formatted within "
    "budget bytes (default 4000; UTF-8, so at most that many characters; items that do not fit "
    "whole are left out). sources gives the provenance (memory, id, score) of every included "
    "item in order.",
    "{\"type\":\"object\",\"properties\":{"
    "\"task\":{\"type\":\"string\",\"description\":\"The task at hand\"},"
    "\"memories\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":16,\"items\":{"
    "\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\"},"
    "\"description\":\"Memory names (default [\\\"memory\\\"])\"},"
    "\"budget\":{\"type\":\"integer\",\"minimum\":100,\"maximum\":1048576,"
    "\"default\":4000,\"description\":\"Largest text in bytes\"},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":3,"
    "\"description\":\"Items taken from each memory\"}},"
    "\"required\":[\"task\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"text\":{\"type\":\"string\"},\"bytes\":{\"type\":\"integer\"},"
    "\"sources\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\"},\"id\":{\"type\":\"integer\"},"
    "\"score\":{\"type\":\"number\"}},\"required\":[\"memory\",\"id\",\"score\"]}}},"
    "\"required\":[\"text\",\"bytes\",\"sources\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    context,
};
