/* Standard base64; see b64.h. */
#include "b64.h"

#include <stdio.h>

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int b64_decode(const char *src, size_t n, buf_t *out, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "it is empty");
        return -1;
    }
    if (n % 4 != 0) {
        snprintf(err, errlen, "not valid base64 (length %zu is not a multiple of 4)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)src[i + k];
            int last_group = i + 4 == n;
            if (c == '=' && last_group && k >= 2 && (k == 3 || src[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = sextet(c);
            if (v[k] < 0 || pad) {
                if (c >= 0x20 && c < 0x7f)
                    snprintf(err, errlen, "not valid base64 (unexpected '%c' at offset %zu)",
                             c, i + k);
                else
                    snprintf(err, errlen,
                             "not valid base64 (unexpected byte 0x%02x at offset %zu)", c,
                             i + k);
                return -1;
            }
        }
        unsigned long triple = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                               ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        char bytes[3] = {(char)(triple >> 16), (char)(triple >> 8), (char)triple};
        buf_add(out, bytes, (size_t)(3 - pad));
    }
    return 0;
}

void b64_encode(const void *src, size_t n, size_t wrap, buf_t *out)
{
    const unsigned char *s = src;
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned long t = (unsigned long)s[i] << 16;
        if (i + 1 < n)
            t |= (unsigned long)s[i + 1] << 8;
        if (i + 2 < n)
            t |= s[i + 2];
        char q[4] = {ALPHABET[(t >> 18) & 63], ALPHABET[(t >> 12) & 63],
                     i + 1 < n ? ALPHABET[(t >> 6) & 63] : '=', i + 2 < n ? ALPHABET[t & 63] : '='};
        for (int k = 0; k < 4; k++) {
            if (wrap && col == wrap) {
                buf_addc(out, '\n');
                col = 0;
            }
            buf_addc(out, q[k]);
            col++;
        }
    }
}
