/*
** tool_sync.c — vector_sync_shard: replicate a shard with a peer.
**
** The peer is either another shard of the same data directory
** ('peer_shard', a name checked like every shard name, synced in process
** with sv_sync_local through the same changeset and frame code as the
** network) or a remote sync server ('peer', "host:port", synced over QUIC
** with sv_sync_shard).  The remote peer's credentials — this server's
** identity directory and the fingerprints of the peers it may talk to —
** come from the server's command line (sv_mcp_options), never from the
** call: a tool argument naming a key file could point anywhere on the
** machine, and a model should not be able to widen whom the server trusts.
** Without them only local sync is offered, and a remote request says how
** to configure it.
**
** 'direction' is seen from 'shard': push sends its changes to the peer,
** pull takes the peer's, both does both (the default).  Rows converge by
** hybrid-logical-clock last-writer-wins, deletes travel as tombstones, and
** each applied batch is one transaction of the durable handle, so what the
** result reports as applied is on disk when the tool returns.
**
** Text shards (memory files) are refused: sync carries a shard's vectors
** and metadata, not the memory's item, text-index and statistics tables,
** so a synced memory would hold vectors with no items behind them.
*/
#include <string.h>

#include "mcp/mcp.h"
#include "sqlite_vector_sync.h"

#define MAX_HOST_PORT 300

static int direction(const cJSON *args, sv_sync_direction *out, const char **name,
                     mcp_result *res) {
  static const char *const NAMES[] = {"push", "pull", "both"};
  const cJSON *v = mcp_arg(args, "direction");
  *out = SV_SYNC_BOTH;
  *name = "both";
  if (!v) return SV_OK;
  for (int i = 0; i < 3 && cJSON_IsString(v); i++) {
    if (strcmp(v->valuestring, NAMES[i]) == 0) {
      *out = (sv_sync_direction)(i + 1);
      *name = NAMES[i];
      return SV_OK;
    }
  }
  return mcp_fail(res, "argument 'direction' must be \"push\", \"pull\" or \"both\"");
}

/* A shard that may be synced: it exists and is not a text shard. */
static int sync_shard(mcp_server *srv, const char *name, sv_shard **out, mcp_result *res) {
  mcp_open_shard *c;
  if (mcp_shard_entry(srv, name, &c, res) != SV_OK) return SV_EINVAL;
  if (c->emb_name[0])
    return mcp_fail(res,
                    "shard '%s' is a text shard (memory); sync carries vectors and metadata "
                    "only, not the memory's items and text index, so it is not synced",
                    name);
  *out = c->shard;
  return SV_OK;
}

