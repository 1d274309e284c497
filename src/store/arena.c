/*
** arena.c — a dense, contiguous array of the live vectors.
**
** The exact scan is bound by memory bandwidth, so the rows it reads must be
** one contiguous block of floats with nothing in between: `data` holds
** `count` rows of `dim` floats back to back and `ids[slot]` says which row
** id each slot carries.  Cosine shards store their rows scaled to unit
** length, so a cosine search is a plain dot-product scan.
**
** Deletes keep the block dense by moving the last row into the hole
** (swap-remove): O(dim) per delete, no fragmentation, and slot order does
** not matter because ties are broken by id, not by slot.  Growth is
** geometric (x1.5) so a stream of inserts costs amortised O(dim) each.
**
** Finding a row by id (for replace and delete) goes through an
** open-addressing hash map from id to slot with linear probing, kept at
** most half full; deletions use backward-shift so no tombstones pile up.
** The map stores slots as uint32, which bounds an arena at 2^32 - 2 rows.
*/
#include "store/arena.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector.h"
#include "util/bigbuf.h"

#define SV_ARENA_MAX_ROWS ((size_t)UINT32_MAX - 1)

static uint64_t mix64(int64_t id) {
  uint64_t z = (uint64_t)id + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void sv_arena_init(sv_arena *a, uint32_t dim, int normalise) {
  memset(a, 0, sizeof *a);
  a->dim = dim;
  a->normalise = normalise;
  a->row_max_lo = INFINITY;
}

void sv_arena_free(sv_arena *a) {
  uint32_t dim = a->dim;
  int normalise = a->normalise;
  sv_bigbuf_free(a->data, a->cap * (size_t)dim * sizeof(float));
  free(a->ids);
  free(a->hkeys);
  free(a->hvals);
  sv_arena_init(a, dim, normalise);
}

void sv_arena_clear(sv_arena *a) {
  a->count = 0;
  a->row_max_hi = 0.0f;
  a->row_max_lo = INFINITY;
  if (a->hvals)
    for (size_t i = 0; i < a->hcap; i++) a->hvals[i] = SV_ARENA_NO_SLOT;
  a->loaded = 0;
  a->tentative = 0;
}

/* Place id -> slot into the map; the id must not be present. */
static void map_insert(sv_arena *a, int64_t id, uint32_t slot) {
  size_t mask = a->hcap - 1;
  size_t i = (size_t)mix64(id) & mask;
  while (a->hvals[i] != SV_ARENA_NO_SLOT) {
    assert(a->hkeys[i] != id);
    i = (i + 1) & mask;
  }
  a->hkeys[i] = id;
  a->hvals[i] = slot;
}

/* The bucket holding id, or a->hcap when absent. */
static size_t map_bucket(const sv_arena *a, int64_t id) {
  if (a->hcap == 0) return 0;
  size_t mask = a->hcap - 1;
  size_t i = (size_t)mix64(id) & mask;
  while (a->hvals[i] != SV_ARENA_NO_SLOT) {
    if (a->hkeys[i] == id) return i;
    i = (i + 1) & mask;
  }
  return a->hcap;
}

/* Empty bucket `i` and shift later members of its probe run back so every
** remaining key stays reachable from its home bucket. */
static void map_erase(sv_arena *a, size_t i) {
  size_t mask = a->hcap - 1;
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (a->hvals[j] == SV_ARENA_NO_SLOT) break;
    size_t home = (size_t)mix64(a->hkeys[j]) & mask;
    /* j's entry may move into i only if its home is not in (i, j]. */
    int stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    a->hkeys[i] = a->hkeys[j];
    a->hvals[i] = a->hvals[j];
    i = j;
  }
  a->hvals[i] = SV_ARENA_NO_SLOT;
}

/* Rebuild the map with `buckets` buckets (a power of two). */
static int map_resize(sv_arena *a, size_t buckets) {
  int64_t *keys = malloc(buckets * sizeof *keys);
  uint32_t *vals = malloc(buckets * sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return SV_ENOMEM;
  }
  for (size_t i = 0; i < buckets; i++) vals[i] = SV_ARENA_NO_SLOT;
  free(a->hkeys);
  free(a->hvals);
  a->hkeys = keys;
  a->hvals = vals;
  a->hcap = buckets;
  for (size_t s = 0; s < a->count; s++) map_insert(a, a->ids[s], (uint32_t)s);
  return SV_OK;
}

