/*
** local.c — syncing two shards of one process, and the digest entry point.
**
** Two sessions (a client on `shard`, a server on `other`) are wired back to
** back: whatever one queues is fed to the other until both are done or
** one fails.  This is the network protocol byte for byte minus QUIC, so it
** exercises the same changesets, frames and codec; the byte counts it
** reports are frame bytes.  Output is produced in slices of at most
** PUMP_ROOM bytes so a large shard never has to fit in memory at once.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sqlite_vector_sync.h"
#include "sync/session.h"

#define PUMP_ROOM (4u << 20)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int sv_shard_digest(sv_shard *shard, char out[65], uint64_t *rows) {
  if (!shard || !out) return SV_EINVAL;
  return sv__content_digest(shard, out, rows);
}

/* Move everything a has queued into b; account bytes on a's side. */
static int pump(sv_sess *a, sv_sess *b, uint64_t *sent) {
  sv_sess_produce(a, PUMP_ROOM);
  if (a->out.len == 0) return 0;
  size_t n = a->out.len;
  *sent += n;
  sv_sess_input(b, a->out.p, n);
  sv_buf_consume(&a->out, n);
  return 1;
}

int sv_sync_local(sv_shard *shard, sv_shard *other, sv_sync_direction dir,
                  const sv_sync_options *opts, sv_sync_result *out) {
  sv_sess c, srv;
  sv_sync_result rc_res, rs_res;
  int rc = SV_OK;
  double t0 = now_ms();
  if (!shard) return SV_EINVAL;
  if (out) memset(out, 0, sizeof *out);
  memset(&rc_res, 0, sizeof rc_res);
  memset(&rs_res, 0, sizeof rs_res);
  if (!other || dir < SV_SYNC_PUSH || dir > SV_SYNC_BOTH)
    return sv__fail(shard, SV_EINVAL, "sync_local: other shard missing or bad direction");
  if (other == shard) return sv__fail(shard, SV_EINVAL, "sync_local: a shard with itself");
  int irc = sv_sess_init(&c, shard, 1, (int)dir, opts, &rc_res);
  int jrc = sv_sess_init(&srv, other, 0, 0, opts, &rs_res);
  if (irc != SV_OK || jrc != SV_OK) {
    rc = irc != SV_OK ? irc : jrc;
    sv__fail(shard, rc, "%s", irc != SV_OK ? c.msg : srv.msg);
    goto done;
  }
  for (;;) {
    int moved = pump(&c, &srv, &rc_res.bytes_sent);
    moved |= pump(&srv, &c, &rc_res.bytes_received);
    if (c.status != SV_OK || srv.status != SV_OK) break;
    if (c.done && srv.done) break;
    if (!moved) {
      sv_sess_fail(&c, SV_EINTERNAL, "sync stalled (protocol bug)");
      break;
    }
  }
  if (c.status != SV_OK) {
    rc = c.status;
    sv__fail(shard, rc, "%s", c.msg);
  } else if (srv.status != SV_OK) {
    rc = srv.status;
    sv__fail(shard, rc, "other shard: %s", srv.msg);
  }
done:
  if (out) {
    *out = rc_res; /* the client side counted both directions' payloads */
    out->compression_ratio =
        out->payload_coded ? (double)out->payload_raw / (double)out->payload_coded : 1.0;
    out->ms = now_ms() - t0;
    if (rc == SV_OK && opts && opts->want_digest) sv__content_digest(shard, out->digest, NULL);
  }
  sv_sess_free(&c);
  sv_sess_free(&srv);
  return rc;
}
