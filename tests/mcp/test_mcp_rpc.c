/*
** test_mcp_rpc.c — the MCP server's JSON-RPC layer and tools, in process.
**
** The Node suite (test_mcp.mjs) drives the real binary through the SDK
** client; this suite drives the same library functions directly, so the
** protocol and tool code also run under ASan+UBSan, valgrind and coverage,
** which a child process behind Node would escape.  Each case sends one
** message through sv_mcp_handle() and looks at the reply text with cJSON;
** sv_mcp_serve() is run once over in-memory streams to check framing.
*/
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_vector_mcp.h"
#include "sqlite_vector_memory.h"
#include "sqlite_vector_sync.h"
#include "sv_test.h"

static sv_mcp_server *srv;

/* Send one message; returns the parsed reply (NULL when none). */
static cJSON *send_msg(const char *msg) {
  char *reply = NULL;
  int rc = sv_mcp_handle(srv, msg, strlen(msg), &reply);
  CHECK(rc == SV_OK, "handle rc %d for %s", rc, msg);
  if (!reply) return NULL;
  cJSON *r = cJSON_Parse(reply);
  CHECK(r != NULL, "reply is not JSON: %s", reply);
  free(reply);
  return r;
}

static int error_code(const cJSON *r) {
  const cJSON *c =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
  return cJSON_IsNumber(c) ? c->valueint : 0;
}

static void expect_error(const char *msg, int code) {
  cJSON *r = send_msg(msg);
  CHECK(r && error_code(r) == code, "want %d for %s", code, msg);
  cJSON_Delete(r);
}

/* tools/call `tool` with `args` (JSON text); returns the result object. */
static cJSON *call_tool(const char *tool, const char *args, int *is_error) {
  char msg[4096];
  snprintf(msg, sizeof msg,
           "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
           "\"arguments\":%s}}",
           tool, args);
  cJSON *r = send_msg(msg);
  cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(r, "result");
  cJSON_Delete(r);
  CHECK(res != NULL, "no result for %s", msg);
  *is_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError"));
  return res;
}

static double structured_num(const cJSON *res, const char *key) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(res, "structuredContent");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const cJSON *sc(const cJSON *res, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(res, "structuredContent"), key);
}

static void expect_tool_error(const char *tool, const char *args, const char *needle) {
  int err;
  cJSON *res = call_tool(tool, args, &err);
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "content"), 0);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
  CHECK(err && cJSON_IsString(t) && strstr(t->valuestring, needle), "%s %s: want error with '%s'",
        tool, args, needle);
  cJSON_Delete(res);
}

static void test_protocol(void) {
  cJSON *r = send_msg(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                                    "protocolVersion");
  CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "2024-11-05") == 0, "negotiated 2024-11-05");
  cJSON_Delete(r);
  r = send_msg(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"1999-01-01\"}}");
  v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                       "protocolVersion");
  CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "2025-11-25") == 0, "unknown -> latest");
  cJSON_Delete(r);
  CHECK(send_msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == NULL,
        "notification answered");
  CHECK(send_msg("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}") == NULL, "response answered");
  expect_error("{", -32700);
  expect_error("{} x", -32700);
  expect_error("{\"a\":\"\xc3\x28\"}", -32700);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"ping\"}", -32700);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":1.}}", -32700);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":[1e400]}}",
               -32600);
  expect_error("[]", -32600);
  expect_error("3", -32600);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", -32600);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"id\":2}", -32600);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\\u0000ing\"}", -32600);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", -32601);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":1}", -32602);
  expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}", -32602);
  expect_error(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}",
      -32602);
  char *reply = NULL;
  const char *idmsg = "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"ping\"}";
  CHECK_RC(sv_mcp_handle(srv, idmsg, strlen(idmsg), &reply), SV_OK);
  /* 2^53+1 is not a double; the nearest one is echoed as an integer. */
  CHECK(reply && strstr(reply, "\"id\":9007199254740992"), "id echo: %s", reply ? reply : "-");
  free(reply);
  CHECK_RC(sv_mcp_handle(srv, NULL, 0, &reply), SV_OK); /* empty text: a parse error */
  free(reply);
  CHECK_RC(sv_mcp_handle(NULL, "{}", 2, &reply), SV_EINVAL);
}

