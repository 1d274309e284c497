/*
** mcp.h — what the files of the MCP server share.
**
** The server is a face: it reaches the engine only through the public
** headers in include/, never src/store or src/vec.  It is layered as
**
**   jsonrpc.c    one message in, one reply out: framing checks, JSON-RPC
**                envelope, method dispatch, error replies
**   methods.c    initialize (version negotiation), ping, tools/list,
**                tools/call
**   registry.c   the tool table, schemas parsed once, generic argument
**                checks (unknown and missing arguments)
**   datadir.c    the data directory, shard-name validation, open handles
**   textshard.c  text shards (memory files): their embedder, memory handles
**   args.c       typed argument readers that turn bad input into tool errors
**   tool_*.c     one file per group of tools
**   log.c        leveled messages on stderr
**
** A tool is a row in the table of registry.c: name, description, input and
** output JSON Schemas (as JSON text) and a handler.  A handler validates
** its arguments, does its work through the public API, and either fills
** res->structured with its result object or records a tool error with
** mcp_fail(); methods.c turns that into MCP content.  To add a tool, write
** a tool_*.c file defining an mcp_tool and list it in registry.c.
*/
#ifndef SV_MCP_INTERNAL_H
#define SV_MCP_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"
#include "sqlite_vector_mcp.h"
#include "sqlite_vector_memory.h"

#if defined(__GNUC__)
#define MCP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MCP_PRINTF(a, b)
#endif

/* JSON-RPC error codes. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

/* Protocol revisions, oldest first; the last is offered by default. */
#define MCP_LATEST_VERSION "2025-11-25"
/* structuredContent, outputSchema and titles appeared in this revision. */
#define MCP_STRUCTURED_VERSION "2025-06-18"
/* Tool annotations appeared in this revision. */
#define MCP_ANNOTATIONS_VERSION "2025-03-26"

/* Largest open-handle cache; the least recently used shard is closed. */
#define MCP_MAX_OPEN_SHARDS 32
#define MCP_MAX_NAME 64

/* ---- Tools ------------------------------------------------------------- */

/* The outcome of one tool call: exactly one of the two is set. */
typedef struct mcp_result {
  cJSON *structured; /* success: the result object (owned) */
  char *error;       /* tool error: message for the model (malloc'd) */
} mcp_result;

/* The public handle type, under a short name inside the server. */
typedef struct sv_mcp_server mcp_server;

/* Tool hints, reported as MCP tool annotations. */
#define MCP_HINT_READ_ONLY 0x1
#define MCP_HINT_DESTRUCTIVE 0x2
#define MCP_HINT_IDEMPOTENT 0x4

/* A handler returns SV_OK with res->structured set, or a non-zero value
** after mcp_fail() (a tool error reported with isError). */
typedef int (*mcp_tool_fn)(mcp_server *srv, const cJSON *args, mcp_result *res);

typedef struct mcp_tool {
  const char *name;
  const char *title;
  const char *description;
  const char *input_schema;  /* JSON Schema text, "type":"object" */
  const char *output_schema; /* JSON Schema text of the structured result */
  unsigned hints;            /* MCP_HINT_* */
  mcp_tool_fn call;
} mcp_tool;

/* Tools defined in tool_*.c. */
extern const mcp_tool mcp_tool_shard_create;
extern const mcp_tool mcp_tool_shard_stats;
extern const mcp_tool mcp_tool_insert;
extern const mcp_tool mcp_tool_search;
extern const mcp_tool mcp_tool_get;
extern const mcp_tool mcp_tool_delete;
extern const mcp_tool mcp_tool_mem_store;
extern const mcp_tool mcp_tool_mem_find;
extern const mcp_tool mcp_tool_mem_outcome;
extern const mcp_tool mcp_tool_mem_consolidate;
extern const mcp_tool mcp_tool_mem_context;
extern const mcp_tool mcp_tool_sync;

/* A registered tool with its schemas parsed once at start-up. */
typedef struct mcp_tool_entry {
  const mcp_tool *tool;
  cJSON *input;  /* parsed input_schema */
  cJSON *output; /* parsed output_schema or NULL */
} mcp_tool_entry;

/* registry.c: parse every schema (SV_EINTERNAL names a broken one). */
int mcp_registry_init(mcp_server *srv);
void mcp_registry_free(mcp_server *srv);
size_t mcp_registry_count(const mcp_server *srv);
const mcp_tool_entry *mcp_registry_at(const mcp_server *srv, size_t i);
const mcp_tool_entry *mcp_registry_find(const mcp_server *srv, const char *name);
/* Refuse arguments the schema does not list and missing required ones. */
int mcp_registry_check_args(const mcp_tool_entry *e, const cJSON *args, mcp_result *res);

