/*
** bandwidth.c — single-thread sequential read bandwidth, and the scan floor it implies.
**
** An exact k-NN scan reads every stored float once per query, so on a buffer
** far larger than the last-level cache its latency cannot drop below
** bytes / (sequential read bandwidth of one core).  This program measures that
** bandwidth the way the scan experiences it: one thread, one forward pass over
** a large buffer, wide loads, no writes.
**
** The buffer (1 GiB by default, many times any L3) is allocated and touched
** once so page faults are not timed.  Each pass streams the whole buffer
** through a reduction with eight independent accumulators, so the loop is
** bound by loads, not by an add chain; the result is folded into a volatile
** sink so the compiler cannot drop the loads.  Two kernels run, alternating
** pass by pass so both see the same machine state:
**   read — integer adds of 32-byte (AVX2) or 16-byte (SSE2) loads: pure
**          bandwidth; this is the number the floor is computed from;
**   dot  — float fused multiply-adds of the buffer against a repeating
**          384-float query, i.e. what a scan kernel does with the same loads.
** Each kernel reports its best and median pass in GB/s (1 GB = 1e9 bytes).
**
** The measurement runs twice, on a buffer of 4 KiB pages (MADV_NOHUGEPAGE)
** and on one of transparent huge pages (MADV_HUGEPAGE; the 2 MiB pages the
** kernel actually granted are reported): with 4 KiB pages a stream of
** 150 MB touches ~37,000 pages and the page walks cost real bandwidth on
** some machines.  `--pages 4k|huge` runs one of them only.
**
** `--bytes N` (repeatable) prints the floor for an N-byte scan:
** N / best-read-bandwidth of the faster page size, the tightest bound, plus
** the floor at that page size's median.  `--json` prints one JSON object
** instead of text, for bench/run-all.sh.
**
** The AVX2 paths are compiled with a target attribute and chosen at run time,
** so the program runs on any x86-64; other architectures use portable C that
** the compiler may vectorise.  `--isa portable|sse2|avx2` forces a lower path,
** to show how much of the bandwidth narrower loads leave on the table.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BW_X86 1
#else
#define BW_X86 0
#endif

#define BW_MAX_BYTES_ARGS 16
#define BW_QUERY_FLOATS 384

static volatile uint64_t bw_sink;
static volatile float bw_fsink;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- read kernels: sum of all 64-bit words, eight accumulators ---------- */

static uint64_t read_portable(const uint64_t *p, size_t words) {
  uint64_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= words; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += p[i + (size_t)j];
  }
  for (; i < words; i++) acc[0] += p[i];
  uint64_t s = 0;
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

#if BW_X86
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint64_t *p, size_t words) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  __m256i a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  size_t i = 0;
  for (; i + 32 <= words; i += 32) { /* 256 bytes per iteration */
    const __m256i *v = (const __m256i *)(const void *)(p + i);
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + 0));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + 1));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + 2));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + 3));
    a4 = _mm256_add_epi64(a4, _mm256_load_si256(v + 4));
    a5 = _mm256_add_epi64(a5, _mm256_load_si256(v + 5));
    a6 = _mm256_add_epi64(a6, _mm256_load_si256(v + 6));
    a7 = _mm256_add_epi64(a7, _mm256_load_si256(v + 7));
  }
  a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  a4 = _mm256_add_epi64(_mm256_add_epi64(a4, a5), _mm256_add_epi64(a6, a7));
  a0 = _mm256_add_epi64(a0, a4);
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)(void *)lanes, a0);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + read_portable(p + i, words - i);
}

