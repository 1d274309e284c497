/*
** bench_kernels.c — speed of every available kernel backend.
**
** Two measurements.  Single calls: dot, l2sq and cosine on two vectors
** that stay in L1 cache, repeated until a trial lasts ~2 ms, best of many
** trials kept (short trials and the minimum are the least disturbed by
** other processes on a shared machine), reported as ns per call and as speed-up over the
** scalar reference.  Scans: dot_batch and l2sq_batch over a large array
** (default 100,000 x 384 floats = 154 MB, far beyond the caches), best of
** several passes, reported as milliseconds and GB/s of vector data read —
** the exact search's inner loop, which should run at memory bandwidth.
** Everything is single-threaded.
**
**   bench_kernels [--json] [--rows N] [--dim D] [--trials T]
**
** Set SV_SIMD to see which backend the library would pick; this program
** measures all of them regardless (sv_kernels_by_name).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_vector.h"
#include "vec/kernels.h"

static const char *const names[] = {"scalar", "sse", "avx2", "avx512", "neon", "wasm128"};
#define N_NAMES (sizeof names / sizeof names[0])

static volatile float sink; /* keeps results alive */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long long rng = 88172645463325252ULL;
static float randf(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)(rng >> 40) / (float)(1ULL << 24) * 2.0f - 1.0f;
}

enum { OP_DOT, OP_L2SQ, OP_COSINE };
static const char *const op_names[] = {"dot", "l2sq", "cosine"};

static float call(const sv_kernels *k, int op, const float *a, const float *b, size_t n) {
  switch (op) {
    case OP_DOT:
      return k->dot(a, b, n);
    case OP_L2SQ:
      return k->l2sq(a, b, n);
    default:
      return k->cosine(a, b, n);
  }
}

/* Best ns per call over 4 * `trials` trials of an adaptively chosen length. */
static double time_call(const sv_kernels *k, int op, const float *a, const float *b, size_t n,
                        int trials) {
  size_t reps = 64;
  float acc = 0.0f;
  for (;;) { /* grow until one trial takes ~2 ms */
    double t0 = now_s();
    for (size_t r = 0; r < reps; r++) acc += call(k, op, a, b, n);
    if (now_s() - t0 >= 0.002 || reps > ((size_t)1 << 30)) break;
    reps *= 2;
  }
  double best = 1e30;
  for (int t = 0; t < 4 * trials; t++) {
    double t0 = now_s();
    for (size_t r = 0; r < reps; r++) acc += call(k, op, a, b, n);
    double dt = (now_s() - t0) / (double)reps;
    if (dt < best) best = dt;
  }
  sink = acc;
  return best * 1e9;
}

/* Best seconds for one full pass of a batch kernel over `rows` rows. */
static double time_scan(const sv_kernels *k, int l2, const float *q, const float *base, size_t rows,
                        size_t n, float *out, int trials) {
  double best = 1e30;
  for (int t = 0; t <= trials; t++) { /* pass 0 warms up */
    double t0 = now_s();
    if (l2) {
      k->l2sq_batch(q, base, rows, n, out);
    } else {
      k->dot_batch(q, base, rows, n, out);
    }
    double dt = now_s() - t0;
    if (t > 0 && dt < best) best = dt;
    sink = out[rows - 1];
  }
  return best;
}

int main(int argc, char **argv) {
  int json = 0, trials = 7;
  size_t rows = 100000, scan_dim = 384;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc) {
      scan_dim = strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
      trials = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--json] [--rows N] [--dim D] [--trials T]\n", argv[0]);
      return 2;
    }
  }
  if (rows < 1 || scan_dim < 1 || scan_dim > SV_MAX_DIM || trials < 1 ||
      rows > SIZE_MAX / sizeof(float) / scan_dim) {
    fprintf(stderr, "bench_kernels: rows, dim and trials must be positive (dim <= %d)\n",
            SV_MAX_DIM);
    return 2;
  }

  static const size_t dims[] = {384, 1536};
  float *a = malloc(1536 * sizeof(float)), *b = malloc(1536 * sizeof(float));
  float *base = malloc(rows * scan_dim * sizeof(float)), *q = malloc(scan_dim * sizeof(float));
  float *out = malloc(rows * sizeof(float));
  if (!a || !b || !base || !q || !out) {
    fprintf(stderr, "bench_kernels: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < 1536; i++) a[i] = randf(), b[i] = randf();
  for (size_t i = 0; i < scan_dim; i++) q[i] = randf();
  for (size_t i = 0; i < rows * scan_dim; i++) base[i] = randf();

  const sv_kernels *scalar = sv_kernels_scalar();
  double ref[3][2];
  for (int op = 0; op < 3; op++)
    for (int d = 0; d < 2; d++) ref[op][d] = time_call(scalar, op, a, b, dims[d], trials);

  const char *sep = "";
  if (json) {
    printf("{\"selected\":\"%s\",\"calls\":[", sv_simd_backend());
  } else {
    printf("selected backend: %s\n\n%-8s %-7s %6s %10s %9s\n", sv_simd_backend(), "backend", "op",
           "dim", "ns/call", "speedup");
  }
  for (size_t i = 0; i < N_NAMES; i++) {
    const sv_kernels *k = sv_kernels_by_name(names[i]);
    if (!k) continue;
    for (int op = 0; op < 3; op++) {
      for (int d = 0; d < 2; d++) {
        double ns = k == scalar ? ref[op][d] : time_call(k, op, a, b, dims[d], trials);
        if (json) {
          printf(
              "%s{\"backend\":\"%s\",\"op\":\"%s\",\"dim\":%zu,\"ns\":%.2f,"
              "\"speedup\":%.2f}",
              sep, k->name, op_names[op], dims[d], ns, ref[op][d] / ns);
          sep = ",";
        } else {
          printf("%-8s %-7s %6zu %10.1f %8.1fx\n", k->name, op_names[op], dims[d], ns,
                 ref[op][d] / ns);
        }
      }
    }
  }

  double mb = (double)rows * (double)scan_dim * sizeof(float) / 1e6;
  if (json) {
    printf("],\"scans\":[");
  } else {
    printf(
        "\nscan: %zu rows x %zu dims = %.0f MB, best of %d passes\n%-8s "
        "%-11s %9s %8s\n",
        rows, scan_dim, mb, trials, "backend", "op", "ms", "GB/s");
  }
  sep = "";
  for (size_t i = 0; i < N_NAMES; i++) {
    const sv_kernels *k = sv_kernels_by_name(names[i]);
    if (!k) continue;
    for (int l2 = 0; l2 <= 1; l2++) {
      double s = time_scan(k, l2, q, base, rows, scan_dim, out, trials);
      const char *op = l2 ? "l2sq_batch" : "dot_batch";
      if (json) {
        printf(
            "%s{\"backend\":\"%s\",\"op\":\"%s\",\"rows\":%zu,\"dim\":%zu,"
            "\"ms\":%.3f,"
            "\"gbps\":%.2f}",
            sep, k->name, op, rows, scan_dim, s * 1e3, mb / 1e3 / s);
        sep = ",";
      } else {
        printf("%-8s %-11s %9.2f %8.2f\n", k->name, op, s * 1e3, mb / 1e3 / s);
      }
    }
  }
  if (json) printf("]}\n");
  free(a);
  free(b);
  free(base);
  free(q);
  free(out);
  return 0;
}
