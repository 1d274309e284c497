/* test_wasm_node.js — the shared behavioural cases against the WebAssembly
 * build in Node (CommonJS glue, SIMD128 kernels, NODEFS file shards). */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { runCases } = require('../node/cases.js');
const api = require(process.env.SQLITE_VECTOR_WASM_ENTRY || '../../bindings/wasm/index.cjs');

runCases(api);

test('wasm backend reports SIMD128 kernels', async () => {
  const r = await api.ready();
  assert.equal(r.backend, 'wasm');
  assert.equal(r.simd, 'wasm128');
});
