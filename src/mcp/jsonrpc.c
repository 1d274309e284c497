/*
** jsonrpc.c — one JSON-RPC 2.0 message in, at most one reply out.
**
** MCP over stdio is newline-delimited JSON: each line is one message.  A
** message goes through a fixed sequence of gates, and the first that fails
** decides the error reply:
**
**   framing   too long, contains NUL, or not valid UTF-8    -32700 (id null)
**   parsing   cJSON cannot parse it, trailing bytes, or a   -32700 (id null)
**             number outside the JSON grammar
**   values    an escaped U+0000, a number beyond a double   -32600
**   shape     not an object (a batch array included),       -32600
**             jsonrpc != "2.0", id neither string nor
**             number, method not a string, duplicate keys
**   method    unknown                                       -32601
**   params    not an object                                 -32602
**
** Only requests (with an id) are answered.  A notification (no id) is
** never answered, not even when it is malformed: JSON-RPC forbids replies
** to notifications, and the client has no id to match one against.  A
** message without "method" but with "result"/"error" is a response to a
** request we never send; it is logged and dropped.  Ids are echoed exactly
** as received: cJSON keeps numbers as doubles, which is exact for integer
** ids up to 2^53.
**
** The server never stops on a bad message; only end of input or a failure
** to write a reply (the client is gone) ends sv_mcp_serve().
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <assert.h>
#include <math.h>

#include "mcp/mcp.h"

/* Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), so
** every string cJSON hands on and every reply we print is valid text. */
static int utf8_valid(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len;
    unsigned min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, c &= 0x07;
    } else {
      return 0;
    }
    if (n - i < len) return 0;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return 0;
      c = (c << 6) | (p[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    i += len;
  }
  return 1;
}

/* Non-zero when some object in the tree repeats a key: cJSON would keep
** both and silently use the first, so a repeated "id" or "arguments"
** would mean something else to us than to the sender. */
static int has_duplicate_keys(const cJSON *v, int depth) {
  if (depth > CJSON_NESTING_LIMIT) return 1;
  int is_object = cJSON_IsObject(v);
  for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
    if (is_object) {
      for (const cJSON *d = c->next; d; d = d->next) {
        if (c->string && d->string && strcmp(c->string, d->string) == 0) return 1;
      }
    }
    if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_duplicate_keys(c, depth + 1)) return 1;
  }
  return 0;
}

/* Length of a JSON number at p (at most n bytes) when it follows the
** grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, else 0. */
static size_t number_length(const char *p, size_t n) {
  size_t i = 0, d;
  if (i < n && p[i] == '-') i++;
  if (i < n && p[i] == '0') {
    i++;
  } else {
    for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++) continue;
    if (i == d) return 0;
  }
  if (i < n && p[i] == '.') {
    for (d = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++) continue;
    if (i == d) return 0;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++) continue;
    if (i == d) return 0;
  }
  return i;
}

#define LEX_OK 0
#define LEX_NUL 1    /* a string escapes U+0000 */
#define LEX_NUMBER 2 /* a number outside the JSON grammar */

/* Lexical checks cJSON does not make.  It ends a C string at an escaped
** U+0000 and silently drops the rest (a shard name "a\u0000/../x" would
** reach us as "a"), and it reads numbers with strtod, so "01", "1." and
** "1.e5" pass as numbers.  This scan only tracks whether it is inside a
** string; cJSON still does the parsing. */
static int lexical_check(const char *p, size_t n) {
  int in_str = 0;
  for (size_t i = 0; i < n; i++) {
    if (in_str) {
      if (p[i] == '"') {
        in_str = 0;
      } else if (p[i] == '\\' && i + 1 < n) {
        if (p[i + 1] == 'u' && n - i >= 6 && memcmp(p + i + 2, "0000", 4) == 0) return LEX_NUL;
        i++; /* the escaped character cannot end the string */
      }
    } else if (p[i] == '"') {
      in_str = 1;
    } else if (p[i] == '-' || (p[i] >= '0' && p[i] <= '9')) {
      /* cJSON takes the whole run of number characters as the token. */
      size_t run = i;
      while (run < n && strchr("0123456789+-.eE", p[run]) && p[run] != '\0') run++;
      if (number_length(p + i, run - i) != run - i) return LEX_NUMBER;
      i = run - 1;
    }
  }
  return LEX_OK;
}

/* Non-zero when some number in the tree is not finite: "1e400" is valid
** JSON text but no double, and cJSON would print it back as null. */
static int has_huge_number(const cJSON *v, int depth) {
  if (depth > CJSON_NESTING_LIMIT) return 1;
  for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
    if (cJSON_IsNumber(c) && !isfinite(c->valuedouble)) return 1;
    if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_huge_number(c, depth + 1)) return 1;
  }
  return 0;
}

