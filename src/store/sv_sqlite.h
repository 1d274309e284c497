/*
** sv_sqlite.h — the one place that decides which SQLite the engine talks to.
**
** The library links the pinned SQLite 3.52.0 amalgamation statically.  The
** loadable extension (sqlite_vector.so) compiles the very same engine
** sources with SV_SQLITE_EXTENSION defined: then every sqlite3_* call is
** routed through the host's sqlite3_api table (SQLITE_EXTENSION_INIT3), so
** the extension never carries a second SQLite.  Because the host may be as
** old as Debian's 3.40.1, engine code must only use APIs that 3.40 has.
*/
#ifndef SV_SQLITE_H
#define SV_SQLITE_H

#ifdef SV_SQLITE_EXTENSION
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3
#else
#include "sqlite3.h"
#endif

#endif /* SV_SQLITE_H */
