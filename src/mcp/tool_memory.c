/*
** tool_memory.c — memory_store_experience, memory_find_patterns and
** memory_record_outcome: the ReasoningBank loop of an agent.
**
** After a task the agent stores the lessons it distilled (items with a
** title, content and optional description, domain and tags) together with
** whether the task succeeded and, when known, how long it took; before a
** task it asks for the patterns most similar to it; after using a pattern
** it reports whether it helped, which moves the item's reliability.  Each
** tool is a thin mapping onto sv_mem_store_experience, sv_mem_find_patterns
** and sv_mem_record_outcome, whose results the library already renders as
** JSON; the tools add the memory's name and pass that JSON on as
** structuredContent.
**
** A memory is a text shard of the data directory (textshard.c), named by
** the optional 'memory' argument with the shard-name rules; without it the
** tools use the shard "memory".  Storing into a memory that does not exist
** creates it with hash-v1 (1024-d), so an agent needs no set-up call; the
** read tools never create anything and report a missing memory as an
** error.  Every argument is read and checked before the memory is opened,
** and the library writes all items of an experience in one transaction, so
** a refused call changes nothing.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

#define MAX_PATTERNS 100

/* Optional string member of an item; *out stays NULL when absent. */
static int item_string(const cJSON *it, size_t i, const char *key, int required, const char **out,
                       mcp_result *res) {
  const cJSON *v = mcp_arg(it, key);
  *out = NULL;
  if (!v) return required ? mcp_fail(res, "items[%zu] has no '%s'", i, key) : SV_OK;
  if (!cJSON_IsString(v) || (required && !v->valuestring[0]))
    return mcp_fail(res, "items[%zu].%s must be a %sstring", i, key, required ? "non-empty " : "");
  *out = v->valuestring;
  return SV_OK;
}

/* items[] into ins (tags rendered as JSON text into tags[i]). */
static int read_items(const cJSON *items, sv_mem_item_in *ins, char **tags, size_t *n,
                      mcp_result *res) {
  int count = cJSON_GetArraySize(items);
  if (!cJSON_IsArray(items) || count < 1 || count > SV_MEM_MAX_ITEMS_PER_EXPERIENCE)
    return mcp_fail(res, "argument 'items' must be an array of 1 to %d items",
                    SV_MEM_MAX_ITEMS_PER_EXPERIENCE);
  for (const cJSON *it = items->child; it; it = it->next) {
    size_t i = (*n)++;
    if (!cJSON_IsObject(it)) return mcp_fail(res, "items[%zu] must be an object", i);
    for (const cJSON *k = it->child; k; k = k->next) {
      if (strcmp(k->string, "title") && strcmp(k->string, "description") &&
          strcmp(k->string, "content") && strcmp(k->string, "domain") && strcmp(k->string, "tags"))
        return mcp_fail(res,
                        "items[%zu]: unknown key '%.60s' (keys: title, description, content, "
                        "domain, tags)",
                        i, k->string);
    }
    if (item_string(it, i, "title", 1, &ins[i].title, res) != SV_OK ||
        item_string(it, i, "content", 1, &ins[i].content, res) != SV_OK ||
        item_string(it, i, "description", 0, &ins[i].description, res) != SV_OK ||
        item_string(it, i, "domain", 0, &ins[i].domain, res) != SV_OK)
      return SV_EINVAL;
    const cJSON *t = mcp_arg(it, "tags");
    if (t) {
      if (!cJSON_IsArray(t)) return mcp_fail(res, "items[%zu].tags must be an array of strings", i);
      for (const cJSON *s = t->child; s; s = s->next) {
        if (!cJSON_IsString(s))
          return mcp_fail(res, "items[%zu].tags must be an array of strings", i);
      }
      if (!(tags[i] = cJSON_PrintUnformatted(t))) return mcp_fail(res, "out of memory");
      ins[i].tags = tags[i];
    }
  }
  return SV_OK;
}

