/*
** hnsw.c — Hierarchical Navigable Small World graph, written from the
** paper (Malkov & Yashunin, 2016/2018), over the arena's rows.
**
** Every node has a random level L (P(L >= l) = M^-l) and, on each level
** 0..L, a list of at most M links (2M on level 0).  A search enters at the
** one node on the top level, walks greedily down to level 1, then runs a
** best-first search on level 0 keeping the `ef` closest nodes seen; an
** insert does the same search with ef_construction on each of its levels
** and keeps links chosen by the paper's diversity heuristic (a candidate
** is kept only if it is closer to the new node than to any link already
** kept), adding the reverse link on each neighbour and re-pruning it with
** the same heuristic when it overflows.
**
** Nodes are numbered separately from arena slots because the arena moves
** rows (swap-remove); slot[node] and arena.node[slot] are kept inverse by
** sv_hnsw_moved().  Lists hold node numbers: level 0 in one flat array of
** (1 + 2M) uint32 per node (count first), upper levels per node.
**
** Deletes repair instead of leaving tombstones: for every neighbour e of
** the removed node d that links back to d, e's list is rebuilt from its
** other links plus d's links with the heuristic, so the region stays
** connected and recall does not decay under churn.  A node linking to d
** that d does not link to keeps a dangling link, which searches skip (the
** node's slot is SV_ARENA_NO_SLOT).  Freed nodes go to a "dead" list; when
** it grows past 1/16 of the live nodes one sweep over all lists drops the
** dangling links and the dead nodes become reusable, so the graph's size
** follows the live rows (amortised O(M) per delete) and a reused number is
** never reached through a stale link.
**
** Concurrency: searches only read; each allocates its own visited bitmap
** and heaps.  Writers (inserts, removes, under the arena's write lock) use
** a visited array with generation counters owned by the graph.
*/
#include "store/hnsw.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector.h"
#include "vec/kernels.h"

#define MAX_LEVEL 24

struct sv_hnsw {
  uint32_t m, m0, efc;
  int l2;
  double mult;
  uint64_t rng;
  size_t n, cap;  /* node numbers [0, n) are allocated */
  uint32_t *slot; /* node -> arena slot; SV_ARENA_NO_SLOT when free */
  uint8_t *level; /* node's top level */
  uint32_t *l0;   /* cap * (1 + m0) */
  uint32_t **up;  /* per node: level * (1 + m), or NULL */
  uint32_t entry; /* a node on level `top` */
  int top;        /* -1 when empty */
  size_t live;
  uint32_t *dead, *reuse; /* freed nodes: still linked / safe to reuse */
  size_t ndead, nreuse, free_cap;
  uint32_t *vis; /* writer's visited generations, cap entries */
  uint32_t vis_gen;
};

typedef struct cand {
  float d;
  uint32_t node;
} cand;

/* A growable binary heap of cands; `max` selects a max-heap. */
typedef struct heap {
  cand *e;
  size_t n, cap;
  int max;
} heap;

static int before(const heap *h, cand x, cand y) {
  return h->max ? x.d > y.d : x.d < y.d;
}

static int heap_push(heap *h, cand c) {
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 64;
    cand *e = realloc(h->e, nc * sizeof *e);
    if (!e) return -1;
    h->e = e;
    h->cap = nc;
  }
  size_t i = h->n++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(h, c, h->e[p])) break;
    h->e[i] = h->e[p];
    i = p;
  }
  h->e[i] = c;
  return 0;
}

static cand heap_pop(heap *h) {
  assert(h->n > 0);
  cand top = h->e[0], last = h->e[--h->n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, best = i;
    cand bc = last;
    if (l < h->n && before(h, h->e[l], bc)) best = l, bc = h->e[l];
    if (l + 1 < h->n && before(h, h->e[l + 1], bc)) best = l + 1;
    if (best == i) break;
    h->e[i] = h->e[best];
    i = best;
  }
  if (h->n > 0) h->e[i] = last;
  return top;
}

static uint32_t *links(const sv_hnsw *h, uint32_t node, int lvl) {
  if (lvl == 0) return h->l0 + (size_t)node * (1 + h->m0);
  return h->up[node] + (size_t)(lvl - 1) * (1 + h->m);
}

