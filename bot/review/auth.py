"""Who is looking at the review pages: the session cookie, CSRF checks and the security headers.

The cookie holds a random token (HttpOnly, SameSite=Lax, Secure behind https); the server keeps
only its digest with the admin, a per-session CSRF token and the expiry (`[web] session_minutes`).
Every POST must carry that CSRF token; the two login forms, used before a session exists, use a
double-submit token (a cookie and a hidden field that must match).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.services.ledger import Scope

COOKIE = "pairbot_review"
LOGIN_CSRF_COOKIE = "pairbot_login_csrf"
PREFIX = "/review"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Admin:
    """The signed-in admin for one request."""

    contact_id: int
    name: str
    scope: Scope
    csrf: str
    locale: str | None = None  # the admin's own choice (语言 in chat): the pages' language unless ?lang chose

    @property
    def actor(self) -> str:
        return f"contact:{self.contact_id} via web"


def csrf_ok(expected: str, given: object) -> bool:
    """The form's token matches; anything but a non-empty string (an uploaded file, nothing) does not."""
    return bool(expected) and isinstance(given, str) and bool(given) and hmac.compare_digest(
        expected.encode(), given.encode())


def secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def set_session_cookie(response: Response, value: str, minutes: int, secure: bool) -> None:
    response.set_cookie(COOKIE, value, max_age=minutes * 60, path=PREFIX, httponly=True, samesite="lax",
                        secure=secure)


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="lax", secure=secure)


def login_csrf(request: Request) -> str:
    """The double-submit token for the login forms: the one already in the cookie, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path=PREFIX, httponly=True, samesite="strict",
                        secure=secure)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?next={quote(target, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path inside the review pages; anything else (another site, //host) goes to the start page."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/"
