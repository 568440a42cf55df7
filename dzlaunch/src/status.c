/* Launch status file; see status.h. */
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

static void json_string(buf_t *b, const char *s)
{
    buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_addc(b, '\\');
            buf_addc(b, (char)*p);
        } else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            buf_adds(b, esc);
        } else {
            buf_addc(b, (char)*p);
        }
    }
    buf_addc(b, '"');
}

static void make_parent(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    free(p);
}

int status_write(const char *path, const char *state, const step_result_t *steps, size_t n,
                 const char *failed_step)
{
    buf_t b = {0};
    buf_adds(&b, "{\"failed_step\":");
    if (failed_step)
        json_string(&b, failed_step);
    else
        buf_adds(&b, "null");
    buf_adds(&b, ",\"state\":");
    json_string(&b, state);
    buf_adds(&b, ",\"steps\":[");
    for (size_t i = 0; i < n; i++) {
        char num[64];
        snprintf(num, sizeof num, "%s{\"exit\":%d,\"id\":", i ? "," : "", steps[i].exit_status);
        buf_adds(&b, num);
        json_string(&b, steps[i].id);
        snprintf(num, sizeof num, ",\"seconds\":%.3f}", steps[i].seconds);
        buf_adds(&b, num);
    }
    buf_adds(&b, "],\"v\":1}\n");

    make_parent(path);
    buf_t tmp = {0};
    buf_adds(&tmp, path);
    buf_adds(&tmp, ".XXXXXX");
    int fd = mkostemp(tmp.data, O_CLOEXEC);
    int bad = fd < 0 || fchmod(fd, 0644) || write_all(fd, b.data, b.len) || fsync(fd);
    if (fd >= 0 && close(fd))
        bad = 1;
    if (bad || rename(tmp.data, path)) {
        warnmsg("cannot write the launch status %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp.data);
        buf_free(&b);
        buf_free(&tmp);
        return -1;
    }
    buf_free(&b);
    buf_free(&tmp);
    return 0;
}

int status_succeeded(const char *path)
{
    buf_t text = {0};
    jval_t root;
    char err[256];
    if (read_file(path, 16u << 20, &text))
        return 0;
    int ok = json_parse(text.data, text.len, &root, err, sizeof err) == 0;
    const jval_t *state = ok ? json_get(&root, "state") : NULL;
    buf_free(&text);
    return state && state->type == J_STRING && strcmp(state->str, "succeeded") == 0;
}