static uint32_t max_links(const sv_hnsw *h, int lvl) {
  return lvl == 0 ? h->m0 : h->m;
}

static int live_node(const sv_hnsw *h, uint32_t node) {
  return node < h->n && h->slot[node] != SV_ARENA_NO_SLOT;
}

/* Smaller is better: l2 squared, or the negated dot product. */
static float key(const sv_hnsw *h, const sv_kernels *k, const float *x, const float *y,
                 uint32_t dim) {
  return h->l2 ? k->l2sq(x, y, dim) : -k->dot(x, y, dim);
}

static const float *row_of(const sv_hnsw *h, const sv_arena *a, uint32_t node) {
  return sv_arena_row(a, h->slot[node]);
}

sv_hnsw *sv_hnsw_new(uint32_t m, uint32_t ef_construction, int l2) {
  assert(m >= SV_HNSW_M_MIN && m <= SV_HNSW_M_MAX && ef_construction >= 1);
  sv_hnsw *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->m = m;
  h->m0 = 2 * m;
  h->efc = ef_construction;
  h->l2 = l2;
  h->mult = 1.0 / log((double)m);
  h->rng = 0x9E3779B97F4A7C15ULL;
  h->top = -1;
  return h;
}

void sv_hnsw_clear(sv_hnsw *h) {
  for (size_t i = 0; i < h->n; i++) {
    free(h->up[i]);
    h->up[i] = NULL;
  }
  h->n = 0;
  h->top = -1;
  h->live = 0;
  h->ndead = h->nreuse = 0;
}

void sv_hnsw_free(sv_hnsw *h) {
  if (!h) return;
  sv_hnsw_clear(h);
  free(h->slot);
  free(h->level);
  free(h->l0);
  free(h->up);
  free(h->dead);
  free(h->reuse);
  free(h->vis);
  free(h);
}

uint32_t sv_hnsw_m(const sv_hnsw *h) {
  return h->m;
}

uint32_t sv_hnsw_ef_construction(const sv_hnsw *h) {
  return h->efc;
}

static int random_level(sv_hnsw *h) {
  /* xorshift64*: deterministic, so a rebuild gives the same graph. */
  h->rng ^= h->rng >> 12;
  h->rng ^= h->rng << 25;
  h->rng ^= h->rng >> 27;
  uint64_t r = h->rng * 0x2545F4914F6CDD1DULL;
  double u = ((double)(r >> 11) + 0.5) / 9007199254740992.0;
  int l = (int)(-log(u) * h->mult);
  return l > MAX_LEVEL ? MAX_LEVEL : l;
}

static int reserve_nodes(sv_hnsw *h, size_t want) {
  if (want <= h->cap) return 0;
  size_t nc = h->cap ? h->cap + h->cap / 2 : 1024;
  if (nc < want) nc = want;
  uint32_t *slot = realloc(h->slot, nc * sizeof *slot);
  if (!slot) return -1;
  h->slot = slot;
  uint8_t *level = realloc(h->level, nc);
  if (!level) return -1;
  h->level = level;
  uint32_t *l0 = realloc(h->l0, nc * (1 + h->m0) * sizeof *l0);
  if (!l0) return -1;
  h->l0 = l0;
  uint32_t **up = realloc(h->up, nc * sizeof *up);
  if (!up) return -1;
  h->up = up;
  uint32_t *dead = realloc(h->dead, nc * sizeof *dead);
  if (!dead) return -1;
  h->dead = dead;
  uint32_t *reuse = realloc(h->reuse, nc * sizeof *reuse);
  if (!reuse) return -1;
  h->reuse = reuse;
  uint32_t *vis = realloc(h->vis, nc * sizeof *vis);
  if (!vis) return -1;
  memset(vis + h->cap, 0, (nc - h->cap) * sizeof *vis);
  h->vis = vis;
  h->cap = nc;
  return 0;
}

