/*
** mem_json.c — JSON renderings of memory results for the CLI and MCP.
**
** Faces print results as JSON; building it here once keeps the field
** names identical everywhere.  Strings are escaped per RFC 8259 (control
** characters as \u00XX); stored text is valid UTF-8 (checked on the way
** in), so bytes >= 0x80 are copied as they are.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

typedef struct jbuf {
  char *s;
  size_t n, cap;
  int oom;
} jbuf;

static void jput(jbuf *b, const char *s, size_t len) {
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

static void jfmt(jbuf *b, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (w > 0) jput(b, tmp, (size_t)w < sizeof tmp ? (size_t)w : sizeof tmp - 1);
}

static void jstr(jbuf *b, const char *s) {
  if (!s) {
    jput(b, "null", 4);
    return;
  }
  jput(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char e[2] = {'\\', (char)*p};
      jput(b, e, 2);
    } else if (*p < 0x20) {
      jfmt(b, "\\u%04x", *p);
    } else {
      jput(b, (const char *)p, 1);
    }
  }
  jput(b, "\"", 1);
}

char *sv_mem_item_json(const sv_mem_item *it) {
  static const char *const OUT[] = {"none", "success", "failure"};
  jbuf b = {0};
  if (!it) return NULL;
  jfmt(&b, "{\"id\":%lld,\"title\":", (long long)it->id);
  jstr(&b, it->title);
  jput(&b, ",\"description\":", 15);
  jstr(&b, it->description);
  jput(&b, ",\"content\":", 11);
  jstr(&b, it->content);
  jfmt(&b, ",\"outcome\":\"%s\",\"domain\":",
       OUT[it->outcome >= 0 && it->outcome <= 2 ? it->outcome : 0]);
  jstr(&b, it->domain);
  jput(&b, ",\"tags\":", 8);
  /* tags were validated as a JSON array of strings when stored */
  if (it->tags)
    jput(&b, it->tags, strlen(it->tags));
  else
    jput(&b, "[]", 2);
  jput(&b, ",\"source_task\":", 15);
  jstr(&b, it->source_task);
  jfmt(&b, ",\"created_ms\":%lld,\"last_used_ms\":%lld", (long long)it->created_ms,
       (long long)it->last_used_ms);
  jfmt(&b, ",\"uses\":%lld,\"successes\":%lld,\"evidence\":%lld", (long long)it->uses,
       (long long)it->successes, (long long)it->evidence);
  jfmt(&b, ",\"quality\":%.4f,\"reliability\":%.4f,\"contradictions\":%d}", it->quality,
       it->reliability, it->contradictions);
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}
