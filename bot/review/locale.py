"""The language of a review page, chosen per request and in force (bot.i18n.using) while it renders.

Order: `?lang=en|zh` (remembered in a cookie, then the address without it), the cookie, the signed-in
admin's own choice (Contact.locale, applied by `ReviewSite.current_admin`), the browser's
Accept-Language, `[app] locale`, Chinese. The Excel export runs inside the request, so it follows too.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import Headers, QueryParams
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.i18n import DEFAULT_LOCALE, normalize, set_locale, using

COOKIE = "pairbot_lang"
CHOSEN = "pairbot.locale_chosen"  # set in the ASGI scope when the cookie decided (the admin's choice yields)
PATH = "/review"


def accepted(header: str | None) -> str | None:
    """The first language of an Accept-Language header that we have ("en-GB,en;q=0.9" → en), by q order."""
    if not header:
        return None
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        weighted.append((-q, position, tag.strip()))
    for _q, _position, tag in sorted(weighted):
        if _q < 0 and normalize(tag):
            return normalize(tag)
    return None


def request_locale(headers: Headers, default: str | None) -> tuple[str, bool]:
    """(locale, chosen): the cookie's when set (chosen), else the browser's, else `default`, else Chinese."""
    cookie = _cookie(headers)
    if normalize(cookie):
        return normalize(cookie), True  # type: ignore[return-value]
    return normalize(accepted(headers.get("accept-language"))) or normalize(default) or DEFAULT_LOCALE, False


def _cookie(headers: Headers) -> str | None:
    for chunk in headers.get("cookie", "").split(";"):
        name, _, value = chunk.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def admin_choice(scope: Scope, contact_locale: str | None) -> None:
    """The signed-in admin's own language applies unless the cookie (an explicit ?lang) decided."""
    if not scope.get(CHOSEN) and normalize(contact_locale):
        set_locale(contact_locale)


class PageLocale:
    """ASGI middleware around the review pages: ?lang sets the cookie; every request runs in its locale."""

    def __init__(self, app: ASGIApp, default: str | None, secure: bool) -> None:
        self.app = app
        self.default = default
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = QueryParams(scope.get("query_string", b""))
        wanted = normalize(query.get("lang"))
        if wanted and scope.get("method") in ("GET", "HEAD"):
            rest = urlencode([(k, v) for k, v in query.multi_items() if k != "lang"])
            target = scope["path"] + (f"?{rest}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, wanted, max_age=365 * 24 * 3600, path=PATH, samesite="lax",
                                secure=self.secure)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)
            return
        locale, chosen = request_locale(Headers(scope=scope), self.default)
        scope[CHOSEN] = chosen
        with using(locale):
            await self.app(scope, receive, send)
