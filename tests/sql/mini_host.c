/*
** mini_host.c — a minimal SQLite host for testing the extension against the
** pinned SQLite 3.52.0 as well as Debian's 3.40.1 shell.
**
** test_extension.sh compiles it against build/deps' libsqlite3.a.  Usage:
**   mini_host DB EXTENSION SQL...
** It opens DB, loads EXTENSION (entry point derived from the file name, as
** the shell does), runs each SQL argument with sqlite3_exec printing rows
** as "a|b|c", and closes with sqlite3_close() — the strict close that fails
** while any statement is unfinalized, so a leak of the extension's cached
** statements shows up as an error.  Exit status 1 on any error.
*/
#include <stdio.h>

#include "sqlite3.h"

static int print_row(void *arg, int n, char **vals, char **names) {
  (void)arg;
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", vals[i] ? vals[i] : "");
  putchar('\n');
  return 0;
}

int main(int argc, char **argv) {
  sqlite3 *db = NULL;
  char *err = NULL;
  int status = 1;
  if (argc < 3) {
    fprintf(stderr, "usage: mini_host DB EXTENSION SQL...\n");
    return 2;
  }
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
    fprintf(stderr, "Error: open: %s\n", sqlite3_errmsg(db));
    goto done;
  }
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, NULL);
  if (sqlite3_load_extension(db, argv[2], NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "Error: load: %s\n", err ? err : sqlite3_errmsg(db));
    goto done;
  }
  for (int i = 3; i < argc; i++) {
    if (sqlite3_exec(db, argv[i], print_row, NULL, &err) != SQLITE_OK) {
      fprintf(stderr, "Error: %s\n", err ? err : sqlite3_errmsg(db));
      goto done;
    }
  }
  status = 0;
done:
  sqlite3_free(err);
  if (db && sqlite3_close(db) != SQLITE_OK) {
    fprintf(stderr, "Error: close: %s\n", sqlite3_errmsg(db));
    status = 1;
  }
  fflush(stdout);
  return status;
}
