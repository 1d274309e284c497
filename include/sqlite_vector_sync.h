/*
** sqlite_vector_sync.h — shard replication (delta changesets, HLC
** last-writer-wins, QUIC transport).
**
** Two shards of the same dimension and metric converge by exchanging the
** rows each has changed since the last sync with that peer.  A row's latest
** state wins by (hlc, origin node id); deletes travel as tombstones.  The
** network transport is QUIC (TLS 1.3, ALPN "sv-sync/1") with mutual
** authentication: a peer is admitted only when its certificate's SHA-256
** fingerprint is in the allow list, or when it proves a pre-shared key.
** docs/SYNC.md documents the protocol and the trust model.
**
** Conventions are those of sqlite_vector.h: every function returns an
** SV_* status; on failure the shard is unchanged by the failing batch and
** sv_errmsg(shard) explains (sv_sync_keygen, which takes no shard, writes
** its message into the caller's buffer).
*/
#ifndef SQLITE_VECTOR_SYNC_H
#define SQLITE_VECTOR_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SV_ESYNC 20  /* protocol violation, refused peer or failed transfer */
#define SV_ENET 21   /* socket / timeout / connection failure */
#define SV_EAUTH 22  /* peer identity not allowed, or TLS/PSK failure */
#define SV_ESHAPE 23 /* peer has another dimension, metric or format */

typedef enum sv_sync_direction {
  SV_SYNC_PUSH = 1, /* send our changes to the peer */
  SV_SYNC_PULL = 2, /* receive the peer's changes */
  SV_SYNC_BOTH = 3
} sv_sync_direction;

typedef struct sv_sync_options {
  /* Directory with node.key / node.crt (sv_sync_keygen); NULL with a PSK. */
  const char *identity_dir;
  /* Comma-separated SHA-256 certificate fingerprints (64 hex chars each,
  ** ':' separators allowed) the peer must present.  Required with an
  ** identity; with a PSK it further restricts nothing. */
  const char *allow;
  /* Pre-shared key as hex (at least 32 hex chars), instead of certificates. */
  const char *psk_hex;
  int compress;        /* -1 default (zstd when both support it), 0 off, 1 on */
  uint32_t batch_rows; /* rows per batch frame; 0 = default (256) */
  int timeout_ms;      /* whole-sync deadline; 0 = default (30000) */
  int want_digest;     /* non-zero: fill sv_sync_result.digest after the sync (hashes
                          every row of the shard: O(shard size), not counted in ms) */
} sv_sync_options;

typedef struct sv_sync_result {
  uint64_t rows_sent;     /* changes we sent */
  uint64_t rows_received; /* changes we received */
  uint64_t rows_applied;  /* received changes that won LWW and were written */
  uint64_t bytes_sent;    /* bytes on the wire (UDP payloads; frames for local sync) */
  uint64_t bytes_received;
  uint64_t payload_raw;      /* batch bytes before compression (both directions) */
  uint64_t payload_coded;    /* the same after compression */
  double compression_ratio;  /* payload_raw / payload_coded (1.0 when nothing moved) */
  double ms;                 /* wall time of the whole sync */
  int compressed;            /* zstd was negotiated */
  int resumed;               /* the connection was a resumed TLS session */
  int early_data;            /* our hello went out as 0-RTT data and was accepted */
  int reused;                /* an open connection was reused (sv_sync_peer_run) */
  char peer_fingerprint[65]; /* the peer's certificate fingerprint (hex) or "" */
  char digest[65];           /* content digest of our shard after the sync, when
                                asked for (want_digest), else "" */
} sv_sync_result;

/* Content digest of the shard (64 hex chars + NUL into out): SHA-256 over
** all rows in id order — live rows and tombstones — of id, deleted flag,
** hlc, origin, vector bytes and metadata bytes.  Local versions are left
** out, so converged replicas have equal digests.  *rows (may be NULL)
** receives the number of rows hashed. */
SV_API int sv_shard_digest(sv_shard *shard, char out[65], uint64_t *rows);

/* Sync `shard` with another shard open in this process (e.g. a second file)
** through the same changeset and frame code as the network sync (minus the
** transport).  `dir` is seen from `shard`: PUSH sends shard's changes to
** `other`.  Errors are recorded on `shard`. */
SV_API int sv_sync_local(sv_shard *shard, sv_shard *other, sv_sync_direction dir,
                         const sv_sync_options *opts, sv_sync_result *out);

/* Sync `shard` with the peer serving at host_port ("host:port", IPv4/IPv6
** literal or name) over QUIC. */
SV_API int sv_sync_shard(sv_shard *shard, const char *host_port, sv_sync_direction dir,
                         const sv_sync_options *opts, sv_sync_result *out);

/* A connection kept open to one peer for repeated syncs (an agent syncing
** every few seconds pays the handshake once).  sv_sync_peer_open checks
** the options and loads the identity but does not connect; each
** sv_sync_peer_run syncs `shard` over the open connection, connecting (or
** reconnecting, after an idle timeout of 10 s or a failure) when needed.
** Errors of a run are recorded on `shard`; errors of open go to err.
** A peer handle is not thread-safe; close it with sv_sync_peer_close. */
typedef struct sv_sync_peer sv_sync_peer;
SV_API int sv_sync_peer_open(const char *host_port, const sv_sync_options *opts, sv_sync_peer **out,
                             char *err, size_t errlen);
SV_API int sv_sync_peer_run(sv_sync_peer *peer, sv_shard *shard, sv_sync_direction dir,
                            sv_sync_result *out);
SV_API void sv_sync_peer_close(sv_sync_peer *peer);
/* Close the peer's connection (an agent going idle) but keep the TLS
** session ticket the server issued: the next sv_sync_peer_run reconnects
** with a resumed handshake and sends its hello as 0-RTT early data (only
** the hello, which is safe to replay; rows move after the handshake).
** result.resumed says whether resumption happened. */
SV_API void sv_sync_peer_disconnect(sv_sync_peer *peer);

/* Create dir (if needed) and write a new node key (node.key, ECDSA P-256,
** mode 0600) and self-signed certificate (node.crt).  fingerprint (65
** bytes, may be NULL) receives the certificate's SHA-256 fingerprint.
** Refuses to overwrite an existing key.  err (may be NULL, errlen bytes)
** receives a message on failure. */
SV_API int sv_sync_keygen(const char *dir, char fingerprint[65], char *err, size_t errlen);

/* Fingerprint of the certificate in dir/node.crt. */
SV_API int sv_sync_fingerprint(const char *dir, char fingerprint[65], char *err, size_t errlen);

/* A sync server: serves `shard` on listen ("host:port") until *stop
** becomes non-zero (checked at least every 100 ms), or until max_sessions
** syncs have completed when max_sessions > 0.  Each completed session is
** reported through on_session when it is not NULL (ok = SV_OK or the
** failure status, msg a human-readable line).  Right after binding, before
** any session, on_session is called once with r == NULL and msg the bound
** address ("HOST:PORT"), so a caller can announce where it listens.  The port actually bound
** (useful with port 0) is stored in *bound_port when not NULL, before the
** first session. */
typedef void (*sv_sync_session_fn)(void *ctx, int ok, const char *msg, const sv_sync_result *r);
SV_API int sv_sync_serve(sv_shard *shard, const char *listen, const sv_sync_options *opts,
                         volatile int *stop, int max_sessions, sv_sync_session_fn on_session,
                         void *ctx, volatile int *bound_port);

#ifdef __cplusplus
}
#endif
#endif /* SQLITE_VECTOR_SYNC_H */
