/*
** args.c — command-line parsing and error printing shared by all commands.
**
** Each command declares a small table of options and how many positional
** arguments it takes; cli_parse_args() fills in raw strings and rejects
** anything it does not recognise.  Values stay strings until the command
** converts them with the strict number parsers below, so the message for a
** bad value can name the option.
**
** Numbers are parsed by hand rather than with strtol/strtoul alone because
** those accept leading spaces, a '+', and (for strtoul) a '-' that wraps
** around; "k must be a positive integer" has to mean exactly that.  Floats
** go through strtof, but only after checking the text is a plain decimal
** literal, because strtof also accepts "nan", "inf" and hex.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One "sqlite-vector: <message>" line on stderr, the form of every error. */
static void verr(const char *fmt, va_list ap) {
  fputs("sqlite-vector: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void cli_err(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(fmt, ap);
  va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(fmt, ap);
  va_end(ap);
  fprintf(stderr, "Try 'sqlite-vector %s --help'.\n", cmd);
  return CLI_USAGE;
}

/* "-5" and "-0.5" are values, not options. */
static int looks_negative_number(const char *a) {
  return a[0] == '-' && ((a[1] >= '0' && a[1] <= '9') || a[1] == '.');
}

static const cli_opt *find_opt(const cli_opt *opts, size_t nopts, const char *name, size_t len) {
  for (size_t i = 0; i < nopts; i++) {
    if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
  }
  return NULL;
}

int cli_parse_args(const char *cmd, const char *synopsis, int argc, char **argv,
                   const cli_opt *opts, size_t nopts, const char **pos, size_t min_pos,
                   size_t max_pos, size_t *npos) {
  unsigned char seen[64] = {0};
  int i, only_pos = 0;
  *npos = 0;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return CLI_HELP;
  }
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!only_pos && strcmp(a, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (!only_pos && a[0] == '-' && a[1] != '\0' && !looks_negative_number(a)) {
      const char *eq = strchr(a, '=');
      size_t len = eq ? (size_t)(eq - a) : strlen(a);
      const cli_opt *o = find_opt(opts, nopts, a, len);
      if (!o) return cli_usage(cmd, "unknown option '%.*s' for '%s'", (int)len, a, cmd);
      size_t idx = (size_t)(o - opts);
      if (idx < sizeof seen && seen[idx]) return cli_usage(cmd, "%s given more than once", o->name);
      if (idx < sizeof seen) seen[idx] = 1;
      if (o->flag) {
        if (eq) return cli_usage(cmd, "%s takes no value", o->name);
        *o->flag = 1;
      } else if (eq) {
        *o->value = eq + 1;
      } else if (i + 1 < argc) {
        *o->value = argv[++i];
      } else {
        return cli_usage(cmd, "%s needs a value", o->name);
      }
      continue;
    }
    if (*npos == max_pos) {
      return cli_usage(cmd, "unexpected argument '%s' (usage: sqlite-vector %s)", a, synopsis);
    }
    pos[(*npos)++] = a;
  }
  if (*npos < min_pos) {
    return cli_usage(cmd, "missing argument (usage: sqlite-vector %s)", synopsis);
  }
  return CLI_OK;
}

int cli_parse_shard_id(const char *cmd, const char *synopsis, int argc, char **argv,
                       const char **path, int64_t *id, int *json) {
  const char *pos[2];
  size_t npos;
  const cli_opt opts[] = {{"--json", NULL, json}};
  int rc = cli_parse_args(cmd, synopsis, argc, argv, opts, CLI_NOPTS(opts), pos, 2, 2, &npos);
  if (rc != CLI_OK) return rc;
  if (cli_parse_i64("ID", pos[1], id) != 0) return CLI_USAGE;
  *path = pos[0];
  return CLI_OK;
}

int cli_parse_u32(const char *what, const char *s, uint32_t min, uint32_t max, uint32_t *out) {
  uint64_t v = 0;
  size_t i = 0;
  if (s[0] == '\0') goto bad;
  for (; s[i]; i++) {
    if (s[i] < '0' || s[i] > '9') goto bad;
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > UINT32_MAX) goto bad;
  }
  if (v < min || v > max) goto bad;
  *out = (uint32_t)v;
  return 0;
bad:
  cli_err("%s must be an integer from %u to %u, got '%s'", what, (unsigned)min, (unsigned)max, s);
  return -1;
}

int cli_parse_i64(const char *what, const char *s, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  int64_t v = 0; /* accumulated negatively so INT64_MIN fits */
  if (s[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (s[i] == '\0') goto bad;
  for (; s[i]; i++) {
    if (s[i] < '0' || s[i] > '9') goto bad;
    int digit = s[i] - '0';
    if (v < (INT64_MIN + digit) / 10) goto bad;
    v = v * 10 - digit;
  }
  if (!neg) {
    if (v == INT64_MIN) goto bad;
    v = -v;
  }
  *out = v;
  return 0;
bad:
  cli_err("%s must be a 64-bit integer, got '%s'", what, s);
  return -1;
}

int cli_parse_float(const char *what, const char *s, float *out) {
  char *end = NULL;
  float v;
  if (s[0] == '\0' || strspn(s, "0123456789+-.eE") != strlen(s)) goto bad;
  errno = 0;
  v = strtof(s, &end);
  if (end == s || *end != '\0' || !isfinite(v)) goto bad;
  *out = v;
  return 0;
bad:
  cli_err("%s must be a finite decimal number, got '%s'", what, s);
  return -1;
}
