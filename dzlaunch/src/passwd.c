/* /etc/passwd and /etc/group parsing; see passwd.h. */
#include "passwd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DB_SIZE (64u << 20)

/* Splits line (modified in place) at ':' into at most n fields; returns the count. */
static size_t split_fields(char *line, char **fields, size_t n)
{
    size_t k = 0;
    fields[k++] = line;
    for (char *p = line; *p && k < n; p++) {
        if (*p == ':') {
            *p = '\0';
            fields[k++] = p + 1;
        }
    }
    return k;
}

static int parse_id(const char *s, unsigned long *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v > 0xFFFFFFFEul || *s == '-')
        return -1;
    *out = v;
    return 0;
}

/* Calls visit for each well-formed line of an /etc-style file; stops when visit returns 1. */
static int each_line(const char *path, size_t nfields, int (*visit)(char **f, void *ctx), void *ctx)
{
    buf_t text = {0};
    if (read_file(path, MAX_DB_SIZE, &text))
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[7];
        if (line[0] == '#' || split_fields(line, f, nfields) != nfields)
            continue;
        if (visit(f, ctx)) {
            /* visit copied what it needs */
            break;
        }
    }
    buf_free(&text);
    return 0;
}

typedef struct {
    const char *spec;
    int by_uid;
    unsigned long uid;
    user_t *out;
    int found;
} find_t;

static int visit_passwd(char **f, void *ctx)
{
    find_t *q = ctx;
    unsigned long uid, gid;
    if (parse_id(f[2], &uid) || parse_id(f[3], &gid))
        return 0;
    if (q->by_uid ? uid != q->uid : strcmp(f[0], q->spec) != 0)
        return 0;
    q->out->name = xstrdup(f[0]);
    q->out->uid = (uid_t)uid;
    q->out->gid = (gid_t)gid;
    q->out->home = xstrdup(*f[5] ? f[5] : "/");
    q->found = 1;
    return 1;
}

static int visit_group(char **f, void *ctx)
{
    user_t *u = ctx;
    unsigned long gid;
    if (parse_id(f[2], &gid) || (gid_t)gid == u->gid)
        return 0;
    char *save = NULL;
    for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        if (strcmp(m, u->name) == 0) {
            u->groups = xrealloc(u->groups, (u->n_groups + 1) * sizeof *u->groups);
            u->groups[u->n_groups++] = (gid_t)gid;
            break;
        }
    }
    return 0;
}

int user_lookup(const char *passwd_path, const char *group_path, const char *spec, user_t *out,
                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    find_t q = {spec, 0, 0, out, 0};
    if (each_line(passwd_path, 7, visit_passwd, &q)) {
        /* An image without /etc/passwd (scratch, distroless) can still run steps as root. */
        if (errno == ENOENT && (strcmp(spec, "root") == 0 || strcmp(spec, "0") == 0)) {
            *out = (user_t){xstrdup("root"), 0, 0, xstrdup("/root"), NULL, 0};
            out->groups = xmalloc(sizeof *out->groups);
            out->groups[0] = 0;
            out->n_groups = 1;
            return 0;
        }
        snprintf(err, errlen, "cannot read %s: %s", passwd_path, strerror(errno));
        return -1;
    }
    if (!q.found && parse_id(spec, &q.uid) == 0) {
        q.by_uid = 1;
        (void)each_line(passwd_path, 7, visit_passwd, &q);
    }
    if (!q.found) {
        snprintf(err, errlen, "user '%s' does not exist in %s", spec, passwd_path);
        return -1;
    }
    out->groups = xmalloc(sizeof *out->groups);
    out->groups[0] = out->gid;
    out->n_groups = 1;
    /* A missing /etc/group only means no supplementary groups. */
    (void)each_line(group_path, 4, visit_group, out);
    return 0;
}
