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

test('a file shard written by the WASM build opens in the native addon', async (t) => {
  let native;
  try {
    native = require('../../bindings/node/index.js');
  } catch {
    t.skip('native addon not built');
    return;
  }
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-wasm-native-'));
  try {
    const file = path.join(dir, 'x.shard');
    const w = await api.VectorShard.create(file, 4, { metric: 'l2' });
    await w.insertBatch([{ vector: new Float32Array([1, 0, 0, 0]), metadata: { from: 'wasm' } },
                         { vector: new Float32Array([0, 0, 0, 9]) }]);
    await w.close();
    const n = await native.VectorShard.open(file);
    assert.equal((await n.stats()).count, 2);
    const hits = await n.search(new Float32Array([1, 0, 0, 0]), 1);
    assert.deepEqual(hits[0].metadata, { from: 'wasm' });
    await n.insert(new Float32Array([2, 2, 2, 2]));
    await n.close();
    const again = await api.VectorShard.open(file);
    assert.equal((await again.stats()).count, 3);
    await again.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
