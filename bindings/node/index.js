/*
 * index.js — the Node-API addon behind the shared VectorShard class.
 *
 * Looks for the compiled sqlite_vector.node next to this file (packaged
 * layout), then in the CMake build tree (development layout), or where
 * SQLITE_VECTOR_ADDON points.
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const local = path.join(__dirname, 'shard_api.js');
const { makeApi } = require(fs.existsSync(local) ? local : '../js/shard_api.js');

function findAddon() {
  const candidates = [
    process.env.SQLITE_VECTOR_ADDON,
    path.join(__dirname, 'sqlite_vector.node'),
    path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, 'sqlite_vector.node'),
    path.join(__dirname, '..', '..', 'build', 'release', 'node', 'sqlite_vector.node'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  const e = new Error('sqlite_vector.node not found (build it with `make node`)');
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

module.exports = makeApi(require(findAddon()), 'native');
