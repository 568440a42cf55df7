/* The shell template: every "{}" replaced by the script path, then split into
 * argv the way Python's shlex.split does (POSIX mode, no comments), so the
 * compiler can validate templates with the same rules. No outer shell. */
#ifndef DZ_WORDS_H
#define DZ_WORDS_H

#include <stddef.h>

/* Returns a NULL-terminated argv (count in *argc), or NULL with a message in err. */
char **shell_argv(const char *template_, const char *script_path, int *argc, char *err,
                  size_t errlen);

#endif
