/*
** sim_agent.c — does learning from outcomes help an agent pick strategies?
**
** A scripted agent loop over five task families.  Each family has four
** stored strategies (memory items); exactly one works most of the time
** (success probability 0.85), the others rarely (0.25).  The wording of the
** strategies does not tell which one works: all four are on topic, and in
** four of five families a bad one is the most similar to the task texts
** (cosine gaps of 0.01-0.15), as happens when a plausible lesson is wrong.  Every round the agent
*gets 20 tasks
** per family (random phrasings), retrieves k = 1 strategy (a strategy of
** another family may come back; it then works with probability 0.25), "runs" it (a
** seeded coin with the strategy's probability) and reports the outcome
** with sv_mem_record_outcome().
**
** Two memories with identical contents are compared:
**   similarity   find_patterns with alpha = 1, beta = gamma = 0
**   reliability  the defaults: 0.65 similarity + 0.15 recency + 0.20
**                reliability, reliability = (successes+1)/(uses+2)
** Both record outcomes; only the second lets them change the choice.  The
** program prints the success rate per round for both, deterministic for a
** given seed.  Usage: sim_agent [ROUNDS] [SEED]
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_vector_memory.h"

#define FAMILIES 5
#define STRATS 4
#define PHRASES 4
#define TASKS_PER_ROUND 20

typedef struct family {
  const char *phrases[PHRASES];
  const char *title[STRATS];
  const char *content[STRATS];
  int good; /* index of the strategy that works */
} family;

static const family FAM[FAMILIES] = {
    {{"deploy the web service to production", "roll out the new web service release",
      "ship the web service update to production servers", "release the service to production"},
     {"Deploy the web service directly to production",
      "Restart production web servers after deploy", "Deploy the web service as a canary release",
      "Copy the web service files to production"},
     {"Deploy the new web service release straight to all production servers at once.",
      "After you deploy the web service to production, restart all production servers.",
      "Deploy the new web service release to a few production servers first and watch health "
      "checks before the full rollout.",
      "Copy the release files of the web service onto the production servers by hand."},
     2},
    {{"parse the csv sales report", "load the monthly csv report into a table",
      "read the sales report csv file", "import the csv report data"},
     {"Split csv report lines on commas", "Read the csv report with a regex",
      "Parse the csv report line by line", "Parse the csv report with a real CSV parser"},
     {"Parse the csv sales report by splitting each report line on commas.",
      "Read the csv report file with a regular expression per line of the sales report.",
      "Read the csv report line by line and parse each line of the sales data.",
      "Parse the csv sales report with a CSV parser that handles quoted fields and newlines."},
     3},
    {{"fix the flaky integration test", "the integration test fails randomly",
      "stabilise the flaky test in CI", "investigate the intermittently failing test"},
     {"Make the flaky test wait for its services", "Retry the flaky integration test",
      "Increase the timeout of the flaky test", "Disable the flaky integration test"},
     {"Fix the flaky integration test by waiting until the services it needs are ready.",
      "Retry the flaky integration test automatically until the flaky test passes in CI.",
      "Increase the timeout of the flaky integration test so the failing test has more time.",
      "Disable the flaky integration test that fails randomly in CI."},
     0},
    {{"migrate the database schema", "apply the new database schema migration",
      "change the database schema for the release", "run the schema migration on the database"},
     {"Edit the database schema by hand", "Run the schema migration during peak hours",
      "Make the schema migration backward compatible", "Drop and recreate the database schema"},
     {"Edit the production database schema by hand to apply the schema migration.",
      "Run the database schema migration right away, during peak hours if needed.",
      "Apply the database schema migration in backward compatible steps: add, backfill, remove.",
      "Drop the database schema and recreate the schema with the migration applied."},
     2},
    {{"speed up the slow sql query", "the sql query is too slow",
      "optimise the slow database query", "tune the slow report query"},
     {"Index the columns of the slow sql query", "Cache the slow sql query result forever",
      "Rewrite the slow sql query as a subquery", "Increase the database server memory"},
     {"Speed up the slow sql query by reading its plan and indexing the filtered columns.",
      "Cache the result of the slow sql query forever so the slow query never runs again.",
      "Rewrite the slow sql query into a nested subquery to speed up the slow query.",
      "Give the database server more memory so the slow sql query runs faster."},
     0},
};

