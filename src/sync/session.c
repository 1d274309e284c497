/*
** session.c — the sync protocol, independent of the transport.
**
**   client                               server
**   HELLO(want push/pull) ------------->
**                        <------------- HELLO            (or ERROR: shape)
**   REQUEST(after V) ------------------>                 (pull: V = our progress for the server)
**   BATCH* END ------------------------>                 (push: after the server's progress for us,
**                                                         which its REQUEST... see below)
**                        <------------- BATCH* END       (pull)
**   ACK -------------------------------> / <------------ ACK (each END is acknowledged)
**
** Both directions are symmetric: whoever wants the other's changes sends a
** REQUEST carrying the last version of the other side it already holds
** (kept per peer node id in the shard, see store/changes.c); the other side
** then streams its changes after that version as BATCH frames and an END,
** and the receiver answers END with ACK once everything is applied.  So
** the client sends REQUEST when it pulls, and the server sends REQUEST when
** the client's hello says it pushes.  A session is done when every END it
** expected has arrived and every END it sent has been acknowledged.
**
** Each batch is applied in its own transaction together with the progress
** marker (the sender's version of its last row): an interrupted sync keeps
** the batches that committed and resumes after them next time.  Anything
** unexpected — a frame out of order, a malformed frame, a batch the store
** refuses — fails the session: an ERROR frame goes to the peer, the
** transport closes the connection, and nothing of that frame was applied.
*/
#include "sync/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"

#define DEFAULT_BATCH_ROWS 256

int sv_sess_fail(sv_sess *x, int status, const char *fmt, ...) {
  if (x->status != SV_OK) return x->status; /* keep the first cause */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->msg, sizeof x->msg, fmt, ap);
  va_end(ap);
  x->status = status;
  x->done = 1;
  return status;
}

