/*
** relay.c — the lossy, duplicating, reordering UDP relay (sync_test.h).
**
** One thread polls two sockets: `front`, bound to an ephemeral port the
** client sends to, and `back`, connected to the server.  The first client
** datagram fixes the client's address; afterwards datagrams flow both
** ways.  Each one independently may be dropped, duplicated, or parked in a
** one-slot holding pen per direction that is flushed after the next
** datagram of that direction (so the two arrive swapped) or after 5 ms.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sync_test.h"

typedef struct held {
  int used;
  size_t len;
  unsigned char buf[2048];
} held;

struct sv_relay {
  int front, back;
  struct sockaddr_in client;
  int have_client;
  int drop, dup, reorder;
  unsigned long long seed;
  volatile int stop;
  pthread_t th;
  held pen[2];
  sv_relay_stats st;
};

static unsigned rnd100(sv_relay *r) {
  unsigned long long z = (r->seed += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (unsigned)((z ^ (z >> 31)) % 100);
}

static void out(sv_relay *r, int dir, const unsigned char *p, size_t n) {
  if (dir == 0)
    send(r->back, p, n, 0);
  else if (r->have_client)
    sendto(r->front, p, n, 0, (struct sockaddr *)&r->client, sizeof r->client);
  r->st.forwarded++;
}

static void flush_pen(sv_relay *r, int dir) {
  if (!r->pen[dir].used) return;
  r->pen[dir].used = 0;
  out(r, dir, r->pen[dir].buf, r->pen[dir].len);
}

static void handle(sv_relay *r, int dir, const unsigned char *p, size_t n) {
  if (rnd100(r) < (unsigned)r->drop) {
    r->st.dropped++;
    return;
  }
  if (!r->pen[dir].used && n <= sizeof r->pen[dir].buf && rnd100(r) < (unsigned)r->reorder) {
    memcpy(r->pen[dir].buf, p, n);
    r->pen[dir].len = n;
    r->pen[dir].used = 1;
    r->st.reordered++;
    return;
  }
  out(r, dir, p, n);
  flush_pen(r, dir);
  if (rnd100(r) < (unsigned)r->dup) {
    out(r, dir, p, n);
    r->st.duplicated++;
  }
}

static void *relay_main(void *arg) {
  sv_relay *r = arg;
  unsigned char buf[65536];
  while (!r->stop) {
    struct pollfd p[2] = {{r->front, POLLIN, 0}, {r->back, POLLIN, 0}};
    int k = poll(p, 2, 5);
    if (k == 0) {
      flush_pen(r, 0);
      flush_pen(r, 1);
      continue;
    }
    if (p[0].revents & POLLIN) {
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(r->front, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
      if (n > 0) {
        r->client = from;
        r->have_client = 1;
        handle(r, 0, buf, (size_t)n);
      }
    }
    if (p[1].revents & POLLIN) {
      ssize_t n = recv(r->back, buf, sizeof buf, 0);
      if (n > 0) handle(r, 1, buf, (size_t)n);
    }
  }
  return NULL;
}

sv_relay *sv_relay_start(int server_port, int drop_pct, int dup_pct, int reorder_pct,
                         unsigned long long seed, int *port) {
  sv_relay *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->drop = drop_pct, r->dup = dup_pct, r->reorder = reorder_pct, r->seed = seed;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  r->front = socket(AF_INET, SOCK_DGRAM, 0);
  r->back = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t al = sizeof a;
  if (r->front < 0 || r->back < 0 || bind(r->front, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(r->front, (struct sockaddr *)&a, &al) != 0) {
    if (r->front >= 0) close(r->front);
    if (r->back >= 0) close(r->back);
    free(r);
    return NULL;
  }
  *port = ntohs(a.sin_port);
  a.sin_port = htons((unsigned short)server_port);
  if (connect(r->back, (struct sockaddr *)&a, sizeof a) != 0) {
    close(r->front);
    close(r->back);
    free(r);
    return NULL;
  }
  pthread_create(&r->th, NULL, relay_main, r);
  return r;
}

void sv_relay_stop(sv_relay *r, sv_relay_stats *stats) {
  if (!r) return;
  r->stop = 1;
  pthread_join(r->th, NULL);
  close(r->front);
  close(r->back);
  if (stats) *stats = r->st;
  free(r);
}
