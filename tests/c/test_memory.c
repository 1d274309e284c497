/*
** test_memory.c — the memory layer on real files: texts, hybrid search,
** ReasoningBank (experiences, patterns, outcomes, consolidation), context
** synthesis across files, embedder records, bad input and concurrency.
**
** Times are passed explicitly (now_ms) wherever recency or pruning matter,
** so the suite does not depend on the clock.  Bad-input cases check both
** the status and that nothing was written (item count unchanged).
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sqlite_vector_memory.h"
#include "sv_test.h"

#define DAY 86400000LL
#define T0 (1700000000000LL)

static int64_t count(sv_mem *m) {
  int64_t n = -1;
  sv_mem_count(m, &n);
  return n;
}

static sv_mem *open_mem(const char *path, sv_embedder *e, int flags) {
  sv_mem *m = NULL;
  int rc = sv_mem_open(path, e, flags, &m);
  CHECK(rc == SV_OK, "open %s: %s", path, sv_mem_errmsg(m));
  return m;
}

static void test_texts_and_search(sv_embedder *e) {
  char path[512];
  sv_test_fresh_path(path, sizeof path, "mem", "texts.db");
  sv_mem *m = open_mem(path, e, SV_OPEN_CREATE);
  const char *docs[] = {
      "the database connection pool was exhausted under load",
      "retry the HTTP request with exponential backoff after a timeout",
      "parse the JSON configuration file and validate its schema",
      "the sqlite database file was locked by another writer process",
      "use a binary search over the sorted array of timestamps",
  };
  int64_t ids[5];
  CHECK_RC(sv_mem_add_texts(m, docs, 5, "{\"lang\":\"en\"}", ids), SV_OK);
  CHECK(ids[0] == 1 && ids[4] == 5, "ids %lld..%lld", (long long)ids[0], (long long)ids[4]);
  const char *de[] = {"die Datenbank ist gesperrt database locked"};
  CHECK_RC(sv_mem_add_texts(m, de, 1, "{\"lang\":\"de\"}", NULL), SV_OK);
  CHECK(count(m) == 6, "count");

  sv_mem_hits h;
  sv_mem_search_options so = {.k = 3};
  for (int mode = 0; mode < 3; mode++) {
    so.mode = (sv_mem_mode)mode;
    CHECK_RC(sv_mem_search(m, "database locked by a writer", &so, &h), SV_OK);
    CHECK(h.n >= 1 && (h.hits[0].id == 4 || h.hits[0].id == 6), "mode %d top %lld", mode,
          h.n ? (long long)h.hits[0].id : -1LL);
    sv_mem_hits_free(&h);
  }
  /* The filter applies to both lists. */
  so.mode = SV_MEM_HYBRID;
  so.filter = "{\"lang\":\"en\"}";
  so.k = 10;
  CHECK_RC(sv_mem_search(m, "database locked", &so, &h), SV_OK);
  int saw_de = 0;
  for (size_t i = 0; i < h.n; i++) saw_de |= h.hits[i].id == 6;
  CHECK(h.n >= 1 && !saw_de, "filter kept the german row out (n=%zu)", h.n);
  sv_mem_hits_free(&h);
  so.mode = SV_MEM_BM25;
  so.filter = "{\"lang\":\"de\"}";
  CHECK_RC(sv_mem_search(m, "database locked", &so, &h), SV_OK);
  CHECK(h.n == 1 && h.hits[0].id == 6, "bm25 filter");
  sv_mem_hits_free(&h);
  so.filter = "{\"lang\":";
  CHECK_RC(sv_mem_search(m, "database", &so, &h), SV_EJSON);
  so.filter = NULL;
  /* Queries: stopwords only, invalid UTF-8, empty. */
  CHECK_RC(sv_mem_search(m, "the of and", &so, &h), SV_EINVAL);
  CHECK(strstr(sv_mem_errmsg(m), "no indexable words") != NULL, "%s", sv_mem_errmsg(m));
  CHECK_RC(sv_mem_search(m, "\xff", &so, &h), SV_EINVAL);
  CHECK_RC(sv_mem_search(m, "", &so, &h), SV_EINVAL);
  {
    char *huge = malloc(SV_MEM_MAX_TEXT + 2);
    memset(huge, 'x', SV_MEM_MAX_TEXT + 1);
    huge[SV_MEM_MAX_TEXT + 1] = '\0';
    const char *ht[1] = {huge};
    CHECK_RC(sv_mem_add_texts(m, ht, 1, NULL, NULL), SV_EINVAL);
    CHECK(strstr(sv_mem_errmsg(m), "longer than") != NULL, "%s", sv_mem_errmsg(m));
    CHECK(count(m) == 6, "nothing written");
    free(huge);
  }
  sv_mem_hits_free(&h);
  /* Delete removes it from both indexes. */
  CHECK_RC(sv_mem_delete(m, 6), SV_OK);
  CHECK_RC(sv_mem_delete(m, 6), SV_ENOTFOUND);
  so.mode = SV_MEM_BM25;
  CHECK_RC(sv_mem_search(m, "gesperrt", &so, &h), SV_OK);
  CHECK(h.n == 0, "deleted row not found by bm25");
  sv_mem_hits_free(&h);
  CHECK_RC(sv_mem_close(m), SV_OK);

  /* The record can be read without an embedder. */
  {
    char name[64], ver[16], err[256];
    uint32_t dim = 0;
    CHECK_RC(sv_mem_file_embedder(path, name, sizeof name, ver, sizeof ver, &dim, err, sizeof err),
             SV_OK);
    CHECK(strcmp(name, "hash-v1") == 0 && strcmp(ver, "1") == 0 && dim == 1024, "record %s %s %u",
          name, ver, dim);
    char missing[512];
    sv_test_fresh_path(missing, sizeof missing, "mem", "nofile.db");
    CHECK_RC(
        sv_mem_file_embedder(missing, name, sizeof name, ver, sizeof ver, &dim, err, sizeof err),
        SV_ENOTFOUND);
    CHECK_RC(sv_mem_file_embedder(NULL, name, sizeof name, ver, sizeof ver, &dim, err, sizeof err),
             SV_EINVAL);
  }
  /* Reopen: data and embedder record persist. */
  m = open_mem(path, e, 0);
  CHECK(count(m) == 5, "count after reopen");
  sv_mem_close(m);
  /* Another embedder: refused, never mixed. */
  sv_embedder *e512 = NULL;
  sv_embedder_hash_v1(512, &e512);
  m = NULL;
  CHECK_RC(sv_mem_open(path, e512, 0, &m), SV_EDIM);
  sv_mem_close(m);
  sv_embedder_free(e512);
  sv_test_remove_db(path);
}

