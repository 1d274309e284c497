// Emscripten 3.1.6's glue fetch()es the .wasm whenever a global fetch
// exists, which Node 18+ has and which cannot read file paths: hide it.
var fetch = (typeof process === 'object' && process.versions && process.versions.node) ? undefined : globalThis.fetch;
