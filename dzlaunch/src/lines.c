/* Line framing; see lines.h. */
#include "lines.h"

#include <string.h>

/* Where to cut s (longer than max): at max, moved back to the start of a UTF-8
 * sequence when max falls inside one. */
static size_t cut_point(const char *s, size_t max)
{
    for (size_t back = 0; back < 4 && back < max; back++) {
        unsigned char c = (unsigned char)s[max - back];
        if ((c & 0xC0) != 0x80)
            return max - back;
    }
    return max;
}

/* Appends pieces of s[0..n) of at most the limit, each ending in '\n', while
 * more than keep bytes remain; returns how many bytes were emitted. */
static size_t emit_cut(const char *s, size_t n, size_t keep, buf_t *out)
{
    size_t done = 0;
    while (n - done > keep) {
        size_t cut = n - done > LINE_MAX_BYTES ? cut_point(s + done, LINE_MAX_BYTES) : n - done;
        buf_add(out, s + done, cut);
        buf_addc(out, '\n');
        done += cut;
    }
    return done;
}

/* 1 when no line in t[0..n) (which ends with '\n') is longer than the limit:
 * every LINE_MAX_BYTES+1 bytes hold a newline. One backward search per window
 * instead of one search per (usually short) line. */
static int lines_fit(const char *t, size_t n)
{
    for (const char *p = t, *end = t + n; (size_t)(end - p) > LINE_MAX_BYTES + 1;) {
        const char *nl = memrchr(p, '\n', LINE_MAX_BYTES + 1);
        if (!nl)
            return 0;
        p = nl + 1;
    }
    return 1;
}

size_t lines_frame(const char *t, size_t n, int at_end, buf_t *out, int *verbatim)
{
    const char *last = n ? memrchr(t, '\n', n) : NULL;
    size_t complete = last ? (size_t)(last - t) + 1 : 0;
    size_t rest = n - complete;
    *verbatim = lines_fit(t, complete) && (at_end ? rest == 0 : rest <= LINE_MAX_BYTES);
    if (*verbatim)
        return complete;
    for (size_t at = 0; at < complete;) {
        const char *nl = memchr(t + at, '\n', complete - at);
        size_t len = (size_t)(nl - (t + at));
        if (len == 0)
            buf_addc(out, '\n');
        else
            emit_cut(t + at, len, 0, out);
        at += len + 1;
    }
    /* Keep at most one full line's worth: a line of exactly the limit may
     * still end with the next byte. */
    return complete + emit_cut(t + complete, rest, at_end ? 0 : LINE_MAX_BYTES, out);
}
