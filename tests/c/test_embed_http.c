/*
** test_embed_http.c — the HTTP embedders against a loopback stub server.
**
** No real embedding service is reachable from tests, so this suite runs a
** tiny HTTP/1.1 server of its own on 127.0.0.1 (an ephemeral port, one
** thread, one request per connection).  The first path segment picks its
** behaviour: ok (OpenAI answers in reverse index order, to test placement
** by "index"), wrongdim, bad (not JSON), nan, err400 (with an error
** message, never retried), flaky (503 once, then ok: retried), slow (sleeps
** past the client's timeout), short (one vector too few).  The vector of
** text i is [len, i-independent marker, 0, 1] so answers are checkable.
** Then a memory file is filled and searched through the stub, and a
** failing service leaves it untouched.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_vector_memory.h"
#include "sv_test.h"

static int listen_fd = -1;
static int port = 0;
static int flaky_count = 0;
static int requests = 0;

static void reply(int fd, int status, const char *body) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, strlen(body));
  if (send(fd, head, (size_t)n, MSG_NOSIGNAL) < 0) return;
  if (send(fd, body, strlen(body), MSG_NOSIGNAL) < 0) return;
}

/* The input strings of the request body, as lengths (texts have no quotes). */
static int input_lengths(const char *body, int *len, int max) {
  const char *p = strstr(body, "\"input\":[");
  int n = 0;
  if (!p) return 0;
  p += 9;
  while (*p == '"' && n < max) {
    const char *e = strchr(p + 1, '"');
    if (!e) break;
    len[n++] = (int)(e - p - 1);
    p = e + 1;
    if (*p == ',') p++;
  }
  return n;
}

