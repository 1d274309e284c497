/*
** err.h — per-handle, per-thread "last error" messages.
**
** The public contract is that sv_errmsg(handle) returns the message of the
** last failed call the *calling thread* made on that handle, and that it is
** safe while other threads use the same handle.  One buffer per handle
** cannot give that: a failure in thread B would overwrite the message
** thread A is about to print.  So each failure is written twice: into a
** thread-local buffer tagged with the handle's unique tag, and into the
** handle's own buffer (under a small mutex).  sv_errmsg() returns the
** thread-local text when its tag names this handle — the common case — and
** otherwise the handle's copy, which is the best answer left (for example
** when a thread asks about a failure another thread produced).
**
** Tags come from a process-wide counter rather than the handle's address,
** so a new handle that happens to reuse a freed handle's memory cannot
** inherit a stale thread-local message.  Builds without threads
** (SV_NO_THREADS) get the same behaviour with plain statics.
*/
#ifndef SV_UTIL_ERR_H
#define SV_UTIL_ERR_H

#include <stdarg.h>
#include <stdint.h>

#include "util/lock.h"

#define SV_ERRMSG_MAX 512

typedef struct sv_err {
  uint64_t tag; /* unique per handle, never 0 */
  sv_mutex mu;  /* guards msg */
  int has_msg;
  char msg[SV_ERRMSG_MAX];
} sv_err;

/* Give e a fresh tag and an empty message.  Returns 0, or -1 when the
** mutex could not be created. */
int sv_err_init(sv_err *e);
void sv_err_destroy(sv_err *e);

/* Record a printf-style message (truncated to SV_ERRMSG_MAX - 1 bytes) for
** the calling thread and as the handle's latest. */
void sv_err_setv(sv_err *e, const char *fmt, va_list ap);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sv_err_set(sv_err *e, const char *fmt, ...);

/* The calling thread's last message for e, else e's latest, else
** "not an error".  Never NULL. */
const char *sv_err_get(const sv_err *e);

#endif /* SV_UTIL_ERR_H */
