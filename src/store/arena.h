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

/* The slot of `id`, or SV_ARENA_NO_SLOT. */
uint32_t sv_arena_find(const sv_arena *a, int64_t id);

static inline const float *sv_arena_row(const sv_arena *a, size_t slot) {
  return a->data + slot * (size_t)a->dim;
}

#endif /* SV_STORE_ARENA_H */