static int fake_embed(void *ctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                      char *err, size_t errcap) {
  int mode = *(int *)ctx;
  if (mode == 1) {
    snprintf(err, errcap, "service unavailable");
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    for (uint32_t j = 0; j < dim; j++) out[i * dim + j] = (float)(strlen(texts[i]) % 7 + j);
  }
  if (mode == 2) out[0] = NAN;
  return 0;
}

static void test_embedder_record(sv_embedder *e) {
  char path[512];
  int mode = 0;
  sv_embedder *c = NULL;
  sv_test_fresh_path(path, sizeof path, "mem", "record.db");
  CHECK_RC(sv_embedder_custom("my-model", "3", 1024, fake_embed, &mode, NULL, &c), SV_OK);
  sv_mem *m = open_mem(path, c, SV_OPEN_CREATE);
  const char *t[1] = {"hello world"};
  CHECK_RC(sv_mem_add_texts(m, t, 1, NULL, NULL), SV_OK);
  /* A failing or misbehaving embedder: clear error, nothing written. */
  mode = 1;
  CHECK_RC(sv_mem_add_texts(m, t, 1, NULL, NULL), SV_EIO);
  CHECK(strstr(sv_mem_errmsg(m), "service unavailable") != NULL, "%s", sv_mem_errmsg(m));
  mode = 2;
  CHECK_RC(sv_mem_add_texts(m, t, 1, NULL, NULL), SV_EIO);
  CHECK(count(m) == 1, "nothing written");
  sv_mem_close(m);
  /* hash-v1 on a my-model file: refused by name. */
  m = NULL;
  CHECK_RC(sv_mem_open(path, e, 0, &m), SV_EINVAL);
  CHECK(strstr(sv_mem_errmsg(m), "my-model") != NULL, "%s", sv_mem_errmsg(m));
  sv_mem_close(m);
  sv_embedder_free(c);
  /* A plain vector shard is not a memory file. */
  sv_test_fresh_path(path, sizeof path, "mem", "plain.db");
  sv_test_create_shard(path, 1024, SV_METRIC_COSINE);
  m = NULL;
  CHECK_RC(sv_mem_open(path, e, 0, &m), SV_EFORMAT);
  sv_mem_close(m);
  {
    char name[64], ver[16], err[256];
    uint32_t dim = 0;
    CHECK_RC(sv_mem_file_embedder(path, name, sizeof name, ver, sizeof ver, &dim, err, sizeof err),
             SV_EFORMAT);
    CHECK(strstr(err, "not a memory file") != NULL, "%s", err);
  }
  sv_test_remove_db(path);
  /* Missing file without CREATE. */
  sv_test_fresh_path(path, sizeof path, "mem", "missing.db");
  m = NULL;
  CHECK(sv_mem_open(path, e, 0, &m) != SV_OK, "missing file");
  sv_mem_close(m);
}

