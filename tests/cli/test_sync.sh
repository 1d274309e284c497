#!/usr/bin/env bash
# test_sync.sh — `sqlite-vector sync` between two processes, and between two
# network namespaces.
#
# Usage: bash tests/cli/test_sync.sh BUILD_DIR   (ctest passes the build dir)
#
# Two shards with different rows are served and synced by separate
# processes over QUIC on 127.0.0.1: push, pull and both, each checked by
# the JSON the client prints and by comparing `stats --json` digests.  An
# unknown identity and a shape mismatch must be refused (exit 1, message on
# stderr, shards unchanged).  Then, when running as root with `ip netns`
# available, the same sync runs from one network namespace to another over
# a veth pair (a real interface); otherwise that part is skipped with a
# message.  Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib/harness.sh"
sv_cli_suite test_sync.sh sv-sync-test "$@"
NS1="svsync1_$$"
NS2="svsync2_$$"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  ip netns del "$NS1" 2>/dev/null
  ip netns del "$NS2" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT # replaces the harness's: the servers and namespaces go too
check() { if eval "$2"; then ok; else bad "$1"; fi; }
jget() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])" "$1" "$2"; }
digest() { "$SV" stats "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['digest'])"; }

# start_server NETNS_PREFIX SHARD LISTEN ALLOW: background server; sets PORT.
start_server() {
  local pre=$1 shard=$2 listen=$3 allow=$4
  rm -f "$T/srv.out"
  $pre "$SV" sync serve "$shard" --listen "$listen" --identity "$T/idb" --allow "$allow" \
    --json >"$T/srv.out" 2>"$T/srv.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    [ -s "$T/srv.out" ] && break
    sleep 0.05
  done
  PORT=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['address'].rsplit(':',1)[1])" "$T/srv.out" 2>/dev/null)
}
stop_server() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}

"$GEN" --n 600 --dim 48 --out "$T/d" --queries 1 --k 1 >/dev/null 2>&1
"$SV" create a.db --dim 48 >/dev/null && "$SV" create b.db --dim 48 >/dev/null
"$SV" create c.db --dim 32 >/dev/null
"$SV" import a.db "$T/d_base.fvecs" --id-offset 1 >/dev/null
"$SV" import b.db "$T/d_base.fvecs" --id-offset 100000 >/dev/null
"$SV" sync keygen ida >"$T/fpa" 2>"$T/err"
check "keygen a" '[ $? -eq 0 ] && [ $(wc -c <"$T/fpa") -eq 65 ]'
"$SV" sync keygen idb --json >"$T/fpb.json" 2>"$T/err"
check "keygen b --json" '[ $? -eq 0 ]'
"$SV" sync keygen idx >/dev/null 2>&1
FPA=$(cat "$T/fpa")
FPB=$(jget "$T/fpb.json" fingerprint)
"$SV" sync keygen ida >/dev/null 2>"$T/err"
check "keygen refuses to overwrite" '[ $? -eq 1 ] && grep -q "refusing" "$T/err"'
check "fingerprint matches keygen" '[ "$("$SV" sync fingerprint ida)" = "$FPA" ]'

start_server "" b.db 127.0.0.1:0 "$FPA"
check "server announced a port" '[ -n "$PORT" ]'
HP="127.0.0.1:$PORT"
"$SV" sync push a.db "$HP" --identity ida --allow "$FPB" --json >"$T/out" 2>"$T/err"
check "push exit 0" '[ $? -eq 0 ]'
check "push sent 600 rows" '[ "$(jget "$T/out" rows_sent)" = 600 ]'
"$SV" sync pull a.db "$HP" --identity ida --allow "$FPB" --json >"$T/out" 2>"$T/err"
check "pull received 600 rows" '[ "$(jget "$T/out" rows_received)" = 600 ]'
check "digests equal after push+pull" '[ "$(digest a.db)" = "$(digest b.db)" ]'
"$SV" delete a.db 5 >/dev/null
"$SV" sync both a.db "$HP" --identity ida --allow "$FPB" >"$T/out" 2>"$T/err"
check "both (text) prints rows and digest" 'grep -q "sent 1 rows" "$T/out" && grep -q "^digest " "$T/out"'
check "digests equal after delete" '[ "$(digest a.db)" = "$(digest b.db)" ]'
BEFORE=$(digest a.db)
"$SV" sync both a.db "$HP" --identity idx --allow "$FPB" >"$T/out" 2>"$T/err"
check "unknown identity refused" '[ $? -eq 1 ] && grep -q "refused" "$T/err"'
check "refused sync changed nothing" '[ "$(digest a.db)" = "$BEFORE" ]'
stop_server
check "server logged the refusal" 'grep -q "\"error\"" "$T/srv.out"'

start_server "" c.db 127.0.0.1:0 "$FPA"
"$SV" sync both a.db "127.0.0.1:$PORT" --identity ida --allow "$FPB" >"$T/out" 2>"$T/err"
check "dimension mismatch refused" '[ $? -eq 1 ] && grep -q "dim" "$T/err"'
stop_server

# Two network namespaces joined by a veth pair.
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS1" 2>/dev/null; then
  echo "SKIP: network-namespace sync (needs root and ip netns)"
else
  ip netns add "$NS2" &&
    ip link add "v1_$$" type veth peer name "v2_$$" &&
    ip link set "v1_$$" netns "$NS1" && ip link set "v2_$$" netns "$NS2" &&
    ip -n "$NS1" addr add 10.213.0.1/24 dev "v1_$$" && ip -n "$NS2" addr add 10.213.0.2/24 dev "v2_$$" &&
    ip -n "$NS1" link set "v1_$$" up && ip -n "$NS2" link set "v2_$$" up &&
    ip -n "$NS1" link set lo up && ip -n "$NS2" link set lo up
  check "netns setup" '[ $? -eq 0 ]'
  "$SV" create n1.db --dim 48 >/dev/null && "$SV" create n2.db --dim 48 >/dev/null
  "$SV" import n1.db "$T/d_base.fvecs" --id-offset 1 >/dev/null
  "$SV" import n2.db "$T/d_base.fvecs" --id-offset 50000 >/dev/null
  start_server "ip netns exec $NS1" n1.db 10.213.0.1:0 "$FPA"
  check "netns server port" '[ -n "$PORT" ]'
  ip netns exec "$NS2" "$SV" sync both n2.db "10.213.0.1:$PORT" --identity ida --allow "$FPB" \
    --json >"$T/out" 2>"$T/err"
  check "netns sync both ways" '[ $? -eq 0 ] && [ "$(jget "$T/out" rows_sent)" = 600 ] && [ "$(jget "$T/out" rows_received)" = 600 ]'
  stop_server
  check "netns digests equal" '[ "$(digest n1.db)" = "$(digest n2.db)" ]'
fi

echo "test_sync.sh: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
