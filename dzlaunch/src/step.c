/* One step from payload to exit status; see step.h. */
#include "step.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passwd.h"
#include "redact.h"
#include "relay.h"
#include "secrets.h"
#include "words.h"

typedef struct {
    char **items;
    size_t n;
} envlist_t;

static void env_set(envlist_t *e, const char *key, const char *value)
{
    size_t k = strlen(key);
    buf_t kv = {0};
    buf_adds(&kv, key);
    buf_addc(&kv, '=');
    buf_adds(&kv, value);
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->items[i], key, k) == 0 && e->items[i][k] == '=') {
            e->items[i] = kv.data;
            return;
        }
    e->items = xrealloc(e->items, (e->n + 2) * sizeof *e->items);
    e->items[e->n++] = kv.data;
    e->items[e->n] = NULL;
}

/* The inherited environment, then HOME/USER/LOGNAME, literal env, secret env. */
static char **build_env(const step_t *s, const user_t *u, const secret_set_t *secrets, char *err,
                        size_t errlen)
{
    envlist_t e = {xmalloc(sizeof(char *)), 0};
    e.items[0] = NULL;
    for (char **p = environ; *p; p++) {
        e.items = xrealloc(e.items, (e.n + 2) * sizeof *e.items);
        e.items[e.n++] = *p;
        e.items[e.n] = NULL;
    }
    if (!getenv("PATH"))
        env_set(&e, "PATH", DEFAULT_PATH);
    env_set(&e, "HOME", u->home);
    env_set(&e, "USER", u->name);
    env_set(&e, "LOGNAME", u->name);
    for (size_t i = 0; i < s->n_env; i++)
        env_set(&e, s->env[i].key, s->env[i].value);
    for (size_t i = 0; i < s->n_secret_env; i++) {
        char *value = secret_expand(s->secret_env[i].value, secrets, err, errlen);
        if (!value)
            return NULL;
        env_set(&e, s->secret_env[i].key, value);
    }
    return e.items;
}

/* mkdir -p; directories it creates are given to owner when one is set. */
static int make_dirs(const char *path, const user_t *owner, char *err, size_t errlen)
{
    char *p = xstrdup(path);
    for (char *slash = p + 1;; slash++) {
        if (*slash != '/' && *slash != '\0')
            continue;
        char saved = *slash;
        *slash = '\0';
        if (mkdir(p, 0755) == 0) {
            if (owner && chown(p, owner->uid, owner->gid))
                warnmsg("cannot give %s to %s: %s", p, owner->name, strerror(errno));
        } else if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *slash = saved;
        if (!saved)
            break;
    }
    free(p);
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "working directory %s is not a directory", path);
        return -1;
    }
    return 0;
}

/* A directory usable for the script: $TMPDIR when its path survives shell-style
 * splitting unchanged, otherwise /tmp (created 1777 when the image lacks it). */
static const char *temp_dir(void)
{
    const char *t = getenv("TMPDIR");
    if (t && t[0] == '/' && !strpbrk(t, " \t\r\n'\"\\{}") && access(t, W_OK | X_OK) == 0)
        return t;
    if (mkdir("/tmp", 01777) == 0)
        chmod("/tmp", 01777); /* mkdir applies the umask */
    return "/tmp";
}

static char *write_script(const step_t *s, const user_t *owner, char *err, size_t errlen)
{
    buf_t path = {0};
    buf_adds(&path, temp_dir());
    buf_adds(&path, "/dzlaunch-XXXXXX");
    int fd = mkostemp(path.data, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the script file in %s: %s", temp_dir(), strerror(errno));
        return NULL;
    }
    int bad = fchmod(fd, 0700) || (owner && fchown(fd, owner->uid, owner->gid)) ||
              write_all(fd, s->script, s->script_len);
    if (close(fd) || bad) {
        snprintf(err, errlen, "cannot write the script file %s: %s", path.data, strerror(errno));
        unlink(path.data);
        return NULL;
    }
    return path.data;
}

static void print_line(const char *text, buf_t *patterns, size_t n_patterns)
{
    buf_t clean = {0}, out = {0};
    for (const char *p = text; *p; p++)
        buf_addc(&clean, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
    redact_all(patterns, n_patterns, clean.data ? clean.data : "", clean.len, &out);
    buf_addc(&out, '\n');
    (void)write_all(1, out.data, out.len);
    buf_free(&clean);
    buf_free(&out);
}

/* Decides whether the step needs a user switch; NULL with err when impossible. */
static int choose_user(const step_t *s, const step_env_t *f, user_t *u, const user_t **switch_to,
                       char *err, size_t errlen)
{
    if (user_lookup(f->passwd_path, f->group_path, s->user, u, err, errlen))
        return -1;
    uid_t me = geteuid();
    *switch_to = NULL;
    if (u->uid == me)
        return 0;
    if (me != 0) {
        snprintf(err, errlen, "step user %s (uid %u) is not the current user (uid %u), and only "
                 "root can switch users", u->name, (unsigned)u->uid, (unsigned)me);
        return -1;
    }
    *switch_to = u;
    return 0;
}

static int prepare_and_run(const step_t *s, const step_env_t *f, const secret_set_t *secrets,
                           buf_t *pats, size_t n_pats)
{
    char err[1024] = "";
    user_t u;
    const user_t *switch_to;
    char **envp = NULL;
    if (choose_user(s, f, &u, &switch_to, err, sizeof err) ||
        !(envp = build_env(s, &u, secrets, err, sizeof err)) ||
        make_dirs(s->directory, switch_to, err, sizeof err)) {
        warnmsg("%s", err);
        return EXIT_SETUP;
    }
    char *script = write_script(s, switch_to, err, sizeof err);
    if (!script) {
        warnmsg("%s", err);
        return EXIT_SETUP;
    }
    int argc;
    char **argv = shell_argv(s->shell, script, &argc, err, sizeof err);
    int status = EXIT_PAYLOAD;
    if (argv) {
        child_spec_t spec = {argv, envp, s->directory, switch_to, pats, n_pats};
        status = relay_run(&spec);
    } else {
        warnmsg("%s", err);
    }
    unlink(script);
    return status;
}

int step_run(const step_t *s, const step_env_t *files, double *seconds)
{
    double start = now_seconds();
    buf_t *patterns = NULL;
    size_t n_patterns = 0;
    secret_set_t secrets = {0};
    char err[1024];
    /* Secrets first, so even the header line is redacted. */
    int loaded = secrets_load(s, &secrets, err, sizeof err) == 0;
    if (loaded)
        secret_patterns(s, &secrets, &patterns, &n_patterns);
    char line[8192];
    snprintf(line, sizeof line, "==> [%s] %s", s->id, s->name);
    print_line(line, patterns, n_patterns);
    int status = EXIT_SETUP;
    if (loaded)
        status = prepare_and_run(s, files, &secrets, patterns, n_patterns);
    else
        warnmsg("%s", err);
    *seconds = now_seconds() - start;
    snprintf(line, sizeof line, "==> [%s] exit %d in %.3fs", s->id, status, *seconds);
    print_line(line, patterns, n_patterns);
    return status;
}
