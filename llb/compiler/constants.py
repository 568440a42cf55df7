"""Paths and defaults inside built images (docs/design.md, recipe-spec.md §4, §9)."""

DZLAUNCH = "/usr/lib/devzero/bin/dzlaunch"
DZLAUNCH_IN_IMAGE = "/dzlaunch"  # the only file of the pinned library/dzlaunch image
STARTUP_DIR = "/usr/lib/devzero/startup-scripts"
LAUNCH_MANIFEST = STARTUP_DIR + "/launch.json"
RUNTIME_ENV_SCRIPT = "/etc/profile.d/dz-runtime-env.sh"
BUILD_SECRETS_DIR = "/run/dz/secrets"
LAUNCH_SECRETS_DIR = "/run/devzero/secrets"
HOME = "/home/devzero"
DEFAULT_USER = "devzero"
DEFAULT_SHELL = "/bin/bash -l -o errexit -o pipefail {}"
POSIX_SHELL = "/bin/sh {}"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Set on every exec op the compiler emits: the team becomes part of each exec's cache
# key, so two teams never share an exec's cache record, whatever their YAML.
TEAM_ENV = "DZ_BUILD_TEAM"
OFFLINE_NAMESPACE = "local"  # stands for the team when a compile is given none
KEEP_ALIVE = ("/bin/sh", "-c", "exec tail -f /dev/null")
PAYLOAD_VERSION = 1
# Known uids for secret-mount ownership; other users must be written as a numeric uid.
KNOWN_UIDS = {"root": 0, "devzero": 1000}
