/*
** embed_http.c — embedding services over HTTP: OpenAI-compatible
** /v1/embeddings and Ollama's /api/embed, through libcurl.
**
** Each call sends the texts in requests of at most `batch`, each a JSON
** body {"model": M, "input": [texts]}.  Answers are never trusted: the body
** must be JSON (checked with SQLite's json_valid on a private in-memory
** connection, whose json_each then walks it, so no JSON parser of our own
** is needed for the structure), there must be exactly one vector per text
** (OpenAI answers are placed by their "index" field; a missing, repeated or
** out-of-range index is an error) and every vector goes through the strict
** number reader (exactly dim finite numbers, else SV_EDIM / SV_EIO).
**
** Failures: connection errors, timeouts, 429 and 5xx are retried
** `retries` times with a doubling backoff starting at 200 ms; other HTTP
** errors fail at once with the service's own message when it sent one
** ("error.message" or "error").  Each request has its own timeout
** (CURLOPT_TIMEOUT_MS, with CURLOPT_NOSIGNAL so threads are safe), and the
** answer size is capped so a broken server cannot exhaust memory.
**
** libcurl's global initialisation is not thread-safe in every version, so
** it runs once, under pthread_once, when the first HTTP embedder is made.
** Without libcurl (SV_HAVE_CURL undefined) sv_embedder_http fails with a
** message saying so; nothing falls back to another embedder.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

#if defined(SV_HAVE_CURL)
#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

typedef struct http_ctx {
  sv_http_kind kind;
  char *url, *model, *auth;
  uint32_t timeout_ms, retries, batch;
} http_ctx;

typedef struct sink {
  sv_sbuf b;
  size_t limit;
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud) {
  sink *k = ud;
  size_t n = size * nmemb;
  if (k->b.n + n > k->limit) return 0; /* too big: curl reports a write error */
  sv__sbuf_put(&k->b, p, n);
  return k->b.oom ? 0 : n;
}

static void sleep_ms(uint32_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* The service's error text from a JSON body, into err; 1 if found. */
static int service_error(sqlite3 *db, const char *body, char *err, size_t errcap, long status) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT coalesce(json_extract(?1, '$.error.message'),"
                         " json_extract(?1, '$.error')) WHERE json_valid(?1)",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      snprintf(err, errcap, "HTTP %ld: %.300s", status, (const char *)sqlite3_column_text(st, 0));
      found = 1;
    }
  }
  sqlite3_finalize(st);
  return found;
}

/* Place the vectors of a good answer into out (n of them). */
static int read_answer(sqlite3 *db, const http_ctx *c, const char *body, size_t n, float *out,
                       uint32_t dim, char *err, size_t errcap) {
  sqlite3_stmt *st = NULL;
  unsigned char *seen = calloc(n ? n : 1, 1);
  size_t got = 0;
  int rc = SV_EIO;
  const char *sql =
      c->kind == SV_HTTP_OPENAI
          ? "SELECT json_extract(value, '$.index'), json_extract(value, '$.embedding'),"
            " json_valid(?1) FROM json_each(?1, '$.data')"
          : "SELECT key, value, json_valid(?1) FROM json_each(?1, '$.embeddings')";
  if (!seen) {
    snprintf(err, errcap, "out of memory");
    goto done;
  }
  if (sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &st, NULL) != SQLITE_OK) goto sqlerr;
  sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
    snprintf(err, errcap, "the answer is not JSON");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) goto sqlerr;
  sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 i = sqlite3_column_int64(st, 0);
    const char *v = (const char *)sqlite3_column_text(st, 1);
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || i < 0 || (size_t)i >= n || seen[i] || !v) {
      snprintf(err, errcap, "the answer has a missing, repeated or out-of-range vector index");
      goto done;
    }
    int prc =
        sv__parse_vector(v, v + strlen(v), out + (size_t)i * dim, dim, (size_t)i, err, errcap);
    if (prc != 0) {
      rc = prc;
      goto done;
    }
    seen[i] = 1;
    got++;
  }
  if (r != SQLITE_DONE) goto sqlerr;
  if (got != n) {
    snprintf(err, errcap, "the answer has %zu vectors for %zu texts", got, n);
    goto done;
  }
  rc = 0;
  goto done;
sqlerr:
  snprintf(err, errcap, "reading the answer: %s", sqlite3_errmsg(db));
done:
  sqlite3_finalize(st);
  free(seen);
  return rc;
}

/* One request for texts[0..n): 0, SV_EIO or SV_EDIM. */
static int request(CURL *h, sqlite3 *db, const http_ctx *c, const char *const *texts, size_t n,
                   float *out, uint32_t dim, char *err, size_t errcap) {
  sv_sbuf body = {0};
  sink k = {{0}, (size_t)n * dim * 40 + 65536};
  struct curl_slist *hdr = NULL;
  int rc = SV_EIO;
  sv__sbuf_put(&body, "{\"model\":", 9);
  sv__sbuf_json_str(&body, c->model);
  sv__sbuf_put(&body, ",\"input\":[", 10);
  for (size_t i = 0; i < n; i++) {
    if (i) sv__sbuf_put(&body, ",", 1);
    sv__sbuf_json_str(&body, texts[i]);
  }
  sv__sbuf_put(&body, "]}", 2);
  hdr = curl_slist_append(hdr, "Content-Type: application/json");
  if (c->auth) hdr = curl_slist_append(hdr, c->auth);
  if (body.oom || !hdr) {
    snprintf(err, errcap, "out of memory");
    goto done;
  }
  for (uint32_t attempt = 0;; attempt++) {
    long status = 0;
    int retry = 0;
    k.b.n = 0;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.s);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.n);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      if (status == 200) {
        rc = read_answer(db, c, k.b.s ? k.b.s : "", n, out, dim, err, errcap);
        goto done;
      }
      retry = status == 429 || status >= 500;
      if (!service_error(db, k.b.s ? k.b.s : "", err, errcap, status)) {
        snprintf(err, errcap, "HTTP status %ld from %s", status, c->url);
      }
    } else {
      retry = cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_CONNECT ||
              cc == CURLE_GOT_NOTHING || cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR;
      snprintf(err, errcap, "%s: %s", c->url,
               cc == CURLE_OPERATION_TIMEDOUT ? "timed out" : curl_easy_strerror(cc));
      if (cc == CURLE_OPERATION_TIMEDOUT) {
        size_t l = strlen(err);
        snprintf(err + l, errcap - l, " after %u ms", (unsigned)c->timeout_ms);
      }
    }
    if (!retry || attempt >= c->retries) {
      if (attempt > 0) {
        size_t l = strlen(err);
        snprintf(err + l, errcap - l, " (after %u attempts)", (unsigned)attempt + 1);
      }
      goto done;
    }
    sleep_ms(200u << (attempt < 4 ? attempt : 4));
  }
