/*
 * index.cjs — the WebAssembly build for Node (CommonJS).
 *
 * Loads sqlite_vector.wasm through the CommonJS glue on first use and
 * mounts the host file system (NODEFS) at /host, so file shards are real
 * files.  Emscripten's file locking is a no-op: one process per file (use
 * the native addon when several processes share a shard).
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');

function local(name, devDir) {
  const here = path.join(__dirname, name);
  return fs.existsSync(here) ? here : path.join(__dirname, devDir, name);
}

const { makeApi } = require(local('shard_api.js', '../js'));
const { makeBackend } = require('./backend.js');

async function loadBackend() {
  const dir = process.env.SQLITE_VECTOR_WASM_DIR;
  const factory = require(dir ? path.resolve(dir, 'sqlite_vector.cjs')
                              : local('sqlite_vector.cjs', '../../build/wasm'));
  const M = await factory();
  M.FS.mkdir('/host');
  M.FS.mount(M.FS.filesystems.NODEFS, { root: '/' }, '/host');
  return makeBackend(M);
}

const storage = {
  resolve: async (p) => ({ path: path.posix.join('/host', path.resolve(p)), persist: null }),
};

module.exports = makeApi(loadBackend, 'wasm', storage);
