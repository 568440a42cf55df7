/* Session mode; see session.h and "The image's runtime config" in docs/design.md. */
#include "session.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "passwd.h"
#include "relay.h"
#include "util.h"

/* Sources the runtime environment ($0) in the session user's own shell, so `$HOME`
 * and `$PATH` expand to that user's values, then replaces the shell with the command.
 * `command .` keeps a broken script (bash-only syntax under dash) from aborting the
 * shell: the shell reports it and the command still runs. */
/* Not const: exec's argv is char *const[], and casting const away is a warning here. */
static char SOURCE_AND_EXEC[] = "command . \"$0\"; exec \"$@\"";
static char SHELL_PATH[] = "/bin/sh", SHELL_C[] = "-c";
static char OPT_MANIFEST[] = "--manifest", OPT_STATUS_FILE[] = "--status-file";
static char DEFAULT_ENV_SCRIPT_PATH[] = DEFAULT_ENV_SCRIPT;

typedef struct {
    char *user; /* NULL: stay the current user */
    char *env_script;
    char *manifest;
    char *status_file;
    int launch;
    char **secret_files;
    size_t n_secret_files;
    char **command; /* NULL-terminated (argv is) */
} session_opts_t;

static const char USAGE[] = "usage: dzlaunch --mode session [--user NAME] [--env-script PATH] "
                            "[--secret-file PATH]... [--launch [--manifest PATH] "
                            "[--status-file PATH]] [--] CMD ARGS...";

static int parse_opts(int argc, char **argv, session_opts_t *o)
{
    *o = (session_opts_t){.env_script = DEFAULT_ENV_SCRIPT_PATH};
    o->secret_files = xmalloc((size_t)(argc + 1) * sizeof *o->secret_files);
    int i = 0;
    /* Options end at the first word that is not one (or at "--"): that is the command. */
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--launch") == 0) {
            o->launch = 1;
            continue;
        }
        char **slot = strcmp(a, "--user") == 0          ? &o->user
                            : strcmp(a, "--env-script") == 0  ? &o->env_script
                            : strcmp(a, "--manifest") == 0    ? &o->manifest
                            : strcmp(a, "--status-file") == 0 ? &o->status_file
                            : strcmp(a, "--secret-file") == 0 ? &o->secret_files[o->n_secret_files]
                                                              : NULL;
        if (!slot || i + 1 >= argc) {
            warnmsg("%s session option '%s'; %s", slot ? "missing the value of the" : "unknown", a,
                    USAGE);
            return -1;
        }
        *slot = argv[++i];
        if (slot == &o->secret_files[o->n_secret_files])
            o->n_secret_files++;
    }
    if (i >= argc) {
        warnmsg("no command to run; %s", USAGE);
        return -1;
    }
    o->command = argv + i;
    return 0;
}

static int run_launch(const session_opts_t *o)
{
    char *args[5];
    int n = 0;
    if (o->manifest) {
        args[n++] = OPT_MANIFEST;
        args[n++] = o->manifest;
    }
    if (o->status_file) {
        args[n++] = OPT_STATUS_FILE;
        args[n++] = o->status_file;
    }
    args[n] = NULL;
    return launch_main(n, args);
}

/* Root becomes the session user; anyone else (docker run -u ...) stays who they are.
 * A base image without that user keeps the session as root, with a warning, rather
 * than leaving the workspace without a shell. */
static int become(const char *name)
{
    if (!name || geteuid() != 0)
        return 0;
    user_t u;
    char err[1024];
    if (user_lookup("/etc/passwd", "/etc/group", name, &u, err, sizeof err)) {
        warnmsg("%s; the session runs as root", err);
        return 0;
    }
    if (setgroups(u.n_groups, u.groups) || setgid(u.gid) || setuid(u.uid)) {
        warnmsg("cannot switch to user %s: %s", u.name, strerror(errno));
        return -1;
    }
    if (setenv("HOME", u.home, 1) || setenv("USER", u.name, 1) || setenv("LOGNAME", u.name, 1)) {
        warnmsg("cannot set the session user's environment: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The runtime script reads each secret file and yields an empty value when it is
 * absent (a plain `docker run` has no platform to place them), so say so once here. */
static void check_secret_files(const session_opts_t *o)
{
    for (size_t i = 0; i < o->n_secret_files; i++) {
        const char *path = o->secret_files[i];
        if (access(path, R_OK) != 0)
            warnmsg("secret file %s is %s; runtime variables that use it are empty", path,
                    errno == ENOENT ? "missing" : "not readable");
    }
}

static int exec_command(const session_opts_t *o)
{
    relay_child_signals();
    if (!getenv("PATH"))
        (void)setenv("PATH", DEFAULT_PATH, 1); /* the image's Env normally sets it */
    if (access(o->env_script, F_OK) == 0) {
        size_t n = 0;
        while (o->command[n])
            n++;
        char **argv = xmalloc((n + 5) * sizeof *argv);
        argv[0] = SHELL_PATH;
        argv[1] = SHELL_C;
        argv[2] = SOURCE_AND_EXEC;
        argv[3] = o->env_script;
        memcpy(argv + 4, o->command, (n + 1) * sizeof *argv);
        execv(argv[0], argv);
        warnmsg("cannot run /bin/sh to apply %s: %s; running %s without it", o->env_script,
                strerror(errno), o->command[0]);
    }
    execvp(o->command[0], o->command);
    int e = errno;
    warnmsg("cannot run %s: %s", o->command[0], strerror(e));
    return e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

int session_main(int argc, char **argv)
{
    session_opts_t o;
    if (parse_opts(argc, argv, &o))
        return EXIT_PAYLOAD;
    if (o.launch) {
        int rc = run_launch(&o);
        if (rc)
            return rc;
    }
    if (become(o.user))
        return EXIT_SETUP;
    check_secret_files(&o);
    return exec_command(&o);
}
