/*
** mem_json.c — JSON renderings of memory results for the CLI and MCP.
**
** Faces print results as JSON; building it here once keeps the field
** names identical everywhere.  Strings are escaped per RFC 8259 (control
** characters as \u00XX); stored text is valid UTF-8 (checked on the way
** in), so bytes >= 0x80 are copied as they are.
**
** Also here: the growable string the JSON writers share, and the strict
** reader of one vector ("[n, n, ...]", plain JSON numbers only, finite in
** float range, exactly dim of them) that the external embedders use on
** every answer they get.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

void sv__sbuf_put(sv_sbuf *b, const char *s, size_t len) {
  if (b->oom) return;
  if (b->n + len + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->n + len + 1) nc *= 2;
    char *p = realloc(b->s, nc);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->s = p;
    b->cap = nc;
  }
  memcpy(b->s + b->n, s, len);
  b->n += len;
  b->s[b->n] = '\0';
}

void sv__sbuf_fmt(sv_sbuf *b, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (w > 0) sv__sbuf_put(b, tmp, (size_t)w < sizeof tmp ? (size_t)w : sizeof tmp - 1);
}

void sv__sbuf_json_str(sv_sbuf *b, const char *s) {
  if (!s) {
    sv__sbuf_put(b, "null", 4);
    return;
  }
  sv__sbuf_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char e[2] = {'\\', (char)*p};
      sv__sbuf_put(b, e, 2);
    } else if (*p == '\n') {
      sv__sbuf_put(b, "\\n", 2);
    } else if (*p == '\t') {
      sv__sbuf_put(b, "\\t", 2);
    } else if (*p < 0x20) {
      sv__sbuf_fmt(b, "\\u%04x", *p);
    } else {
      sv__sbuf_put(b, (const char *)p, 1);
    }
  }
  sv__sbuf_put(b, "\"", 1);
}

int sv__parse_vector(const char *s, const char *end, float *v, uint32_t dim, size_t which,
                     char *err, size_t errcap) {
  uint32_t k = 0;
  while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
  if (s >= end || *s != '[') {
    snprintf(err, errcap, "vector %zu is not a JSON array", which);
    return SV_EIO;
  }
  s++;
  for (;;) {
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++;
    if (s < end && *s == ']' && k == 0) break;
    if (s >= end || !(*s == '-' || (*s >= '0' && *s <= '9'))) {
      snprintf(err, errcap, "vector %zu: expected a number", which);
      return SV_EIO;
    }
    char *e;
    double d = strtod(s, &e);
    if (e > end || e == s || !isfinite(d) || fabs(d) > 3.4e38) {
      snprintf(err, errcap, "vector %zu: a value is not a finite float", which);
      return SV_EIO;
    }
    if (k < dim) v[k] = (float)d;
    k++;
    s = e;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++;
    if (s < end && *s == ',') {
      s++;
      continue;
    }
    if (s < end && *s == ']') break;
    snprintf(err, errcap, "vector %zu: expected ',' or ']'", which);
    return SV_EIO;
  }
  s++;
  while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
  if (s != end) {
    snprintf(err, errcap, "vector %zu: text after the array", which);
    return SV_EIO;
  }
  if (k != dim) {
    snprintf(err, errcap, "vector %zu has %u values, expected %u", which, k, dim);
    return SV_EDIM;
  }
  return 0;
}

char *sv_mem_item_json(const sv_mem_item *it) {
  static const char *const OUT[] = {"none", "success", "failure"};
  sv_sbuf b = {0};
  if (!it) return NULL;
  sv__sbuf_fmt(&b, "{\"id\":%lld,\"title\":", (long long)it->id);
  sv__sbuf_json_str(&b, it->title);
  sv__sbuf_put(&b, ",\"description\":", 15);
  sv__sbuf_json_str(&b, it->description);
  sv__sbuf_put(&b, ",\"content\":", 11);
  sv__sbuf_json_str(&b, it->content);
  sv__sbuf_fmt(&b, ",\"outcome\":\"%s\",\"domain\":",
               OUT[it->outcome >= 0 && it->outcome <= 2 ? it->outcome : 0]);
  sv__sbuf_json_str(&b, it->domain);
  sv__sbuf_put(&b, ",\"tags\":", 8);
  /* tags were validated as a JSON array of strings when stored */
  if (it->tags)
    sv__sbuf_put(&b, it->tags, strlen(it->tags));
  else
    sv__sbuf_put(&b, "[]", 2);
  sv__sbuf_put(&b, ",\"source_task\":", 15);
  sv__sbuf_json_str(&b, it->source_task);
  sv__sbuf_fmt(&b, ",\"created_ms\":%lld,\"last_used_ms\":%lld", (long long)it->created_ms,
               (long long)it->last_used_ms);
  sv__sbuf_fmt(&b, ",\"uses\":%lld,\"successes\":%lld,\"evidence\":%lld", (long long)it->uses,
               (long long)it->successes, (long long)it->evidence);
  sv__sbuf_fmt(&b, ",\"quality\":%.4f,\"reliability\":%.4f,\"contradictions\":%d}", it->quality,
               it->reliability, it->contradictions);
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

static char *finish(sv_sbuf *b) {
  if (b->oom) {
    free(b->s);
    return NULL;
  }
  return b->s;
}

/* Append item id's JSON (read from m) to b. */
static int put_item(sv_mem *m, sv_sbuf *b, int64_t id) {
  sv_mem_item it;
  int rc = sv_mem_get(m, id, &it);
  if (rc != SV_OK) return rc;
  char *js = sv_mem_item_json(&it);
  sv_mem_item_free(&it);
  if (!js) return SV_ENOMEM;
  sv__sbuf_put(b, js, strlen(js));
  free(js);
  return SV_OK;
}

