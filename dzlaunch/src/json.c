/* A minimal strict JSON parser; see json.h. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH 64

typedef struct {
    const char *s;
    size_t n;
    size_t pos;
    char *err;
    size_t errlen;
} parser_t;

static int fail(parser_t *p, const char *what)
{
    snprintf(p->err, p->errlen, "not valid JSON (%s at offset %zu)", what, p->pos);
    return -1;
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int literal(parser_t *p, const char *word)
{
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
        return fail(p, "unexpected character");
    p->pos += k;
    return 0;
}

static int hex4(parser_t *p, unsigned *out)
{
    if (p->n - p->pos < 4)
        return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + (size_t)i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(p, "bad \\u escape");
    }
    p->pos += 4;
    *out = v;
    return 0;
}

static void put_utf8(buf_t *b, unsigned cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_add(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_add(b, u, 4);
    }
}

static int escape(parser_t *p, buf_t *b)
{
    if (p->pos >= p->n)
        return fail(p, "unterminated string");
    char c = p->s[p->pos++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        buf_addc(b, to[hit - from]);
        return 0;
    }
    if (c != 'u') {
        p->pos--;
        return fail(p, "bad escape");
    }
    unsigned cp;
    if (hex4(p, &cp))
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo;
        if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return fail(p, "unpaired surrogate");
        p->pos += 2;
        if (hex4(p, &lo))
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(p, "unpaired surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(p, "unpaired surrogate");
    }
    put_utf8(b, cp);
    return 0;
}

static int string(parser_t *p, char **out, size_t *len)
{
    p->pos++; /* opening quote */
    buf_t b = {0};
    buf_reserve(&b, 16);
    for (;;) {
        if (p->pos >= p->n) {
            buf_free(&b);
            return fail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            buf_free(&b);
            return fail(p, "control character in string");
        }
        if (c == '\\') {
            p->pos++;
            if (escape(p, &b)) {
                buf_free(&b);
                return -1;
            }
            continue;
        }
        size_t start = p->pos;
        while (p->pos < p->n && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
               (unsigned char)p->s[p->pos] >= 0x20)
            p->pos++;
        buf_add(&b, p->s + start, p->pos - start);
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

static int digits(parser_t *p)
{
    size_t start = p->pos;
    while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    return p->pos > start ? 0 : fail(p, "bad number");
}

static int number(parser_t *p, jval_t *v)
{
    size_t start = p->pos;
    int integral = 1;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->n && p->s[p->pos] == '0')
        p->pos++;
    else if (digits(p))
        return -1;
    if (p->pos < p->n && p->s[p->pos] == '.') {
        integral = 0;
        p->pos++;
        if (digits(p))
            return -1;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integral = 0;
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (digits(p))
            return -1;
    }
    char tmp[64];
    size_t k = p->pos - start;
    if (k >= sizeof tmp)
        k = sizeof tmp - 1; /* only huge integers get here; they are out of range anyway */
    memcpy(tmp, p->s + start, k);
    tmp[k] = '\0';
    v->type = J_NUMBER;
    v->number = strtod(tmp, NULL);
    v->is_integer = integral && p->pos - start < 19;
    v->integer = v->is_integer ? strtoll(tmp, NULL, 10) : 0;
    return 0;
}

static int value(parser_t *p, jval_t *v, int depth);

static int container(parser_t *p, jval_t *v, int depth, int is_object)
{
    char close = is_object ? '}' : ']';
    size_t cap = 0;
    v->type = is_object ? J_OBJECT : J_ARRAY;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (v->len == cap) {
            cap = cap ? cap * 2 : 8;
            v->items = xrealloc(v->items, cap * sizeof *v->items);
            if (is_object) {
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
                v->keylens = xrealloc(v->keylens, cap * sizeof *v->keylens);
            }
        }
        skip_ws(p);
        if (is_object) {
            if (p->pos >= p->n || p->s[p->pos] != '"')
                return fail(p, "expected a member name");
            size_t at = p->pos;
            if (string(p, &v->keys[v->len], &v->keylens[v->len]))
                return -1;
            for (size_t i = 0; i < v->len; i++) {
                if (v->keylens[i] == v->keylens[v->len] &&
                    memcmp(v->keys[i], v->keys[v->len], v->keylens[i]) == 0) {
                    p->pos = at;
                    return fail(p, "duplicate member name");
                }
            }
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        memset(&v->items[v->len], 0, sizeof *v->items);
        if (value(p, &v->items[v->len], depth + 1))
            return -1;
        v->len++;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == close) {
            p->pos++;
            return 0;
        }
        return fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int value(parser_t *p, jval_t *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nesting too deep");
    skip_ws(p);
    if (p->pos >= p->n)
        return fail(p, "unexpected end");
    char c = p->s[p->pos];
    switch (c) {
    case '{':
        return container(p, v, depth, 1);
    case '[':
        return container(p, v, depth, 0);
    case '"':
        v->type = J_STRING;
        return string(p, &v->str, &v->len);
    case 't':
        v->type = J_BOOL;
        v->boolean = 1;
        return literal(p, "true");
    case 'f':
        v->type = J_BOOL;
        return literal(p, "false");
    case 'n':
        v->type = J_NULL;
        return literal(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return number(p, v);
        return fail(p, "unexpected character");
    }
}

int json_parse(const char *text, size_t n, jval_t *out, char *err, size_t errlen)
{
    parser_t p = {text, n, 0, err, errlen};
    memset(out, 0, sizeof *out);
    if (value(&p, out, 0))
        return -1;
    skip_ws(&p);
    if (p.pos != n)
        return fail(&p, "trailing data");
    return 0;
}

const jval_t *json_get(const jval_t *obj, const char *key)
{
    if (!obj || obj->type != J_OBJECT)
        return NULL;
    size_t k = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->keylens[i] == k && memcmp(obj->keys[i], key, k) == 0)
            return &obj->items[i];
    return NULL;
}

const char *json_type_name(jtype_t t)
{
    static const char *names[] = {"null", "boolean", "number", "string", "array", "object"};
    return names[t];
}
