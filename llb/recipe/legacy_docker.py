"""The explicit v3 steps that install Docker Engine on the default base image.

Legacy recipes asked for Docker by name (``packs: [{name: Docker}]`` in early v3,
``dz.docker`` / ``nixpkgs.docker`` in v2 ``dev.packages``). v3 has no named bundles,
so the rejection message and ``dz migrate`` hand out these steps instead: Docker's own
apt repository for Debian (the devbox base image is Debian 12), in the shape of
DevZero's Docker template, and the ``devzero`` user added to the ``docker`` group.
"""

from __future__ import annotations

import yaml

DOCKER_STEPS_YAML = """\
build:
  steps:
    - type: apt-get
      name: Docker Engine
      packages: ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", \
"docker-compose-plugin"]
      extra_repositories:
        - repository: https://download.docker.com/linux/debian
          key_url: https://download.docker.com/linux/debian/gpg
    - type: command
      name: let devzero use Docker
      user: root
      command: usermod -aG docker devzero
"""


def docker_steps() -> list[dict]:
    """The build steps of :data:`DOCKER_STEPS_YAML` as plain values (fresh copies)."""
    return yaml.safe_load(DOCKER_STEPS_YAML)["build"]["steps"]