/* ---- The server ---------------------------------------------------------- */

typedef struct mcp_open_shard {
  char name[MCP_MAX_NAME + 1];
  sv_shard *shard;
  uint64_t last_use;
  uint64_t dev, ino; /* the file the handle opened, to notice it being replaced */
  /* A text shard (memory file) records its embedder; a plain one has
  ** emb_name "".  emb and mem are opened on first text use. */
  char emb_name[SV_MEM_MAX_SHORT + 1], emb_version[64];
  uint32_t emb_dim;
  sv_embedder *emb;
  sv_mem *mem;
} mcp_open_shard;

/* The name memory tools use when no 'memory' argument is given. */
#define MCP_DEFAULT_MEMORY "memory"

struct sv_mcp_server {
  char *data_dir; /* canonical absolute path, no trailing '/' */
  int dir_fd;     /* the data directory, for *at() checks */
  int log_level;
  char protocol[16]; /* negotiated revision, "" before initialize */
  int initialized;   /* notifications/initialized seen */
  mcp_tool_entry *tools;
  size_t ntools;
  mcp_open_shard open[MCP_MAX_OPEN_SHARDS];
  size_t nopen;
  uint64_t use_clock;
  char *sync_identity; /* remote sync credentials (sv_mcp_options), or NULL */
  char *sync_allow;
  char err[512];
};
/* Record a server-level error message; returns rc. */
int mcp_server_fail(mcp_server *srv, int rc, const char *fmt, ...) MCP_PRINTF(3, 4);
/* Non-zero when the negotiated revision is at least `version`. */
int mcp_version_at_least(const mcp_server *srv, const char *version);

/* methods.c: run a request's method.  Returns the result object, or NULL
** with *code and msg (of msg_size bytes) set to a JSON-RPC error. */
cJSON *mcp_method_call(mcp_server *srv, const char *method, const cJSON *params, int *code,
                       char *msg, size_t msg_size);
/* Handle a notification (never answered). */
void mcp_method_notify(mcp_server *srv, const char *method, const cJSON *params);

/* ---- Data directory (datadir.c) ------------------------------------------ */

int mcp_datadir_open(mcp_server *srv, const char *dir);
void mcp_datadir_close(mcp_server *srv, int *rc);
/* Check a shard name: 1..64 of [A-Za-z0-9_.-], starting with a letter or
** digit, no "..".  Returns SV_OK or SV_EINVAL with a reason in why. */
int mcp_name_check(const char *name, char *why, size_t why_size);
/* The file of shard `name` (DATA/NAME.shard) into buf, after checking the
** name and that neither it nor its -wal/-shm/-journal files are symlinks
** or other non-regular files.  *exists says whether the shard file is
** there.  Tool error on refusal. */
int mcp_shard_path(mcp_server *srv, const char *name, char *buf, size_t size, int *exists,
                   mcp_result *res);
/* An open handle on existing shard `name` (cached; opened durable).  Tool
** error when the name is refused or there is no such shard. */
int mcp_shard_get(mcp_server *srv, const char *name, sv_shard **out, mcp_result *res);
/* The cache entry of existing shard `name` (as mcp_shard_get).  The
** pointer is valid until the next call that opens a shard. */
int mcp_shard_entry(mcp_server *srv, const char *name, mcp_open_shard **out, mcp_result *res);
/* Non-zero when creating shard `name` makes a new file: there is none (or
** an empty one) and no handle on it.  `exists` from mcp_shard_path. */
int mcp_shard_fresh(mcp_server *srv, const char *name, int exists);
/* Close an entry's handles (memory, embedder, shard). */
void mcp_entry_close(mcp_open_shard *c);

/* ---- Text shards (textshard.c) ------------------------------------------- */

/* Record what the file at path says about text (its embedder, if any). */
int mcp_text_probe(mcp_open_shard *c, const char *path, mcp_result *res);
/* The entry of text shard `name` with its embedder and memory handle open.
** Tool error for a plain shard (saying how to make a text shard) or one
** whose embedder this server does not have.  `what` names the argument
** kind in messages ("shard" or "memory"). */
int mcp_text_get(mcp_server *srv, const char *name, const char *what, mcp_open_shard **out,
                 mcp_result *res);