static void test_tools(const char *dir) {
  int err;
  char args[2048];
  cJSON_Delete(send_msg(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2024-11-05\"}}"));
  cJSON *r = call_tool("vector_shard_create", "{\"shard\":\"a\",\"dim\":3}", &err);
  CHECK(!err, "create");
  cJSON_Delete(r);
  r = call_tool("vector_insert",
                "{\"shard\":\"a\",\"items\":[{\"vector\":[1,0,0],\"metadata\":{\"k\":1}},"
                "{\"vector\":[0,1,0],\"id\":10},{\"vector\":[0,0,1]}]}",
                &err);
  CHECK(!err && structured_num(r, "count") == -1, "2024-11-05 has no structuredContent");
  cJSON_Delete(r);
  cJSON_Delete(send_msg(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2025-11-25\"}}"));
  r = call_tool("vector_shard_stats", "{\"shard\":\"a\"}", &err);
  CHECK(!err && structured_num(r, "count") == 3, "count 3");
  cJSON_Delete(r);
  r = call_tool("vector_search", "{\"shard\":\"a\",\"vector\":[0.9,0.1,0],\"k\":2}", &err);
  const cJSON *hits = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(r, "structuredContent"), "results");
  const cJSON *id0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(hits, 0), "id");
  CHECK(!err && cJSON_GetArraySize(hits) == 2 && cJSON_IsNumber(id0) && id0->valueint == 1,
        "search");
  cJSON_Delete(r);
  r = call_tool("vector_get", "{\"shard\":\"a\",\"id\":10}", &err);
  CHECK(!err && structured_num(r, "dim") == 3, "get");
  cJSON_Delete(r);
  r = call_tool("vector_delete", "{\"shard\":\"a\",\"id\":10}", &err);
  CHECK(!err, "delete");
  cJSON_Delete(r);
  expect_tool_error("vector_insert", "{\"shard\":\"a\",\"vector\":[1,2]}", "dimension");
  expect_tool_error("vector_insert", "{\"shard\":\"a\",\"text\":\"hi\"}", "plain vector shard");
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"text\":\"hi\"}", "embedder\":\"hash-v1");
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"vector\":[1,0,0],\"mode\":\"fuzzy\"}",
                    "mode");
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"vector\":[1,0,0],\"mode\":\"hnsw\"}",
                    "no HNSW index");
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"vector\":[1,0,0],\"ef\":0}", "'ef'");
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"vector\":[1,0,0],\"oversample\":-1}",
                    "'oversample'");
  /* An index built by another handle is used by the server's. */
  {
    sv_shard *sh = NULL;
    char file[700];
    snprintf(file, sizeof file, "%s/data/a.shard", dir);
    CHECK_RC(sv_shard_open(file, NULL, &sh), SV_OK);
    sv_index_options io = {1, 0, 0, SV_QUANT_INT8 | SV_QUANT_BINARY, NULL, NULL};
    CHECK_RC(sv_index_build(sh, &io), SV_OK);
    sv_shard_close(sh);
    static const char *const modes[][2] = {
        {"hnsw", "hnsw"}, {"quantized", "quantized-int8"}, {"binary", "quantized-binary"}};
    for (int i = 0; i < 3; i++) {
      char q[200];
      snprintf(q, sizeof q,
               "{\"shard\":\"a\",\"vector\":[0.9,0.1,0],\"k\":1,\"mode\":\"%s\",\"ef\":8}",
               modes[i][0]);
      cJSON *m = call_tool("vector_search", q, &err);
      const cJSON *mode = sc(m, "mode");
      const cJSON *hid =
          cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sc(m, "results"), 0), "id");
      CHECK(!err && cJSON_IsString(mode) && strcmp(mode->valuestring, modes[i][1]) == 0 &&
                cJSON_IsNumber(hid) && hid->valueint == 1,
            "mode %s", modes[i][0]);
      cJSON_Delete(m);
    }
  }
  expect_tool_error("vector_search", "{\"shard\":\"a\",\"vector\":[1,0,0],\"k\":1.5}", "'k'");
  expect_tool_error("vector_shard_stats", "{\"shard\":\"../a\"}", "invalid shard name");
  expect_tool_error("vector_shard_stats", "{\"shard\":\"zz\"}", "no shard named");
  expect_tool_error("vector_shard_stats", "{\"shard\":\"a\",\"x\":1}", "unknown argument 'x'");
  expect_tool_error("vector_get", "{\"shard\":\"a\"}", "missing required argument 'id'");
  snprintf(args, sizeof args, "%s/outside.txt", dir);
  FILE *f = fopen(args, "w");
  if (f) fclose(f);
  char link[1024];
  snprintf(link, sizeof link, "%s/data/ln.shard", dir);
  CHECK(symlink(args, link) == 0, "symlink");
  expect_tool_error("vector_shard_create", "{\"shard\":\"ln\",\"dim\":3}", "symbolic link");
  r = call_tool("vector_shard_stats", "{\"shard\":\"a\"}", &err);
  CHECK(!err && structured_num(r, "count") == 2 && structured_num(r, "deleted") == 1,
        "count unchanged by bad input");
  cJSON_Delete(r);
}