/* Writer's visited set: a new generation per search. */
static uint32_t next_gen(sv_hnsw *h) {
  if (++h->vis_gen == 0) {
    memset(h->vis, 0, h->cap * sizeof *h->vis);
    h->vis_gen = 1;
  }
  return h->vis_gen;
}

/* Greedy walk from *ep on level lvl towards q. */
static void greedy(const sv_hnsw *h, const sv_arena *a, const sv_kernels *k, const float *q,
                   int lvl, uint32_t *ep, float *dep) {
  for (int changed = 1; changed;) {
    changed = 0;
    const uint32_t *l = links(h, *ep, lvl);
    for (uint32_t i = 1; i <= l[0]; i++) {
      if (!live_node(h, l[i])) continue;
      float d = key(h, k, q, row_of(h, a, l[i]), a->dim);
      if (d < *dep) *dep = d, *ep = l[i], changed = 1;
    }
  }
}

/* Start the first lines of a row on their way; the hardware prefetcher
** follows the rest once the kernel streams it.  More lines per row only
** stalls the loop on the few line-fill buffers a core has (measured). */
static void prefetch_row(const float *row, uint32_t dim) {
  const char *p = (const char *)row;
  __builtin_prefetch(p);
  if (dim > 16) __builtin_prefetch(p + 64);
}

/* Visited test-and-set, over either the writer's generations or a
** search's own bitmap. */
typedef struct visited {
  uint32_t *gen_arr, gen;
  uint64_t *bits;
} visited;

static int visit(visited *v, uint32_t node) {
  if (v->bits) {
    uint64_t m = (uint64_t)1 << (node & 63);
    if (v->bits[node >> 6] & m) return 1;
    v->bits[node >> 6] |= m;
    return 0;
  }
  if (v->gen_arr[node] == v->gen) return 1;
  v->gen_arr[node] = v->gen;
  return 0;
}

static int allowed(const sv_hnsw *h, const uint64_t *allow, uint32_t node) {
  if (!allow) return 1;
  uint32_t s = h->slot[node];
  return (int)((allow[s >> 6] >> (s & 63)) & 1u);
}

/* Best-first search on one level from ep; the ef best allowed nodes end in
** `res` (a max-heap).  0, or -1 when out of memory. */
static int search_layer(const sv_hnsw *h, const sv_arena *a, const sv_kernels *k, const float *q,
                        uint32_t ep, float dep, size_t ef, int lvl, visited *v,
                        const uint64_t *allow, heap *res, heap *cands) {
  cands->n = res->n = 0;
  visit(v, ep);
  if (heap_push(cands, (cand){dep, ep})) return -1;
  if (allowed(h, allow, ep) && heap_push(res, (cand){dep, ep})) return -1;
  while (cands->n > 0) {
    cand c = heap_pop(cands);
    if (res->n >= ef && c.d > res->e[0].d) break;
    const uint32_t *l = links(h, c.node, lvl);
    /* Gather the unvisited neighbours and prefetch their rows first: the
    ** distance loop is otherwise bound by one cache miss after another. */
    uint32_t todo[2 * SV_HNSW_M_MAX];
    uint32_t nt = 0;
    for (uint32_t i = 1; i <= l[0]; i++) {
      uint32_t nb = l[i];
      if (visit(v, nb) || !live_node(h, nb)) continue;
      todo[nt++] = nb;
      prefetch_row(row_of(h, a, nb), a->dim);
    }
    for (uint32_t i = 0; i < nt; i++) {
      uint32_t nb = todo[i];
      float d = key(h, k, q, row_of(h, a, nb), a->dim);
      if (res->n < ef || d < res->e[0].d) {
        if (heap_push(cands, (cand){d, nb})) return -1;
        if (allowed(h, allow, nb)) {
          if (heap_push(res, (cand){d, nb})) return -1;
          if (res->n > ef) heap_pop(res);
        }
      }
    }
  }
  return 0;
}

static int cmp_cand(const void *x, const void *y) {
  const cand *p = x, *q = y;
  if (p->d != q->d) return p->d < q->d ? -1 : 1;
  return p->node < q->node ? -1 : p->node > q->node;
}

