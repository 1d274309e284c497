/*
** buf.h — a growable byte buffer and little-endian put/get helpers.
**
** Everything the sync layer puts on the wire is little-endian and built by
** appending to one of these; readers take fixed-width fields from a
** bounds-checked cursor that turns any overrun into a sticky error, so a
** decoder checks once at the end instead of before every field.
*/
#ifndef SV_SYNC_BUF_H
#define SV_SYNC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sv_buf {
  uint8_t *p;
  size_t len, cap;
  int oom; /* an append failed: the content is incomplete */
} sv_buf;

static inline int sv_buf_reserve(sv_buf *b, size_t more) {
  if (b->oom) return -1;
  if (more > SIZE_MAX - b->len) return b->oom = 1, -1;
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more) cap = cap > SIZE_MAX / 2 ? b->len + more : cap * 2;
  uint8_t *np = realloc(b->p, cap);
  if (!np) return b->oom = 1, -1;
  b->p = np;
  b->cap = cap;
  return 0;
}

static inline void sv_buf_put(sv_buf *b, const void *d, size_t n) {
  if (n == 0 || sv_buf_reserve(b, n) != 0) return;
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

static inline void sv_buf_u8(sv_buf *b, uint8_t v) {
  sv_buf_put(b, &v, 1);
}
static inline void sv_buf_u16(sv_buf *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  sv_buf_put(b, x, 2);
}
static inline void sv_buf_u32(sv_buf *b, uint32_t v) {
  uint8_t x[4];
  for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
  sv_buf_put(b, x, 4);
}
static inline void sv_buf_u64(sv_buf *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
  sv_buf_put(b, x, 8);
}

/* Drop the first n bytes. */
static inline void sv_buf_consume(sv_buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

static inline void sv_buf_free(sv_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* A read cursor; `bad` is set by any read past the end and stays set. */
typedef struct sv_rd {
  const uint8_t *p;
  size_t len, off;
  int bad;
} sv_rd;

static inline const uint8_t *sv_rd_take(sv_rd *r, size_t n) {
  if (r->bad || n > r->len - r->off) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *q = r->p + r->off;
  r->off += n;
  return q;
}
static inline uint64_t sv_rd_le(sv_rd *r, int bytes) {
  const uint8_t *q = sv_rd_take(r, (size_t)bytes);
  uint64_t v = 0;
  if (!q) return 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)q[i] << (8 * i);
  return v;
}
#define sv_rd_u8(r) ((uint8_t)sv_rd_le((r), 1))
#define sv_rd_u16(r) ((uint16_t)sv_rd_le((r), 2))
#define sv_rd_u32(r) ((uint32_t)sv_rd_le((r), 4))
#define sv_rd_i64(r) ((int64_t)sv_rd_le((r), 8))

#endif /* SV_SYNC_BUF_H */
