/*
 * install.js — make the native addon available at install time.
 *
 * Order: with SQLITE_VECTOR_WASM=1 nothing is built (the WASM build will
 * be used).  Otherwise a prebuilt addon for this platform that loads is
 * kept; else (or with SQLITE_VECTOR_BUILD_FROM_SOURCE=1) the addon is
 * compiled from the C sources shipped in csrc/ with the system C compiler
 * against the running Node's headers, and the pinned SQLite amalgamation
 * fetched from npm (sqlite3@6.0.1, sha256-checked; works offline from the
 * npm cache).  Any failure only prints why: the package then falls back to
 * WebAssembly at run time, so installing never fails for lack of a
 * compiler.
 */
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const here = __dirname;
const out = path.join(here, 'build', 'sqlite_vector.node');
const prebuilt = path.join(here, 'prebuilds', `${process.platform}-${process.arch}`,
                           'sqlite_vector.node');

function loads(file) {
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function nodeInclude() {
  const cands = [process.env.SQLITE_VECTOR_NODE_INCLUDE,
                 path.join(path.dirname(process.execPath), '..', 'include', 'node'),
                 '/usr/include/node'];
  return cands.find((d) => d && fs.existsSync(path.join(d, 'node_api.h')));
}

function isaFlags(file) {
  if (!/^(x64|ia32)$/.test(process.arch)) return [];
  if (file.endsWith('_sse.c')) return ['-msse4.1'];
  if (file.endsWith('_avx2.c')) return ['-mavx2', '-mfma'];
  if (file.endsWith('_avx512.c')) {
    return ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'];
  }
  return [];
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} exited with ${c}`))));
  });
}

async function buildFromSource() {
  const cc = process.env.CC || 'cc';
  const inc = nodeInclude();
  if (!inc) throw new Error('node_api.h not found (set SQLITE_VECTOR_NODE_INCLUDE)');
  const csrc = path.join(here, 'csrc');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-vector-build-'));
  const sqliteDir = path.join(tmp, 'sqlite');
  try {
    execFileSync('sh', [path.join(csrc, 'fetch-sqlite.sh'), sqliteDir], { stdio: 'inherit' });
    const common = ['-O2', '-fPIC', '-fvisibility=hidden', '-DNDEBUG', '-D_GNU_SOURCE'];
    const jobs = [[path.join(sqliteDir, 'sqlite3.c'), ['-w', '-DSQLITE_THREADSAFE=1',
      '-DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1', '-DSQLITE_DQS=0', '-DSQLITE_DEFAULT_MEMSTATUS=0',
      '-DSQLITE_OMIT_SHARED_CACHE', '-DSQLITE_OMIT_LOAD_EXTENSION', '-DSQLITE_USE_ALLOCA']]];
    for (const dir of ['src/util', 'src/vec', 'src/store', 'bindings/node/src']) {
      for (const f of fs.readdirSync(path.join(csrc, dir))) {
        if (!f.endsWith('.c')) continue;
        const file = path.join(csrc, dir, f);
        jobs.push([file, ['-std=c11', ...isaFlags(file), '-DNAPI_VERSION=8',
          '-DNODE_GYP_MODULE_NAME=sqlite_vector', `-I${path.join(csrc, 'include')}`,
          `-I${path.join(csrc, 'src')}`, `-I${sqliteDir}`, `-I${inc}`]]);
      }
    }
    const objs = jobs.map((j, i) => path.join(tmp, `${i}.o`));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        await run(cc, [...common, ...jobs[i][1], '-c', jobs[i][0], '-o', objs[i]]);
      }
    };
    await Promise.all([worker(), worker()]);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const ldExtra = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
    await run(cc, ['-shared', ...ldExtra, ...objs, '-o', out, '-lm', '-lpthread']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!loads(out)) throw new Error('the built addon does not load');
}

async function main() {
  if (process.env.SQLITE_VECTOR_WASM === '1') {
    console.log('sqlite-vector: SQLITE_VECTOR_WASM=1, using the WebAssembly build');
    return;
  }
  const force = process.env.SQLITE_VECTOR_BUILD_FROM_SOURCE === '1';
  if (!force && fs.existsSync(prebuilt) && loads(prebuilt)) {
    console.log(`sqlite-vector: prebuilt native addon for ${process.platform}-${process.arch}`);
    return;
  }
  try {
    console.log('sqlite-vector: building the native addon from source');
    await buildFromSource();
    console.log('sqlite-vector: native addon built');
  } catch (e) {
    console.log(`sqlite-vector: no native addon (${e.message}); the WebAssembly build will be used`);
  }
}

main();
