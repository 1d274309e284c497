/*
** sqlite_vector.h — the public C API of libsqlitevector.
**
** A *shard* is one SQLite database file holding float32 vectors of one
** fixed dimension, each with a JSON metadata document, a per-shard write
** version, a hybrid-logical-clock timestamp, an origin node id and a
** tombstone flag.  Exact k-nearest-neighbour search runs over an in-memory
** mirror of the live vectors using the fastest SIMD kernels the CPU has.
**
** Conventions (every function below follows them):
**   - Every function that can fail returns an int status: SV_OK (0) on
**     success, one of the SV_E* codes otherwise.
**   - On failure nothing in the shard has changed, and sv_errmsg() on the
**     handle returns a human-readable explanation for the calling thread.
**   - Memory returned to the caller (records, results) is owned by the
**     caller and released with the matching sv_*_free() function.
**   - A shard handle may be shared between threads.  Searches run
**     concurrently; writes are serialised.  Several processes may open the
**     same file; a write committed by one is visible to the next search of
**     the others.
*/
#ifndef SQLITE_VECTOR_H
#define SQLITE_VECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SV_API __declspec(dllexport)
#elif defined(__GNUC__)
#define SV_API __attribute__((visibility("default")))
#else
#define SV_API
#endif

#define SV_VERSION_STRING "0.1.0"
/* On-disk format version written to new shards (see docs/ARCHITECTURE.md).
** A shard with a newer format version is refused with SV_EFORMAT. */
#define SV_FORMAT_VERSION 1
#define SV_MAX_DIM 16384

/* Status codes. */
#define SV_OK 0
#define SV_EINVAL 1     /* an argument is invalid (NULL, out of range, NaN) */
#define SV_EDIM 2       /* vector dimension does not match the shard */
#define SV_ENOTFOUND 3  /* no live row with that id */
#define SV_EIO 4        /* the file could not be read or written */
#define SV_ENOMEM 5     /* out of memory */
#define SV_EEXIST 6     /* a live row with that id already exists */
#define SV_EFORMAT 7    /* not a shard, corrupt, or a newer format version */
#define SV_EBUSY 8      /* the database stayed locked past the busy timeout */
#define SV_EJSON 9      /* metadata or filter is not valid JSON / not allowed */
#define SV_EREADONLY 10 /* write attempted on a read-only shard */
#define SV_EINTERNAL 11 /* an invariant failed; please report it */

typedef enum sv_metric {
  SV_METRIC_UNSET = 0, /* on open: take the metric stored in the file */
  SV_METRIC_COSINE = 1,
  SV_METRIC_L2 = 2,
  SV_METRIC_DOT = 3
} sv_metric;

typedef struct sv_shard sv_shard;

/* Open flags. */
#define SV_OPEN_CREATE 0x1   /* create the file if it does not exist */
#define SV_OPEN_READONLY 0x2 /* open read-only; writes fail with SV_EREADONLY */
/* Every write is on stable storage when the call returns (SQLite's
** synchronous=FULL: the WAL is fsynced at each commit), not only safe
** from a process crash.  Costs one fsync per write call. */
#define SV_OPEN_DURABLE 0x4

typedef struct sv_open_options {
  uint32_t dim;     /* 1..SV_MAX_DIM; 0 = take it from the existing file */
  sv_metric metric; /* SV_METRIC_UNSET = take it from the file (cosine when
                       creating) */
  int flags;        /* SV_OPEN_* */
} sv_open_options;

/* ---- Opening and closing ------------------------------------------------ */

/* Open (and with SV_OPEN_CREATE, create) the shard at `path` (or
** ":memory:").  Reopening reads dimension and metric from the file; a
** conflicting non-zero dim or set metric fails with SV_EDIM / SV_EINVAL.
** On failure *out is still set to a handle that carries the error message
** (NULL only when even that could not be allocated); the caller must
** sv_shard_close() it either way. */
SV_API int sv_shard_open(const char *path, const sv_open_options *opts, sv_shard **out);

