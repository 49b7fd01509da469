"""An ASGI factory for process managers: ``uvicorn --factory --workers N
refundable.entrypoints.api.asgi:app_from_env``.

Each worker process bootstraps from the environment (``Settings.from_env``) and serves the
same API as ``refundable serve``; the scheduled-work loop is not started here (run
``refundable serve`` or ``refundable jobs run --loop`` beside it). Several workers on one
PostgreSQL (or one SQLite file) share the store like several ``serve`` processes do.
"""

from __future__ import annotations

from typing import Any


def app_from_env() -> Any:
    from refundable.bootstrap import bootstrap
    from refundable.config import Settings
    from refundable.entrypoints.api.app import create_app
    from refundable.entrypoints.heap import settle

    settings = Settings.from_env()
    api = create_app(bootstrap(settings), settings)
    settle()  # the wired service's objects leave the collector's full passes (entrypoints/heap)
    return api
