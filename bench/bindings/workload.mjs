// workload.mjs — the benchmark workload, identical in Node and in the
// browser: n deterministic pseudo-random dim-D vectors (xorshift32,
// L2-normalised), inserted in batches of 1,000 through insertBatch into an
// in-memory cosine shard, then `queries` top-k searches timed one by one
// after 5 untimed warm-up searches.

export function makeData(n, dim, seed) {
  const data = new Float32Array(n * dim);
  let x = seed >>> 0 || 1;
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const v = x / 4294967296 - 0.5;
      data[r * dim + i] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) data[r * dim + i] /= norm;
  }
  return data;
}

export function row(data, dim, r) {
  return data.subarray(r * dim, (r + 1) * dim);
}

export async function runShard(VectorShard, { n, dim, queries, k }) {
  const base = makeData(n, dim, 12345);
  const qs = makeData(queries, dim, 777);
  const shard = await VectorShard.create_memory(dim, { metric: 'cosine' });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) {
    const items = [];
    for (let r = i; r < Math.min(n, i + 1000); r++) items.push({ vector: row(base, dim, r) });
    await shard.insertBatch(items);
  }
  const insertS = (performance.now() - t0) / 1000;
  for (let i = 0; i < 5; i++) await shard.search(row(qs, dim, i % queries), k, null, { withMetadata: false });
  const times = [];
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    await shard.search(row(qs, dim, i), k, null, { withMetadata: false });
    times.push(performance.now() - t);
  }
  await shard.close();
  return summarize(n, insertS, times);
}

export function summarize(n, insertS, times) {
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    insert_s: +insertS.toFixed(3),
    insert_rows_per_s: Math.round(n / insertS),
    search_mean_ms: +mean.toFixed(3),
    search_p50_ms: +times[Math.floor(times.length / 2)].toFixed(3),
    qps: Math.round(1000 / mean),
  };
}
