/*
** test_cli_json.c — the CLI's strict JSON reader and strict argument parsers.
**
** The CLI's helpers are not part of the library, so this suite compiles
** them in directly (#include of the .c files) rather than linking them.
** It checks that every valid RFC 8259 construct parses to the right nodes,
** slices and values; that each kind of invalid input (grammar, numbers,
** escapes, surrogates, UTF-8, nesting depth, trailing bytes) is refused
** with an error position; and that the number parsers used for options
** accept exactly the documented ranges.  Messages the parsers print for
** rejected input go to stderr and are expected noise.
*/
#include <stdint.h>

#include "sv_test.h"
#include "../../cli/json.c"
#include "../../cli/args.c"
#include "../../cli/vecfile.c"
#include "../../cli/rows.c"

static cli_json_doc doc;

static int parses(const char *s) {
  return cli_json_parse(&doc, s, strlen(s)) == 0;
}

static void test_valid(void) {
  static const char *ok[] = {"0",
                             "-0",
                             "1",
                             "-12",
                             "1.5",
                             "1e10",
                             "1E+2",
                             "2.5e-3",
                             "123456789012345678901234567890",
                             "true",
                             "false",
                             "null",
                             "\"\"",
                             "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
                             "\"\\u00e9\\uD83D\\uDE00\"",
                             "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"",
                             "[]",
                             "{}",
                             " [ 1 , [ ] , { } ] ",
                             "{\"a\":{\"b\":[1,2,{\"c\":null}]}}",
                             "\t\r\n1\n",
                             "1e-400"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    CHECK(parses(ok[i]), "should parse: %s (%s)", ok[i], doc.err);
  }
}

static void test_invalid(void) {
  static const char *bad[] = {"",
                              " ",
                              "01",
                              "-01",
                              "1.",
                              ".5",
                              "+1",
                              "-",
                              "1e",
                              "1e+",
                              "0x10",
                              "NaN",
                              "Infinity",
                              "-Infinity",
                              "[1,]",
                              "{\"a\":1,}",
                              "[1 2]",
                              "{a:1}",
                              "{'a':1}",
                              "{\"a\" 1}",
                              "{\"a\":}",
                              "{1:2}",
                              "\"abc",
                              "\"\\x\"",
                              "\"\\u12\"",
                              "\"\\u12G4\"",
                              "\"\\uD800\"",
                              "\"\\uDC00\"",
                              "\"\\uD800\\u0041\"",
                              "\"\\uD800x\"",
                              "\"a\x01\"",
                              "\"a\tb\"",
                              "\"\xC0\x80\"",
                              "\"\xED\xA0\x80\"",
                              "\"\xF5\x80\x80\x80\"",
                              "\"\xE0\x80\x80\"",
                              "\"\xE2\x82\"",
                              "\"\xF0\x8F\xBF\xBF\"",
                              "\"\x80\"",
                              "[1] x",
                              "true false",
                              "1e400",
                              "-1e400",
                              "tru",
                              "nul",
                              "fals",
                              "/**/1",
                              "[1]//",
                              "[",
                              "{",
                              "[1,",
                              "{\"a\":1",
                              "\xEF\xBB\xBF{}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(!parses(bad[i]), "should fail: %s", bad[i]);
    CHECK(doc.err[0] != '\0', "error message set for %s", bad[i]);
  }
  /* An embedded NUL is not whitespace. */
  CHECK(cli_json_parse(&doc, "[1]\0", 4) != 0, "NUL after value");
  CHECK(cli_json_parse(&doc, "\"a\0b\"", 5) != 0, "NUL inside string");
  /* The error position points at the offending byte. */
  CHECK(!parses("[1, 2, x]"), "x");
  CHECK(doc.err_pos == 7, "err_pos %zu", doc.err_pos);
}