/* A custom embedder, to make a memory file this server cannot embed for. */
static int other_embed(void *ctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                       char *err, size_t errcap) {
  (void)ctx, (void)texts, (void)err, (void)errcap;
  for (size_t i = 0; i < n * dim; i++) out[i] = (float)(i % dim == 0);
  return 0;
}

/* Text shards, text insert and search, and the memory tools. */
static void test_text_memory(const char *dir) {
  int err;
  char path[1024];
  cJSON *r = call_tool("vector_shard_create",
                       "{\"shard\":\"t\",\"embedder\":\"hash-v1\",\"dim\":256}", &err);
  CHECK(!err && cJSON_IsTrue(sc(r, "created")) && structured_num(r, "dim") == 256, "text create");
  cJSON_Delete(r);
  r = call_tool("vector_shard_create", "{\"shard\":\"t\",\"embedder\":\"hash-v1\",\"dim\":256}",
                &err);
  CHECK(!err && cJSON_IsFalse(sc(r, "created")), "text create is idempotent");
  cJSON_Delete(r);
  expect_tool_error("vector_shard_create", "{\"shard\":\"t\",\"dim\":256}", "text shard");
  expect_tool_error("vector_shard_create", "{\"shard\":\"a\",\"embedder\":\"hash-v1\"}",
                    "plain vector shard");
  expect_tool_error("vector_shard_create", "{\"shard\":\"u\",\"embedder\":\"bert\"}", "hash-v1");
  r = call_tool("vector_insert",
                "{\"shard\":\"t\",\"text\":[\"sqlite stores rows in btrees\",\"cats chase "
                "mice at night\"],\"metadata\":{\"src\":\"doc\"}}",
                &err);
  CHECK(!err && structured_num(r, "count") == 2, "text insert");
  cJSON_Delete(r);
  r = call_tool("vector_search", "{\"shard\":\"t\",\"text\":\"cats and mice\",\"k\":1}", &err);
  const cJSON *h = cJSON_GetArrayItem(sc(r, "results"), 0);
  const cJSON *txt = cJSON_GetObjectItemCaseSensitive(h, "text");
  CHECK(!err && cJSON_IsString(txt) && strstr(txt->valuestring, "cats"), "text search");
  cJSON_Delete(r);
  expect_tool_error("vector_insert", "{\"shard\":\"t\",\"vector\":[1]}", "text shard");
  expect_tool_error("vector_insert", "{\"shard\":\"t\",\"text\":\"x\",\"id\":3}",
                    "only 'metadata'");
  expect_tool_error("vector_insert", "{\"shard\":\"t\",\"text\":[1]}", "text[0]");
  expect_tool_error("vector_search", "{\"shard\":\"t\",\"text\":\"a\",\"vector\":[1]}", "either");
  r = call_tool("vector_delete", "{\"shard\":\"t\",\"id\":1}", &err);
  CHECK(!err && cJSON_IsTrue(sc(r, "deleted")), "text delete");
  cJSON_Delete(r);
  r = call_tool("vector_shard_stats", "{\"shard\":\"t\"}", &err);
  CHECK(!err && structured_num(r, "count") == 1 && cJSON_IsString(sc(r, "embedder")), "text stats");
  cJSON_Delete(r);

  /* Another embedder's file: vectors only, text refused by name. */
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  CHECK_RC(sv_embedder_custom("mine", "2", 8, other_embed, NULL, NULL, &e), SV_OK);
  snprintf(path, sizeof path, "%s/data/other.shard", dir);
  CHECK_RC(sv_mem_open(path, e, SV_OPEN_CREATE, &m), SV_OK);
  const char *one = "hello";
  CHECK_RC(sv_mem_add_texts(m, &one, 1, NULL, NULL), SV_OK);
  sv_mem_close(m);
  sv_embedder_free(e);
  expect_tool_error("vector_search", "{\"shard\":\"other\",\"text\":\"hello\"}",
                    "embedder mine version 2");
  expect_tool_error("memory_find_patterns", "{\"memory\":\"other\",\"task\":\"x\"}",
                    "embedder mine");
  r = call_tool("vector_search", "{\"shard\":\"other\",\"vector\":[1,0,0,0,0,0,0,0]}", &err);
  CHECK(!err && structured_num(r, "count") == 1, "vectors still work on it");
  cJSON_Delete(r);

  /* Memory tools on the default memory. */
  expect_tool_error("memory_find_patterns", "{\"task\":\"x\"}", "no shard named 'memory'");
  r = call_tool("memory_store_experience",
                "{\"task\":\"fix flaky sqlite test\",\"success\":true,\"signals\":{"
                "\"duration_ms\":1000,\"iterations\":1},\"items\":[{\"title\":\"Retry on "
                "SQLITE_BUSY\",\"content\":\"Set a busy timeout before writing from two "
                "connections\",\"domain\":\"sqlite\",\"tags\":[\"sqlite\",\"retry\"]}]}",
                &err);
  const cJSON *it0 = cJSON_GetArrayItem(sc(r, "items"), 0);
  const cJSON *mid = cJSON_GetObjectItemCaseSensitive(it0, "id");
  CHECK(!err && cJSON_IsTrue(sc(r, "created")) && cJSON_IsNumber(mid), "store experience");
  int64_t item = cJSON_IsNumber(mid) ? (int64_t)mid->valuedouble : 0;
  cJSON_Delete(r);
  r = call_tool("memory_find_patterns", "{\"task\":\"sqlite busy timeout\",\"k\":2}", &err);
  const cJSON *p0 = cJSON_GetArrayItem(sc(r, "patterns"), 0);
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(p0, "id");
  CHECK(!err && cJSON_IsNumber(pid) && (int64_t)pid->valuedouble == item, "find patterns");
  cJSON_Delete(r);
  char args[256];
  snprintf(args, sizeof args, "{\"id\":%lld,\"success\":true}", (long long)item);
  r = call_tool("memory_record_outcome", args, &err);
  const cJSON *uses = cJSON_GetObjectItemCaseSensitive(sc(r, "item"), "uses");
  CHECK(!err && cJSON_IsNumber(uses) && uses->valueint == 1, "record outcome");
  cJSON_Delete(r);
  expect_tool_error("memory_record_outcome", "{\"id\":999,\"success\":true}",
                    "no memory item with id 999");
  expect_tool_error("memory_record_outcome", "{\"id\":1,\"success\":1}", "true or false");
  expect_tool_error("memory_store_experience",
                    "{\"task\":\"t\",\"success\":true,\"items\":[{\"title\":\"x\"}]}",
                    "no 'content'");
  expect_tool_error("memory_store_experience",
                    "{\"memory\":\"../x\",\"task\":\"t\",\"success\":true,\"items\":[{"
                    "\"title\":\"x\",\"content\":\"y\"}]}",
                    "invalid shard name");
  expect_tool_error("memory_store_experience",
                    "{\"memory\":\"a\",\"task\":\"t\",\"success\":true,\"items\":[{"
                    "\"title\":\"x\",\"content\":\"y\"}]}",
                    "plain vector shard");
  r = call_tool("memory_consolidate", "{}", &err);
  CHECK(!err && structured_num(r, "examined") >= 1, "consolidate");
  cJSON_Delete(r);
  expect_tool_error("memory_consolidate", "{\"dup_threshold\":2}", "dup_threshold");
  r = call_tool("memory_synthesize_context",
                "{\"task\":\"sqlite busy\",\"memories\":[\"memory\"],\"budget\":2000}", &err);
  const cJSON *src = cJSON_GetArrayItem(sc(r, "sources"), 0);
  const cJSON *sm = cJSON_GetObjectItemCaseSensitive(src, "memory");
  const cJSON *text = sc(r, "text");
  CHECK(!err && cJSON_IsString(sm) && strcmp(sm->valuestring, "memory") == 0 &&
            cJSON_IsString(text) && strlen(text->valuestring) <= 2000 &&
            strstr(text->valuestring, "busy") && strstr(text->valuestring, "(source: memory #") &&
            !strstr(text->valuestring, ".shard"),
        "synthesize context with provenance");
  cJSON_Delete(r);
  expect_tool_error("memory_synthesize_context", "{\"task\":\"x\",\"memories\":[\"memory\",\"t\"]}",
                    "one embedder");
  expect_tool_error("memory_synthesize_context", "{\"task\":\"x\",\"memories\":[\"/etc\"]}",
                    "invalid shard name");
  expect_tool_error("memory_synthesize_context", "{\"task\":\"x\",\"budget\":5}", "'budget'");
}