/* {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":msg}}, or NULL
** when out of memory. */
static cJSON *error_reply(const cJSON *id, int code, const char *msg) {
  cJSON *r = cJSON_CreateObject();
  cJSON *e = cJSON_CreateObject();
  cJSON *idc = id ? mcp_id_copy(id) : cJSON_CreateNull();
  if (!r || !e || !idc) goto fail;
  cJSON_AddItemToObject(r, "jsonrpc", cJSON_CreateString("2.0"));
  cJSON_AddItemToObject(r, "id", idc);
  idc = NULL;
  if (!cJSON_AddNumberToObject(e, "code", code) || !cJSON_AddStringToObject(e, "message", msg))
    goto fail;
  cJSON_AddItemToObject(r, "error", e);
  return r;
fail:
  cJSON_Delete(r);
  cJSON_Delete(e);
  cJSON_Delete(idc);
  return NULL;
}

static cJSON *result_reply(const cJSON *id, cJSON *result) {
  cJSON *r = cJSON_CreateObject();
  cJSON *idc = mcp_id_copy(id);
  if (!r || !idc) {
    cJSON_Delete(r);
    cJSON_Delete(idc);
    cJSON_Delete(result);
    return NULL;
  }
  cJSON_AddItemToObject(r, "jsonrpc", cJSON_CreateString("2.0"));
  cJSON_AddItemToObject(r, "id", idc);
  cJSON_AddItemToObject(r, "result", result);
  return r;
}

