/*
** shard.c — error reporting and small helpers shared by the store.
**
** SQLite reports failures as result codes plus a connection message; the
** public API speaks SV_E* statuses plus a per-handle message.  The mapping
** lives here, once: busy/locked -> SV_EBUSY; I/O, disk full, cannot open,
** permission -> SV_EIO; not-a-database and corruption -> SV_EFORMAT;
** read-only -> SV_EREADONLY; out of memory -> SV_ENOMEM; too big / out of
** range -> SV_EINVAL; anything else is a bug or an unexpected schema and
** becomes SV_EINTERNAL.
**
** Vectors are stored as little-endian float32 BLOBs.  On little-endian
** hosts (all we build for today) that is a memcpy; big-endian hosts swap
** bytes so files stay portable.  SQLite gives no alignment guarantee for
** BLOB pointers, so every read copies instead of casting.
*/
#include <stdarg.h>
#include <string.h>

#include "store/shard.h"

int sv__fail(sv_shard *s, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sv_err_setv(&s->err, fmt, ap);
  va_end(ap);
  return status;
}

int sv__status_of(int sqlite_rc) {
  switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return SV_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return SV_EBUSY;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return SV_EIO;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
      return SV_EFORMAT;
    case SQLITE_READONLY:
      return SV_EREADONLY;
    case SQLITE_NOMEM:
      return SV_ENOMEM;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return SV_EINVAL;
    default:
      return SV_EINTERNAL;
  }
}

int sv__fail_sql(sv_shard *s, int rc, const char *what) {
  int status = sv__status_of(rc);
  if (status == SV_OK) status = SV_EINTERNAL; /* a caller saw an unexpected row/done */
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  return sv__fail(s, status, "%s: %s", what, msg);
}

void sv__blob_to_floats(float *dst, const void *blob, uint32_t dim) {
  size_t bytes = (size_t)dim * sizeof(float);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const unsigned char *p = blob;
  for (uint32_t i = 0; i < dim; i++) {
    unsigned char b[4] = {p[4 * i + 3], p[4 * i + 2], p[4 * i + 1], p[4 * i]};
    memcpy(dst + i, b, 4);
  }
  (void)bytes;
#else
  memcpy(dst, blob, bytes);
#endif
}
