/*
** json.c — the strict JSON reader declared in json.h.
**
** A recursive-descent parser over a byte slice.  Each value appends one
** node; a container appends its own node first (so a parent's index is
** always smaller than its children's) and patches first/next/count as its
** children arrive.  Nodes are addressed by index because the array is
** reallocated as it grows.  Recursion depth is bounded by
** CLI_JSON_MAX_DEPTH, so the stack cost is bounded whatever the input.
**
** Strings are validated in full while parsing (escapes, surrogate pairs,
** UTF-8 well-formedness, no raw control characters) but not decoded: most
** strings the CLI meets are inside metadata, which is handed on as raw
** text.  Keys are decoded lazily when compared.  Numbers are checked
** against the JSON grammar first and only then converted with strtod on a
** bounded copy, because strtod alone accepts far more (hex, "inf", "nan",
** leading '+') and would read past an unterminated slice.
*/
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number token converted; longer ones are refused rather than
** silently rounded through a truncated copy. */
#define NUM_MAX 400

typedef struct parser {
  cli_json_doc *doc;
  size_t pos;
} parser;

void cli_json_init(cli_json_doc *doc) {
  memset(doc, 0, sizeof *doc);
}

void cli_json_free(cli_json_doc *doc) {
  free(doc->nodes);
  cli_json_init(doc);
}

static int fail(parser *p, size_t at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->doc->err, sizeof p->doc->err, fmt, ap);
  va_end(ap);
  p->doc->err_pos = at;
  return -1;
}

/* Describe the byte at pos for an error message. */
static void describe(const parser *p, size_t pos, char *buf, size_t cap) {
  const cli_json_doc *d = p->doc;
  if (pos >= d->len) {
    snprintf(buf, cap, "end of input");
  } else {
    unsigned char c = (unsigned char)d->src[pos];
    if (c >= 0x21 && c < 0x7f) {
      snprintf(buf, cap, "'%c'", c);
    } else {
      snprintf(buf, cap, "byte 0x%02X", c);
    }
  }
}

static int unexpected(parser *p, const char *wanted) {
  char what[32];
  describe(p, p->pos, what, sizeof what);
  return fail(p, p->pos, "expected %s, found %s", wanted, what);
}

static void skip_ws(parser *p) {
  const char *s = p->doc->src;
  while (p->pos < p->doc->len &&
         (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')) {
    p->pos++;
  }
}

/* Append a node of `type` starting at the current position; returns its
** index or CLI_JSON_NONE when memory runs out (error already set). */
static size_t new_node(parser *p, cli_json_type type) {
  cli_json_doc *d = p->doc;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    cli_json_node *grown = realloc(d->nodes, cap * sizeof *grown);
    if (!grown) {
      fail(p, p->pos, "out of memory");
      return CLI_JSON_NONE;
    }
    d->nodes = grown;
    d->cap = cap;
  }
  cli_json_node *nd = &d->nodes[d->n];
  memset(nd, 0, sizeof *nd);
  nd->type = type;
  nd->start = p->pos;
  nd->end = p->pos;
  nd->key = CLI_JSON_NONE;
  nd->first = CLI_JSON_NONE;
  nd->next = CLI_JSON_NONE;
  return d->n++;
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= (unsigned)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= (unsigned)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= (unsigned)(c - 'A' + 10);
    } else {
      return -1;
    }
  }
  *out = v;
  return 0;
}

size_t cli_json_utf8_seq(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < need) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < need; i++) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return need;
}

