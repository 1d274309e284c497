/*
 * cases.js — the behavioural cases every JS backend must pass.
 *
 * runCases(api, opts) registers node:test tests against a module exposing
 * {VectorShard, backend}.  The addon suite and the WebAssembly suite call
 * it with their own module, so both backends are held to the same checks:
 * creation, inserts, search results equal to a JS brute force, filters,
 * threshold, errors with codes for bad input (and nothing changed), file
 * shards surviving a reopen, and close.
 */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/* Deterministic pseudo-random vectors (xorshift32), so failures reproduce. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296 - 0.5;
  };
}

function randVec(r, dim) {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = r();
  return v;
}

function score(metric, a, b) {
  let dot = 0, na = 0, nb = 0, l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
    l2 += (a[i] - b[i]) ** 2;
  }
  if (metric === 'l2') return Math.sqrt(l2);
  if (metric === 'dot') return dot;
  return dot / Math.sqrt(na * nb);
}

function bruteForce(metric, rows, q, k, keep = () => true) {
  const s = rows.filter(keep).map((r) => ({ id: r.id, score: score(metric, r.vec, q) }));
  s.sort((x, y) => (metric === 'l2' ? x.score - y.score : y.score - x.score) || x.id - y.id);
  return s.slice(0, k);
}

async function expectCode(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.equal(e.code, code, `code ${e.code}: ${e.message}`);
    return true;
  });
}

function runCases(api, opts = {}) {
  const { VectorShard } = api;
  const tmp = fs.mkdtempSync(path.join(opts.tmpdir || os.tmpdir(), 'sv-js-'));
  test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('create_memory, insert, get, stats', async () => {
    const s = await VectorShard.create_memory(8);
    const v = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const id = await s.insert(v, { lang: 'en', n: 1 });
    assert.equal(id, 1);
    const id2 = await s.insert(v, null, { id: 42 });
    assert.equal(id2, 42);
    const g = await s.get(1);
    assert.deepEqual(Array.from(g.vector), Array.from(v));
    assert.deepEqual(g.metadata, { lang: 'en', n: 1 });
    assert.equal(typeof g.hlc, 'bigint');
    assert.equal(await s.get(7), null);
    const st = await s.stats();
    assert.equal(st.count, 2);
    assert.equal(st.dim, 8);
    assert.equal(st.metric, 'cosine');
    assert.equal(s.backend, api.backend);
    await s.close();
  });

  for (const metric of ['cosine', 'l2', 'dot']) {
    test(`search matches a JS brute force (${metric})`, async () => {
      const dim = 24, n = 300, r = rng(7 + metric.length);
      const s = await VectorShard.create_memory(dim, { metric });
      const rows = [];
      const items = [];
      for (let i = 0; i < n; i++) {
        const vec = randVec(r, dim);
        items.push({ vector: vec, metadata: { i, even: i % 2 === 0 } });
      }
      const ids = await s.insertBatch(items);
      assert.equal(ids.length, n);
      ids.forEach((id, i) => rows.push({ id, vec: items[i].vector, i }));
      for (let t = 0; t < 5; t++) {
        const q = randVec(r, dim);
        const got = await s.search(q, 10);
        const want = bruteForce(metric, rows, q, 10);
        assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id));
        got.forEach((h, j) => assert.ok(Math.abs(h.score - want[j].score) < 1e-4));
        assert.equal(got[0].metadata.i, rows[got[0].id - 1].i);
      }
      await s.close();
    });
  }

  test('filters, threshold and withMetadata', async () => {
    const dim = 16, r = rng(99);
    const s = await VectorShard.create_memory(dim);
    const rows = [];
    for (let i = 0; i < 100; i++) {
      const vec = randVec(r, dim);
      const id = await s.insert(vec, { year: 2000 + (i % 30), tag: i % 3 === 0 ? 'a' : 'b' });
      rows.push({ id, vec, year: 2000 + (i % 30), tag: i % 3 === 0 ? 'a' : 'b' });
    }
    const q = randVec(r, dim);
    const filter = { year: { $gte: 2010, $lt: 2020 }, tag: 'a' };
    const got = await s.search(q, 5, undefined, { filter });
    const want = bruteForce('cosine', rows, q, 5, (x) => x.year >= 2010 && x.year < 2020 && x.tag === 'a');
    assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id));
    for (const h of got) assert.equal(h.metadata.tag, 'a');
    const thr = await s.search(q, 100, 0.3);
    assert.ok(thr.every((h) => h.score >= 0.3));
    assert.equal(thr.length, bruteForce('cosine', rows, q, 100).filter((h) => h.score >= 0.3).length);
    const bare = await s.search(q, 3, null, { withMetadata: false });
    assert.equal(bare[0].metadata, undefined);
    await s.close();
  });

  test('upsert, delete, insertBatch with ids and upsert', async () => {
    const s = await VectorShard.create_memory(4, { metric: 'l2' });
    const a = new Float32Array([1, 0, 0, 0]);
    const b = new Float32Array([0, 1, 0, 0]);
    await s.insert(a, { v: 1 }, { id: 5 });
    await s.upsert(5, b, { v: 2 });
    assert.deepEqual((await s.get(5)).metadata, { v: 2 });
    assert.equal(await s.delete(5), true);
    assert.equal(await s.delete(5), false);
    assert.equal(await s.get(5), null);
    const ids = await s.insertBatch([{ vector: a, id: 10 }, { vector: b }]);
    assert.deepEqual(ids, [10, 11]);
    await expectCode(s.insertBatch([{ vector: a, id: 10 }]), 'SV_EEXIST');
    await s.insertBatch([{ vector: b, id: 10, metadata: { u: 1 } }], { upsert: true });
    const big = 2n ** 60n + 3n;
    assert.equal(await s.insert(a, null, { id: big }), big);
    assert.equal((await s.get(big)).id, big);
    assert.equal((await s.search(a, 1))[0].id, big);
    assert.deepEqual((await s.get(10)).metadata, { u: 1 });
    await s.close();
  });

  test('bad input is an Error with a code and changes nothing', async () => {
    const s = await VectorShard.create_memory(4);
    const ok = new Float32Array([1, 2, 3, 4]);
    await s.insert(ok);
    await expectCode(s.insert(new Float32Array([1, 2, 3])), 'SV_EDIM');
    await expectCode(s.insert(new Float32Array([1, NaN, 3, 4])), 'SV_EINVAL');
    await expectCode(s.insert(new Float32Array([1, Infinity, 3, 4])), 'SV_EINVAL');
    await expectCode(s.insert([1, 2, 3, 4]), 'SV_EINVAL');
    await expectCode(s.insert(new Float64Array(4)), 'SV_EINVAL');
    await expectCode(s.insert(ok, '{not json'), 'SV_EJSON');
    await expectCode(s.insert(ok, 42), 'SV_EJSON');
    await expectCode(s.insert(ok, null, { id: 1.5 }), 'SV_EINVAL');
    await expectCode(s.insert(ok, null, { id: 1 }), 'SV_EEXIST');
    await expectCode(s.search(new Float32Array(5), 3), 'SV_EDIM');
    await expectCode(s.search(new Float32Array([NaN, 0, 0, 0]), 3), 'SV_EINVAL');
    await expectCode(s.search(ok, 0), 'SV_EINVAL');
    await expectCode(s.search(ok, -1), 'SV_EINVAL');
    await expectCode(s.search(ok, 'x'), 'SV_EINVAL');
    await expectCode(s.search(ok, 3, 'high'), 'SV_EINVAL');
    await expectCode(s.search(ok, 3, null, { filter: { a: { $regex: 'x' } } }), 'SV_EJSON');
    await expectCode(s.insertBatch([{ vector: ok }, { vector: new Float32Array(3) }]), 'SV_EDIM');
    await expectCode(s.insertBatch([{ vector: ok }, { vector: new Float32Array([0, NaN, 0, 0]) }]),
                     'SV_EINVAL');
    await expectCode(s.insertBatch('nope'), 'SV_EINVAL');
    await expectCode(s.get('x'), 'SV_EINVAL');
    await expectCode(VectorShard.create_memory(0), 'SV_EINVAL');
    await expectCode(VectorShard.create_memory(4, { metric: 'manhattan' }), 'SV_EINVAL');
    assert.equal((await s.stats()).count, 1);
    await s.close();
  });

  test('close: idempotent, later calls fail with SV_ECLOSED, pending work finishes', async () => {
    const s = await VectorShard.create_memory(4);
    const v = new Float32Array([1, 2, 3, 4]);
    await s.insert(v);
    const pending = s.search(v, 1);
    await s.close();
    await s.close();
    assert.equal((await pending).length, 1);
    await expectCode(s.insert(v), 'SV_ECLOSED');
    await expectCode(s.search(v, 1), 'SV_ECLOSED');
    await expectCode(s.stats(), 'SV_ECLOSED');
  });

  if (opts.files !== false) {
    test('file shard survives close and reopen; readonly refuses writes', async () => {
      const file = path.join(tmp, 'a.shard');
      const s = await VectorShard.create(file, 3, { metric: 'dot' });
      const ids = await s.insertBatch([
        { vector: new Float32Array([1, 0, 0]), metadata: { n: 'x' } },
        { vector: new Float32Array([0, 1, 0]), metadata: { n: 'y' } },
      ]);
      await s.close();
      const r = await VectorShard.open(file);
      const st = await r.stats();
      assert.equal(st.count, 2);
      assert.equal(st.metric, 'dot');
      const hits = await r.search(new Float32Array([0, 2, 0]), 1);
      assert.equal(hits[0].id, ids[1]);
      assert.deepEqual(hits[0].metadata, { n: 'y' });
      await r.close();
      const ro = await VectorShard.open(file, { readonly: true });
      await expectCode(ro.insert(new Float32Array([1, 1, 1])), 'SV_EREADONLY');
      await ro.close();
      await expectCode(VectorShard.open(path.join(tmp, 'missing.shard')), 'SV_ENOTFOUND');
    });
  }
}

module.exports = { runCases, rng, randVec, bruteForce, score };
