/* Shell-style splitting of the shell template; see words.h. */
#include "words.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static char *substitute(const char *tpl, const char *path)
{
    buf_t b = {0};
    buf_reserve(&b, strlen(tpl) + 64);
    for (const char *p = tpl; *p;) {
        if (p[0] == '{' && p[1] == '}') {
            buf_adds(&b, path);
            p += 2;
        } else {
            buf_addc(&b, *p++);
        }
    }
    return b.data;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends one word starting at *pp to word; returns 0 or -1 on a quoting error. */
static int one_word(const char **pp, buf_t *word, char *err, size_t errlen)
{
    const char *p = *pp;
    while (*p && !is_space(*p)) {
        if (*p == '\\') {
            if (!p[1]) {
                snprintf(err, errlen, "field 'shell': no escaped character after a final backslash");
                return -1;
            }
            buf_addc(word, p[1]);
            p += 2;
        } else if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (!end) {
                snprintf(err, errlen, "field 'shell': no closing quotation");
                return -1;
            }
            buf_add(word, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (!*p) {
                    snprintf(err, errlen, "field 'shell': no closing quotation");
                    return -1;
                }
                /* Inside double quotes a backslash escapes only '"' and '\' (shlex). */
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                buf_addc(word, *p);
            }
            p++;
        } else {
            buf_addc(word, *p++);
        }
    }
    *pp = p;
    return 0;
}

char **shell_argv(const char *tpl, const char *script_path, int *argc, char *err, size_t errlen)
{
    char *line = substitute(tpl, script_path);
    size_t cap = 8;
    char **argv = xmalloc(cap * sizeof *argv);
    int n = 0;
    const char *p = line;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        buf_t word = {0};
        buf_reserve(&word, 32);
        if (one_word(&p, &word, err, errlen))
            return NULL;
        if ((size_t)n + 2 > cap)
            argv = xrealloc(argv, (cap *= 2) * sizeof *argv);
        argv[n++] = word.data;
    }
    argv[n] = NULL;
    if (n == 0) {
        snprintf(err, errlen, "field 'shell' has no command");
        return NULL;
    }
    *argc = n;
    return argv;
}
