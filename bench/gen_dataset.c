/*
** gen_dataset.c — a deterministic synthetic embedding dataset with exact
** ground truth, for tests, `make run` and benchmarks.
**
**   gen_dataset --n N --dim D --queries Q --clusters C --seed S --k K \
**               --out DIR/name [--spread X] [--threads T] [--min-gap G]
**
** writes DIR/name_base.fvecs (N vectors), DIR/name_query.fvecs (Q vectors)
** and DIR/name_gt.ivecs (for each query, the ids = 0-based base row numbers
** of its K nearest base vectors by cosine similarity, best first).
**
** The data imitate sentence embeddings: a Gaussian mixture of C clusters on
** the unit sphere.  Cluster centres are random unit vectors; clusters have
** unequal sizes and spreads, and within a cluster points vary mostly along
** a cluster-specific low-rank subspace (rank 16) plus some isotropic noise,
** because real embedding clouds are anisotropic with low intrinsic
** dimension.  Every point is L2-normalised.  Queries are fresh draws from
** the same mixture, never copies of base rows.  With the default spread
** (0.8) nearest neighbours have cosine around 0.7: related but distinct.
**
** Determinism: every vector has its own random stream, seeded from (seed,
** kind, index) through splitmix64, and normals come from Box-Muller.  So
** the output depends only on the parameters — not on the thread count —
** and the first rows of a larger dataset equal those of a smaller one.
**
** Ground truth is brute force in double precision: products of two floats
** are exact in a double and a 384-term double sum errs by ~1e-14, far
** below the float32 rounding any search engine makes.  Ties are broken by
** the smaller id.  To keep 100K x 384 x 1000 queries fast (a few seconds
** on 2 cores), each thread takes whole queries, and the scan is blocked:
** eight queries transposed so one base component is multiplied into eight
** independent accumulators (vectorisable without reassociating sums),
** over tiles of base rows that stay in cache.
**
** Exactness of a float32 engine: if the k-th and (k+1)-th true scores of
** a query are closer than the engine's rounding error, even a correct
** float32 search may legitimately swap them.  The tool reports the
** smallest such gap; --min-gap G redraws (deterministically) the queries
** whose gap is below G, so recall@k = 1.0 becomes a fair requirement.
**
** This program is plain C with libm and pthreads; it does not use the
** library.
*/
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DIM 16384
#define RANK 16  /* dimension of each cluster's preferred subspace */
#define QB 8     /* queries scanned together */
#define TILE 128 /* base rows per cache tile */
#define MAX_ATTEMPTS 64

/* Stream kinds, so centres, bases, points and queries never share draws. */
enum { KIND_CENTRE = 1, KIND_BASIS, KIND_CLUSTER, KIND_BASE, KIND_QUERY };

typedef struct params {
  uint64_t n, nq, clusters, seed, k, threads;
  uint32_t dim;
  double spread, min_gap;
  const char *out;
} params;

/* ---- Random numbers ----------------------------------------------------- */

typedef struct rng {
  uint64_t s;
  int have_spare;
  double spare;
} rng;

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x) {
  return splitmix64(&x);
}

static void rng_init(rng *r, uint64_t seed, uint64_t kind, uint64_t index) {
  r->s = mix(seed ^ mix(kind * 0xD1B54A32D192ED03ULL ^ mix(index)));
  r->have_spare = 0;
}

