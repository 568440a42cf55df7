/* Secret values for one step: read from the files the payload names, expanded
 * into {{secret:ns.NAME}} templates, and turned into redaction patterns. */
#ifndef DZ_SECRETS_H
#define DZ_SECRETS_H

#include <stddef.h>

#include "payload.h"
#include "util.h"

typedef struct {
    char *ref;
    buf_t value;
    int loaded;
} secret_t;

typedef struct {
    secret_t *items;
    size_t n;
} secret_set_t;

/* Reads every secret file of s. A file that is missing is an error only when
 * some secret_env template references it (optional mounts may be absent). */
int secrets_load(const step_t *s, secret_set_t *out, char *err, size_t errlen);

/* Expands the references in tmpl; -1 with a message when a reference has no
 * secret file or the value cannot live in an environment variable. */
char *secret_expand(const char *tmpl, const secret_set_t *set, char *err, size_t errlen);

/* Finds the first well-formed reference in tmpl at or after from: returns its
 * start, sets *end past "}}" and writes "ns.NAME" to ref. NULL when none. */
const char *secret_ref_find(const char *from, const char **end, char *ref, size_t reflen);

/* Appends the strings to redact: each value (trailing newlines stripped), its
 * base64 forms (one line and wrapped at 76), each long line of a multi-line
 * value, and the base64 forms of the composed secret_env values of s. */
void secret_patterns(const step_t *s, const secret_set_t *set, buf_t **patterns, size_t *n);

#endif
