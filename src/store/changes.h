/*
** changes.h — what the sync layer needs from the store, and nothing more.
**
** A *change* is the full state of one row as last written anywhere: id,
** vector (NULL for a tombstone), metadata, HLC and origin node.  Replicas
** exchange changes, never operations, so applying one is a pure
** last-writer-wins merge: the row ends up with whichever of (local, remote)
** has the larger (hlc, origin) pair.  See changes.c for the guarantees.
*/
#ifndef SV_STORE_CHANGES_H
#define SV_STORE_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite_vector.h"

typedef struct sv_change {
  int64_t id;
  int64_t hlc;
  int64_t origin;
  int64_t version;  /* the sender's local version (extract only; ignored by apply) */
  const float *vec; /* dim floats in host order, or NULL for a tombstone */
  const char *meta; /* JSON object text (meta_len bytes, not NUL-terminated); NULL for
                       a tombstone */
  size_t meta_len;
} sv_change;

/* Called once per change by sv__changes_read; the pointers in *c are valid
** only during the call.  Return SV_OK to go on, anything else stops the
** read and is returned. */
typedef int (*sv_change_fn)(void *ctx, const sv_change *c);

/* Stream the changes with version > after, in version order, at most
** max_rows (0: no limit), each through fn.  *last_version receives the
** version of the last change delivered (after, when none).  Reads inside
** one snapshot.  SV_OK or a failure recorded on the handle. */
int sv__changes_read(sv_shard *s, int64_t after, size_t max_rows, sv_change_fn fn, void *ctx,
                     int64_t *last_version);

/* Counts from one apply. */
typedef struct sv_apply_stats {
  uint64_t applied; /* rows that won LWW and were written */
  uint64_t skipped; /* rows the local state already matched or beat */
} sv_apply_stats;

/* Apply n remote changes in one write transaction with last-writer-wins on
** (hlc, origin): a change is written only when its pair is larger than the
** local row's (or there is no local row).  Written rows get new local
** versions but keep their hlc and origin; the shard's HLC advances to the
** largest applied hlc.  When peer_node is non-zero, the last version
** received from that peer is set to peer_version in the same transaction
** (never lowered).  Every change is validated first (vector finite and
** non-zero for cosine, metadata a JSON object, hlc/origin in range); any
** invalid one fails the whole call and nothing changes. */
int sv__changes_apply(sv_shard *s, const sv_change *c, size_t n, int64_t peer_node,
                      int64_t peer_version, sv_apply_stats *st);

/* The last version received from peer node `peer_node` (0 when never). */
int sv__peer_version(sv_shard *s, int64_t peer_node, int64_t *out);

/* The content digest: SHA-256 (hex, 64 chars) over all rows in id order,
** live and tombstones alike, of id, deleted flag, hlc, origin and, for a
** live row, the vector bytes and the metadata bytes (every integer as 8
** little-endian bytes, each byte string preceded by its length).  Local
** versions are not included, so replicas holding the same rows agree.
** *rows receives the number of rows hashed when rows is not NULL. */
int sv__content_digest(sv_shard *s, char out[65], uint64_t *rows);

/* Identity and shape of the shard, for the sync hello. */
typedef struct sv_shard_info {
  uint32_t dim;
  sv_metric metric;
  int format_version;
  int64_t node_id;
  int64_t version;
  char shard_id[33];
} sv_shard_info;
int sv__shard_info(sv_shard *s, sv_shard_info *out);

/* Record a failure on the handle (shard.c); returns status. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int sv__fail(sv_shard *s, int status, const char *fmt, ...);

/* ---- write.c: the one row-write point remote applies go through ---- */

/* Write row `id` with the given version, hlc and origin: a live row when vec
** is not NULL (metadata NULL stands for "{}"), else a tombstone (inserted
** when the id is unknown).  Call inside a write transaction with the
** connection lock held; the caller stores sv_meta and updates the mirror. */
int sv__write_row(sv_shard *s, int64_t id, const float *vec, const char *meta, size_t meta_len,
                  int64_t version, int64_t hlc, int64_t origin);

#endif /* SV_STORE_CHANGES_H */
