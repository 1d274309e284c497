/*
** sqlite_vector_memory.h — agent memory on top of sqlite-vector.
**
** Agents send text, not vectors.  This layer embeds text itself, keeps a
** ReasoningBank of memory items (title, one-sentence description, content,
** outcome, domain, tags, source task, times, uses, successes) in one shard
** file, and retrieves them by a hybrid of vector similarity and BM25 (SQLite
** FTS5) fused by reciprocal-rank fusion, scored with recency and a
** reliability that learns from reported outcomes.  docs/MEMORY.md has the
** formulas, defaults and limits.
**
** Conventions are those of sqlite_vector.h: every function that can fail
** returns an SV_* status; on failure nothing was written, and
** sv_mem_errmsg() / sv_embedder_errmsg() explain why.  Everything returned
** to the caller is owned by the caller and released with the matching
** *_free() function.
**
** Embedders are recorded per memory file (name, version, dimension): opening
** a file with another embedder fails (SV_EINVAL, or SV_EDIM for another
** dimension), so vectors from different spaces are never mixed and nothing
** falls back silently.
*/
#ifndef SQLITE_VECTOR_MEMORY_H
#define SQLITE_VECTOR_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text limits: every text field must be valid UTF-8; title, description,
** content and task at most SV_MEM_MAX_TEXT bytes; tags, domain and names
** at most SV_MEM_MAX_SHORT bytes. */
#define SV_MEM_MAX_TEXT (256 * 1024)
#define SV_MEM_MAX_SHORT 256
#define SV_MEM_MAX_ITEMS_PER_EXPERIENCE 16

/* ---- Embedders ------------------------------------------------------------ */

typedef struct sv_embedder sv_embedder;

/* The built-in hash-v1 embedder (docs/MEMORY.md): feature hashing of word
** unigrams and character 3-5-grams, sublinear TF, L2-normalised.  dim 0
** means the default 1024; otherwise 64..SV_MAX_DIM.  Frozen: the same text
** gives the same vector in every release (pinned by golden tests). */
#define SV_HASH_V1_DEFAULT_DIM 1024
SV_API int sv_embedder_hash_v1(uint32_t dim, sv_embedder **out);

/* A caller-supplied embedder.  fn writes n vectors of dim floats to out
** (row-major) and returns 0, or non-zero after writing a message to err
** (errcap bytes).  name/version identify the vector space (recorded in
** memory files).  free_ctx (may be NULL) is called with ctx on free. */
typedef int (*sv_embed_fn)(void *ctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                           char *err, size_t errcap);
SV_API int sv_embedder_custom(const char *name, const char *version, uint32_t dim, sv_embed_fn fn,
                              void *ctx, void (*free_ctx)(void *), sv_embedder **out);

/* An external program (run with /bin/sh -c `command`) that reads one JSON
** string per line on stdin and writes one JSON array of dim numbers per line
** on stdout.  The program is started per call; a call that takes longer
** than timeout_ms (0: 30000) is killed and fails with SV_EIO.  name is what
** is recorded in memory files ("cmd:<name>"). */
SV_API int sv_embedder_command(const char *name, const char *command, uint32_t dim,
                               uint32_t timeout_ms, sv_embedder **out);

/* An HTTP embedding service. */
typedef enum sv_http_kind {
  SV_HTTP_OPENAI = 1, /* POST {base}/v1/embeddings {"model","input":[..]} -> data[i].embedding */
  SV_HTTP_OLLAMA = 2  /* POST {base}/api/embed {"model","input":[..]} -> embeddings[i] */
} sv_http_kind;

typedef struct sv_http_options {
  sv_http_kind kind;
  const char *base_url; /* "http://127.0.0.1:11434" (http or https) */
  const char *model;    /* recorded as "<openai|ollama>:<model>" */
  const char *api_key;  /* sent as "Authorization: Bearer ..." when not NULL */
  uint32_t dim;         /* the model's dimension, checked on every answer */
  uint32_t timeout_ms;  /* per request; 0: 30000 */
  uint32_t retries;     /* extra attempts after a connection error, timeout, 429
                           or 5xx (backoff 200 ms, doubling); 4xx never retried */
  uint32_t batch;       /* texts per request; 0: 64 */
} sv_http_options;

/* An embedder over HTTP (libcurl).  SV_EINVAL for bad options, or when the
** library was built without libcurl (the message says so). */
SV_API int sv_embedder_http(const sv_http_options *opts, sv_embedder **out);

SV_API void sv_embedder_free(sv_embedder *e);

