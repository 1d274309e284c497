/*
** mode.c — the --mode names shared by search and bench.  Names are the
** user's words for the sv_search_mode values; "quantized" is the int8
** scan, "binary" the sign-bit scan, both rescored exactly.
*/
#include <string.h>

#include "cli.h"

int cli_parse_mode(const char *cmd, const char *s, int *out) {
  static const struct {
    const char *name;
    int mode;
  } modes[] = {{"auto", SV_MODE_AUTO},           {"exact", SV_MODE_EXACT},
               {"quantized", SV_MODE_QUANTIZED}, {"int8", SV_MODE_QUANTIZED},
               {"binary", SV_MODE_BINARY},       {"hnsw", SV_MODE_HNSW}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp(s, modes[i].name) == 0) {
      *out = modes[i].mode;
      return CLI_OK;
    }
  return cli_usage(cmd, "--mode must be exact, quantized, binary, hnsw or auto, got '%s'", s);
}
