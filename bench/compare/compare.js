#!/usr/bin/env node
/*
 * compare.js — exact k-NN latency and recall of other SQLite vector extensions, on our files.
 *
 * The point of this harness is that every system answers the SAME queries
 * over the SAME vectors: it reads the .fvecs/.ivecs files that
 * bench/gen_dataset wrote (base, queries, ground truth) and loads the base
 * vectors into each system through better-sqlite3:
 *
 *   sqlite-vec      a vec0 virtual table (float[D] distance_metric=cosine),
 *                   queried with `embedding MATCH ? AND k = ?` (brute force);
 *   sqliteai-f32    SQLite AI's sqlite-vector over an ordinary table,
 *                   vector_init(... distance=COSINE) then vector_full_scan;
 *   sqliteai-int8   the same table after vector_quantize(qtype=INT8) and
 *                   vector_quantize_preload, queried with vector_quantize_scan
 *                   (approximate: recall is reported next to latency);
 *   sqlite-vector   optionally, our own loadable extension (--ours-ext) over
 *                   the shard `sqlite-vector import` built from the same base
 *                   file, through its vector_search table-valued function —
 *                   our engine measured by the very same harness.
 *
 * Each system gets its own connection and its own database file (the
 * extensions register clashing function names such as vector_version), with
 * the same pragmas as our shards (WAL, synchronous=NORMAL) plus a large
 * mmap and page cache so nobody pays for I/O: everything is warm (with
 * COMPARE_PLAIN_PRAGMAS=1 in the environment SQLite's default cache and mmap
 * sizes are kept instead, which made both competitors slower).  Base row
 * i gets rowid i + 1 (and id i in our shard, as `import` assigns it), so
 * results map back to ground-truth indices.
 *
 * Latency is wall time of one statement.all() per query (prepare once, bind
 * the query as a float32 BLOB), after a few untimed warm-up queries, over
 * every query of the set, optionally repeated; p50/p95/mean are nearest-rank
 * over all timed runs.  recall@k is |returned ∩ true top-k| / k averaged over
 * the queries.  Output: a table on stdout and, with --out, one JSON document.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const Database = require('better-sqlite3');
const sqliteVec = require('sqlite-vec');

function usage(code) {
  const msg = `usage: node compare.js --data DIR --datasets NAME[,NAME...] [options]
  --data DIR          where NAME_base.fvecs, NAME_query.fvecs, NAME_gt.ivecs live
  --datasets LIST     comma-separated dataset names
  --k K               neighbours per query (default 10)
  --queries N         use only the first N queries (default all)
  --repeat R          timed passes over the query set (default 1)
  --warmup W          untimed warm-up queries per system (default 5)
  --systems LIST      any of sqlite-vec,sqliteai-f32,sqliteai-int8,sqlite-vector
                      (default: all available)
  --workdir DIR       where the comparison databases are written (default: a temp dir)
  --ours-ext PATH     our loadable extension (sqlite_vector.so) for system sqlite-vector
  --ours-shard NAME=PATH   the shard imported from NAME_base.fvecs (repeatable)
  --out FILE          write the results as JSON`;
  (code ? process.stderr : process.stdout).write(msg + '\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    k: 10, queries: 0, repeat: 1, warmup: 5, systems: null, datasets: [], data: null,
    workdir: null, oursExt: null, oursShards: {}, out: null,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const need = () => {
      if (v === undefined) usage(2);
      i++;
      return v;
    };
    const int = (s, lo) => {
      if (!/^[0-9]+$/.test(s) || Number(s) < lo) usage(2);
      return Number(s);
    };
    switch (a) {
      case '--data': o.data = need(); break;
      case '--datasets': o.datasets = need().split(',').filter(Boolean); break;
      case '--k': o.k = int(need(), 1); break;
      case '--queries': o.queries = int(need(), 1); break;
      case '--repeat': o.repeat = int(need(), 1); break;
      case '--warmup': o.warmup = int(need(), 0); break;
      case '--systems': o.systems = need().split(',').filter(Boolean); break;
      case '--workdir': o.workdir = need(); break;
      case '--ours-ext': o.oursExt = need(); break;
      case '--ours-shard': {
        const s = need();
        const eq = s.indexOf('=');
        if (eq < 1) usage(2);
        o.oursShards[s.slice(0, eq)] = s.slice(eq + 1);
        break;
      }
      case '--out': o.out = need(); break;
      case '-h': case '--help': usage(0); break;
      default: usage(2);
    }
  }
  if (!o.data || o.datasets.length === 0) usage(2);
  return o;
}

/* ---- .fvecs / .ivecs ---------------------------------------------------- */

