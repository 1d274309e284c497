/*
** quic.c — sync sessions over QUIC with ngtcp2 0.12.1 and GnuTLS.
**
** One thread, one UDP socket, one poll loop.  ngtcp2 never touches the
** socket or the clock: each pass of the loop feeds up to RX_BURST waiting
** datagrams to their connections (ngtcp2_conn_read_pkt), fires expired
** timers (ngtcp2_conn_handle_expiry), then lets every connection write what
** it can (ngtcp2_conn_writev_stream) and sleeps in ppoll() until the
** earliest expiry or the next datagram.  The pass never sleeps while a
** connection stopped writing only because of its per-pass packet budget,
** and the sleep has nanosecond precision: on a LAN ngtcp2's timers are
** often much less than a millisecond away.
**
** Stream data.  ngtcp2 keeps pointers into the bytes it sent until the
** peer acknowledges them, so session output is copied into a queue of
** fixed 64 KiB chunks that never move; a chunk is freed once the ack offset
** passes its end.  Each write hands ngtcp2 exactly one vector (the rest of
** the chunk under the send cursor): Debian's 0.12.1 leaks a frame chain
** when it retransmits a STREAM frame built from four or more vectors (see
** docs/SYNC.md), and adjacent single vectors are merged anyway.  The session
** is asked for more output only while fewer than SEND_WINDOW bytes are
** unacknowledged, so a large initial sync streams from SQLite with bounded
** memory.
**
** Authentication happens inside the TLS 1.3 handshake (identity.c): both
** sides present certificates and each verifies the other's fingerprint
** against its allow list.  A refused peer gets a TLS alert and the
** connection closes before any stream can carry data.  Session failures
** close the connection with an application error whose reason phrase is
** the session's message, so the other side can print why.
**
** Server demultiplexing: a datagram is routed by its destination
** connection id to a connection that registered it (its own id, the
** client's original id, and every id it issued later); an unknown id that
** ngtcp2_accept recognises as a client Initial makes a new connection, and
** everything else — stray or garbage datagrams — is dropped unanswered.
**
** Two details from docs/SYNC.md's notes on this ngtcp2 version: pacing
** before the first RTT sample would stall the first flight by ~20 ms, so
** ngtcp2_conn_update_pkt_tx_time is only called once an RTT sample exists;
** and stream/connection flow-control credit is returned by hand after the
** session consumed the data.
*/
#include "sync/quic.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <netdb.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define SEND_WINDOW (8u << 20)
#define CID_LEN 18
#define MAX_CIDS 16
#define MAX_CONNS 32
#define PKT_BUF 1500
#define IDLE_TIMEOUT_S 10
/* Datagrams read per pass before the loop writes again.  Draining the socket
** until EAGAIN starves the other direction: while the peer keeps sending, no
** acknowledgement leaves, the peer's congestion window fills and it stalls,
** then waits for the acknowledgements of a whole window at once. */
#define RX_BURST 16

static const char PRIORITY[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:%DISABLE_TLS13_COMPAT_MODE";

typedef struct chunk {
  struct chunk *next;
  uint64_t off; /* stream offset of data[0] */
  size_t len;
  uint8_t data[CHUNK];
} chunk;

typedef struct qconn {
  ngtcp2_conn *conn;
  gnutls_session_t tls;
  ngtcp2_crypto_conn_ref ref;
  sv_peer_check chk;
  int fd;
  struct sockaddr_storage local;
  socklen_t local_len;
  int server;
  ngtcp2_cid cids[MAX_CIDS];
  int ncids;
  const uint8_t *reset_secret;

  int64_t sid;
  int stream_open;
  chunk *head, *tail;
  uint64_t acked_off, sent_off, queued_off;
  int blocked;

  sv_sess *sess;
  sv_sync_result *r;
  int handshake_done;
  int closing;  /* we wrote CONNECTION_CLOSE */
  int draining; /* the peer closed */
  int peer_status;
  char peer_msg[300];
  int status; /* transport failure */
  char msg[300];
  int reported;          /* the current session's end was reported (server) */
  int fin_sent;          /* our side of the current stream is finished */
  struct resume *resume; /* client: where tickets go and come from */
  int early;             /* client: the hello was sent as 0-RTT data */
  struct server *srv;
  sv_sess sess_storage;
  sv_sync_result res_storage;
} qconn;

static ngtcp2_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ngtcp2_tstamp)ts.tv_sec * NGTCP2_SECONDS + (ngtcp2_tstamp)ts.tv_nsec;
}

static void qfail(qconn *q, int status, const char *fmt, const char *a) {
  if (q->status != SV_OK) return;
  q->status = status;
  snprintf(q->msg, sizeof q->msg, fmt, a);
}

/* What a client keeps from one connection to resume the next in 0-RTT:
** the TLS session ticket and the server's transport parameters. */
typedef struct resume {
  gnutls_datum_t ticket;
  ngtcp2_transport_params params;
  int have_params;
  char fp[65]; /* the server's fingerprint, verified on the full handshake */
} resume;

static void resume_clear(resume *rs) {
  gnutls_free(rs->ticket.data);
  memset(rs, 0, sizeof *rs);
}

/* ---- callbacks ---------------------------------------------------------- */

