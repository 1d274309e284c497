/*
** thread.h — a background thread and condition variables, behind the same
** kind of tiny interface as lock.h.
**
** The store runs one helper thread per writable file shard (the WAL
** checkpointer, store/ckpt.c).  Like the locks, this must build with
** pthreads on POSIX, with Win32 threads on Windows and with no threads at
** all (SV_NO_THREADS, the WebAssembly build), so the library never names
** pthreads outside util/.  A condition variable always pairs with an
** sv_mutex from lock.h.
**
** Without threads, sv_thread_start() always fails (SV_HAVE_THREADS is 0
** so callers can skip the whole machinery at compile time); the condition
** variable functions then do nothing.  Nothing can ever wait on a
** condition in such a build because no second thread exists to signal it,
** so sv_cond_wait() asserts that it is not called.  sv_cond_timedwait()
** waits at most `ms` milliseconds and may return early (a signal, or a
** spurious wake-up); callers always re-check what they wait for.
**
** A thread runs `fn(arg)` and is joined exactly once with
** sv_thread_join().  The sv_thread struct carries fn and arg to the new
** thread, so it must stay at one address from start until join (it lives
** inside the shard handle).  On POSIX the new thread starts with every
** signal blocked: a library's helper thread must never be the one that runs
** the application's signal handlers.
*/
#ifndef SV_UTIL_THREAD_H
#define SV_UTIL_THREAD_H

#include <assert.h>

#include "util/lock.h"

typedef void (*sv_thread_fn)(void *arg);

#if defined(SV_NO_THREADS)

#define SV_HAVE_THREADS 0

typedef struct sv_cond {
  int unused;
} sv_cond;
typedef struct sv_thread {
  int unused;
} sv_thread;

static inline int sv_cond_init(sv_cond *c) {
  c->unused = 0;
  return 0;
}
static inline void sv_cond_destroy(sv_cond *c) {
  (void)c;
}
static inline void sv_cond_signal(sv_cond *c) {
  (void)c;
}
static inline void sv_cond_broadcast(sv_cond *c) {
  (void)c;
}
static inline void sv_cond_wait(sv_cond *c, sv_mutex *m) {
  (void)c;
  (void)m;
  assert(!"sv_cond_wait without threads would wait forever");
}
static inline void sv_cond_timedwait(sv_cond *c, sv_mutex *m, unsigned ms) {
  (void)c;
  (void)m;
  (void)ms;
}

#elif defined(_WIN32)

#define SV_HAVE_THREADS 1

#include <windows.h>

typedef struct sv_cond {
  CONDITION_VARIABLE cv;
} sv_cond;
typedef struct sv_thread {
  HANDLE h;
  sv_thread_fn fn;
  void *arg;
} sv_thread;

static inline int sv_cond_init(sv_cond *c) {
  InitializeConditionVariable(&c->cv);
  return 0;
}
static inline void sv_cond_destroy(sv_cond *c) {
  (void)c;
}
static inline void sv_cond_signal(sv_cond *c) {
  WakeConditionVariable(&c->cv);
}
static inline void sv_cond_broadcast(sv_cond *c) {
  WakeAllConditionVariable(&c->cv);
}
/* sv_mutex is an SRWLOCK held exclusively on Windows (lock.h). */
static inline void sv_cond_wait(sv_cond *c, sv_mutex *m) {
  BOOL ok = SleepConditionVariableSRW(&c->cv, &m->l, INFINITE, 0);
  assert(ok);
  (void)ok;
}
static inline void sv_cond_timedwait(sv_cond *c, sv_mutex *m, unsigned ms) {
  /* FALSE with ERROR_TIMEOUT is the normal way for this to end. */
  (void)SleepConditionVariableSRW(&c->cv, &m->l, ms, 0);
}

#else

#define SV_HAVE_THREADS 1

#include <errno.h>
#include <pthread.h>
#include <time.h>

typedef struct sv_cond {
  pthread_cond_t cv;
} sv_cond;
typedef struct sv_thread {
  pthread_t t;
  sv_thread_fn fn;
  void *arg;
} sv_thread;

static inline int sv_cond_init(sv_cond *c) {
  return pthread_cond_init(&c->cv, NULL) == 0 ? 0 : -1;
}
static inline void sv_cond_destroy(sv_cond *c) {
  int rc = pthread_cond_destroy(&c->cv);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_cond_signal(sv_cond *c) {
  int rc = pthread_cond_signal(&c->cv);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_cond_broadcast(sv_cond *c) {
  int rc = pthread_cond_broadcast(&c->cv);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_cond_wait(sv_cond *c, sv_mutex *m) {
  int rc = pthread_cond_wait(&c->cv, &m->m);
  assert(rc == 0);
  (void)rc;
}
/* The deadline is on the wall clock (the portable default: macOS has no
** pthread_condattr_setclock); a clock step only makes one wait shorter or
** longer, which callers tolerate because they re-check their condition. */
static inline void sv_cond_timedwait(sv_cond *c, sv_mutex *m, unsigned ms) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return;
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  int rc = pthread_cond_timedwait(&c->cv, &m->m, &ts);
  assert(rc == 0 || rc == ETIMEDOUT);
  (void)rc;
}

#endif

/* Start a thread running fn(arg).  Returns 0, or -1 when no thread could
** be created (always -1 without threads); *t is then unused and must not
** be joined. */
int sv_thread_start(sv_thread *t, sv_thread_fn fn, void *arg);

/* Wait for a started thread to return and release it. */
void sv_thread_join(sv_thread *t);

#endif /* SV_UTIL_THREAD_H */
