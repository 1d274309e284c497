/*
** fuzz_frames.c — libFuzzer target for the sync frame decoder and session.
**
** The first input byte picks how the rest is used, so the fuzzer reaches
** deep states without a seed corpus:
**   0  raw bytes fed to a fresh server session (framing, hello checks)
**   1  a valid client hello first, then the bytes (request, batch, end,
**      ack and error frames of a live session)
**   2  the bytes as a batch payload for svf_get_batch (dimension from the
**      next byte)
**   3  a valid hello, then a BATCH frame whose header is well formed and
**      whose body is the bytes, raw or with a fuzzed codec byte
** Each input is fed in chunks whose sizes come from the input itself, so
** frame reassembly across arbitrary splits is exercised too.  The shard
** is an in-memory one shared by all inputs; a valid batch may legitimately
** be applied, which is fine — the target looks for crashes, leaks, UB and
** violated invariants (sessions must end in either done or a failure with
** a message).  Built with -fsanitize=fuzzer under clang, or with
** fuzz_driver.c (a deterministic random driver) under gcc.
*/
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_vector_sync.h"
#include "sync/session.h"

#define FDIM 4

static sv_shard *shard(void) {
  static sv_shard *s = NULL;
  if (!s) {
    sv_open_options o = {FDIM, SV_METRIC_COSINE, SV_OPEN_CREATE};
    if (sv_shard_open(":memory:", &o, &s) != SV_OK) return NULL;
  }
  return s;
}

static void client_hello(sv_buf *out) {
  svf_hello h;
  memset(&h, 0, sizeof h);
  h.proto = SVF_PROTO;
  h.format_version = SV_FORMAT_VERSION;
  h.dim = FDIM;
  h.metric = SV_METRIC_COSINE;
  h.caps = SVF_CAP_ZSTD | SVF_CAP_SHUFFLE;
  h.want = SVF_WANT_PUSH | SVF_WANT_PULL;
  h.node_id = 12345;
  h.version = 7;
  svf_put_hello(out, &h);
}

static void feed_chunked(sv_sess *x, const uint8_t *p, size_t n, uint8_t step) {
  size_t chunk = 1 + step % 61;
  for (size_t off = 0; off < n && x->status == SV_OK; off += chunk) {
    size_t k = n - off < chunk ? n - off : chunk;
    sv_sess_input(x, p + off, k);
    sv_sess_produce(x, 1 << 16);
    x->out.len = 0; /* drop what the session would send */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sv_shard *s = shard();
  if (!s || size < 2) return 0;
  uint8_t mode = data[0] % 4, step = data[1];
  data += 2;
  size -= 2;
  if (mode == 2) {
    svf_batch b;
    char err[200];
    uint32_t dim = size ? 1u + data[0] % 16 : 1;
    if (svf_get_batch(data, size, dim, &b, err, sizeof err) == 0) {
      assert(b.n >= 1 && b.n <= SVF_MAX_ROWS);
      for (uint32_t i = 0; i < b.n; i++) assert(!b.changes[i].vec || b.changes[i].meta);
    }
    svf_batch_clear(&b);
    return 0;
  }
  sv_sess x;
  sv_sync_result r;
  memset(&r, 0, sizeof r);
  if (sv_sess_init(&x, s, 0, 0, NULL, &r) != SV_OK) return 0;
  sv_buf pre = {0};
  if (mode >= 1) client_hello(&pre);
  if (mode == 3 && size >= 1) {
    uint8_t codec = data[0] % 4;
    data++, size--;
    sv_buf_u32(&pre, (uint32_t)(20 + size));
    sv_buf_u8(&pre, SVF_BATCH);
    sv_buf_u8(&pre, codec);
    sv_buf_u8(&pre, 0);
    sv_buf_u16(&pre, 0);
    sv_buf_u32(&pre, size / 29 ? (uint32_t)(size / 29) : 1);
    sv_buf_u32(&pre, (uint32_t)size);
    sv_buf_u64(&pre, 1);
  }
  feed_chunked(&x, pre.p, pre.len, step);
  feed_chunked(&x, data, size, step);
  /* A failed session always says why. */
  assert(x.status == SV_OK || x.msg[0] != 0);
  sv_buf_free(&pre);
  sv_sess_free(&x);
  return 0;
}
