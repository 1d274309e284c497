// ES-module entry for Node: the CommonJS build, re-exported (emscripten
// 3.1.6's ES-module glue cannot run under Node).
import { createRequire } from 'node:module';

const api = createRequire(import.meta.url)('./index.cjs');
export const VectorShard = api.VectorShard;
export const backend = api.backend;
export const ready = api.ready;
export default api;