/* The reply to a parsed message into *reply (NULL when none is due).
** Returns SV_ENOMEM when a reply was due but could not be built. */
static int dispatch(mcp_server *srv, const cJSON *msg, cJSON **reply) {
  int due = 1;
  *reply = NULL;
  if (!cJSON_IsObject(msg)) {
    *reply = error_reply(NULL, RPC_INVALID_REQUEST,
                         cJSON_IsArray(msg) ? "Invalid Request: JSON-RPC batches are not supported"
                                            : "Invalid Request: a message must be a JSON object");
    goto done;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
  int id_ok = cJSON_IsString(id) || cJSON_IsNumber(id);
  const cJSON *echo = id_ok ? id : NULL;

  if (!method && (cJSON_GetObjectItemCaseSensitive(msg, "result") ||
                  cJSON_GetObjectItemCaseSensitive(msg, "error"))) {
    /* A response: we send no requests, so nothing can be waiting for it. */
    mcp_log(srv, SV_MCP_LOG_DEBUG, "ignoring a response message");
    due = 0;
    goto done;
  }
  if (!id && cJSON_IsString(method)) {
    /* A notification: never answered, whatever its shape. */
    if (cJSON_IsString(version) && strcmp(version->valuestring, "2.0") == 0)
      mcp_method_notify(srv, method->valuestring, params);
    else
      mcp_log(srv, SV_MCP_LOG_WARN, "dropping a notification without jsonrpc \"2.0\"");
    due = 0;
    goto done;
  }
  if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0) {
    *reply = error_reply(echo, RPC_INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
    goto done;
  }
  if (!id_ok) {
    *reply = error_reply(NULL, RPC_INVALID_REQUEST,
                         id ? "Invalid Request: \"id\" must be a string or a number"
                            : "Invalid Request: no \"method\"");
    goto done;
  }
  if (!cJSON_IsString(method)) {
    *reply = error_reply(echo, RPC_INVALID_REQUEST, "Invalid Request: \"method\" must be a string");
    goto done;
  }
  if (params && !cJSON_IsObject(params)) {
    *reply = error_reply(echo, RPC_INVALID_PARAMS, "Invalid params: \"params\" must be an object");
    goto done;
  }
  int code = 0;
  char emsg[600];
  emsg[0] = '\0';
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cJSON *result = mcp_method_call(srv, method->valuestring, params, &code, emsg, sizeof emsg);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (srv->log_level >= SV_MCP_LOG_DEBUG) {
    const cJSON *tool = cJSON_GetObjectItemCaseSensitive(params, "name");
    mcp_log(srv, SV_MCP_LOG_DEBUG, "%s%s%.100s: %s in %.3f ms", method->valuestring,
            cJSON_IsString(tool) ? " " : "", cJSON_IsString(tool) ? tool->valuestring : "",
            result ? "ok" : "error",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  }
  if (result) {
    *reply = result_reply(echo, result);
  } else {
    assert(code != 0);
    *reply = error_reply(echo, code ? code : RPC_INTERNAL_ERROR, emsg[0] ? emsg : "Internal error");
  }
done:
  return (due && !*reply) ? SV_ENOMEM : SV_OK;
}

/* Reply text for an error that needs no parsed message. */
static int error_text(const cJSON *id, int code, const char *msg, char **out) {
  cJSON *r = error_reply(id, code, msg);
  *out = r ? cJSON_PrintUnformatted(r) : NULL;
  cJSON_Delete(r);
  return *out ? SV_OK : SV_ENOMEM;
}

int sv_mcp_handle(sv_mcp_server *srv, const char *msg, size_t len, char **reply) {
  int rc = SV_OK;
  cJSON *parsed = NULL, *out = NULL;
  if (!reply) return SV_EINVAL;
  *reply = NULL;
  if (!srv || (!msg && len)) return SV_EINVAL;
  if (!msg) msg = ""; /* zero bytes: a parse error like any empty line */
  if (len > SV_MCP_MAX_MESSAGE) {
    rc = error_text(NULL, RPC_INVALID_REQUEST, "Invalid Request: message too large", reply);
    goto cleanup;
  }
  if (memchr(msg, '\0', len) || !utf8_valid((const unsigned char *)msg, len)) {
    rc = error_text(NULL, RPC_PARSE_ERROR, "Parse error: the message is not valid UTF-8 text",
                    reply);
    goto cleanup;
  }
  const char *end = NULL;
  parsed = cJSON_ParseWithLengthOpts(msg, len, &end, 0);
  if (parsed && end) {
    while (end < msg + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
  }
  if (!parsed || !end || end != msg + len) {
    rc = error_text(NULL, RPC_PARSE_ERROR, "Parse error: the message is not valid JSON", reply);
    goto cleanup;
  }
  int lex = lexical_check(msg, len);
  const cJSON *pid = cJSON_IsObject(parsed) ? cJSON_GetObjectItemCaseSensitive(parsed, "id") : NULL;
  if (!(cJSON_IsString(pid) || (cJSON_IsNumber(pid) && isfinite(pid->valuedouble)))) pid = NULL;
  if (lex == LEX_NUMBER) {
    rc = error_text(NULL, RPC_PARSE_ERROR, "Parse error: a number does not follow the JSON grammar",
                    reply);
    goto cleanup;
  }
  if (lex == LEX_NUL || (cJSON_IsNumber(parsed) && !isfinite(parsed->valuedouble)) ||
      has_huge_number(parsed, 0)) {
    rc = error_text(pid, RPC_INVALID_REQUEST,
                    lex == LEX_NUL ? "Invalid Request: strings must not contain U+0000"
                                   : "Invalid Request: a number is too large for a double",
                    reply);
    goto cleanup;
  }
  if (has_duplicate_keys(parsed, 0)) {
    const cJSON *id =
        cJSON_IsObject(parsed) ? cJSON_GetObjectItemCaseSensitive(parsed, "id") : NULL;
    /* A repeated key makes the message ambiguous: answer only a request
    ** whose id is unambiguous enough to echo. */
    if (cJSON_IsString(id) || cJSON_IsNumber(id) || !cJSON_IsObject(parsed))
      rc = error_text(cJSON_IsObject(parsed) ? id : NULL, RPC_INVALID_REQUEST,
                      "Invalid Request: an object repeats a key", reply);
    goto cleanup;
  }
  if ((rc = dispatch(srv, parsed, &out)) != SV_OK) goto cleanup;
  if (out) {
    *reply = cJSON_PrintUnformatted(out);
    if (!*reply) rc = SV_ENOMEM;
  }
cleanup:
  if (rc == SV_ENOMEM) mcp_server_fail(srv, rc, "out of memory building a reply");
  cJSON_Delete(parsed);
  cJSON_Delete(out);
  return rc;
}

/* Write one reply line and flush it: the client waits for it. */
static int write_line(FILE *out, const char *text) {
  if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF) return SV_EIO;
  return SV_OK;
}

int sv_mcp_serve(sv_mcp_server *srv, FILE *in, FILE *out) {
  int rc = SV_OK;
  char *line = NULL, *reply = NULL;
  size_t cap = 0;
  ssize_t n;
  if (!srv || !in || !out) return SV_EINVAL;
  while ((n = getline(&line, &cap, in)) != -1) {
    size_t len = (size_t)n;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
    if (k == len) continue; /* blank lines are not messages */
    int hrc = sv_mcp_handle(srv, line, len, &reply);
    if (hrc != SV_OK) {
      /* Out of memory: the id may be unknown, so the reply can only be a
      ** generic one; the server stays up for the next message. */
      mcp_log(srv, SV_MCP_LOG_ERROR, "%s", sv_mcp_errmsg(srv));
      if (write_line(out,
                     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                     "\"message\":\"Internal error: out of memory\"}}") != SV_OK) {
        rc = mcp_server_fail(srv, SV_EIO, "cannot write to the client");
        goto cleanup;
      }
      continue;
    }
    if (reply) {
      int wrc = write_line(out, reply);
      free(reply);
      reply = NULL;
      if (wrc != SV_OK) {
        rc = mcp_server_fail(srv, SV_EIO, "cannot write to the client");
        goto cleanup;
      }
    }
  }
  if (ferror(in)) rc = mcp_server_fail(srv, SV_EIO, "reading the client's messages failed");
cleanup:
  free(line);
  free(reply);
  return rc;
}
