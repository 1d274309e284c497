// test_mcp.mjs — sqlite-vector-mcp driven by the official MCP SDK client over stdio.
//
//   node tests/mcp/test_mcp.mjs SERVER_BINARY            the full suite
//   node tests/mcp/test_mcp.mjs --smoke CMD [ARGS...]    connect, list, write, search,
//                                                        restart (used for the npm tarball)
//
// The SDK client (@modelcontextprotocol/sdk, pinned in package-lock.json) is what agents
// use, so the scenario goes through it: schemas, a full create/insert/search/stats/delete
// session, input validation, shard-name attacks, text shards (text insert and search),
// the memory tools (store, find, outcome, consolidate, context across memories), sync of
// two shards through the tool and with a remote `sqlite-vector sync serve` on loopback,
// and a restart that must find the data (and the memory) again.  The SDK silently drops stdout lines that are not JSON-RPC, so protocol errors
// and stdout purity are checked with a raw child process whose every stdout line must
// parse.  The inspector CLI lists the tools once.  Every check counts; the last line is
// "N passed, N failed" for scripts/test.sh.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Ajv2020 from 'ajv/dist/2020.js';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL ${name}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`);
  }
}

function section(name) {
  console.log(`-- ${name}`);
}

const TOOL_NAMES = ['memory_consolidate', 'memory_find_patterns', 'memory_record_outcome',
  'memory_store_experience', 'memory_synthesize_context', 'vector_delete', 'vector_get',
  'vector_insert', 'vector_search', 'vector_shard_create', 'vector_shard_stats', 'vector_sync_shard'];

const tmpRoot = fs.mkdtempSync(path.join(process.env.SV_TEST_TMP || os.tmpdir(), 'svmcp-'));

// ---- SDK helpers ----------------------------------------------------------

async function connect(command, args, env = {}, cwd = undefined) {
  const transport = new StdioClientTransport({
    command,
    args,
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME || tmpRoot, ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'sqlite-vector-mcp-tests', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport, { timeout: 30000 });
  client.stderrText = () => stderr;
  return client;
}

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
  return r;
}

function textOf(r) {
  return (r.content || []).map((c) => c.text || '').join('\n');
}

// ---- The full scenario ---------------------------------------------------

function unitVector(dim, seed) {
  // Deterministic, distinct directions: a small LCG per seed.
  let x = (seed * 2654435761) >>> 0;
  const v = [];
  for (let i = 0; i < dim; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v.push(x / 4294967296 - 0.5);
  }
  const n = Math.hypot(...v);
  return v.map((c) => c / n);
}

async function schemaChecks(client) {
  section('tools/list and schemas');
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  const want = TOOL_NAMES;
  check('tools/list names', JSON.stringify(names) === JSON.stringify(want), names);
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const t of tools) {
    check(`${t.name}: name format`, /^[A-Za-z0-9_.-]{1,128}$/.test(t.name));
    check(`${t.name}: description`, typeof t.description === 'string' && t.description.length > 20);
    check(`${t.name}: inputSchema is an object schema`, t.inputSchema?.type === 'object');
    let ok = true;
    try {
      ajv.compile(t.inputSchema);
    } catch (e) {
      ok = false;
      console.error(e.message);
    }
    check(`${t.name}: inputSchema compiles as JSON Schema 2020-12`, ok);
    ok = true;
    try {
      ajv.compile(t.outputSchema);
    } catch (e) {
      ok = false;
      console.error(e.message);
    }
    check(`${t.name}: outputSchema compiles`, t.outputSchema?.type === 'object' && ok);
    check(`${t.name}: annotations`, typeof t.annotations?.readOnlyHint === 'boolean');
  }
  return tools;
}

async function stats(client, shard) {
  const r = await call(client, 'vector_shard_stats', { shard });
  return r.structuredContent;
}

