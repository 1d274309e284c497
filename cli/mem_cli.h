/*
** mem_cli.h — what the `sqlite-vector memory` files share.
**
** cmd_memory.c dispatches the subcommands and holds the ones that work on
** one memory file; cmd_memory_eval.c is the retrieval evaluator.  Both
** build their embedder from the same options (mem_cli_embedder), so a
** file is always opened with the embedder the user named, and the library
** refuses it when that is not the one the file was written with.
*/
#ifndef MEM_CLI_H
#define MEM_CLI_H

#include "cli.h"
#include "sqlite_vector_memory.h"

/* Embedder options every memory subcommand accepts. */
typedef struct mem_cli_emb {
  const char *dim;      /* --dim: hash-v1 dimension */
  const char *cmd;      /* --embed-cmd: external command */
  const char *cmd_name; /* --embed-name */
  const char *cmd_dim;  /* --embed-dim */
  const char *timeout;  /* --embed-timeout-ms */
  const char *http;     /* --embed-http openai|ollama */
  const char *url;      /* --embed-url */
  const char *model;    /* --embed-model */
  const char *retries;  /* --embed-retries */
} mem_cli_emb;

/* clang-format off */
#define MEM_CLI_EMB_OPTS(e)                                                         \
  {"--dim", &(e).dim, NULL}, {"--embed-cmd", &(e).cmd, NULL},                       \
  {"--embed-name", &(e).cmd_name, NULL}, {"--embed-dim", &(e).cmd_dim, NULL},       \
  {"--embed-timeout-ms", &(e).timeout, NULL}, {"--embed-http", &(e).http, NULL},    \
  {"--embed-url", &(e).url, NULL}, {"--embed-model", &(e).model, NULL},             \
  {"--embed-retries", &(e).retries, NULL}
/* clang-format on */

#define MEM_CLI_EMB_HELP                                                             \
  "Embedder (recorded in the file; it must match on every later use):\n"             \
  "  --dim N              hash-v1 dimension, 64..16384 (default 1024)\n"             \
  "  --embed-cmd CMD      external embedder: CMD reads one JSON string per line\n"   \
  "                       on stdin and writes one JSON array of numbers per line\n"  \
  "  --embed-name NAME    its name as recorded (default \"cmd\")\n"                  \
  "  --embed-http KIND    HTTP embedding service: openai (POST URL/v1/embeddings)\n" \
  "                       or ollama (POST URL/api/embed); the API key, if any,\n"    \
  "                       is read from the environment variable SV_EMBED_API_KEY\n"  \
  "  --embed-url URL      the service's base URL, e.g. http://127.0.0.1:11434\n"     \
  "  --embed-model M      the model name (recorded as KIND:M)\n"                     \
  "  --embed-dim N        the dimension (required with --embed-cmd/--embed-http)\n"  \
  "  --embed-timeout-ms N time limit per call or request (default 30000)\n"          \
  "  --embed-retries N    HTTP retries after timeouts, 429 and 5xx (default 2)\n"

/* Build the embedder; prints the problem and returns CLI_USAGE/CLI_ERR.
** Without any embedder option and with an existing memory `file` (may be
** NULL), the file's recorded embedder is used when it is hash-v1 (any
** dimension); for another recorded embedder the message says which
** options to pass. */
int mem_cli_embedder(const mem_cli_emb *o, const char *file, sv_embedder **out);

/* Apply --vector-weight vw and --bm25-weight bw (either may be NULL) to so:
** search and eval take the same RRF weights and must refuse the same values.
** Returns -1 when either is not a number > 0, 0 otherwise. */
int mem_cli_weights(const char *vw, const char *bw, sv_mem_search_options *so);

int cmd_memory_eval(int argc, char **argv);

#endif /* MEM_CLI_H */
