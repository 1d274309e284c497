/*
** sync_test.h — a lossy UDP relay for the sync suites (helpers/relay.c).
**
** The kernel here has no netem, so the test harness degrades the network
** itself: the relay sits between a client and a server on 127.0.0.1 and,
** per datagram and at random (seeded), drops it, sends it twice, or holds
** it back and sends it after the next one (reordering).
*/
#ifndef SV_SYNC_TEST_H
#define SV_SYNC_TEST_H

typedef struct sv_relay sv_relay;

typedef struct sv_relay_stats {
  unsigned long forwarded, dropped, duplicated, reordered;
} sv_relay_stats;

/* Start a relay to 127.0.0.1:server_port on its own thread.  Percentages
** 0..100.  Returns NULL on failure; *port receives the relay's port. */
sv_relay *sv_relay_start(int server_port, int drop_pct, int dup_pct, int reorder_pct,
                         unsigned long long seed, int *port);
/* Stop the thread, close the sockets, report counts (stats may be NULL). */
void sv_relay_stop(sv_relay *r, sv_relay_stats *stats);

#endif
