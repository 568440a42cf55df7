/* Child process and output relay; see relay.h. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lines.h"
#include "redact.h"

/* A pipe holds 64 KiB by default; larger pipes measured slower (cache misses). */
#define CHUNK (128 * 1024)
/* After the child exits, output still buffered in the pipes is drained; a
 * background process that keeps a pipe open is not waited for longer than this. */
#define DRAIN_IDLE_MS 200
#define DRAIN_MAX_MS 1000

static int signal_fd = -1;
static int cancel_signal;

int relay_setup(void)
{
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL))
        return -1;
    signal(SIGPIPE, SIG_IGN); /* a closed log reader must not kill us mid-drain */
    signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return signal_fd < 0 ? -1 : 0;
}

void relay_child_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

typedef struct {
    pid_t pid;
    int status; /* raw wait status, valid when exited */
    int exited;
    double kill_at; /* when to SIGKILL after a cancel; 0 = none */
} child_t;

/* Reads pending signals: reaps children (we may be PID 1 and adopt orphans),
 * forwards cancels to the child's process group. */
static void handle_signals(child_t *c)
{
    struct signalfd_siginfo si;
    while (read(signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD)
            continue;
        if (c && !c->exited) {
            /* A second cancel does not wait for the grace period. */
            int fwd = cancel_signal ? SIGKILL : sig;
            kill(-c->pid, fwd);
            kill(c->pid, fwd);
            if (!c->kill_at)
                c->kill_at = now_seconds() + CANCEL_GRACE_MS / 1000.0;
        }
        cancel_signal = sig;
    }
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (c && w == c->pid) {
            c->exited = 1;
            c->status = st;
        }
    }
}

int relay_cancelled(void)
{
    handle_signals(NULL);
    return cancel_signal != 0;
}

