/*
** identity.c — node key generation, fingerprints and peer pinning.
**
** keygen writes a fresh ECDSA P-256 key (mode 0600, never overwritten) and
** a self-signed X.509 v3 certificate valid for 20 years; the fingerprint a
** peer pins is SHA-256 over the certificate's DER bytes.  At handshake
** time GnuTLS calls our verify function on both sides (the server demands
** a client certificate); it hashes the peer's leaf certificate and looks
** the digest up in the allow list.  Chains, names and dates are
** deliberately not consulted: a pinned key is the whole trust decision, as
** docs/SYNC.md explains.  A refusal fails the handshake with a TLS alert,
** before either side has read a byte of application data.
*/
#include "sync/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_vector_sync.h"
#include "util/sha256.h"

static void put_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
  if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

static int write_file(const char *path, const void *data, size_t len, int mode, char *err,
                      size_t errlen) {
  int rc = -1;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    put_err(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
  }
  if (write(fd, data, len) == (ssize_t)len && fsync(fd) == 0) rc = 0;
  if (close(fd) != 0) rc = -1;
  if (rc != 0) put_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
  return rc;
}

static int crt_fingerprint(gnutls_x509_crt_t crt, char out[65]) {
  uint8_t md[32];
  size_t n = sizeof md;
  if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &n) < 0 || n != 32) return -1;
  sv_hex32(md, out);
  return 0;
}

int sv_sync_keygen(const char *dir, char fingerprint[65], char *err, size_t errlen) {
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t kp = {NULL, 0}, cp = {NULL, 0};
  char kpath[4096], cpath[4096], fp[65];
  int rc = SV_EIO;
  if (!dir || !*dir) {
    put_err(err, errlen, "%s%s", "identity directory missing", "");
    return SV_EINVAL;
  }
  snprintf(kpath, sizeof kpath, "%s/node.key", dir);
  snprintf(cpath, sizeof cpath, "%s/node.crt", dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    put_err(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    goto done;
  }
  if (access(kpath, F_OK) == 0) {
    put_err(err, errlen, "%s exists; refusing to overwrite a node key%s", kpath, "");
    rc = SV_EINVAL;
    goto done;
  }
  uint8_t serial[16];
  if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
      gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
      gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0) {
    put_err(err, errlen, "%s%s", "key generation failed", "");
    goto done;
  }
  serial[0] &= 0x7f; /* a positive serial number */
  time_t now = time(NULL);
  static const char cn[] = "sqlite-vector node";
  if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
      gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
      gnutls_x509_crt_set_activation_time(crt, now - 86400) < 0 ||
      gnutls_x509_crt_set_expiration_time(crt, now + (time_t)20 * 365 * 86400) < 0 ||
      gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn - 1) < 0 ||
      gnutls_x509_crt_set_key(crt, key) < 0 ||
      gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
      gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0) {
    put_err(err, errlen, "%s%s", "certificate signing failed", "");
    goto done;
  }
  if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kp) < 0 ||
      gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cp) < 0 || crt_fingerprint(crt, fp) != 0) {
    put_err(err, errlen, "%s%s", "exporting the identity failed", "");
    goto done;
  }
  if (write_file(kpath, kp.data, kp.size, 0600, err, errlen) != 0) goto done;
  if (write_file(cpath, cp.data, cp.size, 0644, err, errlen) != 0) {
    unlink(kpath);
    goto done;
  }
  if (fingerprint) memcpy(fingerprint, fp, 65);
  rc = SV_OK;
done:
  gnutls_free(kp.data);
  gnutls_free(cp.data);
  if (crt) gnutls_x509_crt_deinit(crt);
  if (key) gnutls_x509_privkey_deinit(key);
  return rc;
}

int sv_sync_fingerprint(const char *dir, char fingerprint[65], char *err, size_t errlen) {
  char cpath[4096];
  gnutls_datum_t d = {NULL, 0};
  gnutls_x509_crt_t crt = NULL;
  int rc = SV_EIO;
  if (!dir || !fingerprint) return SV_EINVAL;
  snprintf(cpath, sizeof cpath, "%s/node.crt", dir);
  if (gnutls_load_file(cpath, &d) < 0) {
    put_err(err, errlen, "cannot read %s%s", cpath, "");
    goto done;
  }
  if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
      crt_fingerprint(crt, fingerprint) != 0) {
    put_err(err, errlen, "%s is not a PEM certificate%s", cpath, "");
    goto done;
  }
  rc = SV_OK;
