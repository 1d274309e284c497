// page.mjs — runs inside headless Chromium.  Phase "fresh" checks the API
// and writes an OPFS shard; phase "reload" (after a page reload) reopens
// it.  The outcome goes to window.__svResult for the runner to collect.
const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail: detail === undefined ? '' : String(detail) });
}
async function code(p) {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return e.code;
  }
}
function vec(seed, dim) {
  const v = new Float32Array(dim);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < dim; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    v[i] = x / 4294967296 - 0.5;
  }
  return v;
}
function cosine(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
}

async function fresh(api) {
  const { VectorShard } = api;
  const s = await VectorShard.create_memory(32);
  const rows = [];
  const items = [];
  for (let i = 0; i < 200; i++) items.push({ vector: vec(i + 1, 32), metadata: { i, odd: i % 2 === 1 } });
  const ids = await s.insertBatch(items);
  ids.forEach((id, i) => rows.push({ id, v: items[i].vector, odd: i % 2 === 1 }));
  const q = vec(999, 32);
  const want = rows.map((r) => ({ id: r.id, s: cosine(r.v, q), odd: r.odd }))
    .sort((a, b) => b.s - a.s || a.id - b.id);
  const got = await s.search(q, 10);
  check('search equals JS brute force', got.map((h) => h.id).join() === want.slice(0, 10).map((h) => h.id).join());
  const odd = await s.search(q, 5, null, { filter: { odd: true } });
  check('filter', odd.map((h) => h.id).join() === want.filter((h) => h.odd).slice(0, 5).map((h) => h.id).join());
  check('wrong dimension is SV_EDIM', (await code(s.insert(new Float32Array(3)))) === 'SV_EDIM');
  const nan = vec(5, 32);
  nan[3] = NaN;
  check('NaN is SV_EINVAL', (await code(s.search(nan, 3))) === 'SV_EINVAL');
  check('nothing changed', (await s.stats()).count === 200);
  check('simd128 kernels', (await s.stats()).simd === 'wasm128');
  await s.close();
  check('closed shard is SV_ECLOSED', (await code(s.search(q, 1))) === 'SV_ECLOSED');

  const p = await VectorShard.create('persist-test.shard', 32, { metric: 'l2' });
  await p.insertBatch(items.slice(0, 50));
  await p.insert(vec(4242, 32), { marker: 'last' }, { id: 4242 });
  await p.close();
  const root = await navigator.storage.getDirectory();
  const fh = await root.getFileHandle('persist-test.shard');
  check('shard file is in OPFS', (await fh.getFile()).size > 0);

  const worker = new Worker('./worker.mjs', { type: 'module' });
  const msg = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
  });
  worker.terminate();
  check('runs in a module Worker', msg.backend === 'wasm' && msg.id === 2, JSON.stringify(msg));
}

async function reload(api) {
  const s = await api.VectorShard.open('persist-test.shard');
  const st = await s.stats();
  check('reopened after reload: 51 rows', st.count === 51, st.count);
  check('metric kept', st.metric === 'l2', st.metric);
  const hits = await s.search(vec(4242, 32), 1);
  check('search finds the last row', hits[0] && hits[0].id === 4242 && hits[0].metadata.marker === 'last',
        JSON.stringify(hits));
  await s.insert(vec(7, 32), null, { id: 9000 });
  await s.close();
}

(async () => {
  const phase = new URL(location.href).searchParams.get('phase');
  const t0 = performance.now();
  let loadMs = -1;
  try {
    const api = await import('/pkg/index.mjs');
    const info = await api.ready();
    loadMs = performance.now() - t0;
    check('backend is wasm', info.backend === 'wasm');
    if (phase === 'fresh') await fresh(api);
    else await reload(api);
  } catch (e) {
    check('no exception', false, `${e && e.code} ${e && e.stack}`);
  }
  window.__svResult = { phase, loadMs, checks };
})();
