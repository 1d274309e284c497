#!/usr/bin/env bash
# test_extension.sh — the loadable extension under Debian's sqlite3 shell and
# the system Python.
#
# Usage: bash tests/sql/test_extension.sh BUILD_DIR
#
# Every check goes through a real host: /usr/bin/sqlite3 (3.40.1 on Debian
# 12, older than the 3.52 headers the extension is compiled against, which
# is the point) loads BUILD_DIR/sqlite_vector.so by file name only, so the
# derived entry point sqlite3_sqlitevector_init is exercised too.  Search
# results are compared with a brute-force ORDER BY over the scalar
# functions, which use the same kernels.  /usr/bin/python3 is used on
# purpose: the python3 first on PATH may be built without
# enable_load_extension.  The script ends with "N passed, N failed" and
# exits non-zero when anything failed.
set -u

. "$(dirname "$0")/../lib/harness.sh"
sv_sql_suite test_extension.sh sv_sql_test "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3
KNOWN=0

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: expected [$2], got [$3]"; fi
}

# check_sql NAME EXPECTED DB SQL : the statement's output (and no error).
check_sql() {
  local out rc
  out=$(q "$3" "$4" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    fail "$1: exit $rc: $out"
    return
  fi
  check "$1" "$2" "$out"
}

# known_issue NAME EXPECTED DB SQL : like check_sql, but a mismatch is
# reported as a known engine limitation instead of a failure.
known_issue() {
  local out
  out=$(q "$3" "$4" 2>&1)
  if [ "$out" == "$2" ]; then
    pass
  else
    KNOWN=$((KNOWN + 1))
    echo "KNOWN ISSUE: $1: expected [$2], got [$out]" >&2
  fi
}

MEM=:memory:

# ---- loading ---------------------------------------------------------------
check "load by file name" "0.1.0" "$(cd "$BUILD" && "$SQLITE" -batch :memory: ".load ./sqlite_vector" "SELECT vector_version();" 2>&1)"
check "load with .so suffix" "0.1.0" "$("$SQLITE" -batch :memory: ".load $EXT.so" "SELECT vector_version();" 2>&1)"
check "load twice" "3" "$("$SQLITE" -batch :memory: ".load $EXT" ".load $EXT" "SELECT vector_dims('[1,2,3]');" 2>&1)"
check_sql "simd backend named" "1" $MEM "SELECT vector_simd() IN ('avx512','avx2','sse','neon','wasm128','scalar');"

# ---- scalar functions: values --------------------------------------------
check_sql "from_json bytes" "0000803F00000040" $MEM "SELECT hex(vector_from_json('[1,2]'));"
check_sql "from_json whitespace" "[1,2,3]" $MEM "SELECT vector_to_json(vector_from_json(' [ 1 , 2 ,3 ] '));"
check_sql "to_json shortest" "[0.1,-2500,0.001,0,-0,1e+20]" $MEM \
  "SELECT vector_to_json('[0.1, -2.5e3, 1E-3, 0, -0.0, 1e20]');"
check_sql "to_json float rounding" "[16777216,0.33333334]" $MEM \
  "SELECT vector_to_json('[16777217, 0.3333333333333333]');"
check_sql "to_json of blob" "[1,-2.5]" $MEM "SELECT vector_to_json(x'0000803F000020C0');"
check_sql "float32 max accepted" "[3.4028235e+38]" $MEM "SELECT vector_to_json('[3.4028235e38]');"
check_sql "underflow to zero" "[0]" $MEM "SELECT vector_to_json('[1e-60]');"
check_sql "dims json" "3" $MEM "SELECT vector_dims('[1,2,3]');"
check_sql "dims blob" "2" $MEM "SELECT vector_dims(x'0000803F00000040');"
check_sql "cosine" "0.974632" $MEM "SELECT printf('%.6f', vector_cosine('[1,2,3]', '[4,5,6]'));"
check_sql "cosine orthogonal" "0.000000" $MEM "SELECT printf('%.6f', vector_cosine('[1,0]', '[0,1]'));"
check_sql "cosine opposite" "-1.000000" $MEM "SELECT printf('%.6f', vector_cosine('[1,1]', '[-2,-2]'));"
check_sql "l2" "5.000000" $MEM "SELECT printf('%.6f', vector_l2('[0,0]', '[3,4]'));"
check_sql "l2 mixed forms" "5.196152" $MEM \
  "SELECT printf('%.6f', vector_l2(vector_from_json('[1,2,3]'), '[4,5,6]'));"
check_sql "dot" "32.000000" $MEM "SELECT printf('%.6f', vector_dot('[1,2,3]', '[4,5,6]'));"
check_sql "normalize" "[0.6,0.8]" $MEM "SELECT vector_to_json(vector_normalize('[3,4]'));"
check_sql "normalize is blob" "blob" $MEM "SELECT typeof(vector_normalize('[3,4]'));"
check_sql "null in null out" "1|1|1|1|1|1|1|1" $MEM \
  "SELECT vector_from_json(NULL) IS NULL, vector_to_json(NULL) IS NULL,
          vector_cosine(NULL, '[1]') IS NULL, vector_l2('[1]', NULL) IS NULL,
          vector_dot(NULL, NULL) IS NULL, vector_normalize(NULL) IS NULL,
          vector_dims(NULL) IS NULL, vector_to_json(NULL) IS NULL;"
check_sql "max dimension" "16384" $MEM \
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 16384)
   SELECT vector_dims('[' || (SELECT group_concat('0.5') FROM c) || ']');"
