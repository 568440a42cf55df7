/* Redaction: replaces every occurrence of any pattern by "***". For a stream
 * that arrives in arbitrary pieces, redact_decide settles what it can and
 * reports the bytes that could still begin a pattern, which the caller keeps
 * in front of the next piece, so a secret split across two writes is caught. */
#ifndef DZ_REDACT_H
#define DZ_REDACT_H

#include <stddef.h>

#include "util.h"

typedef struct {
    const buf_t *patterns; /* sorted longest first */
    size_t n;
    size_t longest;
    size_t window;         /* the shortest pattern's length, at most 255 */
    unsigned char *skip;   /* per 2-byte block: how far the search window may move */
} redactor_t;

/* patterns must outlive the redactor; redact_init sorts them in place. */
void redact_init(redactor_t *r, buf_t *patterns, size_t n);
void redact_free(redactor_t *r);

/* Settles s[0..len), of which s[0..from) is already settled and clean.
 * Returns hold: s[hold..len) may begin a pattern and is left for the next call
 * (hold is len when at_end). When no match was found the settled text is
 * s[0..hold) itself and out is untouched (the common case costs no copy);
 * otherwise *changed is set and the redacted s[0..hold) is appended to out. */
size_t redact_decide(const redactor_t *r, const char *s, size_t len, size_t from, int at_end,
                     buf_t *out, int *changed);

/* One-shot redaction of a complete string, appended to out. */
void redact_all(buf_t *patterns, size_t n, const char *s, size_t len, buf_t *out);

#endif
