/*
** main.c — the sqlite-vector program: pick a command and run it.
**
** Each command lives in its own file and receives argv starting at its
** name, so it parses its own options and prints its own --help.  This file
** only knows the command table, the top-level help, `version`, and the
** exit-code convention (0 ok, 1 failed, 2 bad command line).  stdout is
** flushed and checked at exit: a result that could not be written (a full
** disk, a closed pipe) must not be reported as success.
*/
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command COMMANDS[] = {
    {"create", cmd_create, "create a shard with a fixed dimension and metric"},
    {"import", cmd_import, "import vectors from .fvecs or JSON lines"},
    {"search", cmd_search, "exact k-nearest-neighbour search"},
    {"get", cmd_get, "print one row"},
    {"delete", cmd_delete, "delete one row"},
    {"stats", cmd_stats, "print shard statistics"},
    {"bench", cmd_bench, "measure recall and latency against ground truth"},
    {"memory", cmd_memory, "agent memory: store, search, patterns, context, eval"},
    {"sync", cmd_sync, "replicate shards over QUIC (keygen, serve, push, pull, both)"},
    {"index", cmd_index, "build an HNSW graph or quantized codes"},
    {"compact", cmd_compact, "shrink the file after deletes (VACUUM)"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_overview(FILE *f) {
  fprintf(f,
          "sqlite-vector %s — an embedded vector database on SQLite\n"
          "\n"
          "Usage: sqlite-vector COMMAND [ARGS] [--json]\n"
          "\n"
          "Commands:\n",
          SV_VERSION_STRING);
  for (size_t i = 0; i < NCOMMANDS; i++) {
    fprintf(f, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  }
  fprintf(f,
          "  %-8s %s\n"
          "  %-8s %s\n"
          "\n"
          "Run 'sqlite-vector COMMAND --help' for a command's options.\n"
          "Exit status: 0 success, 1 failure, 2 invalid command line.\n",
          "version", "print the version and SIMD backend", "help", "show this help");
}

static int run_version(int argc, char **argv) {
  int json = 0;
  size_t npos;
  const cli_opt opts[] = {{"--json", NULL, &json}};
  int rc = cli_parse_args("version", "version [--json]", argc, argv, opts, CLI_NOPTS(opts), NULL, 0,
                          0, &npos);
  if (rc == CLI_HELP) {
    printf(
        "Usage: sqlite-vector version [--json]\n\nPrint the program version, the on-disk "
        "format version and the SIMD backend in use.\n");
    return CLI_OK;
  }
  if (rc != CLI_OK) return rc;
  cli_check_simd_env();
  if (json) {
    printf("{\"version\":\"%s\",\"format_version\":%d,\"simd\":", SV_VERSION_STRING,
           SV_FORMAT_VERSION);
    cli_out_str(stdout, sv_simd_backend());
    printf("}\n");
  } else {
    printf("sqlite-vector %s (format %d, simd %s)\n", SV_VERSION_STRING, SV_FORMAT_VERSION,
           sv_simd_backend());
  }
  return CLI_OK;
}

static const command *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
  }
  return NULL;
}

static int dispatch(int argc, char **argv) {
  const char *name;
  const command *c;
  if (argc < 2) {
    print_overview(stderr);
    return CLI_USAGE;
  }
  name = argv[1];
  if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    if (argc > 2) {
      char *sub[2];
      c = find_command(argv[2]);
      if (strcmp(argv[2], "version") == 0) {
        sub[0] = argv[2];
        sub[1] = "--help";
        return run_version(2, sub);
      }
      if (!c) {
        cli_err("unknown command '%s'", argv[2]);
        return CLI_USAGE;
      }
      sub[0] = argv[2];
      sub[1] = "--help";
      return c->run(2, sub);
    }
    print_overview(stdout);
    return CLI_OK;
  }
  if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
    return run_version(argc - 1, argv + 1);
  }
  c = find_command(name);
  if (!c) {
    cli_err("unknown command '%s' (run 'sqlite-vector help')", name);
    return CLI_USAGE;
  }
  return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv) {
  int rc = dispatch(argc, argv);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_err("could not write the output");
    if (rc == CLI_OK) rc = CLI_ERR;
  }
  return rc;
}
