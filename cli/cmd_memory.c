/*
** cmd_memory.c — `sqlite-vector memory SUBCOMMAND ...`: agent memory.
**
** Thin: every subcommand parses its options, builds the embedder the user
** named, opens the memory file through include/sqlite_vector_memory.h and
** prints the library's answer, as text or (--json) as one JSON object on
** one line.  Validation of texts, tags, filters and thresholds is the
** library's; what is checked here is only the command line itself
** (numbers, choices, the shape of --items).  Exit codes: 0 ok, 1 the
** operation failed, 2 the command line was wrong.
*/
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem_cli.h"

int mem_cli_embedder(const mem_cli_emb *o, const char *file, sv_embedder **out) {
  uint32_t dim = 0, timeout = 0;
  int rc;
  *out = NULL;
  if (file && !o->dim && !o->cmd && !o->cmd_name && !o->cmd_dim && !o->timeout && !o->http &&
      !o->url && !o->model && !o->retries) {
    char name[SV_MEM_MAX_SHORT], ver[64], err[512];
    FILE *f = fopen(file, "rb");
    if (f) {
      fclose(f);
      if (sv_mem_file_embedder(file, name, sizeof name, ver, sizeof ver, &dim, err, sizeof err) ==
          SV_OK) {
        if (strcmp(name, "hash-v1") != 0) {
          cli_err(
              "%s was written with embedder %s (%u-d); pass the same --embed-cmd or "
              "--embed-http options",
              file, name, (unsigned)dim);
          return CLI_ERR;
        }
        if (sv_embedder_hash_v1(dim, out) != SV_OK) {
          cli_err("embedder: %s", sv_embedder_errmsg(NULL));
          return CLI_ERR;
        }
        return CLI_OK;
      }
      dim = 0; /* not a memory file: opening it reports why */
    }
  }
  if (o->http) {
    uint32_t retries = 2;
    sv_http_options ho = {0};
    if (o->cmd || o->cmd_name || o->dim) {
      return cli_usage("memory", "--embed-http excludes --embed-cmd, --embed-name and --dim");
    }
    if (strcmp(o->http, "openai") == 0) {
      ho.kind = SV_HTTP_OPENAI;
    } else if (strcmp(o->http, "ollama") == 0) {
      ho.kind = SV_HTTP_OLLAMA;
    } else {
      return cli_usage("memory", "--embed-http must be openai or ollama");
    }
    if (!o->url || !o->model || !o->cmd_dim) {
      return cli_usage("memory", "--embed-http needs --embed-url, --embed-model and --embed-dim");
    }
    if (cli_parse_u32("--embed-dim", o->cmd_dim, 1, SV_MAX_DIM, &dim) != 0) return CLI_USAGE;
    if (o->timeout && cli_parse_u32("--embed-timeout-ms", o->timeout, 1, 3600000, &timeout) != 0) {
      return CLI_USAGE;
    }
    if (o->retries && cli_parse_u32("--embed-retries", o->retries, 0, 10, &retries) != 0) {
      return CLI_USAGE;
    }
    ho.base_url = o->url;
    ho.model = o->model;
    ho.api_key = getenv("SV_EMBED_API_KEY");
    ho.dim = dim;
    ho.timeout_ms = timeout;
    ho.retries = retries;
    rc = sv_embedder_http(&ho, out);
    if (rc != SV_OK) {
      cli_err("embedder: %s", sv_embedder_errmsg(NULL));
      return CLI_USAGE;
    }
    return CLI_OK;
  }
  if (o->url || o->model || o->retries) {
    return cli_usage("memory", "--embed-url/--embed-model/--embed-retries need --embed-http");
  }
  if (o->cmd) {
    if (o->dim)
      return cli_usage("memory", "--dim is for hash-v1; use --embed-dim with --embed-cmd");
    if (!o->cmd_dim) return cli_usage("memory", "--embed-cmd needs --embed-dim");
    if (cli_parse_u32("--embed-dim", o->cmd_dim, 1, SV_MAX_DIM, &dim) != 0) return CLI_USAGE;
    if (o->timeout && cli_parse_u32("--embed-timeout-ms", o->timeout, 1, 3600000, &timeout) != 0) {
      return CLI_USAGE;
    }
    rc = sv_embedder_command(o->cmd_name ? o->cmd_name : "cmd", o->cmd, dim, timeout, out);
  } else {
    if (o->cmd_name || o->cmd_dim || o->timeout) {
      return cli_usage("memory", "--embed-name/--embed-dim/--embed-timeout-ms need --embed-cmd");
    }
    if (o->dim && cli_parse_u32("--dim", o->dim, 64, SV_MAX_DIM, &dim) != 0) return CLI_USAGE;
    rc = sv_embedder_hash_v1(dim, out);
  }
  if (rc != SV_OK) {
    cli_err("embedder: %s", sv_embedder_errmsg(NULL));
    return CLI_USAGE;
  }
  return CLI_OK;
}

