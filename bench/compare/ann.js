#!/usr/bin/env node
/*
 * ann.js — HNSW build time, memory and an ef sweep (recall@10 against
 * queries/s) for hnswlib-node 3.0.0 and usearch 2.26.2, on the .fvecs files
 * bench/gen_dataset wrote — the same files sqlite-vector's numbers come from
 * (bench/ann-bench.sh runs both in one go).
 *
 * Both libraries get the parameters we use: cosine metric, M links per node,
 * ef_construction candidates per insert, one thread for building and for
 * searching (hnswlib-node's addPoint is single-threaded; usearch is given
 * threads = 1 explicitly).  Vectors are handed over as they are in the file
 * (already unit length).  Labels are base indices, which is what the ground
 * truth holds.  Build time is reported as wall and as CPU time.  Latency is wall time of one searchKnn / search call per
 * query, after 10 warm-up queries; recall@10 = |returned ∩ truth| / 10.
 * hnswlib-node takes plain arrays, so each vector is converted first; the
 * conversion is inside the build timing (it is part of what a Node user
 * pays) but outside the query timing.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}
const DATA = arg('data');
const NAMES = (arg('datasets', '') || '').split(',').filter(Boolean);
const M = Number(arg('m', 16));
const EFC = Number(arg('efc', 200));
const EFS = arg('ef', '10,20,40,80,160,320').split(',').map(Number);
const K = 10;
const OUT = arg('out');
if (!DATA || NAMES.length === 0) {
  console.error('usage: node ann.js --data DIR --datasets A,B [--m M --efc E --ef LIST --out FILE]');
  process.exit(2);
}

function readVecs(file, Type) {
  const buf = fs.readFileSync(file);
  const dim = buf.readInt32LE(0);
  const rec = 4 + 4 * dim;
  const n = buf.length / rec;
  const out = new Type(n * dim);
  for (let i = 0; i < n; i++) {
    const row = new Type(buf.buffer.slice(buf.byteOffset + i * rec + 4, buf.byteOffset + (i + 1) * rec));
    out.set(row, i * dim);
  }
  return { n, dim, data: out };
}

function pct(sorted, p) {
  const r = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[r - 1];
}

/* CPU seconds (user + system) since c0: on a shared machine the wall time
 * of a single-threaded build also counts time spent waiting for a core. */
