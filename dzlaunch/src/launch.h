/* Launch mode: runs the launch manifest's steps in order at workspace start,
 * records progress in a status file, then optionally execs a command. */
#ifndef DZ_LAUNCH_H
#define DZ_LAUNCH_H

#define DEFAULT_MANIFEST "/usr/lib/devzero/startup-scripts/launch.json"
#define DEFAULT_STATUS_FILE "/var/lib/devzero/launch-status.json"

/* argv holds the arguments after "--mode launch". Returns an exit status, or
 * does not return when --then execs its command. */
int launch_main(int argc, char **argv);

#endif
