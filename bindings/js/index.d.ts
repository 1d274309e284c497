// Types of the VectorShard API shared by @sqlite-vector/core (native addon or
// WebAssembly fallback) and @sqlite-vector/wasm.

export type Metric = 'cosine' | 'l2' | 'dot';

/** Metadata is a JSON object; it may be given as an object or as JSON text. */
export type Metadata = { [key: string]: unknown };

/** Errors are `Error`s (or `TypeError`s for wrong argument types) with a code. */
export type ErrorCode =
  | 'SV_EINVAL' | 'SV_EDIM' | 'SV_ENOTFOUND' | 'SV_EIO' | 'SV_ENOMEM' | 'SV_EEXIST'
  | 'SV_EFORMAT' | 'SV_EBUSY' | 'SV_EJSON' | 'SV_EREADONLY' | 'SV_EINTERNAL' | 'SV_ECLOSED';

export interface VectorShardError extends Error {
  code: ErrorCode;
}

export interface CreateOptions {
  /** Default "cosine". */
  metric?: Metric;
}

export interface OpenOptions {
  readonly?: boolean;
  /** When given, must match the file. */
  dim?: number;
  metric?: Metric;
}

export interface Item {
  vector: Float32Array;
  metadata?: Metadata | string | null;
  /** Caller-chosen id; a new id is assigned when absent. */
  id?: number | bigint | null;
}

/** Structured filter: {"field": value} or {"field": {"$gte": 1, "$in": [...]}}, ANDed. */
export type Filter = { [path: string]: unknown };

export interface SearchOptions {
  filter?: Filter | string | null;
  /** Default true. */
  withMetadata?: boolean;
}

/** Ids are Numbers; an id beyond 2^53 comes back as a BigInt. */
export type Id = number | bigint;

export interface Hit {
  id: Id;
  /** Cosine similarity, dot product (both descending) or L2 distance (ascending). */
  score: number;
  metadata?: Metadata;
}

export interface VectorRecord {
  id: Id;
  vector: Float32Array;
  metadata: Metadata;
  version: bigint;
  hlc: bigint;
  origin: bigint;
}

export interface Stats {
  count: number;
  deleted: number;
  dim: number;
  metric: Metric;
  fileSize: number;
  formatVersion: number;
  version: bigint;
  nodeId: bigint;
  shardId: string;
  /** SIMD kernels in use: "avx2", "wasm128", ... */
  simd: string;
}

export declare class VectorShard {
  private constructor();
  readonly path: string;
  readonly backend: 'native' | 'wasm';
  /** Create the shard file (or open it when it exists). In browsers the name is kept in OPFS. */
  static create(path: string, dim: number, opts?: CreateOptions): Promise<VectorShard>;
  static open(path: string, opts?: OpenOptions): Promise<VectorShard>;
  static create_memory(dim: number, opts?: CreateOptions): Promise<VectorShard>;
  static createMemory(dim: number, opts?: CreateOptions): Promise<VectorShard>;
  insert(vector: Float32Array, metadata?: Metadata | string | null,
         opts?: { id?: number | bigint }): Promise<Id>;
  /** One transaction: all items are stored, or none. Resolves to their ids. */
  insertBatch(items: Item[], opts?: { upsert?: boolean }): Promise<Id[]>;
  upsert(id: number | bigint, vector: Float32Array, metadata?: Metadata | string | null): Promise<Id>;
  /** true when a live row was deleted. */
  delete(id: number | bigint): Promise<boolean>;
  get(id: number | bigint): Promise<VectorRecord | null>;
  /** threshold: minimum score (cosine, dot) or maximum distance (l2). */
  search(query: Float32Array, k?: number, threshold?: number | null,
         opts?: SearchOptions): Promise<Hit[]>;
  stats(): Promise<Stats>;
  /** Store a persistent (browser OPFS) shard now; a no-op for file and memory shards. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadyInfo {
  backend: 'native' | 'wasm';
  simd: string;
  version: string;
}

/** The backend in use. */
export declare const backend: 'native' | 'wasm';
/** Loads the backend (compiles the WebAssembly module when needed). */
export declare function ready(): Promise<ReadyInfo>;
/** @sqlite-vector/core only: why the native addon was not used (null when it was). */
export declare const fallbackReason: string | null | undefined;
