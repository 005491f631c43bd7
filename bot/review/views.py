"""The review pages: coverage matrix, county and pairing pages, review queue, broadcasts, totals, export.

Routes only parse the request and call the ledger, review, access and export services; the
database work runs in a worker thread, one unit of work per request.
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from bot.app import App
from bot.db import unit_of_work
from bot.i18n import N_, _, current
from bot.messages import storable
from bot.review import auth
from bot.review.auth import Admin
from bot.review.chart import line_chart
from bot.review.locale import admin_choice
from bot.review.templating import make_environment
from models.base import parse_id
from models.registry import Contact
from models.services import access, ledger, pairings, review
from models.services.broadcast import paused_contacts
from models.services.registry import describe_scope
from models.services.access import AccessError
from models.services.agreements import agreement_history
from models.services.ledger import NotVisible, Scope
from models.services.needs_listing import needs_of_county
from models.services.projects import projects_of_county
from models.services.provinces import full_name
from models.services.parsing import FIELD_ORDER
from models.services.review import ReviewError

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
P = TypeVar("P", bound="Pages")
AdminEndpoint = Callable[[P, Request, Admin], Awaitable[Response]]
DONE = {"accept": N_("进展 #{number} 已通过。"), "correct": N_("进展 #{number} 已更正并通过。"),
        "reject": N_("进展 #{number} 已退回。")}
CHANGED = {"activate": N_("已确认结对，变更已记入下方记录。"), "suspend": N_("已暂停，变更已记入下方记录。"),
           "resume": N_("已恢复，变更已记入下方记录。"), "end": N_("已结束，变更已记入下方记录。"),
           "replace": N_("已更换组织，变更已记入下方记录。")}


MAX_PAGE = 1_000_000  # a page number past this is past the end anyway, and keeps OFFSET within range


def positive_int(value: str | None, default: int = 1) -> int:
    """A page number from a query string; the default when it is not one (never past MAX_PAGE)."""
    return min(parse_id(value) or default, MAX_PAGE)


def form_text(form: FormData, name: str, raw: bool = False) -> str:
    """A form field as text: an uploaded file where text belongs is empty, a NUL is kept as \\u0000 (unless raw:
    a password is checked as typed)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    return value if raw else storable(value)


def _changed_message(request: Request) -> str:
    """The confirmation after a pairing change (?changed=suspend); from known words only, never echoed."""
    action = request.query_params.get("changed", "")
    return _(CHANGED[action]) if action in CHANGED else ""


def path_id(request: Request, name: str) -> int:
    """A row id from the path; one that no row can have (too large, not digits) is NotVisible (404), never a 500."""
    found = parse_id(request.path_params[name])
    if found is None:
        raise NotVisible(name)
    return found


def _done_message(request: Request) -> str:
    """The confirmation after a review action (?done=accept:12); built from known words only, never echoed."""
    action, _sep, number = request.query_params.get("done", "").partition(":")
    update_id = parse_id(number)
    return _(DONE[action]).format(number=update_id) if action in DONE and update_id is not None else ""


def _lang_link(request: Request, code: str) -> str:
    """This page again with ?lang=code (the other query parameters kept): the header's language switch. Relative,
    so a page says nothing of its own address (a 404 reads the same for every missing id)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", code)]
    return "?" + urlencode(params)


class Pages(Protocol):
    """What `admin_only` needs of the object serving the pages (ReviewSite, bot.review.projects.ProjectPages)."""

    async def current_admin(self, request: Request) -> Admin | None: ...

    def render(self, request: Request, template: str, admin: Admin | None, status: int = 200,
               **context: Any) -> HTMLResponse: ...


def admin_only(handler: AdminEndpoint[P]) -> Callable[[P, Request], Awaitable[Response]]:
    """Pages need a live session; a POST also needs the session's CSRF token."""

    @wraps(handler)
    async def wrapper(site: P, request: Request) -> Response:
        admin = await site.current_admin(request)
        if admin is None:
            if request.method == "POST":
                return site.render(request, "error.html", None, status=403,
                                   message=_("登录已过期，请重新登录后再提交。"))
            return auth.secure_headers(auth.to_login(request))
        if request.method == "POST":
            form = await request.form()
            if not auth.csrf_ok(admin.csrf, form.get("csrf")):
                return site.render(request, "error.html", admin, status=403,
                                   message=_("表单已失效（安全校验未通过），请刷新页面后重试。"))
        try:
            return await handler(site, request, admin)
        except NotVisible:
            return site.render(request, "error.html", admin, status=404,
                               message=_("没有找到该页面，或它不在您可查看的省份范围内。"))

    return wrapper