int mem_cli_weights(const char *vw, const char *bw, sv_mem_search_options *so) {
  float f;
  if (vw) {
    if (cli_parse_float("--vector-weight", vw, &f) != 0 || !(f > 0)) return -1;
    so->vector_weight = f;
  }
  if (bw) {
    if (cli_parse_float("--bm25-weight", bw, &f) != 0 || !(f > 0)) return -1;
    so->bm25_weight = f;
  }
  return 0;
}

/* Open path with e (create when asked); prints the reason on failure. */
static int open_mem(const char *path, sv_embedder *e, int flags, sv_mem **out) {
  int rc = sv_mem_open(path, e, flags, out);
  if (rc != SV_OK) {
    cli_err("%s", sv_mem_errmsg(*out));
    sv_mem_close(*out);
    *out = NULL;
    return CLI_ERR;
  }
  return CLI_OK;
}

static int mem_fail(sv_mem *m, const char *what) {
  cli_err("%s: %s", what, sv_mem_errmsg(m));
  return CLI_ERR;
}

static int help_or(int rc, const char *text) {
  if (rc == CLI_HELP) {
    fputs(text, stdout);
    fputs(MEM_CLI_EMB_HELP, stdout);
  }
  return rc;
}

/* What a subcommand returns after parsing stopped it (help is success). */
#define PARSE_EXIT(rc) ((rc) == CLI_HELP ? CLI_OK : (rc))

static void print_item_text(const sv_mem_item *it) {
  static const char *const OUT[] = {"note", "success", "failure"};
  printf("#%lld [%s, reliability %.2f, uses %lld] %s\n", (long long)it->id,
         OUT[it->outcome >= 0 && it->outcome <= 2 ? it->outcome : 0], it->reliability,
         (long long)it->uses, it->title && *it->title ? it->title : "");
  if (it->description && *it->description) printf("    %s\n", it->description);
  printf("    %s\n", it->content);
}

/* The ranked commands (search, patterns) print either the library's JSON or
 * one text row per id; both halves were the same in each, so they live here.
 * emit_json takes the status of an sv_mem_*_json call and the address of the
 * text it filled (read only once the call is done), and frees the text. */
static int emit_json(sv_mem *m, const char *what, int st, char **js) {
  if (st != SV_OK) return mem_fail(m, what);
  printf("%s\n", *js);
  free(*js);
  return CLI_OK;
}

/* Print prefix and item id as text; nothing reaches stdout when the item
 * cannot be read, so a failure never leaves half a row. */
static int print_ranked_row(sv_mem *m, const char *what, int64_t id, const char *prefix) {
  sv_mem_item it;
  if (sv_mem_get(m, id, &it) != SV_OK) return mem_fail(m, what);
  fputs(prefix, stdout);
  print_item_text(&it);
  sv_mem_item_free(&it);
  return CLI_OK;
}

/* ---- add ---- */

static int mem_add(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *text = NULL, *meta = NULL, *pos[1];
  int json = 0, rc;
  size_t npos;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  const cli_opt opts[] = {{"--text", &text, NULL},
                          {"--metadata", &meta, NULL},
                          {"--json", NULL, &json},
                          MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory add", "memory add FILE --text T [--metadata JSON] [--json]", argc,
                      argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  rc = help_or(rc,
               "Usage: sqlite-vector memory add FILE --text T [--metadata JSON] [--json]\n\n"
               "Store one plain text (created if FILE does not exist).  --metadata is a JSON\n"
               "object that search filters can match.\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (!text) return cli_usage("memory add", "--text is required");
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, SV_OPEN_CREATE, &m)) == CLI_OK) {
    int64_t id;
    const char *t[1] = {text};
    if (sv_mem_add_texts(m, t, 1, meta, &id) != SV_OK) {
      rc = mem_fail(m, "add");
    } else if (json) {
      printf("{\"id\":%lld}\n", (long long)id);
    } else {
      printf("stored #%lld\n", (long long)id);
    }
  }
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- store ---- */