async function scenario(client, dataDir) {
  section('scenario');
  const DIM = 8;
  let r = await call(client, 'vector_shard_create', { shard: 'notes', dim: DIM });
  check('create', !r.isError && r.structuredContent.created === true, r);
  check('create: text content mirrors structuredContent',
    JSON.stringify(JSON.parse(textOf(r))) === JSON.stringify(r.structuredContent));
  check('create: shard file on disk', fs.existsSync(path.join(dataDir, 'notes.shard')));
  r = await call(client, 'vector_shard_create', { shard: 'notes', dim: DIM, metric: 'cosine' });
  check('create again is idempotent', !r.isError && r.structuredContent.created === false, r);
  r = await call(client, 'vector_shard_create', { shard: 'notes', dim: 16 });
  check('create with another dim is refused', r.isError && /dim/i.test(textOf(r)), r);
  r = await call(client, 'vector_shard_create', { shard: 'l2s', dim: 3, metric: 'l2' });
  check('create l2 shard', !r.isError && r.structuredContent.metric === 'l2', r);
  r = await call(client, 'vector_shard_create', { shard: 'bad', dim: 0 });
  check('create dim 0 refused', r.isError, r);
  r = await call(client, 'vector_shard_create', { shard: 'bad', dim: 4, metric: 'manhattan' });
  check('create unknown metric refused', r.isError && /metric/.test(textOf(r)), r);
  check('refused creates left no file', !fs.existsSync(path.join(dataDir, 'bad.shard')));

  // 50 vectors with metadata: 10 one by one, 40 in one batch.
  const vecs = [];
  for (let i = 0; i < 50; i++) vecs.push(unitVector(DIM, i + 1));
  const ids = [];
  for (let i = 0; i < 10; i++) {
    r = await call(client, 'vector_insert', {
      shard: 'notes', vector: vecs[i], metadata: { i, group: i % 5, tag: `t${i}` },
    });
    if (!r.isError) ids.push(r.structuredContent.ids[0]);
  }
  check('10 single inserts', ids.length === 10, ids);
  r = await call(client, 'vector_insert', {
    shard: 'notes',
    items: vecs.slice(10).map((v, k) => ({ vector: v, metadata: { i: k + 10, group: (k + 10) % 5, tag: `t${k + 10}` } })),
  });
  check('batch insert of 40', !r.isError && r.structuredContent.count === 40 &&
    r.structuredContent.ids.length === 40, r);
  if (!r.isError) ids.push(...r.structuredContent.ids);
  check('ids are distinct', new Set(ids).size === 50);

  let s = await stats(client, 'notes');
  check('stats count 50', s.count === 50 && s.dim === DIM && s.metric === 'cosine', s);
  const version0 = s.version;

  let selfFirst = 0;
  for (let i = 0; i < 50; i++) {
    r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[i], k: 3 });
    const top = r.structuredContent?.results?.[0];
    if (!r.isError && top && top.id === ids[i] && Math.abs(top.score - 1) < 1e-5 && top.metadata.i === i) selfFirst++;
  }
  check('every vector finds itself first', selfFirst === 50, selfFirst);

  r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[0], k: 50, filter: { group: 2 } });
  const res = r.structuredContent?.results || [];
  check('filter: 10 hits of group 2', res.length === 10 && res.every((h) => h.metadata.group === 2), res.length);
  r = await call(client, 'vector_search', {
    shard: 'notes', vector: vecs[0], k: 50, filter: { i: { $gte: 40 }, tag: { $in: ['t41', 't45', 'zz'] } },
  });
  check('filter with operators', r.structuredContent?.count === 2, r.structuredContent);
  r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[0], k: 50, threshold: 0.999 });
  check('threshold keeps only the vector itself', r.structuredContent?.count === 1, r.structuredContent);
  r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[0], k: 5, mode: 'exact', with_metadata: false });
  check('mode exact, no metadata', !r.isError && r.structuredContent.mode === 'exact' &&
    r.structuredContent.results.every((h) => h.metadata === undefined), r);
  r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[0], mode: 'auto' });
  check('mode auto, default k 10', !r.isError && r.structuredContent.count === 10, r.structuredContent?.count);

  section('bad input is refused and changes nothing');
  const bad = [
    ['wrong dimension', 'vector_insert', { shard: 'notes', vector: [1, 2, 3] }, /dimension/],
    ['wrong dimension in a batch', 'vector_insert', { shard: 'notes', items: [{ vector: vecs[0] }, { vector: [1, 2] }] }, /items\[1\]/],
    ['batch dim mismatch with shard', 'vector_insert', { shard: 'notes', items: [{ vector: [1, 2] }, { vector: [3, 4] }] }, /dimension/],
    ['text into a plain shard', 'vector_insert', { shard: 'notes', text: 'hello world' }, /plain vector shard.*"embedder":"hash-v1"/],
    ['text in an item', 'vector_insert', { shard: 'notes', items: [{ text: 'hi', vector: vecs[0] }] }, /send texts as 'text'/],
    ['text search on a plain shard', 'vector_search', { shard: 'notes', text: 'hello' }, /plain vector shard/],
    ['vector and items', 'vector_insert', { shard: 'notes', vector: vecs[0], items: [{ vector: vecs[1] }] }, /either/],
    ['neither vector nor items', 'vector_insert', { shard: 'notes' }, /either/],
    ['string component', 'vector_insert', { shard: 'notes', vector: [1, 2, 3, 4, 5, 6, 7, '8'] }, /\[7\]/],
    ['huge component', 'vector_insert', { shard: 'notes', vector: [1e39, 0, 0, 0, 0, 0, 0, 0] }, /float32/],
    ['zero vector under cosine', 'vector_insert', { shard: 'notes', vector: [0, 0, 0, 0, 0, 0, 0, 0] }, /zero/i],
    ['fractional id', 'vector_insert', { shard: 'notes', vector: vecs[0], id: 1.5 }, /integer id/],
    ['id beyond 2^53', 'vector_insert', { shard: 'notes', vector: vecs[0], id: 2 ** 60 }, /2\^53/],
    ['duplicate id', 'vector_insert', { shard: 'notes', vector: vecs[0], id: ids[3] }, /exist/i],
    ['metadata not an object', 'vector_insert', { shard: 'notes', vector: vecs[0], metadata: [1] }, /object/],
    ['unknown argument', 'vector_insert', { shard: 'notes', vector: vecs[0], vectr: 1 }, /unknown argument 'vectr'/],
    ['unknown item key', 'vector_insert', { shard: 'notes', items: [{ vector: vecs[0], meta: {} }] }, /unknown key/],
    ['empty batch', 'vector_insert', { shard: 'notes', items: [] }, /items/],
    ['upsert not boolean', 'vector_insert', { shard: 'notes', vector: vecs[0], upsert: 'yes' }, /true or false/],
    ['missing shard', 'vector_insert', { vector: vecs[0] }, /shard/],
    ['no such shard', 'vector_insert', { shard: 'nope', vector: vecs[0] }, /no shard named 'nope'/],
    ['k = 0', 'vector_search', { shard: 'notes', vector: vecs[0], k: 0 }, /'k'/],
    ['k as a string', 'vector_search', { shard: 'notes', vector: vecs[0], k: '5' }, /'k'/],
    ['threshold as a string', 'vector_search', { shard: 'notes', vector: vecs[0], threshold: 'high' }, /threshold/],
    ['unknown filter operator', 'vector_search', { shard: 'notes', vector: vecs[0], filter: { i: { $regex: 'x' } } }, /\$regex|operator/],
    ['filter not an object', 'vector_search', { shard: 'notes', vector: vecs[0], filter: 'i > 3' }, /filter/],
    ['unknown mode', 'vector_search', { shard: 'notes', vector: vecs[0], mode: 'fuzzy' }, /mode/],
    ['hnsw without an index', 'vector_search', { shard: 'notes', vector: vecs[0], mode: 'hnsw' }, /no HNSW index.*sqlite-vector index/],
    ['ef out of range', 'vector_search', { shard: 'notes', vector: vecs[0], ef: 0 }, /'ef'/],
    ['search wrong dimension', 'vector_search', { shard: 'notes', vector: [1, 2] }, /dimension/],
    ['search without vector', 'vector_search', { shard: 'notes' }, /either 'vector' or 'text'/],
    ['get missing id', 'vector_get', { shard: 'notes', id: 999999 }, /no live row/],
    ['get id as string', 'vector_get', { shard: 'notes', id: '1' }, /integer id/],
    ['stats unknown argument', 'vector_shard_stats', { shard: 'notes', verbose: true }, /unknown argument/],
  ];
  for (const [name, tool, args, re] of bad) {
    r = await call(client, tool, args);
    check(`refused: ${name}`, r.isError === true && re.test(textOf(r)) && r.structuredContent === undefined, textOf(r));
  }
  s = await stats(client, 'notes');
  check('count and version unchanged after bad input', s.count === 50 && s.version === version0, s);

  section('shard names cannot leave the data directory');
  const outside = path.join(tmpRoot, 'outside.shard');
  fs.writeFileSync(outside, 'precious');
  fs.symlinkSync(outside, path.join(dataDir, 'evil.shard'));
  fs.symlinkSync('/etc', path.join(dataDir, 'etc.shard'));
  fs.writeFileSync(path.join(tmpRoot, 'hard.shard'), 'x');
  fs.linkSync(path.join(tmpRoot, 'hard.shard'), path.join(dataDir, 'hard.shard'));
  const names = ['../notes', '/etc/passwd', 'a/b', '..', '.hidden', '', 'x'.repeat(65), 'a..b', 'é', 'nul\u0000', ' notes'];
  for (const n of names) {
    // A NUL inside a string is refused at the JSON-RPC level (-32600).
    let refused;
    try {
      r = await call(client, 'vector_shard_create', { shard: n, dim: 4 });
      refused = r.isError === true;
    } catch (e) {
      refused = e.code === -32600 && n.includes('\u0000');
    }
    check(`name refused: ${JSON.stringify(n)}`, refused, textOf(r));
  }
  check('no file was made for a refused name', fs.readdirSync(dataDir).filter((f) => !/^(notes|l2s|evil|etc|hard)\.shard/.test(f)).length === 0,
    fs.readdirSync(dataDir));
  for (const n of ['evil', 'etc', 'hard']) {
    r = await call(client, 'vector_shard_create', { shard: n, dim: 4 });
    check(`${n}: create through a link refused`, r.isError && /link/.test(textOf(r)), textOf(r));
    r = await call(client, 'vector_shard_stats', { shard: n });
    check(`${n}: stats through a link refused`, r.isError && /link/.test(textOf(r)), textOf(r));
  }
  check('the file outside is untouched', fs.readFileSync(outside, 'utf8') === 'precious');
  check('nothing was created outside', fs.readdirSync(tmpRoot).sort().join(',') === 'data,hard.shard,outside.shard',
    fs.readdirSync(tmpRoot));

  section('get, upsert, delete');
  r = await call(client, 'vector_get', { shard: 'notes', id: ids[7] });
  check('get returns the vector and metadata', !r.isError && r.structuredContent.metadata.tag === 't7' &&
    r.structuredContent.vector.length === DIM &&
    r.structuredContent.vector.every((c, k) => Math.abs(c - vecs[7][k]) < 1e-6), r.structuredContent);
  r = await call(client, 'vector_get', { shard: 'notes', id: ids[7], with_vector: false });
  check('get without the vector', !r.isError && r.structuredContent.vector === undefined);
  r = await call(client, 'vector_insert', { shard: 'notes', vector: vecs[7], id: ids[7], metadata: { tag: 'changed' }, upsert: true });
  check('upsert replaces', !r.isError, textOf(r));
  r = await call(client, 'vector_get', { shard: 'notes', id: ids[7] });
  check('upserted metadata', r.structuredContent?.metadata?.tag === 'changed', r.structuredContent);
  r = await call(client, 'vector_insert', { shard: 'notes', vector: vecs[0], id: 1000, metadata: { tag: 'explicit' } });
  check('insert with explicit id', !r.isError && r.structuredContent.ids[0] === 1000, r);
  r = await call(client, 'vector_delete', { shard: 'notes', id: 1000 });
  check('delete', !r.isError && r.structuredContent.deleted === true, r);
  r = await call(client, 'vector_delete', { shard: 'notes', id: 1000 });
  check('delete again: deleted false', !r.isError && r.structuredContent.deleted === false, r);
  r = await call(client, 'vector_get', { shard: 'notes', id: 1000 });
  check('get after delete fails', r.isError === true);
  r = await call(client, 'vector_delete', { shard: 'notes', id: ids[49] });
  check('delete the last vector', r.structuredContent?.deleted === true);
  s = await stats(client, 'notes');
  check('stats after deletes', s.count === 49 && s.deleted === 2, s);
  r = await call(client, 'vector_search', { shard: 'notes', vector: vecs[49], k: 1 });
  check('a deleted vector is not found', r.structuredContent?.results?.[0]?.id !== ids[49]);

  r = await call(client, 'vector_insert', { shard: 'l2s', items: [{ vector: [0, 0, 0] }, { vector: [1, 1, 1] }, { vector: [5, 5, 5] }] });
  r = await call(client, 'vector_search', { shard: 'l2s', vector: [0.9, 1, 1.1], k: 3, threshold: 2 });
  check('l2: distances ascending within threshold', r.structuredContent?.count === 2 &&
    r.structuredContent.results[0].score < r.structuredContent.results[1].score, r.structuredContent);

  section('a shard removed behind the server');
  r = await call(client, 'vector_shard_create', { shard: 'gone', dim: 2 });
  r = await call(client, 'vector_insert', { shard: 'gone', vector: [1, 2] });
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, `gone.shard${suffix}`), { force: true });
  r = await call(client, 'vector_shard_stats', { shard: 'gone' });
  check('a deleted shard file is noticed', r.isError && /no shard named 'gone'/.test(textOf(r)), textOf(r));
  r = await call(client, 'vector_shard_create', { shard: 'gone', dim: 2 });
  check('and can be created afresh', !r.isError && r.structuredContent.created === true, r);
  s = await stats(client, 'gone');
  check('the new shard is empty', s.count === 0, s);
  return { vecs, ids };
}

