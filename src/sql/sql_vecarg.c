/*
** sql_vecarg.c — turning SQL values into float32 vectors and back.
**
** A vector reaches SQL either as a BLOB (the storage format: little-endian
** float32, 4 bytes per component) or as the text of a JSON array of numbers,
** which is what people type.  Both are validated completely before anything
** uses them: a BLOB must be a non-empty multiple of 4 bytes of at most
** SV_MAX_DIM components; JSON must be exactly one flat array of finite
** numbers and nothing else.
**
** The JSON reader is a small strict parser of its own rather than the host's
** json functions: it needs to say *which* element is wrong and why (a nested
** array, a string, 1e999 overflowing float32, trailing text) and it must not
** accept the extensions json() tolerates (JSON5, NaN, Infinity).  Number
** tokens are checked against the RFC 8259 grammar first and only then handed
** to strtod, so strtod's own leniency (hex, "inf", leading '+') never shows;
** the locale's decimal point is swapped in for strtod and out again for
** printf, so a host that called setlocale() still reads and writes '.'.
**
** Output uses the shortest %.Ng (N = 6..9) that reads back to the identical
** float: 9 significant digits always round-trip a float32, and the shorter
** forms keep 0.1 from printing as 0.100000001.
*/
#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql_internal.h"

/* Longest number token accepted; JSON allows any length but no float32
** needs more than a few dozen significant characters. */
#define SQL_NUM_MAX 400

/* The smallest magnitude that rounds to infinity as a float32: FLT_MAX plus
** half of its last unit.  Comparing with it first keeps the double->float
** conversion defined. */
#define SQL_FLOAT_OVERFLOW 0x1.ffffffp+127

static char locale_dot(void) {
  const struct lconv *lc = localeconv();
  const char *dp = lc ? lc->decimal_point : NULL;
  if (dp && dp[0] && !dp[1]) return dp[0];
  return '.';
}

static int host_is_little_endian(void) {
  const uint32_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static int is_ws(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

/* Length of the RFC 8259 number starting at s[0], or 0 if there is none. */
static size_t number_len(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i >= n) return 0;
  if (s[i] == '0') {
    i++;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && is_digit(s[i])) i++;
  } else {
    return 0;
  }
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && is_digit(s[i])) i++;
  }
  return i;
}

/* Why the value at s[0] is not a number, for the error message. */
static const char *not_a_number(char ch) {
  switch (ch) {
    case '[':
      return "is a nested array (a vector is a flat array of numbers)";
    case '{':
      return "is an object (a vector is a flat array of numbers)";
    case '"':
      return "is a string (numbers must not be quoted)";
    case 't':
    case 'f':
      return "is a boolean (only numbers are allowed)";
    case 'n':
      return "is null or not a number (only finite numbers are allowed)";
    case 'N':
    case 'I':
      return "is not a number (NaN and Infinity are not JSON)";
    default:
      return "is not a valid JSON number";
  }
}

/* Convert one validated number token to a float; SQLITE_ERROR with a
** message when it does not fit float32. */
static int token_to_float(const char *tok, size_t len, uint32_t index, float *out, char **errmsg) {
  char buf[SQL_NUM_MAX + 1];
  char dot = locale_dot();
  char *end = NULL;
  double d;
  if (len > SQL_NUM_MAX) {
    *errmsg = sqlite3_mprintf("element %u is a number literal longer than %d characters", index,
                              SQL_NUM_MAX);
    return SQLITE_ERROR;
  }
  memcpy(buf, tok, len);
  buf[len] = '\0';
  if (dot != '.') {
    char *p = strchr(buf, '.');
    if (p) *p = dot;
  }
  errno = 0;
  d = strtod(buf, &end);
  if (end != buf + len) {
    *errmsg = sqlite3_mprintf("element %u (%.*s) could not be converted", index, (int)len, tok);
    return SQLITE_ERROR;
  }
  if (!isfinite(d) || fabs(d) >= SQL_FLOAT_OVERFLOW) {
    *errmsg = sqlite3_mprintf("element %u (%.*s) is outside the float32 range (about +-3.4e38)",
                              index, (int)len, tok);
    return SQLITE_ERROR;
  }
  *out = (float)d;
  return SQLITE_OK;
}

