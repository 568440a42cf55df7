/* Streaming redaction: replaces every occurrence of any pattern by "***" in a
 * byte stream that arrives in arbitrary pieces. Bytes that could be the start
 * of a pattern are held back until the next piece (or the end) decides, so a
 * secret split across two writes is still caught. */
#ifndef DZ_REDACT_H
#define DZ_REDACT_H

#include <stddef.h>

#include "util.h"

typedef struct {
    const buf_t *patterns; /* sorted longest first */
    size_t n;
    size_t longest;
    buf_t pending;         /* held-back bytes that may begin a pattern */
} redactor_t;

/* patterns must outlive the redactor; redact_init sorts them in place. */
void redact_init(redactor_t *r, buf_t *patterns, size_t n);

/* Appends the redacted, decided part of data to out. */
void redact_feed(redactor_t *r, const char *data, size_t n, buf_t *out);

/* End of stream: appends what is still held back. */
void redact_finish(redactor_t *r, buf_t *out);

/* One-shot redaction of a complete string. */
void redact_all(buf_t *patterns, size_t n, const char *s, size_t len, buf_t *out);

#endif
