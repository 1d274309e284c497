/*
** ckpt.h — the background WAL checkpointer of a shard handle.
**
** SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL
** past 1000 pages: that one write pays for copying the whole WAL into the
** database file and two fsyncs.  For a shard the handle owns on a file
** (not ":memory:", not read-only, not a borrowed connection, which keeps
** the host's settings), ckpt.c replaces it: a WAL hook notices the growth
** and asks a helper thread to checkpoint through its own connection in
** PASSIVE mode, which never blocks a reader or a writer; a writer that
** lets the WAL reach a hard limit waits for one pass.  ckpt.c explains the
** policy; docs/ARCHITECTURE.md explains why.
**
** Threads: the fields marked "writer" are touched only by the WAL hook,
** which runs inside a commit, i.e. with the shard's db_mu held.  The
** fields marked "shared" are guarded by `mu`.  `db` belongs to the thread.
** Lock order: db_mu, then mu; the thread never takes db_mu.
*/
#ifndef SV_STORE_CKPT_H
#define SV_STORE_CKPT_H

#include <stdint.h>

#include "sqlite_vector.h"
#include "store/sv_sqlite.h"
#include "util/lock.h"
#include "util/thread.h"

typedef struct sv_ckpt {
  /* Set when the handle opens, constant afterwards. */
  int hooked;            /* our WAL hook replaced SQLite's autocheckpoint */
  int truncate_at_close; /* own writable WAL file: TRUNCATE checkpoint at close */
  int sync_ready;        /* mu and the condition variables exist */
  char *path;            /* database file for the thread's connection (sqlite3_malloc) */

  /* Writer (under the shard's db_mu). */
  uint32_t wake_frames; /* ask for a pass after this much WAL growth */
  uint32_t hard_frames; /* a commit finding a WAL this large waits for a pass */
  uint32_t last_frames; /* WAL size after the previous own commit */
  uint32_t asked_at;    /* WAL size when a pass was last asked for */

  /* Shared (under mu). */
  sv_mutex mu;
  sv_cond work;      /* the thread sleeps here until asked for a pass or to stop */
  sv_cond pass_done; /* a writer over the hard limit sleeps here */
  sv_thread thread;
  int started;              /* the thread exists and must be joined */
  int stop;                 /* the handle is closing */
  int failed;               /* no thread or no connection: the writer checkpoints itself */
  uint64_t requested, done; /* pass generations: asked for, finished */
  uint64_t urgent;          /* a writer waits for pass `urgent`: start it at once */
  uint64_t commits;         /* own commits so far: the thread waits for a quiet moment */
  uint64_t passes, errors, waits;
  int last_log, last_ckpt; /* frames in the WAL / backfilled, after the last pass */

  /* Thread only. */
  sqlite3 *db;
} sv_ckpt;

/* Set the handle's WAL policy up after a successful open: for an own,
** writable, file-backed connection in WAL mode, limit the WAL file's size
** and (with threads) install the hook.  Never fails: when something is
** missing the shard keeps SQLite's synchronous autocheckpoint. */
void sv__ckpt_install(sv_shard *s);

/* Stop and join the thread (it closes its own connection), remove the hook
** and try a TRUNCATE checkpoint without waiting for anyone, so a closed
** shard does not leave a large WAL behind.  Call with db_mu held and every
** statement of the handle finalized or reset, before closing s->db. */
void sv__ckpt_close(sv_shard *s);

/* Introspection and tuning for the test suites (and benchmarks). */
typedef struct sv_ckpt_info {
  int hooked, started, failed;
  uint64_t passes, errors, waits;
  int last_log, last_ckpt;
  uint32_t wake_frames, hard_frames;
} sv_ckpt_info;
void sv__ckpt_info(sv_shard *s, sv_ckpt_info *out);
/* Change the thresholds (in WAL frames, i.e. pages); 0 keeps a value. */
void sv__ckpt_tune(sv_shard *s, uint32_t wake_frames, uint32_t hard_frames);

#endif /* SV_STORE_CKPT_H */