/* Fail and tell the peer why. */
static int refuse(sv_sess *x, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int refuse(sv_sess *x, int status, const char *fmt, ...) {
  char m[sizeof x->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  if (x->status == SV_OK) svf_put_error(&x->out, (uint32_t)status, m);
  return sv_sess_fail(x, status, "%s", m);
}

static void hex_to_id(const char *hex, uint8_t out[16]) {
  memset(out, 0, 16);
  for (int i = 0; i < 32 && hex[i]; i++) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    out[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
  }
}

static void put_hello(sv_sess *x) {
  svf_hello h;
  memset(&h, 0, sizeof h);
  h.proto = SVF_PROTO;
  h.format_version = (uint16_t)x->me.format_version;
  h.dim = x->me.dim;
  h.metric = (uint8_t)x->me.metric;
  h.caps = x->allow_zstd ? (SVF_CAP_ZSTD | SVF_CAP_SHUFFLE) : 0;
  h.want = (uint8_t)(x->client ? x->want : SVF_WANT_PUSH | SVF_WANT_PULL);
  h.node_id = x->me.node_id;
  h.version = x->me.version;
  hex_to_id(x->me.shard_id, h.shard_id);
  svf_put_hello(&x->out, &h);
}

int sv_sess_init(sv_sess *x, sv_shard *s, int client, int want, const sv_sync_options *o,
                 sv_sync_result *r) {
  memset(x, 0, sizeof *x);
  x->s = s;
  x->client = client;
  x->want = want;
  x->r = r;
  x->allow_zstd = svf_have_zstd() && (!o || o->compress != 0);
  x->batch_rows = o && o->batch_rows ? o->batch_rows : DEFAULT_BATCH_ROWS;
  if (x->batch_rows > SVF_MAX_ROWS) x->batch_rows = SVF_MAX_ROWS;
  int rc = sv__shard_info(s, &x->me);
  if (rc != SV_OK) return sv_sess_fail(x, rc, "%s", sv_errmsg(s));
  svf_batch_init(&x->bb, x->me.dim);
  if (client) put_hello(x);
  return SV_OK;
}

void sv_sess_free(sv_sess *x) {
  svf_batch_free(&x->bb);
  sv_buf_free(&x->in);
  sv_buf_free(&x->out);
}

static void check_done(sv_sess *x) {
  if (x->status != SV_OK || !x->have_peer) return;
  int sent_ok = !x->send_expected || x->send_acked;
  int recv_ok = !x->recv_expected || x->recv_acked;
  if (sent_ok && recv_ok) x->done = 1;
}

/* Shape agreement: both sides check, so each refuses with its own words. */
static int on_hello(sv_sess *x, const uint8_t *p, size_t n) {
  char err[200];
  svf_hello h;
  if (x->have_peer) return refuse(x, SV_ESYNC, "unexpected second hello");
  if (svf_get_hello(p, n, &h, err, sizeof err) != 0) return refuse(x, SV_ESYNC, "%s", err);
  if (h.dim != x->me.dim || h.metric != (uint8_t)x->me.metric ||
      h.format_version != (uint16_t)x->me.format_version)
    return refuse(x, SV_ESHAPE,
                  "shard shape mismatch: peer has dim %u metric %s format %u, we have dim %u "
                  "metric %s format %d",
                  (unsigned)h.dim, sv_metric_name((sv_metric)h.metric), (unsigned)h.format_version,
                  (unsigned)x->me.dim, sv_metric_name(x->me.metric), x->me.format_version);
  if (h.node_id == x->me.node_id)
    return refuse(x, SV_ESYNC, "peer has our own node id %lld (a copy of this shard?)",
                  (long long)h.node_id);
  x->peer = h;
  x->have_peer = 1;
  int zstd = x->allow_zstd && (h.caps & SVF_CAP_ZSTD);
  x->codec = !zstd                        ? SVF_CODEC_RAW
             : (h.caps & SVF_CAP_SHUFFLE) ? SVF_CODEC_ZSTD_SHUFFLE
                                          : SVF_CODEC_ZSTD;
  if (x->r) x->r->compressed = zstd;
  int pull; /* do we want the peer's changes? */
  if (x->client) {
    pull = (x->want & SVF_WANT_PULL) != 0;
    x->send_expected = (x->want & SVF_WANT_PUSH) != 0;
  } else {
    x->want = h.want;
    pull = (h.want & SVF_WANT_PUSH) != 0;
    x->send_expected = (h.want & SVF_WANT_PULL) != 0;
    put_hello(x);
  }
  if (pull) {
    int64_t v = 0;
    int rc = sv__peer_version(x->s, h.node_id, &v);
    if (rc != SV_OK) return refuse(x, rc, "%s", sv_errmsg(x->s));
    svf_put_request(&x->out, v);
    x->recv_expected = 1;
  }
  check_done(x);
  return SV_OK;
}

static int on_request(sv_sess *x, const uint8_t *p, size_t n) {
  char err[200];
  int64_t after;
  if (svf_get_request(p, n, &after, err, sizeof err) != 0) return refuse(x, SV_ESYNC, "%s", err);
  if (!x->send_expected || x->send_active) return refuse(x, SV_ESYNC, "unexpected request");
  x->send_active = 1;
  x->send_after = after;
  return SV_OK;
}

static int on_batch(sv_sess *x, const uint8_t *p, size_t n) {
  char err[200];
  svf_batch b;
  int rc = SV_OK;
  if (!x->recv_expected || x->recv_end) return refuse(x, SV_ESYNC, "unexpected batch");
  if (svf_get_batch(p, n, x->me.dim, &b, err, sizeof err) != 0) {
    svf_batch_clear(&b);
    return refuse(x, SV_ESYNC, "%s", err);
  }
  if (b.upto <= x->recv_upto) {
    svf_batch_clear(&b);
    return refuse(x, SV_ESYNC, "batch versions go backwards");
  }
  sv_apply_stats st = {0, 0};
  rc = sv__changes_apply(x->s, b.changes, b.n, x->peer.node_id, b.upto, &st);
  if (rc != SV_OK) {
    svf_batch_clear(&b);
    return refuse(x, rc, "refused a batch: %s", sv_errmsg(x->s));
  }
  x->recv_upto = b.upto;
  if (x->r) {
    x->r->rows_received += b.n;
    x->r->rows_applied += st.applied;
    x->r->payload_raw += b.raw_len;
    x->r->payload_coded += b.coded_len;
  }
  svf_batch_clear(&b);
  return SV_OK;
}

static int on_end(sv_sess *x, const uint8_t *p, size_t n) {
  char err[200];
  int64_t upto;
  uint64_t rows;
  if (svf_get_i64_u64(p, n, &upto, &rows, err, sizeof err) != 0)
    return refuse(x, SV_ESYNC, "%s", err);
  if (!x->recv_expected || x->recv_end) return refuse(x, SV_ESYNC, "unexpected end");
  if (x->r && rows != x->r->rows_received)
    return refuse(x, SV_ESYNC, "peer sent %llu rows but we received %llu", (unsigned long long)rows,
                  (unsigned long long)x->r->rows_received);
  if (upto < x->recv_upto) return refuse(x, SV_ESYNC, "end version goes backwards");
  if (upto > x->recv_upto) {
    /* Rows skipped at the end (our own echoes) still count as received. */
    int rc = sv__changes_apply(x->s, NULL, 0, x->peer.node_id, upto, NULL);
    if (rc != SV_OK) return refuse(x, rc, "%s", sv_errmsg(x->s));
    x->recv_upto = upto;
  }
  x->recv_end = 1;
  svf_put_ack(&x->out, x->recv_upto, x->r ? x->r->rows_applied : 0);
  x->recv_acked = 1;
  check_done(x);
  return SV_OK;
}

static int on_ack(sv_sess *x, const uint8_t *p, size_t n) {
  char err[200];
  int64_t upto;
  uint64_t applied;
  if (svf_get_i64_u64(p, n, &upto, &applied, err, sizeof err) != 0)
    return refuse(x, SV_ESYNC, "%s", err);
  if (!x->send_end_queued || x->send_acked) return refuse(x, SV_ESYNC, "unexpected ack");
  x->send_acked = 1;
  check_done(x);
  return SV_OK;
}

int sv_sess_input(sv_sess *x, const uint8_t *p, size_t n) {
  if (x->status != SV_OK) return x->status;
  sv_buf_put(&x->in, p, n);
  if (x->in.oom) return sv_sess_fail(x, SV_ENOMEM, "out of memory buffering input");
  size_t off = 0;
  while (x->status == SV_OK) {
    uint8_t type;
    const uint8_t *pl;
    size_t plen, used;
    char err[200];
    int k = svf_next(x->in.p + off, x->in.len - off, &type, &pl, &plen, &used, err, sizeof err);
    if (k == 0) break;
    if (k < 0) {
      refuse(x, SV_ESYNC, "%s", err);
      break;
    }
    off += used;
    if (!x->have_peer && type != SVF_HELLO && type != SVF_ERROR) {
      refuse(x, SV_ESYNC, "expected a hello first");
      break;
    }
    if (x->done && type != SVF_ERROR) {
      refuse(x, SV_ESYNC, "frame after the end of the session");
      break;
    }
    switch (type) {
      case SVF_HELLO:
        on_hello(x, pl, plen);
        break;
      case SVF_REQUEST:
        on_request(x, pl, plen);
        break;
      case SVF_BATCH:
        on_batch(x, pl, plen);
        break;
      case SVF_END:
        on_end(x, pl, plen);
        break;
      case SVF_ACK:
        on_ack(x, pl, plen);
        break;
      case SVF_ERROR: {
        uint32_t code = 0;
        char m[SVF_MAX_ERRMSG + 1];
        svf_get_error(pl, plen, &code, m, sizeof m);
        int st = (code == SV_ESHAPE || code == SV_EAUTH) ? (int)code : SV_ESYNC;
        x->status = SV_OK; /* the peer's reason wins over ours */
        sv_sess_fail(x, st, "peer refused: %s", m);
        break;
      }
    }
  }
  sv_buf_consume(&x->in, off);
  return x->status;
}

/* sv__changes_read callback: add a row to the batch, or stop when full. */
#define STOP_FULL (-1000)
static int add_row(void *ctx, const sv_change *c) {
  sv_sess *x = ctx;
  size_t cap = SVF_MAX_RAW / 2;
  /* A state the peer itself wrote is one it holds already (or has since
  ** overwritten): its own writes only move forward. */
  if (c->origin == x->peer.node_id) return SV_OK;
  if (x->bb.n > 0 && svf_batch_size_with(&x->bb, c) > cap) return STOP_FULL;
  if (svf_batch_size_with(&x->bb, c) > SVF_MAX_RAW)
    return sv__fail(x->s, SV_EINVAL, "row %lld is too large to sync (over %u bytes)",
                    (long long)c->id, (unsigned)SVF_MAX_RAW);
  if (svf_batch_add(&x->bb, c) != 0) return sv__fail(x->s, SV_ENOMEM, "out of memory");
  return SV_OK;
}

int sv_sess_produce(sv_sess *x, size_t room) {
  while (x->status == SV_OK && x->send_active && !x->send_end_queued && x->out.len < room) {
    int64_t last = x->send_after;
    svf_batch_reset(&x->bb);
    int rc = sv__changes_read(x->s, x->send_after, x->batch_rows, add_row, x, &last);
    if (rc != SV_OK && rc != STOP_FULL) return refuse(x, rc, "%s", sv_errmsg(x->s));
    if (x->bb.n == 0 && last == x->send_after) {
      svf_put_end(&x->out, x->send_after, x->send_rows);
      x->send_end_queued = 1;
      break;
    }
    if (x->bb.n > 0) {
      size_t raw = 0, coded = 0;
      x->bb.upto = last;
      if (svf_batch_emit(&x->bb, x->codec, &x->out, &raw, &coded) != 0)
        return refuse(x, SV_ENOMEM, "could not encode a batch");
      x->send_rows += x->bb.n;
      if (x->r) {
        x->r->rows_sent += x->bb.n;
        x->r->payload_raw += raw;
        x->r->payload_coded += coded;
      }
    }
    x->send_after = last;
  }
  if (x->out.oom) return sv_sess_fail(x, SV_ENOMEM, "out of memory");
  return x->status;
}
