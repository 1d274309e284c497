/*
** api.c — the public network sync calls: argument checks, identity
** loading, result bookkeeping.  The protocol is session.c's, the transport
** quic.c's; this file only wires them to a shard handle and reports in
** the library's conventions (status codes, message on the handle).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_vector_sync.h"
#include "sync/quic.h"

#define DEFAULT_TIMEOUT_MS 30000

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void finish_result(sv_shard *s, const sv_sync_options *o, sv_sync_result *r, double t0,
                          int ok) {
  r->compression_ratio = r->payload_coded ? (double)r->payload_raw / (double)r->payload_coded : 1.0;
  r->ms = mono_ms() - t0;
  if (ok && o && o->want_digest) sv__content_digest(s, r->digest, NULL);
}

static int check_opts(sv_shard *s, const sv_sync_options *o) {
  if (!o) return sv__fail(s, SV_EINVAL, "sync options are required (identity and allow list)");
  if (o->psk_hex)
    return sv__fail(s, SV_EINVAL,
                    "pre-shared keys are not supported by this build; use an identity "
                    "directory and --allow fingerprints");
  return SV_OK;
}

int sv_sync_shard(sv_shard *shard, const char *host_port, sv_sync_direction dir,
                  const sv_sync_options *opts, sv_sync_result *out) {
  sv_sync_result local;
  sv_sync_result *r = out ? out : &local;
  sv_identity id;
  sv_sess x;
  char err[400];
  double t0 = mono_ms();
  int rc;
  if (!shard) return SV_EINVAL;
  memset(r, 0, sizeof *r);
  memset(&x, 0, sizeof x);
  if ((rc = check_opts(shard, opts)) != SV_OK) return rc;
  if (dir < SV_SYNC_PUSH || dir > SV_SYNC_BOTH)
    return sv__fail(shard, SV_EINVAL, "bad sync direction %d", (int)dir);
  if (!host_port) return sv__fail(shard, SV_EINVAL, "peer address is NULL");
  if (sv_identity_load(&id, opts->identity_dir, opts->allow, err, sizeof err) != 0)
    return sv__fail(shard, SV_EAUTH, "%s", err);
  rc = sv_sess_init(&x, shard, 1, (int)dir, opts, r);
  if (rc == SV_OK) {
    int t = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    rc = sv_quic_client(&x, host_port, &id, t, r, err, sizeof err);
    if (rc != SV_OK) sv__fail(shard, rc, "sync with %s: %s", host_port, err);
  } else {
    sv__fail(shard, rc, "%s", x.msg);
  }
  finish_result(shard, opts, r, t0, rc == SV_OK);
  sv_sess_free(&x);
  sv_identity_free(&id);
  return rc;
}

typedef struct serve_ctx {
  sv_shard *s;
  const sv_sync_options *o;
  sv_sync_session_fn cb;
  void *cb_ctx;
  double t0[1];
} serve_ctx;

static int open_session(void *ctx, sv_sess *x, sv_sync_result *r) {
  serve_ctx *c = ctx;
  memset(r, 0, sizeof *r);
  r->ms = mono_ms(); /* start time until the end callback */
  return sv_sess_init(x, c->s, 0, 0, c->o, r);
}

static void end_session(void *ctx, sv_sess *x, int status, const char *msg,
                        const sv_sync_result *r) {
  serve_ctx *c = ctx;
  if (!r) { /* bound and listening */
    if (c->cb) c->cb(c->cb_ctx, SV_OK, msg, NULL);
    return;
  }
  sv_sync_result res = *r;
  double t0 = res.ms;
  finish_result(c->s, c->o, &res, t0, status == SV_OK);
  if (c->cb) c->cb(c->cb_ctx, status, msg, &res);
}

int sv_sync_serve(sv_shard *shard, const char *listen, const sv_sync_options *opts,
                  volatile int *stop, int max_sessions, sv_sync_session_fn on_session, void *ctx,
                  volatile int *bound_port) {
  sv_identity id;
  char err[400];
  int rc;
  if (!shard) return SV_EINVAL;
  if ((rc = check_opts(shard, opts)) != SV_OK) return rc;
  if (!listen) return sv__fail(shard, SV_EINVAL, "listen address is NULL");
  if (sv_identity_load(&id, opts->identity_dir, opts->allow, err, sizeof err) != 0)
    return sv__fail(shard, SV_EAUTH, "%s", err);
  serve_ctx c = {shard, opts, on_session, ctx, {0}};
  rc = sv_quic_serve(listen, &id, stop, max_sessions, open_session, end_session, &c, bound_port,
                     err, sizeof err);
  if (rc != SV_OK) sv__fail(shard, rc, "%s", err);
  sv_identity_free(&id);
  return rc;
}

/* ---- kept connections ---- */

struct sv_sync_peer {
  sv_identity id;
  sv_sync_options o; /* identity/allow strings are not kept: loaded into id */
  sv_quic_peer *qp;
};

int sv_sync_peer_open(const char *host_port, const sv_sync_options *opts, sv_sync_peer **out,
                      char *err, size_t errlen) {
  char tmp[8];
  if (!err || !errlen) err = tmp, errlen = sizeof tmp;
  if (!out) return SV_EINVAL;
  *out = NULL;
  if (!opts || opts->psk_hex) {
    snprintf(err, errlen, "%s",
             opts ? "pre-shared keys are not supported by this build" : "options are required");
    return SV_EINVAL;
  }
  sv_sync_peer *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return SV_ENOMEM;
  }
  if (sv_identity_load(&p->id, opts->identity_dir, opts->allow, err, errlen) != 0) {
    free(p);
    return SV_EAUTH;
  }
  p->o = *opts;
  p->o.identity_dir = p->o.allow = NULL;
  int rc = sv_quic_peer_open(&p->qp, host_port, &p->id, err, errlen);
  if (rc != SV_OK) {
    sv_identity_free(&p->id);
    free(p);
    return rc;
  }
  *out = p;
  return SV_OK;
}

int sv_sync_peer_run(sv_sync_peer *p, sv_shard *shard, sv_sync_direction dir, sv_sync_result *out) {
  sv_sync_result local;
  sv_sync_result *r = out ? out : &local;
  sv_sess x;
  char err[400];
  double t0 = mono_ms();
  if (!shard) return SV_EINVAL;
  memset(r, 0, sizeof *r);
  if (!p) return sv__fail(shard, SV_EINVAL, "peer handle is NULL");
  if (dir < SV_SYNC_PUSH || dir > SV_SYNC_BOTH)
    return sv__fail(shard, SV_EINVAL, "bad sync direction %d", (int)dir);
  int rc = sv_sess_init(&x, shard, 1, (int)dir, &p->o, r);
  if (rc == SV_OK) {
    int t = p->o.timeout_ms > 0 ? p->o.timeout_ms : DEFAULT_TIMEOUT_MS;
    rc = sv_quic_peer_run(p->qp, &x, t, r, err, sizeof err);
    if (rc != SV_OK) sv__fail(shard, rc, "sync: %s", err);
  } else {
    sv__fail(shard, rc, "%s", x.msg);
  }
  finish_result(shard, &p->o, r, t0, rc == SV_OK);
  sv_sess_free(&x);
  return rc;
}

void sv_sync_peer_disconnect(sv_sync_peer *p) {
  if (p) sv_quic_peer_disconnect(p->qp);
}

void sv_sync_peer_close(sv_sync_peer *p) {
  if (!p) return;
  sv_quic_peer_close(p->qp);
  sv_identity_free(&p->id);
  free(p);
}