static void test_depth(void) {
  char buf[2 * (CLI_JSON_MAX_DEPTH + 2) + 1];
  size_t n;
  for (n = 0; n <= CLI_JSON_MAX_DEPTH; n++) buf[n] = '[';
  for (size_t i = 0; i <= CLI_JSON_MAX_DEPTH; i++) buf[n++] = ']';
  CHECK(cli_json_parse(&doc, buf, n) == 0, "depth %d accepted: %s", CLI_JSON_MAX_DEPTH, doc.err);
  for (n = 0; n <= CLI_JSON_MAX_DEPTH + 1; n++) buf[n] = '[';
  for (size_t i = 0; i <= CLI_JSON_MAX_DEPTH + 1; i++) buf[n++] = ']';
  CHECK(cli_json_parse(&doc, buf, n) != 0, "depth %d refused", CLI_JSON_MAX_DEPTH + 1);
}

static void test_structure(void) {
  const char *s = "{\"id\": 7, \"vector\": [1, -2.5, 3e2], \"metadata\": {\"k\": [1, {}]} }";
  size_t v, m, c;
  int64_t id = 0;
  CHECK(parses(s), "%s", doc.err);
  CHECK(doc.nodes[0].type == CLI_JSON_OBJECT && doc.nodes[0].count == 3, "root object of 3");
  CHECK(cli_json_int64(&doc, cli_json_get(&doc, 0, "id"), &id) == 0 && id == 7, "id 7");
  v = cli_json_get(&doc, 0, "vector");
  CHECK(v != CLI_JSON_NONE && doc.nodes[v].type == CLI_JSON_ARRAY && doc.nodes[v].count == 3,
        "vector array");
  c = doc.nodes[v].first;
  CHECK(doc.nodes[c].number == 1.0, "v0");
  c = doc.nodes[c].next;
  CHECK(doc.nodes[c].number == -2.5 && !doc.nodes[c].is_integer, "v1");
  c = doc.nodes[c].next;
  CHECK(doc.nodes[c].number == 300.0 && doc.nodes[c].next == CLI_JSON_NONE, "v2");
  m = cli_json_get(&doc, 0, "metadata");
  CHECK(m != CLI_JSON_NONE, "metadata");
  CHECK(doc.nodes[m].end - doc.nodes[m].start == strlen("{\"k\": [1, {}]}") &&
            memcmp(s + doc.nodes[m].start, "{\"k\": [1, {}]}", 14) == 0,
        "exact metadata slice");
  CHECK(cli_json_get(&doc, 0, "missing") == CLI_JSON_NONE, "missing key");
  CHECK(cli_json_get(&doc, v, "id") == CLI_JSON_NONE, "get on a non-object");

  /* Escaped keys compare by their decoded value. */
  CHECK(parses("{\"\\u0069d\": 1}"), "escaped key");
  CHECK(cli_json_get(&doc, 0, "id") != CLI_JSON_NONE, "\\u0069d == id");

  /* The source need not be NUL-terminated: parse a prefix. */
  CHECK(cli_json_parse(&doc, "[1,2]xyz", 5) == 0 && doc.nodes[0].count == 2, "prefix parse");
  CHECK(cli_json_parse(&doc, "12345", 3) == 0 && doc.nodes[0].number == 123.0, "number prefix");
}

static void test_strings(void) {
  char buf[64];
  size_t n;
  CHECK(parses("\"a\\n\\u00e9\\uD83D\\uDE00\\/\""), "%s", doc.err);
  n = cli_json_str_decode(&doc, 0, buf, sizeof buf);
  CHECK(n == 9 && memcmp(buf, "a\n\xC3\xA9\xF0\x9F\x98\x80/", 9) == 0, "decoded %zu", n);
  n = cli_json_str_decode(&doc, 0, buf, 3);
  CHECK(n == 9 && strlen(buf) == 2, "truncated decode reports full length");
  CHECK(cli_json_str_eq(&doc, 0, "a\n\xC3\xA9\xF0\x9F\x98\x80/"), "str_eq");
  CHECK(!cli_json_str_eq(&doc, 0, "a"), "str_eq prefix");
}

