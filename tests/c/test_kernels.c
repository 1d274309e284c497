/*
** test_kernels.c — every available SIMD backend against the scalar
** reference, the run-time dispatch, and the public vector-math API.
**
** The kernels are checked property-style: random vectors at every
** dimension 1..70 (all tail lengths of every register width) plus the
** common embedding sizes up to SV_MAX_DIM, at unit, tiny and huge scales
** and with components of wildly mixed magnitude, from aligned and
** unaligned addresses.  A SIMD sum is a reordering of the reference sum,
** so it may differ by rounding only: dot and cosine are held to 1e-5
** relative to the sum of |a_i*b_i| (the size of the terms being added,
** which is what bounds the reordering error, even when the result itself
** cancels to near zero); l2sq, a sum of non-negative terms, to 1e-5 of
** itself.  Vectors are also placed flush against a PROT_NONE page, so a
** kernel that reads one float past the end crashes the suite rather than
** passing by luck.  The batch kernels must equal the one-row kernel bit
** for bit (the search and sv_vector_score() report the same number).
**
** SV_SIMD is read once per process, so the override is tested in forked
** children that set it before their first kernel call; the parent makes
** no dispatching call until those children are done.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MAP_ANONYMOUS */
#endif
#include <float.h>
#include <stdint.h>

/* The WASI build of this suite (wasm32-wasi + node) has no fork, threads
** or page protection; it runs the numeric checks only. */
#if !defined(__wasm__)
#define HAVE_POSIX 1
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "sqlite_vector.h"
#include "sv_test.h"
#include "vec/kernels.h"

static const char *const backend_names[] = {"avx512", "avx2", "sse", "neon", "wasm128", "scalar"};
#define N_BACKENDS (sizeof backend_names / sizeof backend_names[0])

static unsigned long long seed = 42;

/* ---- Reference quantities computed here, independently of the library -- */

static double abs_dot_sum(const float *a, const float *b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += fabs((double)a[i] * (double)b[i]);
  return s;
}

static double norm(const float *a, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * (double)a[i];
  return sqrt(s);
}

/* Fill with one of several value distributions. */
enum { DIST_UNIT, DIST_TINY, DIST_HUGE, DIST_MIXED, DIST_COUNT };
static const char *const dist_names[] = {"unit", "tiny", "huge", "mixed"};

static void fill(float *v, size_t n, int dist) {
  for (size_t i = 0; i < n; i++) {
    float x = sv_test_randf(&seed);
    switch (dist) {
      case DIST_TINY:
        x *= 1e-9f;
        break;
      case DIST_HUGE:
        x *= 1e9f;
        break;
      case DIST_MIXED:
        x = ldexpf(x, (int)(sv_test_rand(&seed) % 41) - 20);
        break;
      default:
        break;
    }
    v[i] = x;
  }
}

static int close_to(double got, double want, double scale) {
  /* 1e-5 of the scale, plus a couple of float ulps of the value itself
  ** for the final rounding of both results to float. */
  double tol = 1e-5 * scale + 4.0 * FLT_EPSILON * fabs(want) + 1e-37;
  return fabs(got - want) <= tol;
}

/* ---- Kernel properties ------------------------------------------------- */

static void check_pair(const sv_kernels *k, const float *a, const float *b, size_t n,
                       const char *what) {
  const sv_kernels *ref = sv_kernels_scalar();
  double s = abs_dot_sum(a, b, n);
  float d = k->dot(a, b, n), dr = ref->dot(a, b, n);
  CHECK(close_to(d, dr, s), "%s dot %s n=%zu: %.9g vs ref %.9g", k->name, what, n, d, dr);

  float l = k->l2sq(a, b, n), lr = ref->l2sq(a, b, n);
  CHECK(close_to(l, lr, lr), "%s l2sq %s n=%zu: %.9g vs ref %.9g", k->name, what, n, l, lr);

  float c = k->cosine(a, b, n), cr = ref->cosine(a, b, n);
  double na = norm(a, n), nb = norm(b, n);
  double cs = (na > 0 && nb > 0) ? s / (na * nb) + fabs(cr) : 0.0;
  CHECK(close_to(c, cr, cs), "%s cosine %s n=%zu: %.9g vs ref %.9g", k->name, what, n, c, cr);
  CHECK(c >= -1.0f && c <= 1.0f, "%s cosine out of range %.9g", k->name, c);
}