/* The optional signals object; *have says whether it was given. */
static int read_signals(const cJSON *args, sv_mem_signals *sig, int *have, mcp_result *res) {
  static const char *const KEYS[] = {"duration_ms", "tokens", "iterations"};
  double *slots[] = {&sig->duration_ms, &sig->tokens, &sig->iterations};
  const cJSON *v = mcp_arg(args, "signals");
  *have = v != NULL;
  sig->duration_ms = sig->tokens = sig->iterations = -1; /* unknown */
  if (!v) return SV_OK;
  if (!cJSON_IsObject(v))
    return mcp_fail(res, "argument 'signals' must be an object {duration_ms, tokens, iterations}");
  for (const cJSON *k = v->child; k; k = k->next) {
    size_t j = 0;
    while (j < 3 && strcmp(k->string, KEYS[j]) != 0) j++;
    if (j == 3)
      return mcp_fail(res, "signals: unknown key '%.60s' (keys: duration_ms, tokens, iterations)",
                      k->string);
    if (!cJSON_IsNumber(k) || !isfinite(k->valuedouble) || k->valuedouble < 0)
      return mcp_fail(res, "signals.%s must be a number >= 0", KEYS[j]);
    *slots[j] = k->valuedouble;
  }
  return SV_OK;
}

/* A number argument within [lo, hi]. */
static int arg_range(const cJSON *args, const char *key, double lo, double hi, double *out,
                     int *present, mcp_result *res) {
  if (mcp_arg_number(args, key, out, present, res) != SV_OK) return SV_EINVAL;
  if (*present && (*out < lo || *out > hi))
    return mcp_fail(res, "argument '%s' must be between %g and %g", key, lo, hi);
  return SV_OK;
}