int sql_vec_parse_json(const char *json, size_t n, float **out, uint32_t *dim, char **errmsg) {
  float *v = NULL;
  uint32_t count = 0, cap = 0;
  size_t i = 0;
  int rc = SQLITE_ERROR;
  *out = NULL;
  *dim = 0;
  *errmsg = NULL;
  while (i < n && is_ws(json[i])) i++;
  if (i >= n || json[i] != '[') {
    *errmsg = sqlite3_mprintf("not a JSON array: a vector is written like [0.1, 0.2, 0.3]");
    goto done;
  }
  i++;
  while (i < n && is_ws(json[i])) i++;
  if (i < n && json[i] == ']') {
    *errmsg = sqlite3_mprintf("empty array: a vector needs at least one component");
    goto done;
  }
  for (;;) {
    size_t len;
    float f;
    while (i < n && is_ws(json[i])) i++;
    if (i >= n) {
      *errmsg = sqlite3_mprintf("unterminated array: missing ']' after element %u", count);
      goto done;
    }
    len = number_len(json + i, n - i);
    if (len == 0) {
      *errmsg = sqlite3_mprintf("element %u %s", count, not_a_number(json[i]));
      goto done;
    }
    if (count >= SV_MAX_DIM) {
      *errmsg =
          sqlite3_mprintf("more than %d components (the largest dimension supported)", SV_MAX_DIM);
      goto done;
    }
    rc = token_to_float(json + i, len, count, &f, errmsg);
    if (rc != SQLITE_OK) goto done;
    rc = SQLITE_ERROR;
    if (count == cap) {
      uint32_t ncap = cap ? cap * 2 : 64;
      float *nv;
      if (ncap > SV_MAX_DIM) ncap = SV_MAX_DIM;
      nv = sqlite3_realloc64(v, (sqlite3_uint64)ncap * sizeof(float));
      if (!nv) {
        rc = SQLITE_NOMEM;
        goto done;
      }
      v = nv;
      cap = ncap;
    }
    assert(count < cap);
    v[count++] = f;
    i += len;
    while (i < n && is_ws(json[i])) i++;
    if (i < n && json[i] == ',') {
      i++;
      continue;
    }
    if (i < n && json[i] == ']') {
      i++;
      break;
    }
    if (i >= n) {
      *errmsg = sqlite3_mprintf("unterminated array: missing ']' after element %u", count - 1);
    } else {
      unsigned char ch = (unsigned char)json[i];
      /* Only printable ASCII is quoted: a lone byte of a UTF-8 sequence
      ** would make the message itself invalid text. */
      if (ch >= 0x20 && ch < 0x7f) {
        *errmsg = sqlite3_mprintf("expected ',' or ']' after element %u, found '%c'", count - 1,
                                  (char)ch);
      } else {
        *errmsg = sqlite3_mprintf("expected ',' or ']' after element %u, found byte 0x%02x",
                                  count - 1, (unsigned)ch);
      }
    }
    goto done;
  }
  while (i < n && is_ws(json[i])) i++;
  if (i < n) {
    *errmsg = sqlite3_mprintf("unexpected text after the closing ']' (at byte %llu)",
                              (unsigned long long)i);
    goto done;
  }
  *out = v;
  *dim = count;
  v = NULL;
  rc = SQLITE_OK;
done:
  sqlite3_free(v);
  return rc;
}

/* Copy a BLOB into a float array when it cannot be used in place (a
** misaligned pointer or a big-endian host). */
static float *blob_copy(const unsigned char *p, uint32_t dim) {
  float *v = sqlite3_malloc64((sqlite3_uint64)dim * sizeof(float));
  int swap = !host_is_little_endian();
  if (!v) return NULL;
  for (uint32_t i = 0; i < dim; i++) {
    unsigned char b[4];
    memcpy(b, p + 4 * (size_t)i, 4);
    if (swap) {
      unsigned char t = b[0];
      b[0] = b[3];
      b[3] = t;
      t = b[1];
      b[1] = b[2];
      b[2] = t;
    }
    memcpy(&v[i], b, 4);
  }
  return v;
}

