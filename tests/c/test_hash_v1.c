/*
** test_hash_v1.c — golden vectors pin the frozen hash-v1 embedder.
**
** Stored vectors depend on every detail of hash-v1 (tokens, stopwords,
** n-gram weights, hash seeds, sublinear TF, normalisation), so these
** vectors were computed once and are compared exactly (to 1e-6) here: a
** change that moves any of them is a new embedder, not a fix.  The ASCII
** cases were cross-checked against an independent Python implementation
** of the spec in docs/MEMORY.md; the others pin the Latin-1 folding and
** the treatment of other scripts.  Also checked: determinism, unit norm,
** stopword-only text gives the zero vector, dimension limits and text
** validation (invalid UTF-8, over-long, empty).
*/
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector_memory.h"
#include "sv_test.h"

typedef struct golden_entry {
  unsigned idx;
  float v;
} golden_entry;

static const golden_entry CAT[] = {
    {237, 0.288675f}, {290, 0.288675f},  {542, -0.288675f}, {575, -0.288675f},
    {634, 0.288675f}, {657, -0.288675f}, {837, 0.707107f},
};
static const golden_entry DONT[] = {
    {45, -0.083333f},  {51, 0.083333f},   {62, 0.083333f},   {67, 0.117851f},   {83, -0.083333f},
    {84, -0.083333f},  {96, -0.083333f},  {107, 0.083333f},  {142, 0.083333f},  {147, 0.117851f},
    {152, -0.083333f}, {159, 0.353553f},  {181, 0.083333f},  {188, -0.117851f}, {198, 0.083333f},
    {224, -0.083333f}, {233, -0.117851f}, {267, -0.083333f}, {321, -0.353553f}, {327, 0.083333f},
    {339, -0.083333f}, {342, -0.353553f}, {359, 0.083333f},  {396, 0.083333f},  {499, 0.083333f},
    {504, -0.083333f}, {526, 0.083333f},  {548, 0.083333f},  {570, -0.117851f}, {583, -0.083333f},
    {601, 0.353553f},  {614, -0.083333f}, {619, -0.083333f}, {629, 0.083333f},  {633, -0.117851f},
    {660, -0.083333f}, {665, -0.083333f}, {709, -0.083333f}, {714, 0.353553f},  {715, -0.083333f},
    {728, 0.083333f},  {775, -0.117851f}, {779, -0.083333f}, {878, 0.083333f},  {881, -0.083333f},
    {890, 0.117851f},  {900, -0.117851f}, {920, 0.083333f},  {992, -0.083333f}, {1021, -0.083333f},
};
static const golden_entry CJK[] = {
    {17, 0.166667f},  {109, 0.204124f},  {110, 0.204124f},  {113, -0.166667f}, {156, -0.166667f},
    {249, 0.500000f}, {317, 0.204124f},  {429, -0.166667f}, {436, -0.204124f}, {474, 0.166667f},
    {511, 0.166667f}, {518, -0.166667f}, {565, 0.204124f},  {785, 0.166667f},  {803, 0.204124f},
    {859, 0.500000f}, {1001, 0.166667f},
};
static const golden_entry AGENT[] = {
    {5, 0.068568f},    {15, 0.068568f},   {23, -0.055985f},  {24, 0.055985f},   {45, -0.068568f},
    {51, 0.068568f},   {58, 0.068568f},   {62, 0.094791f},   {63, 0.096969f},   {67, -0.055985f},
    {127, 0.137135f},  {142, 0.094791f},  {170, 0.061329f},  {182, -0.068568f}, {191, 0.061329f},
    {192, 0.068568f},  {195, -0.068568f}, {198, 0.094791f},  {201, -0.237525f}, {207, 0.055985f},
    {212, -0.237525f}, {224, -0.068568f}, {227, 0.061329f},  {231, -0.061329f}, {241, -0.094791f},
    {254, -0.096969f}, {267, -0.053807f}, {278, -0.068568f}, {283, 0.068568f},  {301, 0.061329f},
    {303, 0.055985f},  {310, 0.061329f},  {315, -0.094791f}, {323, -0.068568f}, {324, -0.096969f},
    {337, -0.061329f}, {359, 0.094791f},  {364, 0.061329f},  {380, 0.055985f},  {383, -0.061329f},
    {392, -0.061329f}, {396, 0.094791f},  {410, -0.237525f}, {431, 0.068568f},  {480, -0.068568f},
    {486, -0.055985f}, {489, 0.055985f},  {492, 0.094791f},  {503, -0.237525f}, {520, -0.096969f},
    {526, 0.068568f},  {548, 0.068568f},  {599, -0.055985f}, {614, -0.094791f}, {625, 0.068568f},
    {629, 0.068568f},  {651, -0.055985f}, {660, -0.094791f}, {665, -0.094791f}, {672, -0.068568f},
    {693, -0.068568f}, {698, -0.124553f}, {709, -0.068568f}, {715, -0.094791f}, {725, 0.094791f},
    {728, 0.094791f},  {740, 0.096969f},  {749, -0.061329f}, {752, -0.055985f}, {760, 0.237525f},
    {762, 0.068568f},  {779, -0.094791f}, {791, -0.055985f}, {801, 0.068568f},  {803, -0.055985f},
    {819, 0.068568f},  {828, -0.068568f}, {857, -0.068568f}, {872, -0.068568f}, {878, 0.068568f},
    {879, -0.068568f}, {881, -0.068568f}, {889, -0.061329f}, {891, -0.061329f}, {892, 0.068568f},
    {900, -0.061329f}, {903, -0.055985f}, {909, 0.068568f},  {920, 0.094791f},  {928, 0.402165f},
    {940, 0.055985f},  {957, 0.117491f},  {976, 0.237525f},  {982, -0.055985f}, {1008, 0.068568f},
};