check_sql "deterministic flag" "1" $MEM \
  "CREATE TABLE t(v BLOB, d INT GENERATED ALWAYS AS (vector_dims(v)));
   CREATE INDEX t_d ON t(vector_dims(v));
   INSERT INTO t(v) VALUES (vector_from_json('[1,2]'));
   SELECT count(*) FROM t WHERE d = 2;"

# ---- scalar functions: errors --------------------------------------------
check_err "json unterminated" "vector_from_json: unterminated array" $MEM "SELECT vector_from_json('[1,2');"
check_err "json double comma" "element 1 is not a valid JSON number" $MEM "SELECT vector_from_json('[1,,2]');"
check_err "json trailing garbage" "unexpected text after the closing" $MEM "SELECT vector_from_json('[1,2] x');"
check_err "json two arrays" "unexpected text after the closing" $MEM "SELECT vector_from_json('[1][2]');"
check_err "json nested" "nested array" $MEM "SELECT vector_from_json('[[1,2]]');"
check_err "json nested later" "element 1 is a nested array" $MEM "SELECT vector_from_json('[1,[2]]');"
check_err "json string" "element 0 is a string" $MEM "SELECT vector_from_json('[\"1\"]');"
check_err "json overflow" "element 0 \\(1e999\\) is outside the float32 range" $MEM "SELECT vector_from_json('[1e999]');"
check_err "json float32 overflow" "outside the float32 range" $MEM "SELECT vector_from_json('[1, 3.5e38]');"
check_err "json negative overflow" "outside the float32 range" $MEM "SELECT vector_from_json('[-1e39]');"
check_err "json empty" "empty array" $MEM "SELECT vector_from_json('[]');"
check_err "json object" "not a JSON array" $MEM "SELECT vector_from_json('{\"a\":1}');"
check_err "json empty text" "not a JSON array" $MEM "SELECT vector_from_json('');"
check_err "json NaN" "NaN and Infinity" $MEM "SELECT vector_from_json('[NaN]');"
check_err "json Infinity" "not a valid JSON number" $MEM "SELECT vector_from_json('[-Infinity]');"
check_err "json leading zero" "expected ',' or '\\]'" $MEM "SELECT vector_from_json('[01]');"
check_err "json bare dot" "not a valid JSON number" $MEM "SELECT vector_from_json('[.5]');"
check_err "json trailing dot" "not a valid JSON number" $MEM "SELECT vector_from_json('[1.]');"
check_err "json plus sign" "not a valid JSON number" $MEM "SELECT vector_from_json('[+1]');"
check_err "json hex" "expected ',' or '\\]'" $MEM "SELECT vector_from_json('[0x10]');"
check_err "json bool" "is a boolean" $MEM "SELECT vector_from_json('[true]');"
check_err "json null element" "is null" $MEM "SELECT vector_from_json('[1,null]');"
check_err "json trailing comma" "is not a valid JSON number" $MEM "SELECT vector_from_json('[1,2,]');"
check_err "from_json of blob" "expects the text of a JSON array" $MEM "SELECT vector_from_json(x'0000803F');"
check_err "too many dims" "more than 16384 components" $MEM \
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 16385)
   SELECT vector_dims('[' || (SELECT group_concat('1') FROM c) || ']');"
