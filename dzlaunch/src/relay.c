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

/* A pipe holds 64 KiB by default; larger pipes measured slower (cache misses)
 * while the producer keeps them full. */
#define CHUNK (128 * 1024)
/* Batching for a producer slower than the relay (a build tool printing in 4 KiB
 * writes): a read that found the pipe nearly drained makes the relay wait a
 * little before reading again, so the next read and the write downstream carry
 * many writes' worth (fewer wake-ups here, in the reader and in BuildKit's log
 * handling, for at most BATCH_WAIT_US of added latency). The pipe grows first,
 * so the producer does not block meanwhile (filling BATCH_PIPE takes longer
 * than the wait below 2.5 GB/s); a read that fills the whole buffer means the
 * producer is the faster one, and the pipe goes back to its default size. When
 * the pipe cannot grow, the relay never waits. */
#define BATCH_SHORT_READ (CHUNK / 2)
#define BATCH_WAIT_US 100
#define BATCH_PIPE (256 * 1024)
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

/* One relayed pipe. Each read lands right behind the bytes carried over from
 * the previous one (an unfinished line, then bytes that may begin a secret),
 * so redaction and framing see one contiguous text and, when nothing is
 * redacted or split, the text goes out as it came in without being copied. */
typedef struct {
    int fd;             /* read end, -1 at EOF */
    int out;            /* where relayed lines go, -1 once the reader is gone */
    const redactor_t *redactor;
    char *buf;          /* room for the carry, then one read */
    size_t room;        /* where a read lands in buf: the carry's maximum */
    size_t line_len;    /* carried bytes already redacted (an unfinished line) */
    size_t carry_len;   /* all carried bytes: line_len, then undecided ones */
    buf_t redacted;     /* scratch: the text after a replacement */
    buf_t framed;       /* scratch: the text after a line was split */
    buf_t keep;         /* scratch: the next carry while it is moved */
    int batching;       /* the pipe has grown to BATCH_PIPE: reads wait when short */
    int pipe_default;   /* its size before, to shrink back to */
} stream_t;

static void stream_init(stream_t *s, int fd, int out, const redactor_t *r)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->out = out;
    s->redactor = r;
    s->room = LINE_MAX_BYTES + r->longest;
    s->buf = xmalloc(s->room + CHUNK);
    s->pipe_default = fcntl(fd, F_GETPIPE_SZ);
}

/* Adapts the pipe to the producer after a read of r bytes; 1 when the relay
 * should wait before reading again. */
static int stream_batches(stream_t *s, ssize_t r)
{
    if (r <= 0 || s->fd < 0 || s->pipe_default <= 0)
        return 0;
    if (r == CHUNK && s->batching) {
        /* Fails (EBUSY) while the content would not fit; tried again later. */
        if (fcntl(s->fd, F_SETPIPE_SZ, s->pipe_default) >= 0)
            s->batching = 0;
    } else if (r < BATCH_SHORT_READ && !s->batching)
        s->batching = fcntl(s->fd, F_SETPIPE_SZ, BATCH_PIPE) >= BATCH_PIPE;
    return r < BATCH_SHORT_READ && s->batching;
}

static void stream_free(stream_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    buf_free(&s->redacted);
    buf_free(&s->framed);
    buf_free(&s->keep);
}

static void stream_write(stream_t *s, const char *p, size_t n)
{
    if (n && s->out >= 0 && write_all(s->out, p, n))
        s->out = -1; /* reader gone: keep draining so the child is never blocked */
}

/* Settles the carry plus n newly read bytes (at buf + room): redacts, frames,
 * writes, and carries over what is not settled yet. */
static void stream_emit(stream_t *s, size_t n, int final)
{
    char *text = s->buf + s->room - s->carry_len;
    size_t len = s->carry_len + n;
    int changed, verbatim;
    s->redacted.len = s->framed.len = 0;
    size_t hold = redact_decide(s->redactor, text, len, s->line_len, final, &s->redacted, &changed);
    const char *clean = changed ? s->redacted.data : text;
    size_t clean_len = changed ? s->redacted.len : hold;
    size_t settled = lines_frame(clean, clean_len, final, &s->framed, &verbatim);
    if (verbatim)
        stream_write(s, clean, settled);
    else
        stream_write(s, s->framed.data, s->framed.len);
    /* Both parts of the next carry may overlap where it goes: move via keep. */
    s->keep.len = 0;
    buf_add(&s->keep, clean + settled, clean_len - settled);
    buf_add(&s->keep, text + hold, len - hold);
    s->line_len = clean_len - settled;
    s->carry_len = s->keep.len;
    memcpy(s->buf + s->room - s->carry_len, s->keep.data, s->carry_len);
}

/* Reads once from a ready stream; returns bytes read (0 at EOF). */
static ssize_t stream_read(stream_t *s)
{
    ssize_t r = read(s->fd, s->buf + s->room, CHUNK);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return -1;
    if (r <= 0) {
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    stream_emit(s, (size_t)r, 0);
    return r;
}

/* Lets a slow producer's output gather in its pipe; a cancel ends the wait. */
static void batch_wait(void)
{
    struct pollfd signals = {signal_fd, POLLIN, 0};
    struct timespec wait = {0, BATCH_WAIT_US * 1000L};
    (void)ppoll(&signals, 1, &wait, NULL);
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
        int drained = 0;
        for (int i = 0; n > 0 && i < 2; i++) {
            ssize_t r = 0;
            if (streams[i].fd >= 0 && fds[i + 1].revents && (r = stream_read(&streams[i])) > 0)
                quiet_since = now_seconds();
            drained |= stream_batches(&streams[i], r);
        }
        if (drained && !c->exited && !c->kill_at)
            batch_wait();
        if (c->kill_at && !c->exited && now_seconds() >= c->kill_at) {
            kill(-c->pid, SIGKILL);
            kill(c->pid, SIGKILL);
        }
        /* Only background processes still hold the pipes open. */
        if (c->exited && wait_ms(c, quiet_since, exited_at) == 0)
            break;
    }
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
    redactor_t redactor;
    redact_init(&redactor, spec->patterns, spec->n_patterns);
    stream_t streams[2];
    stream_init(&streams[0], out_p[0], 1, &redactor);
    stream_init(&streams[1], err_p[0], 2, &redactor);
    if (cancel_signal) { /* cancelled before the child existed */
        kill(-c.pid, cancel_signal);
        c.kill_at = now_seconds() + CANCEL_GRACE_MS / 1000.0;
    }
    relay_loop(&c, streams);
    for (int i = 0; i < 2; i++) {
        stream_emit(&streams[i], 0, 1);
        stream_free(&streams[i]);
    }
    redact_free(&redactor);
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
