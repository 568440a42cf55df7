/* dzlaunch: runs recipe steps inside builds (--mode build <payload>), the
 * launch steps of a workspace (--mode launch), and is the image's entrypoint
 * (--mode session). See dzlaunch/README.md. */
#include <stdio.h>
#include <string.h>

#include "launch.h"
#include "payload.h"
#include "relay.h"
#include "session.h"
#include "step.h"
#include "util.h"

#ifndef DZLAUNCH_VERSION
#define DZLAUNCH_VERSION "unknown"
#endif

static const char USAGE[] =
    "usage: dzlaunch --mode build <base64 payload>\n"
    "       dzlaunch --mode launch [--manifest PATH] [--status-file PATH] [--force] "
    "[--then CMD ARGS...]\n"
    "       dzlaunch --mode session [--user NAME] [--env-script PATH] [--secret-file PATH]... "
    "[--launch [--manifest PATH] [--status-file PATH]] [--] CMD ARGS...\n"
    "       dzlaunch --version\n";

static int build_main(int argc, char **argv)
{
    if (argc != 1) {
        warnmsg("--mode build takes exactly one argument, the base64 payload (got %d)", argc);
        return EXIT_PAYLOAD;
    }
    step_t step;
    char err[1024];
    if (step_from_base64(argv[0], &step, err, sizeof err)) {
        warnmsg("invalid payload: %s", err);
        return EXIT_PAYLOAD;
    }
    step_env_t files = {"/etc/passwd", "/etc/group"};
    double seconds;
    return step_run(&step, &files, &seconds);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("dzlaunch %s\n", DZLAUNCH_VERSION);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    const char *mode = NULL;
    int rest = 1;
    if (argc >= 3 && strcmp(argv[1], "--mode") == 0) {
        mode = argv[2];
        rest = 3;
    } else if (argc >= 2 && strncmp(argv[1], "--mode=", 7) == 0) {
        mode = argv[1] + 7;
        rest = 2;
    }
    if (!mode || (strcmp(mode, "build") != 0 && strcmp(mode, "launch") != 0 &&
                  strcmp(mode, "session") != 0)) {
        warnmsg("expected --mode build, --mode launch or --mode session");
        fputs(USAGE, stderr);
        return EXIT_PAYLOAD;
    }
    if (relay_setup()) {
        warnmsg("cannot set up signal handling");
        return EXIT_SETUP;
    }
    if (strcmp(mode, "build") == 0)
        return build_main(argc - rest, argv + rest);
    if (strcmp(mode, "session") == 0)
        return session_main(argc - rest, argv + rest);
    return launch_main(argc - rest, argv + rest);
}
