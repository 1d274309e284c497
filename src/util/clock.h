/*
** clock.h — wall-clock milliseconds and the hybrid logical clock.
**
** An HLC value is (unix milliseconds << 16) | counter.  The next value is
** the larger of "now, counter 0" and "last + 1": it tracks wall time when
** the clock moves forward and still increases strictly when the clock
** stalls or steps backwards (the counter absorbs up to 65535 writes per
** millisecond before borrowing from the millisecond field, which keeps the
** order intact).  The library uses only C11 timespec_get() so there is no
** POSIX dependency.
*/
#ifndef SV_UTIL_CLOCK_H
#define SV_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, or 0 when no clock is available. */
int64_t sv_clock_ms(void);

/* The HLC value to issue after `last` at wall time `now_ms`. */
int64_t sv_hlc_next(int64_t last, int64_t now_ms);

#endif /* SV_UTIL_CLOCK_H */