static uint64_t read_sse2(const uint64_t *p, size_t words) {
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  __m128i a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  size_t i = 0;
  for (; i + 16 <= words; i += 16) { /* 128 bytes per iteration */
    const __m128i *v = (const __m128i *)(const void *)(p + i);
    a0 = _mm_add_epi64(a0, _mm_load_si128(v + 0));
    a1 = _mm_add_epi64(a1, _mm_load_si128(v + 1));
    a2 = _mm_add_epi64(a2, _mm_load_si128(v + 2));
    a3 = _mm_add_epi64(a3, _mm_load_si128(v + 3));
    a4 = _mm_add_epi64(a4, _mm_load_si128(v + 4));
    a5 = _mm_add_epi64(a5, _mm_load_si128(v + 5));
    a6 = _mm_add_epi64(a6, _mm_load_si128(v + 6));
    a7 = _mm_add_epi64(a7, _mm_load_si128(v + 7));
  }
  a0 = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
  a4 = _mm_add_epi64(_mm_add_epi64(a4, a5), _mm_add_epi64(a6, a7));
  a0 = _mm_add_epi64(a0, a4);
  uint64_t lanes[2];
  _mm_storeu_si128((__m128i *)(void *)lanes, a0);
  return lanes[0] + lanes[1] + read_portable(p + i, words - i);
}
#endif

/* ---- dot kernels: sum over rows of dot(row, q), rows of BW_QUERY_FLOATS --- */

static float dot_portable(const float *p, size_t rows, const float *q) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t r = 0; r < rows; r++) {
    const float *row = p + r * BW_QUERY_FLOATS;
    for (size_t i = 0; i < BW_QUERY_FLOATS; i += 8) {
      for (int j = 0; j < 8; j++) acc[j] += row[i + (size_t)j] * q[i + (size_t)j];
    }
  }
  float s = 0;
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

#if BW_X86
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *p, size_t rows,
                                                          const float *q) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t r = 0; r < rows; r++) {
    const float *row = p + r * BW_QUERY_FLOATS;
    for (size_t i = 0; i < BW_QUERY_FLOATS; i += 32) {
      a0 = _mm256_fmadd_ps(_mm256_load_ps(row + i), _mm256_load_ps(q + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 8), _mm256_load_ps(q + i + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 16), _mm256_load_ps(q + i + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 24), _mm256_load_ps(q + i + 24), a3);
    }
  }
  a0 = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  float lanes[8];
  _mm256_storeu_ps(lanes, a0);
  float s = 0;
  for (int j = 0; j < 8; j++) s += lanes[j];
  return s;
}
#endif

typedef struct kernel_set {
  const char *isa;
  uint64_t (*read)(const uint64_t *p, size_t words);
  float (*dot)(const float *p, size_t rows, const float *q);
} kernel_set;

/* The widest kernels the CPU runs, capped at `cap` ("portable", "sse2",
** "avx2" or NULL for no cap). */
static kernel_set pick_kernels(const char *cap) {
  kernel_set k = {"portable", read_portable, dot_portable};
  if (cap && !strcmp(cap, "portable")) return k;
#if BW_X86
  __builtin_cpu_init();
  k.isa = "sse2";
  k.read = read_sse2;
  if (cap && !strcmp(cap, "sse2")) return k;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    k.isa = "avx2";
    k.read = read_avx2;
    k.dot = dot_avx2;
  }
#endif
  return k;
}

/* ---- statistics --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Best (maximum) and median of n rates; sorts `v` in place. */
static void best_median(double *v, int n, double *best, double *median) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  *best = v[n - 1];
  *median = (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: bandwidth [--size MiB] [--passes N] [--bytes N]... [--pages P] [--isa I] "
          "[--json]\n"
          "  --size MiB    buffer size (default 1024)\n"
          "  --passes N    timed passes per kernel (default 7)\n"
          "  --bytes N     also print the scan floor for N bytes (repeatable, up to %d)\n"
          "  --pages P     4k | huge | both (default both): madvise NOHUGEPAGE or HUGEPAGE\n"
          "  --isa I       use at most portable|sse2|avx2 kernels\n"
          "  --json        print one JSON object\n",
          BW_MAX_BYTES_ARGS);
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end != '\0' || s[0] == '-') return -1;
  *out = (uint64_t)v;
  return 0;
}