typedef struct items_buf {
  sv_mem_item_in items[SV_MEM_MAX_ITEMS_PER_EXPERIENCE];
  char *strings[SV_MEM_MAX_ITEMS_PER_EXPERIENCE * 5];
  size_t n, ns;
} items_buf;

static char *json_string_field(cli_json_doc *d, size_t obj, const char *key, items_buf *b,
                               int *bad) {
  size_t v = cli_json_get(d, obj, key);
  if (v == CLI_JSON_NONE || d->nodes[v].type == CLI_JSON_NULL) return NULL;
  if (d->nodes[v].type == CLI_JSON_ARRAY && strcmp(key, "tags") == 0) {
    size_t len = d->nodes[v].end - d->nodes[v].start;
    char *s = malloc(len + 1);
    if (!s) return *bad = 1, NULL;
    memcpy(s, d->src + d->nodes[v].start, len);
    s[len] = '\0';
    return b->strings[b->ns++] = s;
  }
  if (d->nodes[v].type != CLI_JSON_STRING) {
    cli_err("--items: \"%s\" must be a string", key);
    *bad = 1;
    return NULL;
  }
  size_t len = cli_json_str_decode(d, v, NULL, 0);
  char *s = malloc(len + 1);
  if (!s) return *bad = 1, NULL;
  cli_json_str_decode(d, v, s, len + 1);
  if (strlen(s) != len) {
    cli_err("--items: \"%s\" contains a NUL character", key);
    free(s);
    *bad = 1;
    return NULL;
  }
  return b->strings[b->ns++] = s;
}

static int parse_items(const char *text, items_buf *b) {
  cli_json_doc d;
  int bad = 0;
  cli_json_init(&d);
  if (cli_json_parse(&d, text, strlen(text)) != 0) {
    cli_err("--items: %s at byte %zu", d.err, d.err_pos);
    bad = 1;
  } else if (d.nodes[0].type != CLI_JSON_ARRAY || d.nodes[0].count == 0 ||
             d.nodes[0].count > SV_MEM_MAX_ITEMS_PER_EXPERIENCE) {
    cli_err("--items must be a JSON array of 1..%d objects", SV_MEM_MAX_ITEMS_PER_EXPERIENCE);
    bad = 1;
  } else {
    for (size_t c = d.nodes[0].first; c != CLI_JSON_NONE && !bad; c = d.nodes[c].next) {
      sv_mem_item_in *it = &b->items[b->n++];
      if (d.nodes[c].type != CLI_JSON_OBJECT) {
        cli_err("--items: every element must be an object");
        bad = 1;
        break;
      }
      it->title = json_string_field(&d, c, "title", b, &bad);
      it->description = json_string_field(&d, c, "description", b, &bad);
      it->content = json_string_field(&d, c, "content", b, &bad);
      it->domain = json_string_field(&d, c, "domain", b, &bad);
      it->tags = json_string_field(&d, c, "tags", b, &bad);
    }
  }
  cli_json_free(&d);
  return bad ? CLI_USAGE : CLI_OK;
}

static int parse_signal(const char *what, const char *s, double *out) {
  float f;
  *out = -1;
  if (!s) return 0;
  if (cli_parse_float(what, s, &f) != 0) return -1;
  *out = f;
  return 0;
}