/* Embed n texts into out (n * dim floats).  Every text must be valid UTF-8
** of at most SV_MEM_MAX_TEXT bytes.  An external embedder's answer is
** checked (count, dimension, finite values).  Returns SV_OK, SV_EINVAL
** (bad text), SV_EIO (embedder failed or timed out), SV_EDIM (wrong
** dimension returned), SV_ENOMEM. */
SV_API int sv_embed(sv_embedder *e, const char *const *texts, size_t n, float *out);

/* Name ("hash-v1"), version ("1") and dimension.  Strings are owned by the
** embedder. */
SV_API const char *sv_embedder_name(const sv_embedder *e);
SV_API const char *sv_embedder_version(const sv_embedder *e);
SV_API uint32_t sv_embedder_dim(const sv_embedder *e);
/* Message of the last failure on e (this thread), or "not an error". */
SV_API const char *sv_embedder_errmsg(const sv_embedder *e);

/* ---- Opening a memory file ------------------------------------------------ */

typedef struct sv_mem sv_mem;

/* Open (flags SV_OPEN_CREATE: create) the memory file at path (or
** ":memory:") with embedder e, which is borrowed and must outlive the
** handle.  A new file records e's name, version and dimension; an existing
** one must have been made with the same embedder (SV_EINVAL / SV_EDIM
** otherwise).  As with sv_shard_open, *out is set even on failure (NULL
** only without memory) and must be closed with sv_mem_close(). */
SV_API int sv_mem_open(const char *path, sv_embedder *e, int flags, sv_mem **out);
SV_API int sv_mem_close(sv_mem *m);

/* The embedder recorded in the memory file at path, without opening it
** for use: name and version (NUL-terminated, truncated to the capacities)
** and dimension, so a program can build the matching embedder.  Returns
** SV_ENOTFOUND (no file), SV_EFORMAT (not a memory file) or SV_EIO, with
** the reason in errbuf. */
SV_API int sv_mem_file_embedder(const char *path, char *name, size_t name_cap, char *version,
                                size_t version_cap, uint32_t *dim, char *errbuf, size_t errcap);
/* The message of the last failed call on m.  A handle may be shared by
** threads (calls are serialised by its lock), but the message is per
** handle: read it right after the failure.  Never NULL. */
SV_API const char *sv_mem_errmsg(const sv_mem *m);

/* ---- Memory items ----------------------------------------------------------- */

#define SV_MEM_OUTCOME_NONE 0    /* plain text, no outcome */
#define SV_MEM_OUTCOME_SUCCESS 1 /* learned from a successful trajectory */
#define SV_MEM_OUTCOME_FAILURE 2 /* lesson from a failed trajectory */

/* An item to store.  title and content are required (non-empty);
** description, domain, tags (a JSON array of strings, or NULL) and
** source_task may be NULL. */
typedef struct sv_mem_item_in {
  const char *title;
  const char *description;
  const char *content;
  const char *domain;
  const char *tags; /* JSON array of strings, e.g. ["sql","retry"] */
} sv_mem_item_in;

/* A stored item as read back. */
typedef struct sv_mem_item {
  int64_t id;
  char *title, *description, *content, *domain, *tags, *source_task;
  int outcome; /* SV_MEM_OUTCOME_* */
  int64_t created_ms, last_used_ms;
  int64_t uses, successes, evidence; /* evidence: experiences merged in */
  double quality;                    /* quality of the experience that made it */
  double reliability;                /* (successes + 1) / (uses + 2) */
  int contradictions;                /* contradiction links recorded */
} sv_mem_item;

SV_API int sv_mem_get(sv_mem *m, int64_t id, sv_mem_item *out);
SV_API void sv_mem_item_free(sv_mem_item *it);
/* Number of live items. */
SV_API int sv_mem_count(sv_mem *m, int64_t *out);

/* Store plain texts (outcome NONE, empty title, the text as content) in
** one transaction; all or nothing.  metadata is a JSON object (or NULL)
** stored with each vector for search filters.  ids (may be NULL) receives
** the n ids. */
SV_API int sv_mem_add_texts(sv_mem *m, const char *const *texts, size_t n, const char *metadata,
                            int64_t *ids);

/* Signals of one finished task, used for the quality score:
**   quality = (success ? 0.6 : 0.1) + 0.2*max(0, 1 - duration_ms/60000)
**           + 0.1*max(0, 1 - tokens/10000) + 0.1*max(0, 1 - iterations/5),
** capped at 1.  An unknown signal (negative; all of them when signals is
** NULL) contributes half its weight (0.1, 0.05, 0.05). */
typedef struct sv_mem_signals {
  double duration_ms;
  double tokens;
  double iterations;
} sv_mem_signals;

