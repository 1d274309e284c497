/*
** mem_curate.c — consolidate(): dedup, contradictions, pruning.
**
** One write transaction over every ReasoningBank item (plain texts are
** left alone).  Items are visited in id order; for each live item its
** nearest neighbours by exact cosine of the stored vectors (no IDF: this
** compares items with each other, not with a query) are examined:
**
**  - cosine >= dup_threshold and the same outcome: a duplicate.  The more
**    reliable item is kept (then more evidence, then the older id); the
**    other's uses, successes and evidence are added to it, a
**    (loser, keeper, 'duplicate_of') link is recorded and the loser deleted.
**  - cosine >= contra_threshold and opposite outcomes: a contradiction,
**    recorded once per pair as a 'contradicts' link (sv_mem_get reports the
**    count; retrieval is not changed, the caller decides).
**
** Then stale unreliable items are pruned: not used (nor created) for
** prune_age_days and reliability (s+1)/(u+2) below prune_reliability, i.e.
** items that failed more often than they helped and were not touched for a
** long time.  Unused items keep the prior 0.5 and are never pruned.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

typedef struct citem {
  int64_t id, uses, successes, evidence, last;
  int outcome, alive;
} citem;

static int find_item(const citem *it, size_t n, int64_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (it[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && it[lo].id == id ? (int)lo : -1;
}

static int push_action(sv_mem *m, sv_mem_consolidate_report *r, size_t *cap, int kind, int64_t a,
                       int64_t b) {
  if (r->n_actions == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    sv_mem_consolidate_action *n = realloc(r->actions, nc * sizeof *n);
    if (!n) return sv__mem_fail(m, SV_ENOMEM, "out of memory");
    r->actions = n;
    *cap = nc;
  }
  r->actions[r->n_actions++] = (sv_mem_consolidate_action){kind, a, b};
  return SV_OK;
}

void sv_mem_consolidate_report_free(sv_mem_consolidate_report *r) {
  if (!r) return;
  free(r->actions);
  memset(r, 0, sizeof *r);
}

static double rel(const citem *c) {
  return (double)(c->successes + 1) / (double)(c->uses + 2);
}

static int exec_link(sv_mem *m, int64_t a, int64_t b, const char *relation, int64_t now,
                     int *added) {
  sqlite3_stmt *st = NULL;
  int sqlrc = sqlite3_prepare_v2(m->db,
                                 "INSERT OR IGNORE INTO mem_links(src, dst, relation, created_ms)"
                                 " VALUES (?1, ?2, ?3, ?4)",
                                 -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    sqlite3_bind_text(st, 3, relation, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlrc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (sqlrc != SQLITE_DONE) return sv__mem_sqlfail(m, sqlrc, "recording a link");
  *added = sqlite3_changes(m->db) > 0;
  return SV_OK;
}

static int merge_into(sv_mem *m, citem *keep, citem *lose, int64_t now) {
  sqlite3_stmt *st = NULL;
  int added, rc, sqlrc;
  keep->uses += lose->uses;
  keep->successes += lose->successes;
  keep->evidence += lose->evidence;
  if (lose->last > keep->last) keep->last = lose->last;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "UPDATE mem_items SET uses = ?2, successes = ?3, evidence = ?4,"
                             " last_used_ms = max(last_used_ms, ?5) WHERE id = ?1",
                             -1, &st, NULL);
  if (sqlrc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, keep->id);
    sqlite3_bind_int64(st, 2, keep->uses);
    sqlite3_bind_int64(st, 3, keep->successes);
    sqlite3_bind_int64(st, 4, keep->evidence);
    sqlite3_bind_int64(st, 5, keep->last);
    sqlrc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (sqlrc != SQLITE_DONE) return sv__mem_sqlfail(m, sqlrc, "merging items");
  if ((rc = exec_link(m, lose->id, keep->id, "duplicate_of", now, &added)) != SV_OK) return rc;
  lose->alive = 0;
  return sv__mem_delete_row(m, lose->id);
}

int sv_mem_consolidate(sv_mem *m, const sv_mem_consolidate_options *opts,
                       sv_mem_consolidate_report *out) {
  sv_mem_consolidate_options o = {0};
  citem *it = NULL;
  size_t n = 0, cap = 0, acap = 0;
  sqlite3_stmt *st = NULL;
  sv_results near = {0, NULL};
  sv_record rec;
  int rc = SV_OK, sqlrc, in_tx = 0;
  memset(&rec, 0, sizeof rec);
  if (out) memset(out, 0, sizeof *out);
  if (!m) return SV_EINVAL;
  MEM_LOCK(m);
  if (opts) o = *opts;
  if (o.dup_threshold == 0) o.dup_threshold = 0.92;
  if (o.contra_threshold == 0) o.contra_threshold = 0.80;
  if (o.prune_age_days == 0) o.prune_age_days = 90;
  if (o.prune_reliability == 0) o.prune_reliability = 0.3;
  if (!o.now_ms) o.now_ms = sv__now_ms();
  if (!out || !(o.dup_threshold > 0 && o.dup_threshold <= 1) ||
      !(o.contra_threshold > 0 && o.contra_threshold <= 1) || !(o.prune_age_days > 0) ||
      !(o.prune_reliability >= 0 && o.prune_reliability <= 1)) {
    rc = sv__mem_fail(m, SV_EINVAL, "consolidate: invalid options (thresholds in (0,1])");
    goto done;
  }
  if (m->readonly) {
    rc = sv__mem_fail(m, SV_EREADONLY, "the memory file is open read-only");
    goto done;
  }
  if ((rc = sv__mem_begin(m)) != SV_OK) goto done;
  in_tx = 1;
  sqlrc = sqlite3_prepare_v2(m->db,
                             "SELECT id, uses, successes, evidence, max(created_ms, last_used_ms),"
                             " outcome FROM mem_items WHERE outcome != 0 ORDER BY id",
                             -1, &st, NULL);
  if (sqlrc != SQLITE_OK) {
    rc = sv__mem_sqlfail(m, sqlrc, "listing items");
    goto done;
  }
  while ((sqlrc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      citem *c = realloc(it, cap * sizeof *c);
      if (!c) {
        rc = sv__mem_fail(m, SV_ENOMEM, "out of memory");
        goto done;
      }
      it = c;
    }
    it[n++] = (citem){sqlite3_column_int64(st, 0),
                      sqlite3_column_int64(st, 1),
                      sqlite3_column_int64(st, 2),
                      sqlite3_column_int64(st, 3),
                      sqlite3_column_int64(st, 4),
                      sqlite3_column_int(st, 5),
                      1};
  }
  sqlite3_finalize(st);
  st = NULL;
  if (sqlrc != SQLITE_DONE) {
    rc = sv__mem_sqlfail(m, sqlrc, "listing items");
    goto done;
  }
  out->examined = (int64_t)n;
  double lo = fmin(o.dup_threshold, o.contra_threshold);
  for (size_t i = 0; i < n; i++) {
    if (!it[i].alive) continue;
    sv_record_free(&rec);
    if ((rc = sv_get(m->shard, it[i].id, &rec)) != SV_OK) {
      rc = sv__mem_shardfail(m, rc, "reading a vector");
      goto done;
    }
    sv_search_options so = {
        .k = 16, .use_threshold = 1, .threshold = (float)lo, .filter = "{\"kind\":\"item\"}"};
    sv_results_free(&near);
    if ((rc = sv_search(m->shard, rec.vec, rec.dim, &so, &near)) != SV_OK) {
      rc = sv__mem_shardfail(m, rc, "searching neighbours");
      goto done;
    }
    for (size_t h = 0; h < near.n && it[i].alive; h++) {
      int j = find_item(it, n, near.hits[h].id);
      if (j < 0 || (size_t)j == i || !it[j].alive) continue;
      double cs = near.hits[h].score;
      if (it[j].outcome == it[i].outcome && cs >= o.dup_threshold) {
        citem *a = &it[i], *b = &it[j], *keep = a, *lose = b;
        if (rel(b) > rel(a) ||
            (rel(b) == rel(a) &&
             (b->evidence > a->evidence || (b->evidence == a->evidence && b->id < a->id)))) {
          keep = b, lose = a;
        }
        if ((rc = merge_into(m, keep, lose, o.now_ms)) != SV_OK ||
            (rc = push_action(m, out, &acap, SV_MEM_ACT_MERGED, lose->id, keep->id)) != SV_OK) {
          goto done;
        }
        out->merged++;
      } else if (it[j].outcome != it[i].outcome && cs >= o.contra_threshold) {
        int added = 0;
        int64_t a = it[i].id < it[j].id ? it[i].id : it[j].id;
        int64_t b = it[i].id < it[j].id ? it[j].id : it[i].id;
        if ((rc = exec_link(m, a, b, "contradicts", o.now_ms, &added)) != SV_OK) goto done;
        if (added && (rc = push_action(m, out, &acap, SV_MEM_ACT_CONTRADICTS, a, b)) != SV_OK) {
          goto done;
        }
        out->contradictions += added;
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!it[i].alive) continue;
    double age_days = (double)(o.now_ms - it[i].last) / 86400000.0;
    if (age_days > o.prune_age_days && rel(&it[i]) < o.prune_reliability) {
      if ((rc = sv__mem_delete_row(m, it[i].id)) != SV_OK ||
          (rc = push_action(m, out, &acap, SV_MEM_ACT_PRUNED, it[i].id, 0)) != SV_OK) {
        goto done;
      }
      it[i].alive = 0;
      out->pruned++;
    }
  }
  in_tx = 0;
  rc = sv__mem_commit(m);
done:
  if (in_tx) sv__mem_rollback(m);
  if (rc != SV_OK && out) sv_mem_consolidate_report_free(out);
  sqlite3_finalize(st);
  sv_results_free(&near);
  sv_record_free(&rec);
  free(it);
  MEM_UNLOCK(m);
  return rc;
}
