"""操作日志 `/review/audit`: the audit trail for administrators, limited to their provinces and their own actions.

Filters (query string): `actor` (a contact's name, or the start of the recorded actor), `action` (the
start of an action), `from` / `to` (local days, YYYY-MM-DD), `page`. A filter that cannot be used is
answered 400 with the reason, a page past the last 404; the entries come from models.services.audit_log.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.i18n import _
from bot.review.auth import Admin
from bot.review.views import ReviewSite, admin_only
from models.base import whole_number
from models.services.audit_log import AuditFilter, AuditQueryError, action_label, audit_page, details_text, target_link
from models.services.ledger import NotVisible

MAX_PAGE_DIGITS = 9


def _page(value: str | None) -> int:
    if not value:
        return 1
    page = whole_number(value, 10**MAX_PAGE_DIGITS - 1)  # ASCII digits only: "²" is a digit int() refuses
    if not page:
        raise AuditQueryError(_("页码应为正整数。"))
    return page


class AuditPages:
    """The audit page, served beside the other review pages (same session, headers and escaping)."""

    def __init__(self, site: ReviewSite) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [Route("/audit", self.audit)]

    async def current_admin(self, request: Request) -> Admin | None:
        return await self.site.current_admin(request)

    def render(self, request: Request, template: str, admin: Admin | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        return self.site.render(request, template, admin, status, action_label=action_label,
                                target_link=target_link, details_text=details_text, **context)

    @admin_only
    async def audit(self, request: Request, admin: Admin) -> Response:
        params = dict(request.query_params)
        try:
            wanted, page = AuditFilter.parse(params), _page(params.get("page"))
        except AuditQueryError as exc:
            typed = {k: params.get(k, "")[:200] for k in ("actor", "action", "from", "to")}
            return self.render(request, "audit.html", admin, status=400, error=str(exc), typed=typed, entries=None,
                               keep={})
        try:
            entries = await self.site.db(lambda s: audit_page(s, admin.scope, admin.contact_id, wanted,
                                                              self.site.zone, page))
        except LookupError:
            raise NotVisible(page) from None
        typed = {"actor": wanted.actor, "action": wanted.action, "from": params.get("from", ""),
                 "to": params.get("to", "")}
        return self.render(request, "audit.html", admin, error="", typed=typed, entries=entries, keep=wanted.params())