/* vector_sync_shard between two shards of the data directory. */
static void test_sync(void) {
  int err;
  cJSON_Delete(call_tool("vector_shard_create", "{\"shard\":\"s1\",\"dim\":2}", &err));
  cJSON_Delete(call_tool("vector_shard_create", "{\"shard\":\"s2\",\"dim\":2}", &err));
  cJSON_Delete(call_tool("vector_shard_create", "{\"shard\":\"s3\",\"dim\":3}", &err));
  cJSON_Delete(call_tool("vector_insert",
                         "{\"shard\":\"s1\",\"items\":[{\"vector\":[1,0],\"id\":1},"
                         "{\"vector\":[0,1],\"id\":2}]}",
                         &err));
  cJSON_Delete(call_tool("vector_insert", "{\"shard\":\"s2\",\"vector\":[1,1],\"id\":3}", &err));
  cJSON *r = call_tool("vector_sync_shard", "{\"shard\":\"s1\",\"peer_shard\":\"s2\"}", &err);
  CHECK(!err && structured_num(r, "rows_sent") == 2 && structured_num(r, "rows_applied") == 1 &&
            structured_num(r, "count") == 3,
        "local sync both ways");
  cJSON_Delete(r);
  r = call_tool("vector_shard_stats", "{\"shard\":\"s2\"}", &err);
  CHECK(!err && structured_num(r, "count") == 3, "the peer has every row");
  cJSON_Delete(r);
  cJSON_Delete(call_tool("vector_delete", "{\"shard\":\"s2\",\"id\":1}", &err));
  r = call_tool("vector_sync_shard",
                "{\"shard\":\"s1\",\"peer_shard\":\"s2\",\"direction\":\"pull\"}", &err);
  CHECK(!err && structured_num(r, "rows_sent") == 0 && structured_num(r, "count") == 2,
        "pull brings the delete");
  cJSON_Delete(r);
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer_shard\":\"s3\"}", "sync failed");
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer_shard\":\"s1\"}", "another");
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer_shard\":\"../s2\"}",
                    "invalid shard name");
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer_shard\":\"t\"}", "text shard");
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer\":\"127.0.0.1:9\"}",
                    "not configured");
  expect_tool_error("vector_sync_shard", "{\"shard\":\"s1\",\"peer\":\"nohost\"}", "host:port");
  expect_tool_error("vector_sync_shard",
                    "{\"shard\":\"s1\",\"peer_shard\":\"s2\",\"peer\":\"a:1\"}", "either");
  expect_tool_error("vector_sync_shard",
                    "{\"shard\":\"s1\",\"peer_shard\":\"s2\",\"direction\":\"up\"}", "direction");
  r = call_tool("vector_shard_stats", "{\"shard\":\"s1\"}", &err);
  CHECK(!err && structured_num(r, "count") == 2, "refused syncs changed nothing");
  cJSON_Delete(r);
}