static int mem_store(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *task = NULL, *outcome = NULL, *title = NULL, *desc = NULL, *content = NULL;
  const char *domain = NULL, *tags = NULL, *items = NULL, *dur = NULL, *tok = NULL, *iter = NULL;
  const char *minq = NULL, *pos[1];
  int json = 0, rc;
  size_t npos;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  items_buf b;
  sv_mem_signals sig;
  sv_mem_store_options so = {0};
  memset(&b, 0, sizeof b);
  const cli_opt opts[] = {
      {"--task", &task, NULL},        {"--outcome", &outcome, NULL}, {"--title", &title, NULL},
      {"--description", &desc, NULL}, {"--content", &content, NULL}, {"--domain", &domain, NULL},
      {"--tags", &tags, NULL},        {"--items", &items, NULL},     {"--duration-ms", &dur, NULL},
      {"--tokens", &tok, NULL},       {"--iterations", &iter, NULL}, {"--min-quality", &minq, NULL},
      {"--json", NULL, &json},        MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory store",
                      "memory store FILE --task T --outcome success|failure (--title T --content C"
                      " | --items JSON) [--json]",
                      argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  rc = help_or(
      rc,
      "Usage: sqlite-vector memory store FILE --task T --outcome success|failure\n"
      "         (--title T --content C [--description D] [--domain D] [--tags JSON]\n"
      "          | --items '[{\"title\":..,\"description\":..,\"content\":..,\"domain\":..,"
      "\"tags\":[..]}]')\n"
      "         [--duration-ms N] [--tokens N] [--iterations N] [--min-quality Q] [--json]\n\n"
      "ReasoningBank store_experience: the memory items distilled from one task.\n"
      "quality = (success ? 0.6 : 0.1) + 0.2*max(0,1-duration/60000) + 0.1*max(0,1-tokens/10000)\n"
      "        + 0.1*max(0,1-iterations/5); below --min-quality (default 0.3) nothing is stored.\n"
      "Near-duplicates (cosine >= 0.92, same outcome) are merged into the stored item.\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (!task) return cli_usage("memory store", "--task is required");
  if (!outcome || (strcmp(outcome, "success") != 0 && strcmp(outcome, "failure") != 0)) {
    return cli_usage("memory store", "--outcome must be success or failure");
  }
  if (items && (title || desc || content || domain || tags)) {
    return cli_usage("memory store", "give either --items or --title/--content, not both");
  }
  if (!items && (!title || !content)) {
    return cli_usage("memory store", "--title and --content (or --items) are required");
  }
  if (parse_signal("--duration-ms", dur, &sig.duration_ms) ||
      parse_signal("--tokens", tok, &sig.tokens) ||
      parse_signal("--iterations", iter, &sig.iterations)) {
    return CLI_USAGE;
  }
  if (minq) {
    float f;
    if (cli_parse_float("--min-quality", minq, &f) != 0) return CLI_USAGE;
    so.min_quality = f;
  }
  if (items) {
    if ((rc = parse_items(items, &b)) != CLI_OK) goto done;
  } else {
    b.items[0] = (sv_mem_item_in){title, desc, content, domain, tags};
    b.n = 1;
  }
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) goto done;
  if ((rc = open_mem(pos[0], e, SV_OPEN_CREATE, &m)) != CLI_OK) goto done;
  sv_mem_store_result r;
  if (sv_mem_store_experience(m, task, strcmp(outcome, "success") == 0, b.items, b.n, &sig, &so,
                              &r) != SV_OK) {
    rc = mem_fail(m, "store");
    goto done;
  }
  static const char *const ACT[] = {"", "stored", "merged", "skipped"};
  if (json) {
    char *js = sv_mem_store_result_json(&r);
    if (!js) {
      cli_err("out of memory");
      rc = CLI_ERR;
      goto done;
    }
    printf("%s\n", js);
    free(js);
  } else {
    printf("quality %.2f\n", r.quality);
    for (size_t i = 0; i < r.n; i++) {
      printf("item %zu: %s", i, ACT[r.actions[i]]);
      if (r.ids[i]) printf(" #%lld", (long long)r.ids[i]);
      printf("\n");
    }
  }
done:
  for (size_t i = 0; i < b.ns; i++) free(b.strings[i]);
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- search ---- */

static int mem_search(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *k = NULL, *mode = NULL, *vw = NULL, *bw = NULL, *filter = NULL, *pos[2];
  int json = 0, rc;
  size_t npos;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  sv_mem_search_options so = {.k = 10};
  sv_mem_hits h = {0, NULL};
  const cli_opt opts[] = {{"--k", &k, NULL},
                          {"--mode", &mode, NULL},
                          {"--vector-weight", &vw, NULL},
                          {"--bm25-weight", &bw, NULL},
                          {"--filter", &filter, NULL},
                          {"--json", NULL, &json},
                          MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory search", "memory search FILE QUERY [--k K] [--mode M] [--json]", argc,
                      argv, opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  rc = help_or(
      rc,
      "Usage: sqlite-vector memory search FILE QUERY [--k K] [--mode hybrid|vector|bm25]\n"
      "         [--vector-weight W] [--bm25-weight W] [--filter JSON] [--json]\n\n"
      "Hybrid search: BM25 (FTS5) and vector rankings fused by reciprocal-rank fusion,\n"
      "score = sum of weight/(60 + rank); weights default to 1.0 (BM25) and 0.5 (vector).\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (k && cli_parse_u32("--k", k, 1, 10000, &so.k) != 0) return CLI_USAGE;
  if (mode) {
    if (strcmp(mode, "hybrid") == 0)
      so.mode = SV_MEM_HYBRID;
    else if (strcmp(mode, "vector") == 0)
      so.mode = SV_MEM_VECTOR;
    else if (strcmp(mode, "bm25") == 0)
      so.mode = SV_MEM_BM25;
    else
      return cli_usage("memory search", "--mode must be hybrid, vector or bm25");
  }
  if (mem_cli_weights(vw, bw, &so) != 0) return CLI_USAGE;
  so.filter = filter;
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, SV_OPEN_READONLY, &m)) != CLI_OK) goto done;
  if (sv_mem_search(m, pos[1], &so, &h) != SV_OK) {
    rc = mem_fail(m, "search");
    goto done;
  }
  if (json) {
    char *js = NULL;
    rc = emit_json(m, "search", sv_mem_hits_json(m, &h, &js), &js);
    goto done;
  }
  for (size_t i = 0; i < h.n && rc == CLI_OK; i++) {
    char pre[64];
    snprintf(pre, sizeof pre, "%.4f ", h.hits[i].score);
    rc = print_ranked_row(m, "search", h.hits[i].id, pre);
  }
done:
  sv_mem_hits_free(&h);
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- patterns ---- */

static int mem_patterns(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *k = NULL, *thr = NULL, *domain = NULL, *mmr = NULL, *pos[2];
  int json = 0, rc;
  size_t npos;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  sv_mem_pattern_options po = {.k = 1};
  sv_mem_patterns p = {0, NULL};
  const cli_opt opts[] = {{"--k", &k, NULL},           {"--threshold", &thr, NULL},
                          {"--domain", &domain, NULL}, {"--mmr", &mmr, NULL},
                          {"--json", NULL, &json},     MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory patterns", "memory patterns FILE TASK [--k K] [--json]", argc, argv,
                      opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  rc = help_or(rc,
               "Usage: sqlite-vector memory patterns FILE TASK [--k K] [--threshold S]\n"
               "         [--domain D] [--mmr LAMBDA] [--json]\n\n"
               "ReasoningBank find_similar_patterns: items with similarity >= S (default 0.01),\n"
               "score = 0.65*similarity + 0.15*2^(-age_days/30) + 0.20*(successes+1)/(uses+2);\n"
               "--mmr LAMBDA picks k diverse items (LAMBDA is the relevance weight).  k defaults\n"
               "to 1 (the ReasoningBank paper found one memory best).\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (k && cli_parse_u32("--k", k, 1, 1000, &po.k) != 0) return CLI_USAGE;
  float f;
  if (thr) {
    if (cli_parse_float("--threshold", thr, &f) != 0) return CLI_USAGE;
    po.threshold = f;
    po.use_threshold = 1;
  }
  if (mmr) {
    if (cli_parse_float("--mmr", mmr, &f) != 0) return CLI_USAGE;
    po.mmr_lambda = f;
  }
  po.domain = domain;
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, SV_OPEN_READONLY, &m)) != CLI_OK) goto done;
  if (sv_mem_find_patterns(m, pos[1], &po, &p) != SV_OK) {
    rc = mem_fail(m, "patterns");
    goto done;
  }
  if (json) {
    char *js = NULL;
    rc = emit_json(m, "patterns", sv_mem_patterns_json(m, &p, &js), &js);
    goto done;
  }
  for (size_t i = 0; i < p.n && rc == CLI_OK; i++) {
    char pre[128];
    snprintf(pre, sizeof pre, "%.4f (sim %.3f, recency %.3f) ", p.p[i].score, p.p[i].similarity,
             p.p[i].recency);
    rc = print_ranked_row(m, "patterns", p.p[i].id, pre);
  }
done:
  sv_mem_patterns_free(&p);
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- outcome, get ---- */

static int mem_outcome(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *pos[3];
  int json = 0, rc;
  size_t npos;
  int64_t id;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  const cli_opt opts[] = {{"--json", NULL, &json}, MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory outcome", "memory outcome FILE ID success|failure [--json]", argc,
                      argv, opts, CLI_NOPTS(opts), pos, 3, 3, &npos);
  rc =
      help_or(rc,
              "Usage: sqlite-vector memory outcome FILE ID success|failure [--json]\n\n"
              "ReasoningBank record_outcome: the judged result of using item ID (uses += 1,\n"
              "successes += 1 on success), which drives reliability = (successes+1)/(uses+2).\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (cli_parse_i64("ID", pos[1], &id) != 0) return CLI_USAGE;
  if (strcmp(pos[2], "success") != 0 && strcmp(pos[2], "failure") != 0) {
    return cli_usage("memory outcome", "the outcome must be success or failure");
  }
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, 0, &m)) == CLI_OK) {
    sv_mem_item it;
    if (sv_mem_record_outcome(m, id, strcmp(pos[2], "success") == 0, 0) != SV_OK ||
        sv_mem_get(m, id, &it) != SV_OK) {
      rc = mem_fail(m, "outcome");
    } else {
      if (json) {
        printf("{\"id\":%lld,\"uses\":%lld,\"successes\":%lld,\"reliability\":%.4f}\n",
               (long long)id, (long long)it.uses, (long long)it.successes, it.reliability);
      } else {
        printf("#%lld: uses %lld, successes %lld, reliability %.2f\n", (long long)id,
               (long long)it.uses, (long long)it.successes, it.reliability);
      }
      sv_mem_item_free(&it);
    }
  }
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

static int mem_get(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *pos[2];
  int json = 0, rc;
  size_t npos;
  int64_t id;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  const cli_opt opts[] = {{"--json", NULL, &json}, MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory get", "memory get FILE ID [--json]", argc, argv, opts,
                      CLI_NOPTS(opts), pos, 2, 2, &npos);
  rc = help_or(rc, "Usage: sqlite-vector memory get FILE ID [--json]\n\nPrint one item.\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (cli_parse_i64("ID", pos[1], &id) != 0) return CLI_USAGE;
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, SV_OPEN_READONLY, &m)) == CLI_OK) {
    sv_mem_item it;
    if (sv_mem_get(m, id, &it) != SV_OK) {
      rc = mem_fail(m, "get");
    } else {
      if (json) {
        char *js = sv_mem_item_json(&it);
        printf("%s\n", js ? js : "null");
        free(js);
      } else {
        print_item_text(&it);
      }
      sv_mem_item_free(&it);
    }
  }
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- consolidate ---- */

