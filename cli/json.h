/*
** json.h — a small, strict JSON reader for the command line program.
**
** The CLI reads JSON in three places: JSON-lines import files, the
** `--vector '[..]'` query argument, and nothing else (filters and metadata
** are checked by the library).  What it needs from a parser is narrow: walk
** objects and arrays, read numbers exactly, compare keys, and hand the
** library the *exact source text* of a metadata object.  So the reader
** builds a flat array of nodes, each remembering the byte slice of its
** value in the source; children are linked by index (not pointer) so the
** array can grow while parsing.  A parsed document is only an index over the
** caller's text, which must outlive it.
**
** Strictness is the point: RFC 8259 grammar only (no comments, trailing
** commas, NaN, single quotes, leading zeros or '+'), strings must be valid
** UTF-8 with valid escapes and paired surrogates, numbers that overflow a
** double are refused, nesting is capped so hostile input cannot exhaust the
** stack, and anything after the one top-level value is an error.  Errors
** carry the byte offset so callers can say "line 12, column 40".
**
** Names carry the cli_json_ prefix so they never collide with helpers the
** library may link statically.
*/
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum cli_json_type {
  CLI_JSON_NULL,
  CLI_JSON_FALSE,
  CLI_JSON_TRUE,
  CLI_JSON_NUMBER,
  CLI_JSON_STRING,
  CLI_JSON_ARRAY,
  CLI_JSON_OBJECT
} cli_json_type;

/* "No node": end of a sibling chain, a missing key, a node without a key. */
#define CLI_JSON_NONE ((size_t)-1)

/* Deepest nesting of arrays/objects accepted. */
#define CLI_JSON_MAX_DEPTH 256

typedef struct cli_json_node {
  cli_json_type type;
  size_t start, end; /* source slice [start, end); strings include quotes */
  double number;     /* CLI_JSON_NUMBER: the value */
  int is_integer;    /* CLI_JSON_NUMBER: the token had no fraction/exponent */
  size_t key;        /* object member: index of its key (a string node) */
  size_t first;      /* array/object: first element / member value */
  size_t next;       /* next element / member value of the parent */
  size_t count;      /* array/object: number of elements / members */
} cli_json_node;

typedef struct cli_json_doc {
  const char *src;
  size_t len;
  cli_json_node *nodes; /* nodes[0] is the root after a successful parse */
  size_t n, cap;
  size_t err_pos; /* byte offset of the error in src */
  char err[160];  /* message without position, "" when none */
} cli_json_doc;

/* An empty document; cli_json_free() releases what parsing allocated. */
void cli_json_init(cli_json_doc *doc);
void cli_json_free(cli_json_doc *doc);

/* Parse exactly one JSON value (surrounded by optional whitespace) from
** src[0..len).  src needs no terminating NUL and must outlive the document.
** Reuses the node storage of a previous parse.  Returns 0, or -1 with
** doc->err and doc->err_pos set (also when out of memory). */
int cli_json_parse(cli_json_doc *doc, const char *src, size_t len);

/* The value of the first member of object `obj` whose key equals `key`,
** or CLI_JSON_NONE. */
size_t cli_json_get(const cli_json_doc *doc, size_t obj, const char *key);

/* Non-zero when string node `str` decodes to exactly `s`. */
int cli_json_str_eq(const cli_json_doc *doc, size_t str, const char *s);

/* Decode string node `str` to UTF-8 into buf (cap bytes, NUL-terminated
** when cap > 0, truncated if needed).  Returns the full decoded length, so
** a result >= cap means it did not fit. */
size_t cli_json_str_decode(const cli_json_doc *doc, size_t str, char *buf, size_t cap);

/* Read number node `num` as an int64.  Returns 0, or -1 if it is not a
** number written as an integer (no '.', no exponent) or does not fit. */
int cli_json_int64(const cli_json_doc *doc, size_t num, int64_t *out);

/* Length of the well-formed UTF-8 sequence starting at s[0] (a byte >=
** 0x80) within `avail` bytes, or 0 if it is malformed, overlong, a
** surrogate or beyond U+10FFFF. */
size_t cli_json_utf8_seq(const unsigned char *s, size_t avail);

#endif /* CLI_JSON_H */
