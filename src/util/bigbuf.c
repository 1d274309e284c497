/*
** bigbuf.c — see bigbuf.h for why the arena wants huge pages.
**
** A buffer's representation follows from its size alone, so the caller
** only has to remember the byte count: below SV_BIGBUF_MIN it is malloc'ed,
** at or above it (on Linux) it is an anonymous mapping rounded up to a
** multiple of 2 MiB and starting on a 2 MiB boundary.  The alignment is
** obtained by over-mapping by 2 MiB and unmapping the unaligned head and
** tail.  Growing a mapping maps a new one and copies: growth is geometric,
** so the copy is amortised, and mremap() would lose the alignment.
*/
#include "util/bigbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__) && !defined(SV_NO_MMAP)
#include <sys/mman.h>
#define SV_BIGBUF_MMAP 1
#endif

#define SV_BIGBUF_HUGE ((size_t)2 << 20)
#define SV_BIGBUF_MIN SV_BIGBUF_HUGE

#ifdef SV_BIGBUF_MMAP
static int is_mapped(size_t bytes) {
  return bytes >= SV_BIGBUF_MIN;
}

static size_t mapped_size(size_t bytes) {
  return (bytes + SV_BIGBUF_HUGE - 1) / SV_BIGBUF_HUGE * SV_BIGBUF_HUGE;
}

/* A 2 MiB-aligned anonymous mapping of mapped_size(bytes), or NULL. */
static void *map_aligned(size_t bytes) {
  size_t size = mapped_size(bytes);
  if (size < bytes || size > SIZE_MAX - SV_BIGBUF_HUGE) return NULL;
  size_t span = size + SV_BIGBUF_HUGE;
  char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)raw + SV_BIGBUF_HUGE - 1) & ~(uintptr_t)(SV_BIGBUF_HUGE - 1);
  char *p = (char *)start;
  size_t head = (size_t)(p - raw), tail = span - head - size;
  if (head) munmap(raw, head);
  if (tail) munmap(p + size, tail);
#ifdef MADV_HUGEPAGE
  /* Advice only: a kernel without THP simply keeps 4 KiB pages. */
  (void)madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}
#endif

int sv_bigbuf_resize(void **p, size_t old_bytes, size_t new_bytes) {
#ifdef SV_BIGBUF_MMAP
  if (is_mapped(old_bytes) || is_mapped(new_bytes)) {
    if (is_mapped(old_bytes) && is_mapped(new_bytes) &&
        mapped_size(old_bytes) == mapped_size(new_bytes))
      return 0;
    void *q = is_mapped(new_bytes) ? map_aligned(new_bytes) : malloc(new_bytes);
    if (!q) return -1;
    size_t keep = old_bytes < new_bytes ? old_bytes : new_bytes;
    if (keep) memcpy(q, *p, keep);
    sv_bigbuf_free(*p, old_bytes);
    *p = q;
    return 0;
  }
#endif
  (void)old_bytes;
  if (new_bytes == 0) {
    free(*p);
    *p = NULL;
    return 0;
  }
  void *q = realloc(*p, new_bytes);
  if (!q) return -1;
  *p = q;
  return 0;
}

void sv_bigbuf_free(void *p, size_t bytes) {
  if (!p) return;
#ifdef SV_BIGBUF_MMAP
  if (is_mapped(bytes)) {
    munmap(p, mapped_size(bytes));
    return;
  }
#endif
  (void)bytes;
  free(p);
}