/* Remote sync credentials are checked when the server is built. */
static void test_sync_config(const char *dir, const char *data) {
  char id[700], fp[65], msg[256];
  sv_mcp_server *s = NULL;
  snprintf(id, sizeof id, "%s/identity", dir);
  CHECK_RC(sv_sync_keygen(id, fp, msg, sizeof msg), SV_OK);
  sv_mcp_options only_id = {data, 0, id, NULL};
  CHECK_RC(sv_mcp_server_new(&only_id, &s), SV_EINVAL);
  CHECK(strstr(sv_mcp_errmsg(s), "--sync-allow") != NULL, "%s", sv_mcp_errmsg(s));
  sv_mcp_server_free(s);
  sv_mcp_options missing = {data, 0, "/nonexistent/identity", fp};
  CHECK_RC(sv_mcp_server_new(&missing, &s), SV_EINVAL);
  sv_mcp_server_free(s);
  sv_mcp_options good = {data, 0, id, fp};
  CHECK_RC(sv_mcp_server_new(&good, &s), SV_OK);
  sv_mcp_server_free(s);
}

/* More shards than the handle cache holds: the least recently used are
** closed and reopened on demand, and every shard keeps its rows. */
static void test_many_shards(void) {
  char args[256];
  int err, ok = 1;
  for (int i = 0; i < 40; i++) {
    snprintf(args, sizeof args, "{\"shard\":\"m%d\",\"dim\":2}", i);
    cJSON_Delete(call_tool("vector_shard_create", args, &err));
    ok &= !err;
    snprintf(args, sizeof args, "{\"shard\":\"m%d\",\"vector\":[%d,1]}", i, i + 1);
    cJSON_Delete(call_tool("vector_insert", args, &err));
    ok &= !err;
  }
  CHECK(ok, "40 shards created and written");
  for (int i = 0; i < 40; i++) {
    snprintf(args, sizeof args, "{\"shard\":\"m%d\"}", i);
    cJSON *r = call_tool("vector_shard_stats", args, &err);
    ok &= !err && structured_num(r, "count") == 1;
    cJSON_Delete(r);
  }
  CHECK(ok, "every shard still has its row after cache evictions");
}