static int mem_consolidate(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *dup = NULL, *contra = NULL, *days = NULL, *relv = NULL, *pos[1];
  int json = 0, rc;
  size_t npos;
  sv_embedder *e = NULL;
  sv_mem *m = NULL;
  sv_mem_consolidate_options co = {0};
  sv_mem_consolidate_report rep = {0};
  const cli_opt opts[] = {{"--dup", &dup, NULL},         {"--contra", &contra, NULL},
                          {"--prune-days", &days, NULL}, {"--prune-reliability", &relv, NULL},
                          {"--json", NULL, &json},       MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory consolidate", "memory consolidate FILE [--json]", argc, argv, opts,
                      CLI_NOPTS(opts), pos, 1, 1, &npos);
  rc = help_or(rc,
               "Usage: sqlite-vector memory consolidate FILE [--dup C] [--contra C]\n"
               "         [--prune-days D] [--prune-reliability R] [--json]\n\n"
               "Merge near-duplicates with the same outcome (cosine >= C, default 0.92), record\n"
               "contradictions (cosine >= 0.80, opposite outcomes), and delete items unused for\n"
               "D days (default 90) whose reliability is below R (default 0.3).\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  float f;
  if (dup) {
    if (cli_parse_float("--dup", dup, &f) != 0) return CLI_USAGE;
    co.dup_threshold = f;
  }
  if (contra) {
    if (cli_parse_float("--contra", contra, &f) != 0) return CLI_USAGE;
    co.contra_threshold = f;
  }
  if (days) {
    if (cli_parse_float("--prune-days", days, &f) != 0) return CLI_USAGE;
    co.prune_age_days = f;
  }
  if (relv) {
    if (cli_parse_float("--prune-reliability", relv, &f) != 0) return CLI_USAGE;
    co.prune_reliability = f;
  }
  if ((rc = mem_cli_embedder(&eo, pos[0], &e)) != CLI_OK) return rc;
  if ((rc = open_mem(pos[0], e, 0, &m)) == CLI_OK) {
    if (sv_mem_consolidate(m, &co, &rep) != SV_OK) {
      rc = mem_fail(m, "consolidate");
    } else if (json) {
      char *js = sv_mem_consolidate_json(&rep);
      printf("%s\n", js ? js : "null");
      if (!js) rc = CLI_ERR;
      free(js);
    } else {
      printf("examined %lld, merged %lld, contradictions %lld, pruned %lld\n",
             (long long)rep.examined, (long long)rep.merged, (long long)rep.contradictions,
             (long long)rep.pruned);
    }
  }
  sv_mem_consolidate_report_free(&rep);
  sv_mem_close(m);
  sv_embedder_free(e);
  return rc;
}

/* ---- context ---- */

static int mem_context(int argc, char **argv) {
  mem_cli_emb eo = {0};
  const char *budget = NULL, *k = NULL, *pos[65];
  int json = 0, rc;
  size_t npos;
  uint32_t b = 4000;
  sv_embedder *e = NULL;
  sv_mem_pattern_options po = {.k = 3};
  sv_mem_context c = {0};
  char err[1024];
  const cli_opt opts[] = {{"--budget", &budget, NULL},
                          {"--k", &k, NULL},
                          {"--json", NULL, &json},
                          MEM_CLI_EMB_OPTS(eo)};
  rc = cli_parse_args("memory context", "memory context TASK FILE... [--budget N] [--json]", argc,
                      argv, opts, CLI_NOPTS(opts), pos, 2, 65, &npos);
  rc = help_or(
      rc,
      "Usage: sqlite-vector memory context TASK FILE... [--budget BYTES] [--k K] [--json]\n\n"
      "ContextSynthesizer: query every memory FILE (up to 64) for TASK (k patterns each,\n"
      "default 3), merge by score, drop duplicates, and print a prompt-ready block of at\n"
      "most BYTES (default 4000) with the source file and item id of each memory.\n\n");
  if (rc != CLI_OK) return PARSE_EXIT(rc);
  if (budget && cli_parse_u32("--budget", budget, 1, 100000000, &b) != 0) return CLI_USAGE;
  if (k && cli_parse_u32("--k", k, 1, 1000, &po.k) != 0) return CLI_USAGE;
  if ((rc = mem_cli_embedder(&eo, pos[1], &e)) != CLI_OK) return rc;
  if (sv_mem_synthesize_context(e, pos[0], pos + 1, npos - 1, b, &po, &c, err, sizeof err) !=
      SV_OK) {
    cli_err("context: %s", err);
    rc = CLI_ERR;
  } else if (json) {
    char *js = sv_mem_context_json(&c);
    printf("%s\n", js ? js : "null");
    if (!js) rc = CLI_ERR;
    free(js);
  } else {
    fputs(c.text, stdout);
  }
  sv_mem_context_free(&c);
  sv_embedder_free(e);
  return rc;
}

/* ---- dispatch ---- */

typedef struct sub {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} sub;

static const sub SUBS[] = {
    {"store", mem_store, "store_experience: items learned from one task"},
    {"search", mem_search, "hybrid (BM25 + vector) search"},
    {"patterns", mem_patterns, "find_similar_patterns for a task"},
    {"outcome", mem_outcome, "record_outcome of using an item"},
    {"consolidate", mem_consolidate, "dedup, contradictions, pruning"},
    {"context", mem_context, "prompt-ready context from several memory files"},
    {"add", mem_add, "store a plain text"},
    {"get", mem_get, "print one item"},
    {"eval", cmd_memory_eval, "retrieval quality (nDCG@k, recall@k) on your data"},
};

int cmd_memory(int argc, char **argv) {
  if (argc >= 2) {
    for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++) {
      if (strcmp(argv[1], SUBS[i].name) == 0) return SUBS[i].run(argc - 1, argv + 1);
    }
  }
  int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
  FILE *f = help ? stdout : stderr;
  if (argc >= 2 && !help) cli_err("unknown memory subcommand '%s'", argv[1]);
  fprintf(f, "Usage: sqlite-vector memory SUBCOMMAND ... [--json]\n\nSubcommands:\n");
  for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++) {
    fprintf(f, "  %-12s %s\n", SUBS[i].name, SUBS[i].summary);
  }
  fprintf(f, "\nRun 'sqlite-vector memory SUBCOMMAND --help' for its options.\n");
  return help ? CLI_OK : CLI_USAGE;
}