/* Open the shard stored in schema `schema` ("main" when NULL) of a
** connection the caller already owns (used by the SQL extension).  The
** connection is borrowed: sv_shard_close() does not close it, and it must
** outlive the handle.  `db` is a sqlite3*; it is void* here so this header
** does not require sqlite3.h.  Same failure contract as sv_shard_open(). */
SV_API int sv_shard_open_db(void *db, const char *schema, const sv_open_options *opts,
                            sv_shard **out);

/* Close the handle and free everything it owns.  NULL is a no-op.  Returns
** SV_OK, or SV_EIO if SQLite could not close cleanly (the handle is freed
** anyway). */
SV_API int sv_shard_close(sv_shard *shard);

/* The message of the last failed call made on `shard` by this thread, or
** "not an error".  Valid until the next call on the handle.  Never NULL. */
SV_API const char *sv_errmsg(const sv_shard *shard);

/* A static name for a status code ("SV_EDIM", ...). Never NULL. */
SV_API const char *sv_errstr(int status);

/* ---- Writing -------------------------------------------------------------
** `metadata` is a JSON object text or NULL (stored as "{}").  Vectors must
** have exactly the shard's dimension and only finite components.  For the
** cosine metric a zero vector is rejected (it has no direction). */

/* Insert a vector under a new id (one larger than any id ever used);
** stores the id in *out_id when out_id is not NULL. */
SV_API int sv_insert(sv_shard *shard, const float *vec, uint32_t dim, const char *metadata,
                     int64_t *out_id);

/* Insert under caller-chosen `id`; SV_EEXIST if a live row has that id
** (a tombstoned id may be reused). */
SV_API int sv_insert_id(sv_shard *shard, int64_t id, const float *vec, uint32_t dim,
                        const char *metadata);

/* Insert or replace the row `id`. */
SV_API int sv_upsert(sv_shard *shard, int64_t id, const float *vec, uint32_t dim,
                     const char *metadata);

typedef struct sv_item {
  int64_t id;           /* used when has_id is non-zero */
  int has_id;           /* 0: a new id is assigned */
  const float *vec;     /* shard dimension floats */
  const char *metadata; /* JSON object text or NULL */
} sv_item;

#define SV_BATCH_UPSERT 0x1 /* existing ids are replaced, not an error */

/* Write `n` items in one transaction: either all are stored or none.  On
** failure the message names the index of the offending item.  When out_ids
** is not NULL it receives the n ids. */
SV_API int sv_insert_batch(sv_shard *shard, const sv_item *items, size_t n, uint32_t dim, int flags,
                           int64_t *out_ids);

/* Delete row `id` (it becomes a tombstone carrying a new version).
** SV_ENOTFOUND when there is no live row with that id. */
SV_API int sv_delete(sv_shard *shard, int64_t id);

/* ---- Reading ------------------------------------------------------------ */

typedef struct sv_record {
  int64_t id;
  uint32_t dim;
  float *vec;     /* dim floats as stored (not normalised) */
  char *metadata; /* JSON text */
  int64_t version;
  int64_t hlc;    /* hybrid logical clock: ms << 16 | logical counter */
  int64_t origin; /* node id of the writer */
} sv_record;

/* Fetch live row `id` into *out (SV_ENOTFOUND if absent or deleted).
** Release with sv_record_free(). */
SV_API int sv_get(sv_shard *shard, int64_t id, sv_record *out);
SV_API void sv_record_free(sv_record *rec);

/* ---- Search --------------------------------------------------------------
** Scores: cosine -> cosine similarity in [-1, 1]; dot -> dot product;
** both sorted descending.  l2 -> Euclidean distance, sorted ascending.
** Ties are broken by ascending id, so results are deterministic. */

