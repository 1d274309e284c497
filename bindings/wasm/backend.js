/*
 * backend.js — the WebAssembly module as a backend of the VectorShard class.
 *
 * makeBackend(Module) returns the same flat functions the Node-API addon
 * exports (open, close, insert, upsert, delete, get, stats, insertBatch,
 * search, simd), with the same checks and the same error codes, so
 * bindings/js/shard_api.js drives either one.  Arguments are validated
 * here, before anything is allocated, then copied into linear memory
 * (malloc'd by the module, freed in `finally`), and the C calls go through
 * bindings/wasm/wasm_api.c's flat wrappers.  Memory may grow during any
 * call, which replaces the heap views: they are re-read from Module after
 * every call that can allocate, never cached.
 *
 * Handles are small objects {ptr}; a FinalizationRegistry closes shards
 * that are collected without close().  The module is single-threaded, so
 * "async" batch insert and search run to completion inside the call and
 * only their results are delivered as promises.
 *
 * Plain CommonJS; scripts/build-wasm.sh derives the ES module by replacing
 * the last line.
 */
'use strict';

const SV_MAX_DIM = 16384;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

function svError(code, message, type) {
  const e = type ? new TypeError(message) : new Error(message);
  e.code = code;
  return e;
}

function makeBackend(M) {
  const str = (p) => M.UTF8ToString(p);
  const view = () => new DataView(M.HEAPU8.buffer);
  const closer = new FinalizationRegistry((ptr) => M._sv_shard_close(ptr));

  function checkString(s) {
    if (typeof s !== 'string') throw svError('SV_EINVAL', 'expected a string', true);
    if (s.includes('\0')) throw svError('SV_EINVAL', 'string contains a NUL character', true);
  }

  function cstr(s, nullable) {
    if (nullable && (s === null || s === undefined)) return 0;
    checkString(s);
    const n = M.lengthBytesUTF8(s) + 1;
    const p = M._malloc(n);
    if (!p) throw svError('SV_ENOMEM', 'out of memory');
    M.stringToUTF8(s, p, n);
    return p;
  }

  function checkVector(v) {
    if (!(v instanceof Float32Array)) throw svError('SV_EINVAL', 'vector must be a Float32Array', true);
    if (v.length === 0 || v.length > SV_MAX_DIM) {
      throw svError('SV_EDIM', 'vector length must be 1..16384');
    }
    return v.length;
  }

  function floats(arrays, dim) {
    const p = M._malloc(arrays.length * dim * 4 || 4);
    if (!p) throw svError('SV_ENOMEM', 'out of memory');
    arrays.forEach((a, i) => M.HEAPF32.set(a, p / 4 + i * dim));
    return p;
  }

  function checkId(id) {
    if (typeof id === 'bigint') {
      if (id >= -(2n ** 63n) && id < 2n ** 63n) return id;
    } else if (Number.isInteger(id) && Math.abs(id) <= MAX_SAFE) {
      return BigInt(id);
    }
    throw svError('SV_EINVAL', 'id must be an integer Number (|id| < 2^53) or a BigInt', true);
  }

  function checkU32(v) {
    if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
    throw svError('SV_EINVAL', 'expected a non-negative integer', true);
  }

  function shardOf(h) {
    if (h === null || typeof h !== 'object' || !('ptr' in h)) {
      throw svError('SV_EINVAL', 'not a shard handle', true);
    }
    if (h.ptr === 0) throw svError('SV_ECLOSED', 'the shard is closed');
    return h.ptr;
  }

  function fail(ptr, rc) {
    return svError(str(M._sv_errstr(rc)), str(M._sv_errmsg(ptr)));
  }

  /* Runs fn(alloc) and frees everything alloc() registered, always. */
  function scoped(fn) {
    const owned = [];
    try {
      return fn((p) => (owned.push(p), p));
    } finally {
      for (const p of owned) if (p) M._free(p);
    }
  }

  /* Ids come back as Numbers when exact, else as BigInts (like the addon). */
  const num = (b) => (b >= -MAX_SAFE_BIG && b <= MAX_SAFE_BIG ? Number(b) : b);

  return {
    version: '0.1.0',
    simd: () => str(M._sv_simd_backend()),

    open(path, dim, metric, flags) {
      return scoped((own) => {
        const p = own(cstr(path, false));
        checkU32(dim);
        const m = own(cstr(metric, true));
        checkU32(flags);
        const st = own(M._malloc(4));
        const ptr = M._svw_open(p, dim, m, flags & 3, st);
        const rc = view().getInt32(st, true);
        if (rc !== 0) {
          const e = ptr ? fail(ptr, rc)
                        : svError(str(M._sv_errstr(rc)), 'metric must be "cosine", "l2" or "dot"');
          if (ptr) M._sv_shard_close(ptr);
          throw e;
        }
        const h = { ptr };
        closer.register(h, ptr, h);
        return h;
      });
    },

    close(h) {
      if (h === null || typeof h !== 'object' || !('ptr' in h)) {
        throw svError('SV_EINVAL', 'not a shard handle', true);
      }
      if (h.ptr) {
        closer.unregister(h);
        M._sv_shard_close(h.ptr);
        h.ptr = 0;
      }
    },

    insert(h, vec, meta, id) {
      const ptr = shardOf(h);
      const dim = checkVector(vec);
      const hasId = id !== null && id !== undefined;
      const bid = hasId ? checkId(id) : 0n;
      return scoped((own) => {
        const m = own(cstr(meta, true));
        const v = own(floats([vec], dim));
        const out = own(M._malloc(8));
        const rc = hasId ? M._sv_insert_id(ptr, bid, v, dim, m) : M._sv_insert(ptr, v, dim, m, out);
        if (rc !== 0) throw fail(ptr, rc);
        return num(hasId ? bid : view().getBigInt64(out, true));
      });
    },

    upsert(h, id, vec, meta) {
      const ptr = shardOf(h);
      const bid = checkId(id);
      const dim = checkVector(vec);
      return scoped((own) => {
        const m = own(cstr(meta, true));
        const v = own(floats([vec], dim));
        const rc = M._sv_upsert(ptr, bid, v, dim, m);
        if (rc !== 0) throw fail(ptr, rc);
        return num(bid);
      });
    },

    delete(h, id) {
      const ptr = shardOf(h);
      const rc = M._sv_delete(ptr, checkId(id));
      if (rc !== 0 && rc !== 3) throw fail(ptr, rc);
      return rc === 0;
    },

    get(h, id) {
      const ptr = shardOf(h);
      const bid = checkId(id);
      return scoped((own) => {
        const st = own(M._malloc(4));
        const rec = M._svw_get(ptr, bid, st);
        const rc = view().getInt32(st, true);
        if (rc === 3) return null;
        if (rc !== 0) throw fail(ptr, rc);
        try {
          const dim = M._svw_rec_dim(rec);
          const vp = M._svw_rec_vec(rec);
          return {
            id: num(bid),
            vector: M.HEAPF32.slice(vp / 4, vp / 4 + dim),
            metadata: str(M._svw_rec_meta(rec)),
            version: M._svw_rec_version(rec),
            hlc: M._svw_rec_hlc(rec),
            origin: M._svw_rec_origin(rec),
          };
        } finally {
          M._svw_rec_free(rec);
        }
      });
    },

    stats(h) {
      const ptr = shardOf(h);
      return scoped((own) => {
        const st = own(M._malloc(4));
        const js = own(M._svw_stats_json(ptr, st));
        const rc = view().getInt32(st, true);
        if (rc !== 0) throw fail(ptr, rc);
        const o = JSON.parse(str(js));
        o.version = BigInt(o.version);
        o.nodeId = BigInt(o.nodeId);
        return o;
      });
    },

    async insertBatch(h, vectors, metas, ids, upsert) {
      const ptr = shardOf(h);
      if (!Array.isArray(vectors) || (metas !== null && !Array.isArray(metas)) ||
          (ids !== null && !Array.isArray(ids))) {
        throw svError('SV_EINVAL', 'expected an array', true);
      }
      const n = vectors.length;
      if (n === 0 || (metas && metas.length !== n) || (ids && ids.length !== n)) {
        throw svError('SV_EINVAL', 'batch must be non-empty and its arrays of equal length');
      }
      const dim = checkVector(vectors[0]);
      const bids = [];
      vectors.forEach((v, i) => {
        if (checkVector(v) !== dim) {
          throw svError('SV_EDIM', `item ${i}: vector has ${v.length} floats, the batch ${dim}`);
        }
        bids.push(ids && ids[i] !== null && ids[i] !== undefined ? checkId(ids[i]) : null);
        if (metas && metas[i] !== null && metas[i] !== undefined) checkString(metas[i]);
      });
      return scoped((own) => {
        const vp = own(floats(vectors, dim));
        const mp = metas ? own(M._malloc(4 * n)) : 0;
        const ip = own(M._malloc(8 * n));
        const hp = own(M._malloc(n));
        const out = own(M._malloc(8 * n));
        for (let i = 0; i < n; i++) {
          const s = metas ? own(cstr(metas[i], true)) : 0;
          const dv = view();
          if (metas) dv.setUint32(mp + 4 * i, s, true);
          dv.setBigInt64(ip + 8 * i, bids[i] ?? 0n, true);
          dv.setUint8(hp + i, bids[i] === null ? 0 : 1);
        }
        const rc = M._svw_insert_batch(ptr, vp, n, dim, mp, ip, hp, upsert ? 1 : 0, out);
        if (rc !== 0) throw fail(ptr, rc);
        const dv = view();
        const res = new Array(n);
        for (let i = 0; i < n; i++) res[i] = num(dv.getBigInt64(out + 8 * i, true));
        return res;
      });
    },

    async search(h, query, k, threshold, filter, withMeta) {
      const ptr = shardOf(h);
      const dim = checkVector(query);
      checkU32(k);
      const useThr = threshold !== null && threshold !== undefined;
      if (useThr && typeof threshold !== 'number') {
        throw svError('SV_EINVAL', 'threshold must be a number', true);
      }
      return scoped((own) => {
        const f = own(cstr(filter, true));
        const q = own(floats([query], dim));
        const st = own(M._malloc(4));
        const r = M._svw_search(ptr, q, dim, k, useThr ? 1 : 0, useThr ? threshold : 0, f,
                                withMeta ? 1 : 0, st);
        try {
          const rc = view().getInt32(st, true);
          if (rc !== 0) throw fail(ptr, rc);
          const n = M._svw_results_n(r);
          const hits = new Array(n);
          for (let i = 0; i < n; i++) {
            hits[i] = { id: num(M._svw_hit_id(r, i)), score: M._svw_hit_score(r, i) };
            if (withMeta) hits[i].metadata = str(M._svw_hit_meta(r, i));
          }
          return hits;
        } finally {
          M._svw_results_free(r);
        }
      });
    },
  };
}

module.exports = { makeBackend };