static unsigned long long rng = 42;
static double rnd(void) {
  unsigned long long z = (rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10;
  rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
  sv_embedder *e = NULL;
  sv_mem *mem[2] = {NULL, NULL};
  int64_t ids[2][FAMILIES][STRATS];
  int rc = 1;
  const int64_t t0 = 1700000000000LL;
  if (rounds < 1 || rounds > 1000 || sv_embedder_hash_v1(0, &e) != SV_OK) goto done;
  for (int p = 0; p < 2; p++) {
    if (sv_mem_open(":memory:", e, SV_OPEN_CREATE, &mem[p]) != SV_OK) goto done;
    for (int f = 0; f < FAMILIES; f++) {
      for (int s = 0; s < STRATS; s++) {
        sv_mem_item_in it = {.title = FAM[f].title[s], .content = FAM[f].content[s]};
        sv_mem_store_result r;
        sv_mem_store_options so = {.now_ms = t0};
        if (sv_mem_store_experience(mem[p], FAM[f].phrases[0], 1, &it, 1, NULL, &so, &r) != SV_OK ||
            r.actions[0] != SV_MEM_STORED) {
          fprintf(stderr, "store: %s\n", sv_mem_errmsg(mem[p]));
          goto done;
        }
        ids[p][f][s] = r.ids[0];
      }
    }
  }
  printf("round  similarity-only  with-reliability   (success rate, %d tasks per round)\n",
         FAMILIES * TASKS_PER_ROUND);
  double tot[2] = {0, 0};
  for (int round = 1; round <= rounds; round++) {
    int wins[2] = {0, 0};
    for (int t = 0; t < FAMILIES * TASKS_PER_ROUND; t++) {
      int f = t % FAMILIES;
      const char *task = FAM[f].phrases[(int)(rnd() * PHRASES) % PHRASES];
      double coin = rnd(); /* the same luck for both policies */
      int64_t now = t0 + (int64_t)round * 3600000;
      for (int p = 0; p < 2; p++) {
        sv_mem_pattern_options po = {.k = 1, .now_ms = now};
        sv_mem_patterns pats;
        if (p == 0) po.alpha = 1, po.beta = 0, po.gamma = 0;
        if (sv_mem_find_patterns(mem[p], task, &po, &pats) != SV_OK || pats.n != 1) {
          fprintf(stderr, "find: %s\n", sv_mem_errmsg(mem[p]));
          goto done;
        }
        int s = -1, sf = -1;
        for (int g = 0; g < FAMILIES; g++) {
          for (int i = 0; i < STRATS; i++) {
            if (ids[p][g][i] == pats.p[0].id) sf = g, s = i;
          }
        }
        sv_mem_patterns_free(&pats);
        if (s < 0) goto done;
        /* The good strategy of the task's own family works; anything else rarely. */
        double prob = sf == f && s == FAM[f].good ? 0.85 : 0.25;
        int ok = coin < prob;
        wins[p] += ok;
        if (sv_mem_record_outcome(mem[p], ids[p][sf][s], ok, now) != SV_OK) goto done;
      }
    }
    double n = FAMILIES * TASKS_PER_ROUND;
    printf("%5d  %15.2f  %16.2f\n", round, wins[0] / n, wins[1] / n);
    tot[0] += wins[0] / n;
    tot[1] += wins[1] / n;
  }
  printf("mean   %15.2f  %16.2f\n", tot[0] / rounds, tot[1] / rounds);
  rc = 0;
done:
  for (int p = 0; p < 2; p++) sv_mem_close(mem[p]);
  sv_embedder_free(e);
  return rc;
}
