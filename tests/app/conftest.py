from __future__ import annotations

import pytest

from core.config import Settings
from stack.layout import Layout


@pytest.fixture
def spare_registry(tmp_path, settings: Settings, free_port):
    """A second registry on its own port and state dir; stopped at the end."""
    from stack import registry_server

    url = f"http://127.0.0.1:{free_port()}"
    layout = Layout(settings.with_overrides(state_dir=tmp_path, registry_url=url))
    registry_server.start(layout, url, name="spare-registry")
    yield layout, url
    registry_server.down(layout, name="spare-registry")
