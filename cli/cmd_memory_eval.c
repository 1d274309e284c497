/*
** cmd_memory_eval.c — `sqlite-vector memory eval`: retrieval quality on
** anyone's data.
**
** Loads documents and queries (JSON lines {"id": .., "text": ..}; ids are
** strings or integers) and TREC qrels ("qid iter docid relevance", any
** whitespace; relevance > 0 counts as relevant), stores the documents as
** plain texts in a fresh memory file (":memory:" unless --file), and runs
** every query with a relevant document three ways — hash-v1 vectors with
** query IDF, BM25 alone, and the RRF hybrid — printing the mean nDCG@k
** (binary gains, ideal DCG over min(R, k)) and recall@k (relevant found in
** the top k / R) of each.  Documents without indexable words are skipped
** (counted in the output); queries without a relevant document are not
** scored.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem_cli.h"

typedef struct rec {
  char *id;
  char *text;
} rec;

typedef struct recs {
  rec *r;
  size_t n, cap;
} recs;

static void recs_free(recs *v) {
  for (size_t i = 0; i < v->n; i++) free(v->r[i].id), free(v->r[i].text);
  free(v->r);
  memset(v, 0, sizeof *v);
}

static char *read_all(const char *path, size_t *len) {
  size_t size;
  FILE *f = cli_open_regular(path, &size);
  char *buf;
  if (!f) return NULL;
  buf = malloc(size + 1);
  if (buf && fread(buf, 1, size, f) != size) {
    cli_err("%s: read error", path);
    free(buf);
    buf = NULL;
  } else if (!buf) {
    cli_err("out of memory");
  }
  fclose(f);
  if (buf) buf[size] = '\0', *len = size;
  return buf;
}

static char *decode(cli_json_doc *d, size_t node) {
  size_t len;
  char *s;
  if (d->nodes[node].type == CLI_JSON_NUMBER) {
    len = d->nodes[node].end - d->nodes[node].start;
    s = malloc(len + 1);
    if (s) memcpy(s, d->src + d->nodes[node].start, len), s[len] = '\0';
    return s;
  }
  len = cli_json_str_decode(d, node, NULL, 0);
  s = malloc(len + 1);
  if (s) cli_json_str_decode(d, node, s, len + 1);
  return s;
}

static int load_jsonl(const char *path, recs *out) {
  size_t len, line = 0;
  char *buf = read_all(path, &len);
  cli_json_doc d;
  int rc = CLI_OK;
  if (!buf) return CLI_ERR;
  cli_json_init(&d);
  for (char *p = buf; p < buf + len && rc == CLI_OK;) {
    char *nl = memchr(p, '\n', (size_t)(buf + len - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
    line++;
    if (l > 0 && p[l - 1] == '\r') l--;
    size_t ws = 0;
    while (ws < l && (p[ws] == ' ' || p[ws] == '\t')) ws++;
    if (ws < l) {
      size_t id, tx;
      if (cli_json_parse(&d, p, l) != 0) {
        cli_err("%s:%zu: %s", path, line, d.err);
        rc = CLI_ERR;
      } else if (d.nodes[0].type != CLI_JSON_OBJECT ||
                 (id = cli_json_get(&d, 0, "id")) == CLI_JSON_NONE ||
                 (tx = cli_json_get(&d, 0, "text")) == CLI_JSON_NONE ||
                 (d.nodes[id].type != CLI_JSON_STRING && d.nodes[id].type != CLI_JSON_NUMBER) ||
                 d.nodes[tx].type != CLI_JSON_STRING) {
        cli_err("%s:%zu: expected {\"id\": string or number, \"text\": string}", path, line);
        rc = CLI_ERR;
      } else {
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 1024;
          rec *r = realloc(out->r, out->cap * sizeof *r);
          if (!r) {
            cli_err("out of memory");
            rc = CLI_ERR;
            break;
          }
          out->r = r;
        }
        rec *r = &out->r[out->n];
        r->id = decode(&d, id);
        r->text = decode(&d, tx);
        out->n++;
        if (!r->id || !r->text) {
          cli_err("out of memory");
          rc = CLI_ERR;
        }
      }
    }
    p += (nl ? (size_t)(nl - p) + 1 : l + 1);
  }
  cli_json_free(&d);
  free(buf);
  return rc;
}

/* Index of id among sorted ids (an index permutation), or -1. */
typedef struct idx {
  const char *id;
  size_t i;
} idx;

