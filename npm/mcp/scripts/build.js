#!/usr/bin/env node
// build.js — compile the native sqlite-vector-mcp server from csrc/ at install time.
//
// No network and no build system beyond a C compiler: every .c file under csrc/ is compiled
// to an object in a scratch directory (SIMD kernel files with the flags of their instruction
// set, chosen by file-name suffix exactly as CMakeLists.txt does, and picked at run time by
// the library's CPU dispatch), in parallel over the machine's cores, and linked with the
// system's cJSON (Debian: libcjson-dev), pthreads, libm and libdl into native/.  SQLite is
// compiled with the flags recorded by prepack from scripts/build-sqlite.sh.  The result is
// checked by running it with --version before it replaces any earlier build.
//
// Environment: CC (default cc), SQLITE_VECTOR_MCP_JOBS (default: number of CPUs).
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PKG = path.resolve(__dirname, '..');
const SRC = path.join(PKG, 'csrc');
const OUT_DIR = path.join(PKG, 'native');
const CC = process.env.CC || 'cc';
const JOBS = Math.max(1, Number(process.env.SQLITE_VECTOR_MCP_JOBS) || os.cpus().length);
const LIBS = ['-lcjson', '-lpthread', '-lm', '-ldl'];
const BASE = ['-std=c11', '-O2', '-DNDEBUG', '-D_GNU_SOURCE', '-fPIC',
  `-I${path.join(SRC, 'include')}`, `-I${path.join(SRC, 'src')}`, `-I${path.join(SRC, 'sqlite')}`];

function fail(msg) {
  process.stderr.write(`sqlite-vector-mcp install: ${msg}\n`);
  process.exit(1);
}

function kernelFlags(file) {
  if (/_scalar\.c$/.test(file)) return ['-fno-tree-vectorize'];
  if (!['x64', 'ia32'].includes(process.arch)) return [];
  if (/_sse\.c$/.test(file)) return ['-msse4.1'];
  if (/_avx2\.c$/.test(file)) return ['-mavx2', '-mfma'];
  if (/_avx512\.c$/.test(file)) return ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'];
  return [];
}

function sources(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.c')) out.push(p);
  }
  return out;
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(CC, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ code: 127, err: e.message }));
    child.on('close', (code) => resolve({ code, err }));
  });
}

async function main() {
  if (process.platform !== 'linux') fail('only Linux is supported');
  if (!fs.existsSync(path.join(SRC, 'cli', 'mcp_main.c'))) fail(`no C sources in ${SRC}`);
  if (spawnSync(CC, ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail(`no C compiler (${CC}); on Debian: apt-get install build-essential libcjson-dev`);
  }
  const sqliteFlags = JSON.parse(fs.readFileSync(path.join(SRC, 'sqlite', 'flags.json'), 'utf8'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-vector-mcp-build-'));
  // SQLite first: it is by far the longest compile, so it overlaps all the others.
  const files = sources(SRC).sort((a, b) => (b.endsWith('sqlite3.c') ? 1 : 0) - (a.endsWith('sqlite3.c') ? 1 : 0));
  const objects = [];
  const jobs = files.map((f, i) => {
    const obj = path.join(work, `${i}_${path.basename(f, '.c')}.o`);
    objects.push(obj);
    const args = f.endsWith('sqlite3.c')
      ? [...sqliteFlags, '-w', '-c', f, '-o', obj]
      : [...BASE, ...kernelFlags(f), '-c', f, '-o', obj];
    return { f, args };
  });
  process.stderr.write(`sqlite-vector-mcp install: compiling ${jobs.length} files with ${CC} (${JOBS} jobs; SQLite takes a minute)\n`);
  let next = 0;
  let failure = null;
  async function worker() {
    while (next < jobs.length && !failure) {
      const j = jobs[next++];
      const r = await run(j.args);
      if (r.code !== 0) failure = { file: j.f, err: r.err };
    }
  }
  await Promise.all(Array.from({ length: JOBS }, worker));
  if (failure) {
    fs.rmSync(work, { recursive: true, force: true });
    const hint = /cjson\/cJSON\.h/.test(failure.err) ? ' (install libcjson-dev: apt-get install libcjson-dev)' : '';
    fail(`compiling ${path.relative(PKG, failure.file)} failed${hint}:\n${failure.err}`);
  }
  const tmpExe = path.join(work, 'sqlite-vector-mcp');
  const link = await run([...objects, '-o', tmpExe, ...LIBS]);
  if (link.code !== 0) {
    fs.rmSync(work, { recursive: true, force: true });
    const hint = /-lcjson/.test(link.err) ? ' (install libcjson-dev: apt-get install libcjson-dev)' : '';
    fail(`linking failed${hint}:\n${link.err}`);
  }
  const check = spawnSync(tmpExe, ['--version'], { encoding: 'utf8' });
  if (check.status !== 0) fail(`the built server does not run: ${check.stderr || check.error}`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.copyFileSync(tmpExe, path.join(OUT_DIR, 'sqlite-vector-mcp.tmp'));
  fs.chmodSync(path.join(OUT_DIR, 'sqlite-vector-mcp.tmp'), 0o755);
  fs.renameSync(path.join(OUT_DIR, 'sqlite-vector-mcp.tmp'), path.join(OUT_DIR, 'sqlite-vector-mcp'));
  fs.rmSync(work, { recursive: true, force: true });
  process.stderr.write(`sqlite-vector-mcp install: built ${check.stdout.trim()}\n`);
}

main().catch((e) => fail(e.stack || String(e)));