/* A whole vecs file as {n, dim, row(i) -> Buffer view of the values}. */
function readVecs(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 4) throw new Error(`${file}: empty`);
  const dim = buf.readUInt32LE(0);
  const stride = 4 + 4 * dim;
  if (dim < 1 || buf.length % stride !== 0) throw new Error(`${file}: not a vecs file`);
  const n = buf.length / stride;
  for (let i = 0; i < n; i++) {
    if (buf.readUInt32LE(i * stride) !== dim) throw new Error(`${file}: record ${i} has another dim`);
  }
  return {
    n, dim, bytes: buf.length,
    row: (i) => buf.subarray(i * stride + 4, (i + 1) * stride),
    ints: (i) => {
      const out = new Array(dim);
      for (let j = 0; j < dim; j++) out[j] = buf.readInt32LE(i * stride + 4 + 4 * j);
      return out;
    },
  };
}

function loadDataset(dir, name, k, maxQueries) {
  const base = readVecs(path.join(dir, `${name}_base.fvecs`));
  const query = readVecs(path.join(dir, `${name}_query.fvecs`));
  const gtFile = readVecs(path.join(dir, `${name}_gt.ivecs`));
  if (query.dim !== base.dim) throw new Error(`${name}: query dim ${query.dim} != base ${base.dim}`);
  if (gtFile.n !== query.n) throw new Error(`${name}: ${gtFile.n} ground-truth rows for ${query.n} queries`);
  if (gtFile.dim < k) throw new Error(`${name}: ground truth has ${gtFile.dim} < k = ${k} ids`);
  const nq = maxQueries ? Math.min(maxQueries, query.n) : query.n;
  const gt = [];
  for (let i = 0; i < nq; i++) gt.push(gtFile.ints(i).slice(0, k));
  const queries = [];
  for (let i = 0; i < nq; i++) queries.push(Buffer.from(query.row(i))); /* own copy */
  return { name, base, queries, gt, n: base.n, dim: base.dim };
}

/* ---- statistics ---------------------------------------------------------- */

function pct(sorted, p) {
  let r = Math.ceil((p / 100) * sorted.length);
  r = Math.min(Math.max(r, 1), sorted.length);
  return sorted[r - 1];
}

function summarize(latMs, recalls) {
  const s = [...latMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
  return {
    runs: s.length,
    p50_ms: +pct(s, 50).toFixed(4), p95_ms: +pct(s, 95).toFixed(4),
    mean_ms: +mean.toFixed(4), min_ms: +s[0].toFixed(4), max_ms: +s[s.length - 1].toFixed(4),
    qps: +(1000 / mean).toFixed(2), recall: +recall.toFixed(4),
  };
}

/* Time `search(queryBuffer) -> array of base indices` over the query set. */
function timeQueries(ds, opt, search) {
  const nq = ds.queries.length;
  for (let i = 0; i < opt.warmup; i++) search(ds.queries[i % nq]);
  const lat = [];
  const recalls = new Array(nq).fill(0);
  for (let r = 0; r < opt.repeat; r++) {
    for (let i = 0; i < nq; i++) {
      const t0 = process.hrtime.bigint();
      const ids = search(ds.queries[i]);
      const t1 = process.hrtime.bigint();
      lat.push(Number(t1 - t0) / 1e6);
      if (r === 0) {
        const truth = new Set(ds.gt[i]);
        let hit = 0;
        for (const id of ids.slice(0, opt.k)) if (truth.has(id)) hit++;
        recalls[i] = hit / opt.k;
      }
    }
  }
  return summarize(lat, recalls);
}

/* ---- systems ------------------------------------------------------------- */

function openDb(file) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (process.env.COMPARE_PLAIN_PRAGMAS !== '1') {
    db.pragma('cache_size = -1048576'); /* 1 GiB: the whole table stays in the page cache */
    db.pragma('mmap_size = 4294967296');
  }
  db.pragma('temp_store = MEMORY');
  return db;
}

/* Insert every base row as (rowid i+1, blob) in one transaction; seconds. */
function bulkLoad(db, sql, ds) {
  const ins = db.prepare(sql);
  const t0 = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < ds.n; i++) ins.run(BigInt(i + 1), ds.base.row(i));
  })();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/* Flush a freshly loaded database to disk so the kernel's write-back of
 * its dirty pages does not compete with the timed queries. */
