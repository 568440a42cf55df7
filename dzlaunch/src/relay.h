/* Runs one child in its own process group and relays its stdout and stderr
 * through redaction and line framing, as each pipe becomes ready. Cancel
 * signals (TERM, INT, HUP, QUIT) go to the child's whole group; a child still
 * alive CANCEL_GRACE_MS later is killed, so the launcher ends within 2 s. */
#ifndef DZ_RELAY_H
#define DZ_RELAY_H

#include <stddef.h>

#include "passwd.h"
#include "util.h"

#define CANCEL_GRACE_MS 1500

typedef struct {
    char **argv;
    char **envp;
    const char *directory;
    const user_t *switch_to; /* NULL: run as the current user */
    buf_t *patterns;         /* redaction patterns */
    size_t n_patterns;
} child_spec_t;

/* Blocks the cancel signals and SIGCHLD for signalfd use; call once at start. */
int relay_setup(void);

/* 1 once a cancel signal has been received (checks without waiting). */
int relay_cancelled(void);

/* Runs spec to completion; returns the exit status (128+signal when killed),
 * or EXIT_SETUP when the child cannot be started. */
int relay_run(const child_spec_t *spec);

/* Restores default signal handling in a child before exec. */
void relay_child_signals(void);

#endif
