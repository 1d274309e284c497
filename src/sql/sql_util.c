/*
** sql_util.c — error reporting and argument naming shared by the SQL faces.
**
** Every message the extension raises starts with the name of the SQL
** function (or "vector_search") that raised it, so a failure in the middle
** of a long statement still says where it came from.  Messages are built
** with sqlite3_mprintf and handed here for reporting and freeing, which keeps
** the one ownership rule simple: whoever receives a message frees it once.
** A NULL message means the message itself could not be allocated, which is
** reported as out-of-memory rather than as an empty error.
**
** vector_search names its shard like a table, "[schema.]sv_vectors",
** because that is what it reads; the schema part is everything before the
** last dot, so schema names that themselves contain dots still work.
*/
#include <string.h>

#include "sql/sql_internal.h"

void sql_result_error(sqlite3_context *ctx, const char *fname, char *msg) {
  if (!msg) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  char *full = sqlite3_mprintf("%s: %s", fname, msg);
  sqlite3_free(msg);
  if (!full) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, full, -1);
  sqlite3_free(full);
}

int sql_parse_shard_ref(const char *ref, char **schema, char **errmsg) {
  static const char table[] = "sv_vectors";
  const size_t tlen = sizeof table - 1;
  size_t n;
  *schema = NULL;
  *errmsg = NULL;
  if (!ref) {
    *errmsg =
        sqlite3_mprintf("the shard argument is NULL; pass 'sv_vectors' or 'schema.sv_vectors'");
    return SQLITE_ERROR;
  }
  n = strlen(ref);
  if (n == tlen && sqlite3_stricmp(ref, table) == 0) {
    *schema = sqlite3_mprintf("main");
    return *schema ? SQLITE_OK : SQLITE_NOMEM;
  }
  if (n > tlen + 1 && ref[n - tlen - 1] == '.' && sqlite3_stricmp(ref + n - tlen, table) == 0) {
    *schema = sqlite3_mprintf("%.*s", (int)(n - tlen - 1), ref);
    return *schema ? SQLITE_OK : SQLITE_NOMEM;
  }
  *errmsg = sqlite3_mprintf(
      "'%s' is not a shard table; pass 'sv_vectors' or 'schema.sv_vectors' (e.g. 'aux.sv_vectors' "
      "for a database ATTACHed AS aux)",
      ref);
  return SQLITE_ERROR;
}

int sql_status_code(int status) {
  switch (status) {
    case SV_OK:
      return SQLITE_OK;
    case SV_ENOMEM:
      return SQLITE_NOMEM;
    case SV_EBUSY:
      return SQLITE_BUSY;
    case SV_EREADONLY:
      return SQLITE_READONLY;
    default:
      return SQLITE_ERROR;
  }
}
