/* Secret files, templates and redaction patterns; see secrets.h. */
#include "secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

#define MAX_SECRET_SIZE (4u << 20)
/* A single line of a multi-line secret is redacted on its own only when it is
 * at least this long; shorter lines ("}", "-") would blank out ordinary output. */
#define MIN_LINE_PATTERN 8

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ws(const char *p)
{
    while (is_ws(*p))
        p++;
    return p;
}

static const char *word(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncmp(p, w, n) == 0 ? p + n : NULL;
}

/* Parses one reference at p ("{{"); returns the end or NULL. Grammar in recipe-spec §7.2. */
static const char *parse_ref(const char *p, char *ref, size_t reflen)
{
    static const char *sources[] = {"secret", "env", "var"};
    static const char *spaces[] = {"user", "team", "devzero"};
    const char *q = skip_ws(p + 2), *r = NULL;
    for (size_t i = 0; i < 3 && !r; i++)
        r = word(q, sources[i]);
    if (!r)
        return NULL;
    q = skip_ws(r);
    if (*q != ':')
        return NULL;
    q = skip_ws(q + 1);
    const char *ns = q;
    for (size_t i = 0, found = 0; i < 3 && !found; i++)
        if ((r = word(q, spaces[i])) && *r == '.')
            found = 1;
    if (!r || *r != '.')
        return NULL;
    const char *name = r + 1, *e = name;
    if (!((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || *e == '_'))
        return NULL;
    while ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
           *e == '_')
        e++;
    q = skip_ws(e);
    if (q[0] != '}' || q[1] != '}')
        return NULL;
    snprintf(ref, reflen, "%.*s", (int)(e - ns), ns);
    return q + 2;
}

const char *secret_ref_find(const char *from, const char **end, char *ref, size_t reflen)
{
    for (const char *p = strstr(from, "{{"); p; p = strstr(p + 1, "{{")) {
        const char *e = parse_ref(p, ref, reflen);
        if (e) {
            *end = e;
            return p;
        }
    }
    return NULL;
}

static int referenced(const step_t *s, const char *ref)
{
    char found[256];
    for (size_t i = 0; i < s->n_secret_env; i++) {
        const char *at = s->secret_env[i].value, *end;
        while ((at = secret_ref_find(at, &end, found, sizeof found))) {
            if (strcmp(found, ref) == 0)
                return 1;
            at = end;
        }
    }
    return 0;
}

int secrets_load(const step_t *s, secret_set_t *out, char *err, size_t errlen)
{
    out->items = xmalloc((s->n_secret_files + 1) * sizeof *out->items);
    out->n = s->n_secret_files;
    for (size_t i = 0; i < s->n_secret_files; i++) {
        secret_t *sec = &out->items[i];
        memset(sec, 0, sizeof *sec);
        sec->ref = s->secret_files[i].key;
        const char *path = s->secret_files[i].value;
        if (read_file(path, MAX_SECRET_SIZE, &sec->value) == 0) {
            sec->loaded = 1;
            continue;
        }
        int e = errno;
        if (!referenced(s, sec->ref) && e == ENOENT)
            continue;
        snprintf(err, errlen, "cannot read secret %s from %s: %s", sec->ref, path,
                 e == EFBIG ? "larger than 4 MiB" : strerror(e));
        return -1;
    }
    return 0;
}

static const secret_t *find(const secret_set_t *set, const char *ref)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->items[i].ref, ref) == 0)
            return &set->items[i];
    return NULL;
}

char *secret_expand(const char *tmpl, const secret_set_t *set, char *err, size_t errlen)
{
    buf_t b = {0};
    buf_reserve(&b, strlen(tmpl));
    char ref[256];
    const char *at = tmpl, *start, *end;
    while ((start = secret_ref_find(at, &end, ref, sizeof ref))) {
        buf_add(&b, at, (size_t)(start - at));
        const secret_t *sec = find(set, ref);
        if (!sec || !sec->loaded) {
            snprintf(err, errlen, "secret %s is referenced but has no entry in secret_files", ref);
            buf_free(&b);
            return NULL;
        }
        if (memchr(sec->value.data, '\0', sec->value.len)) {
            snprintf(err, errlen, "secret %s contains a NUL byte and cannot be put in a variable",
                     ref);
            buf_free(&b);
            return NULL;
        }
        buf_add(&b, sec->value.data, sec->value.len);
        at = end;
    }
    buf_adds(&b, at);
    return b.data;
}

static void add_pattern(buf_t **pats, size_t *n, const char *p, size_t len)
{
    if (len == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if ((*pats)[i].len == len && memcmp((*pats)[i].data, p, len) == 0)
            return;
    *pats = xrealloc(*pats, (*n + 1) * sizeof **pats);
    memset(&(*pats)[*n], 0, sizeof **pats);
    buf_add(&(*pats)[*n], p, len);
    (*n)++;
}

static void add_base64_forms(buf_t **pats, size_t *n, const char *p, size_t len)
{
    for (size_t wrap = 0; wrap <= 76; wrap += 76) {
        buf_t enc = {0};
        b64_encode(p, len, wrap, &enc);
        add_pattern(pats, n, enc.data, enc.len);
        buf_free(&enc);
    }
}

static void add_lines(buf_t **pats, size_t *n, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t t = k && p[k - 1] == '\r' ? k - 1 : k;
        if (t >= MIN_LINE_PATTERN)
            add_pattern(pats, n, p, t);
        p += k + 1;
    }
}

/* A composed value such as "Bearer <token>" is caught by the token itself in
 * plain text, but its base64 form (an Authorization header) needs its own. */
static void add_composed(const step_t *s, const secret_set_t *set, buf_t **pats, size_t *n)
{
    char err[256], ref[256];
    const char *end;
    for (size_t i = 0; i < s->n_secret_env; i++) {
        const char *tmpl = s->secret_env[i].value;
        if (!secret_ref_find(tmpl, &end, ref, sizeof ref))
            continue;
        char *value = secret_expand(tmpl, set, err, sizeof err);
        if (value) {
            size_t len = strlen(value), plain = len;
            while (plain > 0 && (value[plain - 1] == '\n' || value[plain - 1] == '\r'))
                plain--;
            add_base64_forms(pats, n, value, len);
            add_base64_forms(pats, n, value, plain);
        }
        free(value);
    }
}

void secret_patterns(const step_t *s, const secret_set_t *set, buf_t **pats, size_t *n)
{
    add_composed(s, set, pats, n);
    for (size_t i = 0; i < set->n; i++) {
        const buf_t *v = &set->items[i].value;
        if (!set->items[i].loaded || v->len == 0)
            continue;
        size_t plain = v->len;
        while (plain > 0 && (v->data[plain - 1] == '\n' || v->data[plain - 1] == '\r'))
            plain--;
        add_pattern(pats, n, v->data, plain);
        add_base64_forms(pats, n, v->data, v->len);
        if (plain != v->len && plain > 0)
            add_base64_forms(pats, n, v->data, plain);
        if (memchr(v->data, '\n', plain))
            add_lines(pats, n, v->data, plain);
    }
}
