/*
** clock.c — wall clock and HLC arithmetic (see clock.h).
**
** The physical part is clamped to 47 bits so `ms << 16` can never overflow
** an int64 even with a wildly wrong system clock; a `last` already at the
** maximum stays there rather than wrapping negative (that would need ~4
** million years of writes at 65536 per millisecond).
*/
#include "util/clock.h"

#include <time.h>

#define SV_HLC_MAX_MS ((INT64_C(1) << 47) - 1)

int64_t sv_clock_ms(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
  return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

int64_t sv_hlc_next(int64_t last, int64_t now_ms) {
  if (now_ms < 0) now_ms = 0;
  if (now_ms > SV_HLC_MAX_MS) now_ms = SV_HLC_MAX_MS;
  int64_t phys = now_ms << 16;
  if (last < 0) last = 0;
  if (last == INT64_MAX) return last;
  return phys > last ? phys : last + 1;
}
