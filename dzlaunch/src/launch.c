/* Launch mode; see launch.h. */
#include "launch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "payload.h"
#include "relay.h"
#include "status.h"
#include "step.h"
#include "util.h"

#define MAX_MANIFEST_SIZE (64u << 20)

typedef struct {
    const char *manifest;
    const char *status_file;
    int force;
    char **then; /* NULL-terminated, or NULL */
} launch_opts_t;

static int parse_opts(int argc, char **argv, launch_opts_t *o)
{
    *o = (launch_opts_t){DEFAULT_MANIFEST, DEFAULT_STATUS_FILE, 0, NULL};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--force") == 0) {
            o->force = 1;
        } else if (strcmp(a, "--then") == 0) {
            if (i + 1 >= argc) {
                warnmsg("--then needs a command");
                return -1;
            }
            o->then = argv + i + 1; /* argv is NULL-terminated */
            return 0;
        } else if ((strcmp(a, "--manifest") == 0 || strcmp(a, "--status-file") == 0) &&
                   i + 1 < argc) {
            *(a[2] == 'm' ? &o->manifest : &o->status_file) = argv[++i];
        } else {
            warnmsg("unknown launch option '%s'; usage: dzlaunch --mode launch [--manifest PATH] "
                    "[--status-file PATH] [--force] [--then CMD ARGS...]", a);
            return -1;
        }
    }
    return 0;
}

/* Reads and validates the whole manifest before anything runs. */
static int load_manifest(const char *path, step_t **steps, size_t *n)
{
    buf_t text = {0};
    jval_t root;
    char err[1024];
    if (read_file(path, MAX_MANIFEST_SIZE, &text)) {
        warnmsg("cannot read the launch manifest %s: %s", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    if (json_parse(text.data, text.len, &root, err, sizeof err)) {
        warnmsg("invalid launch manifest %s: %s", path, err);
        return EXIT_PAYLOAD;
    }
    const jval_t *v = json_get(&root, "v"), *list = json_get(&root, "steps");
    const char *problem = root.type != J_OBJECT                     ? "it must be a JSON object"
                          : !v || v->type != J_NUMBER || !v->is_integer ? "field 'v' must be an integer"
                          : v->integer != 1 ? "unsupported manifest version; this dzlaunch understands 1"
                          : !list                  ? "missing field 'steps'"
                          : list->type != J_ARRAY  ? "field 'steps' must be an array"
                                                   : NULL;
    if (problem) {
        warnmsg("invalid launch manifest %s: %s", path, problem);
        return EXIT_PAYLOAD;
    }
    *steps = xmalloc((list->len + 1) * sizeof **steps);
    *n = list->len;
    for (size_t i = 0; i < list->len; i++) {
        char where[64];
        snprintf(where, sizeof where, "steps[%zu]: ", i);
        if (step_from_json(&list->items[i], where, &(*steps)[i], err, sizeof err)) {
            warnmsg("invalid launch manifest %s: %s", path, err);
            return EXIT_PAYLOAD;
        }
    }
    return 0;
}

static int run_steps(const launch_opts_t *o, const step_t *steps, size_t n)
{
    step_result_t *done = xmalloc((n + 1) * sizeof *done);
    step_env_t files = {"/etc/passwd", "/etc/group"};
    status_write(o->status_file, "running", done, 0, NULL);
    for (size_t i = 0; i < n; i++) {
        int status;
        double seconds = 0;
        if (relay_cancelled())
            status = 128 + 15;
        else
            status = step_run(&steps[i], &files, &seconds);
        done[i] = (step_result_t){steps[i].id, status, seconds};
        if (status != 0) {
            status_write(o->status_file, "failed", done, i + 1, steps[i].id);
            warnmsg("launch step %s failed with exit %d; %zu later step(s) not run", steps[i].id,
                    status, n - i - 1);
            return status;
        }
        status_write(o->status_file, i + 1 == n ? "succeeded" : "running", done, i + 1, NULL);
    }
    if (n == 0)
        status_write(o->status_file, "succeeded", done, 0, NULL);
    return 0;
}

static int exec_then(char **then)
{
    if (!then)
        return 0;
    relay_child_signals();
    execvp(then[0], then);
    int e = errno;
    warnmsg("cannot run %s: %s", then[0], strerror(e));
    return e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

int launch_main(int argc, char **argv)
{
    launch_opts_t o;
    if (parse_opts(argc, argv, &o))
        return EXIT_PAYLOAD;
    if (!o.force && status_succeeded(o.status_file)) {
        printf("==> launch steps already succeeded (%s); not running them again\n", o.status_file);
        fflush(stdout);
        return exec_then(o.then);
    }
    step_t *steps = NULL;
    size_t n = 0;
    int rc = load_manifest(o.manifest, &steps, &n);
    if (rc)
        return rc;
    rc = run_steps(&o, steps, n);
    if (rc)
        return rc;
    printf("==> launch finished: %zu step(s) succeeded\n", n);
    fflush(stdout);
    return exec_then(o.then);
}