// Approximate modes once the index exists (built by the CLI, as docs/MCP.md says).
async function annModes(client, server, dataDir, state) {
  const cli = path.join(path.dirname(server), 'sqlite-vector');
  if (!fs.existsSync(cli)) return;
  section('search modes: hnsw, quantized, binary');
  const b = spawnSync(cli, ['index', path.join(dataDir, 'notes.shard'), '--hnsw', '--quantize', 'int8'], { encoding: 'utf8' });
  const b2 = spawnSync(cli, ['index', path.join(dataDir, 'notes.shard'), '--quantize', 'binary'], { encoding: 'utf8' });
  check('index built by the CLI', b.status === 0 && b2.status === 0, b.stderr + b2.stderr);
  for (const [mode, plan, extra] of [['hnsw', 'hnsw', { ef: 32 }], ['quantized', 'quantized-int8', { oversample: 20 }],
    ['binary', 'quantized-binary', {}], ['exact', 'exact', {}], ['auto', 'exact', {}]]) {
    const r = await call(client, 'vector_search', { shard: 'notes', vector: state.vecs[5], k: 3, mode, ...extra });
    check(`mode ${mode}: own vector first, plan ${plan}`, !r.isError && r.structuredContent.mode === plan &&
      r.structuredContent.results[0].id === state.ids[5], r.structuredContent || textOf(r));
  }
  const r = await call(client, 'vector_search', { shard: 'notes', vector: state.vecs[5], k: 5, mode: 'hnsw', filter: { i: { $lt: 20 } } });
  check('hnsw with a filter', !r.isError && r.structuredContent.mode.startsWith('hnsw') &&
    r.structuredContent.results.every((h) => h.metadata.i < 20), r.structuredContent || textOf(r));
}