int sql_vec_from_value(sqlite3_value *val, sql_vec *out, char **errmsg) {
  int type = sqlite3_value_type(val);
  out->v = NULL;
  out->dim = 0;
  out->own = NULL;
  *errmsg = NULL;
  if (type == SQLITE_BLOB) {
    const unsigned char *p = sqlite3_value_blob(val);
    int bytes = sqlite3_value_bytes(val);
    uint32_t dim;
    if (bytes <= 0 || !p) {
      *errmsg = sqlite3_mprintf("empty BLOB: a vector needs at least one float32");
      return SQLITE_ERROR;
    }
    if (bytes % 4 != 0) {
      *errmsg = sqlite3_mprintf(
          "BLOB of %d bytes is not a whole number of float32 values (4 bytes each)", bytes);
      return SQLITE_ERROR;
    }
    if (bytes / 4 > SV_MAX_DIM) {
      *errmsg = sqlite3_mprintf("BLOB holds %d floats; the largest dimension supported is %d",
                                bytes / 4, SV_MAX_DIM);
      return SQLITE_ERROR;
    }
    dim = (uint32_t)(bytes / 4);
    if (host_is_little_endian() && ((uintptr_t)p % _Alignof(float)) == 0) {
      out->v = (const float *)(const void *)p;
    } else {
      out->own = blob_copy(p, dim);
      if (!out->own) return SQLITE_NOMEM;
      out->v = out->own;
    }
    out->dim = dim;
    if (sv_vector_check(out->v, dim) != SV_OK) {
      uint32_t bad = 0;
      while (bad < dim && isfinite(out->v[bad])) bad++;
      *errmsg = sqlite3_mprintf("BLOB component %u is not a finite number (NaN or infinity)", bad);
      sql_vec_free(out);
      return SQLITE_ERROR;
    }
    return SQLITE_OK;
  }
  if (type == SQLITE_TEXT) {
    const char *s = (const char *)sqlite3_value_text(val);
    int bytes = sqlite3_value_bytes(val);
    float *v = NULL;
    uint32_t dim = 0;
    int rc;
    if (!s) return SQLITE_NOMEM;
    rc = sql_vec_parse_json(s, (size_t)bytes, &v, &dim, errmsg);
    if (rc != SQLITE_OK) return rc;
    out->own = v;
    out->v = v;
    out->dim = dim;
    return SQLITE_OK;
  }
  if (type == SQLITE_NULL) {
    *errmsg = sqlite3_mprintf("vector is NULL");
  } else {
    *errmsg =
        sqlite3_mprintf("a vector must be a BLOB of float32 or the text of a JSON array, not a %s",
                        type == SQLITE_INTEGER ? "integer" : "real number");
  }
  return SQLITE_ERROR;
}

void sql_vec_free(sql_vec *vec) {
  if (!vec) return;
  sqlite3_free(vec->own);
  vec->own = NULL;
  vec->v = NULL;
  vec->dim = 0;
}

/* Shortest "%.Ng" of f that reads back as f, with '.' as decimal point. */
static void format_float(float f, char *buf, size_t cap, char dot) {
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, cap, "%.*g", prec, (double)f);
    if (prec == 9 || strtof(buf, NULL) == f) break;
  }
  if (dot != '.') {
    char *p = strchr(buf, dot);
    if (p) *p = '.';
  }
}

char *sql_vec_to_json(const float *v, uint32_t dim) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  char dot = locale_dot();
  char buf[64];
  sqlite3_str_appendchar(s, 1, '[');
  for (uint32_t i = 0; i < dim; i++) {
    assert(isfinite(v[i]));
    if (i) sqlite3_str_appendchar(s, 1, ',');
    format_float(v[i], buf, sizeof buf, dot);
    sqlite3_str_appendall(s, buf);
  }
  sqlite3_str_appendchar(s, 1, ']');
  return sqlite3_str_finish(s);
}

void sql_result_vec(sqlite3_context *ctx, const float *v, uint32_t dim) {
  size_t bytes = (size_t)dim * sizeof(float);
  unsigned char *out;
  assert(dim >= 1 && dim <= SV_MAX_DIM);
  if (host_is_little_endian()) {
    sqlite3_result_blob(ctx, v, (int)bytes, SQLITE_TRANSIENT);
    return;
  }
  out = sqlite3_malloc64(bytes);
  if (!out) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for (uint32_t i = 0; i < dim; i++) {
    unsigned char b[4];
    memcpy(b, &v[i], 4);
    for (int j = 0; j < 4; j++) out[4 * (size_t)i + (size_t)j] = b[3 - j];
  }
  sqlite3_result_blob(ctx, out, (int)bytes, sqlite3_free);
}