typedef struct page_run {
  const char *pages; /* "4k" or "huge" */
  double read_best, read_median, dot_best, dot_median;
  double huge_mib; /* AnonHugePages actually obtained */
} page_run;

/* AnonHugePages of this process in MiB (from /proc/self/smaps_rollup), or -1. */
static double anon_huge_mib(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  double v = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "AnonHugePages:", 14)) {
      v = strtod(line + 14, NULL) / 1024.0;
      break;
    }
  }
  fclose(f);
  return v;
}

/* Allocate and touch a fresh buffer (huge pages requested or not), time
** `passes` alternating passes of both kernels, release it.  0 on success. */
static int measure(size_t size, uint64_t passes, int huge, const kernel_set *k, page_run *out) {
  int rc = -1;
  double *read_rates = calloc((size_t)passes, sizeof *read_rates);
  double *dot_rates = calloc((size_t)passes, sizeof *dot_rates);
  void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED || !read_rates || !dot_rates) goto done;
  /* Without the request the kernel may still use huge pages when THP is
  ** "always"; NOHUGEPAGE makes the 4k run mean 4 KiB pages everywhere. */
  (void)madvise(buf, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);

  /* Touch every page with finite, non-denormal floats (no zero-page
  ** sharing, no slow floating-point paths in the dot kernel). */
  float *f = buf;
  size_t nf = size / sizeof(float);
  for (size_t i = 0; i < nf; i++) f[i] = (float)((i * 2654435761u) & 1023u) * (1.0f / 1024.0f);
  out->pages = huge ? "huge" : "4k";
  out->huge_mib = anon_huge_mib();

  _Alignas(32) float q[BW_QUERY_FLOATS];
  for (int i = 0; i < BW_QUERY_FLOATS; i++) q[i] = 1.0f / (float)(i + 1);
  size_t words = size / sizeof(uint64_t);
  size_t rows = size / (sizeof(float) * BW_QUERY_FLOATS);

  /* One untimed warm-up pass of each kernel. */
  bw_sink += k->read(buf, words);
  bw_fsink += k->dot(buf, rows, q);
  for (uint64_t p = 0; p < passes; p++) {
    double t0 = now_seconds();
    bw_sink += k->read(buf, words);
    double t1 = now_seconds();
    bw_fsink += k->dot(buf, rows, q);
    double t2 = now_seconds();
    read_rates[p] = (double)size / (t1 - t0) / 1e9;
    dot_rates[p] = (double)(rows * BW_QUERY_FLOATS * sizeof(float)) / (t2 - t1) / 1e9;
  }
  best_median(read_rates, (int)passes, &out->read_best, &out->read_median);
  best_median(dot_rates, (int)passes, &out->dot_best, &out->dot_median);
  rc = 0;
done:
  if (buf != MAP_FAILED) munmap(buf, size);
  free(read_rates);
  free(dot_rates);
  return rc;
}