function flushFile(file) {
  for (const suffix of ['', '-wal']) {
    let fd = -1;
    try {
      fd = fs.openSync(file + suffix, 'r+');
      fs.fsyncSync(fd);
    } catch { /* absent */ } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
}

function fileSize(file) {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try { total += fs.statSync(file + suffix).size; } catch { /* absent */ }
  }
  return total;
}

function benchSqliteVec(ds, opt, file) {
  const db = openDb(file);
  try {
    sqliteVec.load(db);
    const version = db.prepare('select vec_version() v').get().v;
    db.exec(`create virtual table items using vec0(embedding float[${ds.dim}] distance_metric=cosine)`);
    const loadS = bulkLoad(db, 'insert into items(rowid, embedding) values (?, ?)', ds);
    db.pragma('wal_checkpoint(TRUNCATE)');
    flushFile(file);
    const stmt = db.prepare('select rowid from items where embedding match ? and k = ?').raw(true);
    const k = BigInt(opt.k);
    const res = timeQueries(ds, opt, (q) => stmt.all(q, k).map((r) => Number(r[0]) - 1));
    return { system: 'sqlite-vec', version, mode: 'vec0 brute force, float32', load_s: +loadS.toFixed(3),
      load_rows_per_s: Math.round(ds.n / loadS), db_bytes: fileSize(file), ...res };
  } finally {
    db.close();
  }
}

/* SQLite AI's extension: one loaded table, measured as full scan and, when
 * asked, as INT8 quantized scan. */
function benchSqliteAi(ds, opt, file, modes, extPath) {
  const db = openDb(file);
  const out = [];
  try {
    db.loadExtension(extPath);
    const { v: version, b: backend } = db.prepare('select vector_version() v, vector_backend() b').get();
    db.exec('create table items(id integer primary key, embedding blob)');
    const loadS = bulkLoad(db, 'insert into items(id, embedding) values (?, ?)', ds);
    db.pragma('wal_checkpoint(TRUNCATE)');
    flushFile(file);
    db.prepare(`select vector_init('items', 'embedding', 'type=FLOAT32,dimension=${ds.dim},distance=COSINE')`).get();
    const k = BigInt(opt.k);
    const common = { version, backend, load_s: +loadS.toFixed(3), load_rows_per_s: Math.round(ds.n / loadS) };
    if (modes.includes('sqliteai-f32')) {
      const stmt = db.prepare("select rowid from vector_full_scan('items', 'embedding', ?, ?)").raw(true);
      const res = timeQueries(ds, opt, (q) => stmt.all(q, k).map((r) => Number(r[0]) - 1));
      out.push({ system: 'sqliteai-f32', mode: 'vector_full_scan, float32', ...common,
        db_bytes: fileSize(file), ...res });
    }
    if (modes.includes('sqliteai-int8')) {
      const t0 = process.hrtime.bigint();
      db.prepare("select vector_quantize('items', 'embedding', 'qtype=INT8')").get();
      db.prepare("select vector_quantize_preload('items', 'embedding')").get();
      const quantS = Number(process.hrtime.bigint() - t0) / 1e9;
      flushFile(file);
      const stmt = db.prepare("select rowid from vector_quantize_scan('items', 'embedding', ?, ?)").raw(true);
      const res = timeQueries(ds, opt, (q) => stmt.all(q, k).map((r) => Number(r[0]) - 1));
      out.push({ system: 'sqliteai-int8', mode: 'vector_quantize_scan, INT8, preloaded (approximate)',
        ...common, quantize_s: +quantS.toFixed(3), db_bytes: fileSize(file), ...res });
    }
  } finally {
    db.close();
  }
  return out;
}

/* Our engine through our own SQL extension, over the shard the CLI imported.
 * The extension keeps the shard handle (and its arena) per connection, so
 * the first (warm-up) query pays the arena load, as in any long-lived app. */
function benchOurs(ds, opt, extPath, shardPath) {
  const db = new Database(shardPath, { fileMustExist: true });
  try {
    db.loadExtension(extPath);
    const version = db.prepare('select vector_version() v').get().v;
    const simd = db.prepare('select vector_simd() s').get().s;
    const stmt = db.prepare("select id from vector_search('sv_vectors', ?, ?)").raw(true);
    const k = BigInt(opt.k);
    const t0 = process.hrtime.bigint();
    stmt.all(ds.queries[0], k);
    const firstS = Number(process.hrtime.bigint() - t0) / 1e9;
    const res = timeQueries(ds, opt, (q) => stmt.all(q, k).map((r) => Number(r[0])));
    return { system: 'sqlite-vector', version, simd, mode: 'vector_search (SQL extension), float32',
      first_query_s: +firstS.toFixed(3), db_bytes: fileSize(shardPath), ...res };
  } finally {
    db.close();
  }
}

