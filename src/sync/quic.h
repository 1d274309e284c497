/*
** quic.h — the QUIC transport: the only code that touches ngtcp2.
**
** Everything ngtcp2-specific (connections, TLS glue, sockets, timers, the
** connection-id table) lives in quic.c behind these two calls, so a port to
** ngtcp2 1.x changes one file.  A connection carries exactly one
** client-opened bidirectional stream, and that stream carries one sync
** session (session.h) byte for byte.
*/
#ifndef SV_SYNC_QUIC_H
#define SV_SYNC_QUIC_H

#include "sync/identity.h"
#include "sync/session.h"

#define SV_QUIC_ALPN "sv-sync/1"

/* Run session x (already initialised as a client) against host_port.
** Returns SV_OK when the session completed and everything we sent was
** acknowledged; otherwise a status with a message in err.  Wire byte
** counts and the peer fingerprint go to r. */
int sv_quic_client(sv_sess *x, const char *host_port, const sv_identity *id, int timeout_ms,
                   sv_sync_result *r, char *err, size_t errlen);

/* A client connection kept open for repeated syncs with one peer.  open
** only records the address; the first run connects (full handshake), later
** runs reuse the connection while it is alive and reconnect otherwise.  A
** failed run drops the connection.  r->reused says whether it was reused. */
typedef struct sv_quic_peer sv_quic_peer;
int sv_quic_peer_open(sv_quic_peer **out, const char *host_port, const sv_identity *id, char *err,
                      size_t errlen);
int sv_quic_peer_run(sv_quic_peer *p, sv_sess *x, int timeout_ms, sv_sync_result *r, char *err,
                     size_t errlen);
void sv_quic_peer_close(sv_quic_peer *p);
/* Close the connection but keep the TLS ticket: the next run reconnects
** with a resumed handshake and sends its hello as 0-RTT data. */
void sv_quic_peer_disconnect(sv_quic_peer *p);

/* Server callbacks: make a session for a new connection (SV_OK or a
** status that refuses it), and hear how it ended. */
typedef int (*sv_quic_open_fn)(void *ctx, sv_sess *x, sv_sync_result *r);
typedef void (*sv_quic_end_fn)(void *ctx, sv_sess *x, int status, const char *msg,
                               const sv_sync_result *r);

/* Serve on `listen`.  Once bound, on_end is called once with x and r NULL
** and msg the bound address ("HOST:PORT"). until *stop or until max_sessions connections ended
** (0: no limit).  *bound_port (if not NULL) gets the bound port. */
int sv_quic_serve(const char *listen, const sv_identity *id, volatile int *stop, int max_sessions,
                  sv_quic_open_fn on_open, sv_quic_end_fn on_end, void *ctx,
                  volatile int *bound_port, char *err, size_t errlen);

#endif /* SV_SYNC_QUIC_H */
