/*
** hnsw.h — an in-memory HNSW graph over the arena's rows.
**
** See hnsw.c for the algorithm.  The graph stores no vectors: node n's
** vector is the arena row at slot[n], so it always scores exactly what the
** exact scan would (cosine rows are unit length: the key is -dot; l2: the
** squared distance; dot: -dot).  The arena calls add/remove/moved for every
** row change; searches only read the graph and may run concurrently under
** the arena's read lock, writes need the write lock.
*/
#ifndef SV_STORE_HNSW_H
#define SV_STORE_HNSW_H

#include <stddef.h>
#include <stdint.h>

#include "store/arena.h"

#define SV_HNSW_M_MIN 2
#define SV_HNSW_M_MAX 128
#define SV_HNSW_EF_MAX 100000

typedef struct sv_hnsw sv_hnsw;

/* A new empty graph: `m` links per node on upper levels (2m on level 0),
** `ef_construction` candidates per insert, keys by l2 (l2 != 0) or -dot.
** Parameters must be in range (callers validate them).  NULL when out of
** memory. */
sv_hnsw *sv_hnsw_new(uint32_t m, uint32_t ef_construction, int l2);
void sv_hnsw_free(sv_hnsw *h);
/* Drop every node (the arena was cleared). */
void sv_hnsw_clear(sv_hnsw *h);

uint32_t sv_hnsw_m(const sv_hnsw *h);
uint32_t sv_hnsw_ef_construction(const sv_hnsw *h);

/* Link the row at arena slot `slot` into the graph; its node goes to
** *node.  SV_OK or SV_ENOMEM. */
int sv_hnsw_add(sv_hnsw *h, const sv_arena *a, uint32_t slot, uint32_t *node);
/* Unlink node `node` and repair its neighbours' lists. */
void sv_hnsw_remove(sv_hnsw *h, const sv_arena *a, uint32_t node);
/* The arena moved node's row to `slot`. */
void sv_hnsw_moved(sv_hnsw *h, uint32_t node, uint32_t slot);

/* Approximate k nearest rows to q (normalised for cosine), keeping `ef`
** candidates (ef >= k is enforced here).  When `allow` is not NULL only
** slots whose bit is set are returned (the graph is still traversed through
** the others).  Writes up to k (key, slot) pairs best first and returns
** how many; -1 when out of memory. */
long sv_hnsw_search(const sv_hnsw *h, const sv_arena *a, const float *q, size_t k, size_t ef,
                    const uint64_t *allow, float *keys, uint32_t *slots);

/* Consistency check for tests: every live node points at a slot whose
** node is it, links name live nodes (after `sweep`), counts agree with the
** arena.  Returns 0 when consistent, else a short reason. */
const char *sv_hnsw_check(const sv_hnsw *h, const sv_arena *a);

/* ---- persistence (the SQLite side is in index_save.c) ----
** Nodes are encoded in ranges as: int64 row id (-1 for a free node), uint8
** level, then per level 0..level a uint32 count and that many uint32 node
** numbers; native little-endian (index_save.c refuses other hosts).  A
** loaded graph maps each node's row id to an arena slot with `slot_of`
** (SV_ARENA_NO_SLOT: the row is gone or changed since the save, and the
** node becomes a dead one whose dangling links searches skip until the
** next sweep). */
typedef struct sv_hnsw_header {
  uint32_t m, efc, entry;
  int32_t top;
  uint64_t nodes;
} sv_hnsw_header;

void sv_hnsw_header_get(const sv_hnsw *h, sv_hnsw_header *out);
/* Encode nodes [first, first + count) into a malloc'ed buffer. */
int sv_hnsw_encode(const sv_hnsw *h, const sv_arena *a, size_t first, size_t count,
                   unsigned char **buf, size_t *len);
/* A graph with hdr->nodes empty nodes to be filled by sv_hnsw_decode. */
sv_hnsw *sv_hnsw_load_begin(const sv_hnsw_header *hdr, int l2);
/* Decode one encoded range starting at node `first`; *next gets the node
** after the last decoded.  -1 when the data is malformed. */
int sv_hnsw_decode(sv_hnsw *h, const unsigned char *buf, size_t len, size_t first, size_t *next,
                   uint32_t (*slot_of)(void *arg, int64_t id), void *arg);
/* Finish a load: nodes without a slot become dead, the entry point is
** checked.  -1 when the graph is inconsistent (links out of range). */
int sv_hnsw_load_end(sv_hnsw *h);
/* Node of each live node's slot, for the arena's slot -> node array. */
void sv_hnsw_fill_nodes(const sv_hnsw *h, uint32_t *node_of_slot);

typedef struct sv_hnsw_info {
  size_t live;  /* nodes carrying a row */
  size_t nodes; /* node slots allocated (live + free) */
  size_t links; /* level-0 links in total */
  int top;      /* highest level, -1 when empty */
  size_t bytes; /* memory used by the graph */
} sv_hnsw_info;
void sv_hnsw_info_get(const sv_hnsw *h, sv_hnsw_info *out);

#endif /* SV_STORE_HNSW_H */