function sqliteAiPath() {
  try {
    return require('@sqliteai/sqlite-vector-linux-x86_64').path;
  } catch {
    return null;
  }
}

/* From node_modules directly: some packages' "exports" hide package.json. */
function packageVersion(name) {
  try {
    const file = path.join(__dirname, 'node_modules', ...name.split('/'), 'package.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}

/* ---- main ---------------------------------------------------------------- */

function fmt(x, digits) {
  return x === undefined || x === null ? '-' : Number(x).toFixed(digits);
}

function main() {
  const opt = parseArgs(process.argv);
  const aiPath = sqliteAiPath();
  const all = ['sqlite-vector', 'sqlite-vec', 'sqliteai-f32', 'sqliteai-int8'];
  const systems = opt.systems || all.filter((s) => (s === 'sqlite-vector' ? !!opt.oursExt : true));
  for (const s of systems) {
    if (!all.includes(s)) usage(2);
    if (s.startsWith('sqliteai') && !aiPath) throw new Error('@sqliteai/sqlite-vector-linux-x86_64 is not installed (run npm ci)');
    if (s === 'sqlite-vector' && !opt.oursExt) throw new Error('system sqlite-vector needs --ours-ext');
  }
  const workdir = opt.workdir || fs.mkdtempSync(path.join(os.tmpdir(), 'sv-compare-'));
  fs.mkdirSync(workdir, { recursive: true });

  const probe = new Database(':memory:');
  const result = {
    when: new Date().toISOString(),
    k: opt.k, repeat: opt.repeat, warmup: opt.warmup,
    versions: {
      node: process.versions.node,
      'better-sqlite3': packageVersion('better-sqlite3'),
      'better-sqlite3 SQLite': probe.prepare('select sqlite_version() v').get().v,
      'sqlite-vec': packageVersion('sqlite-vec'),
      '@sqliteai/sqlite-vector-linux-x86_64': packageVersion('@sqliteai/sqlite-vector-linux-x86_64'),
    },
    datasets: [],
  };
  probe.close();

  for (const name of opt.datasets) {
    const ds = loadDataset(opt.data, name, opt.k, opt.queries);
    const entry = { name, n: ds.n, dim: ds.dim, queries: ds.queries.length,
      vector_bytes: ds.n * ds.dim * 4, results: [] };
    process.stderr.write(`compare: ${name}: ${ds.n} x ${ds.dim}, ${ds.queries.length} queries\n`);
    const record = (r) => {
      entry.results.push(r);
      process.stderr.write(`compare:   ${r.system.padEnd(14)} p50 ${fmt(r.p50_ms, 2)} ms  recall ${fmt(r.recall, 3)}\n`);
    };
    if (systems.includes('sqlite-vector')) {
      const shard = opt.oursShards[name];
      if (!shard) throw new Error(`no --ours-shard for dataset ${name}`);
      record(benchOurs(ds, opt, opt.oursExt, shard));
    }
    if (systems.includes('sqlite-vec')) {
      const file = path.join(workdir, `${name}.vec0.db`);
      record(benchSqliteVec(ds, opt, file));
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    }
    const aiModes = systems.filter((s) => s.startsWith('sqliteai'));
    if (aiModes.length) {
      const file = path.join(workdir, `${name}.sqliteai.db`);
      for (const r of benchSqliteAi(ds, opt, file, aiModes, aiPath)) record(r);
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    }
    result.datasets.push(entry);
  }

  console.log(`k = ${opt.k}; latency = one statement per query through better-sqlite3, warm`);
  console.log('dataset            system          p50 ms   p95 ms  mean ms  recall@k  load rows/s');
  for (const d of result.datasets) {
    for (const r of d.results) {
      console.log(`${`${d.name} (${d.n}x${d.dim})`.padEnd(19)}${r.system.padEnd(14)}` +
        `${fmt(r.p50_ms, 2).padStart(8)} ${fmt(r.p95_ms, 2).padStart(8)} ${fmt(r.mean_ms, 2).padStart(8)}` +
        `${fmt(r.recall, 3).padStart(10)} ${(r.load_rows_per_s ? String(r.load_rows_per_s) : '-').padStart(12)}`);
    }
  }
  if (opt.out) fs.writeFileSync(opt.out, JSON.stringify(result, null, 2) + '\n');
  if (!opt.workdir) fs.rmSync(workdir, { recursive: true, force: true });
}

try {
  main();
} catch (e) {
  process.stderr.write(`compare: ${e.message}\n`);
  process.exit(1);
}
