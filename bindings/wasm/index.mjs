/*
 * index.mjs — the WebAssembly build for browsers and workers (ES module).
 *
 * Same VectorShard API as the Node packages.  The module is fetched and
 * compiled on the first VectorShard call (or ready()); in-memory shards
 * work everywhere, and a shard created or opened by name is kept in OPFS
 * (see opfs.mjs): call flush() to store it, close() stores it too.
 */
import factory from './sqlite_vector.mjs';
import { makeApi } from './shard_api.mjs';
import { makeBackend } from './backend.mjs';
import { opfsStorage } from './opfs.mjs';

let mod = null;

async function load() {
  mod = await factory();
  return makeBackend(mod);
}

const api = makeApi(load, 'wasm', opfsStorage(() => mod));
export const VectorShard = api.VectorShard;
export const backend = api.backend;
export const ready = api.ready;
export default api;