static void test_reasoningbank(sv_embedder *e) {
  char path[512];
  sv_test_fresh_path(path, sizeof path, "mem", "bank.db");
  sv_mem *m = open_mem(path, e, SV_OPEN_CREATE);
  sv_mem_store_result r;
  sv_mem_store_options so = {.now_ms = T0};
  sv_mem_item_in a = {.title = "Retry flaky network calls",
                      .description = "Transient HTTP failures succeed when retried.",
                      .content =
                          "Wrap the request in a retry loop with exponential backoff and "
                          "jitter; give up after five attempts.",
                      .domain = "web",
                      .tags = "[\"http\",\"retry\"]"};
  sv_mem_signals sig = {.duration_ms = 30000, .tokens = 2000, .iterations = 2};
  CHECK_RC(
      sv_mem_store_experience(m, "download the report from the flaky API", 1, &a, 1, &sig, &so, &r),
      SV_OK);
  /* 0.6 + 0.2*0.5 + 0.1*0.8 + 0.1*0.6 = 0.84 */
  CHECK(fabs(r.quality - 0.84) < 1e-9, "quality %f", r.quality);
  CHECK(r.n == 1 && r.actions[0] == SV_MEM_STORED && r.ids[0] > 0, "stored");
  int64_t ida = r.ids[0];
  /* The same experience again merges (evidence 2). */
  CHECK_RC(
      sv_mem_store_experience(m, "download the report from the flaky API", 1, &a, 1, &sig, &so, &r),
      SV_OK);
  CHECK(r.actions[0] == SV_MEM_MERGED && r.ids[0] == ida, "merged");
  sv_mem_item it;
  CHECK_RC(sv_mem_get(m, ida, &it), SV_OK);
  CHECK(it.evidence == 2 && it.outcome == SV_MEM_OUTCOME_SUCCESS, "evidence %lld",
        (long long)it.evidence);
  CHECK(strcmp(it.domain, "web") == 0 && strcmp(it.tags, "[\"http\",\"retry\"]") == 0, "fields");
  char *js = sv_mem_item_json(&it);
  CHECK(js && strstr(js, "\"title\":\"Retry flaky network calls\"") && strstr(js, "\"evidence\":2"),
        "json %s", js ? js : "(null)");
  free(js);
  sv_mem_item_free(&it);
  /* Below the quality threshold: nothing stored. */
  sv_mem_signals slow = {.duration_ms = 600000, .tokens = 50000, .iterations = 20};
  sv_mem_item_in f = {.title = "Do not retry non-idempotent POSTs",
                      .content =
                          "Retrying a POST that timed out created duplicate orders; use "
                          "an idempotency key before retrying.",
                      .domain = "web"};
  CHECK_RC(sv_mem_store_experience(m, "submit the order through the flaky API", 0, &f, 1, &slow,
                                   &so, &r),
           SV_OK);
  CHECK(r.actions[0] == SV_MEM_SKIPPED && r.ids[0] == 0 && fabs(r.quality - 0.1) < 1e-9,
        "skipped q=%f", r.quality);
  CHECK(count(m) == 1, "count after skip");
  /* A failure lesson with good signals is stored (learning from failures). */
  sv_mem_signals fast = {.duration_ms = 0, .tokens = 0, .iterations = 0};
  CHECK_RC(sv_mem_store_experience(m, "submit the order through the flaky API", 0, &f, 1, &fast,
                                   &so, &r),
           SV_OK);
  CHECK(r.actions[0] == SV_MEM_STORED && r.ids[0] > 0, "failure stored");

  /* A second success strategy for the same kind of task. */
  sv_mem_item_in b = {.title = "Cache API responses",
                      .description = "Avoid calling the flaky API twice.",
                      .content =
                          "Store the API response in a local cache keyed by the request "
                          "and reuse it when the API fails.",
                      .domain = "web"};
  CHECK_RC(
      sv_mem_store_experience(m, "download the report from the flaky API", 1, &b, 1, &sig, &so, &r),
      SV_OK);
  int64_t idb = r.ids[0];
  CHECK(idb != ida, "b stored");

  sv_mem_patterns p;
  sv_mem_pattern_options po = {.now_ms = T0 + DAY};
  CHECK_RC(sv_mem_find_patterns(m, "download the monthly report from the flaky API", &po, &p),
           SV_OK);
  CHECK(p.n == 1, "default k is 1 (n=%zu)", p.n);
  sv_mem_patterns_free(&p);
  po.k = 3;
  po.use_threshold = 1;
  po.threshold = -1; /* every item is a candidate */
  CHECK_RC(sv_mem_find_patterns(m, "download the monthly report from the flaky API", &po, &p),
           SV_OK);
  CHECK(p.n == 3, "k=3 n=%zu", p.n);
  int64_t first = p.n ? p.p[0].id : 0;
  for (size_t i = 0; i < p.n; i++) {
    CHECK(fabs(p.p[i].reliability - 0.5) < 1e-9, "prior reliability");
    CHECK(p.p[i].recency > 0.97 && p.p[i].recency < 1.0, "recency %f", p.p[i].recency);
  }
  sv_mem_patterns_free(&p);
  /* JSON renderings. */
  {
    char *jo = NULL;
    po.k = 3;
    CHECK_RC(sv_mem_find_patterns(m, "download the monthly report from the flaky API", &po, &p),
             SV_OK);
    CHECK_RC(sv_mem_patterns_json(m, &p, &jo), SV_OK);
    CHECK(jo && strncmp(jo, "{\"patterns\":[{\"id\":", 19) == 0 && strstr(jo, "\"recency\":") &&
              strstr(jo, "\"item\":{\"id\":"),
          "patterns json %s", jo ? jo : "(null)");
    free(jo);
    sv_mem_patterns_free(&p);
    sv_mem_hits hh;
    sv_mem_search_options hs = {.k = 2};
    CHECK_RC(sv_mem_search(m, "flaky API", &hs, &hh), SV_OK);
    CHECK_RC(sv_mem_hits_json(m, &hh, &jo), SV_OK);
    CHECK(jo && strncmp(jo, "{\"hits\":[{\"id\":", 15) == 0, "hits json %s", jo ? jo : "(null)");
    free(jo);
    hh.hits[0].id = 987654; /* an id that is not there: the error comes back */
    CHECK_RC(sv_mem_hits_json(m, &hh, &jo), SV_ENOTFOUND);
    CHECK(jo == NULL, "no json on failure");
    sv_mem_hits_free(&hh);
    jo = sv_mem_store_result_json(&r);
    CHECK(jo && strstr(jo, "\"action\":\"stored\""), "store json %s", jo ? jo : "(null)");
    free(jo);
    sv_mem_consolidate_report cr = {4, 1, 2, 3, 0, NULL};
    jo = sv_mem_consolidate_json(&cr);
    CHECK(jo && strcmp(jo,
                       "{\"examined\":4,\"merged\":1,\"contradictions\":2,\"pruned\":3,"
                       "\"actions\":[]}") == 0,
          "consolidate json %s", jo ? jo : "(null)");
    free(jo);
    po.k = 1;
  }
  /* Outcomes teach reliability: the first choice keeps failing. */
  for (int i = 0; i < 6; i++) CHECK_RC(sv_mem_record_outcome(m, first, 0, T0 + DAY), SV_OK);
  int64_t other = first == ida ? idb : ida;
  for (int i = 0; i < 6; i++) CHECK_RC(sv_mem_record_outcome(m, other, 1, T0 + DAY), SV_OK);
  po.k = 1;
  CHECK_RC(sv_mem_find_patterns(m, "download the monthly report from the flaky API", &po, &p),
           SV_OK);
  CHECK(p.n == 1 && p.p[0].id != first, "reliability changed the choice");
  CHECK(p.n == 1 && fabs(p.p[0].reliability - 7.0 / 8.0) < 1e-9, "rel %f",
        p.n ? p.p[0].reliability : -1);
  sv_mem_patterns_free(&p);
  CHECK_RC(sv_mem_record_outcome(m, 999999, 1, 0), SV_ENOTFOUND);
  /* True half-life: at exactly 30 days the recency is 0.5. */
  po.now_ms = T0 + DAY + 30 * DAY;
  po.k = 3;
  po.domain = "web";
  CHECK_RC(sv_mem_find_patterns(m, "flaky API report", &po, &p), SV_OK);
  for (size_t i = 0; i < p.n; i++) {
    if (p.p[i].id == first) CHECK(fabs(p.p[i].recency - 0.5) < 1e-9, "half-life");
  }
  sv_mem_patterns_free(&p);
  po.domain = "databases";
  CHECK_RC(sv_mem_find_patterns(m, "flaky API report", &po, &p), SV_OK);
  CHECK(p.n == 0, "domain filter");
  sv_mem_patterns_free(&p);
  /* MMR with an explicit lambda returns k distinct items. */
  po.domain = NULL;
  po.mmr_lambda = 0.7;
  CHECK_RC(sv_mem_find_patterns(m, "flaky API report", &po, &p), SV_OK);
  CHECK(p.n == 3 && p.p[0].id != p.p[1].id && p.p[1].id != p.p[2].id, "mmr");
  sv_mem_patterns_free(&p);
  po.mmr_lambda = 1.5;
  CHECK_RC(sv_mem_find_patterns(m, "flaky API report", &po, &p), SV_EINVAL);

  /* Consolidation: a near-copy stored under a strict dup threshold, then merged. */
  sv_mem_store_options strict = {.now_ms = T0, .dup_threshold = 0.9999};
  sv_mem_item_in a2 = a;
  a2.content =
      "Wrap the request in a retry loop with exponential backoff and jitter; give up after five "
      "attempts, then alert.";
  CHECK_RC(sv_mem_store_experience(m, "download the report from the flaky API", 1, &a2, 1, &sig,
                                   &strict, &r),
           SV_OK);
  CHECK(r.actions[0] == SV_MEM_STORED, "near copy stored");
  /* The same strategy judged a failure elsewhere: a contradiction. */
  sv_mem_item_in contra = a;
  contra.content =
      "Wrap the request in a retry loop with exponential backoff; the retries "
      "overloaded the API and the download failed.";
  CHECK_RC(sv_mem_store_experience(m, "download the report from the flaky API", 0, &contra, 1,
                                   &fast, &so, &r),
           SV_OK);
  int64_t idc = r.ids[0];
  int64_t n_before = count(m);
  sv_mem_consolidate_report rep;
  sv_mem_consolidate_options co = {.now_ms = T0 + 2 * DAY, .contra_threshold = 0.3};
  CHECK_RC(sv_mem_consolidate(m, &co, &rep), SV_OK);
  CHECK(rep.examined == n_before && rep.merged == 1, "merged %lld of %lld", (long long)rep.merged,
        (long long)rep.examined);
  CHECK(rep.contradictions >= 1, "contradictions %lld", (long long)rep.contradictions);
  CHECK(rep.n_actions == (size_t)(rep.merged + rep.contradictions) && rep.actions &&
            rep.actions[0].kind == SV_MEM_ACT_MERGED,
        "actions listed (%zu)", rep.n_actions);
  {
    char *cj = sv_mem_consolidate_json(&rep);
    CHECK(cj && strstr(cj, "\"actions\":[{\"action\":\"merged\",\"id\":"), "json %s",
          cj ? cj : "(null)");
    free(cj);
  }
  sv_mem_consolidate_report_free(&rep);
  CHECK(count(m) == n_before - 1, "one fewer item");
  CHECK_RC(sv_mem_get(m, idc, &it), SV_OK);
  CHECK(it.contradictions >= 1, "failure item has a contradiction link");
  sv_mem_item_free(&it);
  /* Again: nothing new. */
  CHECK_RC(sv_mem_consolidate(m, &co, &rep), SV_OK);
  CHECK(rep.merged == 0 && rep.contradictions == 0 && rep.pruned == 0 && rep.n_actions == 0,
        "idempotent");
  sv_mem_consolidate_report_free(&rep);
  /* A year later the item that kept failing is pruned, unused ones are kept. */
  co.now_ms = T0 + 400 * DAY;
  CHECK_RC(sv_mem_consolidate(m, &co, &rep), SV_OK);
  CHECK(rep.pruned == 1 && rep.n_actions == 1 && rep.actions[0].kind == SV_MEM_ACT_PRUNED &&
            rep.actions[0].a == first,
        "pruned %lld", (long long)rep.pruned);
  sv_mem_consolidate_report_free(&rep);
  co.dup_threshold = 2; /* invalid: an error, an empty report */
  CHECK_RC(sv_mem_consolidate(m, &co, &rep), SV_EINVAL);
  CHECK(rep.n_actions == 0 && rep.actions == NULL, "empty report on failure");
  sv_mem_consolidate_report_free(&rep);
  CHECK_RC(sv_mem_get(m, first, &it), SV_ENOTFOUND);

  /* Bad input: nothing written. */
  n_before = count(m);
  sv_mem_item_in bad = a;
  bad.title = "bad \xC3";
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &bad, 1, NULL, &so, &r), SV_EINVAL);
  CHECK(strstr(sv_mem_errmsg(m), "item 0 title") != NULL, "%s", sv_mem_errmsg(m));
  bad = a;
  bad.tags = "{\"a\":1}";
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &bad, 1, NULL, &so, &r), SV_EJSON);
  bad.tags = "[1,2]";
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &bad, 1, NULL, &so, &r), SV_EJSON);
  bad = a;
  bad.content = "";
  sv_mem_item_in two[2] = {a, bad};
  two[0].title = "A new and different title about deployments";
  CHECK_RC(sv_mem_store_experience(m, "task", 1, two, 2, NULL, &so, &r), SV_EINVAL);
  bad.title = "of";
  bad.description = NULL;
  bad.content = "the of and";
  two[1] = bad;
  CHECK_RC(sv_mem_store_experience(m, "the", 1, two, 2, NULL, &so, &r), SV_EINVAL);
  CHECK_RC(sv_mem_store_experience(m, "", 1, &a, 1, NULL, &so, &r), SV_EINVAL);
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &a, 0, NULL, &so, &r), SV_EINVAL);
  CHECK_RC(
      sv_mem_store_experience(m, "task", 1, &a, SV_MEM_MAX_ITEMS_PER_EXPERIENCE + 1, NULL, &so, &r),
      SV_EINVAL);
  sv_mem_signals nan_sig = {.duration_ms = NAN};
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &a, 1, &nan_sig, &so, &r), SV_EINVAL);
  CHECK(count(m) == n_before, "nothing written by bad input");
  sv_mem_close(m);

  /* Read-only handles refuse writes. */
  m = open_mem(path, e, SV_OPEN_READONLY);
  CHECK_RC(sv_mem_record_outcome(m, ida, 1, 0), SV_EREADONLY);
  CHECK_RC(sv_mem_store_experience(m, "task", 1, &a, 1, NULL, &so, &r), SV_EREADONLY);
  sv_mem_close(m);
  sv_test_remove_db(path);
}