typedef struct sv_mem_store_options {
  double min_quality;   /* items below it are not stored; default 0.3 */
  double dup_threshold; /* cosine >= it with the same outcome merges; 0.92 */
  int64_t now_ms;       /* 0: the clock (tests and simulations set it) */
} sv_mem_store_options;

/* What store_experience did with each item. */
#define SV_MEM_STORED 1
#define SV_MEM_MERGED 2
#define SV_MEM_SKIPPED 3 /* quality below the threshold */

typedef struct sv_mem_store_result {
  double quality;
  size_t n;                                     /* = n items given */
  int64_t ids[SV_MEM_MAX_ITEMS_PER_EXPERIENCE]; /* stored or merged-into id; 0 if skipped */
  int actions[SV_MEM_MAX_ITEMS_PER_EXPERIENCE]; /* SV_MEM_STORED / MERGED / SKIPPED */
} sv_mem_store_result;

/* ReasoningBank store: the items distilled from one task's trajectory.
** success: non-zero when the task succeeded.  opts may be NULL.  In one
** transaction: all items are stored/merged or none. */
SV_API int sv_mem_store_experience(sv_mem *m, const char *task, int success,
                                   const sv_mem_item_in *items, size_t n,
                                   const sv_mem_signals *signals, const sv_mem_store_options *opts,
                                   sv_mem_store_result *out);

/* Record the judged outcome of using item id: uses += 1, successes +=
** success, last_used = now.  SV_ENOTFOUND for an unknown id. */
SV_API int sv_mem_record_outcome(sv_mem *m, int64_t id, int success, int64_t now_ms);

/* Delete an item (its vector, text index row and statistics). */
SV_API int sv_mem_delete(sv_mem *m, int64_t id);

/* ---- Search ----------------------------------------------------------------- */

typedef enum sv_mem_mode {
  SV_MEM_HYBRID = 0, /* RRF of vector and BM25 lists (default) */
  SV_MEM_VECTOR = 1, /* embedder similarity only (hash-v1: with query IDF) */
  SV_MEM_BM25 = 2    /* FTS5 BM25 only */
} sv_mem_mode;

typedef struct sv_mem_search_options {
  uint32_t k;           /* results; default 10 */
  sv_mem_mode mode;     /* default hybrid */
  double vector_weight; /* RRF weight of the vector list; <= 0: 0.5 */
  double bm25_weight;   /* RRF weight of the BM25 list; <= 0: 1.0 */
  uint32_t rrf_k;       /* RRF constant; 0: 60 */
  uint32_t depth;       /* candidates per list; 0: max(100, 4k) */
  const char *filter;   /* sv_search filter over item metadata, or NULL */
} sv_mem_search_options;

typedef struct sv_mem_hit {
  int64_t id;
  double score;      /* RRF score, cosine similarity or BM25 (higher first) */
  double similarity; /* cosine with the query (vector list), 0 if absent */
} sv_mem_hit;

typedef struct sv_mem_hits {
  size_t n;
  sv_mem_hit *hits;
} sv_mem_hits;

SV_API int sv_mem_search(sv_mem *m, const char *query, const sv_mem_search_options *opts,
                         sv_mem_hits *out);
SV_API void sv_mem_hits_free(sv_mem_hits *h);

/* find_similar_patterns: candidates are items with similarity >= threshold;
**   score = alpha*similarity + beta*2^(-age_days/half_life_days)
**         + gamma*(successes+1)/(uses+2)
** age from the later of created and last used.  With mmr_lambda in (0,1]
** items are picked greedily by lambda*score - (1-lambda)*max cosine to the
** items already picked; 0 turns MMR off. */
typedef struct sv_mem_pattern_options {
  uint32_t k;                /* default 1 (the paper's best) */
  double threshold;          /* minimum similarity (when use_threshold) */
  int use_threshold;         /* non-zero: threshold given (else 0.01) */
  double alpha, beta, gamma; /* all 0: 0.65, 0.15, 0.20 */
  double half_life_days;     /* 0: 30 */
  double mmr_lambda;         /* 0: off; e.g. 0.7 */
  const char *domain;        /* only items of this domain, or NULL */
  int64_t now_ms;            /* 0: the clock */
} sv_mem_pattern_options;

typedef struct sv_mem_pattern {
  int64_t id;
  double score, similarity, recency, reliability;
} sv_mem_pattern;

typedef struct sv_mem_patterns {
  size_t n;
  sv_mem_pattern *p;
} sv_mem_patterns;

