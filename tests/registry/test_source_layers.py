"""A build's source layers linked into its repository before the push (real registry)."""

from __future__ import annotations

import uuid

from pipeline.registry_settings import registry_settings
from pipeline.sourcelayers import layer_digests, link_source_layers
from registry.auth import Credentials
from registry.client import RegistryClient
from registry.naming import parse_ref
from registry.wiring import team_worker_credentials
from tests.conftest import need, tcp_open


def test_a_new_repository_gets_the_base_layers_by_mount_and_only_once(settings):
    need(tcp_open("127.0.0.1", int(settings.registry.rsplit(":", 1)[1])),
         f"the registry is not answering at {settings.registry}")
    team = f"t{uuid.uuid4().hex[:10]}"
    image = f"{settings.registry}/{team}/app:1"
    base = settings.default_base_image
    workers = team_worker_credentials(registry_settings(settings))
    # The team's own credentials, as the build stage uses them.
    with RegistryClient(settings.registry_url, Credentials(*workers.for_team(team))) as registry:
        layers = layer_digests(registry, parse_ref(base))
        assert layers and not any(registry.blob_exists(f"{team}/app", d) for d in layers)
        assert link_source_layers(registry, image, [base, "elsewhere.example/x/y:1"]) == \
            len(layers)
        assert all(registry.blob_exists(f"{team}/app", d) for d in layers)
        assert link_source_layers(registry, image, [base]) == 0  # nothing left to link
        # Another team's repository is no source: the registry refuses, nothing breaks.
        other = f"{settings.registry}/t{uuid.uuid4().hex[:10]}/app:1"
        assert link_source_layers(registry, other, [image]) == 0