static int sync_tool(mcp_server *srv, const cJSON *args, mcp_result *res) {
  int rc;
  const char *name, *dname;
  sv_sync_direction dir;
  sv_shard *s = NULL, *other = NULL;
  sv_sync_options so;
  sv_sync_result r;
  sv_stats st;
  cJSON *o = NULL;
  memset(&so, 0, sizeof so);
  memset(&r, 0, sizeof r);
  so.compress = -1;

  if ((rc = mcp_arg_string(args, "shard", &name, res)) != SV_OK) goto cleanup;
  if ((rc = direction(args, &dir, &dname, res)) != SV_OK) goto cleanup;
  const cJSON *peer = mcp_arg(args, "peer");
  const cJSON *peer_shard = mcp_arg(args, "peer_shard");
  if (!peer == !peer_shard) {
    rc = mcp_fail(res,
                  "pass either 'peer_shard' (another shard of the data directory) or 'peer' "
                  "(a remote \"host:port\"), not %s",
                  peer ? "both" : "neither");
    goto cleanup;
  }
  if (peer && (!cJSON_IsString(peer) || !peer->valuestring[0] ||
               strlen(peer->valuestring) > MAX_HOST_PORT || !strchr(peer->valuestring, ':') ||
               strpbrk(peer->valuestring, " \t\r\n/"))) {
    rc = mcp_fail(res, "argument 'peer' must be \"host:port\" (e.g. \"10.0.0.2:7443\")");
    goto cleanup;
  }
  if (peer && !srv->sync_identity) {
    rc = mcp_fail(res,
                  "remote sync is not configured on this server: start it with --sync-identity "
                  "DIR --sync-allow FP[,FP...] (credentials never come from tool arguments); "
                  "'peer_shard' syncs two shards of the data directory");
    goto cleanup;
  }
  if (peer_shard) {
    const char *pname = peer_shard->valuestring;
    if (!cJSON_IsString(peer_shard) || !pname[0]) {
      rc = mcp_fail(res, "argument 'peer_shard' must be a non-empty string");
      goto cleanup;
    }
    if (strcmp(pname, name) == 0) {
      rc = mcp_fail(res, "'peer_shard' must be another shard than 'shard'");
      goto cleanup;
    }
    if ((rc = sync_shard(srv, pname, &other, res)) != SV_OK) goto cleanup;
    /* Opening the peer may evict handles, so the shard is fetched last. */
    if ((rc = sync_shard(srv, name, &s, res)) != SV_OK) goto cleanup;
    rc = sv_sync_local(s, other, dir, &so, &r);
  } else {
    if ((rc = sync_shard(srv, name, &s, res)) != SV_OK) goto cleanup;
    so.identity_dir = srv->sync_identity;
    so.allow = srv->sync_allow;
    rc = sv_sync_shard(s, peer->valuestring, dir, &so, &r);
  }
  if (rc != SV_OK) {
    rc = mcp_fail_sv(res, s, rc, "sync failed (batches already applied stay)");
    goto cleanup;
  }
  if ((rc = sv_shard_stats(s, &st)) != SV_OK) {
    rc = mcp_fail_sv(res, s, rc, "sync done, but reading the count failed");
    goto cleanup;
  }
  o = cJSON_CreateObject();
  int failed =
      !o || !cJSON_AddStringToObject(o, "shard", name) ||
      !cJSON_AddStringToObject(o, "peer", peer ? peer->valuestring : peer_shard->valuestring) ||
      !cJSON_AddStringToObject(o, "transport", peer ? "quic" : "local") ||
      !cJSON_AddStringToObject(o, "direction", dname) ||
      !mcp_add_int(o, "rows_sent", (int64_t)r.rows_sent) ||
      !mcp_add_int(o, "rows_received", (int64_t)r.rows_received) ||
      !mcp_add_int(o, "rows_applied", (int64_t)r.rows_applied) ||
      !mcp_add_int(o, "bytes_sent", (int64_t)r.bytes_sent) ||
      !mcp_add_int(o, "bytes_received", (int64_t)r.bytes_received) ||
      !cJSON_AddNumberToObject(o, "compression_ratio", r.compression_ratio) ||
      !cJSON_AddBoolToObject(o, "compressed", r.compressed) ||
      !cJSON_AddNumberToObject(o, "ms", r.ms) || !mcp_add_int(o, "count", (int64_t)st.count) ||
      (r.peer_fingerprint[0] &&
       !cJSON_AddStringToObject(o, "peer_fingerprint", r.peer_fingerprint));
  rc = mcp_result_set(res, o, failed, "out of memory (the sync was done)");
cleanup:
  return rc;
}

const mcp_tool mcp_tool_sync = {
    "vector_sync_shard",
    "Sync a shard with a peer",
    "Replicate a shard with a peer of the same dimension and metric: another shard of the data "
    "directory ('peer_shard') or a remote sync server ('peer': \"host:port\", reached over QUIC "
    "with the credentials the server was started with: --sync-identity and --sync-allow). "
    "direction push|pull|both (default both) is seen from 'shard'. Rows converge by "
    "last-writer-wins; deletes travel too. Returns the rows sent, received and applied, bytes, "
    "compression ratio, time and the shard's count afterwards. Text shards are not synced.",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\",\"description\":\"Shard name\"},"
    "\"peer_shard\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\","
    "\"description\":\"Another shard of the data directory\"},"
    "\"peer\":{\"type\":\"string\",\"description\":\"Remote sync server host:port\"},"
    "\"direction\":{\"type\":\"string\",\"enum\":[\"push\",\"pull\",\"both\"],"
    "\"default\":\"both\",\"description\":\"push: send ours; pull: take theirs\"}},"
    "\"required\":[\"shard\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{"
    "\"shard\":{\"type\":\"string\"},\"peer\":{\"type\":\"string\"},"
    "\"transport\":{\"type\":\"string\",\"enum\":[\"local\",\"quic\"]},"
    "\"direction\":{\"type\":\"string\"},\"rows_sent\":{\"type\":\"integer\"},"
    "\"rows_received\":{\"type\":\"integer\"},\"rows_applied\":{\"type\":\"integer\"},"
    "\"bytes_sent\":{\"type\":\"integer\"},\"bytes_received\":{\"type\":\"integer\"},"
    "\"compression_ratio\":{\"type\":\"number\"},\"compressed\":{\"type\":\"boolean\"},"
    "\"ms\":{\"type\":\"number\"},\"count\":{\"type\":\"integer\"},"
    "\"peer_fingerprint\":{\"type\":\"string\"}},"
    "\"required\":[\"shard\",\"peer\",\"transport\",\"direction\",\"rows_sent\","
    "\"rows_received\",\"rows_applied\",\"count\"]}",
    /* A pull can apply the peer's deletes; syncing again moves nothing. */
    MCP_HINT_DESTRUCTIVE | MCP_HINT_IDEMPOTENT,
    sync_tool,
};