static void test_pairs(const sv_kernels *k) {
  static const size_t big[] = {96, 128, 384, 767, 768, 1536, 4096, SV_MAX_DIM};
  size_t dims[70 + sizeof big / sizeof big[0]], nd = 0;
  for (size_t n = 1; n <= 70; n++) dims[nd++] = n;
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) dims[nd++] = big[i];

  /* One spare float in front lets the same vectors start off alignment. */
  float *abuf = malloc((SV_MAX_DIM + 1) * sizeof(float));
  float *bbuf = malloc((SV_MAX_DIM + 1) * sizeof(float));
  if (!abuf || !bbuf) {
    CHECK(0, "out of memory");
    free(abuf);
    free(bbuf);
    return;
  }
  for (size_t di = 0; di < nd; di++) {
    size_t n = dims[di];
    for (int dist = 0; dist < DIST_COUNT; dist++) {
      for (int off = 0; off <= 1; off++) {
        float *a = abuf + off, *b = bbuf + off;
        fill(a, n, dist);
        fill(b, n, dist);
        check_pair(k, a, b, n, dist_names[dist]);
      }
    }
  }
  /* Identical, opposite, parallel and zero vectors. */
  for (size_t n = 1; n <= 70; n += 3) {
    fill(abuf, n, DIST_UNIT);
    for (size_t i = 0; i < n; i++) bbuf[i] = 3.0f * abuf[i];
    float c = k->cosine(abuf, bbuf, n);
    CHECK(fabsf(c - 1.0f) <= 1e-5f && c <= 1.0f, "%s cosine parallel n=%zu: %.9g", k->name, n, c);
    for (size_t i = 0; i < n; i++) bbuf[i] = -abuf[i];
    c = k->cosine(abuf, bbuf, n);
    CHECK(fabsf(c + 1.0f) <= 1e-5f && c >= -1.0f, "%s cosine opposite n=%zu: %.9g", k->name, n, c);
    CHECK(k->l2sq(abuf, abuf, n) == 0.0f, "%s l2sq(a,a) n=%zu not 0", k->name, n);
    memset(bbuf, 0, n * sizeof(float));
    CHECK(k->cosine(abuf, bbuf, n) == 0.0f, "%s cosine with zero vector n=%zu", k->name, n);
    CHECK(k->cosine(bbuf, bbuf, n) == 0.0f, "%s cosine zero/zero n=%zu", k->name, n);
    CHECK(k->dot(abuf, bbuf, n) == 0.0f, "%s dot with zero n=%zu", k->name, n);
  }
  free(abuf);
  free(bbuf);
}

#ifdef HAVE_POSIX
/* Vectors that end exactly where an inaccessible page begins. */
static void test_page_edge(const sv_kernels *k) {
  long page = sysconf(_SC_PAGESIZE);
  size_t len = 2 * (size_t)page;
  unsigned char *map =
      mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    CHECK(0, "mmap failed");
    return;
  }
  /* Two regions, each one read/write page followed by a PROT_NONE page. */
  int prot_ok = mprotect(map + page, (size_t)page, PROT_NONE) == 0 &&
                mprotect(map + len + page, (size_t)page, PROT_NONE) == 0;
  CHECK(prot_ok, "mprotect failed");
  if (prot_ok) {
    float *aend = (float *)(void *)(map + page), *bend = (float *)(void *)(map + len + page);
    size_t maxn = (size_t)page / sizeof(float);
    for (size_t n = 1; n <= 70 && n <= maxn; n++) {
      float *a = aend - n, *b = bend - n;
      fill(a, n, DIST_UNIT);
      fill(b, n, DIST_UNIT);
      check_pair(k, a, b, n, "page-edge");
      /* Batch: rows packed so the last row ends at the guard page. */
      size_t rows = maxn / n < 5 ? maxn / n : 5;
      float *base = bend - rows * n, out[5];
      fill(base, rows * n, DIST_UNIT);
      k->dot_batch(a, base, rows, n, out);
      k->l2sq_batch(a, base, rows, n, out);
    }
  }
  munmap(map, 2 * len);
}
#endif

