/* A minimal, strict JSON parser (RFC 8259) producing a small tree: enough for
 * the step payload and the launch manifest. Strings keep their length so an
 * embedded NUL (\u0000) is representable and can be refused where it matters. */
#ifndef DZ_JSON_H
#define DZ_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jtype_t;

typedef struct jval {
    jtype_t type;
    int boolean;
    double number;
    int is_integer;  /* number written without fraction or exponent */
    long long integer;
    char *str;       /* J_STRING: UTF-8 bytes, NUL-terminated, length in len */
    size_t len;      /* J_STRING: byte length; J_ARRAY/J_OBJECT: member count */
    char **keys;     /* J_OBJECT: member names (NUL-terminated) */
    size_t *keylens;
    struct jval *items; /* J_ARRAY elements or J_OBJECT values */
} jval_t;

/* Parses text[0..n) into *out. Returns 0, or -1 with a message in err naming
 * the byte offset of the problem. */
int json_parse(const char *text, size_t n, jval_t *out, char *err, size_t errlen);

/* The member called key, or NULL. */
const jval_t *json_get(const jval_t *obj, const char *key);

const char *json_type_name(jtype_t t);

#endif