struct server;
static void server_next_stream(qconn *q, int64_t sid);

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  return ((qconn *)ref->user_data)->conn;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx) {
  (void)ctx;
  gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int new_cid_cb(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud) {
  qconn *q = ud;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  if (ngtcp2_crypto_generate_stateless_reset_token(token, q->reset_secret, 32, cid) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;
  if (q->ncids < MAX_CIDS) q->cids[q->ncids++] = *cid;
  return 0;
}

static int handshake_completed_cb(ngtcp2_conn *conn, void *ud) {
  qconn *q = ud;
  q->handshake_done = 1;
  if (q->server) {
    /* A ticket lets this client resume (and send its hello in 0-RTT). */
    gnutls_session_ticket_send(q->tls, 1, 0);
    return 0;
  }
  if (q->resume) {
    const ngtcp2_transport_params *tp = ngtcp2_conn_get_remote_transport_params(conn);
    if (tp) {
      q->resume->params = *tp;
      /* The copy must not point into the connection that is going away. */
      q->resume->params.version_info_present = 0;
      memset(&q->resume->params.version_info, 0, sizeof q->resume->params.version_info);
      q->resume->have_params = 1;
    }
    if (q->chk.fp[0])
      memcpy(q->resume->fp, q->chk.fp, sizeof q->resume->fp);
    else if (q->resume->fp[0])
      memcpy(q->chk.fp, q->resume->fp, sizeof q->chk.fp);
  }
  if (q->early && !(gnutls_session_get_flags(q->tls) & GNUTLS_SFLAGS_EARLY_DATA)) {
    /* GnuTLS never tells ngtcp2 that 0-RTT was refused: do it here.  The
    ** streams vanish without a close callback; the hello still sits in the
    ** chunk queue from offset 0 and is resent on a new stream. */
    ngtcp2_conn_early_data_rejected(conn);
    q->stream_open = 0;
    q->sent_off = q->acked_off = 0;
    q->early = 0;
  }
  return 0;
}

/* Client: keep the resumable session once the server's ticket arrived. */
static int ticket_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
                       const gnutls_datum_t *msg) {
  ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
  qconn *q = ref ? ref->user_data : NULL;
  gnutls_datum_t d = {NULL, 0};
  if (!q || !q->resume || gnutls_session_get_data2(s, &d) != 0) return 0;
  gnutls_free(q->resume->ticket.data);
  q->resume->ticket = d;
  return 0;
}

static int stream_open_cb(ngtcp2_conn *conn, int64_t sid, void *ud) {
  qconn *q = ud;
  if (!q->server) return 0;
  if (!q->stream_open) {
    q->sid = sid;
    q->stream_open = 1;
  } else {
    server_next_stream(q, sid); /* a reused connection: the next sync */
  }
  return 0;
}

/* Streams are not given back automatically in 0.12.1: return the credit. */
static int stream_close_cb(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t app_error,
                           void *ud, void *sud) {
  qconn *q = ud;
  if (q->server) ngtcp2_conn_extend_max_streams_bidi(conn, 1);
  return 0;
}

static int recv_stream_cb(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t off,
                          const uint8_t *data, size_t len, void *ud, void *sud) {
  qconn *q = ud;
  if (!q->stream_open || sid != q->sid) {
    sv_sess_fail(q->sess, SV_ESYNC, "peer opened a second stream");
  } else if (len > 0) {
    sv_sess_input(q->sess, data, len);
  }
  ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
  ngtcp2_conn_extend_max_offset(conn, len);
  return 0;
}

static int acked_cb(ngtcp2_conn *conn, int64_t sid, uint64_t off, uint64_t len, void *ud,
                    void *sud) {
  qconn *q = ud;
  if (!q->stream_open || sid != q->sid) return 0; /* an earlier sync's stream */
  if (off + len > q->acked_off) q->acked_off = off + len;
  while (q->head && q->head->off + q->head->len <= q->acked_off && q->head != q->tail) {
    chunk *c = q->head;
    q->head = c->next;
    free(c);
  }
  return 0;
}

static void fill_callbacks(ngtcp2_callbacks *cb, int server) {
  memset(cb, 0, sizeof *cb);
  if (server)
    cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  else {
    cb->client_initial = ngtcp2_crypto_client_initial_cb;
    cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
  }
  cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb->encrypt = ngtcp2_crypto_encrypt_cb;
  cb->decrypt = ngtcp2_crypto_decrypt_cb;
  cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb->update_key = ngtcp2_crypto_update_key_cb;
  cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb->rand = rand_cb;
  cb->get_new_connection_id = new_cid_cb;
  cb->handshake_completed = handshake_completed_cb;
  cb->recv_stream_data = recv_stream_cb;
  cb->acked_stream_data_offset = acked_cb;
  cb->stream_open = stream_open_cb;
  cb->stream_close = stream_close_cb;
}

static void fill_settings(ngtcp2_settings *st, ngtcp2_transport_params *tp) {
  ngtcp2_settings_default(st);
  st->initial_ts = now_ns();
  st->initial_rtt = 10 * NGTCP2_MILLISECONDS;
  st->max_window = 24u << 20;
  st->max_stream_window = 16u << 20;
  st->handshake_timeout = 5 * NGTCP2_SECONDS;
  ngtcp2_transport_params_default(tp);
  tp->initial_max_stream_data_bidi_local = 4u << 20;
  tp->initial_max_stream_data_bidi_remote = 4u << 20;
  tp->initial_max_stream_data_uni = 64u << 10;
  tp->initial_max_data = 8u << 20;
  tp->initial_max_streams_bidi = 4;
  tp->initial_max_streams_uni = 0;
  tp->max_idle_timeout = IDLE_TIMEOUT_S * NGTCP2_SECONDS;
  tp->active_connection_id_limit = 4;
}

/* ---- TLS ---------------------------------------------------------------- */

static int tls_setup(qconn *q, const sv_identity *id, const gnutls_datum_t *ticket_key,
                     gnutls_anti_replay_t anti_replay) {
  unsigned flags = q->server ? (GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET) : GNUTLS_CLIENT;
  if (gnutls_init(&q->tls, flags | GNUTLS_NO_END_OF_EARLY_DATA | GNUTLS_ENABLE_EARLY_DATA) != 0)
    return -1;
  if (gnutls_priority_set_direct(q->tls, PRIORITY, NULL) != 0) return -1;
  if ((q->server ? ngtcp2_crypto_gnutls_configure_server_session(q->tls)
                 : ngtcp2_crypto_gnutls_configure_client_session(q->tls)) != 0)
    return -1;
  if (gnutls_credentials_set(q->tls, GNUTLS_CRD_CERTIFICATE, id->cred) != 0) return -1;
  if (q->server) {
    gnutls_certificate_server_set_request(q->tls, GNUTLS_CERT_REQUIRE);
    if (gnutls_session_ticket_enable_server(q->tls, ticket_key) != 0) return -1;
    gnutls_anti_replay_enable(q->tls, anti_replay);
    gnutls_record_set_max_early_data_size(q->tls, 0xffffffffu);
  } else {
    gnutls_handshake_set_hook_function(q->tls, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
                                       GNUTLS_HOOK_POST, ticket_hook);
    if (q->resume && q->resume->ticket.data &&
        gnutls_session_set_data(q->tls, q->resume->ticket.data, q->resume->ticket.size) != 0)
      resume_clear(q->resume); /* a stale ticket: full handshake */
  }
  gnutls_datum_t alpn = {(unsigned char *)SV_QUIC_ALPN, (unsigned)strlen(SV_QUIC_ALPN)};
  if (gnutls_alpn_set_protocols(
          q->tls, &alpn, 1,
          GNUTLS_ALPN_MANDATORY | (q->server ? GNUTLS_ALPN_SERVER_PRECEDENCE : 0)) != 0)
    return -1;
  q->ref.get_conn = get_conn;
  q->ref.user_data = q;
  gnutls_session_set_ptr(q->tls, &q->ref);
  q->chk.id = id;
  sv_identity_attach(q->tls, &q->chk);
  return 0;
}

/* ---- connections -------------------------------------------------------- */

static void qconn_free(qconn *q) {
  if (!q) return;
  if (q->conn) ngtcp2_conn_del(q->conn);
  if (q->tls) gnutls_deinit(q->tls);
  while (q->head) {
    chunk *c = q->head;
    q->head = c->next;
    free(c);
  }
  if (q->server) sv_sess_free(&q->sess_storage);
  free(q);
}

/* Forget the send state of a finished stream (all of it was acknowledged). */
static void reset_stream_state(qconn *q) {
  while (q->head) {
    chunk *c = q->head;
    q->head = c->next;
    free(c);
  }
  q->tail = NULL;
  q->acked_off = q->sent_off = q->queued_off = 0;
  q->stream_open = 0;
  q->fin_sent = 0;
  q->blocked = 0;
}

/* Copy the session's pending output into the chunk queue. */
static int enqueue(qconn *q) {
  sv_buf *o = &q->sess->out;
  size_t done = 0;
  while (done < o->len) {
    if (!q->tail || q->tail->len == CHUNK) {
      chunk *c = malloc(sizeof *c);
      if (!c) return -1;
      c->next = NULL;
      c->off = q->queued_off;
      c->len = 0;
      if (q->tail)
        q->tail->next = c;
      else
        q->head = c;
      q->tail = c;
    }
    size_t take = CHUNK - q->tail->len;
    if (take > o->len - done) take = o->len - done;
    memcpy(q->tail->data + q->tail->len, o->p + done, take);
    q->tail->len += take;
    q->queued_off += take;
    done += take;
  }
  o->len = 0;
  return 0;
}

/* The unsent bytes under the send cursor (one vector, never more). */
static size_t unsent(qconn *q, uint8_t **p) {
  for (chunk *c = q->head; c; c = c->next) {
    if (q->sent_off >= c->off && q->sent_off < c->off + c->len) {
      *p = c->data + (q->sent_off - c->off);
      return (size_t)(c->off + c->len - q->sent_off);
    }
  }
  return 0;
}

static int send_dgram(qconn *q, const ngtcp2_path *path, const uint8_t *buf, size_t n) {
  ssize_t k;
  do {
    k = q->server ? sendto(q->fd, buf, n, 0, (const struct sockaddr *)path->remote.addr,
                           (socklen_t)path->remote.addrlen)
                  : send(q->fd, buf, n, 0);
  } while (k < 0 && errno == EINTR);
  if (k >= 0 && q->r) q->r->bytes_sent += (uint64_t)k;
  /* A full socket buffer is a lost packet to QUIC: recovery resends. */
  return 0;
}

static void write_close(qconn *q, int app_status, const char *reason) {
  uint8_t buf[PKT_BUF];
  ngtcp2_path_storage ps;
  ngtcp2_pkt_info pi;
  ngtcp2_connection_close_error ce;
  if (q->closing || q->draining || !q->conn) return;
  q->closing = 1;
  if (ngtcp2_conn_is_in_closing_period(q->conn) || ngtcp2_conn_is_in_draining_period(q->conn))
    return;
  ngtcp2_path_storage_zero(&ps);
  if (app_status < 0) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ce, ngtcp2_conn_get_tls_alert(q->conn), NULL, 0);
  } else {
    ngtcp2_connection_close_error_set_application_error(
        &ce, (uint64_t)app_status, (const uint8_t *)reason, reason ? strlen(reason) : 0);
  }
  ngtcp2_ssize n =
      ngtcp2_conn_write_connection_close(q->conn, &ps.path, &pi, buf, sizeof buf, &ce, now_ns());
  if (n > 0) send_dgram(q, &ps.path, buf, (size_t)n);
}