/* Uniform in (0, 1]: never 0, so log() below is finite. */
static double rng_uniform(rng *r) {
  return (double)((splitmix64(&r->s) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

static double rng_normal(rng *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1 = rng_uniform(r), u2 = rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
  r->spare = rad * sin(th);
  r->have_spare = 1;
  return rad * cos(th);
}

/* ---- The mixture -------------------------------------------------------- */

typedef struct mixture {
  uint32_t dim;
  uint64_t c;
  double *centre; /* c x dim, unit */
  double *basis;  /* c x dim x RANK, entries N(0, 1/dim) */
  double *cum;    /* c cumulative weights, last = 1 */
  double *scale;  /* c per-cluster spread factors */
  double spread;
} mixture;

static int mixture_init(mixture *m, const params *p) {
  uint32_t d = p->dim;
  double total = 0.0;
  m->dim = d;
  m->c = p->clusters;
  m->spread = p->spread;
  m->centre = malloc(m->c * d * sizeof(double));
  m->basis = malloc(m->c * d * RANK * sizeof(double));
  m->cum = malloc(m->c * sizeof(double));
  m->scale = malloc(m->c * sizeof(double));
  if (!m->centre || !m->basis || !m->cum || !m->scale) return -1;
  for (uint64_t c = 0; c < m->c; c++) {
    rng r;
    double norm = 0.0, *ctr = m->centre + c * d;
    rng_init(&r, p->seed, KIND_CENTRE, c);
    for (uint32_t i = 0; i < d; i++) {
      ctr[i] = rng_normal(&r);
      norm += ctr[i] * ctr[i];
    }
    norm = sqrt(norm);
    for (uint32_t i = 0; i < d; i++) ctr[i] /= norm;
    rng_init(&r, p->seed, KIND_BASIS, c);
    for (size_t i = 0; i < (size_t)d * RANK; i++) {
      m->basis[c * d * RANK + i] = rng_normal(&r) / sqrt((double)d);
    }
    rng_init(&r, p->seed, KIND_CLUSTER, c);
    total += 0.5 + rng_uniform(&r); /* sizes vary up to 3x */
    m->cum[c] = total;
    m->scale[c] = 0.7 + 0.6 * rng_uniform(&r); /* spreads vary +-30% */
  }
  for (uint64_t c = 0; c < m->c; c++) m->cum[c] /= total;
  m->cum[m->c - 1] = 1.0;
  return 0;
}

static void mixture_free(mixture *m) {
  free(m->centre);
  free(m->basis);
  free(m->cum);
  free(m->scale);
}

/* Draw one unit vector (kind, index) into out[dim]; tmp holds dim doubles. */
static void mixture_draw(const mixture *m, uint64_t seed, uint64_t kind, uint64_t index, float *out,
                         double *tmp) {
  rng r;
  uint32_t d = m->dim;
  uint64_t lo = 0, hi = m->c - 1;
  double z[RANK], u, norm = 0.0;
  rng_init(&r, seed, kind, index);
  u = rng_uniform(&r);
  while (lo < hi) { /* first cluster whose cumulative weight >= u */
    uint64_t mid = lo + (hi - lo) / 2;
    if (m->cum[mid] >= u) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  /* Split the spread: 80% of the variance along the cluster subspace. */
  double s = m->spread * m->scale[lo];
  double s_sub = s * sqrt(0.8 / RANK), s_iso = s * sqrt(0.2 / (double)d);
  const double *ctr = m->centre + lo * d, *b = m->basis + lo * d * RANK;
  for (int j = 0; j < RANK; j++) z[j] = rng_normal(&r) * s_sub;
  for (uint32_t i = 0; i < d; i++) {
    double v = ctr[i] + rng_normal(&r) * s_iso;
    /* Basis entries are N(0, 1/d), so this adds variance 0.8*s^2/d per
    ** component: a subspace noise of norm ~ s*sqrt(0.8) in total. */
    for (int j = 0; j < RANK; j++) v += b[(size_t)i * RANK + j] * z[j];
    tmp[i] = v;
    norm += v * v;
  }
  norm = sqrt(norm);
  for (uint32_t i = 0; i < d; i++) out[i] = (float)(tmp[i] / norm);
}

/* ---- Threads ------------------------------------------------------------ */

typedef struct gen_job {
  const mixture *m;
  uint64_t seed, kind;
  const uint64_t *list;     /* rows to draw, or NULL for begin..end */
  const uint32_t *attempts; /* per-row redraw count (selects the stream), or NULL */
  float *out;               /* row r goes to out + r * dim */
  size_t begin, end;        /* range within list (or of rows) */
  int failed;
} gen_job;

static void *gen_thread(void *arg) {
  gen_job *j = arg;
  uint32_t d = j->m->dim;
  double *tmp = malloc(d * sizeof *tmp);
  if (!tmp) {
    j->failed = 1;
    return NULL;
  }
  for (size_t i = j->begin; i < j->end; i++) {
    uint64_t row = j->list ? j->list[i] : i;
    uint64_t kind = j->kind + 8 * (uint64_t)(j->attempts ? j->attempts[row] : 0);
    mixture_draw(j->m, j->seed, kind, row, j->out + row * d, tmp);
  }
  free(tmp);
  return NULL;
}

/* Run fn over jobs[0..n) on n threads (the calling thread takes job 0). */
static int run_threads(void *(*fn)(void *), void *jobs, size_t job_size, size_t n) {
  pthread_t tids[64];
  size_t started = 0;
  int rc = 0;
  for (size_t t = 1; t < n; t++, started++) {
    if (pthread_create(&tids[t], NULL, fn, (char *)jobs + t * job_size) != 0) {
      rc = -1;
      break;
    }
  }
  fn(jobs);
  for (size_t t = 1; t <= started; t++) pthread_join(tids[t], NULL);
  return rc;
}

static int draw_rows(const mixture *m, const params *p, uint64_t kind, const uint64_t *list,
                     size_t count, const uint32_t *attempts, float *out) {
  gen_job jobs[64];
  size_t nt = p->threads;
  for (size_t t = 0; t < nt; t++) {
    jobs[t] =
        (gen_job){m, p->seed, kind, list, attempts, out, count * t / nt, count * (t + 1) / nt, 0};
  }
  if (run_threads(gen_thread, jobs, sizeof jobs[0], nt) != 0) return -1;
  for (size_t t = 0; t < nt; t++) {
    if (jobs[t].failed) return -1;
  }
  return 0;
}

/* ---- Ground truth ------------------------------------------------------- */

typedef struct gt_job {
  const float *base, *queries;
  const double *binv, *qinv; /* 1 / norms */
  size_t n;
  uint32_t dim;
  const uint64_t *list; /* queries to solve */
  size_t nlist, kk;     /* kk = neighbours kept per query */
  double *score;        /* query q's list at score + q * kk, best first */
  int32_t *id;
  size_t tid, nthreads;
  int failed;
} gt_job;

/* a ranks below b: lower score, or equal score and larger id. */
static int worse(double sa, int32_t ia, double sb, int32_t ib) {
  return sa < sb || (sa == sb && ia > ib);
}

/* Place (s, id) at hole i of a heap of `size` entries whose root is the
** worst, moving worse children up until it fits. */
static void sift_down(double *hs, int32_t *hi, size_t size, size_t i, double s, int32_t id) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, w = i;
    double ws = s;
    int32_t wi = id;
    if (l < size && worse(hs[l], hi[l], ws, wi)) {
      w = l;
      ws = hs[l];
      wi = hi[l];
    }
    if (r < size && worse(hs[r], hi[r], ws, wi)) w = r;
    if (w == i) break;
    hs[i] = hs[w];
    hi[i] = hi[w];
    i = w;
  }
  hs[i] = s;
  hi[i] = id;
}

/* Bounded heap of at most cap entries whose root is the worst kept one. */
static void heap_push(double *hs, int32_t *hi, size_t *size, size_t cap, double s, int32_t id) {
  size_t i;
  if (*size == cap) {
    if (worse(hs[0], hi[0], s, id)) sift_down(hs, hi, cap, 0, s, id);
    return;
  }
  i = (*size)++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!worse(s, id, hs[up], hi[up])) break;
    hs[i] = hs[up];
    hi[i] = hi[up];
    i = up;
  }
  hs[i] = s;
  hi[i] = id;
}

