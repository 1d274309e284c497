/*
** text.c — checking and tokenising text for hash-v1 and the BM25 query.
**
** Everything a caller hands the memory layer is text, so it is checked
** here first: well-formed UTF-8 (overlong forms, surrogates and code points
** past U+10FFFF are refused, so what we hash is what another program would
** read), a byte limit, and non-empty when required.
**
** Tokenising is part of the frozen hash-v1 spec (docs/MEMORY.md), so it is
** written out rather than left to a locale: ASCII letters are lowercased;
** Latin-1 letters (U+00C0..U+00FF, except the multiplication and division
** signs) are folded to lowercase ASCII without accents (ß -> ss, æ -> ae,
** þ -> th); every other code point from U+0100 up is a letter kept as it
** is, except general punctuation (U+2000..U+206F, U+2E00..U+2E7F), CJK
** punctuation (U+3000..U+303F), U+FEFF and U+FF00..U+FF0F, which separate
** words.  A word is a maximal run of letters and digits, optionally
** followed by an apostrophe (' or U+2019) and a run of letters ("don't",
** "agent's").  The 130 English stopwords of the measured recipe are then
** dropped.  Unicode normalisation (NFKC) and case folding beyond Latin-1
** are not done: that would need tables larger than this layer.
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/mem_internal.h"

/* Decode one code point at s (avail bytes); its length, or 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp) {
  unsigned char c = s[0];
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, v = c & 0x1Fu, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, v = c & 0x0Fu, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, v = c & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

int sv__utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  uint32_t cp;
  while (i < len) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t l = utf8_decode(p + i, len - i, &cp);
    if (l == 0) return 0;
    i += l;
  }
  return 1;
}

int sv__check_text(const char *s, const char *what, size_t max, int required, char *err,
                   size_t errcap) {
  if (!s) {
    if (!required) return SV_OK;
    snprintf(err, errcap, "%s is missing", what);
    return SV_EINVAL;
  }
  size_t len = strnlen(s, max + 1);
  if (len > max) {
    snprintf(err, errcap, "%s is longer than %zu bytes", what, max);
    return SV_EINVAL;
  }
  if (required && len == 0) {
    snprintf(err, errcap, "%s is empty", what);
    return SV_EINVAL;
  }
  if (!sv__utf8_valid(s, len)) {
    snprintf(err, errcap, "%s is not valid UTF-8", what);
    return SV_EINVAL;
  }
  return SV_OK;
}

static const char *const STOPWORDS[] = {
    "a",        "about",     "above",      "after",  "again",   "against", "all",    "am",
    "an",       "and",       "any",        "are",    "as",      "at",      "be",     "because",
    "been",     "before",    "being",      "below",  "between", "both",    "but",    "by",
    "can",      "did",       "do",         "does",   "doing",   "don't",   "down",   "during",
    "each",     "few",       "for",        "from",   "further", "had",     "has",    "have",
    "having",   "he",        "her",        "here",   "hers",    "herself", "him",    "himself",
    "his",      "how",       "i",          "i'm",    "if",      "in",      "into",   "is",
    "it",       "it's",      "its",        "itself", "just",    "me",      "more",   "most",
    "my",       "myself",    "no",         "nor",    "not",     "now",     "of",     "off",
    "on",       "once",      "only",       "or",     "other",   "our",     "ours",   "ourselves",
    "out",      "over",      "own",        "s",      "same",    "she",     "should", "so",
    "some",     "such",      "t",          "than",   "that",    "that's",  "the",    "their",
    "theirs",   "them",      "themselves", "then",   "there",   "these",   "they",   "this",
    "those",    "through",   "to",         "too",    "under",   "until",   "up",     "very",
    "was",      "we",        "were",       "what",   "when",    "where",   "which",  "while",
    "who",      "whom",      "why",        "will",   "with",    "you",     "your",   "yours",
    "yourself", "yourselves"};
#define NSTOP (sizeof STOPWORDS / sizeof STOPWORDS[0])

static int cmp_stop(const void *key, const void *elem) {
  return strcmp((const char *)key, *(const char *const *)elem);
}

static int is_stopword(const char *w) {
  return bsearch(w, STOPWORDS, NSTOP, sizeof STOPWORDS[0], cmp_stop) != NULL;
}

/* Latin-1 letters U+00C0..U+00FF folded to ASCII; "" marks a separator. */
static const char *const LATIN1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

