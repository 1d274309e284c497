/*
** filter.h — metadata filters compiled to parameterised SQL.
**
** The filter language is documented in include/sqlite_vector.h and in
** filter.c; this header is the store-internal entry point.
*/
#ifndef SV_STORE_FILTER_H
#define SV_STORE_FILTER_H

#include "store/shard.h"

/* Compile the filter JSON text into a statement that yields the ids (one
** column) of every live row that matches.  Call with db_mu held.
** On success *out is the statement (caller finalizes) or NULL when the
** filter has no conditions ("{}": every row matches).  An invalid filter
** fails with SV_EJSON and a message naming the problem. */
int sv__filter_compile(sv_shard *s, const char *json, sqlite3_stmt **out);

#endif /* SV_STORE_FILTER_H */