/* The diversity heuristic: from c[0..n) sorted by distance to the base,
** keep a candidate only when it is closer to the base than to every one
** kept so far; at most `max` are written to out (count first). */
static void select_links(const sv_hnsw *h, const sv_arena *a, const sv_kernels *k, cand *c,
                         size_t n, uint32_t max, uint32_t *out) {
  uint32_t kept = 0;
  for (size_t i = 0; i < n && kept < max; i++) {
    const float *ci = row_of(h, a, c[i].node);
    int good = 1;
    for (uint32_t j = 0; j < kept && good; j++)
      if (key(h, k, ci, row_of(h, a, out[1 + j]), a->dim) < c[i].d) good = 0;
    if (good) out[1 + kept++] = c[i].node;
  }
  out[0] = kept;
}

/* Add link node -> to on lvl, re-pruning node's list when full. */
static int connect(sv_hnsw *h, const sv_arena *a, const sv_kernels *k, uint32_t node, uint32_t to,
                   int lvl) {
  uint32_t *l = links(h, node, lvl), max = max_links(h, lvl);
  for (uint32_t i = 1; i <= l[0]; i++)
    if (l[i] == to) return 0;
  if (l[0] < max) {
    l[1 + l[0]++] = to;
    return 0;
  }
  cand c[2 * SV_HNSW_M_MAX + 1];
  size_t n = 0;
  const float *base = row_of(h, a, node);
  for (uint32_t i = 1; i <= l[0]; i++)
    if (live_node(h, l[i])) c[n++] = (cand){key(h, k, base, row_of(h, a, l[i]), a->dim), l[i]};
  c[n++] = (cand){key(h, k, base, row_of(h, a, to), a->dim), to};
  qsort(c, n, sizeof *c, cmp_cand);
  select_links(h, a, k, c, n, max, l);
  return 0;
}

static int take_node(sv_hnsw *h, uint32_t *out) {
  if (h->nreuse > 0) {
    *out = h->reuse[--h->nreuse];
    return 0;
  }
  if (h->n >= (size_t)UINT32_MAX - 1 || reserve_nodes(h, h->n + 1)) return -1;
  *out = (uint32_t)h->n++;
  return 0;
}

int sv_hnsw_add(sv_hnsw *h, const sv_arena *a, uint32_t slot, uint32_t *node_out) {
  const sv_kernels *k = sv_kernels_active();
  int rc = SV_ENOMEM, lvl = random_level(h);
  heap res = {NULL, 0, 0, 1}, cands = {NULL, 0, 0, 0};
  uint32_t nn;
  if (take_node(h, &nn)) goto done;
  h->up[nn] = NULL;
  if (lvl > 0 && !(h->up[nn] = malloc((size_t)lvl * (1 + h->m) * sizeof(uint32_t)))) {
    h->reuse[h->nreuse++] = nn; /* cannot fail: take_node just removed it or n grew */
    goto done;
  }
  h->slot[nn] = slot;
  h->level[nn] = (uint8_t)lvl;
  for (int l = 0; l <= lvl; l++) links(h, nn, l)[0] = 0;
  *node_out = nn;
  h->live++;
  rc = SV_OK;
  if (h->top < 0) {
    h->entry = nn;
    h->top = lvl;
    goto done;
  }
  const float *q = sv_arena_row(a, slot);
  uint32_t ep = h->entry;
  float dep = key(h, k, q, row_of(h, a, ep), a->dim);
  for (int l = h->top; l > lvl; l--) greedy(h, a, k, q, l, &ep, &dep);
  visited v = {h->vis, 0, NULL};
  for (int l = lvl < h->top ? lvl : h->top; l >= 0; l--) {
    v.gen = next_gen(h);
    h->vis[nn] = v.gen; /* never link to itself */
    if (search_layer(h, a, k, q, ep, dep, h->efc, l, &v, NULL, &res, &cands)) {
      rc = SV_ENOMEM;
      break;
    }
    if (res.n) qsort(res.e, res.n, sizeof *res.e, cmp_cand);
    /* M links for the new node on every level (as in the paper); level-0
    ** lists may then grow to 2M through reverse links before pruning. */
    select_links(h, a, k, res.e, res.n, h->m, links(h, nn, l));
    const uint32_t *mine = links(h, nn, l);
    for (uint32_t i = 1; i <= mine[0]; i++) connect(h, a, k, mine[i], nn, l);
    if (res.n > 0) ep = res.e[0].node, dep = res.e[0].d;
  }
  if (lvl > h->top) {
    h->entry = nn;
    h->top = lvl;
  }
done:
  free(res.e);
  free(cands.e);
  return rc;
}