check_err "empty blob" "vector_dims: empty BLOB" $MEM "SELECT vector_dims(x'');"
check_err "odd-length blob" "BLOB of 3 bytes is not a whole number of float32" $MEM "SELECT vector_dims(x'000000');"
check_err "odd-length blob 2" "BLOB of 7 bytes" $MEM "SELECT vector_to_json(x'0000803F000000');"
check_err "NaN in blob" "BLOB component 1 is not a finite number" $MEM "SELECT vector_dims(x'0000803F0000C07F');"
check_err "inf in blob" "BLOB component 0 is not a finite number" $MEM "SELECT vector_to_json(x'0000807F');"
check_err "integer as vector" "not a integer|not an integer" $MEM "SELECT vector_dims(42);"
check_err "real as vector" "not a real number" $MEM "SELECT vector_dims(4.5);"
check_err "dimension mismatch" "vector_cosine: dimension mismatch: argument 1 has 2 components, argument 2 has 3" $MEM \
  "SELECT vector_cosine('[1,2]', '[1,2,3]');"
check_err "mismatch l2" "vector_l2: dimension mismatch" $MEM "SELECT vector_l2('[1]', x'0000803F00000040');"
check_err "bad second argument" "vector_dot: argument 2: BLOB of 5 bytes" $MEM "SELECT vector_dot('[1]', x'0000803F00');"
check_err "cosine zero vector" "undefined for a zero vector" $MEM "SELECT vector_cosine('[0,0]', '[1,1]');"
check_err "normalize zero" "cannot be normalized" $MEM "SELECT vector_normalize('[0,0,0]');"
check_err "wrong arg count" "wrong number of arguments" $MEM "SELECT vector_cosine('[1]');"

# ---- a shard built with SQL -------------------------------------------------
DB="$TMP/main.db"
# vec(i, dim): a deterministic pseudo-random vector as JSON, in SQL.
VEC_CTE="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300),
  d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < 7),
  v(i, js) AS (SELECT i, '[' || group_concat(printf('%.4f', ((i * 7919 + j * 104729 + i * j * 31) % 2001 - 1000) / 1000.0), ',') || ']'
               FROM n, d GROUP BY i)"
check_sql "shard init creates" "1" "$DB" "SELECT vector_shard_init(8, 'cosine');"
check_sql "shard init again" "0" "$DB" "SELECT vector_shard_init(8, 'cosine');"
check_err "shard init other dim" "vector_shard_init: .*(dim|dimension)" "$DB" "SELECT vector_shard_init(4, 'cosine');"
check_err "shard init bad metric" "metric\\) must be 'cosine', 'l2' or 'dot'" "$DB" "SELECT vector_shard_init(8, 'manhattan');"
check_err "shard init bad dim" "dimension 0 is out of range" "$DB" "SELECT vector_shard_init(0, 'l2');"
check_err "shard init dim type" "argument 1 \\(dim\\) must be an integer" "$DB" "SELECT vector_shard_init('8', 'l2');"
# One call per row: a write function referenced twice through a flattened
# subquery would be evaluated twice.
check_sql "insert 300" "300" "$DB" \
  "$VEC_CTE SELECT count(vector_insert(js, json_object('i', i, 'lang', CASE WHEN i % 3 = 0 THEN 'en' ELSE 'de' END,
                                                      'year', 2000 + i % 25))) FROM v;"
check_sql "ids 1..300" "1|300" "$DB" "SELECT min(id), max(id) FROM sv_vectors;"
check_sql "rows stored" "300|300|300|1" "$DB" \
  "SELECT count(*), count(DISTINCT version), max(version), min(hlc) > 0 FROM sv_vectors WHERE deleted = 0;"
check_sql "stored vector as given" "$(q "$DB" "$VEC_CTE SELECT vector_to_json(js) FROM v WHERE i = 1;")" "$DB" \
  "SELECT vector_to_json(vector) FROM sv_vectors WHERE id = 1;"
