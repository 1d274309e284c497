#!/usr/bin/env node
/*
 * bench.js — the JS bindings side by side: insert and top-10 search over the
 * same vectors through the native addon, the WebAssembly build in Node, the
 * WebAssembly package in headless Chromium, and sqlite-vec 0.1.9 through
 * better-sqlite3 12.11.1 (bench/compare's pinned install), plus the
 * module load time in the browser (cold: new profile; warm: reload).
 *
 *   node bench/bindings/bench.js [--sizes 10000,100000] [--dim 384]
 *        [--queries 200] [--k 10] [--only native,wasm,chromium,sqlite-vec]
 *
 * Needs `make npm` (addon, wasm, staged package in build/npm/wasm),
 * `cd tests/npm && npm ci` (playwright-core) and `cd bench/compare && npm ci`.
 * Every system gets an in-memory database, cosine metric, batches of 1,000
 * rows per transaction, 5 warm-up queries, then `queries` timed ones.
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function args() {
  const o = { sizes: [10000, 100000], dim: 384, queries: 200, k: 10,
              only: ['native', 'wasm', 'chromium', 'sqlite-vec'], loads: 5 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const v = a[i + 1];
    if (a[i] === '--sizes') o.sizes = v.split(',').map(Number);
    else if (a[i] === '--dim') o.dim = +v;
    else if (a[i] === '--queries') o.queries = +v;
    else if (a[i] === '--k') o.k = +v;
    else if (a[i] === '--only') o.only = v.split(',');
    else if (a[i] === '--loads') o.loads = +v;
    else throw new Error(`unknown option ${a[i]}`);
  }
  return o;
}

async function runSqliteVec(w, { n, dim, queries, k }) {
  const req = require('node:module').createRequire(path.join(ROOT, 'bench/compare/index.js'));
  const Database = req('better-sqlite3');
  const sqliteVec = req('sqlite-vec');
  const db = new Database(':memory:');
  sqliteVec.load(db);
  db.exec(`create virtual table items using vec0(embedding float[${dim}] distance_metric=cosine)`);
  const base = w.makeData(n, dim, 12345);
  const qs = w.makeData(queries, dim, 777);
  const ins = db.prepare('insert into items(rowid, embedding) values (?, ?)');
  const batch = db.transaction((from, to) => {
    for (let r = from; r < to; r++) ins.run(BigInt(r + 1), Buffer.from(w.row(base, dim, r).slice().buffer));
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) batch(i, Math.min(n, i + 1000));
  const insertS = (performance.now() - t0) / 1000;
  const stmt = db.prepare('select rowid, distance from items where embedding match ? and k = ?');
  const q = (i) => stmt.all(Buffer.from(w.row(qs, dim, i).slice().buffer), BigInt(k));
  for (let i = 0; i < 5; i++) q(i % queries);
  const times = [];
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    q(i);
    times.push(performance.now() - t);
  }
  db.close();
  return w.summarize(n, insertS, times);
}

function serve() {
  const roots = { '/pkg/': path.join(ROOT, 'build/npm/wasm'), '/bench/': __dirname };
  const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
                  '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    const pre = Object.keys(roots).find((p) => u.pathname.startsWith(p));
    const file = pre && path.join(roots[pre], u.pathname.slice(pre.length));
    if (!file || file.includes('..') || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

async function launch() {
  const { chromium } = require(path.join(ROOT, 'tests/npm/node_modules/playwright-core'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, timeout: 60000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'] });
  return { ctx, done: async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

async function pageRun(ctx, url) {
  const page = await ctx.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 0, polling: 200 });
    return await page.evaluate(() => window.__bench);
  } finally {
    await page.close();
  }
}

async function main() {
  const o = args();
  const w = await import(path.join(__dirname, 'workload.mjs'));
  const rows = [];
  let server = null;
  const base = async () => {
    server = server || (await serve());
    return `http://127.0.0.1:${server.address().port}/bench/page.html`;
  };
  const loads = { cold: [], warm: [] };
  if (o.only.includes('chromium')) {
    for (let i = 0; i < o.loads; i++) {
      const b = await launch();
      try {
        loads.cold.push((await pageRun(b.ctx, await base())).loadMs);
        loads.warm.push((await pageRun(b.ctx, await base())).loadMs);
      } finally {
        await b.done();
      }
    }
  }
  for (const n of o.sizes) {
    const params = { n, dim: o.dim, queries: o.queries, k: o.k };
    for (const sys of o.only) {
      let r;
      if (sys === 'native') r = await w.runShard(require(path.join(ROOT, 'bindings/node/index.js')).VectorShard, params);
      else if (sys === 'wasm') r = await w.runShard(require(path.join(ROOT, 'bindings/wasm/index.cjs')).VectorShard, params);
      else if (sys === 'sqlite-vec') r = await runSqliteVec(w, params);
      else if (sys === 'chromium') {
        const b = await launch();
        try {
          const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
          r = (await pageRun(b.ctx, `${await base()}?${q}`)).result;
        } finally {
          await b.done();
        }
      }
      rows.push({ n, system: sys, ...r });
      console.error(`${n} ${sys}: ${JSON.stringify(r)}`);
    }
  }
  if (server) server.close();
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`| rows × dim | system | insert rows/s | search mean ms (k=${o.k}) | p50 ms | QPS |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.n.toLocaleString('en')} × ${o.dim} | ${r.system} | ${r.insert_rows_per_s.toLocaleString('en')} | ` +
                `${r.search_mean_ms} | ${r.search_p50_ms} | ${r.qps.toLocaleString('en')} |`);
  }
  for (const n of o.sizes) {
    const get = (s) => rows.find((r) => r.n === n && r.system === s);
    const nat = get('native');
    for (const s of ['wasm', 'chromium']) {
      const x = get(s);
      if (nat && x) {
        console.log(`native/${s} at ${n}: insert ${(nat.insert_rows_per_s / x.insert_rows_per_s).toFixed(1)}×, ` +
                    `search ${(x.search_mean_ms / nat.search_mean_ms).toFixed(1)}×`);
      }
    }
  }
  if (loads.cold.length) {
    console.log(`browser module load (import + fetch + compile + instantiate), ${loads.cold.length} runs: ` +
                `cold median ${med(loads.cold).toFixed(0)} ms (min ${Math.min(...loads.cold).toFixed(0)}), ` +
                `warm median ${med(loads.warm).toFixed(0)} ms (min ${Math.min(...loads.warm).toFixed(0)})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
