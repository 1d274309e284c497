/*
** test_sync_changes.c — changesets and LWW merge, without a network.
**
** Replicas are shards in files synced with sv_sync_local (the network
** protocol minus QUIC).  The property cases drive three replicas with
** random inserts, updates and deletes on a small id range (so writes
** collide), sync random pairs in random directions, and then check that
** (a) after a final round every replica has the same digest, and (b) each
** id holds exactly the write with the largest (hlc, origin) ever issued for
** it — the oracle is built from every write's stamp, so no acknowledged
** write was lost other than by the LWW rule.  Apply-level cases feed one
** set of changes in shuffled orders with duplicates to check idempotence
** and commutativity directly.
*/
#include <stdint.h>

#include "sqlite_vector_sync.h"
#include "store/changes.h"
#include "sync/session.h"
#include "util/clock.h"
#include "sv_test.h"

#define DIM 8
#define NIDS 40

static sv_shard *open_shard(const char *name, uint32_t dim, sv_metric m) {
  char path[600];
  sv_shard *s = NULL;
  sv_open_options o = {dim, m, SV_OPEN_CREATE};
  sv_test_fresh_path(path, sizeof path, "sync", name);
  int rc = sv_shard_open(path, &o, &s);
  CHECK(rc == SV_OK, "open %s: %s", name, s ? sv_errmsg(s) : "?");
  return s;
}

static void rand_vec(unsigned long long *seed, float *v) {
  for (int i = 0; i < DIM; i++) v[i] = sv_test_randf(seed);
  v[0] += 2.0f; /* never zero */
}

static void digest(sv_shard *s, char out[65]) {
  CHECK_RC(sv_shard_digest(s, out, NULL), SV_OK);
}

/* The oracle: per id the largest (hlc, origin) written anywhere. */
typedef struct oracle_row {
  int64_t hlc, origin;
  int deleted;
  float v0;
} oracle_row;
static oracle_row oracle[NIDS + 1];

static int grab_last(void *ctx, const sv_change *c) {
  sv_change *out = ctx;
  *out = *c;
  out->vec = NULL; /* only valid during the callback */
  out->meta = NULL;
  return SV_OK;
}

static void note_write(sv_shard *s, int64_t before_version, int64_t id, int deleted, float v0) {
  int64_t last = 0;
  sv_change c;
  memset(&c, 0, sizeof c);
  CHECK_RC(sv__changes_read(s, before_version, 0, grab_last, &c, &last), SV_OK);
  CHECK(c.id == id, "stamp of id %lld", (long long)id);
  oracle_row *o = &oracle[id];
  if (c.hlc > o->hlc || (c.hlc == o->hlc && c.origin > o->origin)) {
    o->hlc = c.hlc;
    o->origin = c.origin;
    o->deleted = deleted;
    o->v0 = v0;
  }
}

static int64_t version_of(sv_shard *s) {
  sv_stats st;
  sv_shard_stats(s, &st);
  return st.version;
}

static void random_write(sv_shard *s, unsigned long long *seed) {
  float v[DIM];
  int64_t id = 1 + (int64_t)(sv_test_rand(seed) % NIDS);
  int64_t before = version_of(s);
  unsigned op = (unsigned)(sv_test_rand(seed) % 10);
  if (op < 7) {
    char meta[64];
    rand_vec(seed, v);
    snprintf(meta, sizeof meta, "{\"w\":%u}", (unsigned)(sv_test_rand(seed) % 1000));
    CHECK_RC(sv_upsert(s, id, v, DIM, meta), SV_OK);
    note_write(s, before, id, 0, v[0]);
  } else if (sv_delete(s, id) == SV_OK) {
    note_write(s, before, id, 1, 0.0f);
  }
}

typedef struct check_ctx {
  int bad;
} check_ctx;

