/* Small shared helpers: growable buffers, allocation that never returns NULL,
 * whole-file reads and robust writes. */
#ifndef DZ_UTIL_H
#define DZ_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of the launcher itself (the script's own status passes through). */
enum {
    EXIT_PAYLOAD = 64,  /* bad payload, manifest content or command line (EX_USAGE) */
    EXIT_NOINPUT = 66,  /* the launch manifest cannot be read (EX_NOINPUT) */
    EXIT_SETUP = 71,    /* the step could not be prepared: directory, secret, user, temp file */
    EXIT_NOEXEC = 126,  /* the shell exists but cannot be executed */
    EXIT_NOTFOUND = 127 /* the shell was not found */
};

/* PATH when the environment has none (the compiler's DEFAULT_PATH). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);
char *xstrdup(const char *s);

void buf_reserve(buf_t *b, size_t extra);
void buf_add(buf_t *b, const void *p, size_t n);
void buf_addc(buf_t *b, char c);
void buf_adds(buf_t *b, const char *s);
void buf_consume(buf_t *b, size_t n); /* drop the first n bytes */
void buf_free(buf_t *b);

/* Writes all of p, retrying on EINTR and short writes. Returns 0 or -1. */
int write_all(int fd, const void *p, size_t n);

/* Reads a whole file into out (NUL-terminated, length in out->len).
 * Returns 0, or -1 with errno set. Refuses files larger than max. */
int read_file(const char *path, size_t max, buf_t *out);

/* Prints "dzlaunch: <message>" on stderr. */
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic seconds. */
double now_seconds(void);

#endif
