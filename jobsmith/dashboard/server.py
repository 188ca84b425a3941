"""Serving the dashboard with uvicorn: 127.0.0.1 by default; any other address needs a
token, or the server refuses to start."""

from __future__ import annotations

import ipaddress

from jobsmith.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_VARIABLE = "JOBSMITH_DASHBOARD_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"the dashboard would listen on {host}, beyond this machine, without a token: "
            f"give --token TOKEN (or {TOKEN_VARIABLE}), or listen on {DEFAULT_HOST}"
        )


def serve(
    app: object, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None
) -> None:
    """Run the app until interrupted."""
    import uvicorn

    check_binding(host, token)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)  # type: ignore[arg-type]