SV_API int sv_mem_find_patterns(sv_mem *m, const char *task, const sv_mem_pattern_options *opts,
                                sv_mem_patterns *out);
SV_API void sv_mem_patterns_free(sv_mem_patterns *p);

/* ---- Curation ---------------------------------------------------------------- */

typedef struct sv_mem_consolidate_options {
  double dup_threshold;     /* 0: 0.92 */
  double contra_threshold;  /* 0: 0.80 */
  double prune_age_days;    /* 0: 90; unused for longer than this */
  double prune_reliability; /* 0: 0.3; and reliability below this */
  int64_t now_ms;           /* 0: the clock */
} sv_mem_consolidate_options;

#define SV_MEM_ACT_MERGED 1      /* item a was merged into item b (a deleted) */
#define SV_MEM_ACT_CONTRADICTS 2 /* items a and b contradict each other */
#define SV_MEM_ACT_PRUNED 3      /* item a was deleted as stale and unreliable */

typedef struct sv_mem_consolidate_action {
  int kind; /* SV_MEM_ACT_* */
  int64_t a, b;
} sv_mem_consolidate_action;

typedef struct sv_mem_consolidate_report {
  int64_t examined, merged, contradictions, pruned;
  size_t n_actions;
  sv_mem_consolidate_action *actions; /* what was done, in order */
} sv_mem_consolidate_report;

/* Merge near-duplicates with the same outcome (keep the more reliable,
** sum uses/successes/evidence, record duplicate_of), record contradictions
** (similar, opposite outcomes) and delete stale unreliable items.  One
** transaction.  *out is overwritten (release an earlier report first) and
** released with sv_mem_consolidate_report_free(), also after a failure. */
SV_API int sv_mem_consolidate(sv_mem *m, const sv_mem_consolidate_options *opts,
                              sv_mem_consolidate_report *out);
SV_API void sv_mem_consolidate_report_free(sv_mem_consolidate_report *r);

/* ---- Context synthesis across shards -------------------------------------- */

typedef struct sv_mem_source {
  char *shard; /* path of the memory file */
  int64_t id;
  double score;
} sv_mem_source;

typedef struct sv_mem_context {
  char *text; /* prompt-ready block, at most budget bytes; "" if nothing */
  size_t n;
  sv_mem_source *sources; /* provenance of each included item, in order */
} sv_mem_context;

/* Query each memory file in paths (opened read-only with embedder e) with
** find_patterns(task, opts with k per shard), merge by score, drop
** duplicates (same title or cosine >= 0.92) and format the best items into
** a block of at most budget bytes (items that do not fit whole are left
** out).  Errors name the failing file. errbuf receives the message. */
SV_API int sv_mem_synthesize_context(sv_embedder *e, const char *task, const char *const *paths,
                                     size_t npaths, size_t budget,
                                     const sv_mem_pattern_options *opts, sv_mem_context *out,
                                     char *errbuf, size_t errcap);
SV_API void sv_mem_context_free(sv_mem_context *c);

/* ---- JSON renderings (for the CLI and MCP) --------------------------------- */

/* Malloc'd JSON object text of an item; NULL without memory. */
SV_API char *sv_mem_item_json(const sv_mem_item *it);

/* The results below as one JSON object (malloc'd into *out, released with
** free()); hits and patterns read each item from m to include it:
**   {"hits":[{"id","score","similarity","item":{..}}]}
**   {"patterns":[{"id","score","similarity","recency","reliability","item":{..}}]}
** Return SV_OK, SV_ENOMEM, or the failure of reading an item (message on
** m). */
SV_API int sv_mem_hits_json(sv_mem *m, const sv_mem_hits *h, char **out);
SV_API int sv_mem_patterns_json(sv_mem *m, const sv_mem_patterns *p, char **out);
/* {"quality":q,"items":[{"action":"stored|merged|skipped","id":n|null}]},
** {"examined","merged","contradictions","pruned","actions":[{"action":
** "merged","id":a,"into":b} | {"action":"contradicts","a":a,"b":b} |
** {"action":"pruned","id":a}]} and
** {"text":"..","sources":[{"shard","id","score"}]}; NULL without memory. */
SV_API char *sv_mem_store_result_json(const sv_mem_store_result *r);
SV_API char *sv_mem_consolidate_json(const sv_mem_consolidate_report *r);
SV_API char *sv_mem_context_json(const sv_mem_context *c);

#ifdef __cplusplus
}
#endif
#endif /* SQLITE_VECTOR_MEMORY_H */
