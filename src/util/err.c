/*
** err.c — error-message buffers; see err.h for why there are two copies.
**
** The handle's copy is written under its mutex; sv_err_get() reads it
** without the lock, which is harmless in practice (the buffer is always
** NUL-terminated within its size, so a torn read is at worst a mixed
** message) and avoids handing the caller a pointer that needs a lock.
** The thread-local copy needs no lock at all.
*/
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#if defined(SV_NO_THREADS)
#define SV_THREAD_LOCAL
static uint64_t next_tag = 1;
static uint64_t take_tag(void) {
  return next_tag++;
}
#else
#include <stdatomic.h>
#define SV_THREAD_LOCAL _Thread_local
static atomic_uint_fast64_t next_tag = 1;
static uint64_t take_tag(void) {
  return (uint64_t)atomic_fetch_add(&next_tag, 1);
}
#endif

static SV_THREAD_LOCAL struct {
  uint64_t tag;
  char msg[SV_ERRMSG_MAX];
} tls_err;

int sv_err_init(sv_err *e) {
  e->tag = take_tag();
  e->has_msg = 0;
  e->msg[0] = '\0';
  return sv_mutex_init(&e->mu);
}

void sv_err_destroy(sv_err *e) {
  /* Forget this thread's message so a later handle can never see it. */
  if (tls_err.tag == e->tag) tls_err.tag = 0;
  sv_mutex_destroy(&e->mu);
}

void sv_err_setv(sv_err *e, const char *fmt, va_list ap) {
  vsnprintf(tls_err.msg, sizeof tls_err.msg, fmt, ap);
  tls_err.tag = e->tag;
  sv_mutex_lock(&e->mu);
  memcpy(e->msg, tls_err.msg, sizeof e->msg);
  e->has_msg = 1;
  sv_mutex_unlock(&e->mu);
}

void sv_err_set(sv_err *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sv_err_setv(e, fmt, ap);
  va_end(ap);
}

const char *sv_err_get(const sv_err *e) {
  if (tls_err.tag == e->tag) return tls_err.msg;
  if (e->has_msg) return e->msg;
  return "not an error";
}
