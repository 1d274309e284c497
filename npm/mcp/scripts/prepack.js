#!/usr/bin/env node
// prepack.js — copy the C sources the native server needs into csrc/ before `npm pack`.
//
// The package must build offline on install, so the tarball carries everything: the public
// headers, the engine layers (every src/ subdirectory except src/sql, the loadable SQLite
// extension, which the server does not use), the MCP server and its main, and the pinned
// SQLite 3.52.0 amalgamation, fetched and sha256-verified by scripts/fetch-sqlite.sh (it is
// a build input, never committed).  The compiler flags SQLite is built with are read from
// scripts/build-sqlite.sh so the package and the CMake build cannot drift apart.  New engine
// layers (src/index, src/memory, src/sync, ...) are picked up automatically; libraries they
// link (e.g. ngtcp2 for sync) must be added to LIBS in build.js.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const PKG = path.resolve(__dirname, '..');
const ROOT = path.resolve(PKG, '..', '..');
const OUT = path.join(PKG, 'csrc');
const SQLITE_DIR = path.join(ROOT, 'build', 'deps', 'sqlite-3.52.0');

function copyDir(from, to, filter) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) copyDir(src, path.join(to, e.name), filter);
    else if (filter(e.name)) fs.copyFileSync(src, path.join(to, e.name));
  }
}

function main() {
  if (!fs.existsSync(path.join(ROOT, 'include', 'sqlite_vector_mcp.h'))) {
    throw new Error(`prepack must run inside the sqlite-vector repository (${ROOT})`);
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  const isC = (n) => /\.(c|h)$/.test(n);
  copyDir(path.join(ROOT, 'include'), path.join(OUT, 'include'), isC);
  for (const e of fs.readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== 'sql') {
      copyDir(path.join(ROOT, 'src', e.name), path.join(OUT, 'src', e.name), isC);
    }
  }
  fs.mkdirSync(path.join(OUT, 'cli'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'cli', 'mcp_main.c'), path.join(OUT, 'cli', 'mcp_main.c'));

  execFileSync('sh', [path.join(ROOT, 'scripts', 'fetch-sqlite.sh'), SQLITE_DIR], { stdio: 'inherit' });
  fs.mkdirSync(path.join(OUT, 'sqlite'), { recursive: true });
  for (const f of ['sqlite3.c', 'sqlite3.h']) {
    fs.copyFileSync(path.join(SQLITE_DIR, f), path.join(OUT, 'sqlite', f));
  }
  const script = fs.readFileSync(path.join(ROOT, 'scripts', 'build-sqlite.sh'), 'utf8');
  const m = /^FLAGS="([^"]*)"/m.exec(script);
  if (!m) throw new Error('cannot read FLAGS from scripts/build-sqlite.sh');
  const flags = m[1].replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
  fs.writeFileSync(path.join(OUT, 'sqlite', 'flags.json'), JSON.stringify(flags, null, 1) + '\n');
  process.stderr.write(`prepack: C sources copied into ${path.relative(ROOT, OUT)}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`prepack: ${e.message}\n`);
  process.exit(1);
}