static int cmp_idx(const void *a, const void *b) {
  return strcmp(((const idx *)a)->id, ((const idx *)b)->id);
}

static long find(const idx *v, size_t n, const char *id) {
  idx key = {id, 0};
  const idx *h = bsearch(&key, v, n, sizeof *v, cmp_idx);
  return h ? (long)h->i : -1;
}

static idx *make_index(const recs *r) {
  idx *v = malloc((r->n ? r->n : 1) * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < r->n; i++) v[i] = (idx){r->r[i].id, i};
  qsort(v, r->n, sizeof *v, cmp_idx);
  return v;
}

typedef struct qrel {
  size_t q, d;
} qrel;

static int cmp_qrel(const void *a, const void *b) {
  const qrel *x = a, *y = b;
  if (x->q != y->q) return x->q < y->q ? -1 : 1;
  return x->d < y->d ? -1 : x->d > y->d;
}

static int load_qrels(const char *path, const idx *qi, size_t nq, const idx *di, size_t nd,
                      qrel **out, size_t *nout) {
  size_t len, cap = 0, line = 0;
  char *buf = read_all(path, &len);
  int rc = CLI_OK;
  *out = NULL;
  *nout = 0;
  if (!buf) return CLI_ERR;
  for (char *save = NULL, *ln = strtok_r(buf, "\n", &save); ln && rc == CLI_OK;
       ln = strtok_r(NULL, "\n", &save)) {
    char *f[5], *s2 = NULL;
    int nf = 0;
    line++;
    for (char *t = strtok_r(ln, " \t\r", &s2); t && nf < 5; t = strtok_r(NULL, " \t\r", &s2)) {
      f[nf++] = t;
    }
    if (nf == 0) continue;
    if (nf != 4) {
      cli_err("%s: line %zu: expected 'qid iter docid relevance'", path, line);
      rc = CLI_ERR;
      break;
    }
    char *end;
    double rel = strtod(f[3], &end);
    if (*end || !isfinite(rel)) {
      cli_err("%s: line %zu: relevance '%s' is not a number", path, line, f[3]);
      rc = CLI_ERR;
      break;
    }
    long q = find(qi, nq, f[0]), d = find(di, nd, f[2]);
    if (rel <= 0 || q < 0 || d < 0) continue; /* unknown ids: not in this run */
    if (*nout == cap) {
      cap = cap ? cap * 2 : 1024;
      qrel *n = realloc(*out, cap * sizeof *n);
      if (!n) {
        cli_err("out of memory");
        rc = CLI_ERR;
        break;
      }
      *out = n;
    }
    (*out)[(*nout)++] = (qrel){(size_t)q, (size_t)d};
  }
  free(buf);
  if (rc == CLI_OK && *nout) qsort(*out, *nout, sizeof **out, cmp_qrel);
  return rc;
}

static int is_rel(const qrel *qr, size_t n, size_t q, size_t d) {
  qrel key = {q, d};
  return bsearch(&key, qr, n, sizeof *qr, cmp_qrel) != NULL;
}