/* Drop links to freed nodes everywhere, then let the freed nodes be reused. */
static void sweep(sv_hnsw *h) {
  for (size_t i = 0; i < h->n; i++) {
    if (h->slot[i] == SV_ARENA_NO_SLOT) continue;
    for (int l = 0; l <= h->level[i]; l++) {
      uint32_t *li = links(h, (uint32_t)i, l), kept = 0;
      for (uint32_t j = 1; j <= li[0]; j++)
        if (live_node(h, li[j])) li[1 + kept++] = li[j];
      li[0] = kept;
    }
  }
  memcpy(h->reuse + h->nreuse, h->dead, h->ndead * sizeof *h->dead);
  h->nreuse += h->ndead;
  h->ndead = 0;
}

static void new_entry(sv_hnsw *h) {
  h->top = -1;
  for (size_t i = 0; i < h->n; i++)
    if (h->slot[i] != SV_ARENA_NO_SLOT && (int)h->level[i] > h->top) {
      h->top = h->level[i];
      h->entry = (uint32_t)i;
    }
}

void sv_hnsw_remove(sv_hnsw *h, const sv_arena *a, uint32_t d) {
  const sv_kernels *k = sv_kernels_active();
  assert(live_node(h, d));
  cand c[4 * SV_HNSW_M_MAX + 2];
  for (int l = 0; l <= h->level[d]; l++) {
    const uint32_t *ld = links(h, d, l);
    for (uint32_t i = 1; i <= ld[0]; i++) {
      uint32_t e = ld[i];
      if (e == d || !live_node(h, e) || h->level[e] < l) continue;
      uint32_t *le = links(h, e, l);
      int linked = 0;
      for (uint32_t j = 1; j <= le[0]; j++) linked |= le[j] == d;
      if (!linked) continue;
      /* e's other links plus d's links, deduplicated, by distance to e. */
      size_t n = 0;
      const float *base = row_of(h, a, e);
      for (int pass = 0; pass < 2; pass++) {
        const uint32_t *src = pass == 0 ? le : ld;
        for (uint32_t j = 1; j <= src[0]; j++) {
          uint32_t x = src[j];
          if (x == d || x == e || !live_node(h, x) || h->level[x] < l) continue;
          int dup = 0;
          for (size_t t = 0; t < n && !dup; t++) dup = c[t].node == x;
          if (!dup) c[n++] = (cand){key(h, k, base, row_of(h, a, x), a->dim), x};
        }
      }
      if (n) qsort(c, n, sizeof *c, cmp_cand);
      select_links(h, a, k, c, n, max_links(h, l), le);
    }
  }
  h->slot[d] = SV_ARENA_NO_SLOT;
  free(h->up[d]);
  h->up[d] = NULL;
  links(h, d, 0)[0] = 0;
  h->level[d] = 0;
  h->live--;
  h->dead[h->ndead++] = d;
  if (d == h->entry) new_entry(h);
  if (h->ndead > 64 && h->ndead * 16 > h->live) sweep(h);
}

void sv_hnsw_moved(sv_hnsw *h, uint32_t node, uint32_t slot) {
  assert(live_node(h, node));
  h->slot[node] = slot;
}