static void child_exec(const child_spec_t *spec, int out_w, int err_w)
{
    int null = open("/dev/null", O_RDONLY);
    setpgid(0, 0);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
        _exit(EXIT_SETUP);
    relay_child_signals();
    const user_t *u = spec->switch_to;
    if (u && (setgroups(u->n_groups, u->groups) || setgid(u->gid) || setuid(u->uid))) {
        dprintf(2, "dzlaunch: cannot switch to user %s: %s\n", u->name, strerror(errno));
        _exit(EXIT_SETUP);
    }
    if (chdir(spec->directory)) {
        dprintf(2, "dzlaunch: cannot enter directory %s: %s\n", spec->directory, strerror(errno));
        _exit(EXIT_SETUP);
    }
    environ = spec->envp;
    execvp(spec->argv[0], spec->argv);
    int e = errno;
    dprintf(2, "dzlaunch: cannot run %s: %s\n", spec->argv[0], strerror(e));
    _exit(e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

typedef struct {
    int fd;    /* read end, -1 at EOF */
    int out;   /* where relayed lines go */
    redactor_t redactor;
    liner_t liner;
    buf_t ready;
    buf_t framed;
} stream_t;

/* The common case, no secrets and no unfinished line: complete short lines go
 * straight from the read buffer to the output without copying. Returns how
 * many leading bytes were written. */
static size_t emit_direct(stream_t *s, const char *data, size_t n)
{
    if (s->redactor.n || s->liner.part.len || n == 0)
        return 0;
    const char *last = memrchr(data, '\n', n);
    if (!last)
        return 0;
    size_t upto = (size_t)(last - data) + 1;
    /* No line is too long iff every LINE_MAX_BYTES+1 bytes hold a newline: one
     * backward search per window instead of one memchr per (usually short) line. */
    for (const char *p = data, *end = data + upto; (size_t)(end - p) > LINE_MAX_BYTES + 1;) {
        const char *nl = memrchr(p, '\n', LINE_MAX_BYTES + 1);
        if (!nl)
            return 0;
        p = nl + 1;
    }
    if (s->out >= 0 && write_all(s->out, data, upto))
        s->out = -1;
    return upto;
}

static void stream_emit(stream_t *s, const char *data, size_t n, int final)
{
    size_t direct = emit_direct(s, data, n);
    data += direct;
    n -= direct;
    s->ready.len = s->framed.len = 0;
    redact_feed(&s->redactor, data, n, &s->ready);
    if (final)
        redact_finish(&s->redactor, &s->ready);
    lines_feed(&s->liner, s->ready.data, s->ready.len, &s->framed);
    if (final)
        lines_finish(&s->liner, &s->framed);
    if (s->framed.len && s->out >= 0 && write_all(s->out, s->framed.data, s->framed.len))
        s->out = -1; /* reader gone: keep draining so the child is never blocked */
}

/* Reads once from a ready stream; returns bytes read (0 at EOF). */
static ssize_t stream_read(stream_t *s, char *chunk)
{
    ssize_t r = read(s->fd, chunk, CHUNK);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return -1;
    if (r <= 0) {
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    stream_emit(s, chunk, (size_t)r, 0);
    return r;
}

/* How long poll may sleep: until the cancel deadline, or until draining after
 * the child's exit should give up. -1 = until something happens. */
static int wait_ms(const child_t *c, double quiet_since, double exited_at)
{
    double until = -1;
    if (c->kill_at && !c->exited)
        until = c->kill_at;
    else if (c->exited) {
        until = quiet_since + DRAIN_IDLE_MS / 1000.0;
        if (until > exited_at + DRAIN_MAX_MS / 1000.0)
            until = exited_at + DRAIN_MAX_MS / 1000.0;
        if (c->kill_at && until > c->kill_at + 0.3) /* a cancel must end within 2 s */
            until = c->kill_at + 0.3;
    }
    if (until < 0)
        return -1;
    double now = now_seconds();
    return until <= now ? 0 : (int)((until - now) * 1000) + 1;
}

static void relay_loop(child_t *c, stream_t *streams)
{
    char *chunk = xmalloc(CHUNK);
    double quiet_since = 0, exited_at = 0;
    for (;;) {
        int open_streams = (streams[0].fd >= 0) + (streams[1].fd >= 0);
        if (c->exited && !open_streams)
            break;
        struct pollfd fds[3] = {{signal_fd, POLLIN, 0}, {streams[0].fd, POLLIN, 0},
                                {streams[1].fd, POLLIN, 0}};
        int n = poll(fds, 3, wait_ms(c, quiet_since, exited_at));
        if (n < 0 && errno != EINTR)
            break;
        int was_exited = c->exited;
        if (n > 0 && fds[0].revents)
            handle_signals(c);
        if (c->exited && !was_exited) {
            quiet_since = exited_at = now_seconds();
            /* A cancelled step is over: background jobs (which ignore SIGINT in a
             * non-interactive shell) must not outlive it. */
            if (c->kill_at)
                kill(-c->pid, SIGKILL);
        }
        for (int i = 0; n > 0 && i < 2; i++)
            if (streams[i].fd >= 0 && fds[i + 1].revents && stream_read(&streams[i], chunk) > 0)
                quiet_since = now_seconds();
        if (c->kill_at && !c->exited && now_seconds() >= c->kill_at) {
            kill(-c->pid, SIGKILL);
            kill(c->pid, SIGKILL);
        }
        /* Only background processes still hold the pipes open. */
        if (c->exited && wait_ms(c, quiet_since, exited_at) == 0)
            break;
    }
    free(chunk);
}

int relay_run(const child_spec_t *spec)
{
    int out_p[2], err_p[2];
    if (pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC)) {
        warnmsg("cannot create pipes: %s", strerror(errno));
        return EXIT_SETUP;
    }
    child_t c = {0};
    c.pid = fork();
    if (c.pid < 0) {
        warnmsg("cannot fork: %s", strerror(errno));
        return EXIT_SETUP;
    }
    if (c.pid == 0)
        child_exec(spec, out_p[1], err_p[1]);
    setpgid(c.pid, c.pid); /* also here, so a cancel right after fork reaches the group */
    close(out_p[1]);
    close(err_p[1]);
    stream_t streams[2] = {{.fd = out_p[0], .out = 1}, {.fd = err_p[0], .out = 2}};
    for (int i = 0; i < 2; i++)
        redact_init(&streams[i].redactor, spec->patterns, spec->n_patterns);
    if (cancel_signal) { /* cancelled before the child existed */
        kill(-c.pid, cancel_signal);
        c.kill_at = now_seconds() + CANCEL_GRACE_MS / 1000.0;
    }
    relay_loop(&c, streams);
    for (int i = 0; i < 2; i++) {
        stream_emit(&streams[i], "", 0, 1);
        if (streams[i].fd >= 0)
            close(streams[i].fd);
        buf_free(&streams[i].ready);
        buf_free(&streams[i].framed);
    }
    while (!c.exited) { /* pipes closed early by the child: wait for it */
        struct pollfd pfd = {signal_fd, POLLIN, 0};
        int n = poll(&pfd, 1, wait_ms(&c, 0, 0));
        handle_signals(&c);
        if (n == 0 && c.kill_at && !c.exited) {
            kill(-c.pid, SIGKILL);
            kill(c.pid, SIGKILL);
        }
    }
    if (WIFSIGNALED(c.status))
        return 128 + WTERMSIG(c.status);
    return WEXITSTATUS(c.status);
}
