// worker.mjs — the package inside a module Worker: a small shard, one search.
import { VectorShard, ready } from '/pkg/index.mjs';

const info = await ready();
const s = await VectorShard.create_memory(3, { metric: 'l2' });
await s.insertBatch([{ vector: new Float32Array([0, 0, 0]) }, { vector: new Float32Array([5, 5, 5]) }]);
const hits = await s.search(new Float32Array([4, 4, 4]), 1);
await s.close();
postMessage({ backend: info.backend, id: hits[0].id });
