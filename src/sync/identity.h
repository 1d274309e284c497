/*
** identity.h — node keys, certificates and the allow list (GnuTLS).
**
** A node identity is an ECDSA P-256 key and a self-signed certificate in a
** directory.  Peers are pinned by the SHA-256 fingerprint of the DER
** certificate; no CA is involved.  The TLS verify callback (identity.c)
** admits a peer only when its certificate's fingerprint is in the list.
*/
#ifndef SV_SYNC_IDENTITY_H
#define SV_SYNC_IDENTITY_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#define SV_ID_MAX_ALLOW 64

typedef struct sv_identity {
  gnutls_certificate_credentials_t cred;
  uint8_t allow[SV_ID_MAX_ALLOW][32];
  int nallow;
  char own_fp[65];
} sv_identity;

/* Per-session verification outcome, reachable from the verify callback
** through gnutls_session_get_ptr's neighbour (see quic.c). */
typedef struct sv_peer_check {
  const sv_identity *id;
  int refused; /* our side refused the peer's certificate */
  char fp[65]; /* the peer's fingerprint, once seen */
} sv_peer_check;

/* Load dir/node.key + dir/node.crt and parse the allow list.  0, or -1 with
** a message. */
int sv_identity_load(sv_identity *id, const char *dir, const char *allow, char *err, size_t errlen);
void sv_identity_free(sv_identity *id);

/* Install the pinned-fingerprint verification on a session; `chk` must
** outlive the session. */
void sv_identity_attach(gnutls_session_t s, sv_peer_check *chk);

#endif /* SV_SYNC_IDENTITY_H */
