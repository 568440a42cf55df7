/* The launch status file (docs/design.md "Launch manifest"):
 * {"failed_step":...,"state":"running|succeeded|failed","steps":[{"exit","id","seconds"}],"v":1}
 * written atomically (temporary file, then rename) so a reader never sees half of it. */
#ifndef DZ_STATUS_H
#define DZ_STATUS_H

#include <stddef.h>

typedef struct {
    const char *id;
    int exit_status;
    double seconds;
} step_result_t;

/* Writes the status; returns 0 or -1 (with a warning printed). */
int status_write(const char *path, const char *state, const step_result_t *steps, size_t n,
                 const char *failed_step);

/* 1 when the file exists and records state "succeeded". */
int status_succeeded(const char *path);

#endif