static void check_golden(sv_embedder *e, const char *text, const golden_entry *g, size_t n,
                         const char *name) {
  float v[1024];
  const char *t[1] = {text};
  size_t nz = 0, gi = 0;
  int bad = 0;
  CHECK_RC(sv_embed(e, t, 1, v), SV_OK);
  for (unsigned j = 0; j < 1024; j++) {
    if (v[j] == 0.0f) continue;
    nz++;
    if (gi < n && g[gi].idx == j && fabsf(g[gi].v - v[j]) < 2e-6f) {
      gi++;
    } else {
      bad++;
    }
  }
  CHECK(bad == 0 && gi == n && nz == n, "%s: %zu non-zeros, %zu matched of %zu golden", name, nz,
        gi, n);
}

#define GOLDEN(e, text, arr) check_golden(e, text, arr, sizeof arr / sizeof arr[0], #arr)

int main(void) {
  sv_embedder *e = NULL;
  CHECK_RC(sv_embedder_hash_v1(0, &e), SV_OK);
  CHECK(e && strcmp(sv_embedder_name(e), "hash-v1") == 0, "name");
  CHECK(strcmp(sv_embedder_version(e), "1") == 0, "version");
  CHECK(sv_embedder_dim(e) == 1024, "default dim");

  GOLDEN(e, "cat", CAT);
  GOLDEN(e, "CAT!", CAT); /* case and punctuation do not matter */
  GOLDEN(e, "don't stop the agent's 3 retries", DONT);
  GOLDEN(e, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E text", CJK);
  GOLDEN(e, "The agent retried the SQL query after a timeout, and it worked. Retried twice!",
         AGENT);

  /* Latin-1 folding: Straße == strasse, Café == cafe. */
  {
    float a[1024], b[1024];
    const char *t1[2] = {
        "Stra\xC3\x9F"
        "e Caf\xC3\xA9",
        "strasse CAFE"};
    CHECK_RC(sv_embed(e, t1, 1, a), SV_OK);
    CHECK_RC(sv_embed(e, t1 + 1, 1, b), SV_OK);
    CHECK(memcmp(a, b, sizeof a) == 0, "latin-1 folding");
  }
  /* Unit norm, determinism, batch == one by one. */
  {
    static float batch[3 * 1024], one[1024];
    const char *t[3] = {"alpha beta gamma", "retry with exponential backoff", "alpha"};
    CHECK_RC(sv_embed(e, t, 3, batch), SV_OK);
    for (int i = 0; i < 3; i++) {
      double n2 = 0;
      for (int j = 0; j < 1024; j++) n2 += (double)batch[i * 1024 + j] * batch[i * 1024 + j];
      CHECK(fabs(n2 - 1.0) < 1e-5, "norm %d = %f", i, n2);
      CHECK_RC(sv_embed(e, t + i, 1, one), SV_OK);
      CHECK(memcmp(one, batch + i * 1024, sizeof one) == 0, "batch %d", i);
    }
  }
  /* Only stopwords: the zero vector (the memory layer refuses to store it). */
  {
    float v[1024];
    const char *t[1] = {"the and of it's"};
    double s = 0;
    CHECK_RC(sv_embed(e, t, 1, v), SV_OK);
    for (int j = 0; j < 1024; j++) s += fabsf(v[j]);
    CHECK(s == 0, "stopwords give zero");
  }
  /* Bad input. */
  {
    float v[1024];
    const char *bad_utf8[1] = {"ok \xC3\x28 no"};
    const char *overlong[1] = {"\xC0\xAF"};
    const char *surrogate[1] = {"\xED\xA0\x80"};
    const char *empty[1] = {""};
    const char *null[1] = {NULL};
    CHECK_RC(sv_embed(e, bad_utf8, 1, v), SV_EINVAL);
    CHECK(strstr(sv_embedder_errmsg(e), "UTF-8") != NULL, "msg: %s", sv_embedder_errmsg(e));
    CHECK_RC(sv_embed(e, overlong, 1, v), SV_EINVAL);
    CHECK_RC(sv_embed(e, surrogate, 1, v), SV_EINVAL);
    CHECK_RC(sv_embed(e, empty, 1, v), SV_EINVAL);
    CHECK_RC(sv_embed(e, null, 1, v), SV_EINVAL);
    char *huge = malloc(SV_MEM_MAX_TEXT + 2);
    memset(huge, 'a', SV_MEM_MAX_TEXT + 1);
    huge[SV_MEM_MAX_TEXT + 1] = '\0';
    const char *h[1] = {huge};
    CHECK_RC(sv_embed(e, h, 1, v), SV_EINVAL);
    huge[SV_MEM_MAX_TEXT] = '\0'; /* exactly the limit is fine */
    CHECK_RC(sv_embed(e, h, 1, v), SV_OK);
    free(huge);
  }
  /* Dimensions. */
  {
    sv_embedder *x = NULL;
    CHECK_RC(sv_embedder_hash_v1(32, &x), SV_EINVAL);
    CHECK(x == NULL, "no embedder on failure");
    CHECK_RC(sv_embedder_hash_v1(SV_MAX_DIM + 1, &x), SV_EINVAL);
    CHECK_RC(sv_embedder_hash_v1(4096, &x), SV_OK);
    CHECK(sv_embedder_dim(x) == 4096, "4096");
    sv_embedder_free(x);
  }
  sv_embedder_free(e);
  return sv_test_done("test_hash_v1");
}