static int check_row(void *ctx, const sv_change *c) {
  check_ctx *k = ctx;
  oracle_row *o = &oracle[c->id];
  if (c->hlc != o->hlc || c->origin != o->origin || (c->vec == NULL) != o->deleted ||
      (c->vec && c->vec[0] != o->v0))
    k->bad++;
  return SV_OK;
}

static void test_three_replicas(unsigned long long seed0) {
  unsigned long long seed = seed0;
  sv_shard *r[3] = {open_shard("p0", DIM, SV_METRIC_COSINE),
                    open_shard("p1", DIM, SV_METRIC_COSINE),
                    open_shard("p2", DIM, SV_METRIC_COSINE)};
  memset(oracle, 0, sizeof oracle);
  sv_sync_options o = {0};
  o.compress = -1;
  o.batch_rows = 7; /* many small batches */
  for (int round = 0; round < 60; round++) {
    int nw = (int)(sv_test_rand(&seed) % 6);
    for (int i = 0; i < nw; i++) random_write(r[sv_test_rand(&seed) % 3], &seed);
    int a = (int)(sv_test_rand(&seed) % 3), b = (a + 1 + (int)(sv_test_rand(&seed) % 2)) % 3;
    sv_sync_direction d = (sv_sync_direction)(1 + sv_test_rand(&seed) % 3);
    sv_sync_result res;
    int rc = sv_sync_local(r[a], r[b], d, &o, &res);
    CHECK(rc == SV_OK, "round %d sync %d->%d: %s", round, a, b, sv_errmsg(r[a]));
  }
  /* Final rounds: every pair both ways, twice, so everything reached everyone. */
  for (int k = 0; k < 2; k++)
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++)
        if (a != b) CHECK_RC(sv_sync_local(r[a], r[b], SV_SYNC_BOTH, &o, NULL), SV_OK);
  char d0[65], d1[65], d2[65];
  digest(r[0], d0);
  digest(r[1], d1);
  digest(r[2], d2);
  CHECK(strcmp(d0, d1) == 0 && strcmp(d1, d2) == 0, "digests differ: %s %s %s", d0, d1, d2);
  for (int i = 0; i < 3; i++) {
    check_ctx k = {0};
    int64_t last;
    CHECK_RC(sv__changes_read(r[i], 0, 0, check_row, &k, &last), SV_OK);
    CHECK(k.bad == 0, "replica %d: %d rows differ from the LWW oracle", i, k.bad);
  }
  /* A repeated sync moves nothing. */
  sv_sync_result res;
  CHECK_RC(sv_sync_local(r[0], r[1], SV_SYNC_BOTH, &o, &res), SV_OK);
  CHECK(res.rows_sent == 0 && res.rows_received == 0, "idle sync moved %llu/%llu rows",
        (unsigned long long)res.rows_sent, (unsigned long long)res.rows_received);
  for (int i = 0; i < 3; i++) sv_shard_close(r[i]);
}

/* Changes collected from a source shard, deep-copied. */
typedef struct chset {
  sv_change c[64];
  float v[64][DIM];
  char m[64][32];
  int n;
} chset;

static int collect(void *ctx, const sv_change *c) {
  chset *k = ctx;
  if (k->n >= 64) return SV_OK;
  sv_change *d = &k->c[k->n];
  *d = *c;
  if (c->vec) {
    memcpy(k->v[k->n], c->vec, sizeof k->v[0]);
    size_t ml = c->meta_len < 31 ? c->meta_len : 31;
    memcpy(k->m[k->n], c->meta, ml);
    k->m[k->n][ml] = 0;
    d->vec = k->v[k->n];
    d->meta = k->m[k->n];
    d->meta_len = ml;
  }
  k->n++;
  return SV_OK;
}