done:
  curl_slist_free_all(hdr);
  free(body.s);
  free(k.b.s);
  return rc;
}

static int http_fn(void *vctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                   char *err, size_t errcap) {
  const http_ctx *c = vctx;
  CURL *h = curl_easy_init();
  sqlite3 *db = NULL;
  int rc = SV_EIO;
  if (!h || sqlite3_open(":memory:", &db) != SQLITE_OK) {
    snprintf(err, errcap, "cannot start an HTTP request (out of memory)");
    goto done;
  }
  for (size_t i = 0; i < n; i += c->batch) {
    size_t b = n - i < c->batch ? n - i : c->batch;
    rc = request(h, db, c, texts + i, b, out + i * dim, dim, err, errcap);
    if (rc != 0) goto done;
  }
  rc = 0;
done:
  sqlite3_close(db);
  if (h) curl_easy_cleanup(h);
  return rc;
}

static void http_free(void *vctx) {
  http_ctx *c = vctx;
  if (!c) return;
  free(c->url);
  free(c->model);
  free(c->auth);
  free(c);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok = 0;
static void curl_init(void) {
  curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int sv_embedder_http(const sv_http_options *o, sv_embedder **out) {
  char err[256], name[SV_MEM_MAX_SHORT];
  http_ctx *c = NULL;
  if (out) *out = NULL;
  if (!o || !out) {
    sv__emb_seterr("sv_embedder_http: NULL argument");
    return SV_EINVAL;
  }
  if (o->kind != SV_HTTP_OPENAI && o->kind != SV_HTTP_OLLAMA) {
    sv__emb_seterr("unknown HTTP embedder kind %d", (int)o->kind);
    return SV_EINVAL;
  }
  if (sv__check_text(o->base_url, "base_url", 2048, 1, err, sizeof err) != SV_OK ||
      sv__check_text(o->model, "model", SV_MEM_MAX_SHORT - 16, 1, err, sizeof err) != SV_OK ||
      sv__check_text(o->api_key, "api_key", 4096, 0, err, sizeof err) != SV_OK) {
    sv__emb_seterr("%s", err);
    return SV_EINVAL;
  }
  if (strncmp(o->base_url, "http://", 7) != 0 && strncmp(o->base_url, "https://", 8) != 0) {
    sv__emb_seterr("base_url must start with http:// or https://");
    return SV_EINVAL;
  }
  if (o->retries > 10 || o->batch > 4096) {
    sv__emb_seterr("retries must be at most 10 and batch at most 4096");
    return SV_EINVAL;
  }
  if (o->api_key && (strchr(o->api_key, '\r') || strchr(o->api_key, '\n'))) {
    sv__emb_seterr("api_key must not contain line breaks");
    return SV_EINVAL;
  }
  pthread_once(&curl_once, curl_init);
  if (!curl_ok) {
    sv__emb_seterr("libcurl could not be initialised");
    return SV_EIO;
  }
  c = calloc(1, sizeof *c);
  if (!c) goto oom;
  size_t ul = strlen(o->base_url);
  while (ul > 0 && o->base_url[ul - 1] == '/') ul--;
  const char *path = o->kind == SV_HTTP_OPENAI ? "/v1/embeddings" : "/api/embed";
  c->url = malloc(ul + strlen(path) + 1);
  if (!c->url || sv__strdup(o->model, &c->model) != 0) goto oom;
  memcpy(c->url, o->base_url, ul);
  strcpy(c->url + ul, path);
  if (o->api_key) {
    size_t al = strlen(o->api_key) + 32;
    if (!(c->auth = malloc(al))) goto oom;
    snprintf(c->auth, al, "Authorization: Bearer %s", o->api_key);
  }
  c->kind = o->kind;
  c->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
  c->retries = o->retries;
  c->batch = o->batch ? o->batch : 64;
  snprintf(name, sizeof name, "%s:%s", o->kind == SV_HTTP_OPENAI ? "openai" : "ollama", o->model);
  return sv_embedder_custom(name, "1", o->dim, http_fn, c, http_free, out);
oom:
  http_free(c);
  sv__emb_seterr("out of memory");
  return SV_ENOMEM;
}

#else /* !SV_HAVE_CURL */

int sv_embedder_http(const sv_http_options *o, sv_embedder **out) {
  (void)o;
  if (out) *out = NULL;
  sv__emb_seterr("this build of sqlite-vector has no HTTP support (libcurl was not found)");
  return SV_EINVAL;
}

#endif