int main(int argc, char **argv) {
  uint64_t size_mib = 1024, passes = 7;
  uint64_t floor_bytes[BW_MAX_BYTES_ARGS];
  int n_floor = 0, json = 0;
  const char *isa_cap = NULL, *pages = "both";
  page_run runs[2];
  int nruns = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
    if (!strcmp(a, "--size") && v) {
      if (parse_u64(v, &size_mib) || size_mib < 16 || size_mib > 65536) goto bad_arg;
      i++;
    } else if (!strcmp(a, "--passes") && v) {
      if (parse_u64(v, &passes) || passes < 1 || passes > 1000) goto bad_arg;
      i++;
    } else if (!strcmp(a, "--bytes") && v) {
      if (n_floor == BW_MAX_BYTES_ARGS || parse_u64(v, &floor_bytes[n_floor])) goto bad_arg;
      n_floor++;
      i++;
    } else if (!strcmp(a, "--pages") && v) {
      if (strcmp(v, "4k") && strcmp(v, "huge") && strcmp(v, "both")) goto bad_arg;
      pages = v;
      i++;
    } else if (!strcmp(a, "--isa") && v) {
      if (strcmp(v, "portable") && strcmp(v, "sse2") && strcmp(v, "avx2")) goto bad_arg;
      isa_cap = v;
      i++;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else {
      goto bad_arg;
    }
  }

  size_t size = (size_t)size_mib << 20;
  kernel_set k = pick_kernels(isa_cap);
  for (int huge = 0; huge < 2; huge++) {
    if (!strcmp(pages, huge ? "4k" : "huge")) continue;
    if (measure(size, passes, huge, &k, &runs[nruns]) != 0) {
      fprintf(stderr, "bandwidth: cannot allocate %llu MiB\n", (unsigned long long)size_mib);
      return 1;
    }
    nruns++;
  }
  /* The floor comes from the fastest page size: it is a bound. */
  const page_run *top = &runs[0];
  for (int r = 1; r < nruns; r++) {
    if (runs[r].read_best > top->read_best) top = &runs[r];
  }
  double dot_top = 0;
  for (int r = 0; r < nruns; r++) dot_top = runs[r].dot_best > dot_top ? runs[r].dot_best : dot_top;

  if (json) {
    printf("{\"isa\":\"%s\",\"buffer_bytes\":%zu,\"passes\":%llu,\"modes\":[", k.isa, size,
           (unsigned long long)passes);
    for (int r = 0; r < nruns; r++) {
      printf(
          "%s{\"pages\":\"%s\",\"anon_huge_mib\":%.0f,\"read_gbps_best\":%.3f,"
          "\"read_gbps_median\":%.3f,\"dot_gbps_best\":%.3f,\"dot_gbps_median\":%.3f}",
          r ? "," : "", runs[r].pages, runs[r].huge_mib, runs[r].read_best, runs[r].read_median,
          runs[r].dot_best, runs[r].dot_median);
    }
    printf("],\"floor_pages\":\"%s\",\"read_gbps_best\":%.3f,\"read_gbps_median\":%.3f,",
           top->pages, top->read_best, top->read_median);
    printf("\"dot_gbps_best\":%.3f,\"floors\":[", dot_top);
    for (int i = 0; i < n_floor; i++) {
      printf("%s{\"bytes\":%llu,\"floor_ms_best\":%.3f,\"floor_ms_median\":%.3f}", i ? "," : "",
             (unsigned long long)floor_bytes[i],
             (double)floor_bytes[i] / (top->read_best * 1e9) * 1e3,
             (double)floor_bytes[i] / (top->read_median * 1e9) * 1e3);
    }
    printf("]}\n");
  } else {
    printf("sequential read, 1 thread, %llu MiB buffer, %llu passes, %s kernels\n",
           (unsigned long long)size_mib, (unsigned long long)passes, k.isa);
    for (int r = 0; r < nruns; r++) {
      printf(
          "  %-4s pages (%.0f MiB huge): read best %.2f GB/s median %.2f GB/s; dot best %.2f "
          "GB/s median %.2f GB/s\n",
          runs[r].pages, runs[r].huge_mib, runs[r].read_best, runs[r].read_median, runs[r].dot_best,
          runs[r].dot_median);
    }
    for (int i = 0; i < n_floor; i++) {
      printf("  floor for %llu bytes: %.2f ms (best, %s pages)  %.2f ms (median)\n",
             (unsigned long long)floor_bytes[i],
             (double)floor_bytes[i] / (top->read_best * 1e9) * 1e3, top->pages,
             (double)floor_bytes[i] / (top->read_median * 1e9) * 1e3);
    }
  }
  return 0;

bad_arg:
  usage(stderr);
  return 2;
}