enum { CH_SEP, CH_DIGIT, CH_LETTER, CH_APOS };

/* Classify cp; for letters and digits, the normalised bytes go to out
** (at most 4) and their count to *n. */
static int classify(uint32_t cp, const unsigned char *src, size_t len, char *out, size_t *n) {
  *n = 0;
  if (cp < 0x80) {
    if (cp >= '0' && cp <= '9') {
      out[(*n)++] = (char)cp;
      return CH_DIGIT;
    }
    if (cp >= 'a' && cp <= 'z') {
      out[(*n)++] = (char)cp;
      return CH_LETTER;
    }
    if (cp >= 'A' && cp <= 'Z') {
      out[(*n)++] = (char)(cp + 32);
      return CH_LETTER;
    }
    return cp == '\'' ? CH_APOS : CH_SEP;
  }
  if (cp < 0xC0) return CH_SEP;
  if (cp <= 0xFF) {
    const char *f = LATIN1[cp - 0xC0];
    if (!*f) return CH_SEP;
    *n = strlen(f);
    memcpy(out, f, *n);
    return CH_LETTER;
  }
  if (cp == 0x2019) return CH_APOS;
  if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
      (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFEFF || (cp >= 0xFF00 && cp <= 0xFF0F)) {
    return CH_SEP;
  }
  memcpy(out, src, len);
  *n = len;
  return CH_LETTER;
}

static int push_token(sv_tokens *t, size_t start) {
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    char **nt = realloc(t->tok, nc * sizeof *nt);
    if (!nt) return -1;
    t->tok = nt;
    t->cap = nc;
  }
  /* Offsets for now: buf may still move; fixed up at the end. */
  t->tok[t->n++] = (char *)(uintptr_t)start;
  return 0;
}

int sv__tokenize(const char *text, sv_tokens *t) {
  const unsigned char *p = (const unsigned char *)text;
  size_t len = strlen(text), i = 0, w = 0, start = 0;
  int rc = -1, in_word = 0;
  memset(t, 0, sizeof *t);
  /* Folding at most doubles a byte (ß, 2 bytes -> "ss"), plus one NUL per
  ** token: 2*len + 1 bounds the buffer. */
  t->buf = malloc(2 * len + 2);
  if (!t->buf) goto done;
  while (i <= len) {
    uint32_t cp = 0;
    size_t l = 1, n = 0;
    char nb[4];
    int cls = CH_SEP;
    if (i < len) {
      l = utf8_decode(p + i, len - i, &cp);
      if (l == 0) l = 1, cp = 0xFFFD; /* callers validate; stay safe anyway */
      cls = classify(cp, p + i, l, nb, &n);
    }
    if (cls == CH_APOS && in_word) {
      /* Suffix: apostrophe followed by at least one letter. */
      size_t j = i + l, k = 0, sn;
      uint32_t c2;
      char b2[4];
      size_t sufstart = w;
      t->buf[w++] = '\'';
      while (j < len) {
        size_t l2 = utf8_decode(p + j, len - j, &c2);
        if (l2 == 0 || classify(c2, p + j, l2, b2, &sn) != CH_LETTER) break;
        memcpy(t->buf + w, b2, sn);
        w += sn;
        j += l2;
        k++;
      }
      if (k == 0) w = sufstart; /* a bare apostrophe ends the word */
      i = k ? j : i + l;
      cls = CH_SEP;
      l = 0;
    }
    if (cls == CH_LETTER || cls == CH_DIGIT) {
      if (!in_word) start = w, in_word = 1;
      memcpy(t->buf + w, nb, n);
      w += n;
    } else if (in_word) {
      t->buf[w] = '\0';
      if (is_stopword(t->buf + start)) {
        w = start;
      } else {
        if (push_token(t, start) != 0) goto done;
        w++;
      }
      in_word = 0;
    }
    i += l;
    if (i > len) break;
  }
  assert(w <= 2 * len + 2);
  for (size_t k = 0; k < t->n; k++) t->tok[k] = t->buf + (size_t)(uintptr_t)t->tok[k];
  t->nbuf = w;
  rc = 0;
done:
  if (rc != 0) sv__tokens_free(t);
  return rc;
}

void sv__tokens_free(sv_tokens *t) {
  free(t->buf);
  free(t->tok);
  memset(t, 0, sizeof *t);
}