static int store(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc, success, have_sig, have_q, created = 0;
  const char *mem, *task;
  sv_mem_item_in ins[SV_MEM_MAX_ITEMS_PER_EXPERIENCE];
  char *tags[SV_MEM_MAX_ITEMS_PER_EXPERIENCE] = {0};
  size_t n = 0;
  sv_mem_signals sig;
  sv_mem_store_options so = {0.3, 0.92, 0};
  sv_mem_store_result out;
  mcp_open_shard *c;
  cJSON *o = NULL;
  memset(ins, 0, sizeof ins);

  if ((rc = mcp_arg_memory(args, &mem, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_string(args, "task", &task, res)) != SV_OK) goto cleanup;
  if (!cJSON_IsBool(mcp_arg(args, "success"))) {
    rc = mcp_fail(res, "argument 'success' must be true or false");
    goto cleanup;
  }
  success = cJSON_IsTrue(mcp_arg(args, "success"));
  if ((rc = read_items(mcp_arg(args, "items"), ins, tags, &n, res)) != SV_OK) goto cleanup;
  if ((rc = read_signals(args, &sig, &have_sig, res)) != SV_OK) goto cleanup;
  if ((rc = arg_range(args, "min_quality", 0, 1, &so.min_quality, &have_q, res)) != SV_OK)
    goto cleanup;
  if ((rc = mcp_text_create(srv, mem, "hash-v1", 0, &created, &c, res)) != SV_OK) {
    /* An existing memory of another size or embedder is used as it is. */
    mcp_result_clear(res);
    if ((rc = mcp_text_get(srv, mem, "memory", &c, res)) != SV_OK) goto cleanup;
  }
  rc = sv_mem_store_experience(c->mem, task, success, ins, n, have_sig ? &sig : NULL, &so, &out);
  if (rc != SV_OK) {
    rc = mcp_fail_mem(res, c->mem, rc, "store failed, nothing was written");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "memory", mem) ||
               !cJSON_AddBoolToObject(o, "created", created) ||
               mcp_add_json(o, NULL, sv_mem_store_result_json(&out)) != SV_OK;
  rc = mcp_result_set(res, o, failed, "out of memory (the experience was stored)");
cleanup:
  for (size_t i = 0; i < SV_MEM_MAX_ITEMS_PER_EXPERIENCE; i++) cJSON_free(tags[i]);
  return rc;
}

#define MEMORY_ARG                                                                     \
  "\"memory\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\"," \
  "\"default\":\"memory\",\"description\":\"Memory name (a text shard of the data directory)\"}"

#define ITEM_SCHEMA                                                                               \
  "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"                           \
  "\"title\":{\"type\":\"string\"},\"description\":{\"type\":[\"string\",\"null\"]},"             \
  "\"content\":{\"type\":\"string\"},\"outcome\":{\"type\":\"string\"},"                          \
  "\"domain\":{\"type\":[\"string\",\"null\"]},\"source_task\":{\"type\":[\"string\",\"null\"]}," \
  "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"                                 \
  ","                                                                                             \
  "\"uses\":{\"type\":\"integer\"},\"successes\":{\"type\":\"integer\"},"                         \
  "\"reliability\":{\"type\":\"number\"}},\"required\":[\"id\",\"title\",\"content\"]}"

const mcp_tool mcp_tool_mem_store = {
    "memory_store_experience",
    "Store an experience",
    "Store what was learned from one finished task (ReasoningBank): 1 to 16 memory items "
    "(title, content, optional description, domain, tags), whether the task succeeded, and "
    "optional signals (duration_ms, tokens, iterations) that set the experience's quality. "
    "Items below min_quality (default 0.3) are skipped; an item nearly identical to a stored "
    "one with the same outcome is merged into it. All items are written in one transaction. "
    "The memory (default \"memory\") is created with the hash-v1 embedder if it does not exist.",
    "{\"type\":\"object\",\"properties\":{" MEMORY_ARG
    ","
    "\"task\":{\"type\":\"string\",\"description\":\"The task the experience came from\"},"
    "\"success\":{\"type\":\"boolean\",\"description\":\"Whether the task succeeded\"},"
    "\"items\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":16,\"items\":{"
    "\"type\":\"object\",\"properties\":{"
    "\"title\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},"
    "\"content\":{\"type\":\"string\"},\"domain\":{\"type\":\"string\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
    "\"required\":[\"title\",\"content\"],\"additionalProperties\":false},"
    "\"description\":\"Lessons distilled from the task\"},"
    "\"signals\":{\"type\":\"object\",\"properties\":{\"duration_ms\":{\"type\":\"number\","
    "\"minimum\":0},\"tokens\":{\"type\":\"number\",\"minimum\":0},\"iterations\":{\"type\":"
    "\"number\",\"minimum\":0}},\"additionalProperties\":false,"
    "\"description\":\"What the task cost (unknown ones count half)\"},"
    "\"min_quality\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1,\"default\":0.3,"
    "\"description\":\"Experiences of lower quality are not stored\"}},"
    "\"required\":[\"task\",\"success\",\"items\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\"},\"created\":{\"type\":\"boolean\"},"
    "\"quality\":{\"type\":\"number\"},\"items\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"action\":{\"type\":\"string\","
    "\"enum\":[\"stored\",\"merged\",\"skipped\"]},\"id\":{\"type\":[\"integer\",\"null\"]}},"
    "\"required\":[\"action\",\"id\"]}}},"
    "\"required\":[\"memory\",\"created\",\"quality\",\"items\"]}",
    0,
    store,
};

static int find(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc, have;
  const char *mem, *task;
  int64_t k = 3;
  sv_mem_pattern_options po;
  sv_mem_patterns p = {0, NULL};
  mcp_open_shard *c;
  char *json = NULL;
  cJSON *o = NULL;
  memset(&po, 0, sizeof po);

  if ((rc = mcp_arg_memory(args, &mem, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_string(args, "task", &task, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_int(args, "k", 1, MAX_PATTERNS, &k, &have, res)) != SV_OK) goto cleanup;
  po.k = (uint32_t)k;
  if ((rc = arg_range(args, "threshold", -1, 1, &po.threshold, &po.use_threshold, res)) != SV_OK)
    goto cleanup;
  if ((rc = arg_range(args, "mmr_lambda", 0, 1, &po.mmr_lambda, &have, res)) != SV_OK) goto cleanup;
  const cJSON *d = mcp_arg(args, "domain");
  if (d && (!cJSON_IsString(d) || !d->valuestring[0])) {
    rc = mcp_fail(res, "argument 'domain' must be a non-empty string");
    goto cleanup;
  }
  po.domain = d ? d->valuestring : NULL;
  if ((rc = mcp_text_get(srv, mem, "memory", &c, res)) != SV_OK) goto cleanup;
  if ((rc = sv_mem_find_patterns(c->mem, task, &po, &p)) != SV_OK ||
      (rc = sv_mem_patterns_json(c->mem, &p, &json)) != SV_OK) {
    rc = mcp_fail_mem(res, c->mem, rc, "find_patterns failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "memory", mem);
  if (!failed) {
    char *j = json;
    json = NULL; /* mcp_add_json takes it */
    failed = mcp_add_json(o, NULL, j) != SV_OK;
  }
  rc = mcp_result_set(res, o, failed, "out of memory");
cleanup:
  free(json);
  sv_mem_patterns_free(&p);
  return rc;
}

const mcp_tool mcp_tool_mem_find = {
    "memory_find_patterns",
    "Find relevant patterns",
    "Find the stored memory items most useful for a task: candidates similar to the task "
    "(similarity >= threshold) ranked by 0.65*similarity + 0.15*recency + 0.20*reliability. "
    "Optional domain filter and MMR diversity (mmr_lambda, e.g. 0.7). Returns each pattern's "
    "scores and the full item.",
    "{\"type\":\"object\",\"properties\":{" MEMORY_ARG
    ","
    "\"task\":{\"type\":\"string\",\"description\":\"The task at hand\"},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":3,"
    "\"description\":\"Number of patterns\"},"
    "\"threshold\":{\"type\":\"number\",\"minimum\":-1,\"maximum\":1,"
    "\"description\":\"Minimum similarity (default 0.01)\"},"
    "\"domain\":{\"type\":\"string\",\"description\":\"Only items of this domain\"},"
    "\"mmr_lambda\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1,"
    "\"description\":\"0: off; in (0,1]: trade score against diversity\"}},"
    "\"required\":[\"task\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\"},\"patterns\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
    "\"score\":{\"type\":\"number\"},\"similarity\":{\"type\":\"number\"},"
    "\"recency\":{\"type\":\"number\"},\"reliability\":{\"type\":\"number\"},"
    "\"item\":" ITEM_SCHEMA
    "},\"required\":[\"id\",\"score\",\"similarity\",\"item\"]}}},"
    "\"required\":[\"memory\",\"patterns\"]}",
    MCP_HINT_READ_ONLY | MCP_HINT_IDEMPOTENT,
    find,
};

static int outcome(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc;
  const char *mem;
  int64_t id;
  mcp_open_shard *c;
  sv_mem_item it;
  cJSON *o = NULL;
  memset(&it, 0, sizeof it);

  if ((rc = mcp_arg_memory(args, &mem, res)) != SV_OK) goto cleanup;
  if ((rc = mcp_arg_id(args, "id", &id, res)) != SV_OK) goto cleanup;
  if (!cJSON_IsBool(mcp_arg(args, "success"))) {
    rc = mcp_fail(res, "argument 'success' must be true or false");
    goto cleanup;
  }
  if ((rc = mcp_text_get(srv, mem, "memory", &c, res)) != SV_OK) goto cleanup;
  rc = sv_mem_record_outcome(c->mem, id, cJSON_IsTrue(mcp_arg(args, "success")), 0);
  if (rc == SV_ENOTFOUND) {
    rc = mcp_fail(res, "no memory item with id %lld in memory '%s'", (long long)id, mem);
    goto cleanup;
  }
  if (rc != SV_OK || (rc = sv_mem_get(c->mem, id, &it)) != SV_OK) {
    rc = mcp_fail_mem(res, c->mem, rc, "record_outcome failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed = !o || !cJSON_AddStringToObject(o, "memory", mem) ||
               mcp_add_json(o, "item", sv_mem_item_json(&it)) != SV_OK;
  rc = mcp_result_set(res, o, failed, "out of memory (the outcome was recorded)");
cleanup:
  sv_mem_item_free(&it);
  return rc;
}

const mcp_tool mcp_tool_mem_outcome = {
    "memory_record_outcome",
    "Record a pattern's outcome",
    "Report whether using memory item `id` helped (success true) or not: its uses grow by one "
    "and its successes by one on success, so its reliability (successes+1)/(uses+2) and its "
    "rank in memory_find_patterns follow. Returns the updated item. An unknown id is an error.",
    "{\"type\":\"object\",\"properties\":{" MEMORY_ARG
    ","
    "\"id\":{\"type\":\"integer\",\"description\":\"Memory item id (from memory_find_patterns)\"},"
    "\"success\":{\"type\":\"boolean\",\"description\":\"Whether using the item helped\"}},"
    "\"required\":[\"id\",\"success\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"memory\":{\"type\":\"string\"},\"item\":" ITEM_SCHEMA
    "},"
    "\"required\":[\"memory\",\"item\"]}",
    0,
    outcome,
};
