/* Line framing of one output stream: complete lines pass through in batches;
 * a partial line waits for its end; a line longer than LINE_MAX_BYTES is split
 * into several lines (at a UTF-8 character boundary when possible), never lost.
 * Bytes are passed through untouched otherwise (binary output included). */
#ifndef DZ_LINES_H
#define DZ_LINES_H

#include <stddef.h>

#include "util.h"

#define LINE_MAX_BYTES 16384

typedef struct {
    buf_t part; /* the current unfinished line, at most LINE_MAX_BYTES */
} liner_t;

/* Appends every line completed by data to out, each ending in '\n'. */
void lines_feed(liner_t *l, const char *data, size_t n, buf_t *out);

/* End of stream: a partial final line is emitted with a '\n' added, so the
 * next line on the terminal (or the other stream) starts cleanly. */
void lines_finish(liner_t *l, buf_t *out);

#endif
