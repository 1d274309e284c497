/*
** sql_ext.c — the entry point of the loadable extension sqlite_vector.so.
**
** SQLite finds the entry point from the file name when none is given:
** sqlite3LoadExtension() takes the name after the last '/', skips a "lib"
** prefix, keeps only the ASCII letters before the first '.', lowercases them
** and looks up "sqlite3_<that>_init".  For sqlite_vector.so that is
** sqlite3_sqlitevector_init, so `.load ./sqlite_vector` in the shell and
** conn.load_extension("./sqlite_vector") in Python work without naming it.
**
** This is the one file that defines the sqlite3_api pointer
** (SQLITE_EXTENSION_INIT1); every other file of the extension, including the
** engine compiled with SV_SQLITE_EXTENSION, declares it extern and so calls
** the host's SQLite rather than carrying its own.  The pointer is hidden
** (the build's default visibility), so several extensions each keep their
** own.
**
** The host version is checked first: the sqlite3_api table only grows, and
** calling a routine the host's table does not have would jump through
** whatever lies past its end.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include "sql/sql_internal.h"

/* The oldest SQLite whose routine table has everything the extension and
** the engine call: the newest routine used is sqlite3_txn_state (3.34.0);
** the INNOCUOUS/DIRECTONLY flags are 3.31.  Metadata checks and filters
** also need the JSON functions, built in from 3.38 (optional before).
** Raise this when the engine starts using a newer routine.  Tested with
** 3.40.1 (Debian 12) and 3.52.0. */
#define SQL_MIN_SQLITE 3034000
#define SQL_MIN_SQLITE_TEXT "3.34.0"

SV_API int sqlite3_sqlitevector_init(sqlite3 *db, char **pzErrMsg,
                                     const sqlite3_api_routines *pApi);

SV_API int sqlite3_sqlitevector_init(sqlite3 *db, char **pzErrMsg,
                                     const sqlite3_api_routines *pApi) {
  sql_conn *c = NULL;
  int rc;
  SQLITE_EXTENSION_INIT2(pApi);
  if (sqlite3_libversion_number() < SQL_MIN_SQLITE) {
    if (pzErrMsg) {
      *pzErrMsg =
          sqlite3_mprintf("sqlite-vector needs SQLite " SQL_MIN_SQLITE_TEXT " or newer; this is %s",
                          sqlite3_libversion());
    }
    return SQLITE_ERROR;
  }
  c = sql_conn_new(db);
  if (!c) return SQLITE_NOMEM;
  rc = sql_register_scalars(db, c);
  if (rc == SQLITE_OK) rc = sql_register_writes(db, c);
  if (rc == SQLITE_OK) rc = sql_register_search(db, c);
  if (rc == SQLITE_OK) rc = sql_register_index(db, c);
  if (rc != SQLITE_OK && pzErrMsg) {
    *pzErrMsg =
        sqlite3_mprintf("sqlite-vector: cannot register its SQL functions: %s", sqlite3_errmsg(db));
  }
  /* Drop the creation reference; the registrations hold their own. */
  sql_conn_unref(c);
  return rc;
}