static void test_batch(const sv_kernels *k) {
  static const size_t dims[] = {1,  2,  3,  5,  7,  8,  9,   15,  16,
                                17, 31, 33, 63, 64, 65, 100, 384, 1536};
  const size_t max_rows = 37;
  const sv_kernels *ref = sv_kernels_scalar();
  for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
    size_t n = dims[di];
    float *q = malloc((n + 1) * sizeof(float));
    float *base = malloc((max_rows * n + 1) * sizeof(float));
    float out[37 + 1], out2[37 + 1];
    if (!q || !base) {
      CHECK(0, "out of memory");
      free(q);
      free(base);
      return;
    }
    for (int off = 0; off <= 1; off++) {
      float *qq = q + off, *bb = base + off;
      fill(qq, n, DIST_UNIT);
      fill(bb, max_rows * n, DIST_UNIT);
      for (size_t rows = 0; rows <= max_rows; rows += (rows < 9 ? 1 : 14)) {
        out[rows] = out2[rows] = -12345.0f; /* sentinel just past the end */
        k->dot_batch(qq, bb, rows, n, out);
        k->l2sq_batch(qq, bb, rows, n, out2);
        CHECK(out[rows] == -12345.0f && out2[rows] == -12345.0f,
              "%s batch wrote past out[%zu] (n=%zu)", k->name, rows, n);
        for (size_t r = 0; r < rows; r++) {
          const float *row = bb + r * n;
          float d1 = k->dot(qq, row, n), l1 = k->l2sq(qq, row, n);
          CHECK(out[r] == d1, "%s dot_batch row %zu/%zu n=%zu: %.9g != dot %.9g", k->name, r, rows,
                n, out[r], d1);
          CHECK(out2[r] == l1, "%s l2sq_batch row %zu/%zu n=%zu: %.9g != l2sq %.9g", k->name, r,
                rows, n, out2[r], l1);
          float dr = ref->dot(qq, row, n), lr = ref->l2sq(qq, row, n);
          CHECK(close_to(out[r], dr, abs_dot_sum(qq, row, n)), "%s dot_batch vs ref n=%zu", k->name,
                n);
          CHECK(close_to(out2[r], lr, lr), "%s l2sq_batch vs ref n=%zu", k->name, n);
        }
      }
    }
    free(q);
    free(base);
  }
}

/* Exact small cases every backend must get right to the last bit. */
static void test_exact(const sv_kernels *k) {
  const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
  CHECK(k->dot(a, b, 3) == 32.0f, "%s dot", k->name);
  CHECK(k->l2sq(a, b, 3) == 27.0f, "%s l2sq", k->name);
  float c = k->cosine(a, b, 3);
  CHECK(fabsf(c - (float)(32.0 / sqrt(14.0 * 77.0))) <= 1e-6f, "%s cosine %.9g", k->name, c);
  const float one = 2.0f, two = 3.0f;
  CHECK(k->dot(&one, &two, 1) == 6.0f && k->l2sq(&one, &two, 1) == 1.0f, "%s n=1", k->name);
}

/* ---- Dispatch ---------------------------------------------------------- */

static const sv_kernels *best_available(void) {
  for (size_t i = 0; i < N_BACKENDS; i++) {
    const sv_kernels *k = sv_kernels_by_name(backend_names[i]);
    if (k) return k;
  }
  return NULL;
}

#ifdef HAVE_POSIX
/* In a child: set SV_SIMD (or unset it for NULL), then ask. */
static int child_backend_is(const char *env, const char *want) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    if (env) {
      setenv("SV_SIMD", env, 1);
    } else {
      unsetenv("SV_SIMD");
    }
    const char *got = sv_simd_backend();
    int ok = got && strcmp(got, want) == 0 && sv_kernels_active() == sv_kernels_by_name(got);
    if (!ok) fprintf(stderr, "SV_SIMD=%s: got %s want %s\n", env ? env : "(unset)", got, want);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void *race_active(void *arg) {
  (void)arg;
  return (void *)sv_kernels_active();
}
#endif

