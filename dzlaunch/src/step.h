/* Runs one validated step: header, user, secrets, environment, working
 * directory, private script file, the shell, the relay and the summary. */
#ifndef DZ_STEP_H
#define DZ_STEP_H

#include "payload.h"

typedef struct {
    const char *passwd_path;
    const char *group_path;
} step_env_t;

/* Returns the step's exit status (EXIT_SETUP when it could not be prepared).
 * *seconds receives the wall time. */
int step_run(const step_t *s, const step_env_t *files, double *seconds);

#endif