int cmd_memory_eval(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *docs_p = NULL, *q_p = NULL, *qrels_p = NULL, *k_s = NULL, *vw = NULL, *bw = NULL;
  const char *file = NULL;
  int json = 0, rc;
  size_t npos;
  uint32_t k = 10;
  recs docs = {0}, qs = {0};
  idx *di = NULL, *qi = NULL;
  qrel *qr = NULL;
  size_t nqr = 0, skipped = 0;
  int64_t *doc_of_id = NULL; /* item id -> doc index (ids are 1..n in a fresh file) */
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  float *vec = NULL;
  double ndcg[3] = {0}, recall[3] = {0};
  size_t scored = 0;
  sv_mem_search_options so = {0};
  const cli_opt opts[] = {
      {"--docs", &docs_p, NULL}, {"--queries", &q_p, NULL},      {"--qrels", &qrels_p, NULL},
      {"--k", &k_s, NULL},       {"--vector-weight", &vw, NULL}, {"--bm25-weight", &bw, NULL},
      {"--file", &file, NULL},   {"--json", NULL, &json},        MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args(
      "memory eval", "memory eval --docs D.jsonl --queries Q.jsonl --qrels QRELS [--k 10] [--json]",
      argc, argv, opts, CLI_NOPTS(opts), NULL, 0, 0, &npos);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector memory eval --docs DOCS.jsonl --queries QUERIES.jsonl\n"
        "         --qrels QRELS.txt [--k K] [--vector-weight W] [--bm25-weight W]\n"
        "         [--file PATH] [--json]\n\n"
        "Retrieval quality of hash (vectors + query IDF), bm25 and hybrid (RRF) on your data.\n"
        "DOCS and QUERIES are JSON lines {\"id\":\"..\",\"text\":\"..\"}; QRELS is TREC\n"
        "'qid iter docid relevance' (relevance > 0 is relevant).  Prints mean nDCG@K (binary\n"
        "gains) and recall@K over the queries that have a relevant document.  The documents\n"
        "go into a temporary in-memory file unless --file names one (it must not exist).\n\n");
    fputs(MEM_CLI_EMB_HELP, stdout);
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  if (!docs_p || !q_p || !qrels_p) {
    return cli_usage("memory eval", "--docs, --queries and --qrels are required");
  }
  if (k_s && cli_parse_u32("--k", k_s, 1, 1000, &k) != 0) return CLI_USAGE;
  if (mem_cli_weights(vw, bw, &so) != 0) return CLI_USAGE;
  if ((rc = mem_cli_embedder(&eo, NULL, &e)) != CLI_OK) return rc;
  rc = CLI_ERR;
  if (load_jsonl(docs_p, &docs) != CLI_OK || load_jsonl(q_p, &qs) != CLI_OK) goto done;
  if (!(di = make_index(&docs)) || !(qi = make_index(&qs))) goto done;
  for (size_t i = 1; i < docs.n; i++) {
    if (strcmp(di[i - 1].id, di[i].id) == 0) {
      cli_err("%s: document id '%s' appears twice", docs_p, di[i].id);
      goto done;
    }
  }
  if (load_qrels(qrels_p, qi, qs.n, di, docs.n, &qr, &nqr) != CLI_OK) goto done;
  if (file) {
    FILE *ex = fopen(file, "rb");
    if (ex) {
      fclose(ex);
      cli_err("%s already exists; eval builds a fresh file", file);
      goto done;
    }
  }
  if (sv_mem_open(file ? file : ":memory:", e, SV_OPEN_CREATE, &m) != SV_OK) {
    cli_err("%s", sv_mem_errmsg(m));
    goto done;
  }
  vec = malloc(sv_embedder_dim(e) * sizeof *vec);
  doc_of_id = malloc((docs.n + 1) * sizeof *doc_of_id);
  if (!vec || !doc_of_id) {
    cli_err("out of memory");
    goto done;
  }
  {
    /* Batches of 512 in one transaction each; docs without words skipped. */
    const char *batch[512];
    size_t bidx[512], nb = 0;
    int64_t ids[512];
    for (size_t i = 0; i <= docs.n; i++) {
      if (i < docs.n) {
        const char *t[1] = {docs.r[i].text};
        int erc = sv_embed(e, t, 1, vec);
        double s = 0;
        for (uint32_t j = 0; erc == SV_OK && j < sv_embedder_dim(e); j++) s += fabsf(vec[j]);
        if (erc != SV_OK && erc != SV_EINVAL) {
          cli_err("document '%s': %s", docs.r[i].id, sv_embedder_errmsg(e));
          goto done;
        }
        if (erc != SV_OK || s == 0) {
          skipped++;
          continue;
        }
        batch[nb] = docs.r[i].text;
        bidx[nb++] = i;
      }
      if (nb == 512 || (i == docs.n && nb > 0)) {
        if (sv_mem_add_texts(m, batch, nb, NULL, ids) != SV_OK) {
          cli_err("storing documents: %s", sv_mem_errmsg(m));
          goto done;
        }
        for (size_t b = 0; b < nb; b++) {
          if (ids[b] < 1 || ids[b] > (int64_t)docs.n) {
            cli_err("unexpected item id %lld", (long long)ids[b]);
            goto done;
          }
          doc_of_id[ids[b]] = (int64_t)bidx[b];
        }
        nb = 0;
      }
    }
  }
  for (size_t q = 0, lo = 0; q < qs.n; q++) {
    size_t nrel = 0;
    while (lo < nqr && qr[lo].q < q) lo++;
    while (lo + nrel < nqr && qr[lo + nrel].q == q) nrel++;
    if (nrel == 0) continue;
    scored++;
    double idcg = 0;
    for (size_t i = 0; i < nrel && i < k; i++) idcg += 1.0 / log2((double)i + 2.0);
    static const sv_mem_mode MODES[3] = {SV_MEM_VECTOR, SV_MEM_BM25, SV_MEM_HYBRID};
    for (int mo = 0; mo < 3; mo++) {
      sv_mem_hits h;
      so.k = k;
      so.mode = MODES[mo];
      int src = sv_mem_search(m, qs.r[q].text, &so, &h);
      if (src == SV_EINVAL && strstr(sv_mem_errmsg(m), "no indexable words")) {
        continue; /* scores 0 for this query */
      }
      if (src != SV_OK) {
        cli_err("query '%s': %s", qs.r[q].id, sv_mem_errmsg(m));
        goto done;
      }
      double dcg = 0;
      size_t found = 0;
      for (size_t i = 0; i < h.n; i++) {
        size_t d = (size_t)doc_of_id[h.hits[i].id];
        if (is_rel(qr + lo, nrel, q, d)) dcg += 1.0 / log2((double)i + 2.0), found++;
      }
      ndcg[mo] += dcg / idcg;
      recall[mo] += (double)found / (double)nrel;
      sv_mem_hits_free(&h);
    }
  }
  if (scored == 0) {
    cli_err("no query has a relevant document in the qrels (check the ids)");
    goto done;
  }
  static const char *const NAMES[3] = {"hash", "bm25", "hybrid"};
  if (json) {
    printf("{");
    for (int mo = 0; mo < 3; mo++) {
      printf("\"%s\":{\"ndcg\":%.4f,\"recall\":%.4f},", NAMES[mo], ndcg[mo] / scored,
             recall[mo] / scored);
    }
    printf("\"k\":%u,\"queries\":%zu,\"docs\":%zu,\"docs_skipped\":%zu,\"embedder\":", k, scored,
           docs.n - skipped, skipped);
    cli_out_str(stdout, sv_embedder_name(e));
    printf(",\"dim\":%u}\n", sv_embedder_dim(e));
  } else {
    printf("%zu documents (%zu skipped), %zu queries, k = %u, %s %u-d\n", docs.n - skipped, skipped,
           scored, k, sv_embedder_name(e), sv_embedder_dim(e));
    printf("%-8s %9s %9s\n", "method", "nDCG@k", "recall@k");
    for (int mo = 0; mo < 3; mo++) {
      printf("%-8s %9.4f %9.4f\n", NAMES[mo], ndcg[mo] / scored, recall[mo] / scored);
    }
  }
  rc = CLI_OK;
done:
  sv_mem_close(m);
  sv_embedder_free(e);
  recs_free(&docs);
  recs_free(&qs);
  free(di);
  free(qi);
  free(qr);
  free(vec);
  free(doc_of_id);
  return rc;
}