done:
  gnutls_free(d.data);
  if (crt) gnutls_x509_crt_deinit(crt);
  return rc;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "fp[,fp...]" with optional ':' separators inside a fingerprint. */
static int parse_allow(sv_identity *id, const char *allow, char *err, size_t errlen) {
  const char *p = allow;
  while (p && *p) {
    uint8_t md[32];
    int nib = 0;
    while (*p && *p != ',') {
      if (*p == ':' || *p == ' ') {
        p++;
        continue;
      }
      int v = hexval((unsigned char)*p);
      if (v < 0 || nib >= 64) {
        put_err(err, errlen, "bad fingerprint in allow list near \"%.20s\"%s", p, "");
        return -1;
      }
      if (nib % 2 == 0)
        md[nib / 2] = (uint8_t)(v << 4);
      else
        md[nib / 2] |= (uint8_t)v;
      nib++;
      p++;
    }
    if (nib != 64) {
      put_err(err, errlen, "a fingerprint must be 64 hex digits (SHA-256)%s%s", "", "");
      return -1;
    }
    if (id->nallow >= SV_ID_MAX_ALLOW) {
      put_err(err, errlen, "too many fingerprints in the allow list%s%s", "", "");
      return -1;
    }
    memcpy(id->allow[id->nallow++], md, 32);
    if (*p == ',') p++;
  }
  return 0;
}

int sv_identity_load(sv_identity *id, const char *dir, const char *allow, char *err,
                     size_t errlen) {
  char kpath[4096], cpath[4096];
  memset(id, 0, sizeof *id);
  if (!dir || !*dir) {
    put_err(err, errlen, "an identity directory is required (sync keygen DIR)%s%s", "", "");
    return -1;
  }
  if (parse_allow(id, allow, err, errlen) != 0) return -1;
  if (id->nallow == 0) {
    put_err(err, errlen, "the allow list is empty: no peer could be admitted%s%s", "", "");
    return -1;
  }
  snprintf(kpath, sizeof kpath, "%s/node.key", dir);
  snprintf(cpath, sizeof cpath, "%s/node.crt", dir);
  if (sv_sync_fingerprint(dir, id->own_fp, err, errlen) != SV_OK) return -1;
  if (gnutls_certificate_allocate_credentials(&id->cred) < 0) {
    put_err(err, errlen, "out of memory%s%s", "", "");
    return -1;
  }
  int g = gnutls_certificate_set_x509_key_file(id->cred, cpath, kpath, GNUTLS_X509_FMT_PEM);
  if (g < 0) {
    put_err(err, errlen, "cannot load the node key: %s%s", gnutls_strerror(g), "");
    gnutls_certificate_free_credentials(id->cred);
    id->cred = NULL;
    return -1;
  }
  return 0;
}

void sv_identity_free(sv_identity *id) {
  if (id->cred) gnutls_certificate_free_credentials(id->cred);
  id->cred = NULL;
}

static int verify_peer(gnutls_session_t s) {
  sv_peer_check *chk = gnutls_transport_get_ptr(s);
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
  if (!chk) return -1;
  if (!certs || n == 0) {
    chk->refused = 1;
    snprintf(chk->fp, sizeof chk->fp, "none");
    return -1;
  }
  uint8_t md[32];
  sv_sha256 h;
  sv_sha256_init(&h);
  sv_sha256_update(&h, certs[0].data, certs[0].size);
  sv_sha256_final(&h, md);
  sv_hex32(md, chk->fp);
  for (int i = 0; i < chk->id->nallow; i++)
    if (memcmp(md, chk->id->allow[i], 32) == 0) return 0;
  chk->refused = 1;
  return -1;
}

void sv_identity_attach(gnutls_session_t s, sv_peer_check *chk) {
  /* The session pointer belongs to ngtcp2's crypto glue (conn_ref), so the
  ** check rides on the transport pointer, which QUIC leaves unused. */
  gnutls_transport_set_ptr(s, chk);
  gnutls_session_set_verify_function(s, verify_peer);
}