check_sql "info" "8|cosine|300|0" "$DB" \
  "SELECT json_extract(i, '$.dim'), json_extract(i, '$.metric'), json_extract(i, '$.count'), json_extract(i, '$.deleted')
   FROM (SELECT vector_shard_info() AS i);"

Q1='[0.3,-0.2,0.9,0.1,-0.5,0.4,0.0,0.7]'
Q2='[-0.9,0.1,0.2,-0.3,0.8,0.05,-0.6,0.2]'
for Q in "$Q1" "$Q2"; do
  check_sql "search matches brute force ($Q)" \
    "$(q "$DB" "SELECT group_concat(id) FROM (SELECT id FROM sv_vectors WHERE deleted = 0 ORDER BY vector_cosine(vector, '$Q') DESC, id LIMIT 10);")" \
    "$DB" "SELECT group_concat(id) FROM (SELECT id FROM vector_search('sv_vectors', '$Q', 10));"
done
check_sql "search scores match cosine" "10|1" "$DB" \
  "SELECT count(*), max(abs(s.score - vector_cosine(v.vector, '$Q1'))) < 1e-5
   FROM vector_search('sv_vectors', '$Q1', 10) s JOIN sv_vectors v ON v.id = s.id;"
check_sql "search sorted desc" "$(q "$DB" "SELECT group_concat(id) FROM (SELECT id FROM vector_search('sv_vectors', '$Q1', 20) ORDER BY score DESC, id);")" "$DB" \
  "SELECT group_concat(id) FROM vector_search('sv_vectors', '$Q1', 20);"
check_sql "search metadata" "1" "$DB" \
  "SELECT json_extract(metadata, '$.i') = id FROM vector_search('sv_vectors', '$Q1', 1);"
check_sql "search blob query" "$(q "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', '$Q1', 5);")" "$DB" \
  "SELECT group_concat(id) FROM vector_search('sv_vectors', vector_from_json('$Q1'), 5);"
check_sql "search hidden-column form" "$(q "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', '$Q1', 5);")" "$DB" \
  "SELECT group_concat(id) FROM vector_search WHERE shard = 'sv_vectors' AND query = '$Q1' AND k = 5;"
check_sql "search main.sv_vectors" "5" "$DB" "SELECT count(*) FROM vector_search('main.sv_vectors', '$Q1', 5);"
check_sql "search k > rows" "300" "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 100000);"
check_sql "search self is top" "17|1.000000" "$DB" \
  "SELECT id, printf('%.6f', score) FROM vector_search('sv_vectors', (SELECT vector FROM sv_vectors WHERE id = 17), 1);"
check_sql "search in a join" "1:1,2:2,3:3" "$DB" \
  "SELECT group_concat(q.id || ':' || s.id) FROM (SELECT id, vector FROM sv_vectors WHERE id <= 3 ORDER BY id) q,
          vector_search('sv_vectors', q.vector, 1) s;"
# filters
check_sql "filter equality" \
  "$(q "$DB" "SELECT group_concat(id) FROM (SELECT id FROM sv_vectors WHERE deleted = 0 AND json_extract(metadata, '$.lang') = 'en' ORDER BY vector_cosine(vector, '$Q1') DESC, id LIMIT 7);")" \
  "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', '$Q1', 7, '{\"lang\":\"en\"}');"
check_sql "filter range + in" \
  "$(q "$DB" "SELECT group_concat(id) FROM (SELECT id FROM sv_vectors WHERE deleted = 0 AND json_extract(metadata, '$.year') >= 2010 AND json_extract(metadata, '$.year') < 2015 AND json_extract(metadata, '$.lang') IN ('de') ORDER BY vector_cosine(vector, '$Q2') DESC, id LIMIT 9);")" \
  "$DB" "SELECT group_concat(id) FROM vector_search('sv_vectors', '$Q2', 9, '{\"year\":{\"\$gte\":2010,\"\$lt\":2015},\"lang\":{\"\$in\":[\"de\"]}}');"
check_sql "filter matches nothing" "0" "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 5, '{\"lang\":\"fr\"}');"
check_sql "filter NULL is no filter" "5" "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 5, NULL);"
# threshold
check_sql "threshold" \
  "$(q "$DB" "SELECT count(*) FROM sv_vectors WHERE deleted = 0 AND vector_cosine(vector, '$Q1') >= 0.5;")|1" \
  "$DB" "SELECT count(*), coalesce(min(score) >= 0.5, 1) FROM vector_search('sv_vectors', '$Q1', 1000, NULL, 0.5);"
