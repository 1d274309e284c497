/*
** session.h — one sync exchange as a byte-in/byte-out state machine.
**
** The session knows the protocol and the shard but nothing of sockets: a
** transport feeds it the bytes that arrived (sv_sess_input), asks it to
** produce more output when it has room (sv_sess_produce) and sends
** whatever sits in `out`.  The same session runs over QUIC (quic.c) and
** between two shards in one process (local.c), and the fuzzer feeds it
** hostile bytes directly.
*/
#ifndef SV_SYNC_SESSION_H
#define SV_SYNC_SESSION_H

#include "sqlite_vector_sync.h"
#include "sync/frame.h"

typedef struct sv_sess {
  sv_shard *s;
  int client;
  int want; /* client: SV_SYNC_* from its side; server: learnt from the hello */
  int allow_zstd;
  uint32_t batch_rows;
  sv_shard_info me;
  svf_hello peer;
  int have_peer;
  int codec; /* for batches we send */

  /* sending our changes */
  int send_expected; /* the peer will REQUEST our changes */
  int send_active;   /* it did: we are streaming batches after send_after */
  int send_end_queued, send_acked;
  int64_t send_after;
  uint64_t send_rows;
  svf_batch_builder bb;

  /* receiving the peer's changes */
  int recv_expected, recv_end, recv_acked;
  int64_t recv_upto;

  sv_buf in, out;
  sv_sync_result *r;
  int done;
  int status; /* SV_OK, or the failure */
  char msg[SVF_MAX_ERRMSG + 64];
} sv_sess;

/* Set up a session on shard s; a client queues its hello at once.  `want`
** is the client's direction (ignored for a server).  0 or an SV_* status. */
int sv_sess_init(sv_sess *x, sv_shard *s, int client, int want, const sv_sync_options *o,
                 sv_sync_result *r);
void sv_sess_free(sv_sess *x);
/* Feed received bytes.  Returns SV_OK, or the failure (also in x->status,
** with an ERROR frame queued in out for the peer when it makes sense). */
int sv_sess_input(sv_sess *x, const uint8_t *p, size_t n);
/* Queue more of our changes while out holds fewer than `room` bytes. */
int sv_sess_produce(sv_sess *x, size_t room);
/* Mark the session failed with a message (e.g. the transport broke). */
int sv_sess_fail(sv_sess *x, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* SV_SYNC_SESSION_H */
