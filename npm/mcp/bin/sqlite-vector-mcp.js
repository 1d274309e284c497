#!/usr/bin/env node
// sqlite-vector-mcp launcher: runs the native server that `npm install` built from the
// package's C sources (native/sqlite-vector-mcp) with the same arguments.  The child
// inherits stdin/stdout/stderr, so the MCP client talks to the native server directly and
// this process never touches the protocol stream; it only forwards signals and the exit
// status.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const exe = path.join(__dirname, '..', 'native', 'sqlite-vector-mcp');
if (!fs.existsSync(exe)) {
  process.stderr.write(
    'sqlite-vector-mcp: the native server is missing; it is built when the package is ' +
      'installed (needs a C compiler and libcjson-dev): run `npm rebuild sqlite-vector-mcp`\n');
  process.exit(1);
}
const child = spawn(exe, process.argv.slice(2), { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig));
}
child.on('error', (e) => {
  process.stderr.write(`sqlite-vector-mcp: cannot start ${exe}: ${e.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code);
  }
});
