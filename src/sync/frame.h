/*
** frame.h — the sync wire format (docs/SYNC.md has the byte layouts).
**
** A frame is `u32 payload length | u8 type | payload`, little-endian.  The
** decoders here never trust a length: every one is checked against the
** limits below and against the bytes actually present, and every decoder
** either fills its output completely or returns an error message.
*/
#ifndef SV_SYNC_FRAME_H
#define SV_SYNC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "store/changes.h"
#include "sync/buf.h"

#define SVF_PROTO 1
#define SVF_HEADER 5
#define SVF_MAX_PAYLOAD (8u << 20) /* a frame's payload, as sent */
#define SVF_MAX_RAW (16u << 20)    /* a batch body after decompression */
#define SVF_MAX_ROWS 65536u        /* changes in one batch */
#define SVF_MAX_ERRMSG 400u

enum svf_type {
  SVF_HELLO = 1,
  SVF_REQUEST = 2, /* "send me your changes after version V" */
  SVF_BATCH = 3,
  SVF_END = 4,
  SVF_ACK = 5,
  SVF_ERROR = 6
};

/* hello.want bits (what the sender of the hello intends) */
#define SVF_WANT_PUSH 1 /* I will send my changes */
#define SVF_WANT_PULL 2 /* I want your changes */
/* hello.caps bits */
#define SVF_CAP_ZSTD 1
#define SVF_CAP_SHUFFLE 2

/* batch codecs */
#define SVF_CODEC_RAW 0
#define SVF_CODEC_ZSTD 1         /* zstd over the body */
#define SVF_CODEC_ZSTD_SHUFFLE 2 /* vector bytes grouped by plane, then zstd */

typedef struct svf_hello {
  uint16_t proto, format_version;
  uint32_t dim;
  uint8_t metric, caps, want;
  int64_t node_id, version;
  uint8_t shard_id[16];
} svf_hello;

/* Append one complete frame (header + payload) to out. */
void svf_put_hello(sv_buf *out, const svf_hello *h);
void svf_put_request(sv_buf *out, int64_t after);
void svf_put_end(sv_buf *out, int64_t upto, uint64_t rows);
void svf_put_ack(sv_buf *out, int64_t upto, uint64_t applied);
void svf_put_error(sv_buf *out, uint32_t code, const char *msg);

/* Split the next frame off in[0..len): 1 with type, payload, plen and used set
** when a whole frame is there, 0 when more bytes are needed, -1 (message
** in err) when the header is invalid (unknown type, length over the
** limit). */
int svf_next(const uint8_t *in, size_t len, uint8_t *type, const uint8_t **payload, size_t *plen,
             size_t *used, char *err, size_t errlen);

/* Payload decoders: 0 or -1 with a message in err. */
int svf_get_hello(const uint8_t *p, size_t n, svf_hello *h, char *err, size_t errlen);
int svf_get_i64_u64(const uint8_t *p, size_t n, int64_t *a, uint64_t *b, char *err, size_t errlen);
int svf_get_request(const uint8_t *p, size_t n, int64_t *after, char *err, size_t errlen);
int svf_get_error(const uint8_t *p, size_t n, uint32_t *code, char *msg, size_t msglen);

/* ---- batches (batch.c) ---- */

/* Rows gathered for one batch frame. */
typedef struct svf_batch_builder {
  uint32_t dim;
  uint32_t n;
  sv_buf recs, metas, vecs;
  int64_t upto; /* sender version of the last row added */
} svf_batch_builder;

void svf_batch_init(svf_batch_builder *b, uint32_t dim);
void svf_batch_reset(svf_batch_builder *b);
void svf_batch_free(svf_batch_builder *b);
/* Bytes the body would take with one more change c. */
size_t svf_batch_size_with(const svf_batch_builder *b, const sv_change *c);
/* Add a change (copies it); -1 on out of memory. */
int svf_batch_add(svf_batch_builder *b, const sv_change *c);
/* Append the batch frame to out with the given codec; *raw and *coded
** receive body bytes before and after compression.  -1 on failure. */
int svf_batch_emit(svf_batch_builder *b, int codec, sv_buf *out, size_t *raw, size_t *coded);

/* A decoded batch; changes point into storage owned by it. */
typedef struct svf_batch {
  uint32_t n;
  int64_t upto;
  sv_change *changes;
  float *vecs;
  uint8_t *body;
  size_t raw_len, coded_len;
} svf_batch;

/* Decode a batch payload for a shard of dimension dim.  0, or -1 with a
** message.  Release with svf_batch_clear (also after failure). */
int svf_get_batch(const uint8_t *p, size_t n, uint32_t dim, svf_batch *out, char *err,
                  size_t errlen);
void svf_batch_clear(svf_batch *b);

/* 1 when this build can compress (zstd). */
int svf_have_zstd(void);

#endif /* SV_SYNC_FRAME_H */
