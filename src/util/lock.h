/*
** lock.h — the two locks a shard handle needs, behind one tiny interface.
**
** A handle serialises use of its SQLite connection with a mutex and lets
** many searches read the in-memory arena at once behind a readers-writer
** lock.  The core must also build where there are no threads at all (the
** WebAssembly build defines SV_NO_THREADS) and on Windows, so the library
** never names pthreads directly: this header picks pthreads on POSIX,
** SRWLOCK on Windows, and empty structs with no-op functions when threads
** are compiled out.  The functions are static inline so a no-thread build
** pays nothing.
**
** Failure handling: initialising a pthread lock can only fail for lack of
** memory or resources, so the init functions report a status; lock and
** unlock calls on a correctly initialised lock cannot fail in a correct
** program, and their results are checked with assert().
*/
#ifndef SV_UTIL_LOCK_H
#define SV_UTIL_LOCK_H

#include <assert.h>

#if defined(SV_NO_THREADS)

typedef struct sv_mutex {
  int unused;
} sv_mutex;
typedef struct sv_rwlock {
  int unused;
} sv_rwlock;

static inline int sv_mutex_init(sv_mutex *m) {
  m->unused = 0;
  return 0;
}
static inline void sv_mutex_destroy(sv_mutex *m) {
  (void)m;
}
static inline void sv_mutex_lock(sv_mutex *m) {
  (void)m;
}
static inline void sv_mutex_unlock(sv_mutex *m) {
  (void)m;
}
static inline int sv_rwlock_init(sv_rwlock *l) {
  l->unused = 0;
  return 0;
}
static inline void sv_rwlock_destroy(sv_rwlock *l) {
  (void)l;
}
static inline void sv_rwlock_rdlock(sv_rwlock *l) {
  (void)l;
}
static inline void sv_rwlock_rdunlock(sv_rwlock *l) {
  (void)l;
}
static inline void sv_rwlock_wrlock(sv_rwlock *l) {
  (void)l;
}
static inline void sv_rwlock_wrunlock(sv_rwlock *l) {
  (void)l;
}

#elif defined(_WIN32)

#include <windows.h>

typedef struct sv_mutex {
  SRWLOCK l;
} sv_mutex;
typedef struct sv_rwlock {
  SRWLOCK l;
} sv_rwlock;

static inline int sv_mutex_init(sv_mutex *m) {
  InitializeSRWLock(&m->l);
  return 0;
}
static inline void sv_mutex_destroy(sv_mutex *m) {
  (void)m;
}
static inline void sv_mutex_lock(sv_mutex *m) {
  AcquireSRWLockExclusive(&m->l);
}
static inline void sv_mutex_unlock(sv_mutex *m) {
  ReleaseSRWLockExclusive(&m->l);
}
static inline int sv_rwlock_init(sv_rwlock *l) {
  InitializeSRWLock(&l->l);
  return 0;
}
static inline void sv_rwlock_destroy(sv_rwlock *l) {
  (void)l;
}
static inline void sv_rwlock_rdlock(sv_rwlock *l) {
  AcquireSRWLockShared(&l->l);
}
static inline void sv_rwlock_rdunlock(sv_rwlock *l) {
  ReleaseSRWLockShared(&l->l);
}
static inline void sv_rwlock_wrlock(sv_rwlock *l) {
  AcquireSRWLockExclusive(&l->l);
}
static inline void sv_rwlock_wrunlock(sv_rwlock *l) {
  ReleaseSRWLockExclusive(&l->l);
}

#else

#include <pthread.h>

typedef struct sv_mutex {
  pthread_mutex_t m;
} sv_mutex;
typedef struct sv_rwlock {
  pthread_rwlock_t l;
} sv_rwlock;

static inline int sv_mutex_init(sv_mutex *m) {
  return pthread_mutex_init(&m->m, NULL) == 0 ? 0 : -1;
}
static inline void sv_mutex_destroy(sv_mutex *m) {
  int rc = pthread_mutex_destroy(&m->m);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_mutex_lock(sv_mutex *m) {
  int rc = pthread_mutex_lock(&m->m);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_mutex_unlock(sv_mutex *m) {
  int rc = pthread_mutex_unlock(&m->m);
  assert(rc == 0);
  (void)rc;
}
static inline int sv_rwlock_init(sv_rwlock *l) {
  return pthread_rwlock_init(&l->l, NULL) == 0 ? 0 : -1;
}
static inline void sv_rwlock_destroy(sv_rwlock *l) {
  int rc = pthread_rwlock_destroy(&l->l);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_rwlock_rdlock(sv_rwlock *l) {
  int rc = pthread_rwlock_rdlock(&l->l);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_rwlock_rdunlock(sv_rwlock *l) {
  int rc = pthread_rwlock_unlock(&l->l);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_rwlock_wrlock(sv_rwlock *l) {
  int rc = pthread_rwlock_wrlock(&l->l);
  assert(rc == 0);
  (void)rc;
}
static inline void sv_rwlock_wrunlock(sv_rwlock *l) {
  int rc = pthread_rwlock_unlock(&l->l);
  assert(rc == 0);
  (void)rc;
}

#endif

#endif /* SV_UTIL_LOCK_H */
