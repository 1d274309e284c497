#!/usr/bin/env bash
# test_index_sql.sh — search modes and index functions of the loadable
# extension under Debian's sqlite3 shell.
#
# Usage: bash tests/sql/test_index_sql.sh BUILD_DIR
#
# A shard is filled through vector_insert, indexed with vector_index, and
# vector_search is run with each mode: results must equal the exact ones
# (on this small, well separated set), the hidden `plan` column must name
# the plan, and bad modes/ef values and a missing structure must fail with
# a message.  Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib/harness.sh"
sv_sql_suite test_index_sql.sh sv_sql_index "$@"
check() { if [ "$2" == "$3" ]; then pass; else fail "$1: expected [$2], got [$3]"; fi; }

DB="$TMP/s.db"
# 400 vectors in 8 tight groups on the axes of an 8-d space.
q "$DB" "SELECT vector_shard_init(8, 'cosine');" >/dev/null || fail "init"
q "$DB" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 399)
  SELECT count(vector_insert(json_array(
    CASE WHEN i % 8 = 0 THEN 1 ELSE 0.01 * (i % 7) END,
    CASE WHEN i % 8 = 1 THEN 1 ELSE 0.01 * (i % 5) END,
    CASE WHEN i % 8 = 2 THEN 1 ELSE 0.01 * (i % 3) END,
    CASE WHEN i % 8 = 3 THEN 1 ELSE 0.02 * (i % 4) END,
    CASE WHEN i % 8 = 4 THEN 1 ELSE 0.01 * (i % 6) END,
    CASE WHEN i % 8 = 5 THEN 1 ELSE 0.03 * (i % 2) END,
    CASE WHEN i % 8 = 6 THEN 1 ELSE 0.01 * (i % 9) END,
    CASE WHEN i % 8 = 7 THEN 1 ELSE 0.01 * (i % 11) END), json_object('g', i % 10, 'r', i))) FROM n;" \
  >/dev/null || fail "insert"
Q="'[1,0.02,0,0.01,0,0,0.05,0]'"

check_err "hnsw missing" "sqlite-vector index SHARD --hnsw" "$DB" \
  "SELECT id FROM vector_search('sv_vectors', $Q, 5, NULL, NULL, 'hnsw');"
check_err "int8 missing" "--quantize int8" "$DB" \
  "SELECT id FROM vector_search('sv_vectors', $Q, 5, NULL, NULL, 'quantized');"
check_err "bad index kind" "must be 'hnsw', 'int8' or 'binary'" "$DB" "SELECT vector_index('ivf');"
check_err "bad m" "m must be" "$DB" "SELECT vector_index('hnsw', 1, 100);"
check_err "bad efc" "ef_construction must be" "$DB" "SELECT vector_index('hnsw', 16, 0);"
check "nothing built" '{"hnsw":false,"m":0,"ef_construction":0,"int8":false,"binary":false,"nodes":0,"graph_bytes":0' \
  "$(q "$DB" "SELECT vector_index_info();" | sed 's/,"load_ms".*//')"

check "vector_index int8" "1" "$(q "$DB" "SELECT vector_index('int8');")"
check "vector_index binary" "1" "$(q "$DB" "SELECT vector_index('binary');")"
check "vector_index hnsw" "1" "$(q "$DB" "SELECT vector_index('hnsw', 8, 64);")"
check "info after build" "true 8 400" \
  "$(q "$DB" "SELECT json_extract(vector_index_info(),'\$.hnsw') || ' ' || json_extract(vector_index_info(),'\$.m') || ' ' || json_extract(vector_index_info(),'\$.nodes');" | sed 's/^1 /true /')"

exact=$(q "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', $Q, 10, NULL, NULL, 'exact');")
for mode in quantized binary hnsw auto; do
  check "mode $mode = exact" "$exact" \
    "$(q "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', $Q, 10, NULL, NULL, '$mode', 100);")"
done
check "plan hnsw" "hnsw" "$(q "$DB" "SELECT DISTINCT plan FROM vector_search('sv_vectors', $Q, 3, NULL, NULL, 'hnsw');")"
check "plan int8" "quantized-int8" "$(q "$DB" "SELECT DISTINCT plan FROM vector_search('sv_vectors', $Q, 3, NULL, NULL, 'quantized');")"
check "plan auto small" "exact" "$(q "$DB" "SELECT DISTINCT plan FROM vector_search('sv_vectors', $Q, 3);")"
check "plan broad filter" "hnsw-filtered" \
  "$(q "$DB" "SELECT DISTINCT plan FROM vector_search('sv_vectors', $Q, 3, '{\"g\":3}', NULL, 'hnsw');")"
check "plan selective filter" "exact-prefilter" \
  "$(q "$DB" "SELECT DISTINCT plan FROM vector_search('sv_vectors', $Q, 3, '{\"r\":{\"\$lt\":10}}', NULL, 'hnsw');")"
check "filtered count = min(k, matches)" "40" \
  "$(q "$DB" "SELECT count(*) FROM vector_search('sv_vectors', $Q, 100, '{\"g\":3}', NULL, 'hnsw');")"
check "named arguments" "hnsw" \
  "$(q "$DB" "SELECT DISTINCT plan FROM vector_search WHERE shard='sv_vectors' AND query=$Q AND k=2 AND mode='hnsw' AND ef=20;")"
check_err "bad mode" "mode must be" "$DB" "SELECT id FROM vector_search('sv_vectors', $Q, 5, NULL, NULL, 'fast');"
check_err "bad ef" "ef must be" "$DB" "SELECT id FROM vector_search('sv_vectors', $Q, 5, NULL, NULL, 'hnsw', 0);"
check "VACUUM compacts" "ok" "$(q "$DB" "VACUUM;" "PRAGMA integrity_check;")"
check "hnsw after VACUUM" "$exact" \
  "$(q "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', $Q, 10, NULL, NULL, 'hnsw', 100);")"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