/* Heapsort in place: repeatedly move the worst (the root) to the end, so
** the entries end up best first.  O(k log k) for any k. */
static void heap_sort_best_first(double *hs, int32_t *hi, size_t size) {
  for (size_t end = size; end > 1; end--) {
    double s = hs[end - 1];
    int32_t id = hi[end - 1];
    hs[end - 1] = hs[0];
    hi[end - 1] = hi[0];
    sift_down(hs, hi, end - 1, 0, s, id);
  }
}

static void *gt_thread(void *arg) {
  gt_job *j = arg;
  size_t d = j->dim, nblk_all = (j->nlist + QB - 1) / QB, nblk = 0;
  double *qt = NULL;
  size_t *sizes = NULL, *blk_ids = NULL;
  j->failed = 1; /* until the end is reached */
  blk_ids = malloc((nblk_all + 1) * sizeof *blk_ids);
  if (!blk_ids) goto cleanup;
  for (size_t b = j->tid; b < nblk_all; b += j->nthreads) blk_ids[nblk++] = b;
  /* Transposed query blocks: qt[blk][i][q], zero-padded. */
  qt = calloc(nblk * d * QB + 1, sizeof *qt);
  sizes = calloc(nblk * QB + 1, sizeof *sizes);
  if (!qt || !sizes) goto cleanup;
  for (size_t b = 0; b < nblk; b++) {
    for (size_t q = 0; q < QB; q++) {
      size_t li = blk_ids[b] * QB + q;
      if (li >= j->nlist) break;
      const float *qv = j->queries + j->list[li] * d;
      for (size_t i = 0; i < d; i++) qt[(b * d + i) * QB + q] = qv[i];
    }
  }
  for (size_t t0 = 0; t0 < j->n; t0 += TILE) {
    size_t t1 = t0 + TILE < j->n ? t0 + TILE : j->n;
    for (size_t b = 0; b < nblk; b++) {
      const double *qb = qt + b * d * QB;
      size_t first = blk_ids[b] * QB;
      size_t nq = j->nlist - first < QB ? j->nlist - first : QB;
      for (size_t r = t0; r < t1; r++) {
        /* Eight named accumulators: compilers keep them in registers
        ** (an array would round-trip through memory every step). */
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        const float *bv = j->base + r * d;
        for (size_t i = 0; i < d; i++) {
          double x = bv[i];
          const double *qq = qb + i * QB;
          a0 += x * qq[0];
          a1 += x * qq[1];
          a2 += x * qq[2];
          a3 += x * qq[3];
          a4 += x * qq[4];
          a5 += x * qq[5];
          a6 += x * qq[6];
          a7 += x * qq[7];
        }
        double acc[QB] = {a0, a1, a2, a3, a4, a5, a6, a7};
        for (size_t q = 0; q < nq; q++) {
          uint64_t qid = j->list[first + q];
          double s = acc[q] * j->binv[r] * j->qinv[qid];
          heap_push(j->score + qid * j->kk, j->id + qid * j->kk, &sizes[b * QB + q], j->kk, s,
                    (int32_t)r);
        }
      }
    }
  }
  for (size_t b = 0; b < nblk; b++) {
    for (size_t q = 0; q < QB && blk_ids[b] * QB + q < j->nlist; q++) {
      uint64_t qid = j->list[blk_ids[b] * QB + q];
      heap_sort_best_first(j->score + qid * j->kk, j->id + qid * j->kk, sizes[b * QB + q]);
    }
  }
  j->failed = 0;
cleanup:
  free(qt);
  free(sizes);
  free(blk_ids);
  return NULL;
}

