/*
** ckpt.c — checkpointing the WAL in the background.
**
** Why: in WAL mode every commit appends pages to the -wal file, and a
** checkpoint later copies them into the database file (fsync WAL, write
** pages, fsync database).  SQLite's default autocheckpoint does that inside
** the COMMIT that crosses 1000 pages, so one unlucky write pays for all of
** them: a 100 000 x 384 batch spends half its time copying its own 160 MB a
** second time.  Here the copy moves to a helper thread with its own
** connection, and the writer's COMMIT only appends.
**
** How:
**   - sv__ckpt_install() turns the connection's autocheckpoint off and
**     installs a WAL hook.  SQLite calls the hook after each commit, once
**     the write lock is released, with the WAL's size in frames (pages).
**   - When the WAL has grown by wake_frames (8 MiB worth: SQLite's own 1000
**     pages at the 8 KiB page of a 384-d shard) since the last request or
**     since the WAL restarted, the hook asks the thread for a pass.  Any
**     other commit costs a counter increment under an uncontended mutex.
**   - The thread waits for a quiet moment — no commit for SV_CKPT_QUIET_MS
**     (1 ms) — and then runs sqlite3_wal_checkpoint_v2(PASSIVE) on its own
**     connection: it copies every frame no reader still needs, never waits
**     for a lock and never calls a busy handler, so readers and writers (in
**     this and other processes) go on while it runs.  Requests that arrive
**     during a pass are folded into one more pass.  The connection uses
**     synchronous=NORMAL, so the checkpoint fsyncs the WAL before and the
**     database after copying: a WAL that is later overwritten never held
**     the only durable copy of a page.
**   - Why the quiet moment: a pass is mostly two fsyncs, and on the 2-core
**     development VM passes running *during* a tight loop of single inserts
**     made every insert slower (p50 ~34 -> 45-50 us), which costs the loop
**     more than the copying it saves.  A writer working at agent pace
**     leaves many 1 ms gaps; one inserting in a tight loop leaves none and
**     is handled by the brake below.  A big batch is one transaction, so
**     the pass for the previous batch runs while the next one is written.
**   - The brake.  The WAL starts over from its beginning only when a write
**     begins while every frame has been copied, and a growing file costs
**     each commit more than a reused one (new page-cache pages and blocks:
**     ~6 against ~3 us per 8 KiB frame here).  So a commit that found the
**     WAL at hard_frames (16 MiB worth, never fewer than SQLite's 1000
**     pages) or more waits, inside its hook, until a pass that started
**     after its commit has finished: a synchronous checkpoint, done by the
**     thread.  That pass copies everything, the next write restarts the
**     WAL, and PRAGMA journal_size_limit (the same size) trims a file that
**     a big batch left larger.  A writer that never pauses thus pays one
**     checkpoint per 16 MiB, no more often than SQLite's default would make
**     it (for 384-d shards half as often).  The rule looks at the WAL size
**     *before* the commit, so a batch larger than the limit does not wait
**     for its own checkpoint.  If a reader keeps old frames pinned, passes
**     stay partial and each commit over the limit waits for one short
**     pass, as SQLite's autocheckpoint would retry on every commit.
**   - Without a thread (SV_NO_THREADS, an SQLite built without mutexes, or
**     a thread or connection that could not be created) the writer
**     checkpoints itself exactly like SQLite's default hook does.
**   - At close the thread is stopped and joined (a pass in progress is
**     finished first; one not yet started is left to close), then a
**     TRUNCATE checkpoint with no busy wait copies what is left and resets
**     the WAL to zero bytes when no other connection is using it.
**
** Durability is unchanged: a commit is durable against a process kill once
** its frames are in the WAL (in the OS page cache), which happens before
** COMMIT returns, checkpoint or not; a checkpoint only copies committed
** frames, and SQLite's WAL protocol makes an interrupted one harmless.
*/
#include <stdio.h>
#include <string.h>

#include "store/shard.h"

/* Thresholds in bytes of WAL, turned into frames with the page size.  The
** hard limit is never below SQLite's own 1000 pages, so a writer never
** checkpoints synchronously more often than SQLite would have made it. */
#define SV_CKPT_WAKE_BYTES (8 * 1024 * 1024)
#define SV_CKPT_WAKE_MIN_FRAMES 64
#define SV_CKPT_HARD_BYTES (16 * 1024 * 1024)
#define SV_CKPT_HARD_MIN_FRAMES 1000
#define SV_CKPT_QUIET_MS 1

/* ---- the thread --------------------------------------------------------- */