function cpuSeconds(c0) {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

function rssMB() {
  return process.memoryUsage().rss / 1048576;
}

function sweep(name, search, queries, gt, setEf) {
  const rows = [];
  for (const ef of EFS) {
    setEf(ef);
    for (let w = 0; w < 10; w++) search(w % queries.length);
    const lat = [];
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < queries.length; i++) {
      const s = process.hrtime.bigint();
      const ids = search(i);
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      const truth = new Set(Array.from(gt.data.subarray(i * gt.dim, i * gt.dim + K)));
      for (const id of ids) if (truth.has(Number(id))) hits++;
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((a, b) => a - b);
    const row = { system: name, ef, recall: hits / (K * queries.length), p50_ms: pct(lat, 50),
      p95_ms: pct(lat, 95), qps: queries.length / wall };
    console.error(`  ${name} ef ${ef}: recall ${row.recall.toFixed(4)} p50 ${row.p50_ms.toFixed(3)} ms ${row.qps.toFixed(0)} q/s`);
    rows.push(row);
  }
  return rows;
}

function runHnswlib(base, queries, gt) {
  const { HierarchicalNSW } = require('hnswlib-node');
  const rss0 = rssMB();
  const index = new HierarchicalNSW('cosine', base.dim);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  index.initIndex(base.n, M, EFC, 100);
  for (let i = 0; i < base.n; i++) index.addPoint(Array.from(base.data.subarray(i * base.dim, (i + 1) * base.dim)), i);
  const build = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(c0);
  const rss = rssMB() - rss0;
  const file = path.join(require('node:os').tmpdir(), `hnswlib_${process.pid}.bin`);
  index.writeIndexSync(file);
  const size = fs.statSync(file).size;
  const t1 = process.hrtime.bigint();
  const again = new HierarchicalNSW('cosine', base.dim);
  again.readIndexSync(file);
  const open = Number(process.hrtime.bigint() - t1) / 1e9;
  fs.unlinkSync(file);
  console.error(`  hnswlib-node build ${build.toFixed(2)} s, load ${open.toFixed(3)} s, file ${size} bytes`);
  const qs = [];
  for (let i = 0; i < queries.n; i++) qs.push(Array.from(queries.data.subarray(i * queries.dim, (i + 1) * queries.dim)));
  const rows = sweep('hnswlib-node', (i) => index.searchKnn(qs[i], K).neighbors, qs, gt, (ef) => index.setEf(ef));
  return { system: 'hnswlib-node', build_s: build, build_cpu_s: cpu, open_s: open, file_bytes: size, rss_delta_mb: rss, sweep: rows };
}

function runUsearch(base, queries, gt) {
  const usearch = require('usearch');
  const rss0 = rssMB();
  const make = (ef) => new usearch.Index({ metric: 'cos', connectivity: M, dimensions: base.dim,
    expansion_add: EFC, expansion_search: ef, quantization: 'f32', multi: false });
  const index = make(EFS[0]);
  const keys = new BigUint64Array(base.n);
  for (let i = 0; i < base.n; i++) keys[i] = BigInt(i);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  index.add(keys, base.data, 1);
  const build = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(c0);
  const rss = rssMB() - rss0;
  const file = path.join(require('node:os').tmpdir(), `usearch_${process.pid}.bin`);
  index.save(file);
  const size = fs.statSync(file).size;
  /* usearch fixes expansion_search at construction: for the sweep the saved
   * index is loaded into one Index per ef (load time measured once). */
  const byEf = new Map();
  let open = 0;
  const qv = [];
  for (let i = 0; i < queries.n; i++) qv.push(queries.data.subarray(i * queries.dim, (i + 1) * queries.dim));
  let cur = index;
  const rows = sweep('usearch', (i) => cur.search(qv[i], K, 1).keys, qv, gt, (ef) => {
    if (!byEf.has(ef)) {
      const t1 = process.hrtime.bigint();
      const ix = make(ef);
      ix.load(file);
      const s = Number(process.hrtime.bigint() - t1) / 1e9;
      if (!open) open = s;
      byEf.set(ef, ix);
    }
    cur = byEf.get(ef);
  });
  fs.unlinkSync(file);
  console.error(`  usearch build ${build.toFixed(2)} s, load ${open.toFixed(3)} s, file ${size} bytes`);
  return { system: 'usearch', build_s: build, build_cpu_s: cpu, open_s: open, file_bytes: size, rss_delta_mb: rss, sweep: rows };
}

const results = { m: M, efc: EFC, versions: {}, datasets: {} };
for (const p of ['hnswlib-node', 'usearch']) {
  try {
    /* read the file: usearch's "exports" map hides its package.json from require */
    const pj = path.join(__dirname, 'node_modules', p, 'package.json');
    results.versions[p] = JSON.parse(fs.readFileSync(pj, 'utf8')).version;
  } catch (e) {
    results.versions[p] = null;
  }
}
for (const name of NAMES) {
  const base = readVecs(path.join(DATA, `${name}_base.fvecs`), Float32Array);
  const queries = readVecs(path.join(DATA, `${name}_query.fvecs`), Float32Array);
  const gt = readVecs(path.join(DATA, `${name}_gt.ivecs`), Int32Array);
  console.error(`${name}: ${base.n} x ${base.dim}, ${queries.n} queries`);
  results.datasets[name] = { n: base.n, dim: base.dim, systems: [] };
  for (const run of [runHnswlib, runUsearch]) {
    try {
      if (global.gc) global.gc();
      results.datasets[name].systems.push(run(base, queries, gt));
    } catch (e) {
      console.error(`  ${run.name} failed: ${e.message}`);
    }
  }
}
const text = JSON.stringify(results, null, 1);
if (OUT) fs.writeFileSync(OUT, text + '\n');
else console.log(text);
