// ES-module entry: the CommonJS package, re-exported.
import { createRequire } from 'node:module';

const api = createRequire(import.meta.url)('./index.js');
export const VectorShard = api.VectorShard;
export const backend = api.backend;
export const ready = api.ready;
export const fallbackReason = api.fallbackReason;
export default api;
