/* User lookup by reading /etc/passwd and /etc/group directly: a static binary
 * cannot use NSS, and the image's own files are the truth for a step. */
#ifndef DZ_PASSWD_H
#define DZ_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    char *name;
    uid_t uid;
    gid_t gid;
    char *home;
    gid_t *groups; /* primary group first, then supplementary groups */
    size_t n_groups;
} user_t;

/* Finds user by name, or by number when spec is all digits and no such name
 * exists. Returns 0, or -1 with a message in err. */
int user_lookup(const char *passwd_path, const char *group_path, const char *spec, user_t *out,
                char *err, size_t errlen);

#endif
