/*
** dispatch.c — pick the kernel table once per process.
**
** The choice is a pure function of the CPU and of the SV_SIMD environment
** variable, so it is computed on first use and cached in an atomic
** pointer.  Two threads racing on the first call both compute the same
** table and store the same pointer; nothing needs a lock or pthreads, and
** every later call is one acquire load.
**
** Availability has two halves: the backend's translation unit must have
** been compiled for its ISA (its table pointer is non-NULL, see
** kernels_impl.h) and, on x86, the running CPU and OS must support it
** (__builtin_cpu_supports checks CPUID and, for AVX/AVX-512, that the OS
** saves the wider registers).  NEON on aarch64 and SIMD128 on WASM are
** part of the baseline once compiled in.  SV_SIMD names a backend to use
** instead of the best one; a name that is unknown or not available here
** is ignored, so a test asking for avx512 on an AVX2 machine gets avx2 and
** never an illegal instruction.  The library stays silent about it; the
** CLI may warn by comparing sv_simd_backend() with SV_SIMD.
*/
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vec/kernels_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#define SV_X86 1
#endif

/* Best first: the first available entry is the default. */
static const sv_kernels *backend_table(int i) {
  switch (i) {
    case 0:
      return sv_kernels_table_avx512;
    case 1:
      return sv_kernels_table_avx2;
    case 2:
      return sv_kernels_table_sse;
    case 3:
      return sv_kernels_table_neon;
    case 4:
      return sv_kernels_table_wasm128;
    case 5:
      return sv_kernels_table_scalar;
    default:
      return NULL;
  }
}
#define BACKEND_COUNT 6

static int cpu_can_run(const sv_kernels *k) {
#ifdef SV_X86
  __builtin_cpu_init();
  /* The file is built with -mavx512bw/vl too, so the compiler may use
  ** their encodings; every AVX-512 CPU but Xeon Phi has all three. */
  if (k == sv_kernels_table_avx512)
    return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0 &&
           __builtin_cpu_supports("avx512vl") != 0 && __builtin_cpu_supports("fma") != 0;
  if (k == sv_kernels_table_avx2)
    return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
  if (k == sv_kernels_table_sse) return __builtin_cpu_supports("sse4.1") != 0;
#endif
  (void)k;
  return 1;
}

static int available(const sv_kernels *k) {
  return k != NULL && cpu_can_run(k);
}

const sv_kernels *sv_kernels_by_name(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < BACKEND_COUNT; i++) {
    const sv_kernels *k = backend_table(i);
    if (k && strcmp(k->name, name) == 0) return available(k) ? k : NULL;
  }
  return NULL;
}

const sv_kernels *sv_kernels_scalar(void) {
  return sv_kernels_table_scalar;
}

static const sv_kernels *choose(void) {
  const sv_kernels *forced = sv_kernels_by_name(getenv("SV_SIMD"));
  if (forced) return forced;
  for (int i = 0; i < BACKEND_COUNT; i++) {
    const sv_kernels *k = backend_table(i);
    if (available(k)) return k;
  }
  return sv_kernels_table_scalar; /* unreachable: scalar is always there */
}

static _Atomic(const sv_kernels *) active_table = NULL;

const sv_kernels *sv_kernels_active(void) {
  const sv_kernels *k = atomic_load_explicit(&active_table, memory_order_acquire);
  if (!k) {
    k = choose();
    atomic_store_explicit(&active_table, k, memory_order_release);
  }
  return k;
}
