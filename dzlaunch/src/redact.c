/* Streaming redaction; see redact.h. */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#define MASK "***"
#define NONE ((size_t)-1)

static int longest_first(const void *a, const void *b)
{
    const buf_t *x = a, *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

void redact_init(redactor_t *r, buf_t *patterns, size_t n)
{
    memset(r, 0, sizeof *r);
    if (n)
        qsort(patterns, n, sizeof *patterns, longest_first);
    r->patterns = patterns;
    r->n = n;
    r->longest = n ? patterns[0].len : 0;
}

static size_t find_from(const redactor_t *r, size_t i, const char *s, size_t len, size_t from)
{
    const buf_t *p = &r->patterns[i];
    const char *hit = memmem(s + from, len - from, p->data, p->len);
    return hit ? (size_t)(hit - s) : NONE;
}

/* The earliest p >= from whose suffix s[p..len) is a proper prefix of some
 * pattern (a match that more input could complete), or len. */
static size_t undecided_from(const redactor_t *r, const char *s, size_t len, size_t from)
{
    size_t start = len - from >= r->longest ? len - r->longest + 1 : from;
    for (size_t p = start; p < len; p++)
        for (size_t i = 0; i < r->n; i++)
            if (r->patterns[i].data[0] == s[p] && r->patterns[i].len > len - p &&
                memcmp(r->patterns[i].data, s + p, len - p) == 0)
                return p;
    return len;
}

/* Replaces the complete matches in s[0..len) that start before any undecided
 * suffix; returns where the undecided bytes begin (len at the end of stream).
 * Matches are leftmost, then longest. */
static size_t replace_matches(const redactor_t *r, const char *s, size_t len, int at_end,
                              buf_t *out)
{
    size_t next[r->n ? r->n : 1];
    size_t pos = 0;
    size_t hold = at_end ? len : undecided_from(r, s, len, 0);
    for (size_t i = 0; i < r->n; i++)
        next[i] = find_from(r, i, s, len, 0);
    for (;;) {
        size_t best = NONE, at = NONE;
        for (size_t i = 0; i < r->n; i++)
            if (next[i] != NONE && (at == NONE || next[i] < at)) /* ties: longest wins */
                at = next[i], best = i;
        if (best == NONE || at >= hold)
            break;
        buf_add(out, s + pos, at - pos);
        buf_adds(out, MASK);
        pos = at + r->patterns[best].len;
        for (size_t i = 0; i < r->n; i++)
            if (next[i] != NONE && next[i] < pos)
                next[i] = find_from(r, i, s, len, pos);
    }
    if (pos > hold)
        hold = at_end ? len : undecided_from(r, s, len, pos);
    buf_add(out, s + pos, hold - pos);
    return hold;
}

void redact_feed(redactor_t *r, const char *data, size_t n, buf_t *out)
{
    if (r->n == 0) {
        buf_add(out, data, n);
        return;
    }
    buf_add(&r->pending, data, n);
    size_t hold = replace_matches(r, r->pending.data, r->pending.len, 0, out);
    buf_consume(&r->pending, hold);
}

void redact_finish(redactor_t *r, buf_t *out)
{
    if (r->pending.len)
        (void)replace_matches(r, r->pending.data, r->pending.len, 1, out);
    buf_free(&r->pending);
}

void redact_all(buf_t *patterns, size_t n, const char *s, size_t len, buf_t *out)
{
    redactor_t r;
    redact_init(&r, patterns, n);
    redact_feed(&r, s, len, out);
    redact_finish(&r, out);
}
