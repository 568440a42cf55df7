"""``python -m app``: serve the web app on the configured host and port."""

from __future__ import annotations

from werkzeug.serving import run_simple

from app import create_app
from core.config import Settings


def main() -> None:
    settings = Settings.from_env()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    run_simple(settings.web_host, settings.web_port, create_app(settings), threaded=True)


if __name__ == "__main__":
    main()