/* Write what q can send now.  Returns 1 if it stopped at its packet budget
** with more to send (the caller must not sleep), 0 if it is done or limited
** by congestion, pacing or flow control, or a negative ngtcp2 error. */
static int write_pass(qconn *q) {
  uint8_t buf[PKT_BUF];
  ngtcp2_path_storage ps;
  ngtcp2_pkt_info pi;
  ngtcp2_tstamp ts = now_ns();
  if (q->closing || q->draining) return 0;
  ngtcp2_path_storage_zero(&ps);
  size_t quantum = ngtcp2_conn_get_send_quantum(q->conn);
  size_t max_pkts = quantum / 1200 + 1;
  if (max_pkts > 64) max_pkts = 64;
  q->blocked = 0;
  size_t npk = 0;
  while (npk < max_pkts) {
    if (q->stream_open && q->sess->status == SV_OK) {
      uint64_t inflight = q->queued_off - q->acked_off;
      if (inflight < SEND_WINDOW) sv_sess_produce(q->sess, SEND_WINDOW - (size_t)inflight);
      if (enqueue(q) != 0) return NGTCP2_ERR_NOMEM;
    }
    uint8_t *p = NULL;
    size_t len = (q->stream_open && !q->blocked) ? unsent(q, &p) : 0;
    /* Once the session is over and everything is queued, finish our side of
    ** the stream so both ends can close it (and the server can give the
    ** stream credit back for the next sync on this connection). */
    int fin = q->stream_open && !q->blocked && !q->fin_sent && q->sess->done &&
              q->sess->status == SV_OK && q->sess->out.len == 0 && len == 0;
    ngtcp2_vec v = {p, len};
    int64_t sid = (len || fin) ? q->sid : -1;
    uint32_t wflags = len ? NGTCP2_WRITE_STREAM_FLAG_MORE : fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0;
    ngtcp2_ssize nd = -1;
    ngtcp2_ssize n = ngtcp2_conn_writev_stream(q->conn, &ps.path, &pi, buf, sizeof buf, &nd, wflags,
                                               sid, len ? &v : NULL, len ? 1 : 0, ts);
    if (fin && n > 0 && nd >= 0) q->fin_sent = 1;
    if (n < 0) {
      if (n == NGTCP2_ERR_WRITE_MORE) {
        q->sent_off += (uint64_t)nd;
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
          n == NGTCP2_ERR_STREAM_NOT_FOUND) {
        q->blocked = 1;
        continue;
      }
      return (int)n;
    }
    if (nd > 0) q->sent_off += (uint64_t)nd;
    if (n == 0) break;
    send_dgram(q, &ps.path, buf, (size_t)n);
    npk++;
  }
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(q->conn, &cs);
  if (cs.first_rtt_sample_ts != UINT64_MAX) ngtcp2_conn_update_pkt_tx_time(q->conn, ts);
  return npk == max_pkts;
}

