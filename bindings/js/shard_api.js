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

function makeApi(native, backendName) {
  class VectorShard {
    constructor(handle, path) {
      this._h = handle;
      this.path = path;
      this.backend = backendName;
      Object.freeze(this);
    }

    /* Create (or open, when it exists) the shard file at `path`. */
    static async create(path, dim, opts) {
      const o = options(opts);
      return new VectorShard(native.open(path, dim, o.metric ?? null, OPEN_CREATE), path);
    }

    /* Open an existing shard; dim and metric come from the file. */
    static async open(path, opts) {
      const o = options(opts);
      const flags = o.readonly ? OPEN_READONLY : 0;
      return new VectorShard(native.open(path, o.dim ?? 0, o.metric ?? null, flags), path);
    }

    static async create_memory(dim, opts) {
      const o = options(opts);
      return new VectorShard(native.open(':memory:', dim, o.metric ?? null, OPEN_CREATE), ':memory:');
    }

    static async createMemory(dim, opts) {
      return VectorShard.create_memory(dim, opts);
    }

    async insert(vector, metadata, opts) {
      const o = options(opts);
      return native.insert(this._h, vector, metaText(metadata), o.id ?? null);
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
      return native.insertBatch(this._h, vectors, metas, anyId ? ids : null, !!o.upsert);
    }

    async upsert(id, vector, metadata) {
      return native.upsert(this._h, id, vector, metaText(metadata));
    }

    /* true when a live row was deleted, false when there was none. */
    async delete(id) {
      return native.delete(this._h, id);
    }

    async get(id) {
      const r = native.get(this._h, id);
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
      const hits = await native.search(this._h, query, k ?? 10, threshold ?? null,
                                       filterText(o.filter), withMeta);
      if (withMeta) for (const h of hits) h.metadata = JSON.parse(h.metadata);
      return hits;
    }

    async stats() {
      return native.stats(this._h);
    }

    /* Idempotent; operations in flight finish first. */
    async close() {
      native.close(this._h);
    }
  }

  return {
    VectorShard,
    backend: backendName,
    simd: native.simd(),
    version: native.version,
  };
}

module.exports = { makeApi };
