/* test_packages.js — the shared behavioural cases against an installed
 * package (SV_ENTRY: a module name or path resolved from the current
 * directory), checking which backend it reports (SV_EXPECT_BACKEND) and,
 * for a fallback, that it says why (SV_EXPECT_REASON). */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createRequire } = require('node:module');
const path = require('node:path');
const { runCases } = require('../node/cases.js');

const req = createRequire(path.join(process.cwd(), 'index.js'));
const entry = process.env.SV_ENTRY;
const api = req(entry);

runCases(api);

test(`${entry} reports backend ${process.env.SV_EXPECT_BACKEND}`, async () => {
  const r = await api.ready();
  assert.equal(api.backend, process.env.SV_EXPECT_BACKEND);
  assert.equal(r.backend, process.env.SV_EXPECT_BACKEND);
  const s = await api.VectorShard.create_memory(3);
  assert.equal(s.backend, process.env.SV_EXPECT_BACKEND);
  await s.close();
  if (process.env.SV_EXPECT_REASON) assert.match(api.fallbackReason, new RegExp(process.env.SV_EXPECT_REASON));
});

test(`${entry} loads as an ES module too`, async () => {
  const m = await import(req.resolve(entry).replace(/\.c?js$/, (x) => (x === '.cjs' ? '.node.mjs' : '.mjs')));
  assert.equal(m.backend, api.backend);
  const s = await m.VectorShard.create_memory(2);
  assert.equal((await s.insertBatch([{ vector: new Float32Array([1, 2]) }])).length, 1);
  await s.close();
});
