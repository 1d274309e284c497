// mcp_latency.mjs — tool-call latency of sqlite-vector-mcp through the official MCP SDK client.
//
//   node bench/mcp_latency.mjs [--server build/release/sqlite-vector-mcp] [--n 100000]
//        [--dim 384] [--queries 500] [--inserts 500] [--batch 1000] [--k 10] [--json]
//
// Starts the server over stdio with a scratch data directory, creates a shard, loads --n
// random unit vectors with vector_insert batches of --batch (reporting rows/s), then times,
// one call at a time as an agent makes them, --queries vector_search calls (k nearest, random
// unit queries, metadata returned) and --inserts single vector_insert calls (each fsynced
// before it returns).  Times are wall-clock round trips seen by the client: JSON encoding,
// the pipe, the server's parse, the engine call, the reply and the SDK's schema validation.
// Percentiles use the nearest-rank method.  Needs `npm ci` in tests/mcp (make test does it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SDK = path.join(ROOT, 'tests', 'mcp', 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'client');
const { Client } = await import(pathToFileURL(path.join(SDK, 'index.js')).href);
const { StdioClientTransport } = await import(pathToFileURL(path.join(SDK, 'stdio.js')).href);

function options() {
  const o = { server: path.join(ROOT, 'build', 'release', 'sqlite-vector-mcp'), n: 100000, dim: 384,
    queries: 500, inserts: 500, batch: 1000, k: 10, json: false };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const key = a[i].replace(/^--/, '');
    if (key === 'json') o.json = true;
    else if (key in o && i + 1 < a.length) o[key] = key === 'server' ? a[++i] : Number(a[++i]);
    else throw new Error(`unknown option ${a[i]}`);
  }
  return o;
}

// Deterministic Gaussian-ish unit vectors (sum of uniforms), so runs are comparable.
let seed = 12345;
function rnd() {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
function unitVector(dim) {
  const v = new Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = rnd() + rnd() + rnd() - 1.5;
    n += v[i] * v[i];
  }
  n = Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[i] = Math.round((v[i] / n) * 1e7) / 1e7;
  return v;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(times) {
  const s = [...times].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50_ms: +pct(s, 50).toFixed(3), p99_ms: +pct(s, 99).toFixed(3), mean_ms: +mean.toFixed(3), max_ms: +s[s.length - 1].toFixed(3) };
}

async function callOk(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600000 });
  if (r.isError) throw new Error(`${name}: ${r.content?.[0]?.text}`);
  return r;
}

async function main() {
  const o = options();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svmcp-lat-'));
  const transport = new StdioClientTransport({ command: o.server, args: ['--data', dir], stderr: 'inherit' });
  const client = new Client({ name: 'mcp-latency', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  try {
    await callOk(client, 'vector_shard_create', { shard: 'bench', dim: o.dim });
    const t0 = performance.now();
    for (let done = 0; done < o.n; done += o.batch) {
      const items = [];
      for (let i = done; i < Math.min(o.n, done + o.batch); i++) items.push({ vector: unitVector(o.dim), metadata: { i, group: i % 10 } });
      await callOk(client, 'vector_insert', { shard: 'bench', items });
    }
    const loadS = (performance.now() - t0) / 1000;
    for (let i = 0; i < 5; i++) await callOk(client, 'vector_search', { shard: 'bench', vector: unitVector(o.dim), k: o.k });
    const search = [];
    for (let i = 0; i < o.queries; i++) {
      const q = unitVector(o.dim);
      const t = performance.now();
      await callOk(client, 'vector_search', { shard: 'bench', vector: q, k: o.k });
      search.push(performance.now() - t);
    }
    const insert = [];
    for (let i = 0; i < o.inserts; i++) {
      const v = unitVector(o.dim);
      const t = performance.now();
      await callOk(client, 'vector_insert', { shard: 'bench', vector: v, metadata: { i: o.n + i } });
      insert.push(performance.now() - t);
    }
    const stats = (await callOk(client, 'vector_shard_stats', { shard: 'bench' })).structuredContent;
    const out = { n: o.n, dim: o.dim, k: o.k, simd: stats.simd, load_rows_per_s: Math.round(o.n / loadS),
      search: summary(search), insert: summary(insert) };
    if (o.json) {
      console.log(JSON.stringify(out));
    } else {
      console.log(`shard ${o.n} x ${o.dim} (${stats.simd}), loaded through vector_insert batches of ${o.batch}: ${out.load_rows_per_s} rows/s`);
      console.log(`vector_search k=${o.k}: p50 ${out.search.p50_ms} ms, p99 ${out.search.p99_ms} ms, mean ${out.search.mean_ms} ms (${o.queries} calls)`);
      console.log(`vector_insert (one vector, fsynced): p50 ${out.insert.p50_ms} ms, p99 ${out.insert.p99_ms} ms, mean ${out.insert.mean_ms} ms (${o.inserts} calls)`);
    }
  } finally {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`mcp_latency: ${e.message}`);
  process.exit(1);
});