class ReviewSite:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.zone = app.settings.zone
        self.env = make_environment(self.zone)
        self.secure = self.settings.web.public_url.startswith("https://")

    # --- plumbing -------------------------------------------------------------------------

    async def db(self, work: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with unit_of_work(self.app.engine) as session:
                return work(session, *args)

        return await run_in_threadpool(run)

    def render(self, request: Request, template: str, admin: Admin | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            admin=admin, path=request.url.path, prefix=auth.PREFIX, locale=current(),
            lang_link=lambda code: _lang_link(request, code), **context)
        return auth.secure_headers(HTMLResponse(html, status_code=status))  # type: ignore[return-value]

    async def current_admin(self, request: Request) -> Admin | None:
        cookie = request.cookies.get(auth.COOKIE)
        if not cookie:
            return None

        def lookup(session: Session) -> Admin | None:
            found = access.session_admin(session, cookie, self.app.clock())
            if found is None:
                return None
            row, contact = found
            return Admin(contact.id, contact.name, Scope.of(contact), row.csrf_token,  # type: ignore[arg-type]
                         contact.locale)

        admin = await self.db(lookup)
        if admin is not None:
            admin_choice(request.scope, admin.locale)  # before anything is rendered
        return admin

    def _signed_in(self, opened: access.OpenedSession, target: str) -> Response:
        response = RedirectResponse(auth.safe_next(target), status_code=303)
        auth.set_session_cookie(response, opened.cookie, self.settings.web.session_minutes, self.secure)
        response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path=auth.PREFIX)
        return auth.secure_headers(response)

    # --- signing in and out ---------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        if await self.current_admin(request) is not None:
            return auth.secure_headers(RedirectResponse(auth.safe_next(request.query_params.get("next")), 303))
        return self._login_page(request, "", 200)

    def _login_page(self, request: Request, error: str, status: int, who: str = "") -> Response:
        token = auth.login_csrf(request)
        response = self.render(request, "login.html", None, status=status, error=error, csrf=token, who=who,
                               next=auth.safe_next(request.query_params.get("next")))
        auth.set_login_csrf(response, token, self.secure)
        return response

    async def login_submit(self, request: Request) -> Response:
        form = await request.form()
        if not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
            return self._login_page(request, _("页面已过期，请重新输入。"), 403)
        who, password = form_text(form, "who", raw=True).strip(), form_text(form, "password", raw=True)
        lifetime = timedelta(minutes=self.settings.web.session_minutes)
        client = request.client.host if request.client else None
        try:
            opened = await run_in_threadpool(access.sign_in_with_password, self.app.engine, who, password, client,
                                             self.app.clock(), lifetime)
        except AccessError as exc:
            return self._login_page(request, str(exc), 429 if isinstance(exc, access.TooManyAttempts) else 401,
                                    storable(who))
        return self._signed_in(opened, form_text(form, "next"))

    async def link_confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            contact: Contact = await self.db(lambda s: access.peek_login_link(s, token, self.app.clock()))
        except AccessError as exc:
            return self.render(request, "error.html", None, status=410, message=str(exc))
        csrf = auth.login_csrf(request)
        response = self.render(request, "link.html", None, name=contact.name, csrf=csrf)
        auth.set_login_csrf(response, csrf, self.secure)
        return response

    async def link_submit(self, request: Request) -> Response:
        token = request.path_params["token"]
        form = await request.form()
        if not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
            return self.render(request, "error.html", None, status=403, message=_("页面已过期，请重新打开登录链接。"))
        lifetime = timedelta(minutes=self.settings.web.session_minutes)

        def sign_in(session: Session) -> access.OpenedSession:
            now = self.app.clock()
            contact = access.redeem_login_link(session, token, now)
            return access.open_session(session, contact, "link", lifetime, now)

        try:
            opened = await self.db(sign_in)
        except AccessError as exc:
            return self.render(request, "error.html", None, status=410, message=str(exc))
        return self._signed_in(opened, auth.PREFIX + "/")

    @admin_only
    async def logout(self, request: Request, admin: Admin) -> Response:
        cookie = request.cookies.get(auth.COOKIE, "")
        await self.db(lambda s: access.close_session(s, cookie))
        response = RedirectResponse(auth.PREFIX + "/login", status_code=303)
        auth.clear_session_cookie(response, self.secure)
        return auth.secure_headers(response)

    # --- pages ------------------------------------------------------------------------------

    @admin_only
    async def matrix(self, request: Request, admin: Admin) -> Response:
        typed = request.query_params.get("province", "")
        province = full_name(typed) or typed  # 四川, 四川省 and 四川省's Traditional form name one province
        only_overdue = request.query_params.get("only") == "overdue"

        def load(session: Session) -> dict[str, Any]:
            data = ledger.coverage(session, admin.scope.narrowed(province), self.app.clock(), self.zone)
            return {"coverage": data, "provinces": ledger.provinces_in(session, admin.scope),
                    "known_counties": ledger.known_counties(session)}

        data = await self.db(load)
        rows = [r for r in data["coverage"].rows if r.overdue] if only_overdue else data["coverage"].rows
        return self.render(request, "matrix.html", admin, province=province, only_overdue=only_overdue, rows=rows,
                           stale_days=ledger.STALE_AFTER.days, key_counties=ledger.KEY_COUNTIES, **data)

    @admin_only
    async def county(self, request: Request, admin: Admin) -> Response:
        county_id = path_id(request, "county_id")
        page = positive_int(request.query_params.get("page"))

        def load(session: Session) -> dict[str, Any]:
            return {"county": ledger.visible_county(session, admin.scope, county_id),
                    "pairings": ledger.pairings_of_county(session, admin.scope, county_id),
                    "sums": ledger.county_figures(session, admin.scope, county_id),
                    "needs": needs_of_county(session, county_id), "projects": projects_of_county(session, county_id),
                    "updates": ledger.update_page(session, admin.scope, county_id=county_id, page=page)}

        return self.render(request, "county.html", admin, **await self.db(load))

    @admin_only
    async def pairing(self, request: Request, admin: Admin) -> Response:
        pairing_id = path_id(request, "pairing_id")
        page = positive_int(request.query_params.get("page"))

        return self.render(request, "pairing.html", admin, **await self.db(self._pairing_page, admin, pairing_id, page),
                           message=_changed_message(request))

    @staticmethod
    def _pairing_page(session: Session, admin: Admin, pairing_id: int, page: int = 1) -> dict[str, Any]:
        summary = ledger.visible_pairing(session, admin.scope, pairing_id)
        history = ledger.pairing_history(session, pairing_id)
        return {"p": summary, "kind": pairings.kinds(session, [summary.pairing])[pairing_id],
                "group": pairings.group_of(session, summary.pairing),
                "history": history, "actors": ledger.actor_labels(session, {h.actor for h in history}),
                "actions": pairings.actions_for(summary.pairing),
                "agreement_versions": agreement_history(session, pairing_id),
                "projects": ledger.projects_of(session, pairing_id),
                "updates": ledger.update_page(session, admin.scope, pairing_id=pairing_id, page=page)}

    @admin_only
    async def change_pairing(self, request: Request, admin: Admin) -> Response:
        """暂停 / 恢复 / 结束 / 确认结对, or 更换组织, from the pairing page; back to it with what was done."""
        pairing_id = path_id(request, "pairing_id")
        fields = await request.form()
        form = {name: form_text(fields, name) for name in fields.keys()}
        action = form.get("action", "")
        now = self.app.clock()

        def work(session: Session) -> int:
            row = pairings.in_scope(session, admin.scope, pairing_id)
            change = pairings.Change(admin.actor, form.get("reason", ""), pairings.parse_day(form.get("date", "")))
            if action == "replace":
                return pairings.replace(session, row, form.get("organization", ""), change, now, self.zone).id  # type: ignore[return-value]
            if action not in pairings.ACTIONS:
                raise pairings.PairingError(_("未知的操作。"))
            pairings.change_status(session, row, action, change, now, self.zone)
            return pairing_id

        try:
            target = await self.db(work)
        except pairings.PairingError as exc:
            page = await self.db(self._pairing_page, admin, pairing_id)
            return self.render(request, "pairing.html", admin, status=400, error=str(exc), form=form, **page)
        done = "replace" if action == "replace" else action
        return auth.secure_headers(RedirectResponse(f"{auth.PREFIX}/pairings/{target}?changed={done}", 303))

    @admin_only
    async def queue(self, request: Request, admin: Admin) -> Response:
        page = positive_int(request.query_params.get("page"))
        updates = await self.db(lambda s: ledger.update_page(s, admin.scope, flagged_only=True, page=page))
        return self.render(request, "queue.html", admin, updates=updates, message=_done_message(request))

    @admin_only
    async def update(self, request: Request, admin: Admin) -> Response:
        update_id = path_id(request, "update_id")
        row = await self.db(lambda s: ledger.visible_update(s, admin.scope, update_id))
        return self.render(request, "update.html", admin, row=row, field_names=FIELD_ORDER, error="", values=None,
                           message=_done_message(request))

    @admin_only
    async def decide(self, request: Request, admin: Admin) -> Response:
        """Accept, correct or reject an update; back to the queue (or the update page) with what was done."""
        update_id = path_id(request, "update_id")
        action = request.path_params["action"]
        form = await request.form()
        note = form_text(form, "note").strip()
        now = self.app.clock()
        queued: list[int] = []  # the sender's notice, written with the decision, sent once it is committed
        try:
            if action == "accept":
                await self.db(lambda s: review.accept(s, admin.scope, update_id, admin.actor, now, note,
                                                      zone=self.zone, queued=queued))
            elif action == "reject":
                await self.db(lambda s: review.reject(s, admin.scope, update_id, admin.actor, now, note,
                                                      zone=self.zone, queued=queued))
            elif action == "correct":
                figures = review.read_figures({k: str(v) for k, v in form.items()},
                                              [str(v) for v in form.getlist("fields")])
                await self.db(lambda s: review.correct(s, admin.scope, update_id, figures, admin.actor, now, note,
                                                       zone=self.zone, queued=queued))
            else:
                raise NotVisible(action)
        except ReviewError as exc:
            row = await self.db(lambda s: ledger.visible_update(s, admin.scope, update_id))
            return self.render(request, "update.html", admin, status=400, row=row, field_names=FIELD_ORDER,
                               error=str(exc), message="", values={k: str(v) for k, v in form.items()},
                               chosen=[str(v) for v in form.getlist("fields")])
        if queued:
            self.app.queue.enqueue(queued)  # if the broker is down, the relay sends them later
        target = auth.safe_next(form_text(form, "next") or None)
        if target == auth.PREFIX + "/":
            target = f"{auth.PREFIX}/queue"
        separator = "&" if "?" in target else "?"
        return auth.secure_headers(RedirectResponse(f"{target}{separator}done={action}:{update_id}", 303))

    @admin_only
    async def broadcasts(self, request: Request, admin: Admin) -> Response:
        def load(session: Session) -> dict[str, Any]:
            """The notices, and who sent 退订 (in the admin's provinces) so nobody wonders why they got nothing."""
            paused = paused_contacts(session, admin.scope.provinces or ()) if admin.scope.provinces != () else []
            return {"rows": ledger.broadcast_statuses(session, admin.scope),
                    "paused": [(c, describe_scope(session, c)) for c in paused]}

        return self.render(request, "broadcasts.html", admin, **await self.db(load))

    @admin_only
    async def broadcast(self, request: Request, admin: Admin) -> Response:
        broadcast_id = path_id(request, "broadcast_id")
        broadcast, rows = await self.db(lambda s: ledger.broadcast_deliveries(s, admin.scope, broadcast_id))
        counts: dict[str, int] = {}
        for row in rows:  # how many in each state, in the order they first appear
            counts[row.status] = counts.get(row.status, 0) + 1
        return self.render(request, "broadcast.html", admin, broadcast=broadcast, rows=rows, counts=counts.items())

    @admin_only
    async def totals(self, request: Request, admin: Admin) -> Response:
        def load(session: Session) -> dict[str, Any]:
            """The sums as this request reads them (no cache: they are kept with the updates), stamped then."""
            rows, overall = ledger.totals(session, admin.scope)
            return {"rows": rows, "overall": overall, "provinces": ledger.provinces_in(session, admin.scope),
                    "series": ledger.monthly_series(session, admin.scope), "computed_at": self.app.clock()}

        data = await self.db(load)
        now = data["computed_at"]
        labels = [p.month for p in data["series"]]
        charts = [
            line_chart(_("累计投入资金"), labels, [p.cumulative_funds_wan for p in data["series"]], _("万元"), "#c0392b"),
            line_chart(_("累计受益户数"), labels, [float(p.cumulative_households) for p in data["series"]], _("户"),
                       "#1f6feb"),
        ]
        return self.render(request, "totals.html", admin, charts=charts, fields=FIELD_ORDER,
                           year=now.astimezone(self.zone).year, **data)

    @admin_only
    async def export(self, request: Request, admin: Admin) -> Response:
        """The workbook as a download; written to a temporary file that is removed once sent."""
        from models.services.export import ExportError, export_workbook, statistics_year
        from models.services.provinces import UnknownProvince, key_county_provinces

        form = await request.form()
        asked = form_text(form, "province").strip()
        now = self.app.clock()
        try:
            year = statistics_year(form_text(form, "year"), now.astimezone(self.zone).year)
            provinces = await self.db(key_county_provinces, [asked] if asked else [])  # as `pairbot export` reads it
        except (ExportError, UnknownProvince) as exc:
            return self.render(request, "error.html", admin, status=400, message=str(exc))
        scope = admin.scope.narrowed(provinces[0] if provinces else None)
        folder = Path(tempfile.mkdtemp(prefix="pairbot-export-"))
        stamp = now.astimezone(self.zone).strftime("%Y%m%d-%H%M")
        path = folder / f"pairbot-ledger-{stamp}.xlsx"
        filename = _("结对帮扶台账-{stamp}.xlsx").format(stamp=stamp)

        def cleanup() -> None:
            path.unlink(missing_ok=True)
            folder.rmdir()

        try:
            await run_in_threadpool(lambda: export_workbook(self.app.engine, path, scope, zone=self.zone, year=year,
                                                            actor=admin.actor, now=now, viewer=admin.contact_id,
                                                            target=f"download:{filename}"))
        except BaseException:
            cleanup()
            raise

        response = FileResponse(path, filename=filename,
                                background=BackgroundTask(cleanup),
                                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return auth.secure_headers(response)
