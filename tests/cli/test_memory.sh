#!/usr/bin/env bash
# test_memory.sh — end-to-end tests of `sqlite-vector memory`.
#
# Usage: bash tests/cli/test_memory.sh BUILD_DIR   (ctest passes the build dir)
#
# Runs the subcommands as a user would on a real memory file and judges
# exit codes (0 ok, 1 failure, 2 bad command line), JSON output (parsed by
# Python's json module) and that failed commands change nothing (item
# counts before and after).  The evaluator runs on a small hand-made
# collection whose right answers are obvious; the command embedder is a
# shell one-liner, with misbehaving variants (wrong dimension, timeout,
# failure) that must fail cleanly.  Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib/harness.sh"
sv_cli_suite test_memory.sh sv-mem-test "$@"
# pycheck DESC EXPR: J = the JSON object printed on stdout.
pycheck() {
  local desc=$1 expr=$2
  if python3 - "$T/out" "$expr" 2>"$T/pyerr" <<'EOF2'; then ok; else bad "$desc"; sed 's/^/    py: /' "$T/pyerr" | tail -3; fi
import json, sys
J = json.loads(open(sys.argv[1]).read())
assert eval(sys.argv[2]), sys.argv[2]
EOF2
}
count() { # count FILE [embedder opts]: number of items (via search of everything is not possible; use get ids)
  local f=$1 n=0 id
  shift
  for id in $(seq 1 40); do "$SV" memory get "$f" "$id" "$@" >/dev/null 2>&1 && n=$((n + 1)); done
  echo "$n"
}

M=mem.db
# ---- store / get / search / patterns / outcome ----
expect 0 "$SV" memory store $M --task "deploy the web app" --outcome success \
  --title "Run migrations first" --content "Apply database migrations before switching traffic." \
  --domain ops --tags '["deploy","db"]' --duration-ms 20000 --tokens 1000 --iterations 1 --json
pycheck "store json" 'J["items"][0]["action"] == "stored" and J["items"][0]["id"] == 1 and abs(J["quality"] - (0.6 + 0.2*(2/3) + 0.09 + 0.08)) < 1e-3'
expect 0 "$SV" memory store $M --task "deploy the web app" --outcome failure --json \
  --items '[{"title":"Do not skip health checks","description":"A deploy without health checks went down.","content":"Wait for the health endpoint before routing traffic.","tags":["deploy"]},{"title":"Roll back fast","content":"Keep the previous release ready to roll back within a minute."}]'
pycheck "store items" '[i["action"] for i in J["items"]] == ["stored","stored"] and abs(J["quality"] - 0.3) < 1e-9'
expect 0 "$SV" memory store $M --task "deploy the web app" --outcome failure --json \
  --title "Slow deploy" --content "It took an hour." --duration-ms 600000 --tokens 90000 --iterations 30
pycheck "low quality skipped" 'J["items"][0]["action"] == "skipped" and J["items"][0]["id"] is None'
expect 0 "$SV" memory store $M --task "deploy the web app" --outcome success --json \
  --title "Run migrations first" --content "Apply database migrations before switching traffic."
pycheck "duplicate merged" 'J["items"][0]["action"] == "merged" and J["items"][0]["id"] == 1'
expect 0 "$SV" memory get $M 1 --json
pycheck "get" 'J["title"] == "Run migrations first" and J["tags"] == ["deploy","db"] and J["evidence"] == 2 and J["outcome"] == "success"'
expect 0 "$SV" memory search $M "database migrations" --json
pycheck "search hybrid" 'J["hits"][0]["id"] == 1 and J["hits"][0]["item"]["domain"] == "ops"'
for mode in vector bm25; do
  expect 0 "$SV" memory search $M "roll back the release" --mode $mode --k 1 --json
  pycheck "search $mode" 'len(J["hits"]) == 1 and J["hits"][0]["id"] == 3'