async function textAndMemory(client) {
  section('text shards: text insert and text search');
  let r = await call(client, 'vector_shard_create', { shard: 'docs', embedder: 'hash-v1' });
  check('text shard created', !r.isError && r.structuredContent.created === true &&
    r.structuredContent.dim === 1024 && r.structuredContent.embedder === 'hash-v1', r.structuredContent);
  const docs = ['SQLite keeps each table in a B-tree', 'Cats chase mice in the barn at night',
    'QUIC runs over UDP with TLS 1.3', 'Vectors are compared by cosine similarity'];
  r = await call(client, 'vector_insert', { shard: 'docs', text: docs, metadata: { src: 'doc' } });
  check('text batch insert', !r.isError && r.structuredContent.count === 4, r);
  r = await call(client, 'vector_insert', { shard: 'docs', text: 'A single note about B-tree pages' });
  check('single text insert', !r.isError && r.structuredContent.count === 1, r);
  r = await call(client, 'vector_search', { shard: 'docs', text: 'mice and cats', k: 2 });
  const top = r.structuredContent?.results?.[0];
  check('text search finds the text', !r.isError && /Cats chase mice/.test(top?.text) && top.metadata.src === 'doc', r.structuredContent);
  r = await call(client, 'vector_search', { shard: 'docs', text: 'btree', k: 5, filter: { src: 'doc' } });
  check('text search with a filter', !r.isError && r.structuredContent.results.every((h) => h.metadata.src === 'doc'), r.structuredContent);
  let st = await stats(client, 'docs');
  check('stats names the embedder', st.count === 5 && st.embedder === 'hash-v1', st);
  const textBad = [
    ['vector into a text shard', 'vector_insert', { shard: 'docs', vector: [1, 2, 3] }, /text shard \(embedder hash-v1\)/],
    ['text with an id', 'vector_insert', { shard: 'docs', text: 'x', id: 5 }, /only 'metadata'/],
    ['text not a string', 'vector_insert', { shard: 'docs', text: [1] }, /text\[0\]/],
    ['query with both', 'vector_search', { shard: 'docs', text: 'x', vector: [1] }, /either/],
    ['only stopwords', 'vector_search', { shard: 'docs', text: 'the of and' }, /no direction|indexable/],
    ['unknown embedder', 'vector_shard_create', { shard: 'x2', embedder: 'bert' }, /hash-v1/],
    ['text shard over a plain one', 'vector_shard_create', { shard: 'notes', embedder: 'hash-v1' }, /plain vector shard/],
    ['plain shard over a text one', 'vector_shard_create', { shard: 'docs', dim: 1024 }, /text shard/],
    ['text shard of another dim', 'vector_shard_create', { shard: 'docs', embedder: 'hash-v1', dim: 256 }, /dim 1024/],
  ];
  for (const [name, tool, args, re] of textBad) {
    r = await call(client, tool, args);
    check(`refused: ${name}`, r.isError === true && re.test(textOf(r)), textOf(r));
  }
  st = await stats(client, 'docs');
  check('text shard unchanged by bad input', st.count === 5, st);

  section('memory: store, find, outcome, consolidate, context');
  r = await call(client, 'memory_find_patterns', { task: 'anything' });
  check('no memory yet is a clear error', r.isError && /no shard named 'memory'/.test(textOf(r)), textOf(r));
  r = await call(client, 'memory_store_experience', {
    task: 'Fix the flaky SQLite test that fails with SQLITE_BUSY', success: true,
    signals: { duration_ms: 20000, tokens: 3000, iterations: 2 },
    items: [
      { title: 'Set a busy timeout', description: 'Two connections writing need a busy timeout', content: 'Call sqlite3_busy_timeout(db, 5000) on every connection that writes', domain: 'sqlite', tags: ['sqlite', 'locking'] },
      { title: 'Use WAL mode', content: 'journal_mode=WAL lets readers run while one connection writes', domain: 'sqlite' },
    ],
  });
  const stored = r.structuredContent;
  check('store experience creates the default memory', !r.isError && stored.memory === 'memory' && stored.created === true &&
    stored.items.length === 2 && stored.items.every((i) => i.action === 'stored'), stored);
  r = await call(client, 'memory_store_experience', {
    memory: 'team', task: 'Deploy the web app', success: false,
    items: [{ title: 'Check the port before deploy', content: 'The deploy failed because port 8080 was taken; check with ss -ltn', domain: 'web' }],
  });
  check('store into a named memory', !r.isError && r.structuredContent.memory === 'team', r);
  r = await call(client, 'memory_find_patterns', { task: 'SQLITE_BUSY errors when two connections write', k: 2 });
  const pats = r.structuredContent?.patterns || [];
  check('find patterns: the busy-timeout lesson first', !r.isError && pats[0]?.id === stored.items[0].id &&
    pats[0].item.title === 'Set a busy timeout', r.structuredContent);
  r = await call(client, 'memory_find_patterns', { task: 'sqlite locking', domain: 'web' });
  check('find patterns: domain filter', !r.isError && r.structuredContent.patterns.length === 0, r.structuredContent);
  const rel0 = pats[0]?.item?.reliability;
  r = await call(client, 'memory_record_outcome', { id: stored.items[0].id, success: true });
  check('record outcome', !r.isError && r.structuredContent.item.uses === 1 && r.structuredContent.item.successes === 1 &&
    r.structuredContent.item.reliability > rel0, r.structuredContent);
  r = await call(client, 'memory_store_experience', {
    task: 'Fix the flaky SQLite test again', success: true,
    items: [{ title: 'Set a busy timeout', description: 'Two connections writing need a busy timeout', content: 'Call sqlite3_busy_timeout(db, 5000) on every connection that writes', domain: 'sqlite', tags: ['sqlite', 'locking'] }],
  });
  check('a repeated lesson is merged', !r.isError && r.structuredContent.items[0].action === 'merged' &&
    r.structuredContent.items[0].id === stored.items[0].id, r.structuredContent);
  r = await call(client, 'memory_consolidate', {});
  check('consolidate', !r.isError && r.structuredContent.examined >= 2 && Array.isArray(r.structuredContent.actions), r.structuredContent);
  r = await call(client, 'memory_synthesize_context', { task: 'sqlite busy when deploying the web app', memories: ['memory', 'team'], budget: 600 });
  const ctx = r.structuredContent;
  check('synthesize context across memories with provenance', !r.isError && ctx.text.length <= 600 && ctx.bytes <= 600 &&
    ctx.sources.length >= 2 && ctx.sources.some((x) => x.memory === 'team') && ctx.sources.some((x) => x.memory === 'memory') &&
    ctx.sources.every((x) => Number.isInteger(x.id)) &&
    ctx.text.includes('(source: team #') && !ctx.text.includes(tmpRoot) && !ctx.text.includes('.shard'), ctx);
  r = await call(client, 'memory_synthesize_context', { task: 'sqlite', budget: 100 });
  check('context keeps to a small budget', !r.isError && Buffer.byteLength(r.structuredContent.text) <= 100, r.structuredContent);
  const memBad = [
    ['unknown item id', 'memory_record_outcome', { id: 987654, success: true }, /no memory item with id 987654/],
    ['outcome not boolean', 'memory_record_outcome', { id: 1, success: 'yes' }, /true or false/],
    ['memory name with a slash', 'memory_find_patterns', { memory: '../etc', task: 'x' }, /invalid shard name/],
    ['absolute memory name', 'memory_store_experience', { memory: '/tmp/m', task: 't', success: true, items: [{ title: 'a', content: 'b' }] }, /invalid shard name/],
    ['plain shard as memory', 'memory_find_patterns', { memory: 'notes', task: 'x' }, /plain vector shard/],
    ['item without content', 'memory_store_experience', { task: 't', success: true, items: [{ title: 'a' }] }, /no 'content'/],
    ['too many items', 'memory_store_experience', { task: 't', success: true, items: Array(17).fill({ title: 'a', content: 'b' }) }, /1 to 16/],
    ['tags not strings', 'memory_store_experience', { task: 't', success: true, items: [{ title: 'a', content: 'b', tags: [1] }] }, /tags/],
    ['unknown signal', 'memory_store_experience', { task: 't', success: true, items: [{ title: 'a', content: 'b' }], signals: { speed: 1 } }, /unknown key 'speed'/],
    ['context bad name', 'memory_synthesize_context', { task: 'x', memories: ['ok', 'a/b'] }, /invalid shard name|no shard named 'ok'/],
    ['context missing memory', 'memory_synthesize_context', { task: 'x', memories: ['memory', 'nothere'] }, /no shard named 'nothere'/],
    ['context of mixed embedders', 'memory_synthesize_context', { task: 'x', memories: ['memory', 'notes'] }, /plain vector shard/],
    ['context budget too small', 'memory_synthesize_context', { task: 'x', budget: 10 }, /'budget'/],
    ['consolidate bad threshold', 'memory_consolidate', { dup_threshold: 1.5 }, /dup_threshold/],
  ];
  const before = (await call(client, 'vector_shard_stats', { shard: 'memory' })).structuredContent;
  for (const [name, tool, args, re] of memBad) {
    r = await call(client, tool, args);
    check(`refused: ${name}`, r.isError === true && re.test(textOf(r)), textOf(r));
  }
  const after = (await call(client, 'vector_shard_stats', { shard: 'memory' })).structuredContent;
  check('memory unchanged by bad input', after.count === before.count && after.version === before.version, { before, after });
  return { busyId: stored.items[0].id };
}

