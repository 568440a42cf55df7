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

/* Emits s[0..n) (no newline inside) as one or more lines of at most the limit. */
static void emit_split(const char *s, size_t n, buf_t *out)
{
    while (n > LINE_MAX_BYTES) {
        size_t cut = cut_point(s, LINE_MAX_BYTES);
        buf_add(out, s, cut);
        buf_addc(out, '\n');
        s += cut;
        n -= cut;
    }
    buf_add(out, s, n);
    buf_addc(out, '\n');
}

void lines_feed(liner_t *l, const char *data, size_t n, buf_t *out)
{
    const char *batch = data; /* consecutive complete short lines, copied at once */
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        if (!nl)
            break;
        size_t seg = (size_t)(nl - data); /* without the newline */
        if (l->part.len != 0 || seg > LINE_MAX_BYTES) {
            buf_add(out, batch, (size_t)(data - batch));
            buf_add(&l->part, data, seg);
            emit_split(l->part.data, l->part.len, out);
            l->part.len = 0;
            batch = nl + 1;
        }
        data += seg + 1;
        n -= seg + 1;
    }
    buf_add(out, batch, (size_t)(data - batch));
    if (n == 0)
        return;
    buf_add(&l->part, data, n);
    /* Keep at most one full line's worth: a line of exactly the limit may
     * still end with the next byte. */
    while (l->part.len > LINE_MAX_BYTES) {
        size_t cut = cut_point(l->part.data, LINE_MAX_BYTES);
        buf_add(out, l->part.data, cut);
        buf_addc(out, '\n');
        buf_consume(&l->part, cut);
    }
}

void lines_finish(liner_t *l, buf_t *out)
{
    if (l->part.len)
        emit_split(l->part.data, l->part.len, out);
    buf_free(&l->part);
}