int sv_mem_hits_json(sv_mem *m, const sv_mem_hits *h, char **out) {
  sv_sbuf b = {0};
  int rc = SV_OK;
  if (!out) return SV_EINVAL;
  *out = NULL;
  if (!m || !h) return SV_EINVAL;
  sv__sbuf_put(&b, "{\"hits\":[", 9);
  for (size_t i = 0; i < h->n && rc == SV_OK; i++) {
    sv__sbuf_fmt(&b, "%s{\"id\":%lld,\"score\":%.6g,\"similarity\":%.6g,\"item\":", i ? "," : "",
                 (long long)h->hits[i].id, h->hits[i].score, h->hits[i].similarity);
    rc = put_item(m, &b, h->hits[i].id);
    sv__sbuf_put(&b, "}", 1);
  }
  sv__sbuf_put(&b, "]}", 2);
  if (rc == SV_OK && !(*out = finish(&b))) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  if (rc != SV_OK) free(b.s);
  return rc;
}

int sv_mem_patterns_json(sv_mem *m, const sv_mem_patterns *p, char **out) {
  sv_sbuf b = {0};
  int rc = SV_OK;
  if (!out) return SV_EINVAL;
  *out = NULL;
  if (!m || !p) return SV_EINVAL;
  sv__sbuf_put(&b, "{\"patterns\":[", 13);
  for (size_t i = 0; i < p->n && rc == SV_OK; i++) {
    const sv_mem_pattern *x = &p->p[i];
    sv__sbuf_fmt(&b, "%s{\"id\":%lld,\"score\":%.6f,\"similarity\":%.6f", i ? "," : "",
                 (long long)x->id, x->score, x->similarity);
    sv__sbuf_fmt(&b, ",\"recency\":%.6f,\"reliability\":%.6f,\"item\":", x->recency,
                 x->reliability);
    rc = put_item(m, &b, x->id);
    sv__sbuf_put(&b, "}", 1);
  }
  sv__sbuf_put(&b, "]}", 2);
  if (rc == SV_OK && !(*out = finish(&b))) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
  if (rc != SV_OK) free(b.s);
  return rc;
}

char *sv_mem_store_result_json(const sv_mem_store_result *r) {
  static const char *const ACT[] = {"", "stored", "merged", "skipped"};
  sv_sbuf b = {0};
  if (!r) return NULL;
  sv__sbuf_fmt(&b, "{\"quality\":%.4f,\"items\":[", r->quality);
  for (size_t i = 0; i < r->n && i < SV_MEM_MAX_ITEMS_PER_EXPERIENCE; i++) {
    int a = r->actions[i] >= 1 && r->actions[i] <= 3 ? r->actions[i] : 0;
    sv__sbuf_fmt(&b, "%s{\"action\":\"%s\",\"id\":", i ? "," : "", ACT[a]);
    if (r->ids[i]) {
      sv__sbuf_fmt(&b, "%lld}", (long long)r->ids[i]);
    } else {
      sv__sbuf_put(&b, "null}", 5);
    }
  }
  sv__sbuf_put(&b, "]}", 2);
  return finish(&b);
}

char *sv_mem_consolidate_json(const sv_mem_consolidate_report *r) {
  sv_sbuf b = {0};
  if (!r) return NULL;
  sv__sbuf_fmt(&b, "{\"examined\":%lld,\"merged\":%lld,", (long long)r->examined,
               (long long)r->merged);
  sv__sbuf_fmt(&b, "\"contradictions\":%lld,\"pruned\":%lld,\"actions\":[",
               (long long)r->contradictions, (long long)r->pruned);
  for (size_t i = 0; i < r->n_actions; i++) {
    const sv_mem_consolidate_action *a = &r->actions[i];
    const char *sep = i ? "," : "";
    if (a->kind == SV_MEM_ACT_MERGED) {
      sv__sbuf_fmt(&b, "%s{\"action\":\"merged\",\"id\":%lld,\"into\":%lld}", sep, (long long)a->a,
                   (long long)a->b);
    } else if (a->kind == SV_MEM_ACT_CONTRADICTS) {
      sv__sbuf_fmt(&b, "%s{\"action\":\"contradicts\",\"a\":%lld,\"b\":%lld}", sep, (long long)a->a,
                   (long long)a->b);
    } else {
      sv__sbuf_fmt(&b, "%s{\"action\":\"pruned\",\"id\":%lld}", sep, (long long)a->a);
    }
  }
  sv__sbuf_put(&b, "]}", 2);
  return finish(&b);
}

char *sv_mem_context_json(const sv_mem_context *c) {
  sv_sbuf b = {0};
  if (!c) return NULL;
  sv__sbuf_put(&b, "{\"text\":", 8);
  sv__sbuf_json_str(&b, c->text ? c->text : "");
  sv__sbuf_put(&b, ",\"sources\":[", 12);
  for (size_t i = 0; i < c->n; i++) {
    sv__sbuf_put(&b, i ? ",{\"shard\":" : "{\"shard\":", i ? 10 : 9);
    sv__sbuf_json_str(&b, c->sources[i].shard);
    sv__sbuf_fmt(&b, ",\"id\":%lld,\"score\":%.6f}", (long long)c->sources[i].id,
                 c->sources[i].score);
  }
  sv__sbuf_put(&b, "]}", 2);
  return finish(&b);
}
