"""Limits that keep a recipe (and the Definition compiled from it) within bounds.

The Definition must stay under Docker 20.10's 4 MiB gRPC message limit and a build
needs fewer than ~100 layers (overlay mount options), see recipe-spec.md §9.
"""

MAX_RECIPE_BYTES = 512 * 1024
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 50_000
MAX_BUILD_STEPS = 100
MAX_LAUNCH_STEPS = 100
MAX_SCRIPT_BYTES = 64 * 1024
MAX_FILE_CONTENT_BYTES = 256 * 1024
MAX_PATH_LENGTH = 4096
