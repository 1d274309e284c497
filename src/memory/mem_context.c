/*
** mem_context.c — synthesize_context(): one prompt block from many shards.
**
** Each memory file is opened read-only with the caller's embedder (so a
** file from another vector space is an error naming it, never mixed in),
** asked for its best patterns for the task, and closed again.  The
** candidates of all files are merged by score (ties: file order, then id),
** and a candidate is dropped as a duplicate when an already chosen item has
** the same title (ASCII case-insensitive) or a cosine >= 0.92 with it.
**
** The block is plain Markdown-ish text an agent can paste into a prompt:
**
**   Relevant memories from past tasks:
**   - [success, reliability 0.67] Title
**     Description
**     Content
**     (source: PATH #ID)
**
** Whole items only: an item that does not fit the remaining budget is
** skipped (a smaller later one may still fit), so no item is ever cut
** mid-sentence, and the result never exceeds budget bytes.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "memory/mem_internal.h"

typedef struct ctx_cand {
  size_t shard;
  sv_mem_item item;
  double score;
  float *vec;
} ctx_cand;

static int cmp_ctx(const void *a, const void *b) {
  const ctx_cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
  return x->item.id < y->item.id ? -1 : x->item.id > y->item.id;
}

static const char HEADER[] = "Relevant memories from past tasks:\n";

static char *format_item(const ctx_cand *c, const char *path) {
  const sv_mem_item *it = &c->item;
  const char *oc = it->outcome == SV_MEM_OUTCOME_SUCCESS   ? "success"
                   : it->outcome == SV_MEM_OUTCOME_FAILURE ? "failure (lesson)"
                                                           : "note";
  size_t n = strlen(it->title) + strlen(it->content) +
             (it->description ? strlen(it->description) : 0) + strlen(path) + 128;
  char *s = malloc(n);
  if (!s) return NULL;
  int w = snprintf(s, n, "- [%s, reliability %.2f] %s\n", oc, it->reliability, it->title);
  if (it->description && *it->description) {
    w += snprintf(s + w, n - (size_t)w, "  %s\n", it->description);
  }
  snprintf(s + w, n - (size_t)w, "  %s\n  (source: %s #%lld)\n", it->content, path,
           (long long)it->id);
  return s;
}

int sv_mem_synthesize_context(sv_embedder *e, const char *task, const char *const *paths,
                              size_t npaths, size_t budget, const sv_mem_pattern_options *opts,
                              sv_mem_context *out, char *errbuf, size_t errcap) {
  sv_mem_pattern_options o = {.k = 3};
  ctx_cand *cands = NULL;
  size_t nc = 0, cap = 0, used = 0;
  char *block = NULL;
  int rc = SV_OK;
  char dummy[8];
  if (!errbuf || !errcap) errbuf = dummy, errcap = sizeof dummy;
  errbuf[0] = '\0';
  if (out) memset(out, 0, sizeof *out);
  if (!e || !out || !paths || npaths == 0 || npaths > 64) {
    snprintf(errbuf, errcap, "synthesize_context needs an embedder, 1..64 shards and a result");
    return SV_EINVAL;
  }
  if (opts) o = *opts;
  if (!o.k) o.k = 3;
  for (size_t s = 0; s < npaths; s++) {
    sv_mem *m = NULL;
    sv_mem_patterns pats = {0, NULL};
    if (!paths[s]) {
      snprintf(errbuf, errcap, "shard %zu: no path", s);
      rc = SV_EINVAL;
      goto done;
    }
    rc = sv_mem_open(paths[s], e, SV_OPEN_READONLY, &m);
    if (rc == SV_OK) rc = sv_mem_find_patterns(m, task, &o, &pats);
    for (size_t i = 0; rc == SV_OK && i < pats.n; i++) {
      sv_record rec;
      if (nc == cap) {
        cap = cap ? cap * 2 : 16;
        ctx_cand *c = realloc(cands, cap * sizeof *c);
        if (!c) {
          rc = SV_ENOMEM;
          break;
        }
        cands = c;
      }
      memset(&cands[nc], 0, sizeof cands[nc]);
      cands[nc].shard = s;
      cands[nc].score = pats.p[i].score;
      rc = sv_mem_get(m, pats.p[i].id, &cands[nc].item);
      if (rc != SV_OK) break;
      nc++;
      if (sv_get(m->shard, pats.p[i].id, &rec) != SV_OK) {
        rc = sv__mem_shardfail(m, SV_EIO, "reading a vector");
        break;
      }
      cands[nc - 1].vec = rec.vec;
      rec.vec = NULL;
      sv_record_free(&rec);
    }
    if (rc != SV_OK)
      snprintf(errbuf, errcap, "%s: %s", paths[s], m ? sv_mem_errmsg(m) : "out of memory");
    sv_mem_patterns_free(&pats);
    sv_mem_close(m);
    if (rc != SV_OK) goto done;
  }
  if (nc) qsort(cands, nc, sizeof *cands, cmp_ctx);
  out->sources = calloc(nc ? nc : 1, sizeof *out->sources);
  block = malloc(budget + 1);
  if (!out->sources || !block) {
    rc = SV_ENOMEM;
    snprintf(errbuf, errcap, "out of memory");
    goto done;
  }
  block[0] = '\0';
  for (size_t i = 0; i < nc; i++) {
    int dup = 0;
    for (size_t j = 0; j < i && !dup; j++) {
      float c = 0;
      if (!cands[j].vec) continue; /* not chosen */
      if (strcasecmp(cands[j].item.title, cands[i].item.title) == 0) dup = 1;
      sv_vector_score(SV_METRIC_COSINE, cands[i].vec, cands[j].vec, e->dim, &c);
      if (c >= 0.92f) dup = 1;
    }
    char *entry = dup ? NULL : format_item(&cands[i], paths[cands[i].shard]);
    if (!dup && !entry) {
      rc = SV_ENOMEM;
      snprintf(errbuf, errcap, "out of memory");
      goto done;
    }
    size_t need = entry ? strlen(entry) + (used == 0 ? sizeof HEADER - 1 : 0) : 0;
    if (dup || used + need > budget) {
      /* Not chosen: forget its vector so later ones are not compared to it. */
      free(cands[i].vec);
      cands[i].vec = NULL;
      free(entry);
      continue;
    }
    if (used == 0) memcpy(block, HEADER, sizeof HEADER - 1), used = sizeof HEADER - 1;
    memcpy(block + used, entry, strlen(entry));
    used += strlen(entry);
    block[used] = '\0';
    free(entry);
    sv_mem_source *src = &out->sources[out->n++];
    src->id = cands[i].item.id;
    src->score = cands[i].score;
    if (sv__strdup(paths[cands[i].shard], &src->shard) != 0) {
      rc = SV_ENOMEM;
      snprintf(errbuf, errcap, "out of memory");
      goto done;
    }
  }
  out->text = block;
  block = NULL;
done:
  for (size_t i = 0; i < nc; i++) {
    sv_mem_item_free(&cands[i].item);
    free(cands[i].vec);
  }
  free(cands);
  free(block);
  if (rc != SV_OK) sv_mem_context_free(out);
  return rc;
}

void sv_mem_context_free(sv_mem_context *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) free(c->sources[i].shard);
  free(c->sources);
  free(c->text);
  memset(c, 0, sizeof *c);
}
