/*
** progress.c — a one-line progress bar on stderr for long imports.
**
** The bar is only for people watching a terminal: when stderr is not a
** TTY (pipes, CI logs, tests) every call is a no-op, so captured output
** stays clean and machine-readable.  Redraws are throttled to ten per
** second because a write per batch on a fast import would cost more than
** it tells.  The line is redrawn with '\r' and cleared at the end, so the
** final report printed on stdout is not interleaved with a stale bar.
*/
#include <unistd.h>

#include "cli.h"

#define BAR_WIDTH 30

static void draw(const cli_progress *p, size_t done, double now) {
  double frac = p->total ? (double)done / (double)p->total : 1.0;
  double secs = now - p->t0;
  double rate = secs > 0 ? (double)done / secs : 0.0;
  int fill = (int)(frac * BAR_WIDTH);
  char bar[BAR_WIDTH + 1];
  for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  fprintf(stderr, "\r%s [%s] %3d%% %zu/%zu %.0f rows/s ", p->label, bar, (int)(frac * 100.0), done,
          p->total, rate);
  fflush(stderr);
}

void cli_progress_start(cli_progress *p, const char *label, size_t total) {
  p->enabled = isatty(STDERR_FILENO);
  p->label = label;
  p->total = total;
  p->t0 = cli_now();
  p->last = 0.0;
  if (p->enabled) draw(p, 0, p->t0);
}

void cli_progress_update(cli_progress *p, size_t done) {
  double now;
  if (!p->enabled) return;
  now = cli_now();
  if (now - p->last < 0.1 && done < p->total) return;
  p->last = now;
  draw(p, done, now);
}

void cli_progress_finish(cli_progress *p) {
  if (!p->enabled) return;
  /* Erase the bar: carriage return, clear to end of line. */
  fputs("\r\033[K", stderr);
  fflush(stderr);
  p->enabled = 0;
}