/* Create (or find, with the same embedder and dim) text shard `name`
** with embedder `embedder` ("hash-v1"); dim 0 means its default. */
int mcp_text_create(mcp_server *srv, const char *name, const char *embedder, uint32_t dim,
                    int *created, mcp_open_shard **out, mcp_result *res);
/* A tool error for a failed memory call: "<what>: <sv_mem_errmsg>". */
int mcp_fail_mem(mcp_result *res, sv_mem *m, int rc, const char *what);

/* Create (or find, with the same dim and metric) shard `name`; *created
** tells which.  The directory entry is fsynced so the new file survives a
** crash. */
int mcp_shard_create(mcp_server *srv, const char *name, uint32_t dim, sv_metric metric,
                     sv_shard **out, int *created, mcp_result *res);

/* ---- Arguments and results (args.c) -------------------------------------- */

/* Record a tool error; returns SV_EINVAL so handlers can `return mcp_fail(..)`. */
int mcp_fail(mcp_result *res, const char *fmt, ...) MCP_PRINTF(2, 3);
/* A tool error for a failed library call: "<what>: <sv_errmsg>". */
int mcp_fail_sv(mcp_result *res, sv_shard *s, int rc, const char *what);
/* Finish a handler with result object `o` (owned; freed on failure): when
** o is non-NULL and building it did not fail, it becomes res->structured
** and SV_OK is returned; otherwise a tool error with message `oom` (out of
** memory while building it, saying what was already done) and SV_EINVAL. */
int mcp_result_set(mcp_result *res, cJSON *o, int failed, const char *oom);
void mcp_result_clear(mcp_result *res);

/* The argument `key` of args, or NULL when absent (or JSON null). */
const cJSON *mcp_arg(const cJSON *args, const char *key);
/* Required string argument (non-empty). */
int mcp_arg_string(const cJSON *args, const char *key, const char **out, mcp_result *res);
/* Optional integer in [min, max]; *present says whether it was given. */
int mcp_arg_int(const cJSON *args, const char *key, int64_t min, int64_t max, int64_t *out,
                int *present, mcp_result *res);
/* A row id: an integer within +-2^53 (exact in a JSON number). */
int mcp_json_id(const cJSON *v, const char *what, int64_t *out, mcp_result *res);
/* Required row id argument `key` (as mcp_json_id). */
int mcp_arg_id(const cJSON *args, const char *key, int64_t *out, mcp_result *res);
/* Optional finite number; *present says whether it was given. */
int mcp_arg_number(const cJSON *args, const char *key, double *out, int *present, mcp_result *res);
/* Optional boolean with a default. */
int mcp_arg_bool(const cJSON *args, const char *key, int dflt, int *out, mcp_result *res);
/* An array of finite numbers (1..SV_MAX_DIM) as a malloc'd float array. */
int mcp_json_vector(const cJSON *v, const char *what, float **out, uint32_t *dim, mcp_result *res);
/* Optional object argument as compact JSON text (malloc'd), NULL when absent. */
int mcp_json_object_text(const cJSON *v, const char *what, char **out, mcp_result *res);
/* The optional 'memory' argument (a shard name), or MCP_DEFAULT_MEMORY. */
int mcp_arg_memory(const cJSON *args, const char **out, mcp_result *res);
/* Add the JSON object text `json` (malloc'd, freed here) under `key`, or
** merge its members into obj when key is NULL. */
int mcp_add_json(cJSON *obj, const char *key, char *json);

/* An integer as a JSON number printed exactly (cJSON would print a double
** with 15 digits); mcp_add_int adds one to obj and returns it, NULL when
** out of memory. */
cJSON *mcp_int(int64_t v);
cJSON *mcp_add_int(cJSON *obj, const char *key, int64_t v);
/* A copy of a request id for the reply: strings as they are, numbers
** printed exactly when they are integers (the common case), else in the
** shortest form that reads back to the same double. */
cJSON *mcp_id_copy(const cJSON *id);
/* A float as a JSON number with 9 significant digits (reads back exactly). */
cJSON *mcp_float(float f);
/* Parsed metadata text, or an empty object when it does not parse. */
cJSON *mcp_metadata(const char *text);
/* Add `v` under `key`; on a NULL v (out of memory) returns SV_ENOMEM. */
int mcp_add(cJSON *obj, const char *key, cJSON *v);

/* ---- Logging (log.c) ------------------------------------------------------ */

void mcp_log(const mcp_server *srv, int level, const char *fmt, ...) MCP_PRINTF(3, 4);

#endif /* SV_MCP_INTERNAL_H */
