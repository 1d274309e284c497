/*
** arena.h — the in-memory mirror of a shard's live vectors.
**
** See arena.c for the layout and docs/ARCHITECTURE.md for how the mirror
** is kept in step with the database.  The arena itself knows nothing of
** SQLite or locking: the shard handle guards it with a readers-writer lock
** and mirror.c feeds it.
*/
#ifndef SV_STORE_ARENA_H
#define SV_STORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define SV_ARENA_NO_SLOT UINT32_MAX

/* Which derived structures the arena keeps beside its rows (see arena.c). */
#define SV_ARENA_I8 0x1   /* int8 codes, one scale per row */
#define SV_ARENA_BITS 0x2 /* sign bits */

struct sv_hnsw;

typedef struct sv_arena {
  uint32_t dim;
  int normalise;   /* cosine: rows are stored scaled to unit length */
  float *data;     /* cap * dim floats; rows [0, count) are live */
  int64_t *ids;    /* cap ids, ids[slot] */
  size_t count;    /* live rows */
  size_t cap;      /* rows allocated */
  int64_t *hkeys;  /* open-addressing map id -> slot ... */
  uint32_t *hvals; /* ... SV_ARENA_NO_SLOT marks an empty bucket */
  size_t hcap;     /* buckets, a power of two (0 before first use) */
  /* Largest and smallest per-row max |component| of the rows stored since
  ** the last clear (not lowered by removals: a conservative bound).  The
  ** search uses them to decide whether float SIMD sums are safe. */
  float row_max_hi, row_max_lo;

  /* Derived from each row as it is stored (arena.c), so they always agree
  ** with the floats, whoever wrote the row.  Empty unless enabled. */
  int codes;            /* SV_ARENA_* */
  int8_t *i8;           /* cap * dim codes of the stored (normalised) row */
  float *i8scale;       /* cap: row ~ i8 * i8scale */
  float *sqnorm;        /* cap: |row|^2, for l2 from an approximate dot */
  uint64_t *bits;       /* cap * bwords sign bits */
  size_t bwords;        /* (dim + 63) / 64 */
  struct sv_hnsw *hnsw; /* graph over the rows, or NULL (hnsw.c) */
  uint32_t *node;       /* cap: graph node of each slot, with hnsw */

  /* Which database state the rows reflect (managed by mirror.c). */
  int loaded;
  int tentative; /* may hold rows of a transaction still open on the connection */
  int64_t version, hlc, epoch;
} sv_arena;

void sv_arena_init(sv_arena *a, uint32_t dim, int normalise);
/* Free all memory; the arena is left empty and unloaded (init state). */
void sv_arena_free(sv_arena *a);
/* Drop every row but keep the memory. */
void sv_arena_clear(sv_arena *a);

/* Make room for `rows` rows in total.  SV_OK or SV_ENOMEM (then unchanged). */
int sv_arena_reserve(sv_arena *a, size_t rows);

/* Insert row `id`, or replace its vector when present.  `vec` has dim
** finite floats.  SV_OK or SV_ENOMEM (then unchanged). */
int sv_arena_put(sv_arena *a, int64_t id, const float *vec);

/* Remove row `id` (the last row moves into its slot).  Returns 1 when a row
** was removed, 0 when the id was absent. */
int sv_arena_remove(sv_arena *a, int64_t id);

/* Keep the codes in `codes` (SV_ARENA_*) from now on, computing them for
** the rows already held.  SV_OK or SV_ENOMEM (then unchanged). */
int sv_arena_set_codes(sv_arena *a, int codes);

/* Attach graph `h` (the arena owns it from now on and frees it) and add
** every row already held, calling progress(arg, done, total) now and then
** when it is not NULL.  NULL detaches and frees the current graph.  SV_OK
** or SV_ENOMEM (then no graph is attached and h has been freed). */
int sv_arena_set_hnsw(sv_arena *a, struct sv_hnsw *h, void (*progress)(void *, size_t, size_t),
                      void *arg);

/* Attach a graph loaded from the shard (its live nodes already name
** slots) and add the rows it lacks.  SV_OK; SV_EFORMAT when two nodes name
** one slot; SV_ENOMEM.  On failure h has been freed and no graph is
** attached. */
int sv_arena_attach_hnsw(sv_arena *a, struct sv_hnsw *h, void (*progress)(void *, size_t, size_t),
                         void *arg);

/* The slot of `id`, or SV_ARENA_NO_SLOT. */
uint32_t sv_arena_find(const sv_arena *a, int64_t id);

static inline const float *sv_arena_row(const sv_arena *a, size_t slot) {
  return a->data + slot * (size_t)a->dim;
}

#endif /* SV_STORE_ARENA_H */
