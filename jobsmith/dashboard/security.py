"""Who may look and act: the token (bearer header or login cookie) and CSRF for forms.

Without a token (the default, bound to 127.0.0.1) everyone who can reach the port may
look and act. With one, every page and API call needs it: ``Authorization: Bearer T``,
or the cookie the login form sets (derived from the token, never the token itself).
Every action is a POST; a form must carry the CSRF value of its cookie (double submit),
an API call must be authenticated by its header or be JSON from the same origin (a
cross-site page cannot send JSON without the browser asking first, which is refused).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

SESSION_COOKIE = "jobsmith_session"
CSRF_COOKIE = "jobsmith_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
OPEN_PATHS = ("/login", "/static/")
JSON_PATHS = ("/api/", "/metrics", "/openapi.json")


class Forbidden(Exception):
    """A POST without a valid CSRF value."""


class Guard:
    """Checks requests against the dashboard's token (None: no token needed)."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None

    def session_value(self) -> str:
        """The login cookie's value: a keyed hash of the token, so it never leaves as is."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"jobsmith-dashboard", hashlib.sha256).hexdigest()

    def bearer_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return (
            self.token is not None
            and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), self.token.encode())
        )

    def allowed(self, request: Request) -> bool:
        if self.token is None or self.bearer_ok(request):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return hmac.compare_digest(cookie.encode(), self.session_value().encode())

    def password_ok(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Refuse what the token does not allow; hand out the CSRF cookie."""
        path = request.url.path
        if not path.startswith(OPEN_PATHS) and not self.allowed(request):
            if wants_json(request):
                message = "missing or wrong token: send 'Authorization: Bearer TOKEN'"
                return JSONResponse({"error": message}, status_code=401)
            return RedirectResponse(f"/login?next={path}", status_code=303)
        fresh = CSRF_COOKIE not in request.cookies
        request.state.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return response

    def check_form(self, request: Request, form_value: object) -> None:
        """A form POST must echo its CSRF cookie."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not isinstance(form_value, str):
            raise Forbidden("the form has no CSRF value: reload the page and try again")
        if not hmac.compare_digest(cookie.encode(), form_value.encode()):
            raise Forbidden("the form's CSRF value does not match: reload the page and try again")

    def check_api_post(self, request: Request) -> None:
        """An API POST: bearer-authenticated, a matching CSRF header, or same-origin JSON."""
        if self.bearer_ok(request):
            return
        header = request.headers.get(CSRF_HEADER)
        if header is not None:
            self.check_form(request, header)
            return
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise Forbidden(
                "an API action needs a JSON body (Content-Type: application/json), "
                "a bearer token or an X-CSRF-Token header"
            )
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            raise Forbidden(f"an API action from another origin ({origin}) is refused")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(JSON_PATHS) or "application/json" in request.headers.get("accept", "")