async function syncShards(client) {
  section('sync two shards of the data directory');
  await call(client, 'vector_shard_create', { shard: 'left', dim: 4 });
  await call(client, 'vector_shard_create', { shard: 'right', dim: 4 });
  await call(client, 'vector_insert', { shard: 'left', items: [1, 2, 3].map((i) => ({ vector: unitVector(4, i), id: i, metadata: { side: 'left' } })) });
  await call(client, 'vector_insert', { shard: 'right', items: [{ vector: unitVector(4, 9), id: 9 }] });
  let r = await call(client, 'vector_sync_shard', { shard: 'left', peer_shard: 'right' });
  check('sync both ways', !r.isError && r.structuredContent.transport === 'local' && r.structuredContent.rows_sent === 3 &&
    r.structuredContent.rows_applied === 1 && r.structuredContent.count === 4, r.structuredContent);
  let s = await stats(client, 'right');
  check('the peer shard has every row', s.count === 4, s);
  r = await call(client, 'vector_search', { shard: 'right', vector: unitVector(4, 2), k: 1 });
  check('a synced row is searchable with its metadata', r.structuredContent?.results?.[0]?.id === 2 &&
    r.structuredContent.results[0].metadata.side === 'left', r.structuredContent);
  await call(client, 'vector_delete', { shard: 'right', id: 1 });
  r = await call(client, 'vector_sync_shard', { shard: 'left', peer_shard: 'right', direction: 'push' });
  check('push sends nothing new and takes nothing', !r.isError && r.structuredContent.rows_received === 0 && r.structuredContent.count === 4, r.structuredContent);
  r = await call(client, 'vector_sync_shard', { shard: 'left', peer_shard: 'right', direction: 'pull' });
  check('pull brings the delete', !r.isError && r.structuredContent.count === 3, r.structuredContent);
  const syncBad = [
    ['peer of another dimension', { shard: 'left', peer_shard: 'notes' }, /sync failed/],
    ['peer is itself', { shard: 'left', peer_shard: 'left' }, /another shard/],
    ['peer name escapes', { shard: 'left', peer_shard: '../right' }, /invalid shard name/],
    ['text shard', { shard: 'docs', peer_shard: 'left' }, /text shard/],
    ['remote without credentials', { shard: 'left', peer: '127.0.0.1:9' }, /not configured.*--sync-identity/],
    ['both peers', { shard: 'left', peer: '127.0.0.1:9', peer_shard: 'right' }, /either/],
    ['bad direction', { shard: 'left', peer_shard: 'right', direction: 'sideways' }, /direction/],
    ['no such peer', { shard: 'left', peer_shard: 'nowhere' }, /no shard named 'nowhere'/],
  ];
  for (const [name, args, re] of syncBad) {
    r = await call(client, 'vector_sync_shard', args);
    check(`refused: sync ${name}`, r.isError === true && re.test(textOf(r)), textOf(r));
  }
  s = await stats(client, 'left');
  check('refused syncs changed nothing', s.count === 3, s);
}

// A remote peer on loopback: `sqlite-vector sync serve` with its own identity,
// and the MCP server started with --sync-identity / --sync-allow.
async function remoteSync(server, dataDir) {
  const cli = path.join(path.dirname(server), 'sqlite-vector');
  if (!fs.existsSync(cli)) {
    console.log('-- remote sync skipped (no sqlite-vector CLI next to the server)');
    return;
  }
  section('sync with a remote peer over QUIC on loopback');
  const dir = path.join(tmpRoot, 'remote');
  fs.mkdirSync(dir, { recursive: true });
  const keygen = (name) => JSON.parse(spawnSync(cli, ['sync', 'keygen', path.join(dir, name), '--json'], { encoding: 'utf8' }).stdout).fingerprint;
  const fpMcp = keygen('mcp-id');
  const fpPeer = keygen('peer-id');
  const peerShard = path.join(dir, 'peer.shard');
  spawnSync(cli, ['create', peerShard, '--dim', '8'], { encoding: 'utf8' });
  const serve = spawn(cli, ['sync', 'serve', peerShard, '--listen', '127.0.0.1:0', '--identity', path.join(dir, 'peer-id'),
    '--allow', fpMcp, '--sessions', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const address = await new Promise((resolve) => {
    let buf = '';
    serve.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve(JSON.parse(line).address);
    });
    serve.on('close', () => resolve(null));
  });
  check('sync serve listens', typeof address === 'string', address);
  const bad = spawnSync(server, ['--data', dataDir, '--sync-identity', path.join(dir, 'mcp-id')], { input: '', encoding: 'utf8' });
  check('an identity without an allow list stops the server', bad.status === 1 && /--sync-allow/.test(bad.stderr), bad.stderr);
  const client = await connect(server, ['--data', dataDir, '--sync-identity', path.join(dir, 'mcp-id'), '--sync-allow', fpPeer]);
  const r = await call(client, 'vector_sync_shard', { shard: 'notes', peer: address, direction: 'push' });
  check('push to the remote peer', !r.isError && r.structuredContent.transport === 'quic' &&
    r.structuredContent.rows_sent >= 49 && r.structuredContent.peer_fingerprint === fpPeer, r.structuredContent || textOf(r));
  await client.close();
  await new Promise((resolve) => (serve.exitCode !== null ? resolve() : serve.on('close', resolve)));
  const st = spawnSync(cli, ['stats', peerShard, '--json'], { encoding: 'utf8' });
  let count = -1;
  try {
    count = JSON.parse(st.stdout).count;
  } catch {
    /* reported below */
  }
  check('the remote shard received the live rows', count === 49, st.stdout);
}

