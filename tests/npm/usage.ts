// usage.ts — compiled with `tsc --noEmit` against the installed packages'
// .d.ts files: the documented API must type-check, and misuse must not.
import { VectorShard, backend, ready, fallbackReason, type Hit, type Id } from '@sqlite-vector/core';
import * as wasm from '@sqlite-vector/wasm';

async function main(): Promise<void> {
  const info = await ready();
  const which: 'native' | 'wasm' = backend;
  const shard = await VectorShard.create_memory(4, { metric: 'cosine' });
  const id: Id = await shard.insert(new Float32Array(4), { lang: 'en' });
  const ids: Id[] = await shard.insertBatch([{ vector: new Float32Array(4), id: 7 }], { upsert: true });
  await shard.upsert(id, new Float32Array(4), '{"a":1}');
  const hits: Hit[] = await shard.search(new Float32Array(4), 5, 0.7, { filter: { lang: 'en' } });
  const rec = await shard.get(ids[0]);
  if (rec !== null) console.log(rec.vector.length, rec.metadata, rec.hlc + 1n);
  const st = await shard.stats();
  console.log(info.simd, which, hits[0]?.score, st.count, st.metric, fallbackReason);
  await shard.delete(id);
  await shard.close();
  const f = await wasm.VectorShard.create('notes.shard', 384);
  await f.flush();
  await f.close();
  // @ts-expect-error vectors are Float32Array, not number[]
  await shard.insert([1, 2, 3, 4]);
  // @ts-expect-error unknown metric
  await VectorShard.create_memory(4, { metric: 'manhattan' });
}

void main();