/* What the peer's CONNECTION_CLOSE said, as a status and message. */
static void peer_closed(qconn *q) {
  ngtcp2_connection_close_error ce;
  q->draining = 1;
  ngtcp2_conn_get_connection_close_error(q->conn, &ce);
  char reason[260];
  size_t n = ce.reasonlen < sizeof reason - 1 ? ce.reasonlen : sizeof reason - 1;
  for (size_t i = 0; i < n; i++)
    reason[i] = (ce.reason[i] >= 32 && ce.reason[i] < 127) ? (char)ce.reason[i] : '?';
  reason[n] = 0;
  if (ce.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
    if (ce.error_code == 0) return; /* a clean close */
    q->peer_status =
        (ce.error_code == SV_ESHAPE || ce.error_code == SV_EAUTH) ? (int)ce.error_code : SV_ESYNC;
    snprintf(q->peer_msg, sizeof q->peer_msg, "peer refused: %s", reason);
  } else if (ce.error_code >= 0x100 && ce.error_code < 0x200) {
    q->peer_status = SV_EAUTH;
    snprintf(q->peer_msg, sizeof q->peer_msg,
             "peer refused the TLS handshake (alert %u: our certificate is not in its allow "
             "list, or no common protocol)",
             (unsigned)(ce.error_code - 0x100));
  } else if (ce.error_code != 0) {
    q->peer_status = SV_ENET;
    snprintf(q->peer_msg, sizeof q->peer_msg, "peer closed the connection (QUIC error 0x%llx)",
             (unsigned long long)ce.error_code);
  }
}

static void on_read_error(qconn *q, int rv) {
  if (rv == NGTCP2_ERR_DRAINING || rv == NGTCP2_ERR_CLOSING) {
    peer_closed(q);
  } else if (rv == NGTCP2_ERR_DROP_CONN) {
    q->draining = 1;
    qfail(q, SV_ENET, "connection dropped%s", "");
  } else if (rv == NGTCP2_ERR_CRYPTO) {
    if (q->chk.refused)
      qfail(q, SV_EAUTH, "peer certificate %s is not in the allow list", q->chk.fp);
    else
      qfail(q, SV_EAUTH, "TLS handshake failed (%s)", ngtcp2_strerror(rv));
    write_close(q, -1, NULL);
  } else {
    qfail(q, SV_ENET, "QUIC error: %s", ngtcp2_strerror(rv));
    write_close(q, SV_ENET, "transport error");
  }
}

static int feed(qconn *q, const struct sockaddr *from, socklen_t fromlen, const uint8_t *d,
                size_t n) {
  ngtcp2_path path;
  ngtcp2_pkt_info pi = {0};
  path.local.addr = (ngtcp2_sockaddr *)&q->local;
  path.local.addrlen = q->local_len;
  path.remote.addr = (ngtcp2_sockaddr *)from;
  path.remote.addrlen = fromlen;
  path.user_data = NULL;
  if (q->r) q->r->bytes_received += n;
  if (q->closing || q->draining) return 0;
  int rv = ngtcp2_conn_read_pkt(q->conn, &path, &pi, d, n, now_ns());
  if (rv != 0) on_read_error(q, rv);
  return rv;
}

