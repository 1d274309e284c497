/* sync_test.h — helpers shared by the sync suites (tests/c/helpers/relay.c). */
#ifndef SV_SYNC_TEST_H
#define SV_SYNC_TEST_H
#endif