static double *inverse_norms(const float *v, size_t n, uint32_t d) {
  double *out = malloc((n ? n : 1) * sizeof *out);
  if (!out) return NULL;
  for (size_t r = 0; r < n; r++) {
    double s = 0.0;
    for (uint32_t i = 0; i < d; i++) s += (double)v[r * d + i] * v[r * d + i];
    out[r] = 1.0 / sqrt(s);
  }
  return out;
}

static int ground_truth(const params *p, const float *base, const double *binv,
                        const float *queries, const uint64_t *list, size_t nlist, size_t kk,
                        double *score, int32_t *id) {
  gt_job jobs[64];
  double *qinv = inverse_norms(queries, p->nq, p->dim);
  int rc = -1;
  if (!qinv) return -1;
  for (size_t t = 0; t < p->threads; t++) {
    jobs[t] = (gt_job){base,  queries, binv,  qinv, p->n, p->dim,     list,
                       nlist, kk,      score, id,   t,    p->threads, 0};
  }
  if (run_threads(gt_thread, jobs, sizeof jobs[0], p->threads) != 0) goto cleanup;
  for (size_t t = 0; t < p->threads; t++) {
    if (jobs[t].failed) goto cleanup;
  }
  rc = 0;
cleanup:
  free(qinv);
  return rc;
}