long sv_hnsw_search(const sv_hnsw *h, const sv_arena *a, const float *q, size_t k_, size_t ef,
                    const uint64_t *allow, float *keys, uint32_t *slots) {
  const sv_kernels *k = sv_kernels_active();
  long out = -1;
  heap res = {NULL, 0, 0, 1}, cands = {NULL, 0, 0, 0};
  visited v = {NULL, 0, NULL};
  if (h->top < 0 || k_ == 0) return 0;
  if (ef < k_) ef = k_;
  if (!(v.bits = calloc(h->n / 64 + 1, sizeof *v.bits))) goto done;
  uint32_t ep = h->entry;
  float dep = key(h, k, q, row_of(h, a, ep), a->dim);
  for (int l = h->top; l > 0; l--) greedy(h, a, k, q, l, &ep, &dep);
  if (search_layer(h, a, k, q, ep, dep, ef, 0, &v, allow, &res, &cands)) goto done;
  if (res.n) qsort(res.e, res.n, sizeof *res.e, cmp_cand);
  size_t n = res.n < k_ ? res.n : k_;
  for (size_t i = 0; i < n; i++) {
    keys[i] = res.e[i].d;
    slots[i] = h->slot[res.e[i].node];
  }
  out = (long)n;
done:
  free(v.bits);
  free(res.e);
  free(cands.e);
  return out;
}

const char *sv_hnsw_check(const sv_hnsw *h, const sv_arena *a) {
  size_t live = 0;
  for (size_t i = 0; i < h->n; i++) {
    if (h->slot[i] == SV_ARENA_NO_SLOT) continue;
    live++;
    if (h->slot[i] >= a->count || a->node[h->slot[i]] != i) return "node and slot disagree";
    for (int l = 0; l <= h->level[i]; l++) {
      const uint32_t *li = links(h, (uint32_t)i, l);
      if (li[0] > max_links(h, l)) return "too many links";
      for (uint32_t j = 1; j <= li[0]; j++)
        if (li[j] >= h->n) return "link out of range";
    }
  }
  if (live != h->live || live != a->count) return "live count differs from the arena";
  if (h->n > 0 && h->n > 2 * a->count + 64 + h->ndead + h->nreuse) return "graph grew";
  if (h->live > 0 && (h->top < 0 || !live_node(h, h->entry))) return "entry point is not live";
  return NULL;
}

void sv_hnsw_info_get(const sv_hnsw *h, sv_hnsw_info *out) {
  memset(out, 0, sizeof *out);
  out->live = h->live;
  out->nodes = h->n;
  out->top = h->top;
  size_t up = 0;
  for (size_t i = 0; i < h->n; i++) {
    if (h->slot[i] == SV_ARENA_NO_SLOT) continue;
    out->links += links(h, (uint32_t)i, 0)[0];
    up += h->level[i];
  }
  out->bytes = h->cap * ((1 + h->m0) * 4 + 4 + 1 + sizeof(void *) + 4) + up * (1 + h->m) * 4;
}

void sv_hnsw_header_get(const sv_hnsw *h, sv_hnsw_header *out) {
  out->m = h->m;
  out->efc = h->efc;
  out->entry = h->entry;
  out->top = h->top;
  out->nodes = h->n;
}

int sv_hnsw_encode(const sv_hnsw *h, const sv_arena *a, size_t first, size_t count,
                   unsigned char **buf, size_t *len) {
  size_t bytes = 0;
  for (size_t i = first; i < first + count; i++) {
    bytes += 9;
    if (h->slot[i] == SV_ARENA_NO_SLOT) {
      bytes += 4; /* a free node: level 0, no links */
      continue;
    }
    for (int l = 0; l <= h->level[i]; l++) bytes += 4 + 4 * (size_t)links(h, (uint32_t)i, l)[0];
  }
  unsigned char *p = malloc(bytes ? bytes : 1);
  if (!p) return -1;
  *buf = p;
  *len = bytes;
  for (size_t i = first; i < first + count; i++) {
    int64_t id = h->slot[i] == SV_ARENA_NO_SLOT ? -1 : a->ids[h->slot[i]];
    memcpy(p, &id, 8);
    p[8] = id < 0 ? 0 : h->level[i];
    p += 9;
    int top = id < 0 ? 0 : h->level[i];
    for (int l = 0; l <= top; l++) {
      const uint32_t *li = links(h, (uint32_t)i, l);
      uint32_t c = id < 0 ? 0 : li[0];
      memcpy(p, &c, 4);
      memcpy(p + 4, li + 1, 4 * (size_t)c);
      p += 4 + 4 * (size_t)c;
    }
  }
  assert((size_t)(p - *buf) == bytes);
  return 0;
}

