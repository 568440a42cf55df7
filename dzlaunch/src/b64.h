/* Standard base64 (RFC 4648 alphabet, with padding). */
#ifndef DZ_B64_H
#define DZ_B64_H

#include <stddef.h>

#include "util.h"

/* Decodes src strictly: standard alphabet, length a multiple of 4, '=' only as
 * final padding. Returns 0, or -1 with a message in err (errlen bytes). */
int b64_decode(const char *src, size_t n, buf_t *out, char *err, size_t errlen);

/* Appends the base64 form of src to out; wrap > 0 inserts '\n' every wrap chars
 * (as GNU base64 does at 76), 0 means one line. */
void b64_encode(const void *src, size_t n, size_t wrap, buf_t *out);

#endif
