"""``python -m app [gunicorn options] [APP_MODULE]``: serve the web app with gunicorn
on the configured host and port (settings: app/gunicorn_conf.py)."""

from __future__ import annotations

import sys

from gunicorn.app.wsgiapp import WSGIApplication

CONFIG = "python:app.gunicorn_conf"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    # gunicorn reads its options from sys.argv; the config comes first so that the
    # command line can override it.
    sys.argv = ["python -m app", "--config", CONFIG, *args]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="python -m app").run()


if __name__ == "__main__":
    main()