/* sv_mcp_serve over in-memory streams: one reply line per request, blank
** lines and notifications skipped, SV_OK at end of input. */
static void test_serve(void) {
  const char in_text[] =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
      "\n"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
      "oops\n"
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
  FILE *in = fmemopen((void *)in_text, sizeof in_text - 1, "r");
  char *out_buf = NULL;
  size_t out_len = 0;
  FILE *out = open_memstream(&out_buf, &out_len);
  CHECK(in && out, "streams");
  if (!in || !out) return;
  CHECK_RC(sv_mcp_serve(srv, in, out), SV_OK);
  fclose(in);
  fclose(out);
  int lines = 0;
  for (size_t i = 0; i < out_len; i++) lines += out_buf[i] == '\n';
  CHECK(lines == 3 && out_len > 0 && out_buf[out_len - 1] == '\n', "3 reply lines, got %d", lines);
  CHECK(strstr(out_buf, "\"id\":1,\"result\":{}") != NULL, "ping reply: %s", out_buf);
  free(out_buf);
}

int main(void) {
  char dir[512], data[600];
  sv_test_path(dir, sizeof dir, "mcp_rpc", "dir");
  snprintf(data, sizeof data, "rm -rf '%s'", dir);
  if (system(data) != 0) return 1;
  snprintf(data, sizeof data, "%s/data", dir);

  sv_mcp_options o = {data, SV_MCP_LOG_OFF, NULL, NULL};
  CHECK_RC(sv_mcp_server_new(&o, &srv), SV_OK);
  test_protocol();
  test_tools(dir);
  test_text_memory(dir);
  test_sync();
  test_serve();
  test_many_shards();
  CHECK_RC(sv_mcp_server_free(srv), SV_OK);

  /* Restart: the data is found again. */
  CHECK_RC(sv_mcp_server_new(&o, &srv), SV_OK);
  int err;
  cJSON *r = call_tool("vector_shard_stats", "{\"shard\":\"a\"}", &err);
  CHECK(!err && structured_num(r, "count") == 2, "count after restart");
  cJSON_Delete(r);
  r = call_tool("memory_find_patterns", "{\"task\":\"sqlite busy timeout\"}", &err);
  CHECK(!err && cJSON_GetArraySize(sc(r, "patterns")) == 1, "memory found after restart");
  cJSON_Delete(r);
  CHECK_RC(sv_mcp_server_free(srv), SV_OK);

  sv_mcp_server *bad = NULL;
  sv_mcp_options none = {NULL, 0, NULL, NULL};
  CHECK_RC(sv_mcp_server_new(&none, &bad), SV_EINVAL);
  CHECK(strstr(sv_mcp_errmsg(bad), "data directory") != NULL, "%s", sv_mcp_errmsg(bad));
  sv_mcp_server_free(bad);
  sv_mcp_options badlvl = {data, 9, NULL, NULL};
  CHECK_RC(sv_mcp_server_new(&badlvl, &bad), SV_EINVAL);
  sv_mcp_server_free(bad);
  int lvl;
  test_sync_config(dir, data);
  CHECK_RC(sv_mcp_log_level_parse("debug", &lvl), SV_OK);
  CHECK_RC(sv_mcp_log_level_parse("loud", &lvl), SV_EINVAL);

  snprintf(data, sizeof data, "rm -rf '%s'", dir);
  if (system(data) != 0) return 1;
  return sv_test_done("test_mcp_rpc");
}