/* Search modes (sv_search_options.mode).  0 = auto keeps older callers'
** behaviour: exact below SV_AUTO_MIN_ROWS rows or when no index exists. */
typedef enum sv_search_mode {
  SV_MODE_AUTO = 0,      /* the planner chooses (see sv_results.plan) */
  SV_MODE_EXACT = 1,     /* exact float32 scan */
  SV_MODE_QUANTIZED = 2, /* int8 scan + exact rescoring of an oversampled set */
  SV_MODE_BINARY = 3,    /* sign-bit scan + exact rescoring */
  SV_MODE_HNSW = 4       /* HNSW graph (scores are exact float32 scores) */
} sv_search_mode;

/* Auto mode scans exactly below this many live rows. */
#define SV_AUTO_MIN_ROWS 10000
#define SV_DEFAULT_EF_SEARCH 64
#define SV_DEFAULT_OVERSAMPLE_INT8 10
#define SV_DEFAULT_OVERSAMPLE_BINARY 40

typedef struct sv_search_options {
  uint32_t k; /* >= 1; more than the live (matching) rows returns them
                 all */
  int use_threshold;
  float threshold; /* cosine/dot: minimum score; l2: maximum distance */
  /* Structured metadata filter as JSON, or NULL.  An object whose keys are
  ** field paths ("a" or "a.b") and whose values are either a scalar
  ** (equality) or an operator object with $eq $ne $lt $lte $gt $gte $in;
  ** all conditions are combined with AND.  Example:
  **   {"lang":"en","year":{"$gte":2020,"$lt":2024},"tag":{"$in":["a","b"]}}
  ** With a filter, exactly min(k, matching rows) results are returned. */
  const char *filter;
  int with_metadata; /* non-zero: fill sv_hit.metadata */
} sv_search_options;

typedef struct sv_hit {
  int64_t id;
  float score;
  char *metadata; /* NULL unless with_metadata */
} sv_hit;

typedef struct sv_results {
  size_t n;
  sv_hit *hits;
} sv_results;

/* Exact k-NN search.  *out must be released with sv_results_free() (also
** after a failure, where it is empty). */
SV_API int sv_search(sv_shard *shard, const float *query, uint32_t dim,
                     const sv_search_options *opts, sv_results *out);
SV_API void sv_results_free(sv_results *res);

/* How to search (sv_search_ex).  All zero = auto with default ef and
** oversampling, which is what sv_search does. */
typedef struct sv_ann_options {
  int mode;            /* sv_search_mode; a mode whose structure is missing
                          fails with SV_ENOTFOUND naming the command that
                          builds it */
  uint32_t ef;         /* HNSW candidates kept, 1..100000 (0 = 64) */
  uint32_t oversample; /* quantized modes rescore k * oversample rows,
                          1..10000 (0 = 10 for int8, 40 for binary) */
} sv_ann_options;

/* sv_search with a search mode.  `ann` NULL means all defaults (auto).
** When `plan` is not NULL it receives what the planner ran, a static
** string: "exact", "exact-prefilter", "quantized-int8", "quantized-binary",
** "hnsw" or "hnsw-filtered".  Scores are always exact float32 scores; with
** a filter exactly min(k, matching rows) results are returned in every
** mode.  Same failure contract as sv_search. */
SV_API int sv_search_ex(sv_shard *shard, const float *query, uint32_t dim,
                        const sv_search_options *opts, const sv_ann_options *ann, sv_results *out,
                        const char **plan);

/* ---- Indexes (HNSW graph, quantized codes) and compaction ---------------
** The choices are stored in the shard (so every handle and process uses
** them); the structures themselves are derived from the vectors and kept
** in memory by each handle, updated on every write (see docs/INDEX.md). */

#define SV_QUANT_INT8 0x1
#define SV_QUANT_BINARY 0x2

