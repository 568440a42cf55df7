/* Step payload decoding and validation; see payload.h. */
#include "payload.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "secrets.h"
#include "util.h"
#include "words.h"

#define PAYLOAD_VERSION 1

typedef struct {
    const jval_t *obj;
    const char *where;
    char *err;
    size_t errlen;
} ctx_t;

static int bad(ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(ctx_t *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s%s", c->where, msg);
    return -1;
}

static const jval_t *field(ctx_t *c, const char *name, jtype_t type, int required, int *rc)
{
    const jval_t *v = json_get(c->obj, name);
    *rc = 0;
    if (!v) {
        if (required)
            *rc = bad(c, "missing field '%s'", name);
        return NULL;
    }
    if (v->type != type) {
        char extra[64];
        snprintf(extra, sizeof extra, "%s, not %s", json_type_name(type), json_type_name(v->type));
        *rc = bad(c, "field '%s' must be %s", name, extra);
        return NULL;
    }
    return v;
}

/* A required string without embedded NUL bytes. */
static int text_field(ctx_t *c, const char *name, int allow_nul, char **out, size_t *len)
{
    int rc;
    const jval_t *v = field(c, name, J_STRING, 1, &rc);
    if (!v)
        return rc;
    if (!allow_nul && strlen(v->str) != v->len)
        return bad(c, "field '%s' contains a NUL byte", name);
    *out = v->str;
    if (len)
        *len = v->len;
    return 0;
}

/* An optional object whose members are all strings. */
static int string_map(ctx_t *c, const char *name, pair_t **out, size_t *n)
{
    int rc;
    const jval_t *v = field(c, name, J_OBJECT, 0, &rc);
    *out = NULL;
    *n = 0;
    if (!v)
        return rc;
    *out = xmalloc(v->len * sizeof **out);
    for (size_t i = 0; i < v->len; i++) {
        const jval_t *item = &v->items[i];
        if (item->type != J_STRING || strlen(item->str) != item->len ||
            strlen(v->keys[i]) != v->keylens[i]) {
            char what[300];
            snprintf(what, sizeof what, "%s.%s", name, v->keys[i]);
            return bad(c, "field '%s' must be a string without NUL bytes", what);
        }
        (*out)[i].key = v->keys[i];
        (*out)[i].value = item->str;
    }
    *n = v->len;
    return 0;
}

static int secret_env_list(ctx_t *c, step_t *s)
{
    int rc;
    const jval_t *v = field(c, "secret_env", J_ARRAY, 0, &rc);
    if (!v)
        return rc;
    s->secret_env = xmalloc(v->len * sizeof *s->secret_env);
    for (size_t i = 0; i < v->len; i++) {
        char where[600];
        snprintf(where, sizeof where, "%ssecret_env[%zu]: ", c->where, i);
        ctx_t sub = {&v->items[i], where, c->err, c->errlen};
        if (v->items[i].type != J_OBJECT)
            return bad(&sub, "must be an object with 'name' and 'template'");
        pair_t *p = &s->secret_env[i];
        if (text_field(&sub, "name", 0, &p->key, NULL) ||
            text_field(&sub, "template", 0, &p->value, NULL))
            return -1;
        if (!valid_env_name(p->key))
            return bad(&sub, "'%s' is not a valid variable name", p->key);
    }
    s->n_secret_env = v->len;
    return 0;
}

int valid_env_name(const char *name)
{
    if (!((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

static int check_version(ctx_t *c)
{
    int rc;
    const jval_t *v = field(c, "v", J_NUMBER, 1, &rc);
    if (!v)
        return rc;
    if (!v->is_integer)
        return bad(c, "field '%s' must be an integer", "v");
    if (v->integer != PAYLOAD_VERSION) {
        char extra[64];
        snprintf(extra, sizeof extra, "%lld", v->integer);
        return bad(c, "unsupported payload version %s%s", extra,
                   "; this dzlaunch understands version 1");
    }
    return 0;
}

int step_from_json(const jval_t *obj, const char *where, step_t *s, char *err, size_t errlen)
{
    ctx_t c = {obj, where, err, errlen};
    memset(s, 0, sizeof *s);
    if (obj->type != J_OBJECT)
        return bad(&c, "must be a JSON object, not %s", json_type_name(obj->type));
    if (check_version(&c) || text_field(&c, "id", 0, &s->id, NULL) ||
        text_field(&c, "phase", 0, &s->phase, NULL) || text_field(&c, "name", 0, &s->name, NULL) ||
        text_field(&c, "script", 1, &s->script, &s->script_len) ||
        text_field(&c, "shell", 0, &s->shell, NULL) ||
        text_field(&c, "directory", 0, &s->directory, NULL) ||
        text_field(&c, "user", 0, &s->user, NULL))
        return -1;
    if (strcmp(s->phase, "build") != 0 && strcmp(s->phase, "launch") != 0)
        return bad(&c, "field 'phase' must be \"build\" or \"launch\", not \"%s\"", s->phase);
    if (!*s->id)
        return bad(&c, "field '%s' is empty", "id");
    if (!*s->user)
        return bad(&c, "field '%s' is empty", "user");
    if (s->directory[0] != '/')
        return bad(&c, "field 'directory' must be an absolute path, not \"%s\"", s->directory);
    if (!strstr(s->shell, "{}"))
        return bad(&c, "field 'shell' must contain {} (the script path): \"%s\"", s->shell);
    int argc;
    char words_err[256];
    if (!shell_argv(s->shell, "/tmp/dzlaunch-script", &argc, words_err, sizeof words_err))
        return bad(&c, "%s", words_err);
    pair_t *versions;
    size_t n_versions;
    if (string_map(&c, "env", &s->env, &s->n_env) ||
        string_map(&c, "secret_files", &s->secret_files, &s->n_secret_files) ||
        string_map(&c, "secret_versions", &versions, &n_versions) || secret_env_list(&c, s))
        return -1;
    for (size_t i = 0; i < s->n_env; i++)
        if (!valid_env_name(s->env[i].key))
            return bad(&c, "env: '%s' is not a valid variable name", s->env[i].key);
    for (size_t i = 0; i < s->n_secret_env; i++) {
        char ref[256];
        const char *at = s->secret_env[i].value, *end;
        while ((at = secret_ref_find(at, &end, ref, sizeof ref))) {
            if (!step_secret_path(s, ref))
                return bad(&c, "secret_env[%zu]: secret %s has no entry in secret_files", i, ref);
            at = end;
        }
    }
    for (size_t i = 0; i < s->n_secret_files; i++)
        if (s->secret_files[i].value[0] != '/')
            return bad(&c, "secret_files: the path of '%s' must be absolute",
                       s->secret_files[i].key);
    return 0;
}

int step_from_base64(const char *text, step_t *out, char *err, size_t errlen)
{
    buf_t raw = {0};
    jval_t root;
    if (b64_decode(text, strlen(text), &raw, err, errlen))
        return -1;
    if (raw.len == 0 || json_parse(raw.data, raw.len, &root, err, errlen))
        return raw.len ? -1 : (snprintf(err, errlen, "decoded payload is empty"), -1);
    return step_from_json(&root, "", out, err, errlen);
}

const char *step_secret_path(const step_t *s, const char *ref)
{
    for (size_t i = 0; i < s->n_secret_files; i++)
        if (strcmp(s->secret_files[i].key, ref) == 0)
            return s->secret_files[i].value;
    return NULL;
}
