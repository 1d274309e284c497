/*
** cmd_sync.c — `sqlite-vector sync keygen|fingerprint|serve|push|pull|both|local`.
**
** A thin face over include/sqlite_vector_sync.h.  keygen writes a node
** identity and prints the fingerprint peers must pin; serve answers syncs
** until SIGINT/SIGTERM (or --sessions N), printing one line per finished
** session; push/pull/both run one sync against HOST:PORT and print what
** moved; local syncs two shard files in this process.  With --json every
** result is one JSON object per line.  The server prints its address
** ("listening on HOST:PORT", or a JSON object) before serving, so scripts
** can start it on port 0 and read the port back.
*/
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sqlite_vector_sync.h"

static const char SYNOPSIS[] =
    "sync keygen DIR | fingerprint DIR | serve SHARD --listen HOST:PORT --identity DIR --allow "
    "FP[,FP..] | push|pull|both SHARD HOST:PORT --identity DIR --allow FP[,FP..] | local SHARD "
    "OTHER [--direction push|pull|both]";

static volatile int stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void help(void) {
  printf(
      "Usage:\n"
      "  sqlite-vector sync keygen DIR [--json]\n"
      "  sqlite-vector sync fingerprint DIR [--json]\n"
      "  sqlite-vector sync serve SHARD --listen HOST:PORT --identity DIR --allow FP[,FP..]\n"
      "                         [--sessions N] [--no-compress] [--json]\n"
      "  sqlite-vector sync push|pull|both SHARD HOST:PORT --identity DIR --allow FP[,FP..]\n"
      "                         [--no-compress] [--batch ROWS] [--timeout MS] [--json]\n"
      "  sqlite-vector sync local SHARD OTHER [--direction push|pull|both] [--json]\n"
      "\n"
      "Replicate shards over QUIC (TLS 1.3, mutual authentication by pinned certificate\n"
      "fingerprints).  keygen writes DIR/node.key and DIR/node.crt and prints the SHA-256\n"
      "fingerprint a peer passes to --allow.  push sends our changes, pull fetches the\n"
      "peer's, both does both; only rows changed since the last sync with that peer move.\n"
      "Results: rows sent/received/applied, bytes on the wire, compression ratio, ms and\n"
      "the content digest after the sync.  See docs/SYNC.md.\n");
}

static void print_result(const char *what, const char *peer, const sv_sync_result *r, int json) {
  if (json) {
    printf("{\"op\":");
    cli_out_str(stdout, what);
    printf(",\"peer\":");
    cli_out_str(stdout, peer);
    printf(
        ",\"rows_sent\":%llu,\"rows_received\":%llu,\"rows_applied\":%llu,\"bytes_sent\":%llu,"
        "\"bytes_received\":%llu,\"payload_raw\":%llu,\"payload_coded\":%llu,"
        "\"compression_ratio\":%.4f,\"compressed\":%s,\"ms\":%.3f,\"peer_fingerprint\":",
        (unsigned long long)r->rows_sent, (unsigned long long)r->rows_received,
        (unsigned long long)r->rows_applied, (unsigned long long)r->bytes_sent,
        (unsigned long long)r->bytes_received, (unsigned long long)r->payload_raw,
        (unsigned long long)r->payload_coded, r->compression_ratio,
        r->compressed ? "true" : "false", r->ms);
    cli_out_str(stdout, r->peer_fingerprint);
    printf(",\"digest\":");
    cli_out_str(stdout, r->digest);
    printf("}\n");
  } else {
    printf(
        "%s %s: sent %llu rows, received %llu (applied %llu), wire %llu B out / %llu B in, "
        "compression %.2fx%s, %.2f ms\ndigest %s\n",
        what, peer, (unsigned long long)r->rows_sent, (unsigned long long)r->rows_received,
        (unsigned long long)r->rows_applied, (unsigned long long)r->bytes_sent,
        (unsigned long long)r->bytes_received, r->compression_ratio, r->compressed ? " (zstd)" : "",
        r->ms, r->digest);
  }
  fflush(stdout);
}

static int do_keygen(int argc, char **argv, int fp_only) {
  const char *pos[1];
  size_t npos;
  int json = 0;
  char fp[65], err[400];
  const cli_opt opts[] = {{"--json", NULL, &json}};
  int rc = cli_parse_args("sync", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc != CLI_OK) return rc == CLI_HELP ? (help(), CLI_OK) : rc;
  rc = fp_only ? sv_sync_fingerprint(pos[0], fp, err, sizeof err)
               : sv_sync_keygen(pos[0], fp, err, sizeof err);
  if (rc != SV_OK) {
    cli_err("%s", err);
    return CLI_ERR;
  }
  if (json) {
    printf("{\"dir\":");
    cli_out_str(stdout, pos[0]);
    printf(",\"fingerprint\":\"%s\"}\n", fp);
  } else {
    printf("%s\n", fp);
  }
  return CLI_OK;
}

typedef struct serve_out {
  int json;
} serve_out;

static void on_session(void *ctx, int ok, const char *msg, const sv_sync_result *r) {
  serve_out *so = ctx;
  if (!r) {
    if (so->json) {
      printf("{\"op\":\"listening\",\"address\":");
      cli_out_str(stdout, msg);
      printf("}\n");
    } else {
      printf("listening on %s\n", msg);
    }
    fflush(stdout);
  } else if (ok == SV_OK) {
    print_result("served", r->peer_fingerprint[0] ? r->peer_fingerprint : "?", r, so->json);
  } else if (so->json) {
    printf("{\"op\":\"served\",\"error\":");
    cli_out_str(stdout, sv_errstr(ok));
    printf(",\"message\":");
    cli_out_str(stdout, msg);
    printf("}\n");
    fflush(stdout);
  } else {
    fprintf(stderr, "sqlite-vector: session refused or failed: %s (%s)\n", msg, sv_errstr(ok));
  }
}