async function restart(server, dataDir, state) {
  section('restart and find the data again');
  const client = await connect(server, ['--data', dataDir]);
  const s = await stats(client, 'notes');
  check('stats after restart', s.count === 49 && s.deleted === 2, s);
  const r = await call(client, 'vector_search', { shard: 'notes', vector: state.vecs[12], k: 1 });
  const top = r.structuredContent?.results?.[0];
  check('search after restart', top?.id === state.ids[12] && top.metadata.tag === 't12', top);
  const g = await call(client, 'vector_get', { shard: 'notes', id: state.ids[7] });
  check('upsert survived the restart', g.structuredContent?.metadata?.tag === 'changed');
  const m = await call(client, 'memory_find_patterns', { task: 'SQLITE_BUSY when two connections write' });
  const p = m.structuredContent?.patterns?.[0];
  check('memory found again after restart', p?.id === state.busyId && p.item.uses === 1 && p.item.evidence >= 2, p);
  const t = await call(client, 'vector_search', { shard: 'docs', text: 'cats in the barn', k: 1 });
  check('text shard searchable after restart', /Cats chase mice/.test(t.structuredContent?.results?.[0]?.text), t.structuredContent);
  const sy = await stats(client, 'right');
  check('synced shard after restart', sy.count === 3, sy);

  section('two servers on one data directory');
  const other = await connect(server, ['--data', dataDir]);
  await call(other, 'vector_search', { shard: 'notes', vector: state.vecs[0], k: 1 }); // loads its mirror
  const ins = await call(client, 'vector_insert', { shard: 'notes', vector: state.vecs[49], metadata: { tag: 'shared' } });
  const seen = await call(other, 'vector_search', { shard: 'notes', vector: state.vecs[49], k: 1 });
  check('a write of one server is found by the other', !ins.isError &&
    seen.structuredContent?.results?.[0]?.id === ins.structuredContent.ids[0], seen.structuredContent);
  const d = await call(other, 'vector_delete', { shard: 'notes', id: ins.structuredContent.ids[0] });
  const s2 = await stats(client, 'notes');
  check('and the other way round', d.structuredContent?.deleted === true && s2.count === 49, s2);
  await other.close();
  await client.close();
}

// ---- Raw protocol checks -------------------------------------------------

// Run the server on `lines` (strings, sent as they are, each followed by a
// newline) and return every stdout line parsed, the exit code and stderr.
function rawSession(server, args, lines, cwd = undefined) {
  return new Promise((resolve) => {
    const child = spawn(server, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd });
    let out = Buffer.alloc(0);
    let err = '';
    const t0 = Date.now();
    child.stdout.on('data', (d) => (out = Buffer.concat([out, d])));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      const text = out.toString('utf8');
      const raw = text.split('\n');
      const last = raw.pop();
      const parsed = [];
      let pure = last === '' && Buffer.from(text, 'utf8').equals(out);
      for (const l of raw) {
        try {
          const m = JSON.parse(l);
          if (m === null || typeof m !== 'object' || m.jsonrpc !== '2.0') pure = false;
          parsed.push(m);
        } catch {
          pure = false;
        }
      }
      resolve({ replies: parsed, pure, code, signal, stderr: err, ms: Date.now() - t0 });
    });
    for (const l of lines) child.stdin.write(Buffer.isBuffer(l) ? Buffer.concat([l, Buffer.from('\n')]) : l + '\n');
    child.stdin.end();
  });
}