check_sql "threshold with filter" \
  "$(q "$DB" "SELECT count(*) FROM sv_vectors WHERE deleted = 0 AND json_extract(metadata, '$.lang') = 'en' AND vector_cosine(vector, '$Q1') >= 0.3;")" \
  "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, '{\"lang\":\"en\"}', 0.3);"
check_sql "threshold as column" "$(q "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, NULL, 0.5);")" "$DB" \
  "SELECT count(*) FROM vector_search WHERE shard = 'sv_vectors' AND query = '$Q1' AND k = 1000 AND threshold = 0.5;"
# search errors
check_err "search k zero" "vector_search: k = 0 is out of range" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 0);"
check_err "search k negative" "k = -3 is out of range" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', -3);"
check_err "search k huge" "k = 1000001 is out of range" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 1000001);"
check_err "search k text" "k must be an integer" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 'ten');"
check_err "search k real" "k must be an integer" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 2.5);"
check_err "search k null" "k must be an integer" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', NULL);"
check_err "search k missing" "the k argument is missing" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1');"
check_err "search no args" "the shard argument is missing" "$DB" "SELECT * FROM vector_search;"
check_err "search query null" "query: vector is NULL" "$DB" "SELECT * FROM vector_search('sv_vectors', NULL, 3);"
check_err "search query bad json" "query: element 1 is a string" "$DB" "SELECT * FROM vector_search('sv_vectors', '[1,\"x\"]', 3);"
check_err "search query wrong dims" "vector_search: .*(dim|dimension)" "$DB" "SELECT * FROM vector_search('sv_vectors', '[1,2,3]', 3);"
check_err "search bad table" "'items' is not a shard table" "$DB" "SELECT * FROM vector_search('items', '$Q1', 3);"
check_err "search no such schema" "no such database: 'nosuch'" "$DB" "SELECT * FROM vector_search('nosuch.sv_vectors', '$Q1', 3);"
check_err "search not a shard" "vector_search: cannot open the shard in schema 'main'" $MEM "SELECT * FROM vector_search('sv_vectors', '[1]', 3);"
check_err "search bad filter json" "vector_search: .*(JSON|json)" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 3, '{bad');"
check_err "search bad filter op" "vector_search: .*" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 3, '{\"year\":{\"\$regex\":1}}');"
check_err "search filter type" "filter must be JSON object text" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 3, 7);"
check_err "search threshold type" "threshold must be a number" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 3, NULL, 'high');"
check_err "search threshold range" "threshold must be a finite number" "$DB" "SELECT * FROM vector_search('sv_vectors', '$Q1', 3, NULL, 1e300);"
check_err "no create virtual table" "vector_search" "$DB" "CREATE VIRTUAL TABLE x USING vector_search;"

# ---- writes through the API ------------------------------------------------
check_sql "delete" "1|0" "$DB" "SELECT vector_delete(17), vector_delete(17);"
check_sql "deleted is a tombstone" "1|1|301" "$DB" "SELECT deleted, vector IS NULL, version FROM sv_vectors WHERE id = 17;"
check_sql "deleted not found" "0" "$DB" \
  "SELECT count(*) FROM vector_search('sv_vectors', (SELECT vector FROM sv_vectors WHERE id = 18), 300) WHERE id = 17;"
check_sql "upsert new id" "1000|1000" "$DB" \
  "SELECT vector_upsert(1000, '$Q1', '{\"tag\":\"q1\"}'), (SELECT id FROM vector_search('sv_vectors', '$Q1', 1));"
check_sql "upsert replaces" $'1000\n1000|q2|1.000000' "$DB" \
  "SELECT vector_upsert(1000, '$Q2', '{\"tag\":\"q2\"}');
   SELECT id, json_extract(metadata, '$.tag'), printf('%.6f', score) FROM vector_search('sv_vectors', '$Q2', 1);"