sv_hnsw *sv_hnsw_load_begin(const sv_hnsw_header *hdr, int l2) {
  if (hdr->m < SV_HNSW_M_MIN || hdr->m > SV_HNSW_M_MAX || hdr->efc < 1 ||
      hdr->efc > SV_HNSW_EF_MAX || hdr->nodes >= UINT32_MAX - 1 || hdr->top > MAX_LEVEL)
    return NULL;
  sv_hnsw *h = sv_hnsw_new(hdr->m, hdr->efc, l2);
  if (!h) return NULL;
  if (reserve_nodes(h, (size_t)hdr->nodes + 1)) {
    sv_hnsw_free(h);
    return NULL;
  }
  h->n = (size_t)hdr->nodes;
  for (size_t i = 0; i < h->n; i++) {
    h->slot[i] = SV_ARENA_NO_SLOT;
    h->level[i] = 0;
    h->up[i] = NULL;
    links(h, (uint32_t)i, 0)[0] = 0;
  }
  h->entry = hdr->entry;
  h->top = hdr->top;
  /* Decorrelate the levels of nodes added after the load from the saved ones. */
  h->rng ^= hdr->nodes * 0xD1B54A32D192ED03ULL;
  return h;
}

int sv_hnsw_decode(sv_hnsw *h, const unsigned char *buf, size_t len, size_t first, size_t *next,
                   uint32_t (*slot_of)(void *arg, int64_t id), void *arg) {
  const unsigned char *p = buf, *end = buf + len;
  size_t i = first;
  while (p < end) {
    if (i >= h->n || end - p < 9) return -1;
    int64_t id;
    memcpy(&id, p, 8);
    int lvl = p[8];
    p += 9;
    if (lvl > MAX_LEVEL) return -1;
    if (lvl > 0 && !(h->up[i] = malloc((size_t)lvl * (1 + h->m) * sizeof(uint32_t)))) return -1;
    h->level[i] = (uint8_t)lvl;
    for (int l = 0; l <= lvl; l++) {
      uint32_t c;
      if (end - p < 4) return -1;
      memcpy(&c, p, 4);
      if (c > max_links(h, l) || (size_t)(end - p - 4) < 4 * (size_t)c) return -1;
      uint32_t *li = links(h, (uint32_t)i, l);
      li[0] = c;
      memcpy(li + 1, p + 4, 4 * (size_t)c);
      p += 4 + 4 * (size_t)c;
    }
    h->slot[i] = id < 0 ? SV_ARENA_NO_SLOT : slot_of(arg, id);
    i++;
  }
  *next = i;
  return 0;
}

int sv_hnsw_load_end(sv_hnsw *h) {
  h->live = 0;
  h->ndead = h->nreuse = 0;
  for (size_t i = 0; i < h->n; i++) {
    for (int l = 0; l <= h->level[i]; l++) {
      const uint32_t *li = links(h, (uint32_t)i, l);
      for (uint32_t j = 1; j <= li[0]; j++)
        if (li[j] >= h->n) return -1;
    }
    if (h->slot[i] != SV_ARENA_NO_SLOT) {
      h->live++;
    } else {
      free(h->up[i]);
      h->up[i] = NULL;
      h->level[i] = 0;
      links(h, (uint32_t)i, 0)[0] = 0;
      h->dead[h->ndead++] = (uint32_t)i;
    }
  }
  /* Links into dead nodes are skipped by searches; the sweep drops them. */
  if (h->ndead > 0) sweep(h);
  if (h->live == 0 || h->entry >= h->n || !live_node(h, h->entry) ||
      (int)h->level[h->entry] != h->top)
    new_entry(h);
  return 0;
}

void sv_hnsw_fill_nodes(const sv_hnsw *h, uint32_t *node_of_slot) {
  for (size_t i = 0; i < h->n; i++)
    if (h->slot[i] != SV_ARENA_NO_SLOT) node_of_slot[h->slot[i]] = (uint32_t)i;
}
