"""``python -m app``: serve the web app on the configured host and port."""

from __future__ import annotations

from app import create_app
from app.serving import make_server
from core import gcsettle
from core.config import Settings


def main() -> None:
    settings = Settings.from_env()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    # Start-up is over: freeze what it made, so full garbage collections walk only
    # what requests make and do not stall live log relays (core/gcsettle.py).
    gcsettle.settle()
    server = make_server(settings.web_host, settings.web_port, app)
    print(f" * Serving on http://{settings.web_host}:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
