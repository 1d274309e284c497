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
#include <signal.h>
#include <sys/wait.h>
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
  char listen[64];
  pthread_t th;
  int rc;
} srv;

static void on_session(void *ctx, int ok, const char *msg, const sv_sync_result *r) {
  srv *v = ctx;
  if (!r) return; /* "listening" */
  if (ok == SV_OK)
    v->done_ok++;
  else
    v->done_fail++;
  snprintf(v->last_msg, sizeof v->last_msg, "%s", msg);
}

static void *serve_main(void *arg) {
  srv *v = arg;
  v->rc = sv_sync_serve(v->s, v->listen, &v->o, &v->stop, 0, on_session, v, &v->port);
  return NULL;
}

static int srv_port_hint = 0; /* the next srv_start binds this port (0: any) */

static void srv_start(srv *v, sv_shard *s, const char *iddir, const char *allow) {
  memset(v, 0, sizeof *v);
  v->s = s;
  v->o.identity_dir = iddir;
  v->o.allow = allow;
  v->o.compress = -1;
  v->port = 0;
  snprintf(v->listen, sizeof v->listen, "127.0.0.1:%d", srv_port_hint);
  srv_port_hint = 0;
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

/* Ids are unique across all shards of the suite, so rows never collide
** unless a case wants them to. */
static int64_t next_id = 1;

static void fill(sv_shard *s, int n, unsigned long long seed, uint32_t dim) {
  float v[512];
  for (int i = 0; i < n; i++) {
    for (uint32_t d = 0; d < dim; d++) v[d] = sv_test_randf(&seed);
    v[0] += 2.0f;
    char meta[80];
    snprintf(meta, sizeof meta, "{\"doc\":\"note %d\",\"tag\":\"t%d\"}", i, i % 5);
    CHECK_RC(sv_insert_id(s, next_id++, v, dim, meta), SV_OK);
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
  sv_sync_options o = {ida, fpb, NULL, -1, 0, 10000, 0};
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

static void digest_of(sv_shard *s, char out[65]) {
  CHECK_RC(sv_shard_digest(s, out, NULL), SV_OK);
}

static void expect_refusal(sv_shard *a, const char *hp, const sv_sync_options *o, int want,
                           const char *needle, const char *what) {
  sv_sync_result r;
  int rc = sv_sync_shard(a, hp, SV_SYNC_BOTH, o, &r);
  CHECK(rc == want, "%s: got %s want %s (%s)", what, sv_errstr(rc), sv_errstr(want), sv_errmsg(a));
  CHECK(strstr(sv_errmsg(a), needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, sv_errmsg(a),
        needle);
  CHECK(r.rows_received == 0 && r.rows_sent == 0, "%s: rows moved", what);
}

static void test_refusals(void) {
  sv_shard *a = open_shard("ra", DIM, SV_METRIC_COSINE),
           *b = open_shard("rb", DIM, SV_METRIC_COSINE);
  sv_shard *b32 = open_shard("rb32", 32, SV_METRIC_COSINE),
           *bl2 = open_shard("rbl2", DIM, SV_METRIC_L2);
  fill(a, 20, 5, DIM);
  fill(b, 20, 6, DIM);
  fill(b32, 5, 7, 32);
  char da[65], db[65], d2[65], hp[64];
  digest_of(a, da);
  digest_of(b, db);
  srv v;
  srv_start(&v, b, idb, fpa);
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  /* An identity the server does not know. */
  sv_sync_options oc = {idc, fpb, NULL, -1, 0, 5000, 0};
  expect_refusal(a, hp, &oc, SV_EAUTH, "refused", "unknown client certificate");
  /* A server whose certificate we do not pin. */
  sv_sync_options oa_wrong = {ida, fpc, NULL, -1, 0, 5000, 0};
  expect_refusal(a, hp, &oa_wrong, SV_EAUTH, "not in the allow list", "unknown server");
  /* The right certificate with the wrong private key never gets going. */
  char idw[700], cmd[5000];
  sv_test_path(idw, sizeof idw, "squic", "id_wrong");
  snprintf(cmd, sizeof cmd,
           "rm -rf '%s' && mkdir -p '%s' && cp '%s/node.crt' '%s/' && cp '%s/node.key' '%s/'", idw,
           idw, ida, idw, idc, idw);
  CHECK(system(cmd) == 0, "wrong-key dir");
  sv_sync_options ow = {idw, fpb, NULL, -1, 0, 5000, 0};
  expect_refusal(a, hp, &ow, SV_EAUTH, "key", "wrong key");
  /* Garbage datagrams: dropped unanswered; the server keeps serving. */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)v.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned long long seed = 99;
  unsigned char junk[1400];
  for (int i = 0; i < 400; i++) {
    size_t n = 1 + sv_test_rand(&seed) % sizeof junk;
    for (size_t k = 0; k < n; k++) junk[k] = (unsigned char)sv_test_rand(&seed);
    if (i % 4 == 0)
      junk[0] = 0xc0, junk[1] = 0, junk[2] = 0, junk[3] = 0, junk[4] = 1; /* long header v1 */
    sendto(fd, junk, n, 0, (struct sockaddr *)&sa, sizeof sa);
  }
  close(fd);
  digest_of(a, d2);
  CHECK(strcmp(da, d2) == 0, "client shard changed by refusals");
  digest_of(b, d2);
  CHECK(strcmp(db, d2) == 0, "server shard changed by refusals or garbage");
  sv_sync_options oa = {ida, fpb, NULL, -1, 0, 10000, 0};
  sv_sync_result r;
  CHECK_RC(sv_sync_shard(a, hp, SV_SYNC_BOTH, &oa, &r), SV_OK);
  same_digest(a, b, "sync after garbage");
  srv_stop(&v);
  /* Shape mismatches: refused in the hello, nothing applied. */
  digest_of(a, da);
  srv_start(&v, b32, idb, fpa);
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  expect_refusal(a, hp, &oa, SV_ESHAPE, "dim", "dimension mismatch");
  srv_stop(&v);
  srv_start(&v, bl2, idb, fpa);
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  expect_refusal(a, hp, &oa, SV_ESHAPE, "metric", "metric mismatch");
  srv_stop(&v);
  /* Nobody listening: a clear network error, not a hang. */
  oa.timeout_ms = 1500;
  expect_refusal(a, hp, &oa, SV_ENET, "", "no server");
  digest_of(a, d2);
  CHECK(strcmp(da, d2) == 0, "client shard changed by shape refusals");
  sv_shard_close(a);
  sv_shard_close(b);
  sv_shard_close(b32);
  sv_shard_close(bl2);
}

/* 5 % loss, duplicates and reordering in both directions. */
static void test_lossy(void) {
  sv_shard *a = open_shard("la", DIM, SV_METRIC_DOT), *b = open_shard("lb", DIM, SV_METRIC_DOT);
  fill(a, 1500, 11, DIM);
  fill(b, 700, 12, DIM);
  srv v;
  srv_start(&v, b, idb, fpa);
  int rport = 0;
  sv_relay *rl = sv_relay_start(v.port, 5, 3, 5, 1234, &rport);
  CHECK(rl != NULL, "relay");
  char hp[64];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", rport);
  sv_sync_options oa = {ida, fpb, NULL, -1, 64, 30000, 0};
  sv_sync_result r;
  int rc = sv_sync_shard(a, hp, SV_SYNC_BOTH, &oa, &r);
  CHECK(rc == SV_OK, "lossy sync: %s", sv_errmsg(a));
  /* A second round settles anything the first one could not see. */
  rc = sv_sync_shard(a, hp, SV_SYNC_BOTH, &oa, &r);
  CHECK(rc == SV_OK, "lossy sync 2: %s", sv_errmsg(a));
  sv_relay_stats st;
  sv_relay_stop(rl, &st);
  srv_stop(&v);
  same_digest(a, b, "lossy relay");
  CHECK(st.dropped > 0 && st.duplicated > 0 && st.reordered > 0, "relay did nothing");
  printf("lossy relay: forwarded %lu dropped %lu duplicated %lu reordered %lu\n", st.forwarded,
         st.dropped, st.duplicated, st.reordered);
  sv_shard_close(a);
  sv_shard_close(b);
}

/* Kill the pushing client mid-transfer; the next sync resumes. */
static void test_kill_resume(void) {
  char pa[600];
  sv_test_fresh_path(pa, sizeof pa, "squic", "ka");
  sv_shard *b = open_shard("kb", DIM, SV_METRIC_COSINE);
  {
    sv_shard *a = NULL;
    sv_open_options o = {DIM, SV_METRIC_COSINE, SV_OPEN_CREATE};
    CHECK_RC(sv_shard_open(pa, &o, &a), SV_OK);
    fill(a, 6000, 21, DIM);
    sv_shard_close(a);
  }
  srv v;
  srv_start(&v, b, idb, fpa);
  char hp[64];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  /* Slow the push down through a lossy relay so there is time to kill it. */
  int rport = 0;
  sv_relay *rl = sv_relay_start(v.port, 2, 0, 0, 77, &rport);
  char hpr[64];
  snprintf(hpr, sizeof hpr, "127.0.0.1:%d", rport);
  pid_t pid = fork();
  if (pid == 0) {
    sv_shard *a = NULL;
    sv_open_options o = {0, SV_METRIC_UNSET, 0};
    sv_shard_open(pa, &o, &a);
    sv_sync_options oa = {ida, fpb, NULL, 0, 50, 30000, 0};
    sv_sync_shard(a, hpr, SV_SYNC_PUSH, &oa, NULL);
    _exit(0);
  }
  /* Wait until some rows arrived, then kill. */
  sv_stats st;
  for (int i = 0; i < 4000; i++) {
    sv_shard_stats(b, &st);
    if (st.count >= 300) break;
    usleep(1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  sv_relay_stop(rl, NULL);
  sv_shard_stats(b, &st);
  CHECK(st.count > 0 && st.count < 6000, "killed mid-transfer at %llu rows",
        (unsigned long long)st.count);
  uint64_t partial = st.count;
  sv_shard *a = NULL;
  sv_open_options o = {0, SV_METRIC_UNSET, 0};
  CHECK_RC(sv_shard_open(pa, &o, &a), SV_OK);
  sv_sync_options oa = {ida, fpb, NULL, -1, 0, 30000, 0};
  sv_sync_result r;
  int rc = sv_sync_shard(a, hp, SV_SYNC_PUSH, &oa, &r);
  CHECK(rc == SV_OK, "resume: %s", sv_errmsg(a));
  /* The server may still have applied a batch or two from datagrams that
  ** were in flight when the client died, so `partial` is a lower bound of
  ** what the resumed sync could skip. */
  CHECK(r.rows_sent + partial <= 6000 && r.rows_sent < 6000, "resumed with %llu rows after %llu",
        (unsigned long long)r.rows_sent, (unsigned long long)partial);
  srv_stop(&v);
  sv_shard_stats(b, &st);
  CHECK(st.count == 6000, "server has %llu rows", (unsigned long long)st.count);
  same_digest(a, b, "after resume");
  sv_shard_close(a);
  sv_shard_close(b);
}

/* Repeated syncs over one kept connection. */
static void test_reuse(void) {
  sv_shard *a = open_shard("ua", DIM, SV_METRIC_COSINE),
           *b = open_shard("ub", DIM, SV_METRIC_COSINE);
  srv v;
  srv_start(&v, b, idb, fpa);
  char hp[64], err[300];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", v.port);
  sv_sync_options o = {ida, fpb, NULL, -1, 0, 10000, 0};
  sv_sync_peer *p = NULL;
  CHECK_RC(sv_sync_peer_open(hp, &o, &p, err, sizeof err), SV_OK);
  for (int i = 0; i < 6; i++) {
    fill(a, 20, 100 + (unsigned long long)i, DIM);
    fill(b, 3, 200 + (unsigned long long)i, DIM);
    sv_sync_result r;
    int rc = sv_sync_peer_run(p, a, SV_SYNC_BOTH, &r);
    CHECK(rc == SV_OK, "run %d: %s", i, sv_errmsg(a));
    CHECK(r.rows_sent == 20 && r.rows_received == 3, "run %d moved %llu/%llu", i,
          (unsigned long long)r.rows_sent, (unsigned long long)r.rows_received);
    CHECK(r.reused == (i > 0), "run %d reused %d", i, r.reused);
    same_digest(a, b, "reused connection");
  }
  /* Disconnect and come back: a resumed handshake with a 0-RTT hello. */
  for (int i = 0; i < 3; i++) {
    sv_sync_peer_disconnect(p);
    fill(a, 5, 300 + (unsigned long long)i, DIM);
    sv_sync_result r;
    int rc = sv_sync_peer_run(p, a, SV_SYNC_BOTH, &r);
    CHECK(rc == SV_OK, "resumed run %d: %s", i, sv_errmsg(a));
    CHECK(r.resumed && r.early_data && !r.reused && r.rows_sent == 5,
          "resumed %d early %d reused %d sent %llu", r.resumed, r.early_data, r.reused,
          (unsigned long long)r.rows_sent);
    CHECK(strcmp(r.peer_fingerprint, fpb) == 0, "resumed peer fp '%s'", r.peer_fingerprint);
    same_digest(a, b, "resumed connection");
  }
  /* A restarted server has another ticket key: resumption and early data
  ** are refused, the hello is resent after a full handshake, and the sync
  ** completes. */
  sv_sync_peer_disconnect(p);
  for (int i = 0; i < 200 && v.done_ok + v.done_fail < 9; i++) usleep(5000);
  srv_stop(&v);
  CHECK(v.done_ok == 9, "server reported %d ok sessions, %d failed", v.done_ok, v.done_fail);
  int port = v.port;
  srv_port_hint = port;
  srv_start(&v, b, idb, fpa);
  CHECK(v.port == port, "restarted on port %d, wanted %d", v.port, port);
  fill(a, 4, 400, DIM);
  sv_sync_result r;
  int rc = sv_sync_peer_run(p, a, SV_SYNC_BOTH, &r);
  CHECK(rc == SV_OK, "after restart: %s", sv_errmsg(a));
  CHECK(!r.resumed && !r.early_data && r.rows_sent == 4, "after restart resumed %d early %d",
        r.resumed, r.early_data);
  same_digest(a, b, "after server restart");
  sv_sync_peer_close(p);
  CHECK_RC(sv_sync_peer_open(hp, &o, NULL, err, sizeof err), SV_EINVAL);
  sv_sync_options bad = {idc, fpb, NULL, -1, 0, 3000, 0};
  CHECK_RC(sv_sync_peer_open(hp, &bad, &p, err, sizeof err), SV_OK);
  CHECK_RC(sv_sync_peer_run(p, a, SV_SYNC_BOTH, NULL), SV_EAUTH);
  sv_sync_peer_close(p);
  srv_stop(&v);
  sv_shard_close(a);
  sv_shard_close(b);
}

int main(void) {
  make_ids();
  test_reuse();
  test_basic();
  test_refusals();
  test_lossy();
  test_kill_resume();
  return sv_test_done("test_sync_quic");
}