/* Validate a string token (p->pos at the opening quote). */
static int parse_string(parser *p, size_t *out) {
  const cli_json_doc *d = p->doc;
  size_t idx = new_node(p, CLI_JSON_STRING);
  if (idx == CLI_JSON_NONE) return -1;
  p->pos++; /* opening quote */
  for (;;) {
    if (p->pos >= d->len) return fail(p, p->pos, "unterminated string");
    unsigned char c = (unsigned char)d->src[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c < 0x20) {
      return fail(p, p->pos, "raw control character 0x%02X in string (escape it)", c);
    }
    if (c == '\\') {
      if (p->pos + 1 >= d->len) return fail(p, p->pos, "unterminated string");
      char e = d->src[p->pos + 1];
      if (strchr("\"\\/bfnrt", e) && e != '\0') {
        p->pos += 2;
        continue;
      }
      if (e != 'u') return fail(p, p->pos, "invalid escape '\\%c'", e);
      unsigned u;
      if (p->pos + 6 > d->len || hex4(d->src + p->pos + 2, &u) != 0) {
        return fail(p, p->pos, "\\u must be followed by 4 hex digits");
      }
      if (u >= 0xDC00 && u <= 0xDFFF) {
        return fail(p, p->pos, "unpaired low surrogate \\u%04X", u);
      }
      if (u >= 0xD800 && u <= 0xDBFF) {
        unsigned lo;
        if (p->pos + 12 > d->len || d->src[p->pos + 6] != '\\' || d->src[p->pos + 7] != 'u' ||
            hex4(d->src + p->pos + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
          return fail(p, p->pos, "high surrogate \\u%04X not followed by a low surrogate", u);
        }
        p->pos += 12;
      } else {
        p->pos += 6;
      }
      continue;
    }
    if (c < 0x80) {
      p->pos++;
      continue;
    }
    size_t n = cli_json_utf8_seq((const unsigned char *)d->src + p->pos, d->len - p->pos);
    if (n == 0) return fail(p, p->pos, "invalid UTF-8 in string");
    p->pos += n;
  }
  p->doc->nodes[idx].end = p->pos;
  *out = idx;
  return 0;
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int parse_number(parser *p, size_t *out) {
  const cli_json_doc *d = p->doc;
  const char *s = d->src;
  size_t start = p->pos, i = p->pos;
  int integer = 1;
  if (i < d->len && s[i] == '-') i++;
  if (i >= d->len || !is_digit(s[i])) {
    p->pos = i;
    return unexpected(p, "a digit");
  }
  if (s[i] == '0') {
    i++;
    if (i < d->len && is_digit(s[i])) return fail(p, start, "numbers must not have leading zeros");
  } else {
    while (i < d->len && is_digit(s[i])) i++;
  }
  if (i < d->len && s[i] == '.') {
    integer = 0;
    i++;
    if (i >= d->len || !is_digit(s[i])) {
      p->pos = i;
      return unexpected(p, "a digit after '.'");
    }
    while (i < d->len && is_digit(s[i])) i++;
  }
  if (i < d->len && (s[i] == 'e' || s[i] == 'E')) {
    integer = 0;
    i++;
    if (i < d->len && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= d->len || !is_digit(s[i])) {
      p->pos = i;
      return unexpected(p, "a digit in the exponent");
    }
    while (i < d->len && is_digit(s[i])) i++;
  }
  size_t n = i - start;
  if (n > NUM_MAX) return fail(p, start, "number longer than %d characters", NUM_MAX);
  char buf[NUM_MAX + 1];
  memcpy(buf, s + start, n);
  buf[n] = '\0';
  errno = 0;
  char *endp = NULL;
  double v = strtod(buf, &endp);
  if (endp != buf + n) return fail(p, start, "malformed number");
  if (isinf(v)) return fail(p, start, "number out of range");
  size_t idx = new_node(p, CLI_JSON_NUMBER);
  if (idx == CLI_JSON_NONE) return -1;
  cli_json_node *nd = &p->doc->nodes[idx];
  nd->start = start;
  nd->end = i;
  nd->number = v;
  nd->is_integer = integer;
  p->pos = i;
  *out = idx;
  return 0;
}

static int parse_literal(parser *p, const char *word, cli_json_type type, size_t *out) {
  size_t n = strlen(word);
  if (p->doc->len - p->pos < n || memcmp(p->doc->src + p->pos, word, n) != 0) {
    return unexpected(p, "a JSON value");
  }
  size_t idx = new_node(p, type);
  if (idx == CLI_JSON_NONE) return -1;
  p->pos += n;
  p->doc->nodes[idx].end = p->pos;
  *out = idx;
  return 0;
}

static int parse_value(parser *p, int depth, size_t *out);

/* Link child `c` after `last` (or as first child) of container `parent`. */
static void link_child(parser *p, size_t parent, size_t *last, size_t c) {
  cli_json_node *nodes = p->doc->nodes;
  if (*last == CLI_JSON_NONE) {
    nodes[parent].first = c;
  } else {
    nodes[*last].next = c;
  }
  nodes[parent].count++;
  *last = c;
}

/* After an element or member: 1 when a ',' says another follows, 0 when
** the closing bracket ends the list (both consumed), -1 with the error set
** otherwise.  Arrays and objects end their lists the same way. */
static int list_next(parser *p, char close) {
  skip_ws(p);
  if (p->pos < p->doc->len && p->doc->src[p->pos] == ',') {
    p->pos++;
    return 1;
  }
  if (p->pos < p->doc->len && p->doc->src[p->pos] == close) {
    p->pos++;
    return 0;
  }
  return unexpected(p, close == ']' ? "',' or ']'" : "',' or '}'");
}

static int parse_array(parser *p, int depth, size_t *out) {
  int more;
  size_t idx = new_node(p, CLI_JSON_ARRAY), last = CLI_JSON_NONE;
  if (idx == CLI_JSON_NONE) return -1;
  p->pos++; /* '[' */
  skip_ws(p);
  if (p->pos < p->doc->len && p->doc->src[p->pos] == ']') {
    p->pos++;
  } else {
    for (;;) {
      size_t c;
      if (parse_value(p, depth + 1, &c) != 0) return -1;
      link_child(p, idx, &last, c);
      more = list_next(p, ']');
      if (more < 0) return -1;
      if (!more) break;
    }
  }
  p->doc->nodes[idx].end = p->pos;
  *out = idx;
  return 0;
}

static int parse_object(parser *p, int depth, size_t *out) {
  int more;
  size_t idx = new_node(p, CLI_JSON_OBJECT), last = CLI_JSON_NONE;
  if (idx == CLI_JSON_NONE) return -1;
  p->pos++; /* '{' */
  skip_ws(p);
  if (p->pos < p->doc->len && p->doc->src[p->pos] == '}') {
    p->pos++;
  } else {
    for (;;) {
      size_t key, val;
      skip_ws(p);
      if (p->pos >= p->doc->len || p->doc->src[p->pos] != '"') {
        return unexpected(p, "a string key");
      }
      if (parse_string(p, &key) != 0) return -1;
      skip_ws(p);
      if (p->pos >= p->doc->len || p->doc->src[p->pos] != ':') return unexpected(p, "':'");
      p->pos++;
      if (parse_value(p, depth + 1, &val) != 0) return -1;
      p->doc->nodes[val].key = key;
      link_child(p, idx, &last, val);
      more = list_next(p, '}');
      if (more < 0) return -1;
      if (!more) break;
    }
  }
  p->doc->nodes[idx].end = p->pos;
  *out = idx;
  return 0;
}

static int parse_value(parser *p, int depth, size_t *out) {
  if (depth > CLI_JSON_MAX_DEPTH) {
    return fail(p, p->pos, "nesting deeper than %d levels", CLI_JSON_MAX_DEPTH);
  }
  skip_ws(p);
  if (p->pos >= p->doc->len) return unexpected(p, "a JSON value");
  switch (p->doc->src[p->pos]) {
    case '{':
      return parse_object(p, depth, out);
    case '[':
      return parse_array(p, depth, out);
    case '"':
      return parse_string(p, out);
    case 't':
      return parse_literal(p, "true", CLI_JSON_TRUE, out);
    case 'f':
      return parse_literal(p, "false", CLI_JSON_FALSE, out);
    case 'n':
      return parse_literal(p, "null", CLI_JSON_NULL, out);
    default:
      return parse_number(p, out);
  }
}

int cli_json_parse(cli_json_doc *doc, const char *src, size_t len) {
  parser p = {doc, 0};
  size_t root;
  doc->src = src;
  doc->len = len;
  doc->n = 0;
  doc->err[0] = '\0';
  doc->err_pos = 0;
  if (parse_value(&p, 0, &root) != 0) return -1;
  skip_ws(&p);
  if (p.pos != len) {
    char what[32];
    describe(&p, p.pos, what, sizeof what);
    return fail(&p, p.pos, "unexpected %s after the JSON value", what);
  }
  return 0;
}

/* Append code point cp as UTF-8 to buf, counting bytes in *n. */
static void put_utf8(char *buf, size_t cap, size_t *n, unsigned cp) {
  unsigned char b[4];
  size_t k;
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    k = 1;
  } else if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | (cp >> 6));
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    k = 2;
  } else if (cp < 0x10000) {
    b[0] = (unsigned char)(0xE0 | (cp >> 12));
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    k = 3;
  } else {
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    k = 4;
  }
  for (size_t i = 0; i < k; i++, (*n)++) {
    if (*n + 1 < cap) buf[*n] = (char)b[i];
  }
}