/* ---- Output ------------------------------------------------------------- */

static void put_le32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)v;
  b[1] = (unsigned char)(v >> 8);
  b[2] = (unsigned char)(v >> 16);
  b[3] = (unsigned char)(v >> 24);
}

/* Write rows of 4-byte values (floats when fv, else int32) as .fvecs /
** .ivecs to path (a temporary name; renamed by the caller). */
static int write_vecs(const char *path, const float *fv, const int32_t *iv, size_t rows,
                      uint32_t dim) {
  FILE *f = fopen(path, "wb");
  unsigned char *buf = malloc(4 + 4 * (size_t)dim);
  int rc = -1;
  if (!f || !buf) {
    fprintf(stderr, "gen_dataset: %s: %s\n", path, f ? "out of memory" : strerror(errno));
    goto cleanup;
  }
  for (size_t r = 0; r < rows; r++) {
    put_le32(buf, dim);
    for (uint32_t i = 0; i < dim; i++) {
      uint32_t bits;
      if (fv) {
        memcpy(&bits, &fv[r * dim + i], 4);
      } else {
        bits = (uint32_t)iv[r * dim + i];
      }
      put_le32(buf + 4 + 4 * (size_t)i, bits);
    }
    if (fwrite(buf, 4 + 4 * (size_t)dim, 1, f) != 1) {
      fprintf(stderr, "gen_dataset: %s: write failed: %s\n", path, strerror(errno));
      goto cleanup;
    }
  }
  if (fflush(f) != 0) {
    fprintf(stderr, "gen_dataset: %s: write failed: %s\n", path, strerror(errno));
    goto cleanup;
  }
  rc = 0;
cleanup:
  if (f && fclose(f) != 0 && rc == 0) {
    fprintf(stderr, "gen_dataset: %s: close failed: %s\n", path, strerror(errno));
    rc = -1;
  }
  free(buf);
  return rc;
}

