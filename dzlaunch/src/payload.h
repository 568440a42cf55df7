/* The step payload, version 1 (docs/design.md "The step payload"): decoding and
 * validation into a plain struct. Every problem becomes one message; the
 * caller exits 64 with it. */
#ifndef DZ_PAYLOAD_H
#define DZ_PAYLOAD_H

#include <stddef.h>

#include "json.h"

typedef struct {
    char *key;
    char *value;
} pair_t;

typedef struct {
    char *id;
    char *phase;
    char *name;
    char *script;
    size_t script_len;
    char *shell;
    char *directory;
    char *user;
    pair_t *env;          /* literal variables */
    size_t n_env;
    pair_t *secret_env;   /* name -> template with {{secret:ns.NAME}} references */
    size_t n_secret_env;
    pair_t *secret_files; /* reference -> file path */
    size_t n_secret_files;
} step_t;

/* Validates one payload object. where prefixes messages ("steps[2]: ").
 * Returns 0, or -1 with a message in err. */
int step_from_json(const jval_t *obj, const char *where, step_t *out, char *err, size_t errlen);

/* Decodes base64 text, parses the JSON and validates it. */
int step_from_base64(const char *text, step_t *out, char *err, size_t errlen);

/* The path of reference ref in secret_files, or NULL. */
const char *step_secret_path(const step_t *s, const char *ref);

/* 1 when name is a valid environment variable name. */
int valid_env_name(const char *name);

#endif