static int do_serve(int argc, char **argv) {
  const char *pos[1], *listen = NULL, *identity = NULL, *allow = NULL, *sessions = NULL;
  size_t npos;
  int json = 0, nocomp = 0;
  uint32_t max_sessions = 0;
  sv_shard *sh = NULL;
  const cli_opt opts[] = {{"--json", NULL, &json},         {"--listen", &listen, NULL},
                          {"--identity", &identity, NULL}, {"--allow", &allow, NULL},
                          {"--sessions", &sessions, NULL}, {"--no-compress", NULL, &nocomp}};
  int rc = cli_parse_args("sync", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 1, 1, &npos);
  if (rc != CLI_OK) return rc == CLI_HELP ? (help(), CLI_OK) : rc;
  if (!listen || !identity || !allow)
    return cli_usage("sync", "serve needs --listen, --identity and --allow");
  if (sessions && cli_parse_u32("--sessions", sessions, 1, 1000000, &max_sessions) != 0)
    return CLI_USAGE;
  if ((rc = cli_open_shard(pos[0], &sh)) != CLI_OK) return rc;
  sv_sync_options o = {identity, allow, NULL, nocomp ? 0 : -1, 0, 0, 1};
  serve_out so = {json};
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  int src = sv_sync_serve(sh, listen, &o, &stop_flag, (int)max_sessions, on_session, &so, NULL);
  if (src != SV_OK)
    rc = cli_fail(sh, src, pos[0]);
  else
    rc = CLI_OK;
  sv_shard_close(sh);
  return rc;
}

static int do_peer(int argc, char **argv, sv_sync_direction dir) {
  const char *pos[2], *identity = NULL, *allow = NULL, *batch = NULL, *timeout = NULL;
  size_t npos;
  int json = 0, nocomp = 0;
  uint32_t nbatch = 0, tmo = 30000;
  sv_shard *sh = NULL;
  const cli_opt opts[] = {{"--json", NULL, &json},       {"--identity", &identity, NULL},
                          {"--allow", &allow, NULL},     {"--batch", &batch, NULL},
                          {"--timeout", &timeout, NULL}, {"--no-compress", NULL, &nocomp}};
  int rc = cli_parse_args("sync", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  if (rc != CLI_OK) return rc == CLI_HELP ? (help(), CLI_OK) : rc;
  if (!identity || !allow) return cli_usage("sync", "%s needs --identity and --allow", argv[0]);
  if (batch && cli_parse_u32("--batch", batch, 1, 65536, &nbatch) != 0) return CLI_USAGE;
  if (timeout && cli_parse_u32("--timeout", timeout, 1, 3600000, &tmo) != 0) return CLI_USAGE;
  if ((rc = cli_open_shard(pos[0], &sh)) != CLI_OK) return rc;
  sv_sync_options o = {identity, allow, NULL, nocomp ? 0 : -1, nbatch, (int)tmo, 1};
  sv_sync_result r;
  int src = sv_sync_shard(sh, pos[1], dir, &o, &r);
  if (src != SV_OK) {
    rc = cli_fail(sh, src, pos[0]);
  } else {
    print_result(argv[0], pos[1], &r, json);
    rc = CLI_OK;
  }
  sv_shard_close(sh);
  return rc;
}

static int do_local(int argc, char **argv) {
  const char *pos[2], *direction = NULL;
  size_t npos;
  int json = 0;
  sv_shard *a = NULL, *b = NULL;
  const cli_opt opts[] = {{"--json", NULL, &json}, {"--direction", &direction, NULL}};
  int rc = cli_parse_args("sync", SYNOPSIS, argc, argv, opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  if (rc != CLI_OK) return rc == CLI_HELP ? (help(), CLI_OK) : rc;
  sv_sync_direction dir = SV_SYNC_BOTH;
  if (direction) {
    if (strcmp(direction, "push") == 0)
      dir = SV_SYNC_PUSH;
    else if (strcmp(direction, "pull") == 0)
      dir = SV_SYNC_PULL;
    else if (strcmp(direction, "both") != 0)
      return cli_usage("sync", "--direction must be push, pull or both");
  }
  if ((rc = cli_open_shard(pos[0], &a)) != CLI_OK) goto cleanup;
  if ((rc = cli_open_shard(pos[1], &b)) != CLI_OK) goto cleanup;
  sv_sync_result r;
  sv_sync_options o = {NULL, NULL, NULL, -1, 0, 0, 1};
  int src = sv_sync_local(a, b, dir, &o, &r);
  if (src != SV_OK) {
    rc = cli_fail(a, src, pos[0]);
    goto cleanup;
  }
  print_result("local", pos[1], &r, json);
  rc = CLI_OK;
cleanup:
  sv_shard_close(a);
  sv_shard_close(b);
  return rc;
}

int cmd_sync(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    help();
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "keygen") == 0) return do_keygen(argc - 1, argv + 1, 0);
  if (strcmp(sub, "fingerprint") == 0) return do_keygen(argc - 1, argv + 1, 1);
  if (strcmp(sub, "serve") == 0) return do_serve(argc - 1, argv + 1);
  if (strcmp(sub, "push") == 0) return do_peer(argc - 1, argv + 1, SV_SYNC_PUSH);
  if (strcmp(sub, "pull") == 0) return do_peer(argc - 1, argv + 1, SV_SYNC_PULL);
  if (strcmp(sub, "both") == 0) return do_peer(argc - 1, argv + 1, SV_SYNC_BOTH);
  if (strcmp(sub, "local") == 0) return do_local(argc - 1, argv + 1);
  return cli_usage("sync", "unknown sync command '%s'", sub);
}
