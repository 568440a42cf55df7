/* Line framing of one output stream: complete lines pass through untouched; a
 * partial line waits for its end; a line longer than LINE_MAX_BYTES is split
 * into several lines (at a UTF-8 character boundary when possible), never
 * lost. Bytes are passed through unchanged otherwise (binary output included). */
#ifndef DZ_LINES_H
#define DZ_LINES_H

#include <stddef.h>

#include "util.h"

#define LINE_MAX_BYTES 16384

/* Frames t[0..n), the stream's text since the last settled byte. Returns how
 * many bytes are settled; t[settled..n) is an unfinished line of at most
 * LINE_MAX_BYTES for the caller to keep in front of the next text (nothing is
 * left at_end, where a partial final line gets a '\n' so the next line starts
 * cleanly). When *verbatim is set, the framed form of the settled bytes is
 * t[0..settled) itself (no line needed splitting, so nothing was copied);
 * otherwise it was appended to out. */
size_t lines_frame(const char *t, size_t n, int at_end, buf_t *out, int *verbatim);

#endif