static int timers(qconn *q) {
  if (q->closing || q->draining) return 0;
  ngtcp2_tstamp now = now_ns();
  if (ngtcp2_conn_get_expiry(q->conn) > now) return 0;
  int rv = ngtcp2_conn_handle_expiry(q->conn, now);
  if (rv != 0) {
    q->draining = 1;
    qfail(q, SV_ENET, "%s",
          rv == NGTCP2_ERR_IDLE_CLOSE          ? "peer went silent (idle timeout)"
          : rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT ? "handshake timed out (no answer from the peer)"
                                               : "QUIC timer error");
  }
  return rv;
}

/* Sleep until fd is readable or the earlier of expiry and deadline.  ppoll,
** not poll: poll's whole milliseconds turned every wait for one of ngtcp2's
** sub-millisecond timers (pacing, acknowledgement delay) into a full
** millisecond.  Never more than 100 ms, so stop flags are seen. */
static void wait_fd(int fd, ngtcp2_tstamp expiry, ngtcp2_tstamp deadline) {
  ngtcp2_tstamp now = now_ns(), t = expiry < deadline ? expiry : deadline;
  uint64_t ns = t > now ? t - now : 0;
  if (ns > 100 * NGTCP2_MILLISECONDS) ns = 100 * NGTCP2_MILLISECONDS;
  struct timespec ts = {(time_t)(ns / NGTCP2_SECONDS), (long)(ns % NGTCP2_SECONDS)};
  struct pollfd pfd = {fd, POLLIN, 0};
  ppoll(&pfd, 1, &ts, NULL);
}

static int parse_hostport(const char *hp, char *host, size_t hn, char *port, size_t pn) {
  const char *colon = strrchr(hp ? hp : "", ':');
  if (!hp || !colon || colon == hp || !colon[1]) return -1;
  const char *h = hp;
  size_t hl = (size_t)(colon - hp);
  if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') h++, hl -= 2;
  if (hl >= hn || strlen(colon + 1) >= pn) return -1;
  memcpy(host, h, hl);
  host[hl] = 0;
  snprintf(port, pn, "%s", colon + 1);
  return 0;
}

static int make_socket(const char *hp, int passive, struct sockaddr_storage *addr, socklen_t *alen,
                       char *err, size_t errlen) {
  char host[256], port[16];
  struct addrinfo hints, *res = NULL;
  if (parse_hostport(hp, host, sizeof host, port, sizeof port) != 0) {
    snprintf(err, errlen, "expected HOST:PORT, got \"%s\"", hp ? hp : "(null)");
    return -1;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  int g = getaddrinfo(host, port, &hints, &res);
  if (g != 0 || !res) {
    snprintf(err, errlen, "cannot resolve %s: %s", hp, gai_strerror(g));
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int sz = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) != 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    int ok = passive ? bind(fd, res->ai_addr, res->ai_addrlen)
                     : connect(fd, res->ai_addr, res->ai_addrlen);
    if (ok != 0) {
      snprintf(err, errlen, "cannot %s %s: %s", passive ? "listen on" : "connect to", hp,
               strerror(errno));
      close(fd);
      fd = -1;
    }
  } else {
    snprintf(err, errlen, "socket: %s", strerror(errno));
  }
  freeaddrinfo(res);
  if (fd >= 0) {
    *alen = sizeof *addr;
    getsockname(fd, (struct sockaddr *)addr, alen);
  }
  return fd;
}

/* ---- client ------------------------------------------------------------- */

struct sv_quic_peer {
  qconn *q;
  uint8_t secret[32];
  uint8_t *rx;
  char host_port[200];
  const sv_identity *id;
  int runs; /* syncs completed on this connection */
  resume rs;
};

/* Read up to RX_BURST waiting datagrams, then fire due timers. */
static void client_input(sv_quic_peer *p) {
  qconn *q = p->q;
  for (int k = 0; k < RX_BURST; k++) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(q->fd, p->rx, 65536, 0, (struct sockaddr *)&from, &flen);
    if (n < 0) break;
    if (feed(q, (struct sockaddr *)&from, flen, p->rx, (size_t)n) != 0) break;
  }
  timers(q);
}

static int client_dead(const qconn *q) {
  return q->closing || q->draining || q->status != SV_OK;
}

/* The best explanation of why a connection or session failed. */
static int client_error(qconn *q, sv_sess *x, char *err, size_t errlen) {
  if (q->peer_status != SV_OK) {
    snprintf(err, errlen, "%s", q->peer_msg);
    return q->peer_status;
  }
  if (x && x->status != SV_OK) {
    snprintf(err, errlen, "%s", x->msg);
    return x->status;
  }
  if (q->status != SV_OK) {
    snprintf(err, errlen, "%s", q->msg);
    return q->status;
  }
  snprintf(err, errlen, "peer closed the connection before the sync completed");
  return SV_ENET;
}

static void peer_drop_conn(sv_quic_peer *p) {
  if (!p->q) return;
  if (p->q->fd >= 0) close(p->q->fd);
  qconn_free(p->q);
  p->q = NULL;
}