static void test_context(sv_embedder *e) {
  char p1[512], p2[512], p3[512];
  sv_test_fresh_path(p1, sizeof p1, "mem", "ctx1.db");
  sv_test_fresh_path(p2, sizeof p2, "mem", "ctx2.db");
  sv_test_fresh_path(p3, sizeof p3, "mem", "ctx3.db");
  sv_mem_store_result r;
  sv_mem_store_options so = {.now_ms = T0};
  sv_mem_item_in x = {.title = "Pin dependency versions",
                      .description = "Unpinned packages broke the build.",
                      .content =
                          "Pin every package version in the lock file before running the "
                          "build in CI."};
  sv_mem_item_in y = {.title = "Clear the build cache",
                      .content =
                          "When the CI build fails with stale objects, clear the build "
                          "cache and rebuild."};
  sv_mem *m = open_mem(p1, e, SV_OPEN_CREATE);
  CHECK_RC(sv_mem_store_experience(m, "fix the failing CI build", 1, &x, 1, NULL, &so, &r), SV_OK);
  sv_mem_close(m);
  m = open_mem(p2, e, SV_OPEN_CREATE);
  sv_mem_item_in xy[2] = {x, y};
  CHECK_RC(sv_mem_store_experience(m, "fix the failing CI build", 1, xy, 2, NULL, &so, &r), SV_OK);
  sv_mem_close(m);
  const char *paths[2] = {p1, p2};
  sv_mem_context c;
  char err[256];
  sv_mem_pattern_options po = {.k = 3, .now_ms = T0};
  CHECK_RC(sv_mem_synthesize_context(e, "the CI build is failing", paths, 2, 4000, &po, &c, err,
                                     sizeof err),
           SV_OK);
  CHECK(c.n == 2, "duplicate across shards dropped (n=%zu)", c.n);
  CHECK(c.text && strstr(c.text, "Pin dependency versions") && strstr(c.text, "Clear the build"),
        "text %s", c.text ? c.text : "(null)");
  CHECK(c.text && strstr(c.text, "(source: ") != NULL, "provenance in text");
  CHECK(c.n == 2 && c.sources[0].shard && c.sources[0].id > 0, "sources");
  sv_mem_context_free(&c);
  /* A tight budget: whole items only, never over the budget. */
  CHECK_RC(sv_mem_synthesize_context(e, "the CI build is failing", paths, 2, 200, &po, &c, err,
                                     sizeof err),
           SV_OK);
  CHECK(c.text && strlen(c.text) <= 200 && c.n <= 1, "budget: %zu bytes, %zu items",
        c.text ? strlen(c.text) : 0, c.n);
  sv_mem_context_free(&c);
  CHECK_RC(sv_mem_synthesize_context(e, "the CI build is failing", paths, 2, 10, &po, &c, err,
                                     sizeof err),
           SV_OK);
  CHECK(c.text && c.text[0] == '\0' && c.n == 0, "nothing fits");
  sv_mem_context_free(&c);
  /* A file of another embedder is an error naming it. */
  sv_embedder *e2 = NULL;
  sv_embedder_hash_v1(256, &e2);
  m = open_mem(p3, e2, SV_OPEN_CREATE);
  sv_mem_close(m);
  sv_embedder_free(e2);
  const char *paths3[3] = {p1, p2, p3};
  CHECK_RC(sv_mem_synthesize_context(e, "build", paths3, 3, 4000, &po, &c, err, sizeof err),
           SV_EDIM);
  CHECK(strstr(err, p3) != NULL, "error names the file: %s", err);
  CHECK(c.text == NULL && c.n == 0, "no partial result");
  sv_test_remove_db(p1);
  sv_test_remove_db(p2);
  sv_test_remove_db(p3);
}