done
expect 0 "$SV" memory search $M "health" --filter '{"outcome":"success"}' --mode bm25 --json
pycheck "filter" 'J["hits"] == []'
expect 0 "$SV" memory patterns $M "deploy the web app again" --k 3 --json
pycheck "patterns" 'len(J["patterns"]) == 3 and all(0 < p["recency"] <= 1 for p in J["patterns"])'
expect 0 "$SV" memory outcome $M 2 failure --json
pycheck "outcome" 'J["uses"] == 1 and J["successes"] == 0 and abs(J["reliability"] - 1/3) < 1e-3'
expect 0 "$SV" memory outcome $M 3 success
expect 1 "$SV" memory outcome $M 99 success
grep -q "no memory item with id 99" err && ok || bad "unknown id message"
expect 0 "$SV" memory consolidate $M --json
pycheck "consolidate" 'J["examined"] == 3 and J["merged"] == 0 and J["pruned"] == 0'
# ---- context over two files ----
expect 0 "$SV" memory store other.db --task "deploy the web app" --outcome success \
  --title "Use blue-green deploys" --content "Deploy to an idle copy, test it, then switch the router."
expect 0 "$SV" memory context "how should I deploy the web app" $M other.db --budget 2000 --json
pycheck "context" 'J["text"].startswith("Relevant memories") and len(J["sources"]) >= 2 and {s["shard"] for s in J["sources"]} == {"mem.db","other.db"} and len(J["text"].encode()) <= 2000'
expect 0 "$SV" memory context "how should I deploy the web app" $M other.db --budget 150 --json
pycheck "context budget" 'len(J["text"].encode()) <= 150'
expect 1 "$SV" memory context "deploy" $M missing.db
grep -q "missing.db" err && ok || bad "context names the missing file"
# ---- embedder records ----
expect 1 "$SV" memory search $M "deploy" --dim 512
grep -q "embedder" err && ok || bad "dimension mismatch names the embedder"
expect 1 "$SV" memory search $M "deploy" --embed-cmd "cat" --embed-dim 1024
grep -q "cmd:cmd" err && ok || bad "embedder mismatch message"
# Without embedder options, an existing file's hash-v1 record (any dimension) is used.
expect 0 "$SV" memory add d512.db --text "a note about gardening tools" --dim 512
expect 0 "$SV" memory search d512.db "gardening" --json
pycheck "recorded hash-v1 dimension used" '[h["id"] for h in J["hits"]] == [1]'
expect 1 "$SV" memory search d512.db "gardening" --dim 1024
# ---- bad input: exit codes, nothing changed ----
before=$(count $M)
expect 2 "$SV" memory store $M --task t --outcome maybe --title a --content b
expect 2 "$SV" memory store $M --task t --outcome success --title a
expect 2 "$SV" memory store $M --task t --outcome success --items '[{"title":1}]'
expect 2 "$SV" memory store $M --task t --outcome success --items '{}'
expect 2 "$SV" memory store $M --task t --outcome success --items '[{"title":"a"' 
expect 1 "$SV" memory store $M --task t --outcome success --title a --content b --tags '"x"'
expect 1 "$SV" memory store $M --task "$(printf 'bad \377 text')" --outcome success --title a --content b
grep -q "UTF-8" err && ok || bad "utf-8 message"
expect 1 "$SV" memory store $M --task "the" --outcome success --title "of" --content "and"
grep -q "no indexable words" err && ok || bad "stopword message"
expect 2 "$SV" memory search $M "x" --mode fuzzy
expect 2 "$SV" memory search $M "x" --k 0
expect 2 "$SV" memory patterns $M "x" --k abc
expect 2 "$SV" memory nosuch
expect 1 "$SV" memory search missing.db "x"
after=$(count $M)
[ "$before" = "$after" ] && ok || bad "bad input changed the item count ($before -> $after)"
# ---- add + help ----
expect 0 "$SV" memory add $M --text "a plain note about kubernetes pods" --metadata '{"src":"notes"}' --json
pycheck "add" 'J["id"] == 4'
expect 0 "$SV" memory search $M "kubernetes" --filter '{"src":"notes"}' --json
pycheck "add searchable" '[h["id"] for h in J["hits"]] == [4]'
for s in store search patterns outcome consolidate context add get eval; do
  expect 0 "$SV" memory $s --help
done
expect 0 "$SV" memory --help

