/*
** thread.c — starting and joining a helper thread (see thread.h).
**
** Both thread APIs want their own entry-point signature (void *(*)(void *)
** for pthreads, DWORD WINAPI (*)(LPVOID) for Win32), so the new thread
** enters through a small trampoline that reads fn and arg back out of the
** sv_thread struct it was handed.
**
** POSIX: the creating thread blocks every signal around pthread_create(),
** so the new thread inherits a full signal mask and the kernel never picks
** it to deliver a process-directed signal (SIGINT, SIGTERM, SIGCHLD, ...)
** to the application's handlers; the creator's own mask is restored at
** once.  Failures of the mask calls only lose that nicety, so they are not
** errors.
*/
#include "util/thread.h"

#if defined(SV_NO_THREADS)

int sv_thread_start(sv_thread *t, sv_thread_fn fn, void *arg) {
  (void)t;
  (void)fn;
  (void)arg;
  return -1;
}

void sv_thread_join(sv_thread *t) {
  (void)t;
}

#elif defined(_WIN32)

static DWORD WINAPI trampoline(LPVOID p) {
  sv_thread *t = p;
  t->fn(t->arg);
  return 0;
}

int sv_thread_start(sv_thread *t, sv_thread_fn fn, void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->h = CreateThread(NULL, 0, trampoline, t, 0, NULL);
  return t->h ? 0 : -1;
}

void sv_thread_join(sv_thread *t) {
  DWORD rc = WaitForSingleObject(t->h, INFINITE);
  assert(rc == WAIT_OBJECT_0);
  (void)rc;
  CloseHandle(t->h);
  t->h = NULL;
}

#else

#include <signal.h>

static void *trampoline(void *p) {
  sv_thread *t = p;
  t->fn(t->arg);
  return NULL;
}

int sv_thread_start(sv_thread *t, sv_thread_fn fn, void *arg) {
  sigset_t all, old;
  t->fn = fn;
  t->arg = arg;
  sigfillset(&all);
  int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
  int rc = pthread_create(&t->t, NULL, trampoline, t);
  if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc == 0 ? 0 : -1;
}

void sv_thread_join(sv_thread *t) {
  int rc = pthread_join(t->t, NULL);
  assert(rc == 0);
  (void)rc;
}

#endif
