/* Session mode: the entrypoint of a workspace image. Optionally runs the launch
 * steps (as root), then becomes the workspace user, applies the runtime
 * environment script and execs the given command. */
#ifndef DZ_SESSION_H
#define DZ_SESSION_H

#define DEFAULT_ENV_SCRIPT "/etc/profile.d/dz-runtime-env.sh"

/* argv holds the arguments after "--mode session". Returns an exit status, or
 * does not return when the command is exec'd. */
int session_main(int argc, char **argv);

#endif
