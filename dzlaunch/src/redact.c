/* Redaction; see redact.h. */
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

/* The search is Wu-Manber's: one pass for all patterns, whatever their number
 * (a step may use dozens of secrets, each with several forms). A window as
 * long as the shortest pattern slides over the text; the 2-byte block at its
 * end says how far it may move without passing the start of any match. On
 * text that holds no secret most blocks occur in no pattern, so the window
 * jumps by nearly its whole length. */
#define BLOCK 2
#define BLOCKS 65536
#define MAX_WINDOW 255

static unsigned block_at(const char *p)
{
    return (unsigned char)p[0] | (unsigned)(unsigned char)p[1] << 8;
}

void redact_init(redactor_t *r, buf_t *patterns, size_t n)
{
    memset(r, 0, sizeof *r);
    if (n == 0)
        return;
    qsort(patterns, n, sizeof *patterns, longest_first);
    r->patterns = patterns;
    r->n = n;
    r->longest = patterns[0].len;
    r->window = patterns[n - 1].len < MAX_WINDOW ? patterns[n - 1].len : MAX_WINDOW;
    r->skip = xmalloc(BLOCKS);
    /* A one-byte pattern leaves no room to skip: every position is checked. */
    size_t most = r->window >= BLOCK ? r->window - BLOCK + 1 : 0;
    memset(r->skip, (int)most, BLOCKS);
    for (size_t i = 0; r->window >= BLOCK && i < n; i++)
        for (size_t j = 0; j + BLOCK <= r->window; j++) {
            unsigned b = block_at(patterns[i].data + j);
            size_t to_end = r->window - BLOCK - j;
            if (to_end < r->skip[b])
                r->skip[b] = (unsigned char)to_end;
        }
}

void redact_free(redactor_t *r)
{
    free(r->skip);
    r->skip = NULL;
}

/* The leftmost complete match in s[from..len), the longest one at that
 * position: its start, and its pattern in *which; NONE when there is none. */
static size_t find_match(const redactor_t *r, const char *s, size_t len, size_t from,
                         size_t *which)
{
    for (size_t at = from; at + r->window <= len;) {
        size_t skip = r->window >= BLOCK ? r->skip[block_at(s + at + r->window - BLOCK)] : 0;
        if (skip) {
            at += skip;
            continue;
        }
        for (size_t i = 0; i < r->n; i++) {
            const buf_t *p = &r->patterns[i];
            if (p->len <= len - at && p->data[0] == s[at] && memcmp(p->data, s + at, p->len) == 0) {
                *which = i;
                return at;
            }
        }
        at++;
    }
    return NONE;
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

/* Matches are leftmost, then longest (patterns are sorted so); only complete matches that start before
 * the undecided suffix are replaced. */
size_t redact_decide(const redactor_t *r, const char *s, size_t len, size_t from, int at_end,
                     buf_t *out, int *changed)
{
    *changed = 0;
    if (r->n == 0)
        return len;
    size_t pos = 0, which = 0;
    size_t hold = at_end ? len : undecided_from(r, s, len, from);
    for (size_t at = find_match(r, s, len, from, &which); at != NONE && at < hold;
         at = find_match(r, s, len, pos, &which)) {
        *changed = 1;
        buf_add(out, s + pos, at - pos);
        buf_adds(out, MASK);
        pos = at + r->patterns[which].len;
    }
    if (!*changed)
        return hold;
    /* A match may reach past the first guess of the undecided suffix. */
    if (pos > hold)
        hold = at_end ? len : undecided_from(r, s, len, pos);
    buf_add(out, s + pos, hold - pos);
    return hold;
}

void redact_all(buf_t *patterns, size_t n, const char *s, size_t len, buf_t *out)
{
    redactor_t r;
    int changed;
    redact_init(&r, patterns, n);
    (void)redact_decide(&r, s, len, 0, 1, out, &changed);
    if (!changed)
        buf_add(out, s, len);
    redact_free(&r);
}