size_t cli_json_str_decode(const cli_json_doc *doc, size_t str, char *buf, size_t cap) {
  const cli_json_node *nd = &doc->nodes[str];
  const char *s = doc->src;
  size_t n = 0, i = nd->start + 1, end = nd->end - 1;
  while (i < end) {
    if (s[i] != '\\') {
      if (n + 1 < cap) buf[n] = s[i];
      n++;
      i++;
      continue;
    }
    char e = s[i + 1];
    unsigned cp = 0;
    switch (e) {
      case 'b':
        cp = '\b';
        break;
      case 'f':
        cp = '\f';
        break;
      case 'n':
        cp = '\n';
        break;
      case 'r':
        cp = '\r';
        break;
      case 't':
        cp = '\t';
        break;
      case 'u':
        break;
      default: /* '"', '\\', '/' */
        cp = (unsigned char)e;
        break;
    }
    if (e == 'u') {
      /* Validated by the parser: 4 hex digits, surrogates paired. */
      hex4(s + i + 2, &cp);
      i += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo;
        hex4(s + i + 2, &lo);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
    } else {
      i += 2;
    }
    put_utf8(buf, cap, &n, cp);
  }
  if (cap > 0) buf[n < cap ? n : cap - 1] = '\0';
  return n;
}

int cli_json_str_eq(const cli_json_doc *doc, size_t str, const char *s) {
  char buf[128];
  size_t want = strlen(s);
  if (want >= sizeof buf) return 0;
  size_t n = cli_json_str_decode(doc, str, buf, sizeof buf);
  return n == want && memcmp(buf, s, n) == 0;
}

