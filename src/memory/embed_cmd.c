/*
** embed_cmd.c — an external program as the embedder.
**
** Any model can be used without linking it: the command (run by /bin/sh
** -c) gets one JSON string per line on stdin, one per text, and must write
** one JSON array of dim numbers per line on stdout, in the same order, then
** exit 0.  The program is started for each call, which keeps this side
** simple and stateless; batch texts to amortise the start.
**
** The answer is never trusted: the number of lines, every array's length
** (a wrong one is SV_EDIM), the number syntax (plain JSON numbers; no NaN,
** no hex) and float range are checked, and a non-zero exit status fails
** the call with its stderr left to the terminal.  The whole call has a
** deadline: stdin is written and stdout read together with poll() (so a
** program that answers before it has read everything cannot deadlock us),
** and at the deadline the program is killed (SIGKILL) and reaped.
**
** The child's stdin is a socketpair rather than a pipe so the parent can
** write with MSG_NOSIGNAL: a program that exits early must not kill the
** host with SIGPIPE, and a library may not change signal handlers.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memory/mem_internal.h"

typedef struct cmd_ctx {
  char *command;
  uint32_t timeout_ms;
} cmd_ctx;

/* texts as JSON string lines. */
static int encode(const char *const *texts, size_t n, sv_sbuf *b) {
  for (size_t i = 0; i < n; i++) {
    sv__sbuf_json_str(b, texts[i]);
    sv__sbuf_put(b, "\n", 1);
  }
  return b->oom ? -1 : 0;
}

static int cmd_fn(void *vctx, const char *const *texts, size_t n, float *out, uint32_t dim,
                  char *err, size_t errcap) {
  cmd_ctx *c = vctx;
  sv_sbuf in = {0}, outb = {0};
  int sv[2] = {-1, -1}, po[2] = {-1, -1}, rc = SV_EIO, status = 0;
  pid_t pid = -1;
  size_t written = 0;
  int64_t deadline = sv__now_ms() + c->timeout_ms;
  if (encode(texts, n, &in) != 0) {
    snprintf(err, errcap, "out of memory");
    goto done;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(po, O_CLOEXEC) != 0) {
    snprintf(err, errcap, "cannot create pipes: %s", strerror(errno));
    goto done;
  }
  pid = fork();
  if (pid < 0) {
    snprintf(err, errcap, "cannot start the command: %s", strerror(errno));
    goto done;
  }
  if (pid == 0) {
    /* Child: only async-signal-safe calls until exec. */
    if (dup2(sv[1], 0) < 0 || dup2(po[1], 1) < 0) _exit(127);
    execl("/bin/sh", "sh", "-c", c->command, (char *)NULL);
    _exit(127);
  }
  close(sv[1]), sv[1] = -1;
  close(po[1]), po[1] = -1;
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  int open_in = 1, open_out = 1;
  if (in.n == 0) shutdown(sv[0], SHUT_WR), open_in = 0;
  while (open_out) {
    struct pollfd pf[2];
    int np = 0;
    int64_t left = deadline - sv__now_ms();
    if (left <= 0) {
      snprintf(err, errcap, "timed out after %u ms", (unsigned)c->timeout_ms);
      goto done;
    }
    pf[np++] = (struct pollfd){.fd = po[0], .events = POLLIN};
    if (open_in) pf[np++] = (struct pollfd){.fd = sv[0], .events = POLLOUT};
    int pr = poll(pf, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
    if (pr < 0 && errno != EINTR) {
      snprintf(err, errcap, "poll: %s", strerror(errno));
      goto done;
    }
    if (pr <= 0) continue;
    if (open_in && pf[1].revents) {
      ssize_t w = send(sv[0], in.s + written, in.n - written, MSG_NOSIGNAL);
      if (w > 0) written += (size_t)w;
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = in.n; /* reader gone */
      if (written == in.n) shutdown(sv[0], SHUT_WR), open_in = 0;
    }
    if (pf[0].revents) {
      char tmp[65536];
      ssize_t r = read(po[0], tmp, sizeof tmp);
      if (r > 0) {
        if (outb.n + (size_t)r > (size_t)n * (dim * 32u + 64u) + 65536u) {
          snprintf(err, errcap, "the command wrote far more output than %zu vectors", n);
          goto done;
        }
        sv__sbuf_put(&outb, tmp, (size_t)r);
        if (outb.oom) {
          snprintf(err, errcap, "out of memory");
          goto done;
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        open_out = 0;
      }
    }
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(err, errcap, "the command failed (%s %d)",
             WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    goto done;
  }
  {
    size_t line = 0;
    const char *p = outb.s ? outb.s : "", *end = p + outb.n;
    while (p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *le = nl ? nl : end;
      if (le > p) {
        if (line >= n) {
          snprintf(err, errcap, "the command returned more than %zu vectors", n);
          goto done;
        }
        int prc = sv__parse_vector(p, le, out + line * dim, dim, line, err, errcap);
        if (prc != 0) {
          rc = prc;
          goto done;
        }
        line++;
      }
      p = nl ? nl + 1 : end;
    }
    if (line != n) {
      snprintf(err, errcap, "the command returned %zu vectors for %zu texts", line, n);
      goto done;
    }
  }
  rc = 0;
done:
  if (pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  for (int i = 0; i < 2; i++) {
    if (sv[i] >= 0) close(sv[i]);
    if (po[i] >= 0) close(po[i]);
  }
  free(in.s);
  free(outb.s);
  return rc;
}

static void cmd_free(void *vctx) {
  cmd_ctx *c = vctx;
  if (c) free(c->command);
  free(c);
}

int sv_embedder_command(const char *name, const char *command, uint32_t dim, uint32_t timeout_ms,
                        sv_embedder **out) {
  char full[SV_MEM_MAX_SHORT], err[256];
  cmd_ctx *c;
  if (out) *out = NULL;
  if (!out || sv__check_text(command, "embedder command", 4096, 1, err, sizeof err) != SV_OK ||
      sv__check_text(name, "embedder name", SV_MEM_MAX_SHORT - 8, 1, err, sizeof err) != SV_OK) {
    sv__emb_seterr("%s", out ? err : "sv_embedder_command: NULL result");
    return SV_EINVAL;
  }
  c = calloc(1, sizeof *c);
  if (!c || sv__strdup(command, &c->command) != 0) {
    free(c);
    sv__emb_seterr("out of memory");
    return SV_ENOMEM;
  }
  c->timeout_ms = timeout_ms ? timeout_ms : 30000;
  snprintf(full, sizeof full, "cmd:%s", name);
  return sv_embedder_custom(full, "1", dim, cmd_fn, c, cmd_free, out);
}
