/*
** test_durable.c — SV_OPEN_DURABLE: accepted with the other flags, writes
** and reopens like any shard, and still leaves unknown flags refused.
**
** What the flag changes (synchronous=FULL, an fsync per commit) cannot be
** observed without cutting power; test_crash.c covers process kills for
** every shard.  This suite pins the API contract the MCP server relies on.
*/
#include "sv_test.h"

int main(void) {
  char path[512];
  sv_test_path(path, sizeof path, "durable", "a.shard");
  sv_test_remove_db(path);

  sv_shard *s = NULL;
  sv_open_options o = {4, SV_METRIC_L2, SV_OPEN_CREATE | SV_OPEN_DURABLE};
  CHECK_RC(sv_shard_open(path, &o, &s), SV_OK);
  float v[4] = {1, 2, 3, 4};
  int64_t id = 0;
  CHECK_RC(sv_insert(s, v, 4, "{\"k\":1}", &id), SV_OK);
  CHECK_RC(sv_shard_close(s), SV_OK);

  sv_open_options ro = {0, SV_METRIC_UNSET, SV_OPEN_DURABLE};
  s = NULL;
  CHECK_RC(sv_shard_open(path, &ro, &s), SV_OK);
  sv_stats st;
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 1 && st.dim == 4 && st.metric == SV_METRIC_L2, "count %llu",
        (unsigned long long)st.count);
  CHECK_RC(sv_delete(s, id), SV_OK);
  CHECK_RC(sv_shard_close(s), SV_OK);

  sv_open_options both = {0, SV_METRIC_UNSET, SV_OPEN_READONLY | SV_OPEN_DURABLE};
  s = NULL;
  CHECK_RC(sv_shard_open(path, &both, &s), SV_OK);
  CHECK_RC(sv_shard_stats(s, &st), SV_OK);
  CHECK(st.count == 0 && st.deleted == 1, "after delete");
  CHECK_RC(sv_shard_close(s), SV_OK);

  sv_open_options bad = {0, SV_METRIC_UNSET, 0x40000000};
  s = NULL;
  CHECK_RC(sv_shard_open(path, &bad, &s), SV_EINVAL);
  sv_shard_close(s);

  sv_test_remove_db(path);
  return sv_test_done("test_durable");
}