const init = (id, version) => JSON.stringify({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

async function protocol(server, dataDir) {
  section('protocol (raw stdio)');
  const req = (id, method, params) => JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
  const lines = [
    init(1, '2025-11-25'),
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    req(2, 'ping'),
    '{"jsonrpc":"2.0","id":3,"method":"tools/list"',            // truncated JSON
    'not json at all',
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),          // invalid UTF-8
    '[{"jsonrpc":"2.0","id":4,"method":"ping"}]',                 // batch
    '"just a string"',
    '{"jsonrpc":"1.0","id":5,"method":"ping"}',
    '{"id":6,"method":"ping"}',
    '{"jsonrpc":"2.0","id":null,"method":"ping"}',
    '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}',
    '{"jsonrpc":"2.0","id":7,"method":42}',
    '{"jsonrpc":"2.0","id":8,"method":"tools/list","params":"x"}',
    '{"jsonrpc":"2.0","id":9,"method":"tools/list","params":[1]}',
    req('abc', 'no/such/method'),
    req(9007199254740991, 'also/unknown'),
    req(10, 'tools/call', { arguments: {} }),
    req(11, 'tools/call', { name: 42 }),
    req(12, 'tools/call', { name: 'no_such_tool', arguments: {} }),
    req(13, 'tools/call', { name: 'vector_shard_stats', arguments: [1] }),
    req(14, 'initialize', {}),
    '{"jsonrpc":"2.0","id":15,"id":16,"method":"ping"}',          // repeated key
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/whatever', params: { a: 1 } }),
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } }),
    JSON.stringify({ jsonrpc: '2.0', method: 'tools/list' }),     // a request without id is a notification
    JSON.stringify({ jsonrpc: '2.0', id: 99, result: {} }),       // a response: ignored
    '',
    '   ',
    req(17, 'tools/list', { cursor: 'bogus' }),
    req('last', 'ping'),
    req(18, 'server/discover'),
    '{"jsonrpc":"2.0","id":19,"method":"ping","params":{"x":01}}',     // not a JSON number
    '{"jsonrpc":"2.0","id":20,"method":"ping","params":{"x":1e400}}',  // no double
    req(0.25, 'ping'),
  ];
  const r = await rawSession(server, ['--data', dataDir, '--log-level', 'debug'], lines);
  check('stdout carries only JSON-RPC lines', r.pure, r.replies);
  check('exit 0 at end of input', r.code === 0 && r.signal === null, { code: r.code, signal: r.signal, stderr: r.stderr.slice(-2000) });
  check('exits promptly at end of input', r.ms < 5000, r.ms);
  check('logs went to stderr', /sqlite-vector-mcp: info/.test(r.stderr));
  const byId = new Map();
  const nullIds = [];
  for (const m of r.replies) {
    if (m.id === null) nullIds.push(m);
    else byId.set(typeof m.id === 'string' ? `s:${m.id}` : m.id, m);
  }
  const err = (id) => byId.get(id)?.error?.code;
  check('initialize 2025-11-25', byId.get(1)?.result?.protocolVersion === '2025-11-25', byId.get(1));
  check('initialize: capabilities.tools and serverInfo', byId.get(1)?.result?.capabilities?.tools !== undefined &&
    byId.get(1)?.result?.serverInfo?.name === 'sqlite-vector-mcp');
  check('ping -> {}', JSON.stringify(byId.get(2)?.result) === '{}', byId.get(2));
  check('parse errors (-32700, id null)', nullIds.filter((m) => m.error?.code === -32700).length === 4, nullIds);
  check('a number beyond a double -> -32600', err(20) === -32600);
  check('a fractional id is echoed', JSON.stringify(byId.get(0.25)?.result) === '{}');
  check('batch and non-object -> -32600 id null', nullIds.filter((m) => m.error?.code === -32600).length === 4, nullIds);
  check('jsonrpc 1.0 -> -32600', err(5) === -32600);
  check('missing jsonrpc -> -32600', err(6) === -32600);
  check('method not a string -> -32600', err(7) === -32600);
  check('params a string -> -32602', err(8) === -32602);
  check('params an array -> -32602', err(9) === -32602);
  check('unknown method -> -32601 with string id echoed', err('s:abc') === -32601);
  check('large numeric id echoed exactly', err(9007199254740991) === -32601);
  check('tools/call without name -> -32602', err(10) === -32602);
  check('tools/call name not a string -> -32602', err(11) === -32602);
  check('unknown tool -> -32602', err(12) === -32602 && /no_such_tool/.test(byId.get(12)?.error?.message));
  check('arguments not an object -> -32602', err(13) === -32602);
  check('initialize without protocolVersion -> -32602', err(14) === -32602);
  check('repeated key -> -32600', r.replies.some((m) => m.error?.code === -32600 && (m.id === 15 || m.id === 16)));
  check('bogus cursor -> -32602', err(17) === -32602);
  check('server/discover -> -32601', err(18) === -32601);
  check('server alive after every bad message', JSON.stringify(byId.get('s:last')?.result) === '{}');
  check('no reply to notifications, responses or blank lines', !byId.has(99) && r.replies.length === 28, r.replies.length);

  section('mutated messages');
  // 400 corruptions of valid requests (truncated, bytes changed or inserted, including
  // newlines' neighbours and invalid UTF-8): the server must stay up, keep stdout pure,
  // answer the final ping and exit 0.  Under the ASan build this doubles as a fuzz run.
  const seeds = [init(1, '2025-11-25'), req(2, 'tools/list'),
    req(3, 'tools/call', { name: 'vector_search', arguments: { shard: 'notes', vector: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], k: 3, filter: { group: { $in: [1, 2] } } } }),
    req(4, 'tools/call', { name: 'vector_insert', arguments: { shard: 'fuzz', items: [{ vector: [1, 2], metadata: { a: [1, { b: 'c' }] } }] } }),
    req(5, 'tools/call', { name: 'vector_shard_create', arguments: { shard: 'fuzz', dim: 2 } })];
  let x = 7;
  const rand = (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const junk = [];
  for (let i = 0; i < 400; i++) {
    const b = Buffer.from(seeds[rand(seeds.length)]);
    const kind = rand(3);
    let m;
    if (kind === 0) m = b.subarray(0, rand(b.length));
    else if (kind === 1) {
      m = Buffer.from(b);
      for (let k = 0; k < 1 + rand(4); k++) m[rand(m.length)] = [0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x5c, 0xff, 0x30, 0x2d, 0x65][rand(12)];
    } else {
      const at = rand(b.length);
      m = Buffer.concat([b.subarray(0, at), Buffer.from(['"', '\\u0000', '1e999', '{', ']', '-', '\u00e9'][rand(7)]), b.subarray(at)]);
    }
    junk.push(Buffer.from(m.toString('latin1').replace(/\n/g, ' '), 'latin1'));
  }
  junk.push(req('end', 'ping'));
  const f = await rawSession(server, ['--data', dataDir], junk);
  check('mutated: stdout pure', f.pure);
  check('mutated: exit 0', f.code === 0, f.stderr.slice(-2000));
  check('mutated: at most one reply per line', f.replies.length <= junk.length, f.replies.length);
  check('mutated: still answers', f.replies.some((m) => m.id === 'end' && m.result));

  section('version negotiation');
  for (const [asked, want] of [['2024-11-05', '2024-11-05'], ['2025-03-26', '2025-03-26'], ['2025-06-18', '2025-06-18'],
    ['2025-11-25', '2025-11-25'], ['2099-01-01', '2025-11-25'], ['garbage', '2025-11-25']]) {
    const s = await rawSession(server, ['--data', dataDir], [init(1, asked), req(2, 'tools/list'),
      req(3, 'tools/call', { name: 'vector_shard_stats', arguments: { shard: 'notes' } })]);
    const [i, l, c] = s.replies;
    check(`initialize ${asked} -> ${want}`, i?.result?.protocolVersion === want, i);
    const structured = want >= '2025-06-18';
    check(`${asked}: outputSchema ${structured ? 'present' : 'absent'}`,
      l?.result?.tools?.every((t) => (t.outputSchema !== undefined) === structured), l?.result?.tools?.[0]);
    check(`${asked}: structuredContent ${structured ? 'present' : 'absent'}`,
      (c?.result?.structuredContent !== undefined) === structured && JSON.parse(c?.result?.content?.[0]?.text).count === 49, c);
    check(`${asked}: annotations only from 2025-03-26`,
      l?.result?.tools?.every((t) => (t.annotations !== undefined) === (want >= '2025-03-26')));
  }

  section('SIGTERM');
  {
    const child = spawn(server, ['--data', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const replied = new Promise((resolve) => child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"id":2')) resolve();
    }));
    child.stdin.write(init(1, '2025-11-25') + '\n' + req(2, 'tools/call', { name: 'vector_insert', arguments: { shard: 'notes', vector: [1, 0, 0, 0, 0, 0, 0, 0], id: 777 } }) + '\n');
    await replied;
    child.kill('SIGTERM');
    const e = await exited;
    check('SIGTERM: clean exit 0', e.code === 0 && e.signal === null, e);
    check('SIGTERM: shards closed (WAL checkpointed and removed)', !fs.existsSync(path.join(dataDir, 'notes.shard-wal')));
    const g = await rawSession(server, ['--data', dataDir], [req(1, 'tools/call', { name: 'vector_delete', arguments: { shard: 'notes', id: 777 } })]);
    check('SIGTERM: the write before it is there', g.replies[0]?.result?.structuredContent?.deleted === true, g.replies);
  }

  section('command line');
  let p = spawnSync(server, ['--help'], { encoding: 'utf8' });
  check('--help exits 0 and names --data', p.status === 0 && /--data DIR/.test(p.stdout));
  p = spawnSync(server, ['--version'], { encoding: 'utf8' });
  check('--version', p.status === 0 && /^sqlite-vector-mcp \d+\.\d+\.\d+/.test(p.stdout));
  p = spawnSync(server, ['--bogus'], { encoding: 'utf8', input: '' });
  check('unknown option exits 2, nothing on stdout', p.status === 2 && p.stdout === '' && /unknown option/.test(p.stderr));
  p = spawnSync(server, ['--data'], { encoding: 'utf8', input: '' });
  check('--data without value exits 2', p.status === 2 && p.stdout === '');
  p = spawnSync(server, ['--data', '/proc/no/such/place'], { encoding: 'utf8', input: '' });
  check('unusable data dir exits 1 with a message', p.status === 1 && p.stdout === '' && /data directory/.test(p.stderr), p.stderr);
  const envDir = path.join(tmpRoot, 'envdata');
  p = spawnSync(server, [], { encoding: 'utf8', input: init(1, '2025-11-25') + '\n' + req(2, 'tools/call', { name: 'vector_shard_create', arguments: { shard: 'e', dim: 2 } }) + '\n', env: { ...process.env, SQLITE_VECTOR_MCP_DATA: envDir } });
  check('SQLITE_VECTOR_MCP_DATA is the default data dir', p.status === 0 && fs.existsSync(path.join(envDir, 'e.shard')), p.stderr);
  const xdg = path.join(tmpRoot, 'xdg');
  p = spawnSync(server, [], { encoding: 'utf8', input: '', env: { PATH: process.env.PATH, HOME: tmpRoot, XDG_DATA_HOME: xdg } });
  check('XDG_DATA_HOME/sqlite-vector-mcp otherwise', p.status === 0 && fs.statSync(path.join(xdg, 'sqlite-vector-mcp')).isDirectory());
  p = spawnSync(server, [], { encoding: 'utf8', input: '', env: { PATH: process.env.PATH, HOME: tmpRoot } });
  check('~/.local/share/sqlite-vector-mcp last', p.status === 0 && fs.existsSync(path.join(tmpRoot, '.local/share/sqlite-vector-mcp')));
}