check_sql "auto ids skip used" "1001" "$DB" "SELECT vector_insert('$Q1', NULL);"
check_sql "null metadata stored as {}" "{}" "$DB" "SELECT metadata FROM sv_vectors WHERE id = 1001;"
check_err "insert wrong dims" "vector_insert: .*(dim|dimension)" "$DB" "SELECT vector_insert('[1,2,3]', NULL);"
check_err "insert bad metadata" "vector_insert: .*(JSON|json|object)" "$DB" "SELECT vector_insert('$Q1', '[1,2]');"
check_err "insert metadata type" "argument 2 \\(metadata\\) must be JSON object text" "$DB" "SELECT vector_insert('$Q1', 5);"
check_err "insert bad vector" "vector_insert: argument 1 \\(vector\\): element 0 \\(1e999\\)" "$DB" "SELECT vector_insert('[1e999,0,0,0,0,0,0,0]', NULL);"
check_err "insert null vector" "vector_insert: argument 1 \\(vector\\): vector is NULL" "$DB" "SELECT vector_insert(NULL, NULL);"
check_err "insert no shard" "vector_insert: cannot open the shard" $MEM "SELECT vector_insert('[1]', NULL);"
check_err "upsert id type" "argument 1 \\(id\\) must be an integer" "$DB" "SELECT vector_upsert('7', '$Q1', NULL);"
check_err "delete id type" "argument 1 \\(id\\) must be an integer" "$DB" "SELECT vector_delete(1.5);"
check_err "schema type" "argument 3 \\(schema\\) must be the name of a database" "$DB" "SELECT vector_insert('$Q1', NULL, 3);"
check_sql "bad writes changed nothing" "302|304" "$DB" "SELECT count(*), max(version) FROM sv_vectors;"
check_sql "write functions are direct-only" "1" "$DB" \
  "CREATE VIEW bad_view AS SELECT vector_delete(1) AS x; SELECT 1;"
check_err "direct-only enforced" "unsafe use of vector_delete" "$DB" "SELECT * FROM bad_view;"
q "$DB" "DROP VIEW bad_view;" >/dev/null 2>&1

# transactions of the caller
check_sql "rollback undoes insert" $'1\n0\n302' "$DB" \
  "BEGIN; SELECT vector_insert('$Q1', '{\"tx\":1}') > 0; ROLLBACK;
   SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, '{\"tx\":1}');
   SELECT count(*) FROM sv_vectors;"
check_sql "rollback undoes insert (search)" $'1\n1\n0' "$DB" \
  "BEGIN; SELECT vector_insert('$Q1', '{\"tx\":1}') > 0;
   SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, '{\"tx\":1}'); ROLLBACK;
   SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, '{\"tx\":1}');"
check_sql "commit keeps insert" $'1\n1' "$DB" \
  "BEGIN; SELECT vector_insert('$Q1', '{\"tx\":2}') > 0; COMMIT;
   SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 1000, '{\"tx\":2}');"
check_sql "search sees own uncommitted write" $'1\n1' "$DB" \
  "BEGIN; SELECT vector_upsert(5000, '$Q2', '{\"tx\":3}') > 0;
   SELECT count(*) FROM vector_search('sv_vectors', '$Q2', 1000, '{\"tx\":3}'); ROLLBACK;"
check_sql "search after rollback" "0" "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q2', 1000, '{\"tx\":3}');"
check_sql "insert from a SELECT over a table" "3" "$DB" \
  "CREATE TEMP TABLE staging(v, m); INSERT INTO staging VALUES ('$Q1', '{\"s\":1}'), ('$Q2', '{\"s\":1}'), ('$Q1', '{\"s\":1}');
   SELECT count(vector_insert(v, m)) FROM staging;"
check_err "insert inside INSERT statement" "vector_insert: cannot write while an INSERT, UPDATE or DELETE" "$DB" \
  "CREATE TEMP TABLE ids(id); INSERT INTO ids SELECT vector_insert('$Q1', NULL);"

# ---- ATTACHed shards ------------------------------------------------------
AUX="$TMP/aux.db"
check_sql "attached init l2" "1" "$DB" "ATTACH '$AUX' AS aux; SELECT vector_shard_init(3, 'l2', 'aux');"
check_sql "attached insert" "1|2|3|4" "$DB" \
  "ATTACH '$AUX' AS aux;
   SELECT vector_insert('[0,0,0]', '{\"n\":\"origin\"}', 'aux'), vector_insert('[1,0,0]', '{\"n\":\"x\"}', 'aux'),
          vector_insert('[0,2,0]', '{\"n\":\"y\"}', 'aux'), vector_insert('[0,0,3]', '{\"n\":\"z\"}', 'aux');"