# ---- command embedder ----
# Vector = [length, count of 'a', count of 'e', 1]: deterministic and crude.
EMB='awk '"'"'{printf "[%d,%d,%d,1]\n", length($0), gsub(/a/,"a"), gsub(/e/,"e")}'"'"
expect 0 "$SV" memory add c.db --text "apple banana" --embed-cmd "$EMB" --embed-dim 4 --embed-name awk4 --json
expect 0 "$SV" memory search c.db "banana" --mode vector --embed-cmd "$EMB" --embed-dim 4 --embed-name awk4 --json
pycheck "cmd embedder search" '[h["id"] for h in J["hits"]] == [1]'
expect 1 "$SV" memory add c.db --text "x" --embed-cmd 'echo "[1,2,3]"' --embed-dim 4 --embed-name awk4
grep -q "values, expected 4" err && ok || bad "wrong dimension message"
expect 1 "$SV" memory add c.db --text "x" --embed-cmd 'sleep 5' --embed-dim 4 --embed-name awk4 --embed-timeout-ms 300
grep -q "timed out" err && ok || bad "timeout message"
expect 1 "$SV" memory add c.db --text "x" --embed-cmd 'exit 3' --embed-dim 4 --embed-name awk4
grep -q "exit status 3" err && ok || bad "exit status message"
expect 1 "$SV" memory add c.db --text "x" --embed-cmd 'echo "[1,2,NaN,4]"' --embed-dim 4 --embed-name awk4
expect 1 "$SV" memory add c.db --text "x" --embed-cmd 'printf "[1,2,3,4]\n[1,2,3,4]\n"' --embed-dim 4 --embed-name awk4
grep -q "more than 1 vectors" err && ok || bad "count message"
expect 2 "$SV" memory add c.db --text "x" --embed-cmd 'cat' --embed-name awk4
expect 1 "$SV" memory search c.db "banana"
grep -q "written with embedder cmd:awk4 (4-d); pass the same" err && ok || bad "recorded embedder named"
run "$SV" memory get c.db 2 --embed-cmd "$EMB" --embed-dim 4 --embed-name awk4
[ "$rc" -eq 1 ] && ok || bad "failed embedder calls wrote nothing"

# ---- HTTP embedder options (the service itself is tested in test_embed_http) ----
expect 1 "$SV" memory add h.db --text "x" --embed-http ollama --embed-url http://127.0.0.1:1 \
  --embed-model m --embed-dim 8 --embed-timeout-ms 300 --embed-retries 0
grep -q "ollama:m failed" err && ok || bad "http failure message"
expect 2 "$SV" memory add h.db --text "x" --embed-http gemini --embed-url http://x --embed-model m --embed-dim 8
expect 2 "$SV" memory add h.db --text "x" --embed-http openai --embed-model m --embed-dim 8
expect 2 "$SV" memory add h.db --text "x" --embed-url http://x

# ---- eval on a tiny collection ----
cat >docs.jsonl <<'EOD'
{"id":"d1","text":"wing lift in a propeller slipstream"}
{"id":"d2","text":"heat conduction in a composite slab"}
{"id":"d3","text":"boundary layer transition on a flat plate"}
{"id":4,"text":"supersonic flow around a cone"}
{"id":"d5","text":"the of and"}
EOD
cat >queries.jsonl <<'EOQ'
{"id":"q1","text":"heat transfer through slabs"}
{"id":"q2","text":"flow around cones at supersonic speed"}
{"id":"q3","text":"nothing relevant here"}
EOQ
printf 'q1 0 d2 1\r\nq2 0 4  2\nq2 0 d1 0\nq9 0 d1 1\n' >qrels.txt
expect 0 "$SV" memory eval --docs docs.jsonl --queries queries.jsonl --qrels qrels.txt --k 10 --json
pycheck "eval" 'set(J) >= {"hash","bm25","hybrid"} and all(J[m]["ndcg"] == 1.0 and J[m]["recall"] == 1.0 for m in ("hash","bm25","hybrid")) and J["queries"] == 2 and J["docs_skipped"] == 1'
expect 0 "$SV" memory eval --docs docs.jsonl --queries queries.jsonl --qrels qrels.txt
grep -q "nDCG" out && ok || bad "eval table"
echo '{"id":"d1"}' >bad.jsonl
expect 1 "$SV" memory eval --docs bad.jsonl --queries queries.jsonl --qrels qrels.txt
grep -q "bad.jsonl:1" err && ok || bad "eval names the bad line"
expect 2 "$SV" memory eval --docs docs.jsonl --queries queries.jsonl
printf 'q1 0 d2\n' >badq.txt
expect 1 "$SV" memory eval --docs docs.jsonl --queries queries.jsonl --qrels badq.txt

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
