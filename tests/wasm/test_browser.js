/* test_browser.js — the WebAssembly package in headless Chromium.
 *
 * Serves the staged @sqlite-vector/wasm package (SV_WASM_PKG, default
 * build/npm/wasm) and tests/wasm/browser from a node:http server on
 * 127.0.0.1 (a secure context, so OPFS works), drives Debian's chromium
 * with the pinned playwright-core, and runs the page twice in one
 * persistent profile: "fresh" (API checks, writes an OPFS shard) and, after
 * a reload, "reload" (the shard is read back from OPFS).  Reports the
 * module load time (import + fetch + compile + instantiate). */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('../npm/node_modules/playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const PKG = path.resolve(ROOT, process.env.SV_WASM_PKG || 'build/npm/wasm');
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
                '.wasm': 'application/wasm', '.json': 'application/json' };

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = null;
    if (url.pathname.startsWith('/pkg/')) file = path.join(PKG, url.pathname.slice(5));
    else if (url.pathname.startsWith('/test/')) file = path.join(__dirname, 'browser', url.pathname.slice(6));
    if (!file || file.includes('..') || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function runPhase(page, base, phase, how) {
  const url = `${base}/test/page.html?phase=${phase}`;
  if (how === 'reload') {
    await page.evaluate((u) => history.replaceState(null, '', u), url);
    await page.reload();
  } else {
    await page.goto(url);
  }
  await page.waitForFunction(() => window.__svResult !== undefined, null, { timeout: 60000 });
  return page.evaluate(() => window.__svResult);
}

test('WASM package in headless Chromium, OPFS persistence across a reload', async (t) => {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.SV_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    for (const [phase, how] of [['fresh', 'goto'], ['reload', 'reload']]) {
      const r = await runPhase(page, base, phase, how);
      await t.test(`${phase}: module loaded in ${r.loadMs.toFixed(0)} ms`, () => {
        assert.ok(r.loadMs >= 0);
      });
      for (const c of r.checks) {
        await t.test(`${phase}: ${c.name}`, () => assert.ok(c.ok, c.detail));
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
