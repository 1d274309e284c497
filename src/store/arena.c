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
**
** Side arrays: when quantization is on, each slot also carries its int8
** codes (with the row's scale and squared norm) and/or its sign bits, and
** with an HNSW graph the graph node of the row.  They are written by the
** same store_row() that writes the floats and moved by the same
** swap-remove, so a code can never disagree with its row: every path that
** changes a row — this handle's writes, another process's writes picked up
** by version, a full reload — goes through sv_arena_put/remove.  The graph
** (hnsw.c) is told about every put and remove here for the same reason.
*/
#include "store/arena.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector.h"
#include "store/hnsw.h"
#include "util/bigbuf.h"
#include "vec/qkernels.h"

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
  sv_bigbuf_free(a->i8, a->cap * (size_t)dim);
  free(a->i8scale);
  free(a->sqnorm);
  sv_bigbuf_free(a->bits, a->cap * ((dim + 63) / 64) * sizeof(uint64_t));
  free(a->node);
  sv_hnsw_free(a->hnsw);
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
  if (a->hnsw) sv_hnsw_clear(a->hnsw);
}

/* realloc *p to n elements of `size`; 0 or -1 (then *p unchanged). */
static int grow(void **p, size_t n, size_t size) {
  if (n != 0 && size > SIZE_MAX / n) return -1;
  void *q = realloc(*p, (n * size) != 0 ? n * size : 1);
  if (!q) return -1;
  *p = q;
  return 0;
}

/* Grow the enabled side arrays from `old` to `rows` slots (old = 0 for
** arrays being enabled now).  The scanned code arrays are big buffers
** (huge pages, like the floats): the quantized scan streams them.  On
** failure some may have grown already, which is harmless: cap is only
** raised once all fit. */
static int grow_side(sv_arena *a, size_t old, size_t rows, int codes, int with_node) {
  size_t dim = a->dim;
  if (codes & SV_ARENA_I8) {
    void *p = a->i8;
    if (dim != 0 && rows > SIZE_MAX / dim) return -1;
    if (sv_bigbuf_resize(&p, old * dim, rows * dim) != 0) return -1;
    a->i8 = p;
    if (grow((void **)&a->i8scale, rows, sizeof(float)) ||
        grow((void **)&a->sqnorm, rows, sizeof(float)))
      return -1;
  }
  if (codes & SV_ARENA_BITS) {
    size_t wb = ((dim + 63) / 64) * sizeof(uint64_t);
    void *p = a->bits;
    if (rows > SIZE_MAX / wb || sv_bigbuf_resize(&p, old * wb, rows * wb) != 0) return -1;
    a->bits = p;
  }
  if (with_node && grow((void **)&a->node, rows, sizeof(uint32_t))) return -1;
  return 0;
}

/* The codes of slot `slot` from its stored floats. */
static void store_codes(sv_arena *a, size_t slot) {
  const float *row = a->data + slot * (size_t)a->dim;
  if (a->codes & SV_ARENA_I8) {
    a->i8scale[slot] = sv_quantize_i8(row, a->dim, a->i8 + slot * (size_t)a->dim);
    double ss = 0.0;
    for (uint32_t i = 0; i < a->dim; i++) ss += (double)row[i] * (double)row[i];
    a->sqnorm[slot] = (float)ss;
  }
  if (a->codes & SV_ARENA_BITS) sv_quantize_bits(row, a->dim, a->bits + slot * a->bwords);
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
    if (grow_side(a, a->cap, rows, a->codes, a->hnsw != NULL) != 0) return SV_ENOMEM;
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
  if (a->codes) store_codes(a, slot);
}

