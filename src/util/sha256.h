/*
** sha256.h — SHA-256 (FIPS 180-4), streaming.
**
** The store's content digest needs a collision-resistant hash but the
** store must not depend on a TLS library (the loadable extension carries
** none), so this is a small self-contained implementation written from
** the standard.  It is not constant-time and is not meant for secrets.
*/
#ifndef SV_UTIL_SHA256_H
#define SV_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sv_sha256 {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  size_t fill;    /* bytes waiting in buf */
  uint8_t buf[64];
} sv_sha256;

void sv_sha256_init(sv_sha256 *c);
void sv_sha256_update(sv_sha256 *c, const void *data, size_t len);
void sv_sha256_final(sv_sha256 *c, uint8_t out[32]);
/* Lower-case hex of 32 bytes into out (65 bytes with the NUL). */
void sv_hex32(const uint8_t in[32], char out[65]);

#endif /* SV_UTIL_SHA256_H */
