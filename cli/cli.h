/*
** cli.h — what the files of the sqlite-vector command share.
**
** The program is one dispatcher (main.c) and one file per command
** (cmd_*.c), over a handful of helpers: strict argument parsing (args.c),
** shard opening and error reporting (shard.c), JSON output (out.c),
** .fvecs/.ivecs reading (vecfile.c), import-file loading (rows_*.c) and a
** progress bar (progress.c).  Commands talk to the engine only through the
** public header; nothing here knows about SQLite.
**
** Exit codes are a contract with scripts: 0 success, 1 the operation
** failed (bad data, missing shard, library error), 2 the command line was
** wrong (unknown option, malformed number, missing argument).  Every
** error goes to stderr as "sqlite-vector: <message>"; results go to stdout.
*/
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sqlite_vector.h"

#define CLI_OK 0
#define CLI_ERR 1
#define CLI_USAGE 2
/* Internal: the parser saw --help; the command prints help and exits 0. */
#define CLI_HELP 3

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ---- Commands (argv[0] is the command name) ---------------------------- */
int cmd_create(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_memory(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_compact(int argc, char **argv);
/* Parse --mode exact|quantized|binary|hnsw|auto into an sv_search_mode. */
int cli_parse_mode(const char *cmd, const char *s, int *out);

/* ---- Errors -------------------------------------------------------------- */

/* Print "sqlite-vector: <message>" to stderr. */
void cli_err(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Print the message and a hint to run `cmd --help`; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* ---- Argument parsing ---------------------------------------------------- */

typedef struct cli_opt {
  const char *name;   /* "--k" */
  const char **value; /* value option: receives the argument, else NULL */
  int *flag;          /* flag option: set to 1, else NULL */
} cli_opt;

/* The number of entries of an option table, so call sites cannot drift
** from the table when an option is added. */
#define CLI_NOPTS(opts) (sizeof(opts) / sizeof((opts)[0]))

/* Parse argv[1..argc) against `opts`: "--name value", "--name=value",
** flags, "--" to end options, and positional arguments (a lone "-" or a
** negative number is positional).  Between min_pos and max_pos positionals
** are stored in pos[].  Returns CLI_OK, CLI_HELP (for -h/--help anywhere
** before "--"), or CLI_USAGE after printing why (unknown or repeated
** option, missing value, wrong number of positionals; `synopsis` is shown
** for the latter). */
int cli_parse_args(const char *cmd, const char *synopsis, int argc, char **argv,
                   const cli_opt *opts, size_t nopts, const char **pos, size_t min_pos,
                   size_t max_pos, size_t *npos);

/* Parse "SHARD ID [--json]", the arguments of get and delete, into *path,
** *id and *json.  Returns CLI_OK, CLI_USAGE or CLI_HELP. */
int cli_parse_shard_id(const char *cmd, const char *synopsis, int argc, char **argv,
                       const char **path, int64_t *id, int *json);

/* Strict number parsing: the whole string must be the number (no spaces,
** no sign for unsigned values, no trailing junk, no overflow).  On failure
** print "<what> must be ..." and return -1. */
int cli_parse_u32(const char *what, const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cli_parse_i64(const char *what, const char *s, int64_t *out);
int cli_parse_float(const char *what, const char *s, float *out);

/* ---- Shards -------------------------------------------------------------- */

/* Open an existing shard (never creates one).  Prints the reason and
** returns CLI_ERR on failure (*out is then NULL). */
int cli_open_shard(const char *path, sv_shard **out);

/* Print "<context>: <sv_errmsg>" for failed status rc and return CLI_ERR. */
int cli_fail(sv_shard *sh, int rc, const char *context);

/* Warn on stderr when SV_SIMD asked for a backend this process does not
** use (the library itself stays silent). */
void cli_check_simd_env(void);

/* ---- Output -------------------------------------------------------------- */

/* Write s as a JSON string (quoted, escaped; invalid UTF-8 bytes become
** U+FFFD so the output always parses). */
void cli_out_str(FILE *f, const char *s);
/* Write a float so it reads back to the same float; null if not finite. */
void cli_out_float(FILE *f, float v);
/* Monotonic clock in seconds. */
double cli_now(void);

/* ---- Vector files -------------------------------------------------------- */

/* A whole .fvecs / .ivecs file: n rows of dim values, row-major. */
typedef struct cli_fvecs {
  size_t n;
  uint32_t dim;
  float *data;
} cli_fvecs;

typedef struct cli_ivecs {
  size_t n;
  uint32_t dim;
  int32_t *data;
} cli_ivecs;

/* Open path for reading when it is a regular file (a FIFO or directory
** cannot be read whole), with its size in *size.  Prints the reason and
** returns NULL otherwise. */
FILE *cli_open_regular(const char *path, size_t *size);

/* Read and validate a whole .fvecs file: every record must have the same
** dim (1..SV_MAX_DIM, and == want_dim when want_dim != 0), values must be
** finite, and the file must end on a record boundary.  Prints the problem
** (with the record number) and returns -1 on failure. */
int cli_read_fvecs(const char *path, uint32_t want_dim, cli_fvecs *out);
int cli_read_ivecs(const char *path, cli_ivecs *out);
void cli_fvecs_free(cli_fvecs *v);
void cli_ivecs_free(cli_ivecs *v);

/* ---- Import rows --------------------------------------------------------- */

/* Rows parsed from an import file, all validated, ready for
** sv_insert_batch. */
typedef struct cli_rows {
  size_t n;
  uint32_t dim;
  float *vecs;  /* n * dim */
  int64_t *ids; /* n; meaningful where has_id[i] */
  unsigned char *has_id;
  const char **meta; /* n; NUL-terminated JSON object text or NULL */
  char *text;        /* owned buffer the meta pointers point into */
} cli_rows;

void cli_rows_free(cli_rows *r);

/* Load a .fvecs file: row i gets id i + id_offset.  With reject_zero
** (the cosine metric) an all-zero vector is an error. */
int cli_rows_from_fvecs(const char *path, uint32_t dim, int64_t id_offset, int reject_zero,
                        cli_rows *out);

/* Load a JSON-lines file of {"id":..,"vector":[..],"metadata":{..}};
** explicit ids get id_offset added; errors name the line. */
int cli_rows_from_jsonl(const char *path, uint32_t dim, int64_t id_offset, int reject_zero,
                        cli_rows *out);

/* Parse a JSON array of exactly dim finite numbers (dim 0: any length >= 1)
** into a malloc'd vector.  `what` names the source in messages. */
int cli_parse_vector_json(const char *what, const char *text, uint32_t dim, float **out,
                          uint32_t *out_dim);

/* ---- Progress bar -------------------------------------------------------- */

/* Draws on stderr only when stderr is a terminal; otherwise does nothing. */
typedef struct cli_progress {
  int enabled;
  const char *label;
  size_t total;
  double t0, last;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, size_t total);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_finish(cli_progress *p);

#endif /* CLI_H */
