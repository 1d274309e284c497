/*
** kernels_impl.h — how the per-ISA kernel files meet the dispatcher.
**
** Private to src/vec.  Every kernel translation unit defines exactly one of
** the pointers below: the address of its table when the compiler built it
** for its ISA (the file's flags or the target define that), NULL otherwise.
** The dispatcher only reads these pointers — plain data, never code from
** a file compiled for an ISA the CPU may lack — so merely linking every
** backend cannot raise SIGILL; a table is called only after the CPU probe
** says it is safe.  Defining the symbol unconditionally also keeps every
** file a non-empty translation unit on every target.
*/
#ifndef SV_KERNELS_IMPL_H
#define SV_KERNELS_IMPL_H

#include "vec/kernels.h"

extern const sv_kernels *const sv_kernels_table_scalar;
extern const sv_kernels *const sv_kernels_table_sse;
extern const sv_kernels *const sv_kernels_table_avx2;
extern const sv_kernels *const sv_kernels_table_avx512;
extern const sv_kernels *const sv_kernels_table_neon;
extern const sv_kernels *const sv_kernels_table_wasm128;

#endif /* SV_KERNELS_IMPL_H */
