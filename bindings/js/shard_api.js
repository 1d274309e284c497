/*
 * shard_api.js — the VectorShard class shared by every backend.
 *
 * A backend (the Node-API addon, or the WebAssembly module wrapped by
 * bindings/wasm/backend.js) exports the same flat functions over an opaque
 * handle: open, close, insert, upsert, delete, get, stats, insertBatch and
 * search.  This file turns them into one class, so the addon and the WASM
 * build cannot drift apart: it converts metadata between objects and JSON
 * text, turns every call into a promise (a synchronous throw becomes a
 * rejection), and checks the arguments the C side cannot see (option
 * objects, metadata that is not an object).  Vectors and ids are checked by
 * the backend, which owns the memory they are copied into.
 *
 * This file is plain CommonJS; the browser build derives an ES module from
 * it by replacing the last line (scripts/build-wasm.sh).
 */
'use strict';

const OPEN_CREATE = 1;
const OPEN_READONLY = 2;

function svError(code, message, type) {
  const e = type ? new TypeError(message) : new Error(message);
  e.code = code;
  return e;
}

function metaText(metadata) {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata === 'string') return metadata;
  if (typeof metadata === 'object' && !Array.isArray(metadata)) return JSON.stringify(metadata);
  throw svError('SV_EJSON', 'metadata must be a plain object or JSON object text', true);
}

function filterText(filter) {
  if (filter === undefined || filter === null) return null;
  if (typeof filter === 'string') return filter;
  if (typeof filter === 'object' && !Array.isArray(filter)) return JSON.stringify(filter);
  throw svError('SV_EJSON', 'filter must be a plain object or JSON object text', true);
}

function options(opts) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw svError('SV_EINVAL', 'options must be an object', true);
  return opts;
}

/*
 * makeApi(backend, name, storage?): `backend` is the flat-function object,
 * or an async function that loads it on first use (the WebAssembly module
 * compiles asynchronously; the static constructors await it, so callers
 * never need a separate init step).  `storage` maps a shard path to where
 * the backend opens it and may persist it after writes (browser OPFS).
 */
function makeApi(backend, backendName, storage) {
  let native = typeof backend === 'function' ? null : backend;
  let loading = null;
  const store = storage || { resolve: async (p) => ({ path: p, persist: null }) };

  async function load() {
    if (native) return native;
    loading = loading || Promise.resolve().then(backend);
    native = await loading;
    return native;
  }

  async function openShard(path, dim, metric, flags) {
    const n = await load();
    if (typeof path !== 'string') throw svError('SV_EINVAL', 'path must be a string', true);
    const where = path === ':memory:' ? { path, persist: null } : await store.resolve(path);
    return new VectorShard(n, n.open(where.path, dim, metric, flags), path, where.persist);
  }

  class VectorShard {
    constructor(n, handle, path, persist) {
      this._n = n;
      this._h = handle;
      this._persist = persist;
      this.path = path;
      this.backend = backendName;
      Object.freeze(this);
    }

    /* Create (or open, when it exists) the shard file at `path`. */
    static async create(path, dim, opts) {
      const o = options(opts);
      return openShard(path, dim, o.metric ?? null, OPEN_CREATE);
    }

    /* Open an existing shard; dim and metric come from the file. */
    static async open(path, opts) {
      const o = options(opts);
      return openShard(path, o.dim ?? 0, o.metric ?? null, o.readonly ? OPEN_READONLY : 0);
    }

    static async create_memory(dim, opts) {
      const o = options(opts);
      return openShard(':memory:', dim, o.metric ?? null, OPEN_CREATE);
    }

    static async createMemory(dim, opts) {
      return VectorShard.create_memory(dim, opts);
    }

    async insert(vector, metadata, opts) {
      const o = options(opts);
      return this._n.insert(this._h, vector, metaText(metadata), o.id ?? null);
    }

    /* items: [{vector, metadata?, id?}]; one transaction, all or nothing. */
    async insertBatch(items, opts) {
      const o = options(opts);
      if (!Array.isArray(items)) throw svError('SV_EINVAL', 'items must be an array', true);
      const vectors = new Array(items.length);
      const metas = new Array(items.length);
      const ids = new Array(items.length);
      let anyId = false;
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (it === null || typeof it !== 'object') {
          throw svError('SV_EINVAL', `item ${i} must be an object {vector, metadata?, id?}`, true);
        }
        vectors[i] = it.vector;
        metas[i] = metaText(it.metadata);
        ids[i] = it.id ?? null;
        if (ids[i] !== null) anyId = true;
      }
      return this._n.insertBatch(this._h, vectors, metas, anyId ? ids : null, !!o.upsert);
    }

    async upsert(id, vector, metadata) {
      return this._n.upsert(this._h, id, vector, metaText(metadata));
    }

    /* true when a live row was deleted, false when there was none. */
    async delete(id) {
      return this._n.delete(this._h, id);
    }

    async get(id) {
      const r = this._n.get(this._h, id);
      if (r !== null) r.metadata = JSON.parse(r.metadata);
      return r;
    }

    /* Top k by the shard's metric; threshold: minimum score (cosine, dot)
     * or maximum distance (l2).  opts: {filter, withMetadata = true}. */
    async search(query, k, threshold, opts) {
      const o = options(opts);
      if (threshold !== undefined && threshold !== null && typeof threshold !== 'number') {
        throw svError('SV_EINVAL', 'threshold must be a number', true);
      }
      const withMeta = o.withMetadata !== false;
      const hits = await this._n.search(this._h, query, k ?? 10, threshold ?? null,
                                       filterText(o.filter), withMeta);
      if (withMeta) for (const h of hits) h.metadata = JSON.parse(h.metadata);
      return hits;
    }

    async stats() {
      return this._n.stats(this._h);
    }

    /* Write the shard to its persistent store now (browser OPFS); a
     * no-op where the file itself is the store. */
    async flush() {
      if (this._persist) await this._persist(false);
    }

    /* Idempotent; operations in flight finish first.  A persistent shard
     * is written to its store after the close checkpointed it. */
    async close() {
      this._n.close(this._h);
      if (this._persist) await this._persist(true);
    }
  }

  /* Loads the backend; resolves to {backend, simd, version}. */
  async function ready() {
    const n = await load();
    return { backend: backendName, simd: n.simd(), version: n.version };
  }

  return { VectorShard, backend: backendName, ready };
}

module.exports = { makeApi };
