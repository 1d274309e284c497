/*
** hash_v1.c — the built-in text embedder, frozen as "hash-v1".
**
** No sentence-embedding model can be shipped here, so the default embedder
** is feature hashing, tuned on Cranfield (docs/MEMORY.md has the numbers).
** Stored vectors depend on every detail below, so the spec is frozen and
** pinned by tests/c/test_hash_v1.c; a change is a new embedder ("hash-v2"),
** never an edit.
**
**  1. Tokens from text.c (normalised words, stopwords removed).
**  2. Features per token w: the word "w:" + w with weight 1, and every
**     character 3-, 4- and 5-gram of "<" + w + ">" (characters are code
**     points) as "c:" + gram, each with weight 1/sqrt(number of n-grams of
**     that word), so a word's n-gram block has unit L2 mass.
**  3. Per distinct feature: count c over the text; its weight is the one it
**     had at its first occurrence; value = weight * (1 + ln c).  The log
**     applies to counts, never to fractional weights.
**  4. Signed hashing into dim buckets: idx = H(f, 0x9747b28c) mod dim,
**     sign = H(f, 0x01234567) & 1 ? +1 : -1, v[idx] += sign * value.  H is
**     32-bit FNV-1a over the UTF-8 bytes of f started from the seed instead
**     of the offset basis, then the finaliser x ^= x>>15; x *= 0x2c1b3c6d;
**     x ^= x>>12; x *= 0x297a2d39; x ^= x>>15.
**  5. L2-normalise (sums in double).  Text without tokens gives the zero
**     vector, which the memory layer refuses to store.
**
** Distinct features are counted in an open-addressing table keyed by the
** feature bytes (probing starts at the index hash), walked in first-seen
** order so the double sums are always added in the same order.
*/
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

#define SEED_IDX 0x9747b28cu
#define SEED_SIGN 0x01234567u

uint32_t sv__hash_v1_fnv(const char *s, size_t len, uint32_t seed) {
  uint32_t x = seed;
  for (size_t i = 0; i < len; i++) {
    x ^= (unsigned char)s[i];
    x *= 16777619u;
  }
  x ^= x >> 15;
  x *= 0x2c1b3c6du;
  x ^= x >> 12;
  x *= 0x297a2d39u;
  x ^= x >> 15;
  return x;
}

typedef struct feat {
  size_t off, len; /* key bytes in the arena */
  uint32_t h;      /* index hash */
  double weight;
  uint32_t count;
} feat;

typedef struct ftab {
  feat *f; /* in first-seen order */
  size_t n, cap;
  int32_t *slot; /* open addressing: index into f, -1 empty */
  size_t nslot;
  char *arena;
  size_t alen, acap;
} ftab;

static int ftab_grow_slots(ftab *t) {
  size_t ns = t->nslot ? t->nslot * 2 : 256;
  int32_t *s = malloc(ns * sizeof *s);
  if (!s) return -1;
  for (size_t i = 0; i < ns; i++) s[i] = -1;
  for (size_t i = 0; i < t->n; i++) {
    size_t j = t->f[i].h & (ns - 1);
    while (s[j] >= 0) j = (j + 1) & (ns - 1);
    s[j] = (int32_t)i;
  }
  free(t->slot);
  t->slot = s;
  t->nslot = ns;
  return 0;
}

/* Count feature prefix+body (prefix is "w:" or "c:"). */
static int ftab_add(ftab *t, const char *prefix, const char *body, size_t blen, double weight) {
  size_t len = 2 + blen;
  if (t->alen + len > t->acap) {
    size_t nc = t->acap ? t->acap * 2 : 4096;
    while (nc < t->alen + len) nc *= 2;
    char *a = realloc(t->arena, nc);
    if (!a) return -1;
    t->arena = a;
    t->acap = nc;
  }
  char *key = t->arena + t->alen;
  memcpy(key, prefix, 2);
  memcpy(key + 2, body, blen);
  uint32_t h = sv__hash_v1_fnv(key, len, SEED_IDX);
  if ((t->n + 1) * 2 > t->nslot && ftab_grow_slots(t) != 0) return -1;
  size_t j = h & (t->nslot - 1);
  while (t->slot[j] >= 0) {
    feat *f = &t->f[t->slot[j]];
    if (f->h == h && f->len == len && memcmp(t->arena + f->off, key, len) == 0) {
      f->count++;
      return 0;
    }
    j = (j + 1) & (t->nslot - 1);
  }
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 128;
    feat *nf = realloc(t->f, nc * sizeof *nf);
    if (!nf) return -1;
    t->f = nf;
    t->cap = nc;
  }
  t->f[t->n] = (feat){.off = t->alen, .len = len, .h = h, .weight = weight, .count = 1};
  t->slot[j] = (int32_t)t->n;
  t->n++;
  t->alen += len;
  return 0;
}

/* Features of one token. */
static int add_word(ftab *t, const char *w) {
  size_t wl = strlen(w), nch = 0;
  size_t starts[SV_MEM_MAX_SHORT + 3];
  char *br = NULL;
  size_t *st = starts;
  int rc = -1;
  if (ftab_add(t, "w:", w, wl, 1.0) != 0) goto done;
  /* "<" + w + ">" and the byte offset of each of its characters. */
  br = malloc(wl + 3);
  if (wl + 3 > SV_MEM_MAX_SHORT + 3) st = malloc((wl + 3) * sizeof *st);
  if (!br || !st) goto done;
  br[0] = '<';
  memcpy(br + 1, w, wl);
  br[wl + 1] = '>';
  for (size_t i = 0; i < wl + 2; i++) {
    if (((unsigned char)br[i] & 0xC0) != 0x80) st[nch++] = i;
  }
  st[nch] = wl + 2; /* end sentinel */
  size_t grams = 0;
  for (size_t n = 3; n <= 5; n++) grams += nch >= n ? nch - n + 1 : 0;
  assert(grams >= 1); /* a token has at least one character */
  double weight = 1.0 / sqrt((double)grams);
  for (size_t n = 3; n <= 5; n++) {
    for (size_t i = 0; i + n <= nch; i++) {
      if (ftab_add(t, "c:", br + st[i], st[i + n] - st[i], weight) != 0) goto done;
    }
  }
  rc = 0;
done:
  free(br);
  if (st != starts) free(st);
  return rc;
}

int sv__hash_v1_embed(const char *text, float *v, uint32_t dim) {
  sv_tokens tk;
  ftab t;
  double *acc = NULL;
  int rc = -1;
  memset(&t, 0, sizeof t);
  if (sv__tokenize(text, &tk) != 0) return -1;
  acc = calloc(dim, sizeof *acc);
  if (!acc) goto done;
  for (size_t i = 0; i < tk.n; i++) {
    if (add_word(&t, tk.tok[i]) != 0) goto done;
  }
  for (size_t i = 0; i < t.n; i++) {
    const feat *f = &t.f[i];
    uint32_t hs = sv__hash_v1_fnv(t.arena + f->off, f->len, SEED_SIGN);
    double val = f->weight * (1.0 + log((double)f->count));
    acc[f->h % dim] += (hs & 1u) ? val : -val;
  }
  double norm = 0;
  for (uint32_t j = 0; j < dim; j++) norm += acc[j] * acc[j];
  norm = sqrt(norm);
  for (uint32_t j = 0; j < dim; j++) v[j] = norm > 0 ? (float)(acc[j] / norm) : 0.0f;
  rc = 0;
done:
  sv__tokens_free(&tk);
  free(t.f);
  free(t.slot);
  free(t.arena);
  free(acc);
  return rc;
}