/* Open the thread's connection.  Returns 0, or -1 (nothing left open). */
static int open_conn(sv_ckpt *c) {
  sqlite3_stmt *st = NULL;
  int64_t app_id = 0;
  int src = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  /* The checkpoint itself never calls the busy handler; the timeout only
  ** covers the first read below, e.g. while another process recovers the
  ** WAL after a crash. */
  if (src == SQLITE_OK) src = sqlite3_busy_timeout(c->db, 1000);
  /* NORMAL (not OFF): the checkpoint must fsync, see above. */
  if (src == SQLITE_OK) src = sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  /* A first read puts the connection into WAL mode (a checkpoint on a
  ** connection that has never read is a no-op) and confirms the file is
  ** still the shard the handle opened. */
  if (src == SQLITE_OK)
    src = sqlite3_prepare_v2(c->db, "PRAGMA main.application_id", -1, &st, NULL);
  if (src == SQLITE_OK) {
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      app_id = sqlite3_column_int64(st, 0);
      src = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  if (src == SQLITE_OK && app_id == SV_APPLICATION_ID) return 0;
  sqlite3_close(c->db);
  c->db = NULL;
  return -1;
}

static void ckpt_main(void *arg) {
  sv_ckpt *c = arg;
  sv_mutex_lock(&c->mu);
  while (!c->stop && !c->failed) {
    if (c->done == c->requested) {
      sv_cond_wait(&c->work, &c->mu);
      continue;
    }
    if (c->urgent <= c->done) {
      /* Not urgent: only start when the writer has paused. */
      uint64_t seen = c->commits;
      sv_cond_timedwait(&c->work, &c->mu, SV_CKPT_QUIET_MS);
      if (c->commits != seen || c->stop) continue;
    }
    uint64_t gen = c->requested;
    sv_mutex_unlock(&c->mu);
    int opened = c->db != NULL || open_conn(c) == 0;
    int log = -1, ckpt = -1, src = SQLITE_OK;
    if (opened)
      src = sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
    sv_mutex_lock(&c->mu);
    if (!opened) {
      c->failed = 1;
    } else {
      c->passes++;
      /* BUSY: another connection (another process) is checkpointing now. */
      if (src != SQLITE_OK && src != SQLITE_BUSY) c->errors++;
      c->last_log = log;
      c->last_ckpt = ckpt;
    }
    c->done = gen;
    sv_cond_broadcast(&c->pass_done);
  }
  /* Nobody may keep waiting for a pass that will never run. */
  c->done = c->requested;
  sv_cond_broadcast(&c->pass_done);
  sv_mutex_unlock(&c->mu);
  if (c->db && sqlite3_close(c->db) != SQLITE_OK) sqlite3_close_v2(c->db);
  c->db = NULL;
}

/* ---- the hook (runs inside the writer's COMMIT, db_mu held) ------------- */

static int wal_hook(void *arg, sqlite3 *db, const char *zdb, int frames) {
  sv_ckpt *c = arg;
  uint32_t n = frames > 0 ? (uint32_t)frames : 0;
  /* A WAL smaller than at our last commit has restarted from frame 1. */
  uint32_t before = n >= c->last_frames ? c->last_frames : 0;
  if (n < c->last_frames || n < c->asked_at) c->asked_at = 0;
  c->last_frames = n;
  int ask = n - c->asked_at >= c->wake_frames;
  int brake = before >= c->hard_frames;
  if (ask || brake) c->asked_at = n;

  sv_mutex_lock(&c->mu);
  c->commits++;
  if ((ask || brake) && !c->started && !c->failed) {
    if (sv_thread_start(&c->thread, ckpt_main, c) == 0)
      c->started = 1;
    else
      c->failed = 1;
  }
  int failed = c->failed;
  if ((ask || brake) && !failed) {
    uint64_t want = ++c->requested; /* a pass that starts after this commit */
    if (brake) {
      c->urgent = want;
      c->waits++;
    }
    sv_cond_signal(&c->work);
    while (brake && c->done < want && !c->failed) sv_cond_wait(&c->pass_done, &c->mu);
  }
  sv_mutex_unlock(&c->mu);
  /* No helper: what SQLite's own autocheckpoint hook does. */
  if (failed && (ask || brake))
    sqlite3_wal_checkpoint_v2(db, zdb, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  /* Anything but SQLITE_OK would turn the committed write into an error. */
  return SQLITE_OK;
}

/* ---- install / close ---------------------------------------------------- */

/* 1 when the own connection's main database is in WAL mode. */
static int in_wal_mode(sv_shard *s) {
  sqlite3_stmt *st = NULL;
  int wal = 0;
  if (sqlite3_prepare_v2(s->db, "PRAGMA main.journal_mode", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    wal = mode && strcmp(mode, "wal") == 0;
  }
  sqlite3_finalize(st);
  return wal;
}

static uint32_t page_size(sv_shard *s) {
  sqlite3_stmt *st = NULL;
  int64_t v = 0;
  if (sqlite3_prepare_v2(s->db, "PRAGMA main.page_size", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v >= 512 && v <= 65536 ? (uint32_t)v : 4096;
}

static uint32_t frames_for(uint32_t bytes, uint32_t page, uint32_t min) {
  uint32_t n = bytes / page;
  return n < min ? min : n;
}

void sv__ckpt_install(sv_shard *s) {
  sv_ckpt *c = &s->ckpt;
  if (!s->owns_db || s->in_memory || s->readonly || !in_wal_mode(s)) return;
  uint32_t page = page_size(s);
  uint32_t wake = frames_for(SV_CKPT_WAKE_BYTES, page, SV_CKPT_WAKE_MIN_FRAMES);
  uint32_t hard = frames_for(SV_CKPT_HARD_BYTES, page, SV_CKPT_HARD_MIN_FRAMES);
  c->truncate_at_close = 1;
  /* After the WAL restarts, the first commit trims the file to the hard
  ** limit, so one big batch does not leave a huge -wal file behind. */
  char sql[80];
  snprintf(sql, sizeof sql, "PRAGMA main.journal_size_limit = %lld", (long long)hard * page);
  sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  /* A single-threaded SQLite (SQLITE_THREADSAFE=0, possible for a host of
  ** the extension) has no locks even between connections. */
  if (!SV_HAVE_THREADS || !sqlite3_threadsafe()) return;
  const char *file = sqlite3_db_filename(s->db, "main");
  if (!file || !*file) return;
  if (!(c->path = sqlite3_mprintf("%s", file))) return;
  int mu_ok = sv_mutex_init(&c->mu) == 0;
  int work_ok = mu_ok && sv_cond_init(&c->work) == 0;
  int done_ok = work_ok && sv_cond_init(&c->pass_done) == 0;
  if (!done_ok) {
    if (work_ok) sv_cond_destroy(&c->work);
    if (mu_ok) sv_mutex_destroy(&c->mu);
    sqlite3_free(c->path);
    c->path = NULL;
    return;
  }
  c->sync_ready = 1;
  c->wake_frames = wake;
  c->hard_frames = hard;
  sqlite3_wal_autocheckpoint(s->db, 0);
  sqlite3_wal_hook(s->db, wal_hook, c);
  c->hooked = 1;
}

void sv__ckpt_close(sv_shard *s) {
  sv_ckpt *c = &s->ckpt;
  if (c->sync_ready) {
    sv_mutex_lock(&c->mu);
    c->stop = 1;
    sv_cond_signal(&c->work);
    int started = c->started;
    sv_mutex_unlock(&c->mu);
    if (started) sv_thread_join(&c->thread);
  }
  if (s->db && c->hooked) sqlite3_wal_hook(s->db, NULL, NULL);
  if (s->db && c->truncate_at_close) {
    /* Best effort: with no busy wait it degrades to a PASSIVE copy when
    ** another connection is writing or reading the WAL. */
    sqlite3_busy_timeout(s->db, 0);
    sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  }
  if (c->sync_ready) {
    sv_cond_destroy(&c->pass_done);
    sv_cond_destroy(&c->work);
    sv_mutex_destroy(&c->mu);
  }
  sqlite3_free(c->path);
  memset(c, 0, sizeof *c);
}

/* ---- tests -------------------------------------------------------------- */

void sv__ckpt_info(sv_shard *s, sv_ckpt_info *out) {
  sv_ckpt *c = &s->ckpt;
  memset(out, 0, sizeof *out);
  sv__db_lock(s);
  out->hooked = c->hooked;
  out->wake_frames = c->wake_frames;
  out->hard_frames = c->hard_frames;
  if (c->sync_ready) {
    sv_mutex_lock(&c->mu);
    out->started = c->started;
    out->failed = c->failed;
    out->passes = c->passes;
    out->errors = c->errors;
    out->waits = c->waits;
    out->last_log = c->last_log;
    out->last_ckpt = c->last_ckpt;
    sv_mutex_unlock(&c->mu);
  }
  sv__db_unlock(s);
}

void sv__ckpt_tune(sv_shard *s, uint32_t wake_frames, uint32_t hard_frames) {
  sv__db_lock(s);
  if (wake_frames) s->ckpt.wake_frames = wake_frames;
  if (hard_frames) s->ckpt.hard_frames = hard_frames;
  sv__db_unlock(s);
}