/* ---- Command line ------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
          "Usage: gen_dataset --n N --dim D --out DIR/name [--queries Q] [--clusters C]\n"
          "                   [--seed S] [--k K] [--spread X] [--threads T] [--min-gap G]\n\n"
          "Writes DIR/name_base.fvecs, DIR/name_query.fvecs and DIR/name_gt.ivecs: a\n"
          "deterministic Gaussian mixture of L2-normalised vectors, queries drawn from\n"
          "the same mixture, and the exact top-K base ids per query by cosine\n"
          "(double precision, ties to the smaller id).\n\n"
          "  --n N         base vectors (1..2147483647)\n"
          "  --dim D       dimension (1..%d)\n"
          "  --out P       output prefix DIR/name (DIR must exist)\n"
          "  --queries Q   query vectors (default 1000)\n"
          "  --clusters C  mixture components, 1..N (default 100, at most N)\n"
          "  --seed S      64-bit seed (default 42)\n"
          "  --k K         neighbours per query in the ground truth, 1..N (default 10)\n"
          "  --spread X    within-cluster noise norm relative to the unit centre,\n"
          "                0..10 (default 0.8)\n"
          "  --threads T   worker threads, 1..64 (default 2); output does not depend on it\n"
          "  --min-gap G   redraw queries whose k-th and (k+1)-th cosine differ by < G\n"
          "                (default 0: never)\n",
          MAX_DIM);
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!*s) goto bad;
  for (const char *c = s; *c; c++) {
    if (*c < '0' || *c > '9') goto bad;
    if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) goto bad;
    v = v * 10 + (uint64_t)(*c - '0');
  }
  if (v < min || v > max) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "gen_dataset: %s must be an integer from %llu to %llu, got '%s'\n", name,
          (unsigned long long)min, (unsigned long long)max, s);
  return -1;
}

static int parse_double(const char *name, const char *s, double min, double max, double *out) {
  char *end = NULL;
  double v;
  if (!*s || strspn(s, "0123456789.eE+-") != strlen(s)) goto bad;
  v = strtod(s, &end);
  if (*end || !isfinite(v) || v < min || v > max) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "gen_dataset: %s must be a number from %g to %g, got '%s'\n", name, min, max, s);
  return -1;
}

/* Returns 0 ok, 1 help printed, 2 usage error. */
static int parse_args(int argc, char **argv, params *p) {
  uint64_t dim = 0;
  int have_n = 0, have_clusters = 0;
  *p = (params){0, 1000, 100, 42, 10, 2, 0, 0.8, 0.0, NULL};
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 1;
    }
    if (!v) {
      fprintf(stderr, "gen_dataset: %s\n",
              strncmp(a, "--", 2) == 0 ? "option needs a value" : "unexpected argument");
      return 2;
    }
    if (strcmp(a, "--n") == 0) {
      bad = parse_u64(a, v, 1, INT32_MAX, &p->n);
      have_n = 1;
    } else if (strcmp(a, "--dim") == 0) {
      bad = parse_u64(a, v, 1, MAX_DIM, &dim);
    } else if (strcmp(a, "--queries") == 0) {
      bad = parse_u64(a, v, 1, INT32_MAX, &p->nq);
    } else if (strcmp(a, "--clusters") == 0) {
      bad = parse_u64(a, v, 1, INT32_MAX, &p->clusters);
      have_clusters = 1;
    } else if (strcmp(a, "--seed") == 0) {
      bad = parse_u64(a, v, 0, UINT64_MAX, &p->seed);
    } else if (strcmp(a, "--k") == 0) {
      bad = parse_u64(a, v, 1, INT32_MAX, &p->k);
    } else if (strcmp(a, "--threads") == 0) {
      bad = parse_u64(a, v, 1, 64, &p->threads);
    } else if (strcmp(a, "--spread") == 0) {
      bad = parse_double(a, v, 0.0, 10.0, &p->spread);
    } else if (strcmp(a, "--min-gap") == 0) {
      bad = parse_double(a, v, 0.0, 1.0, &p->min_gap);
    } else if (strcmp(a, "--out") == 0) {
      p->out = v;
    } else {
      fprintf(stderr, "gen_dataset: unknown argument '%s' (try --help)\n", a);
      return 2;
    }
    if (bad) return 2;
  }
  if (!have_n || !dim || !p->out || !*p->out) {
    fprintf(stderr, "gen_dataset: --n, --dim and --out are required (try --help)\n");
    return 2;
  }
  p->dim = (uint32_t)dim;
  if (!have_clusters && p->clusters > p->n) p->clusters = p->n;
  if (p->clusters > p->n || p->k > p->n) {
    fprintf(stderr, "gen_dataset: --clusters and --k must not exceed --n\n");
    return 2;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- Main --------------------------------------------------------------- */

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s", a, b);
  return s;
}