/* A new connection with a completed handshake, or a status. */
static int peer_connect(sv_quic_peer *p, char *err, size_t errlen) {
  struct sockaddr_storage remote;
  socklen_t rlen = sizeof remote;
  qconn *q = calloc(1, sizeof *q);
  if (!q) {
    snprintf(err, errlen, "out of memory");
    return SV_ENOMEM;
  }
  p->q = q;
  q->fd = -1;
  q->reset_secret = p->secret;
  q->resume = &p->rs;
  if ((q->fd = make_socket(p->host_port, 0, &q->local, &q->local_len, err, errlen)) < 0)
    return SV_ENET;
  getpeername(q->fd, (struct sockaddr *)&remote, &rlen);
  if (tls_setup(q, p->id, NULL, NULL) != 0) {
    snprintf(err, errlen, "TLS setup failed");
    return SV_ENET;
  }
  ngtcp2_cid dcid, scid;
  dcid.datalen = scid.datalen = CID_LEN;
  gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, CID_LEN);
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, CID_LEN);
  ngtcp2_path path = {
      {(ngtcp2_sockaddr *)&q->local, q->local_len}, {(ngtcp2_sockaddr *)&remote, rlen}, NULL};
  ngtcp2_callbacks cb;
  ngtcp2_settings st;
  ngtcp2_transport_params tp;
  fill_callbacks(&cb, 0);
  fill_settings(&st, &tp);
  if (ngtcp2_conn_client_new(&q->conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &st, &tp,
                             NULL, q) != 0) {
    snprintf(err, errlen, "QUIC setup failed");
    return SV_ENET;
  }
  ngtcp2_conn_set_tls_native_handle(q->conn, q->tls);
  /* With a ticket and the server's remembered limits, the stream opens now
  ** and the session's hello rides in 0-RTT packets with the Initial.  Only
  ** the hello can be early: it changes nothing on the server, so a replay is
  ** harmless; rows move only after the handshake has completed. */
  if (p->rs.ticket.data && p->rs.have_params) {
    ngtcp2_conn_set_early_remote_transport_params(q->conn, &p->rs.params);
    if (ngtcp2_conn_open_bidi_stream(q->conn, &q->sid, NULL) == 0) q->stream_open = q->early = 1;
  }
  return SV_OK;
}

/* Run session x on a new stream of the peer's connection until it is done
** and every byte we sent was acknowledged. */
static int peer_session(sv_quic_peer *p, sv_sess *x, ngtcp2_tstamp deadline, sv_sync_result *r,
                        char *err, size_t errlen) {
  qconn *q = p->q;
  q->sess = x;
  q->r = r;
  for (;;) {
    if (q->handshake_done && !q->stream_open && !client_dead(q)) {
      if (ngtcp2_conn_open_bidi_stream(q->conn, &q->sid, NULL) == 0) q->stream_open = 1;
    }
    int wr = write_pass(q);
    if (wr < 0) {
      qfail(q, SV_ENET, "QUIC write failed: %s", ngtcp2_strerror(wr));
      write_close(q, SV_ENET, "transport error");
    }
    if (x->status != SV_OK) {
      write_close(q, x->status, x->msg);
      break;
    }
    if (client_dead(q)) break;
    if (x->done && q->acked_off == q->queued_off && x->out.len == 0 && q->fin_sent) {
      snprintf(r->peer_fingerprint, sizeof r->peer_fingerprint, "%s", q->chk.fp);
      r->resumed = gnutls_session_is_resumed(q->tls) != 0;
      r->early_data = q->early;
      q->early = 0;
      q->sess = NULL;
      q->r = NULL;
      return SV_OK;
    }
    if (now_ns() >= deadline) {
      qfail(q, SV_ENET, "sync timed out with %s", p->host_port);
      write_close(q, SV_ENET, "timeout");
      break;
    }
    wait_fd(q->fd, wr > 0 ? 0 : ngtcp2_conn_get_expiry(q->conn), deadline);
    client_input(p);
  }
  snprintf(r->peer_fingerprint, sizeof r->peer_fingerprint, "%s", q->chk.fp);
  int rc = client_error(q, x, err, errlen);
  q->sess = NULL;
  q->r = NULL;
  return rc;
}

int sv_quic_peer_open(sv_quic_peer **out, const char *host_port, const sv_identity *id, char *err,
                      size_t errlen) {
  sv_quic_peer *p = calloc(1, sizeof *p);
  *out = NULL;
  if (!p || !(p->rx = malloc(65536))) {
    free(p);
    snprintf(err, errlen, "out of memory");
    return SV_ENOMEM;
  }
  if (!host_port || strlen(host_port) >= sizeof p->host_port) {
    free(p->rx);
    free(p);
    snprintf(err, errlen, "bad peer address");
    return SV_EINVAL;
  }
  snprintf(p->host_port, sizeof p->host_port, "%s", host_port);
  p->id = id;
  gnutls_rnd(GNUTLS_RND_RANDOM, p->secret, sizeof p->secret);
  *out = p;
  return SV_OK;
}

int sv_quic_peer_run(sv_quic_peer *p, sv_sess *x, int timeout_ms, sv_sync_result *r, char *err,
                     size_t errlen) {
  ngtcp2_tstamp deadline = now_ns() + (ngtcp2_tstamp)timeout_ms * NGTCP2_MILLISECONDS;
  int rc;
  /* A connection that idled out or broke since the last sync is replaced. */
  if (p->q) {
    client_input(p);
    if (client_dead(p->q)) peer_drop_conn(p);
  }
  r->reused = p->q != NULL;
  if (p->q) reset_stream_state(p->q);
  if (!p->q && (rc = peer_connect(p, err, errlen)) != SV_OK) {
    peer_drop_conn(p);
    return rc;
  }
  rc = peer_session(p, x, deadline, r, err, errlen);
  if (rc != SV_OK)
    peer_drop_conn(p); /* a failed session ends its connection */
  else
    p->runs++;
  return rc;
}

void sv_quic_peer_close(sv_quic_peer *p) {
  if (!p) return;
  if (p->q && !client_dead(p->q)) write_close(p->q, 0, "done");
  peer_drop_conn(p);
  resume_clear(&p->rs);
  free(p->rx);
  free(p);
}

