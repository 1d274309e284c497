/*
 * opfs.mjs — browser persistence of file shards in the Origin Private File
 * System, by whole-file images.
 *
 * Emscripten 3.1.6 has no OPFS file system, and a VFS over sync access
 * handles only runs inside a worker.  So a shard opened by name lives in
 * the module's in-memory file system (MEMFS, under /opfs/), and its bytes
 * move to and from OPFS as whole files: open copies NAME (and NAME-wal, if
 * a previous flush left one) from OPFS into MEMFS; flush() copies both
 * back; close() lets the library checkpoint and truncate the WAL first, so
 * the stored image is one self-contained database file.  Copies happen
 * between calls of a single-threaded module, so they never see a half
 * written transaction.  This works on the page and in workers and needs no
 * cross-origin isolation; the price is memory for the whole shard and a
 * full write per flush.  Outside a browser (no navigator.storage) shards
 * opened by name stay in memory.
 */

const DIR = '/opfs';
const SUFFIXES = ['', '-wal'];

function exists(FS, p) {
  try {
    FS.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function opfsRoot() {
  if (typeof navigator === 'undefined' || !navigator.storage || !navigator.storage.getDirectory) {
    return null;
  }
  return navigator.storage.getDirectory();
}

export function opfsStorage(getModule) {
  return {
    async resolve(p) {
      const FS = getModule().FS;
      const name = encodeURIComponent(p.replace(/^opfs:/, ''));
      const mem = `${DIR}/${name}`;
      if (!exists(FS, DIR)) FS.mkdir(DIR);
      const root = await opfsRoot();
      if (root === null) return { path: mem, persist: null };
      /* Load only when no open handle already has the file in memory. */
      if (!exists(FS, mem)) {
        for (const s of SUFFIXES) {
          let fh = null;
          try {
            fh = await root.getFileHandle(name + s);
          } catch (e) {
            if (e.name !== 'NotFoundError') throw e;
          }
          if (fh) FS.writeFile(mem + s, new Uint8Array(await (await fh.getFile()).arrayBuffer()));
        }
      }
      let closed = false;
      async function persist(closing) {
        if (closed) return;
        for (const s of SUFFIXES) {
          const f = mem + s;
          if (exists(FS, f) && FS.stat(f).size > 0) {
            const fh = await root.getFileHandle(name + s, { create: true });
            const w = await fh.createWritable();
            await w.write(FS.readFile(f));
            await w.close();
          } else if (s !== '') {
            await root.removeEntry(name + s).catch(() => {});
          }
        }
        if (closing) {
          closed = true;
          for (const s of [...SUFFIXES, '-shm', '-journal']) {
            if (exists(FS, mem + s)) FS.unlink(mem + s);
          }
        }
      }
      return { path: mem, persist };
    },
  };
}
