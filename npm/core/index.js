/*
 * @sqlite-vector/core — the native addon when it loads, else WebAssembly.
 *
 * The addon is looked for where install.js put it (build/), then among the
 * prebuilt binaries shipped in the package (prebuilds/<platform>-<arch>/).
 * If none loads, or SQLITE_VECTOR_WASM=1, the same API comes from
 * @sqlite-vector/wasm; `backend` says which one is active and
 * `fallbackReason` why the addon was not used.
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { makeApi } = require('./shard_api.js');

function loadNative() {
  const tried = [
    path.join(__dirname, 'build', 'sqlite_vector.node'),
    path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, 'sqlite_vector.node'),
  ];
  const errors = [];
  for (const f of tried) {
    if (!fs.existsSync(f)) continue;
    try {
      return { addon: require(f), reason: null };
    } catch (e) {
      errors.push(`${f}: ${e.message}`);
    }
  }
  return { addon: null, reason: errors.join('; ') || `no addon for ${process.platform}-${process.arch}` };
}

let api = null;
let fallbackReason = 'SQLITE_VECTOR_WASM=1';
if (process.env.SQLITE_VECTOR_WASM !== '1') {
  const n = loadNative();
  fallbackReason = n.reason;
  if (n.addon) api = makeApi(n.addon, 'native');
}
if (api === null) api = require('@sqlite-vector/wasm');

module.exports = {
  VectorShard: api.VectorShard,
  backend: api.backend,
  ready: api.ready,
  fallbackReason: api.backend === 'native' ? null : fallbackReason,
};