typedef struct sv_index_options {
  int hnsw;                 /* non-zero: build (or rebuild) the HNSW graph */
  uint32_t m;               /* links per node, 2..128 (0 = 16) */
  uint32_t ef_construction; /* 1..100000 (0 = 200) */
  int quantize;             /* SV_QUANT_* bits to add */
  /* Called now and then during the build with rows done / total. */
  void (*progress)(void *arg, uint64_t done, uint64_t total);
  void *arg;
} sv_index_options;

/* Enable the structures in *opts and build them now.  SV_EINVAL for bad
** parameters (nothing changes). */
SV_API int sv_index_build(sv_shard *shard, const sv_index_options *opts);

/* Remove structures: SV_QUANT_* bits, and the graph when drop_hnsw. */
SV_API int sv_index_drop(sv_shard *shard, int drop_hnsw, int quantize);

typedef struct sv_index_stats {
  int hnsw; /* 1 when the shard is configured with a graph */
  uint32_t m, ef_construction;
  int quantize;         /* SV_QUANT_* bits configured */
  uint64_t nodes;       /* graph nodes with a row (after loading) */
  uint64_t graph_bytes; /* memory of the graph */
  int top_level;        /* -1 when empty */
  double load_ms;       /* time the last full load of vectors + structures took */
  int graph_loaded;     /* 1: that load read the saved graph (not a rebuild) */
} sv_index_stats;

/* Loads the shard's rows and structures if needed and describes them. */
SV_API int sv_index_stats_get(sv_shard *shard, sv_index_stats *out);

/* Rewrite the file without free pages (VACUUM) so the space of deleted
** rows is given back: after deleting half the rows the file ends close to
** the size of a fresh shard with the live rows.  Tombstones are kept (they
** are how replicas learn of deletes); versions, ids, codes and the saved
** graph stay valid.  Fails (SV_EBUSY or SV_EIO) when another connection
** holds the file in a transaction or inside an open transaction. */
SV_API int sv_compact(sv_shard *shard);

/* ---- Introspection ------------------------------------------------------ */

typedef struct sv_stats {
  uint64_t count;   /* live rows */
  uint64_t deleted; /* tombstones */
  uint32_t dim;
  sv_metric metric;
  uint64_t file_size; /* bytes of the main database file (0 in memory) */
  int format_version;
  int64_t version;   /* highest write version */
  int64_t node_id;   /* this shard's origin node id */
  char shard_id[33]; /* 128-bit random id, hex */
  const char *simd;  /* SIMD backend in use: "avx512", "avx2", ... */
} sv_stats;

SV_API int sv_shard_stats(sv_shard *shard, sv_stats *out);

/* Metric names: "cosine", "l2", "dot".  sv_metric_parse returns SV_EINVAL
** for an unknown name. */
SV_API const char *sv_metric_name(sv_metric metric);
SV_API int sv_metric_parse(const char *name, sv_metric *out);

/* The SIMD backend selected for this process ("avx512", "avx2", "sse",
** "neon", "wasm128", "scalar").  The environment variable SV_SIMD forces a
** lower backend for tests and benchmarks. */
SV_API const char *sv_simd_backend(void);

/* ---- Vector math (same kernels as the search) --------------------------- */

/* Cosine similarity, Euclidean distance or dot product of a and b into
** *out.  SV_EINVAL for NULL pointers, dim 0, or a zero vector under
** cosine. */
SV_API int sv_vector_score(sv_metric metric, const float *a, const float *b, uint32_t dim,
                           float *out);

/* Scale v to unit length in place; SV_EINVAL for a zero or non-finite
** vector. */
SV_API int sv_vector_normalize(float *v, uint32_t dim);

/* SV_OK if every component is finite and dim is 1..SV_MAX_DIM, SV_EINVAL
** otherwise. */
SV_API int sv_vector_check(const float *v, uint32_t dim);

#ifdef __cplusplus
}
#endif
#endif /* SQLITE_VECTOR_H */