typedef struct worker {
  sv_mem *m;
  int base, ok;
} worker;

static void *thread_writer(void *arg) {
  worker *w = arg;
  char buf[128];
  for (int i = 0; i < 20; i++) {
    snprintf(buf, sizeof buf, "thread note %d about topic%d", w->base + i, w->base + i);
    const char *t[1] = {buf};
    if (sv_mem_add_texts(w->m, t, 1, NULL, NULL) == SV_OK) w->ok++;
  }
  return NULL;
}

static void test_concurrency(sv_embedder *e) {
  char path[512];
  sv_test_fresh_path(path, sizeof path, "mem", "conc.db");
  sv_mem *m = open_mem(path, e, SV_OPEN_CREATE);
  /* Two threads on one handle. */
  worker w[2] = {{m, 0, 0}, {m, 100, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_writer, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  CHECK(w[0].ok == 20 && w[1].ok == 20, "thread writes %d %d", w[0].ok, w[1].ok);
  sv_mem_close(m);
  /* Two processes with their own handles. */
  pid_t pid[2];
  for (int p = 0; p < 2; p++) {
    pid[p] = fork();
    if (pid[p] == 0) {
      sv_mem *cm = NULL;
      int bad = sv_mem_open(path, e, 0, &cm) != SV_OK;
      for (int i = 0; i < 25 && !bad; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "process %d note %d on subject%d", p, i, i);
        const char *t[1] = {buf};
        bad |= sv_mem_add_texts(cm, t, 1, NULL, NULL) != SV_OK;
        if (i % 5 == 0) {
          sv_mem_store_result r;
          sv_mem_item_in it = {.title = buf, .content = "a lesson about concurrent writers"};
          bad |= sv_mem_store_experience(cm, buf, 1, &it, 1, NULL, NULL, &r) != SV_OK;
        }
      }
      sv_mem_close(cm);
      _exit(bad);
    }
  }
  int all_ok = 1;
  for (int p = 0; p < 2; p++) {
    int st = 0;
    waitpid(pid[p], &st, 0);
    all_ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  CHECK(all_ok, "child processes wrote without errors");
  m = open_mem(path, e, 0);
  int64_t n = count(m);
  CHECK(n >= 40 + 50 + 2 && n <= 40 + 50 + 10, "count %lld", (long long)n);
  sv_mem_hits h;
  sv_mem_search_options so = {.k = 5, .mode = SV_MEM_BM25};
  CHECK_RC(sv_mem_search(m, "subject7", &so, &h), SV_OK);
  CHECK(h.n == 2, "both processes' rows indexed (n=%zu)", h.n);
  sv_mem_hits_free(&h);
  sv_mem_close(m);
  CHECK(sv_test_integrity_ok(path), "integrity");
  sv_test_remove_db(path);
}

int main(void) {
  sv_embedder *e = NULL;
  CHECK_RC(sv_embedder_hash_v1(0, &e), SV_OK);
  test_texts_and_search(e);
  test_embedder_record(e);
  test_reasoningbank(e);
  test_context(e);
  test_concurrency(e);
  /* NULL handles and arguments. */
  sv_mem *m = NULL;
  CHECK_RC(sv_mem_open(NULL, e, 0, &m), SV_EINVAL);
  sv_mem_close(m);
  CHECK_RC(sv_mem_open("x.db", NULL, 0, &m), SV_EINVAL);
  sv_mem_close(m);
  CHECK_RC(sv_mem_open(":memory:", e, SV_OPEN_CREATE | SV_OPEN_READONLY, &m), SV_EINVAL);
  sv_mem_close(m);
  CHECK_RC(sv_mem_search(NULL, "x", NULL, NULL), SV_EINVAL);
  CHECK_RC(sv_mem_open(":memory:", e, SV_OPEN_CREATE, &m), SV_OK);
  const char *t[1] = {"in memory works too"};
  CHECK_RC(sv_mem_add_texts(m, t, 1, NULL, NULL), SV_OK);
  sv_mem_close(m);
  sv_embedder_free(e);
  return sv_test_done("test_memory");
}
