"""The web dashboard: pages, a JSON API and Prometheus metrics over the store.

``jobsmith dashboard`` serves it (``pip install 'jobsmith[dashboard]'``); build the app
yourself with :func:`create_app` to mount it in another ASGI server.
"""

from __future__ import annotations

from jobsmith.dashboard.app import create_app
from jobsmith.dashboard.server import check_binding, serve

__all__ = ["check_binding", "create_app", "serve"]
