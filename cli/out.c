/*
** out.c — the few primitives every --json output is built from.
**
** Commands print their JSON with fprintf and these helpers, one object per
** line, so output can be consumed line by line (search prints one line per
** query).  Two details matter for "the output always parses": strings are
** escaped completely (control characters, quotes, backslashes, and any
** bytes that are not valid UTF-8, which become U+FFFD), and floats are
** printed with 9 significant digits — enough to read back the identical
** float — and as null if they are ever not finite, since JSON has no NaN.
*/
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"

void cli_out_str(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s), i = 0;
  fputc('"', f);
  while (i < len) {
    unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
      i++;
    } else if (c == '\n') {
      fputs("\\n", f);
      i++;
    } else if (c == '\t') {
      fputs("\\t", f);
      i++;
    } else if (c == '\r') {
      fputs("\\r", f);
      i++;
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
      i++;
    } else if (c < 0x80) {
      fputc(c, f);
      i++;
    } else {
      size_t n = cli_json_utf8_seq(p + i, len - i);
      if (n == 0) {
        fputs("\\ufffd", f);
        i++;
      } else {
        fwrite(p + i, 1, n, f);
        i += n;
      }
    }
  }
  fputc('"', f);
}

void cli_out_float(FILE *f, float v) {
  if (isfinite(v)) {
    fprintf(f, "%.9g", (double)v);
  } else {
    fputs("null", f);
  }
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