static void test_dispatch(void) {
  const sv_kernels *best = best_available();
  CHECK(best != NULL, "no backend available");
  if (!best) return;
  CHECK(sv_kernels_scalar() != NULL && strcmp(sv_kernels_scalar()->name, "scalar") == 0,
        "scalar table");
  CHECK(sv_kernels_by_name("scalar") == sv_kernels_scalar(), "by_name(scalar)");
  CHECK(sv_kernels_by_name(NULL) == NULL, "by_name(NULL)");
  CHECK(sv_kernels_by_name("") == NULL && sv_kernels_by_name("AVX2") == NULL &&
            sv_kernels_by_name("mmx") == NULL,
        "by_name(unknown)");
  for (size_t i = 0; i < N_BACKENDS; i++) {
    const sv_kernels *k = sv_kernels_by_name(backend_names[i]);
    CHECK(!k || strcmp(k->name, backend_names[i]) == 0, "by_name(%s) name", backend_names[i]);
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  CHECK(!__builtin_cpu_supports("sse4.1") || sv_kernels_by_name("sse"), "sse missing");
  CHECK(!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ||
            sv_kernels_by_name("avx2"),
        "avx2 missing");
  CHECK((__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl")) ||
            !sv_kernels_by_name("avx512"),
        "avx512 offered without CPU support");
  CHECK(!sv_kernels_by_name("neon") && !sv_kernels_by_name("wasm128"), "foreign ISA offered");
#endif

#ifdef HAVE_POSIX
  /* The override, each in a fresh child process. */
  CHECK(child_backend_is(NULL, best->name), "default is best (%s)", best->name);
  CHECK(child_backend_is("", best->name), "empty SV_SIMD");
  CHECK(child_backend_is("bogus", best->name), "unknown SV_SIMD");
  for (size_t i = 0; i < N_BACKENDS; i++) {
    const sv_kernels *k = sv_kernels_by_name(backend_names[i]);
    const char *want = k ? k->name : best->name;
    CHECK(child_backend_is(backend_names[i], want), "SV_SIMD=%s -> %s", backend_names[i], want);
  }

  /* First use from several threads at once: all see the same table. */
  pthread_t th[4];
  void *res[4] = {0};
  int started = 0;
  for (int i = 0; i < 4; i++)
    if (pthread_create(&th[i], NULL, race_active, NULL) == 0) started++;
  for (int i = 0; i < started; i++) pthread_join(th[i], &res[i]);
  for (int i = 0; i < started; i++) CHECK(res[i] == (void *)sv_kernels_active(), "thread %d", i);
#else
  CHECK(getenv("SV_SIMD") || sv_kernels_active() == best, "default is best (%s)", best->name);
#endif
  CHECK(strcmp(sv_simd_backend(), sv_kernels_active()->name) == 0, "sv_simd_backend");
  printf("active backend: %s\n", sv_simd_backend());
}

/* ---- Public vector API ------------------------------------------------- */

static void test_vector_api(void) {
  const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, z[3] = {0, 0, 0};
  float out = -7.0f;

  CHECK_RC(sv_vector_check(a, 3), SV_OK);
  CHECK_RC(sv_vector_check(NULL, 3), SV_EINVAL);
  CHECK_RC(sv_vector_check(a, 0), SV_EINVAL);
  CHECK_RC(sv_vector_check(z, 3), SV_OK);
  float bad[4] = {1, 2, 3, 4};
  bad[2] = NAN;
  CHECK_RC(sv_vector_check(bad, 4), SV_EINVAL);
  bad[2] = INFINITY;
  CHECK_RC(sv_vector_check(bad, 4), SV_EINVAL);
  bad[2] = -INFINITY;
  CHECK_RC(sv_vector_check(bad, 4), SV_EINVAL);
  bad[2] = FLT_MAX;
  bad[3] = 1e-45f; /* a denormal is finite */
  CHECK_RC(sv_vector_check(bad, 4), SV_OK);
  float *big = calloc(SV_MAX_DIM + 1, sizeof(float));
  if (big) {
    CHECK_RC(sv_vector_check(big, SV_MAX_DIM), SV_OK);
    CHECK_RC(sv_vector_check(big, SV_MAX_DIM + 1), SV_EINVAL);
    free(big);
  }

  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, b, 3, &out), SV_OK);
  CHECK(out == 32.0f, "dot %g", out);
  CHECK_RC(sv_vector_score(SV_METRIC_L2, a, b, 3, &out), SV_OK);
  CHECK(fabsf(out - sqrtf(27.0f)) <= 1e-6f, "l2 %g", out);
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, a, b, 3, &out), SV_OK);
  CHECK(fabsf(out - (float)(32.0 / sqrt(14.0 * 77.0))) <= 1e-6f, "cosine %g", out);
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, a, a, 3, &out), SV_OK);
  CHECK(fabsf(out - 1.0f) <= 1e-6f, "cosine self %g", out);

  out = -7.0f;
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, a, z, 3, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, z, a, 3, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, NULL, b, 3, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, NULL, 3, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, b, 3, NULL), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, b, 0, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score(SV_METRIC_UNSET, a, b, 3, &out), SV_EINVAL);
  CHECK_RC(sv_vector_score((sv_metric)99, a, b, 3, &out), SV_EINVAL);
  bad[0] = 1;
  bad[1] = NAN;
  CHECK_RC(sv_vector_score(SV_METRIC_L2, bad, bad, 4, &out), SV_EINVAL);
  bad[1] = INFINITY;
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, bad, 3, &out), SV_EINVAL);
  CHECK(out == -7.0f, "out changed on failure");
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, a, z, 3, &out), SV_OK);
  CHECK(out == 0.0f, "dot with zero vector");
  CHECK_RC(sv_vector_score(SV_METRIC_L2, z, z, 3, &out), SV_OK);
  CHECK(out == 0.0f, "l2 zero/zero");

  /* Extreme magnitudes: float accumulation would over/underflow. */
  float h1[3] = {3e37f, 4e37f, 0}, h2[3] = {4e37f, -3e37f, 1e37f};
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, h1, h1, 3, &out), SV_OK);
  CHECK(fabsf(out - 1.0f) <= 1e-6f, "huge cosine self %g", out);
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, h1, h2, 3, &out), SV_OK);
  CHECK(fabsf(out) <= 1e-6f, "huge cosine orthogonal %g", out);
  out = -7.0f;
  CHECK_RC(sv_vector_score(SV_METRIC_DOT, h1, h1, 3, &out), SV_EINVAL); /* 2.5e75 */
  CHECK(out == -7.0f, "out changed on overflow");
  CHECK_RC(sv_vector_score(SV_METRIC_L2, h1, h2, 3, &out), SV_OK); /* its square is no float */
  CHECK(fabsf(out - 7.1414284e37f) <= 1e32f, "huge l2 %g", out);
  float t1[2] = {3e-30f, 4e-30f}, t2[2] = {6e-30f, 8e-30f};
  CHECK_RC(sv_vector_score(SV_METRIC_COSINE, t1, t2, 2, &out), SV_OK);
  CHECK(fabsf(out - 1.0f) <= 1e-6f, "tiny cosine %g", out);
  CHECK_RC(sv_vector_score(SV_METRIC_L2, t1, t2, 2, &out), SV_OK);
  CHECK(fabsf(out - 5e-30f) <= 5e-36f, "tiny l2 %g", out);

  /* Normalisation. */
  float v[3] = {3, 0, 4};
  CHECK_RC(sv_vector_normalize(v, 3), SV_OK);
  CHECK(fabsf(v[0] - 0.6f) <= 1e-7f && v[1] == 0.0f && fabsf(v[2] - 0.8f) <= 1e-7f,
        "normalize %g %g %g", v[0], v[1], v[2]);
  float zz[3] = {0, 0, 0};
  CHECK_RC(sv_vector_normalize(zz, 3), SV_EINVAL);
  float nv[3] = {1, NAN, 2};
  CHECK_RC(sv_vector_normalize(nv, 3), SV_EINVAL);
  CHECK(nv[0] == 1.0f && nv[2] == 2.0f, "normalize changed a rejected vector");
  CHECK_RC(sv_vector_normalize(NULL, 3), SV_EINVAL);
  CHECK_RC(sv_vector_normalize(v, 0), SV_EINVAL);
  float hv[2] = {3e38f, 3e38f}, dv[2] = {1e-45f, 0};
  CHECK_RC(sv_vector_normalize(hv, 2), SV_OK);
  CHECK(fabsf(hv[0] - 0.70710678f) <= 1e-6f, "normalize huge %g", hv[0]);
  CHECK_RC(sv_vector_normalize(dv, 2), SV_OK);
  CHECK(dv[0] == 1.0f && dv[1] == 0.0f, "normalize denormal %g", dv[0]);
  unsigned long long s2 = 7;
  float r[384];
  for (int i = 0; i < 384; i++) r[i] = sv_test_randf(&s2) * 100.0f;
  CHECK_RC(sv_vector_normalize(r, 384), SV_OK);
  CHECK(fabs(norm(r, 384) - 1.0) <= 1e-6, "normalized norm %g", norm(r, 384));
}

