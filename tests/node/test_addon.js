/* test_addon.js — the shared behavioural cases against the Node-API addon,
 * plus what only the addon has: async work off the event loop and GC. */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { runCases } = require('./cases.js');
const api = require('../../bindings/node/index.js');

runCases(api);

test('addon reports the native backend and a SIMD kernel', async () => {
  const r = await api.ready();
  assert.equal(api.backend, 'native');
  assert.equal(r.backend, 'native');
  assert.match(r.simd, /^(avx512|avx2|sse|neon|scalar)$/);
});

test('batch insert and search run off the event loop', async () => {
  const { VectorShard } = api;
  const s = await VectorShard.create_memory(64);
  const items = [];
  for (let i = 0; i < 5000; i++) items.push({ vector: new Float32Array(64).fill((i % 7) + 1) });
  /* A synchronous call would settle its promise in a microtask, before any
   * setImmediate; work on the thread pool settles in a later loop turn. */
  let turned = false;
  setImmediate(() => (turned = true));
  const ids = await s.insertBatch(items);
  assert.equal(ids.length, 5000);
  assert.ok(turned, 'the event loop turned while the batch ran');
  turned = false;
  setImmediate(() => (turned = true));
  const all = await Promise.all(items.slice(0, 20).map((it) => s.search(it.vector, 5)));
  assert.ok(turned, 'the event loop turned while the searches ran');
  assert.equal(all.length, 20);
  await s.close();
});

test('unclosed shards are released by the garbage collector', { skip: !global.gc }, async () => {
  for (let i = 0; i < 200; i++) {
    const s = await api.VectorShard.create_memory(8);
    await s.insert(new Float32Array(8).fill(1));
  }
  global.gc();
  await new Promise((r) => setTimeout(r, 10));
  global.gc();
});