static void test_int64(void) {
  int64_t v = 0;
  CHECK(parses("9223372036854775807") && cli_json_int64(&doc, 0, &v) == 0 && v == INT64_MAX, "max");
  CHECK(parses("-9223372036854775808") && cli_json_int64(&doc, 0, &v) == 0 && v == INT64_MIN,
        "min");
  CHECK(parses("9223372036854775808") && cli_json_int64(&doc, 0, &v) != 0, "max+1");
  CHECK(parses("-9223372036854775809") && cli_json_int64(&doc, 0, &v) != 0, "min-1");
  CHECK(parses("1.0") && cli_json_int64(&doc, 0, &v) != 0, "1.0 is not an integer token");
  CHECK(parses("1e2") && cli_json_int64(&doc, 0, &v) != 0, "1e2 is not an integer token");
  CHECK(parses("\"1\"") && cli_json_int64(&doc, 0, &v) != 0, "string is not a number");
  CHECK(parses("-0") && cli_json_int64(&doc, 0, &v) == 0 && v == 0, "-0");
}

static void test_arg_numbers(void) {
  uint32_t u = 0;
  int64_t i = 0;
  float f = 0;
  CHECK(cli_parse_u32("k", "10", 1, UINT32_MAX, &u) == 0 && u == 10, "10");
  CHECK(cli_parse_u32("k", "4294967295", 1, UINT32_MAX, &u) == 0 && u == UINT32_MAX, "max");
  static const char *bad_u[] = {"",    "0",   "-1",         "+1",
                                " 1",  "1 ",  "4294967296", "99999999999999999999",
                                "1.0", "1e3", "abc",        "0x10"};
  for (size_t k = 0; k < sizeof bad_u / sizeof bad_u[0]; k++) {
    CHECK(cli_parse_u32("k", bad_u[k], 1, UINT32_MAX, &u) != 0, "u32 rejects '%s'", bad_u[k]);
  }
  CHECK(cli_parse_u32("w", "0", 0, 5, &u) == 0 && u == 0, "0 when allowed");
  CHECK(cli_parse_u32("w", "6", 0, 5, &u) != 0, "above max");
  CHECK(cli_parse_i64("id", "-5", &i) == 0 && i == -5, "-5");
  CHECK(cli_parse_i64("id", "9223372036854775807", &i) == 0 && i == INT64_MAX, "i64 max");
  CHECK(cli_parse_i64("id", "-9223372036854775808", &i) == 0 && i == INT64_MIN, "i64 min");
  static const char *bad_i[] = {
      "", "-", "+5", "5x", "9223372036854775808", "-9223372036854775809", " 5", "1.5"};
  for (size_t k = 0; k < sizeof bad_i / sizeof bad_i[0]; k++) {
    CHECK(cli_parse_i64("id", bad_i[k], &i) != 0, "i64 rejects '%s'", bad_i[k]);
  }
  CHECK(cli_parse_float("t", "0.5", &f) == 0 && f == 0.5f, "0.5");
  CHECK(cli_parse_float("t", "-1e-3", &f) == 0 && f == -1e-3f, "-1e-3");
  static const char *bad_f[] = {"", "nan", "inf", "-inf", "1e39", "0x1p3", "1,5", " 1", "1 ", "."};
  for (size_t k = 0; k < sizeof bad_f / sizeof bad_f[0]; k++) {
    CHECK(cli_parse_float("t", bad_f[k], &f) != 0, "float rejects '%s'", bad_f[k]);
  }
}