int main(int argc, char **argv) {
  static const char *suffix[3] = {"_base.fvecs", "_query.fvecs", "_gt.ivecs"};
  params p;
  mixture m;
  float *base = NULL, *queries = NULL;
  double *binv = NULL, *score = NULL, min_gap = INFINITY;
  int32_t *ids = NULL, *gt = NULL;
  uint64_t *list = NULL;
  uint32_t *attempts = NULL;
  char *final[3] = {NULL, NULL, NULL}, *tmp[3] = {NULL, NULL, NULL};
  size_t kk, nlist, redrawn = 0, rounds = 0;
  double t0, t_gen, t_gt;
  int rc = 1, a = parse_args(argc, argv, &p);

  if (a == 1) return 0;
  if (a == 2) return 2;
  memset(&m, 0, sizeof m);
  /* One neighbour more than asked, to measure the k / k+1 gap. */
  kk = p.n > p.k ? p.k + 1 : p.k;
  t0 = now_s();
  base = malloc(p.n * p.dim * sizeof *base);
  queries = malloc(p.nq * p.dim * sizeof *queries);
  score = malloc(p.nq * kk * sizeof *score);
  ids = malloc(p.nq * kk * sizeof *ids);
  gt = malloc(p.nq * p.k * sizeof *gt);
  list = malloc(p.nq * sizeof *list);
  attempts = calloc(p.nq, sizeof *attempts);
  for (int i = 0; i < 3; i++) {
    final[i] = join(p.out, suffix[i]);
    tmp[i] = final[i] ? join(final[i], ".tmp") : NULL;
  }
  if (!base || !queries || !score || !ids || !gt || !list || !attempts || !final[2] || !tmp[2] ||
      mixture_init(&m, &p) != 0) {
    fprintf(stderr, "gen_dataset: out of memory\n");
    goto cleanup;
  }
  if (draw_rows(&m, &p, KIND_BASE, NULL, p.n, NULL, base) != 0 ||
      !(binv = inverse_norms(base, p.n, p.dim))) {
    fprintf(stderr, "gen_dataset: out of memory or threads\n");
    goto cleanup;
  }
  t_gen = now_s() - t0;

  t0 = now_s();
  for (size_t q = 0; q < p.nq; q++) list[q] = q;
  nlist = p.nq;
  for (;;) {
    rounds++;
    if (draw_rows(&m, &p, KIND_QUERY, list, nlist, attempts, queries) != 0 ||
        ground_truth(&p, base, binv, queries, list, nlist, kk, score, ids) != 0) {
      fprintf(stderr, "gen_dataset: out of memory or threads\n");
      goto cleanup;
    }
    if (p.min_gap <= 0.0 || kk == p.k) break;
    size_t again = 0;
    for (size_t i = 0; i < nlist; i++) {
      uint64_t q = list[i];
      if (score[q * kk + p.k - 1] - score[q * kk + p.k] < p.min_gap) {
        list[again++] = q;
        attempts[q]++;
      }
    }
    if (again == 0) break;
    redrawn += again;
    if (rounds == MAX_ATTEMPTS) {
      fprintf(stderr,
              "gen_dataset: %zu queries still have a k/k+1 gap below %g after %d draws; "
              "lower --min-gap\n",
              again, p.min_gap, MAX_ATTEMPTS);
      goto cleanup;
    }
    nlist = again;
  }
  for (size_t q = 0; q < p.nq; q++) {
    if (kk > p.k) {
      double gap = score[q * kk + p.k - 1] - score[q * kk + p.k];
      if (gap < min_gap) min_gap = gap;
    }
    memcpy(gt + q * p.k, ids + q * kk, p.k * sizeof *gt);
  }
  t_gt = now_s() - t0;

  if (write_vecs(tmp[0], base, NULL, p.n, p.dim) != 0 ||
      write_vecs(tmp[1], queries, NULL, p.nq, p.dim) != 0 ||
      write_vecs(tmp[2], NULL, gt, p.nq, (uint32_t)p.k) != 0) {
    goto cleanup;
  }
  for (int i = 0; i < 3; i++) {
    if (rename(tmp[i], final[i]) != 0) {
      fprintf(stderr, "gen_dataset: rename %s: %s\n", final[i], strerror(errno));
      goto cleanup;
    }
  }
  printf(
      "gen_dataset: %llu base + %llu query vectors, dim %u, %llu clusters, seed %llu: "
      "generated in %.2f s, exact top-%llu in %.2f s\n",
      (unsigned long long)p.n, (unsigned long long)p.nq, p.dim, (unsigned long long)p.clusters,
      (unsigned long long)p.seed, t_gen, (unsigned long long)p.k, t_gt);
  if (kk > p.k) {
    printf(
        "gen_dataset: smallest gap between the %llu-th and %llu-th neighbour score: %.3g"
        " (%zu queries redrawn)\n",
        (unsigned long long)p.k, (unsigned long long)p.k + 1, min_gap, redrawn);
  }
  printf("gen_dataset: wrote %s, %s, %s\n", final[0], final[1], final[2]);
  rc = 0;
cleanup:
  for (int i = 0; i < 3; i++) {
    if (rc != 0 && tmp[i]) remove(tmp[i]);
    free(final[i]);
    free(tmp[i]);
  }
  mixture_free(&m);
  free(base);
  free(queries);
  free(binv);
  free(score);
  free(ids);
  free(gt);
  free(list);
  free(attempts);
  return rc;
}