check_sql "attached search l2 ascending" "2:1.000000,1:1.414214,3:1.414214" "$DB" \
  "ATTACH '$AUX' AS aux;
   SELECT group_concat(id || ':' || printf('%.6f', score)) FROM vector_search('aux.sv_vectors', '[1,1,0]', 3);"
check_sql "attached l2 matches brute force" \
  "$(q "$DB" "ATTACH '$AUX' AS aux; SELECT group_concat(id) FROM (SELECT id FROM aux.sv_vectors WHERE deleted = 0 ORDER BY vector_l2(vector, '[0.2,0.9,1.4]'), id);")" \
  "$DB" "ATTACH '$AUX' AS aux; SELECT group_concat(id) FROM vector_search('aux.sv_vectors', '[0.2,0.9,1.4]', 10);"
check_sql "attached threshold l2 is max distance" "2,1,3" "$DB" \
  "ATTACH '$AUX' AS aux; SELECT group_concat(id) FROM vector_search('aux.sv_vectors', '[1,1,0]', 10, NULL, 1.5);"
check_sql "main untouched by aux" "8" "$DB" \
  "ATTACH '$AUX' AS aux; SELECT json_extract(vector_shard_info('main'), '$.dim');"
check_sql "attached delete" $'1\n3' "$DB" \
  "ATTACH '$AUX' AS aux; SELECT vector_delete(1, 'aux'); SELECT count(*) FROM vector_search('aux.sv_vectors', '[0,0,0]', 10);"
check_err "attached wrong dims" "vector_insert: .*(dim|dimension)" "$DB" "ATTACH '$AUX' AS aux; SELECT vector_insert('$Q1', NULL, 'aux');"
AUX2="$TMP/aux2.db"
q "$DB" "ATTACH '$AUX2' AS b; SELECT vector_shard_init(2, 'dot', 'b'); SELECT vector_insert('[1,1]', NULL, 'b');" >/dev/null 2>&1
check_sql "reattach another file under the same name" $'3\n2' "$DB" \
  "ATTACH '$AUX' AS aux; SELECT count(*) FROM vector_search('aux.sv_vectors', '[0,0,0]', 10);
   DETACH aux; ATTACH '$AUX2' AS aux; SELECT count(*) + 1 FROM vector_search('aux.sv_vectors', '[1,0]', 10);"
check_sql "dot metric" "1|5.000000" "$DB" \
  "ATTACH '$AUX2' AS b; SELECT id, printf('%.6f', score) FROM vector_search('b.sv_vectors', '[2,3]', 1);"
check_sql "temp schema shard" $'1\n1\n1' "$MEM" \
  "SELECT vector_shard_init(2, 'l2', 'temp'); SELECT vector_insert('[1,2]', NULL, 'temp');
   SELECT id FROM vector_search('temp.sv_vectors', '[1,2]', 1);"
check_sql "in-memory main shard" $'1\n1\n2\n2' "$MEM" \
  "SELECT vector_shard_init(2, 'cosine'); SELECT vector_insert('[1,0]', NULL); SELECT vector_insert('[0,1]', NULL);
   SELECT id FROM vector_search('sv_vectors', '[0.1,1]', 1);"

# ---- read-only, other connections, clean close -----------------------------
out=$("$SQLITE" -batch -bail -readonly -cmd ".load $EXT" "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 5);" 2>&1)
check "read-only search" "5" "$out"
out=$("$SQLITE" -batch -bail -readonly -cmd ".load $EXT" "$DB" "SELECT vector_insert('$Q1', NULL);" 2>&1)
if grep -Eqi "read-only|readonly" <<<"$out"; then pass; else fail "read-only insert: [$out]"; fi
out=$(q "$DB" "SELECT count(*) FROM vector_search('sv_vectors', '$Q1', 3); SELECT vector_insert('$Q1', NULL) > 0;" 2>&1)
check "connection closes cleanly" "3
1" "$out"
# A session that only writes: the cached handle's statements must not make
# sqlite3_close() fail ("unable to close due to unfinalized statements").
out=$(q "$DB" "SELECT vector_insert('$Q1', NULL) > 0;" 2>&1)
check "write-only session closes cleanly" "1" "$out"
out=$(q "$DB" "SELECT json_extract(vector_shard_info(), '$.dim');" 2>&1)
check "info-only session closes cleanly" "8" "$out"

