/*
** frame.c — framing and the small control frames.
**
** Control frames have fixed sizes, so each decoder demands the exact
** payload length first and then reads fields through a cursor (buf.h)
** whose overrun flag is checked once.  svf_next only splits frames: it
** checks the type is known and the length is within SVF_MAX_PAYLOAD before
** any byte of the payload is buffered, so a hostile length cannot make the
** receiver allocate.
*/
#include "sync/frame.h"

#include <stdio.h>
#include <string.h>

static void header(sv_buf *out, uint8_t type, uint32_t len) {
  sv_buf_u32(out, len);
  sv_buf_u8(out, type);
}

void svf_put_hello(sv_buf *out, const svf_hello *h) {
  header(out, SVF_HELLO, 56);
  sv_buf_put(out, "SVSY", 4);
  sv_buf_u16(out, h->proto);
  sv_buf_u16(out, h->format_version);
  sv_buf_u32(out, h->dim);
  sv_buf_u8(out, h->metric);
  sv_buf_u8(out, h->caps);
  sv_buf_u8(out, h->want);
  sv_buf_u8(out, 0);
  sv_buf_u64(out, (uint64_t)h->node_id);
  sv_buf_u64(out, (uint64_t)h->version);
  sv_buf_u64(out, 0); /* reserved */
  sv_buf_put(out, h->shard_id, 16);
}

void svf_put_request(sv_buf *out, int64_t after) {
  header(out, SVF_REQUEST, 8);
  sv_buf_u64(out, (uint64_t)after);
}

static void put_pair(sv_buf *out, uint8_t type, int64_t a, uint64_t b) {
  header(out, type, 16);
  sv_buf_u64(out, (uint64_t)a);
  sv_buf_u64(out, b);
}

void svf_put_end(sv_buf *out, int64_t upto, uint64_t rows) {
  put_pair(out, SVF_END, upto, rows);
}

void svf_put_ack(sv_buf *out, int64_t upto, uint64_t applied) {
  put_pair(out, SVF_ACK, upto, applied);
}

void svf_put_error(sv_buf *out, uint32_t code, const char *msg) {
  size_t n = strlen(msg);
  if (n > SVF_MAX_ERRMSG) n = SVF_MAX_ERRMSG;
  header(out, SVF_ERROR, (uint32_t)(6 + n));
  sv_buf_u32(out, code);
  sv_buf_u16(out, (uint16_t)n);
  sv_buf_put(out, msg, n);
}

int svf_next(const uint8_t *in, size_t len, uint8_t *type, const uint8_t **payload, size_t *plen,
             size_t *used, char *err, size_t errlen) {
  if (len < SVF_HEADER) return 0;
  uint32_t n =
      (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
  uint8_t t = in[4];
  if (t < SVF_HELLO || t > SVF_ERROR) {
    snprintf(err, errlen, "unknown frame type %u", (unsigned)t);
    return -1;
  }
  if (n > SVF_MAX_PAYLOAD) {
    snprintf(err, errlen, "frame of %u bytes exceeds the %u-byte limit", (unsigned)n,
             (unsigned)SVF_MAX_PAYLOAD);
    return -1;
  }
  if (len - SVF_HEADER < n) return 0;
  *type = t;
  *payload = in + SVF_HEADER;
  *plen = n;
  *used = SVF_HEADER + (size_t)n;
  return 1;
}

static int bad(char *err, size_t errlen, const char *what, size_t got) {
  snprintf(err, errlen, "malformed %s frame (%zu bytes)", what, got);
  return -1;
}

int svf_get_hello(const uint8_t *p, size_t n, svf_hello *h, char *err, size_t errlen) {
  sv_rd r = {p, n, 0, 0};
  if (n != 56) return bad(err, errlen, "hello", n);
  const uint8_t *magic = sv_rd_take(&r, 4);
  if (!magic || memcmp(magic, "SVSY", 4) != 0) {
    snprintf(err, errlen, "not a sqlite-vector sync peer (bad magic)");
    return -1;
  }
  h->proto = sv_rd_u16(&r);
  h->format_version = sv_rd_u16(&r);
  h->dim = sv_rd_u32(&r);
  h->metric = sv_rd_u8(&r);
  h->caps = sv_rd_u8(&r);
  h->want = sv_rd_u8(&r);
  (void)sv_rd_u8(&r);
  h->node_id = sv_rd_i64(&r);
  h->version = sv_rd_i64(&r);
  (void)sv_rd_i64(&r);
  const uint8_t *id = sv_rd_take(&r, 16);
  if (r.bad || !id) return bad(err, errlen, "hello", n);
  memcpy(h->shard_id, id, 16);
  if (h->proto != SVF_PROTO) {
    snprintf(err, errlen, "peer speaks sync protocol %u, we speak %u", (unsigned)h->proto,
             (unsigned)SVF_PROTO);
    return -1;
  }
  if (h->dim < 1 || h->dim > SV_MAX_DIM || h->metric < 1 || h->metric > 3 || h->node_id <= 0 ||
      h->version < 0 || (h->want & ~3u) || h->want == 0 || (h->caps & ~3u)) {
    snprintf(err, errlen, "hello carries out-of-range fields");
    return -1;
  }
  return 0;
}

int svf_get_i64_u64(const uint8_t *p, size_t n, int64_t *a, uint64_t *b, char *err, size_t errlen) {
  sv_rd r = {p, n, 0, 0};
  if (n != 16) return bad(err, errlen, "end/ack", n);
  *a = sv_rd_i64(&r);
  *b = (uint64_t)sv_rd_i64(&r);
  if (*a < 0 || *b > ((uint64_t)1 << 62)) return bad(err, errlen, "end/ack", n);
  return 0;
}

int svf_get_request(const uint8_t *p, size_t n, int64_t *after, char *err, size_t errlen) {
  sv_rd r = {p, n, 0, 0};
  if (n != 8) return bad(err, errlen, "request", n);
  *after = sv_rd_i64(&r);
  if (*after < 0) return bad(err, errlen, "request", n);
  return 0;
}

int svf_get_error(const uint8_t *p, size_t n, uint32_t *code, char *msg, size_t msglen) {
  sv_rd r = {p, n, 0, 0};
  *code = sv_rd_u32(&r);
  size_t len = sv_rd_u16(&r);
  const uint8_t *q = sv_rd_take(&r, len);
  if (r.bad || r.off != n || len > SVF_MAX_ERRMSG) {
    snprintf(msg, msglen, "malformed error frame");
    return -1;
  }
  /* Printable ASCII only: the text ends up in logs and terminals. */
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < msglen; i++)
    msg[o++] = (q[i] >= 32 && q[i] < 127) ? (char)q[i] : '?';
  if (msglen) msg[o < msglen ? o : msglen - 1] = 0;
  return 0;
}
