/*
** bigbuf.h — allocation of the large, scanned-end-to-end buffers (arena).
**
** An exact scan reads every byte of the arena once per query, so it runs at
** whatever rate the memory system streams pages.  With 4 KiB pages the
** scan of a 150 MB arena walks ~37,000 TLB entries per query; on Linux
** transparent huge pages (2 MiB) remove most of those misses, which was
** worth ~25 % of scan time here (12.1 ms -> 9.3 ms for 100K x 384).  THP
** is usually in "madvise" mode, so the buffer has to ask for it: it is
** mapped anonymously, aligned to 2 MiB and marked MADV_HUGEPAGE.
**
** Elsewhere (no mmap, the WASM build, SV_NO_MMAP) these are plain
** malloc/realloc/free, so the core never depends on mmap.  Small buffers
** (< 2 MiB) always use malloc: huge pages would only waste memory.
*/
#ifndef SV_UTIL_BIGBUF_H
#define SV_UTIL_BIGBUF_H

#include <stddef.h>

/* Resize the buffer *p of `old_bytes` to `new_bytes`, keeping the first
** min(old, new) bytes.  Returns 0 on success, -1 when out of memory (then
** *p is unchanged and still owned by the caller).  *p == NULL with
** old_bytes == 0 allocates. */
int sv_bigbuf_resize(void **p, size_t old_bytes, size_t new_bytes);

/* Release a buffer from sv_bigbuf_resize (NULL is a no-op); `bytes` must
** be the size it was last given. */
void sv_bigbuf_free(void *p, size_t bytes);

#endif /* SV_UTIL_BIGBUF_H */