# Search results feeding a write statement: the engine's read snapshot is a
# SAVEPOINT, which SQLite refuses while a write statement runs.
known_issue "INSERT ... SELECT FROM vector_search" "3" "$DB" \
  "CREATE TEMP TABLE hits(id, score);
   INSERT INTO hits SELECT id, score FROM vector_search('sv_vectors', '$Q1', 3);
   SELECT count(*) FROM hits;"
known_issue "CREATE TABLE AS SELECT FROM vector_search" "3" "$DB" \
  "CREATE TEMP TABLE hits AS SELECT id, score FROM vector_search('sv_vectors', '$Q1', 3);
   SELECT count(*) FROM hits;"

# ---- the pinned SQLite 3.52.0 as host ---------------------------------------
SQLITE_DIR="$HERE/../../build/deps/sqlite-3.52.0"
if [ -f "$SQLITE_DIR/libsqlite3.a" ] && command -v cc >/dev/null; then
  HOST="$TMP/mini_host"
  if cc -std=c11 -O1 -I"$SQLITE_DIR" -o "$HOST" "$HERE/mini_host.c" "$SQLITE_DIR/libsqlite3.a" \
    -lpthread -ldl -lm 2>"$TMP/cc.log"; then
    DB352="$TMP/host352.db"
    h() { "$HOST" "$DB352" "$EXT" "$@" 2>&1; }
    check "3.52 host version" "3.52.0|0.1.0" "$(h "SELECT sqlite_version(), vector_version();")"
    check "3.52 scalars" "[0.6,0.8]|5.0|1" \
      "$(h "SELECT vector_to_json(vector_normalize('[3,4]')), vector_l2('[0,0]','[3,4]'), vector_dims(x'00000000');")"
    check "3.52 strict JSON" "Error: vector_from_json: element 0 (1e999) is outside the float32 range (about +-3.4e38)" \
      "$(h "SELECT vector_from_json('[1e999]');")"
    check "3.52 build shard" "1|1|2|3" \
      "$(h "SELECT vector_shard_init(3, 'cosine'), vector_insert('[1,0,0]', '{\"t\":\"a\"}'),
                   vector_insert('[0,1,0]', '{\"t\":\"b\"}'), vector_insert('[1,1,0]', '{\"t\":\"a\"}');")"
    check "3.52 search" "3|1|a" \
      "$(h "SELECT id, round(score, 4) >= 0.9999, json_extract(metadata, '\$.t') FROM vector_search('sv_vectors', '[1,1,0]', 1);")"
    check "3.52 filter" "3,1" \
      "$(h "SELECT group_concat(id) FROM vector_search('sv_vectors', '[0.5,1,0]', 5, '{\"t\":\"a\"}');")"
    check "3.52 write-only close" "4" "$(h "SELECT vector_insert('[0,0,1]', NULL);")"
    check "3.52 error" "Error: vector_search: k = 0 is out of range; it must be from 1 to 1000000" \
      "$(h "SELECT * FROM vector_search('sv_vectors', '[1,1,0]', 0);")"
  else
    fail "could not compile tests/sql/mini_host.c: $(cat "$TMP/cc.log")"
  fi
else
  echo "note: build/deps/sqlite-3.52.0/libsqlite3.a not found; 3.52 host checks skipped" >&2
fi

# ---- Python ------------------------------------------------------------------
if [ -x "$PYTHON" ]; then
  out=$("$PYTHON" "$HERE/test_python.py" "$BUILD" "$TMP" 2>&1)
  echo "$out" | grep -v '^PY_RESULT' | sed 's/^/  py: /' >&2
  res=$(grep '^PY_RESULT' <<<"$out" | tail -n 1)
  if [ -n "$res" ]; then
    read -r _ p f <<<"$res"
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
  else
    fail "python suite did not finish: $out"
  fi
else
  fail "$PYTHON is missing"
fi

[ "$KNOWN" -gt 0 ] && echo "($KNOWN known engine limitations, see KNOWN ISSUE lines)" >&2
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