static void test_names(void) {
  sv_metric m = SV_METRIC_UNSET;
  static const sv_metric all[] = {SV_METRIC_COSINE, SV_METRIC_L2, SV_METRIC_DOT};
  for (int i = 0; i < 3; i++) {
    m = SV_METRIC_UNSET;
    CHECK_RC(sv_metric_parse(sv_metric_name(all[i]), &m), SV_OK);
    CHECK(m == all[i], "round trip %d", (int)all[i]);
  }
  CHECK(strcmp(sv_metric_name(SV_METRIC_COSINE), "cosine") == 0, "cosine name");
  CHECK(strcmp(sv_metric_name(SV_METRIC_L2), "l2") == 0, "l2 name");
  CHECK(strcmp(sv_metric_name(SV_METRIC_DOT), "dot") == 0, "dot name");
  CHECK(sv_metric_name(SV_METRIC_UNSET) != NULL && sv_metric_name((sv_metric)42) != NULL,
        "names never NULL");
  CHECK_RC(sv_metric_parse("COSINE", &m), SV_OK);
  CHECK(m == SV_METRIC_COSINE, "case-insensitive");
  CHECK_RC(sv_metric_parse("L2", &m), SV_OK);
  m = SV_METRIC_DOT;
  CHECK_RC(sv_metric_parse("euclidean", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("l2 ", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("cos", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("cosines", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("unset", &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse(NULL, &m), SV_EINVAL);
  CHECK_RC(sv_metric_parse("dot", NULL), SV_EINVAL);
  CHECK(m == SV_METRIC_DOT, "out changed on failure");

  static const char *const codes[] = {"SV_OK",    "SV_EINVAL", "SV_EDIM",      "SV_ENOTFOUND",
                                      "SV_EIO",   "SV_ENOMEM", "SV_EEXIST",    "SV_EFORMAT",
                                      "SV_EBUSY", "SV_EJSON",  "SV_EREADONLY", "SV_EINTERNAL"};
  for (int i = 0; i <= SV_EINTERNAL; i++)
    CHECK(strcmp(sv_errstr(i), codes[i]) == 0, "errstr(%d) = %s", i, sv_errstr(i));
  CHECK(sv_errstr(-1) != NULL && sv_errstr(SV_EINTERNAL + 1) != NULL && sv_errstr(1 << 30),
        "errstr of unknown codes");
  CHECK(strcmp(sv_errstr(SV_EINTERNAL + 1), "SV_EINTERNAL") != 0, "unknown is not a real name");
}

int main(void) {
  /* Dispatch first: its children must be forked before this process
  ** makes its own choice. */
  test_dispatch();
  for (size_t i = 0; i < N_BACKENDS; i++) {
    const sv_kernels *k = sv_kernels_by_name(backend_names[i]);
    if (!k) continue;
    printf("testing backend %s\n", k->name);
    test_exact(k);
    test_pairs(k);
#ifdef HAVE_POSIX
    test_page_edge(k);
#endif
    test_batch(k);
  }
  test_vector_api();
  test_names();
  return sv_test_done("kernels");
}