size_t cli_json_get(const cli_json_doc *doc, size_t obj, const char *key) {
  if (obj >= doc->n || doc->nodes[obj].type != CLI_JSON_OBJECT) return CLI_JSON_NONE;
  for (size_t c = doc->nodes[obj].first; c != CLI_JSON_NONE; c = doc->nodes[c].next) {
    if (cli_json_str_eq(doc, doc->nodes[c].key, key)) return c;
  }
  return CLI_JSON_NONE;
}

int cli_json_int64(const cli_json_doc *doc, size_t num, int64_t *out) {
  const cli_json_node *nd = &doc->nodes[num];
  if (nd->type != CLI_JSON_NUMBER || !nd->is_integer) return -1;
  const char *s = doc->src + nd->start;
  size_t n = nd->end - nd->start, i = 0;
  int neg = 0;
  if (s[0] == '-') {
    neg = 1;
    i = 1;
  }
  /* Accumulate as a negative number so INT64_MIN is representable. */
  int64_t v = 0;
  for (; i < n; i++) {
    int digit = s[i] - '0';
    if (v < (INT64_MIN + digit) / 10) return -1;
    v = v * 10 - digit;
  }
  if (!neg) {
    if (v == INT64_MIN) return -1;
    v = -v;
  }
  *out = v;
  return 0;
}