int sv_arena_put(sv_arena *a, int64_t id, const float *vec) {
  size_t b = map_bucket(a, id);
  if (b < a->hcap) {
    uint32_t slot = a->hvals[b];
    /* A new vector needs new graph edges: unlink the node, relink it. */
    if (a->hnsw) sv_hnsw_remove(a->hnsw, a, a->node[slot]);
    store_row(a, slot, vec);
    if (a->hnsw) return sv_hnsw_add(a->hnsw, a, slot, &a->node[slot]);
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
  if (a->hnsw) return sv_hnsw_add(a->hnsw, a, (uint32_t)slot, &a->node[slot]);
  return SV_OK;
}

int sv_arena_remove(sv_arena *a, int64_t id) {
  size_t b = map_bucket(a, id);
  if (b >= a->hcap) return 0;
  size_t slot = a->hvals[b];
  size_t last = a->count - 1;
  assert(slot <= last && a->ids[slot] == id);
  map_erase(a, b);
  if (a->hnsw) sv_hnsw_remove(a->hnsw, a, a->node[slot]);
  if (slot != last) {
    int64_t moved = a->ids[last];
    size_t dim = a->dim;
    memcpy(a->data + slot * dim, a->data + last * dim, dim * sizeof(float));
    if (a->codes & SV_ARENA_I8) {
      memcpy(a->i8 + slot * dim, a->i8 + last * dim, dim);
      a->i8scale[slot] = a->i8scale[last];
      a->sqnorm[slot] = a->sqnorm[last];
    }
    if (a->codes & SV_ARENA_BITS)
      memcpy(a->bits + slot * a->bwords, a->bits + last * a->bwords, a->bwords * sizeof(uint64_t));
    if (a->hnsw) {
      a->node[slot] = a->node[last];
      sv_hnsw_moved(a->hnsw, a->node[slot], (uint32_t)slot);
    }
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

int sv_arena_set_codes(sv_arena *a, int codes) {
  int add = codes & ~a->codes;
  if (add && grow_side(a, 0, a->cap, add, 0) != 0) return SV_ENOMEM;
  a->bwords = ((size_t)a->dim + 63) / 64;
  int had = a->codes;
  a->codes = add;
  for (size_t s = 0; s < a->count; s++) store_codes(a, s);
  a->codes = had | codes;
  return SV_OK;
}

int sv_arena_set_hnsw(sv_arena *a, struct sv_hnsw *h, void (*progress)(void *, size_t, size_t),
                      void *arg) {
  int rc = SV_OK;
  sv_hnsw_free(a->hnsw);
  a->hnsw = NULL;
  if (!h) goto done;
  if (grow_side(a, 0, a->cap, 0, 1) != 0) {
    rc = SV_ENOMEM;
    goto done;
  }
  for (size_t s = 0; s < a->count; s++) {
    if ((rc = sv_hnsw_add(h, a, (uint32_t)s, &a->node[s])) != SV_OK) goto done;
    if (progress && (s % 1024 == 0 || s + 1 == a->count)) progress(arg, s + 1, a->count);
  }
  a->hnsw = h;
  h = NULL;
done:
  sv_hnsw_free(h);
  return rc;
}

int sv_arena_attach_hnsw(sv_arena *a, struct sv_hnsw *h, void (*progress)(void *, size_t, size_t),
                         void *arg) {
  int rc = SV_OK;
  uint32_t *seen = NULL;
  sv_hnsw_free(a->hnsw);
  a->hnsw = NULL;
  if (grow_side(a, 0, a->cap, 0, 1) != 0) {
    rc = SV_ENOMEM;
    goto done;
  }
  for (size_t s = 0; s < a->count; s++) a->node[s] = SV_ARENA_NO_SLOT;
  sv_hnsw_fill_nodes(h, a->node);
  sv_hnsw_info info;
  sv_hnsw_info_get(h, &info);
  size_t have = 0;
  for (size_t s = 0; s < a->count; s++) have += a->node[s] != SV_ARENA_NO_SLOT;
  if (have != info.live) { /* two nodes named one slot */
    rc = SV_EFORMAT;
    goto done;
  }
  for (size_t s = 0, added = 0; s < a->count; s++) {
    if (a->node[s] != SV_ARENA_NO_SLOT) continue;
    if ((rc = sv_hnsw_add(h, a, (uint32_t)s, &a->node[s])) != SV_OK) goto done;
    if (progress && (++added % 1024 == 0)) progress(arg, added, a->count - have);
  }
  a->hnsw = h;
  h = NULL;
done:
  free(seen);
  sv_hnsw_free(h);
  return rc;
}