void sv_quic_peer_disconnect(sv_quic_peer *p) {
  if (!p || !p->q) return;
  if (!client_dead(p->q)) write_close(p->q, 0, "done");
  peer_drop_conn(p);
}

int sv_quic_client(sv_sess *x, const char *host_port, const sv_identity *id, int timeout_ms,
                   sv_sync_result *r, char *err, size_t errlen) {
  sv_quic_peer *p = NULL;
  int rc = sv_quic_peer_open(&p, host_port, id, err, errlen);
  if (rc == SV_OK) rc = sv_quic_peer_run(p, x, timeout_ms, r, err, errlen);
  sv_quic_peer_close(p);
  return rc;
}

/* ---- server ------------------------------------------------------------- */

typedef struct server {
  int fd;
  struct sockaddr_storage local;
  socklen_t local_len;
  const sv_identity *id;
  qconn *conns[MAX_CONNS];
  uint8_t secret[32];
  gnutls_datum_t ticket_key;
  gnutls_anti_replay_t anti_replay;
  sv_quic_open_fn on_open;
  sv_quic_end_fn on_end;
  void *ctx;
  int ended;
} server;

static qconn *find_conn(server *sv, const uint8_t *dcid, size_t len) {
  for (int i = 0; i < MAX_CONNS; i++) {
    qconn *q = sv->conns[i];
    if (!q) continue;
    for (int k = 0; k < q->ncids; k++)
      if (q->cids[k].datalen == len && memcmp(q->cids[k].data, dcid, len) == 0) return q;
  }
  return NULL;
}

static qconn *accept_conn(server *sv, const struct sockaddr *from, socklen_t flen, const uint8_t *d,
                          size_t n) {
  ngtcp2_pkt_hd hd;
  int slot = -1;
  if (ngtcp2_accept(&hd, d, n) != 0) return NULL;
  for (int i = 0; i < MAX_CONNS && slot < 0; i++)
    if (!sv->conns[i]) slot = i;
  if (slot < 0) return NULL; /* full: the client retries or times out */
  qconn *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->server = 1;
  q->fd = sv->fd;
  q->local = sv->local;
  q->local_len = sv->local_len;
  q->reset_secret = sv->secret;
  q->sess = &q->sess_storage;
  q->r = &q->res_storage;
  q->srv = sv;
  ngtcp2_cid scid;
  scid.datalen = CID_LEN;
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, CID_LEN);
  q->cids[q->ncids++] = scid;
  memcpy(q->cids[q->ncids].data, hd.dcid.data, hd.dcid.datalen);
  q->cids[q->ncids++].datalen = hd.dcid.datalen;
  ngtcp2_path path = {
      {(ngtcp2_sockaddr *)&q->local, q->local_len}, {(ngtcp2_sockaddr *)from, flen}, NULL};
  ngtcp2_callbacks cb;
  ngtcp2_settings st;
  ngtcp2_transport_params tp;
  fill_callbacks(&cb, 1);
  fill_settings(&st, &tp);
  tp.original_dcid = hd.dcid;
  tp.stateless_reset_token_present = 1;
  if (tls_setup(q, sv->id, &sv->ticket_key, sv->anti_replay) != 0 ||
      ngtcp2_crypto_generate_stateless_reset_token(tp.stateless_reset_token, sv->secret, 32,
                                                   &scid) != 0 ||
      ngtcp2_conn_server_new(&q->conn, &hd.scid, &scid, &path, hd.version, &cb, &st, &tp, NULL,
                             q) != 0) {
    qconn_free(q);
    return NULL;
  }
  ngtcp2_conn_set_tls_native_handle(q->conn, q->tls);
  if (sv->on_open(sv->ctx, q->sess, q->r) != SV_OK) {
    q->reported = 1; /* nothing to report: no session */
    qconn_free(q);
    return NULL;
  }
  sv->conns[slot] = q;
  return q;
}

/* Report the end of q's current session once. */
static void report(server *sv, qconn *q) {
  int st = SV_OK;
  const char *msg = "ok";
  if (q->reported) return;
  q->reported = 1;
  if (q->sess->status != SV_OK)
    st = q->sess->status, msg = q->sess->msg;
  else if (q->peer_status != SV_OK)
    st = q->peer_status, msg = q->peer_msg;
  else if (q->status != SV_OK)
    st = q->status, msg = q->msg;
  else if (!q->sess->done)
    st = SV_ENET, msg = "peer closed the connection before the sync completed";
  snprintf(q->r->peer_fingerprint, sizeof q->r->peer_fingerprint, "%s", q->chk.fp);
  sv->on_end(sv->ctx, q->sess, st, msg, q->r);
  sv->ended++;
}

static void finish(server *sv, int i) {
  qconn *q = sv->conns[i];
  report(sv, q);
  qconn_free(q);
  sv->conns[i] = NULL;
}

/* The client opened another stream on a connection it keeps for repeated
** syncs: close the books on the previous session and start a fresh one. */
static void server_next_stream(qconn *q, int64_t sid) {
  server *sv = q->srv;
  if (!q->reported) {
    if (q->sess->status == SV_OK && !q->sess->done)
      sv_sess_fail(q->sess, SV_ESYNC, "a new sync started before the previous one ended");
    report(sv, q);
  }
  sv_sess_free(q->sess);
  reset_stream_state(q);
  q->reported = 0;
  q->sid = sid;
  q->stream_open = 1;
  if (sv->on_open(sv->ctx, q->sess, q->r) != SV_OK)
    sv_sess_fail(q->sess, SV_ESYNC, "could not start a session");
}