static void test_vector_json(void) {
  float *v = NULL;
  uint32_t d = 0;
  CHECK(cli_parse_vector_json("v", "[1, 2.5, -3]", 3, &v, &d) == 0 && d == 3 && v[1] == 2.5f,
        "3-vector");
  free(v);
  v = NULL;
  CHECK(cli_parse_vector_json("v", "[1, 2]", 0, &v, &d) == 0 && d == 2, "any dim");
  free(v);
  v = NULL;
  CHECK(cli_parse_vector_json("v", "[1, 2]", 3, &v, &d) != 0 && !v, "wrong dim");
  CHECK(cli_parse_vector_json("v", "[]", 0, &v, &d) != 0, "empty");
  CHECK(cli_parse_vector_json("v", "[1, \"2\"]", 2, &v, &d) != 0, "string component");
  CHECK(cli_parse_vector_json("v", "[1, 1e39]", 2, &v, &d) != 0, "beyond float range");
  CHECK(cli_parse_vector_json("v", "{\"a\":1}", 0, &v, &d) != 0, "object");
  CHECK(cli_parse_vector_json("v", "[1, 2", 0, &v, &d) != 0, "unterminated");
}

/* Write `text` to a scratch file and load it as JSON lines. */
static int load_jsonl(const char *text, uint32_t dim, int64_t off, cli_rows *r) {
  char path[600];
  FILE *f;
  snprintf(path, sizeof path, "%s/test_cli_json.jsonl", sv_test_tmpdir());
  f = fopen(path, "wb");
  if (!f) return -2;
  fputs(text, f);
  fclose(f);
  return cli_rows_from_jsonl(path, dim, off, 1, r);
}

static void test_jsonl(void) {
  cli_rows r;
  CHECK(load_jsonl("{\"id\":5,\"vector\":[1,2],\"metadata\":{\"a\":\"x\"}}\n"
                   "\n"
                   "  {\"vector\":[3,4]}  \r\n"
                   "{\"metadata\":null,\"vector\":[5,6],\"id\":-1}",
                   2, 100, &r) == 0,
        "valid file");
  CHECK(r.n == 3, "3 rows, got %zu", r.n);
  if (r.n == 3) {
    CHECK(r.has_id[0] && r.ids[0] == 105, "id + offset");
    CHECK(!r.has_id[1], "auto id");
    CHECK(r.has_id[2] && r.ids[2] == 99, "negative id + offset");
    CHECK(r.meta[0] && strcmp(r.meta[0], "{\"a\":\"x\"}") == 0, "metadata slice '%s'",
          r.meta[0] ? r.meta[0] : "(null)");
    CHECK(!r.meta[1] && !r.meta[2], "no metadata");
    CHECK(r.vecs[2] == 3.0f && r.vecs[5] == 6.0f, "vectors");
  }
  cli_rows_free(&r);
  static const char *bad[] = {"{\"vector\":[1,2,3]}\n",
                              "{\"vector\":[1,2]}\n{\"vector\":[1,2],}\n",
                              "{\"vector\":[1,2],\"metdata\":{}}\n",
                              "{\"vector\":[1,2],\"vector\":[1,2]}\n",
                              "{\"id\":1.5,\"vector\":[1,2]}\n",
                              "{\"id\":\"1\",\"vector\":[1,2]}\n",
                              "{\"id\":1}\n",
                              "[1,2]\n",
                              "{\"vector\":[1,2],\"metadata\":[1]}\n",
                              "{\"vector\":[1,null]}\n",
                              "{\"vector\":[0,0]}\n",
                              "{\"vector\":[1,2]}\n{\"vector\":[1,2]",
                              "{\"id\":9223372036854775807,\"vector\":[1,2]}\n",
                              "\n\n   \n",
                              ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = load_jsonl(bad[i], 2, i == 12 ? 1 : 0, &r);
    CHECK(rc == -1 && r.n == 0, "bad jsonl %zu refused", i);
    cli_rows_free(&r);
  }
}

int main(void) {
  cli_json_init(&doc);
  test_valid();
  test_invalid();
  test_depth();
  test_structure();
  test_strings();
  test_int64();
  test_arg_numbers();
  test_vector_json();
  test_jsonl();
  cli_json_free(&doc);
  return sv_test_done("test_cli_json");
}