int sv_arena_reserve(sv_arena *a, size_t rows) {
  if (rows > SV_ARENA_MAX_ROWS) return SV_ENOMEM;
  if (rows > a->cap) {
    size_t row_bytes = (size_t)a->dim * sizeof(float);
    if (row_bytes != 0 && rows > SIZE_MAX / row_bytes) return SV_ENOMEM;
    /* ids first: if the (large) data resize then fails, the arena is
    ** unchanged apart from a roomier ids array. */
    int64_t *ids = realloc(a->ids, rows * sizeof *ids);
    if (!ids) return SV_ENOMEM;
    a->ids = ids;
    void *data = a->data;
    if (sv_bigbuf_resize(&data, a->cap * row_bytes, rows * row_bytes) != 0) return SV_ENOMEM;
    a->data = data;
    a->cap = rows;
  }
  size_t want = 16;
  while (want < rows * 2) want *= 2;
  if (want > a->hcap) return map_resize(a, want);
  return SV_OK;
}

/* Copy vec into slot, scaled to unit length when the arena normalises.
** The norm is taken in double so large components cannot overflow. */
static void store_row(sv_arena *a, size_t slot, const float *vec) {
  float *dst = a->data + slot * (size_t)a->dim;
  if (!a->normalise) {
    memcpy(dst, vec, (size_t)a->dim * sizeof(float));
  } else {
    double ss = 0.0;
    for (uint32_t i = 0; i < a->dim; i++) ss += (double)vec[i] * (double)vec[i];
    double inv = ss > 0.0 ? 1.0 / sqrt(ss) : 0.0;
    for (uint32_t i = 0; i < a->dim; i++) dst[i] = (float)((double)vec[i] * inv);
  }
  float m = 0.0f;
  for (uint32_t i = 0; i < a->dim; i++) m = fabsf(dst[i]) > m ? fabsf(dst[i]) : m;
  if (m > a->row_max_hi) a->row_max_hi = m;
  if (m > 0.0f && m < a->row_max_lo) a->row_max_lo = m;
}

int sv_arena_put(sv_arena *a, int64_t id, const float *vec) {
  size_t b = map_bucket(a, id);
  if (b < a->hcap) {
    store_row(a, a->hvals[b], vec);
    return SV_OK;
  }
  if (a->count + 1 > a->cap || (a->count + 1) * 2 > a->hcap) {
    size_t grow = a->cap + a->cap / 2;
    if (grow < a->count + 1) grow = a->count + 1;
    if (grow < 16) grow = 16;
    int rc = sv_arena_reserve(a, grow);
    if (rc != SV_OK) return rc;
  }
  size_t slot = a->count;
  store_row(a, slot, vec);
  a->ids[slot] = id;
  map_insert(a, id, (uint32_t)slot);
  a->count++;
  return SV_OK;
}

int sv_arena_remove(sv_arena *a, int64_t id) {
  size_t b = map_bucket(a, id);
  if (b >= a->hcap) return 0;
  size_t slot = a->hvals[b];
  size_t last = a->count - 1;
  assert(slot <= last && a->ids[slot] == id);
  map_erase(a, b);
  if (slot != last) {
    int64_t moved = a->ids[last];
    memcpy(a->data + slot * (size_t)a->dim, a->data + last * (size_t)a->dim,
           (size_t)a->dim * sizeof(float));
    a->ids[slot] = moved;
    size_t mb = map_bucket(a, moved);
    assert(mb < a->hcap);
    a->hvals[mb] = (uint32_t)slot;
  }
  a->count--;
  return 1;
}

uint32_t sv_arena_find(const sv_arena *a, int64_t id) {
  size_t b = map_bucket(a, id);
  return b < a->hcap ? a->hvals[b] : SV_ARENA_NO_SLOT;
}