/* GnuTLS's anti-replay store for 0-RTT: a ClientHello seen inside the
** window is refused a second time (its early data is then rejected and the
** client falls back to 1-RTT).  A full table refuses too, which is safe. */
#define REPLAY_SLOTS 1024
typedef struct replay_db {
  uint8_t key[REPLAY_SLOTS][32];
  time_t exp[REPLAY_SLOTS];
} replay_db;

static int replay_add(void *ptr, time_t exp, const gnutls_datum_t *key, const gnutls_datum_t *d) {
  replay_db *db = ptr;
  uint8_t h[32];
  time_t now = time(NULL);
  int free_slot = -1;
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, h) != 0) return -1;
  for (int i = 0; i < REPLAY_SLOTS; i++) {
    if (db->exp[i] && db->exp[i] < now) db->exp[i] = 0;
    if (db->exp[i] && memcmp(db->key[i], h, 32) == 0) return GNUTLS_E_DB_ENTRY_EXISTS;
    if (!db->exp[i] && free_slot < 0) free_slot = i;
  }
  if (free_slot < 0) return -1;
  memcpy(db->key[free_slot], h, 32);
  db->exp[free_slot] = exp;
  return 0;
}

int sv_quic_serve(const char *listen, const sv_identity *id, volatile int *stop, int max_sessions,
                  sv_quic_open_fn on_open, sv_quic_end_fn on_end, void *ctx,
                  volatile int *bound_port, char *err, size_t errlen) {
  server sv;
  uint8_t *rx = NULL;
  int rc = SV_ENET;
  memset(&sv, 0, sizeof sv);
  sv.id = id;
  sv.on_open = on_open;
  sv.on_end = on_end;
  sv.ctx = ctx;
  gnutls_rnd(GNUTLS_RND_RANDOM, sv.secret, sizeof sv.secret);
  replay_db *rdb = calloc(1, sizeof *rdb);
  if (!rdb || gnutls_session_ticket_key_generate(&sv.ticket_key) != 0 ||
      gnutls_anti_replay_init(&sv.anti_replay) != 0) {
    free(rdb);
    gnutls_free(sv.ticket_key.data);
    snprintf(err, errlen, "TLS ticket setup failed");
    return SV_ENOMEM;
  }
  gnutls_anti_replay_set_ptr(sv.anti_replay, rdb);
  gnutls_anti_replay_set_add_function(sv.anti_replay, replay_add);
  if ((sv.fd = make_socket(listen, 1, &sv.local, &sv.local_len, err, errlen)) < 0) {
    rc = SV_ENET;
    goto done;
  }
  if (bound_port) {
    const struct sockaddr *a = (const struct sockaddr *)&sv.local;
    *bound_port = a->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)a)->sin6_port)
                                           : ntohs(((const struct sockaddr_in *)a)->sin_port);
  }
  {
    char host[64] = "?", serv[16] = "?", addr[96];
    getnameinfo((const struct sockaddr *)&sv.local, sv.local_len, host, sizeof host, serv,
                sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(addr, sizeof addr, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, serv);
    on_end(ctx, NULL, SV_OK, addr, NULL); /* "listening": no session yet */
  }
  if (!(rx = malloc(65536))) goto done;
  int more = 0; /* a connection stopped at its packet budget last pass */
  while (!(stop && *stop) && !(max_sessions > 0 && sv.ended >= max_sessions)) {
    ngtcp2_tstamp expiry = now_ns() + 100 * NGTCP2_MILLISECONDS;
    for (int i = 0; i < MAX_CONNS; i++)
      if (sv.conns[i] && ngtcp2_conn_get_expiry(sv.conns[i]->conn) < expiry)
        expiry = ngtcp2_conn_get_expiry(sv.conns[i]->conn);
    wait_fd(sv.fd, more ? 0 : expiry, UINT64_MAX);
    more = 0;
    for (int k = 0; k < RX_BURST; k++) {
      struct sockaddr_storage from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(sv.fd, rx, 65536, 0, (struct sockaddr *)&from, &flen);
      if (n < 0) break;
      ngtcp2_version_cid vc;
      if (ngtcp2_pkt_decode_version_cid(&vc, rx, (size_t)n, CID_LEN) != 0) continue;
      qconn *q = find_conn(&sv, vc.dcid, vc.dcidlen);
      if (!q) q = accept_conn(&sv, (struct sockaddr *)&from, flen, rx, (size_t)n);
      if (q) feed(q, (struct sockaddr *)&from, flen, rx, (size_t)n);
    }
    for (int i = 0; i < MAX_CONNS; i++) {
      qconn *q = sv.conns[i];
      if (!q) continue;
      timers(q);
      if (q->sess->status != SV_OK) write_close(q, q->sess->status, q->sess->msg);
      int wr = write_pass(q);
      if (wr < 0) {
        qfail(q, SV_ENET, "QUIC write failed: %s", ngtcp2_strerror(wr));
        write_close(q, SV_ENET, "transport error");
      }
      if (wr > 0) more = 1;
      /* A session is over for the server once its last bytes were acknowledged;
      ** the client may keep the connection for its next sync. */
      if (q->sess->done && q->sess->status == SV_OK && q->stream_open &&
          q->acked_off == q->queued_off && q->sess->out.len == 0)
        report(&sv, q);
      if (q->closing || q->draining || q->status != SV_OK) finish(&sv, i);
    }
  }
  rc = SV_OK;
done:
  for (int i = 0; i < MAX_CONNS; i++)
    if (sv.conns[i]) finish(&sv, i);
  if (sv.fd >= 0) close(sv.fd);
  free(rx);
  gnutls_anti_replay_deinit(sv.anti_replay);
  gnutls_memset(sv.ticket_key.data, 0, sv.ticket_key.size);
  gnutls_free(sv.ticket_key.data);
  free(rdb);
  return rc;
}