static void handle(int fd) {
  char req[65536];
  size_t got = 0;
  int want = -1;
  for (;;) {
    ssize_t r = read(fd, req + got, sizeof req - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
    req[got] = '\0';
    char *hend = strstr(req, "\r\n\r\n");
    if (hend) {
      char *cl = strstr(req, "Content-Length:");
      int clen = cl ? atoi(cl + 15) : 0;
      want = (int)(hend + 4 - req) + clen;
      if ((int)got >= want) break;
    }
  }
  req[got] = '\0';
  requests++;
  char mode[32] = "";
  sscanf(req, "POST /%31[a-z0-9]", mode);
  char *body = strstr(req, "\r\n\r\n");
  body = body ? body + 4 : req;
  int lens[64];
  int n = input_lengths(body, lens, 64);
  int ollama = strstr(req, "/api/embed") != NULL;
  char out[16384];
  size_t w = 0;
  if (strcmp(mode, "err400") == 0) {
    reply(fd, 400, "{\"error\":{\"message\":\"model not found\"}}");
    return;
  }
  if (strcmp(mode, "flaky") == 0 && flaky_count++ == 0) {
    reply(fd, 503, "{\"error\":\"overloaded\"}");
    return;
  }
  if (strcmp(mode, "slow") == 0) {
    struct timespec ts = {0, 800 * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (strcmp(mode, "bad") == 0) {
    reply(fd, 200, "this is not json");
    return;
  }
  if (strcmp(mode, "short") == 0 && n > 0) n--;
  w += (size_t)snprintf(out + w, sizeof out - w, ollama ? "{\"embeddings\":[" : "{\"data\":[");
  for (int k = 0; k < n; k++) {
    int i = ollama ? k : n - 1 - k; /* OpenAI: reverse order, placed by index */
    char vec[128];
    if (strcmp(mode, "wrongdim") == 0) {
      snprintf(vec, sizeof vec, "[%d,1,0]", lens[i]);
    } else if (strcmp(mode, "nan") == 0) {
      snprintf(vec, sizeof vec, "[%d,NaN,0,1]", lens[i]);
    } else {
      snprintf(vec, sizeof vec, "[%d, 0.5, 0, 1e0]", lens[i]);
    }
    if (ollama) {
      w += (size_t)snprintf(out + w, sizeof out - w, "%s%s", k ? "," : "", vec);
    } else {
      w += (size_t)snprintf(out + w, sizeof out - w,
                            "%s{\"object\":\"embedding\",\"index\":%d,"
                            "\"embedding\":%s}",
                            k ? "," : "", i, vec);
    }
  }
  snprintf(out + w, sizeof out - w, "]}");
  reply(fd, 200, out);
}

static void *serve(void *arg) {
  (void)arg;
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    handle(fd);
    close(fd);
  }
}

static sv_embedder *make(sv_http_kind kind, const char *mode, uint32_t dim, uint32_t timeout,
                         uint32_t retries, uint32_t batch) {
  char url[128];
  sv_embedder *e = NULL;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", port, mode);
  sv_http_options o = {.kind = kind,
                       .base_url = url,
                       .model = "stub",
                       .dim = dim,
                       .timeout_ms = timeout,
                       .retries = retries,
                       .batch = batch};
  int rc = sv_embedder_http(&o, &e);
  CHECK(rc == SV_OK, "embedder %s: %s", mode, sv_embedder_errmsg(NULL));
  return e;
}

/* Embed the first n of three texts (dimension 4) through a fresh embedder on
 * the stub's `mode` endpoint: the status must be want and, when msg is not
 * NULL, the embedder's message must contain msg.  The error cases differ only
 * in these values. */
static void expect_embed(sv_http_kind kind, const char *mode, uint32_t timeout, uint32_t retries,
                         size_t n, int want, const char *msg) {
  static const char *const texts[3] = {"a", "bbb", "cc"};
  float v[3 * 4];
  sv_embedder *e = make(kind, mode, 4, timeout, retries, 0);
  int rc = sv_embed(e, texts, n, v);
  CHECK(rc == want, "%s: got %d want %d", mode, rc, want);
  if (msg) {
    CHECK(strstr(sv_embedder_errmsg(e), msg) != NULL, "%s: %s", mode, sv_embedder_errmsg(e));
  }
  sv_embedder_free(e);
}

int main(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  pthread_t th;
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0) {
    printf("cannot listen on 127.0.0.1\n");
    return 1;
  }
  port = ntohs(a.sin_port);
  pthread_create(&th, NULL, serve, NULL);

  const char *texts[3] = {"a", "bbb", "cc"};
  float v[3 * 4];
  sv_embedder *e;
  /* OpenAI-compatible, answers out of order, batches of 2. */
  e = make(SV_HTTP_OPENAI, "ok", 4, 2000, 0, 2);
  CHECK(strcmp(sv_embedder_name(e), "openai:stub") == 0, "name %s", sv_embedder_name(e));
  CHECK_RC(sv_embed(e, texts, 3, v), SV_OK);
  CHECK(v[0] == 1 && v[4] == 3 && v[8] == 2 && v[1] == 0.5f && v[3] == 1, "placed by index");
  sv_embedder_free(e);
  /* Ollama. */
  e = make(SV_HTTP_OLLAMA, "ok", 4, 2000, 0, 0);
  CHECK(strcmp(sv_embedder_name(e), "ollama:stub") == 0, "name");
  CHECK_RC(sv_embed(e, texts, 3, v), SV_OK);
  CHECK(v[0] == 1 && v[4] == 3 && v[8] == 2, "ollama order");
  sv_embedder_free(e);
  /* Wrong dimension, not JSON, NaN, too few vectors. */
  expect_embed(SV_HTTP_OPENAI, "wrongdim", 2000, 0, 3, SV_EDIM, "expected 4");
  expect_embed(SV_HTTP_OLLAMA, "bad", 2000, 0, 3, SV_EIO, "not JSON");
  expect_embed(SV_HTTP_OPENAI, "nan", 2000, 0, 3, SV_EIO, NULL);
  expect_embed(SV_HTTP_OPENAI, "short", 2000, 0, 3, SV_EIO, "2 vectors for 3");
  /* 4xx: the service's message, no retry. */
  int before = requests;
  expect_embed(SV_HTTP_OPENAI, "err400", 2000, 3, 1, SV_EIO, "model not found");
  CHECK(requests == before + 1, "400 not retried (%d requests)", requests - before);
  /* 503 once, then fine: one retry. */
  expect_embed(SV_HTTP_OPENAI, "flaky", 2000, 2, 3, SV_OK, NULL);
  flaky_count = 0;
  expect_embed(SV_HTTP_OPENAI, "flaky", 2000, 0, 3, SV_EIO, "overloaded");
  /* Timeout. */
  expect_embed(SV_HTTP_OPENAI, "slow", 200, 0, 1, SV_EIO, "timed out");
  /* Nobody listening. */
  {
    sv_http_options o = {.kind = SV_HTTP_OLLAMA,
                         .base_url = "http://127.0.0.1:1",
                         .model = "m",
                         .dim = 4,
                         .timeout_ms = 500};
    CHECK_RC(sv_embedder_http(&o, &e), SV_OK);
    CHECK_RC(sv_embed(e, texts, 1, v), SV_EIO);
    sv_embedder_free(e);
  }
  /* Bad options. */
  {
    sv_http_options o = {.kind = SV_HTTP_OPENAI, .base_url = "ftp://x", .model = "m", .dim = 4};
    e = NULL;
    CHECK_RC(sv_embedder_http(&o, &e), SV_EINVAL);
    CHECK(e == NULL, "no embedder");
    o.base_url = "http://x";
    o.dim = 0;
    CHECK_RC(sv_embedder_http(&o, &e), SV_EINVAL);
    o.dim = 4;
    o.kind = (sv_http_kind)9;
    CHECK_RC(sv_embedder_http(&o, &e), SV_EINVAL);
    o.kind = SV_HTTP_OPENAI;
    o.model = NULL;
    CHECK_RC(sv_embedder_http(&o, &e), SV_EINVAL);
    o.model = "m";
    o.api_key = "a\r\nX-Evil: 1";
    CHECK_RC(sv_embedder_http(&o, &e), SV_EINVAL);
  }
  /* A memory file through the stub; a failing service writes nothing. */
  {
    char path[512];
    sv_mem *m = NULL;
    sv_test_fresh_path(path, sizeof path, "http", "mem.db");
    e = make(SV_HTTP_OPENAI, "ok", 4, 2000, 0, 0);
    CHECK_RC(sv_mem_open(path, e, SV_OPEN_CREATE, &m), SV_OK);
    const char *docs[2] = {"short", "a much longer text"};
    CHECK_RC(sv_mem_add_texts(m, docs, 2, NULL, NULL), SV_OK);
    sv_mem_hits h;
    sv_mem_search_options so = {.k = 2, .mode = SV_MEM_BM25};
    CHECK_RC(sv_mem_search(m, "longer", &so, &h), SV_OK);
    CHECK(h.n == 1 && h.hits[0].id == 2, "bm25 through http-embedded file");
    sv_mem_hits_free(&h);
    sv_mem_close(m);
    sv_embedder *bad = make(SV_HTTP_OPENAI, "wrongdim", 4, 2000, 0, 0);
    /* Same name ("openai:stub") and dimension: the record accepts it. */
    m = NULL;
    CHECK_RC(sv_mem_open(path, bad, 0, &m), SV_OK);
    CHECK_RC(sv_mem_add_texts(m, docs, 2, NULL, NULL), SV_EDIM);
    int64_t n = 0;
    sv_mem_count(m, &n);
    CHECK(n == 2, "nothing written (%lld)", (long long)n);
    sv_mem_close(m);
    sv_embedder_free(bad);
    sv_embedder_free(e);
    sv_test_remove_db(path);
  }
  shutdown(listen_fd, SHUT_RDWR);
  close(listen_fd);
  pthread_join(th, NULL);
  return sv_test_done("test_embed_http");
}