// ---- Inspector CLI ---------------------------------------------------------

function inspector(server, dataDir) {
  section('inspector-cli --method tools/list');
  // inspector-cli 1.0.3 looks for ../package.json relative to the current
  // directory; node_modules/ has tests/mcp/package.json as its parent.
  const cli = path.join(HERE, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build', 'cli.js');
  const p = spawnSync(process.execPath, [cli, '--cli', '-e', `SQLITE_VECTOR_MCP_DATA=${dataDir}`, path.resolve(server), '--method', 'tools/list'],
    { cwd: path.join(HERE, 'node_modules'), encoding: 'utf8', timeout: 60000 });
  let tools = [];
  try {
    tools = JSON.parse(p.stdout).tools;
  } catch {
    /* reported below */
  }
  check('inspector-cli lists the twelve tools', p.status === 0 && tools.length === TOOL_NAMES.length, { status: p.status, out: p.stdout.slice(0, 500), err: p.stderr.slice(-1000) });
}

// ---- Smoke run (npm tarball) ---------------------------------------------------

async function smoke(command, args) {
  section(`smoke: ${command} ${args.join(' ')}`);
  const cwd = process.env.SV_MCP_SMOKE_CWD || undefined;
  const dataDir = path.join(tmpRoot, 'smoke');
  const raw = await rawSession(command, [...args, '--data', dataDir],
    [init(1, '2025-11-25'), JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })], cwd);
  check('smoke: stdout through the launcher is pure JSON-RPC', raw.pure && raw.replies.length === 2, raw);
  check('smoke: launcher exits 0 at end of input', raw.code === 0, raw.stderr);
  let client = await connect(command, [...args, '--data', dataDir], {}, cwd);
  const { tools } = await client.listTools();
  check('smoke: tools listed', tools.length === TOOL_NAMES.length, tools.length);
  let r = await call(client, 'vector_shard_create', { shard: 's', dim: 3 });
  check('smoke: create', !r.isError, r);
  r = await call(client, 'vector_insert', { shard: 's', vector: [1, 2, 3], metadata: { k: 'v' } });
  check('smoke: insert', !r.isError, r);
  await client.close();
  client = await connect(command, [...args, '--data', dataDir], {}, cwd);
  r = await call(client, 'vector_search', { shard: 's', vector: [1, 2, 3], k: 1 });
  check('smoke: search after restart', r.structuredContent?.results?.[0]?.metadata?.k === 'v', r);
  r = await call(client, 'memory_store_experience', { task: 'smoke', success: true, items: [{ title: 'Smoke test', content: 'the launcher answers' }] });
  check('smoke: memory store', !r.isError && r.structuredContent.items[0].action === 'stored', r);
  r = await call(client, 'memory_find_patterns', { task: 'smoke test launcher' });
  check('smoke: memory find', r.structuredContent?.patterns?.length === 1, r);
  await client.close();
}

// ---- Main --------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  try {
    if (argv[0] === '--smoke') {
      await smoke(argv[1], argv.slice(2));
    } else {
      const server = path.resolve(argv[0] || 'build/release/sqlite-vector-mcp');
      const dataDir = path.join(tmpRoot, 'data');
      const client = await connect(server, ['--data', dataDir]);
      check('serverInfo', client.getServerVersion()?.name === 'sqlite-vector-mcp');
      check('tools capability', client.getServerCapabilities()?.tools !== undefined);
      await client.ping();
      await schemaChecks(client);
      const state = await scenario(client, dataDir);
      await annModes(client, server, dataDir, state);
      Object.assign(state, await textAndMemory(client));
      await syncShards(client);
      const stderr = client.stderrText();
      await client.close();
      check('no warnings or errors on stderr at default level', stderr === '', stderr);
      await restart(server, dataDir, state);
      await remoteSync(server, dataDir);
      await protocol(server, dataDir);
      if (!process.env.SV_MCP_SKIP_INSPECTOR) inspector(server, dataDir);
    }
  } catch (e) {
    check('suite ran to the end', false, String(e && e.stack ? e.stack : e));
  }
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  console.log(`test_mcp: ${passed} passed, ${failed} failed`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
