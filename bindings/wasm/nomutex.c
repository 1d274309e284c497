/*
** nomutex.c — the two SQLite mutex calls the library names, for a SQLite
** built without mutexes.
**
** The WebAssembly build compiles SQLite with SQLITE_THREADSAFE=0 (no
** threads exist there, and the mutex layer costs size), which leaves the
** mutex API undefined.  The library references sqlite3_mutex_enter/leave
** only to lock a connection it *borrowed* from a host (sv_shard_open_db),
** which this build never does; and with a single thread, holding a lock
** is doing nothing.  So they are empty here, and the link is complete.
*/
#include "sqlite3.h"

void sqlite3_mutex_enter(sqlite3_mutex *m) {
  (void)m;
}

void sqlite3_mutex_leave(sqlite3_mutex *m) {
  (void)m;
}
