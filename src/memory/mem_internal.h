/*
** mem_internal.h — what the files of the memory layer share.
**
** The layer sits above the store: it uses the vector shard only through
** the public API (sqlite_vector.h) and owns an sqlite3 connection of its
** own to the same file, on which it opens the shard as a borrowed
** connection, so one transaction covers an item's row, its FTS5 row, the
** per-dimension document counts and its vector.
**
** Files: text.c (UTF-8 checks, normalisation, tokens), hash_v1.c (the
** frozen embedder), embedder.c (the interface, custom embedders),
** embed_cmd.c (external command), mem_open.c (schema, embedder record),
** mem_write.c (items, experiences, outcomes), mem_search.c (vector, BM25,
** RRF, patterns), mem_curate.c (consolidation), mem_context.c (multi-shard
** synthesis), mem_json.c (JSON renderings).
*/
#ifndef SV_MEM_INTERNAL_H
#define SV_MEM_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlite3.h"
#include "sqlite_vector.h"
#include "sqlite_vector_memory.h"
#include "util/lock.h"

/* ---- text.c ---- */

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates, or code
** points above U+10FFFF). */
int sv__utf8_valid(const char *s, size_t len);

/* Check a caller's text: non-NULL (unless optional), valid UTF-8, at most
** max bytes, non-empty when required.  Writes a message naming `what` to
** err and returns SV_EINVAL on failure. */
int sv__check_text(const char *s, const char *what, size_t max, int required, char *err,
                   size_t errcap);

/* Tokens of a text per the hash-v1 spec (normalised, stopwords removed).
** Each token is NUL-terminated inside buf; tok[i] points at it. */
typedef struct sv_tokens {
  char *buf;
  size_t nbuf;
  char **tok;
  size_t n, cap;
} sv_tokens;
int sv__tokenize(const char *text, sv_tokens *out); /* 0 or -1 (no memory) */
void sv__tokens_free(sv_tokens *t);

/* ---- hash_v1.c ---- */
uint32_t sv__hash_v1_fnv(const char *s, size_t len, uint32_t seed);
/* Embed one (already validated) text into v[dim]; 0 or -1 (no memory). */
int sv__hash_v1_embed(const char *text, float *v, uint32_t dim);

/* ---- embedder.c ---- */
#define SV_EMB_ERRCAP 512
struct sv_embedder {
  char name[SV_MEM_MAX_SHORT];
  char version[64];
  uint32_t dim;
  int sparse; /* hash family: query-side IDF applies */
  sv_embed_fn fn;
  void *ctx;
  void (*free_ctx)(void *);
};
/* Per-thread message of the last failure on an embedder. */
void sv__emb_seterr(const char *fmt, ...);
const char *sv__emb_geterr(void);

/* ---- mem_json.c ---- */

/* A growable NUL-terminated string; oom is sticky (check it at the end). */
typedef struct sv_sbuf {
  char *s;
  size_t n, cap;
  int oom;
} sv_sbuf;
void sv__sbuf_put(sv_sbuf *b, const char *s, size_t len);
void sv__sbuf_fmt(sv_sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* s as a quoted, escaped JSON string (NULL: null). */
void sv__sbuf_json_str(sv_sbuf *b, const char *s);
/* Parse "[n, ...]" in s[0..end) into v: 0, SV_EIO (syntax, non-finite) or
** SV_EDIM (not exactly dim numbers), with a message naming vector `which`. */
int sv__parse_vector(const char *s, const char *end, float *v, uint32_t dim, size_t which,
                     char *err, size_t errcap);

/* ---- the memory handle ---- */
struct sv_mem {
  sqlite3 *db;
  sv_shard *shard;
  sv_embedder *emb;
  char *path;
  int readonly;
  sv_mutex mu;       /* one multi-statement operation at a time per handle */
  int32_t *df_delta; /* pending document-count changes (dim entries) */
  int64_t n_delta;   /* pending change of the counted items */
  int df_dirty;
  char err[512];
};

/* Every public entry point takes the handle's lock first. */
#define MEM_LOCK(m) sv_mutex_lock(&(m)->mu)
#define MEM_UNLOCK(m) sv_mutex_unlock(&(m)->mu)

int sv__mem_fail(sv_mem *m, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Map an SQLite result code to a status, recording the db message. */
int sv__mem_sqlfail(sv_mem *m, int sqlrc, const char *what);
/* Copy the shard's last message after a failed sv_* call. */
int sv__mem_shardfail(sv_mem *m, int rc, const char *what);
int64_t sv__now_ms(void);

/* Transactions on the memory connection. */
int sv__mem_begin(sv_mem *m);
int sv__mem_commit(sv_mem *m);
void sv__mem_rollback(sv_mem *m);

/* Embed one text with the handle's embedder; copies the embedder error. */
int sv__mem_embed1(sv_mem *m, const char *text, float *v);

/* Statistics for query IDF: add (sign +1) or remove (-1) one vector's
** non-zero dimensions.  Inside a transaction; the change is collected in
** memory and written by sv__mem_commit() (one blob write per transaction,
** not per item); sv__mem_rollback() drops it. */
int sv__mem_df_update(sv_mem *m, const float *v, int sign);
int sv__mem_df_flush(sv_mem *m);
void sv__mem_df_reset(sv_mem *m);
/* Re-weight query q in place with ln(1 + (N - df + .5)/(df + .5)). */
int sv__mem_apply_idf(sv_mem *m, float *q);

/* Insert one item row + FTS row + vector; returns its id.  In a transaction. */
typedef struct sv_mem_row {
  const char *title, *description, *content, *domain, *tags, *source_task, *metadata;
  int outcome;
  double quality;
  int64_t now_ms;
} sv_mem_row;
int sv__mem_insert_row(sv_mem *m, const sv_mem_row *r, const float *v, int64_t *id);
/* Delete item id everywhere (vector, FTS, df, row).  In a transaction. */
int sv__mem_delete_row(sv_mem *m, int64_t id);

/* Raw cosine of stored item vectors (no IDF): the nearest items to v. */
int sv__mem_nearest(sv_mem *m, const float *v, uint32_t k, float threshold, sv_results *out);

/* Duplicate a string (NULL stays NULL); -1 without memory. */
int sv__strdup(const char *s, char **out);

#endif /* SV_MEM_INTERNAL_H */