static void test_apply_properties(void) {
  unsigned long long seed = 42;
  static chset all;
  memset(&all, 0, sizeof all);
  /* Two writers touching the same ids. */
  for (int w = 0; w < 2; w++) {
    sv_shard *s = open_shard(w ? "w1" : "w0", DIM, SV_METRIC_L2);
    float v[DIM];
    for (int i = 0; i < 12; i++) {
      rand_vec(&seed, v);
      CHECK_RC(sv_upsert(s, 1 + i % 6, v, DIM, "{\"a\":1}"), SV_OK);
    }
    CHECK_RC(sv_delete(s, 2 + w), SV_OK);
    int64_t last;
    CHECK_RC(sv__changes_read(s, 0, 0, collect, &all, &last), SV_OK);
    sv_shard_close(s);
  }
  char ref[65] = "";
  for (int trial = 0; trial < 6; trial++) {
    sv_shard *t = open_shard("perm", DIM, SV_METRIC_L2);
    sv_change order[128];
    int n = 0;
    for (int i = 0; i < all.n; i++) order[n++] = all.c[i];
    for (int i = 0; i < all.n / 2; i++) order[n++] = all.c[sv_test_rand(&seed) % all.n];
    for (int i = n - 1; i > 0; i--) { /* shuffle */
      int j = (int)(sv_test_rand(&seed) % (unsigned)(i + 1));
      sv_change tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    /* Apply in random-size chunks, some twice (idempotence). */
    for (int i = 0; i < n;) {
      int k = 1 + (int)(sv_test_rand(&seed) % 5);
      if (i + k > n) k = n - i;
      CHECK_RC(sv__changes_apply(t, order + i, (size_t)k, 0, 0, NULL), SV_OK);
      if (sv_test_rand(&seed) % 3 == 0)
        CHECK_RC(sv__changes_apply(t, order + i, (size_t)k, 0, 0, NULL), SV_OK);
      i += k;
    }
    char d[65];
    digest(t, d);
    if (trial == 0)
      memcpy(ref, d, sizeof d);
    else
      CHECK(strcmp(ref, d) == 0, "trial %d digest %s != %s", trial, d, ref);
    sv_shard_close(t);
  }
}

static void test_refusals(void) {
  sv_shard *a = open_shard("ra", DIM, SV_METRIC_COSINE);
  sv_shard *b = open_shard("rb", DIM * 2, SV_METRIC_COSINE);
  sv_shard *c = open_shard("rc", DIM, SV_METRIC_L2);
  float v[DIM * 2];
  unsigned long long seed = 7;
  rand_vec(&seed, v);
  CHECK_RC(sv_insert(a, v, DIM, NULL, NULL), SV_OK);
  char da[65], db[65], d2[65];
  digest(a, da);
  digest(b, db);
  CHECK_RC(sv_sync_local(a, b, SV_SYNC_BOTH, NULL, NULL), SV_ESHAPE);
  CHECK(strstr(sv_errmsg(a), "dim") != NULL, "message: %s", sv_errmsg(a));
  CHECK_RC(sv_sync_local(a, c, SV_SYNC_PUSH, NULL, NULL), SV_ESHAPE);
  CHECK(strstr(sv_errmsg(a), "metric") != NULL, "message: %s", sv_errmsg(a));
  digest(a, d2);
  CHECK(strcmp(da, d2) == 0, "a changed");
  digest(b, d2);
  CHECK(strcmp(db, d2) == 0, "b changed");
  /* Invalid changes: nothing of the batch is applied. */
  float nanv[DIM];
  rand_vec(&seed, nanv);
  sv_change ch[2];
  memset(ch, 0, sizeof ch);
  ch[0].id = 100, ch[0].hlc = (int64_t)1 << 40, ch[0].origin = 5, ch[0].vec = v;
  ch[0].meta = "{}", ch[0].meta_len = 2;
  ch[1] = ch[0];
  ch[1].id = 101;
  nanv[3] = NAN;
  ch[1].vec = nanv;
  CHECK_RC(sv__changes_apply(a, ch, 2, 0, 0, NULL), SV_EINVAL);
  ch[1].vec = v;
  ch[1].meta = "[1]", ch[1].meta_len = 3;
  CHECK_RC(sv__changes_apply(a, ch, 2, 0, 0, NULL), SV_EJSON);
  ch[1].meta = "{}", ch[1].meta_len = 2;
  ch[1].hlc = INT64_MAX;
  CHECK_RC(sv__changes_apply(a, ch, 2, 0, 0, NULL), SV_EINVAL);
  ch[1].hlc = 1000, ch[1].origin = 0;
  CHECK_RC(sv__changes_apply(a, ch, 2, 0, 0, NULL), SV_EINVAL);
  digest(a, d2);
  CHECK(strcmp(da, d2) == 0, "a changed by a refused batch");
  sv_shard_close(a);
  sv_shard_close(b);
  sv_shard_close(c);
}

static void test_delta_and_hlc(void) {
  sv_shard *a = open_shard("da", DIM, SV_METRIC_DOT);
  sv_shard *b = open_shard("db", DIM, SV_METRIC_DOT);
  float v[DIM];
  unsigned long long seed = 9;
  sv_sync_result r;
  for (int i = 0; i < 50; i++) {
    rand_vec(&seed, v);
    CHECK_RC(sv_insert(a, v, DIM, "{\"k\":\"v\"}", NULL), SV_OK);
  }
  CHECK_RC(sv_sync_local(a, b, SV_SYNC_PUSH, NULL, &r), SV_OK);
  CHECK(r.rows_sent == 50, "sent %llu", (unsigned long long)r.rows_sent);
  for (int i = 0; i < 5; i++) {
    rand_vec(&seed, v);
    CHECK_RC(sv_upsert(a, 1 + i, v, DIM, NULL), SV_OK);
  }
  CHECK_RC(sv_sync_local(a, b, SV_SYNC_BOTH, NULL, &r), SV_OK);
  CHECK(r.rows_sent == 5 && r.rows_received == 0, "delta sent %llu received %llu",
        (unsigned long long)r.rows_sent, (unsigned long long)r.rows_received);
  /* Pull from b into a fresh c: c gets b's copies of a's rows. */
  sv_shard *c = open_shard("dc", DIM, SV_METRIC_DOT);
  CHECK_RC(sv_sync_local(c, b, SV_SYNC_PULL, NULL, &r), SV_OK);
  CHECK(r.rows_received == 50, "pulled %llu", (unsigned long long)r.rows_received);
  char da[65], dc[65];
  digest(a, da);
  digest(c, dc);
  CHECK(strcmp(da, dc) == 0, "a and c differ");
  /* HLC advances on receive: a local write after the sync wins over the
  ** replicated state even if it was stamped "in the future". */
  sv_change ch;
  memset(&ch, 0, sizeof ch);
  rand_vec(&seed, v);
  ch.id = 1, ch.hlc = (sv_clock_ms() + 60000) << 16, ch.origin = 77, ch.vec = v;
  ch.meta = "{}", ch.meta_len = 2;
  CHECK_RC(sv__changes_apply(c, &ch, 1, 0, 0, NULL), SV_OK);
  rand_vec(&seed, v);
  CHECK_RC(sv_upsert(c, 1, v, DIM, NULL), SV_OK);
  sv_record rec;
  CHECK_RC(sv_get(c, 1, &rec), SV_OK);
  CHECK(rec.hlc > ch.hlc && rec.origin != 77, "local write after receive is older");
  sv_record_free(&rec);
  /* The search mirror sees replicated rows. */
  sv_results res;
  sv_search_options so = {3, 0, 0, NULL, 0};
  CHECK_RC(sv_search(b, v, DIM, &so, &res), SV_OK);
  CHECK(res.n == 3, "search on replica");
  sv_results_free(&res);
  sv_shard_close(a);
  sv_shard_close(b);
  sv_shard_close(c);
}

/* Malformed frames end the session with an error and change nothing:
** every truncation and every single-byte corruption of a valid batch frame
** either fails cleanly with the shard untouched, or (when the corruption
** hit a value the protocol cannot tell apart, such as a vector component or
** an id) applies a well-formed batch. */
static void test_malformed_frames(void) {
  sv_shard *s = open_shard("mf", DIM, SV_METRIC_L2);
  unsigned long long seed = 5;
  /* A valid stream: client hello, then one batch of 5 rows. */
  svf_hello h;
  memset(&h, 0, sizeof h);
  h.proto = SVF_PROTO, h.format_version = SV_FORMAT_VERSION, h.dim = DIM;
  h.metric = SV_METRIC_L2, h.caps = 0, h.want = SVF_WANT_PUSH, h.node_id = 999, h.version = 5;
  sv_buf hello = {0}, batch = {0};
  svf_put_hello(&hello, &h);
  svf_batch_builder bb;
  svf_batch_init(&bb, DIM);
  float v[DIM];
  for (int i = 0; i < 5; i++) {
    rand_vec(&seed, v);
    sv_change c = {100 + i, ((int64_t)sv_clock_ms() << 16) + i, 999, i + 1, v, "{\"a\":1}", 7};
    if (i == 4) c.vec = NULL, c.meta = NULL, c.meta_len = 0;
    CHECK(svf_batch_add(&bb, &c) == 0, "add");
  }
  size_t raw, coded;
  CHECK(svf_batch_emit(&bb, SVF_CODEC_RAW, &batch, &raw, &coded) == 0, "emit");
  char before[65], after[65];
  digest(s, before);
  int refused = 0;
  /* Truncations: never applied (the frame is incomplete), never a crash. */
  for (size_t cut = 0; cut < batch.len; cut += 7) {
    sv_sess x;
    sv_sync_result r;
    memset(&r, 0, sizeof r);
    CHECK_RC(sv_sess_init(&x, s, 0, 0, NULL, &r), SV_OK);
    sv_sess_input(&x, hello.p, hello.len);
    sv_sess_input(&x, batch.p, cut);
    CHECK(r.rows_received == 0, "truncated frame applied");
    sv_sess_free(&x);
  }
  digest(s, after);
  CHECK(strcmp(before, after) == 0, "a truncated frame changed the shard");
  /* Corruptions of the header and record region. */
  size_t recs_end = SVF_HEADER + 20 + 5 * 29;
  for (size_t pos = 0; pos < recs_end; pos++) {
    for (int bit = 0; bit < 8; bit += 3) {
      sv_buf bad = {0};
      sv_buf_put(&bad, batch.p, batch.len);
      bad.p[pos] ^= (uint8_t)(1u << bit);
      sv_sess x;
      sv_sync_result r;
      memset(&r, 0, sizeof r);
      CHECK_RC(sv_sess_init(&x, s, 0, 0, NULL, &r), SV_OK);
      sv_sess_input(&x, hello.p, hello.len);
      char d0[65], d1[65];
      digest(s, d0);
      int st = sv_sess_input(&x, bad.p, bad.len);
      digest(s, d1);
      if (st != SV_OK) {
        refused++;
        CHECK(strcmp(d0, d1) == 0, "corrupt byte %zu bit %d: refused but changed the shard", pos,
              bit);
        CHECK(x.msg[0] != 0, "refusal without a message");
      }
      sv_sess_free(&x);
      sv_buf_free(&bad);
    }
  }
  CHECK(refused > 50, "only %d corruptions refused", refused);
  sv_buf_free(&hello);
  sv_buf_free(&batch);
  svf_batch_free(&bb);
  sv_shard_close(s);
}

int main(void) {
  test_malformed_frames();
  test_apply_properties();
  test_refusals();
  test_delta_and_hlc();
  test_three_replicas(1);
  test_three_replicas(2);
  return sv_test_done("test_sync_changes");
}
