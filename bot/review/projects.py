"""The 项目库 and 帮扶项目 pages: needs listed and filtered, a need with its claims, history and ranking,
publishing, closing and pushing it; projects with their figures, updates and history, finishing them.

Like the other review pages, routes only parse the request and call the services (needs,
needs_listing, projects); every POST carries the session's CSRF token (`admin_only`), and a need
or project outside the admin's provinces answers 404 exactly like one that does not exist.
Pushing a need to organizations takes two steps: GET …/push shows who would be messaged, and
only the POST from that page, naming those organizations, writes the notices.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.i18n import N_, _
from bot.review import auth
from bot.review.auth import Admin
from bot.review.views import ReviewSite, admin_only, form_text, path_id, positive_int
from models.base import parse_id, whole_number
from models.pairing import PROJECT_STATUS_LABELS, ProjectStatus
from models.projects import NEED_STATUS_LABELS
from models.services import ledger, needs, needs_listing, projects
from models.services.needs import NeedError
from models.services.needs_listing import AGES, NeedFilter
from models.services.parsing import FIELD_ORDER
from models.services.projects import ProjectFilter

Step = Callable[[Session, datetime, list[int]], Any]  # a service call: (session, now, queued deliveries) → result
DEFAULT_TOP = 5  # organizations a push offers to message unless the admin asks for another number


DONE_MESSAGES = {
    "need": {"publish": N_("需求 #{id} 已发布，社会组织可以接单了。"), "close": N_("需求 #{id} 已关闭。"),
             "push": N_("已推送给 {number} 家社会组织，通知正在发送。")},
    "project": {"close": N_("项目 #{id} 已关闭。"), "done": N_("项目 #{id} 已标记为已完成。")},
}
MAX_PUSHED = 1_000_000  # more organizations than any registry holds: a larger "count" is not one a push made


def _done_message(request: Request, kind: str, row_id: int) -> str:
    """The confirmation after an action (?done=push:3), from known words and digits only, never echoed."""
    action, _sep, number = request.query_params.get("done", "").partition(":")
    message = DONE_MESSAGES[kind].get(action)
    count = whole_number(number, MAX_PUSHED)  # ASCII digits only: "²³" or 5,000 nines are not a count
    if message is None or (action == "push" and count is None):
        return ""
    return _(message).format(id=row_id, number=count)


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    """Filter choices whose value is their label (provinces, fields)."""
    return [(value, value) for value in values]


def _fields() -> list[tuple[str, str]]:
    """The field filter: the stored name (产业 …) as the value, shown in the page's language."""
    return [(name, _(name)) for name in FIELD_ORDER]


def _labelled(labels: dict[Any, str]) -> list[tuple[Any, str]]:
    """Filter choices from a value → Chinese label table, the labels in the page's language."""
    return [(value, _(label)) for value, label in labels.items()]


class ProjectPages:
    """The pages under /review/needs and /review/projects, drawn with the review site's templates."""

    def __init__(self, site: ReviewSite) -> None:
        self.site = site
        self.app = site.app
        self.render, self.db, self.current_admin = site.render, site.db, site.current_admin  # what admin_only needs

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/needs", self.need_list),
            Route("/needs/{need_id}", self.need),
            Route("/needs/{need_id}/publish", self.publish, methods=["POST"]),
            Route("/needs/{need_id}/close", self.close_need, methods=["POST"]),
            Route("/needs/{need_id}/push", self.push_preview, methods=["GET"]),
            Route("/needs/{need_id}/push", self.push, methods=["POST"]),
            Route("/projects", self.project_list),
            Route("/projects/{project_id}", self.project),
            Route("/projects/{project_id}/{action}", self.finish_project, methods=["POST"]),
        ]

    # --- needs ------------------------------------------------------------------------------

    @admin_only
    async def need_list(self, request: Request, admin: Admin) -> Response:
        filters = NeedFilter.parse(request.query_params)
        page = positive_int(request.query_params.get("page"))
        now = self.app.clock()

        def load(session: Session) -> dict[str, Any]:
            return {"needs": needs_listing.need_page(session, admin.scope, filters, now, page),
                    "counts": needs_listing.need_counts(session, admin.scope, filters, now),
                    "provinces": ledger.provinces_in(session, admin.scope),
                    "counties": needs_listing.counties_with_needs(session, admin.scope, filters.province)}

        data = await self.db(load)
        options = {"province": _pairs(data.pop("provinces")), "county": [(c.id, c.name) for c in data.pop("counties")],
                   "field": _fields(), "status": _labelled(NEED_STATUS_LABELS), "age": _labelled(AGES)}
        return self.render(request, "needs.html", admin, filters=filters, options=options,
                           statuses=NEED_STATUS_LABELS, **data)

    @admin_only
    async def need(self, request: Request, admin: Admin) -> Response:
        need_id = path_id(request, "need_id")
        return await self._need_page(request, admin, need_id, message=_done_message(request, "need", need_id))

    async def _need_page(self, request: Request, admin: Admin, need_id: int, status: int = 200,
                         **context: Any) -> Response:
        detail = await self.db(lambda s: needs_listing.need_detail(s, admin.scope, need_id))
        context = {"error": "", "message": "", "top": DEFAULT_TOP} | context
        return self.render(request, "need.html", admin, status=status, d=detail, n=detail.need, **context)

    @admin_only
    async def publish(self, request: Request, admin: Admin) -> Response:
        need_id = path_id(request, "need_id")
        return await self._need_action(request, admin, need_id, "publish", lambda s, now, queued: needs.publish(
            s, admin.scope, need_id, admin.actor, now, queued))

    @admin_only
    async def close_need(self, request: Request, admin: Admin) -> Response:
        need_id = path_id(request, "need_id")
        reason = form_text(await request.form(), "reason")
        return await self._need_action(request, admin, need_id, "close", lambda s, now, queued: needs.close_need(
            s, admin.scope, need_id, reason, admin.actor, now, queued))

    @admin_only
    async def push_preview(self, request: Request, admin: Admin) -> Response:
        """The confirmation step: the organizations and contacts a push would message; nothing is written."""
        need_id = path_id(request, "need_id")
        top = parse_id(request.query_params.get("top")) or 0

        def load(session: Session) -> dict[str, Any]:
            need, targets = needs.push_targets(session, admin.scope, need_id, top)
            channels = needs_listing.channels_of(session, [c for t in targets for c in t.contacts])
            return {"n": need, "targets": targets, "channels": channels,
                    "reachable": sum(1 for channel in channels.values() if channel)}

        try:
            data = await self.db(load)
        except NeedError as exc:
            return await self._need_page(request, admin, need_id, 400, error=str(exc), top=top or DEFAULT_TOP)
        return self.render(request, "need_push.html", admin, top=top, **data)

    @admin_only
    async def push(self, request: Request, admin: Admin) -> Response:
        need_id = path_id(request, "need_id")
        form = await request.form()
        top = parse_id(form.get("top")) or 0
        chosen = {number for value in form.getlist("organization") if (number := parse_id(value))}
        if not chosen:  # only the confirmation page names the organizations: no push without it
            return await self._need_page(request, admin, need_id, 400, top=top or DEFAULT_TOP,
                                         error=_("请先打开推送确认页，核对将收到通知的组织后再确认。"))
        return await self._need_action(request, admin, need_id, "push", lambda s, now, queued: len(needs.push(
            s, admin.scope, need_id, top, admin.actor, now, queued, only=chosen)))

    async def _need_action(self, request: Request, admin: Admin, need_id: int, action: str, work: Step) -> Response:
        async def refused(error: str) -> Response:
            return await self._need_page(request, admin, need_id, 400, error=error)

        return await self._act(work, f"{auth.PREFIX}/needs/{need_id}", action, refused)

    async def _act(self, work: Step, back: str, action: str, refused: Callable[[str], Awaitable[Response]]) -> Response:
        """Run a step in one unit of work and send its notices after commit; back to `back` saying what was done
        (?done=action, or action:N when the step returns a number), or the page again with the step's refusal."""
        now = self.app.clock()
        queued: list[int] = []
        try:
            result = await self.db(lambda s: work(s, now, queued))
        except NeedError as exc:
            return await refused(str(exc))
        if queued:
            self.app.queue.enqueue(queued)  # if the broker is down, the relay sends them later
        done = f"{action}:{result}" if isinstance(result, int) else action
        return auth.secure_headers(RedirectResponse(f"{back}?done={done}", 303))

    # --- projects ---------------------------------------------------------------------------

    @admin_only
    async def project_list(self, request: Request, admin: Admin) -> Response:
        filters = ProjectFilter.parse(request.query_params)
        page = positive_int(request.query_params.get("page"))

        def load(session: Session) -> dict[str, Any]:
            return {"projects": projects.project_page(session, admin.scope, filters, page),
                    "provinces": ledger.provinces_in(session, admin.scope)}

        data = await self.db(load)
        options = {"province": _pairs(data.pop("provinces")), "field": _fields(),
                   "status": _labelled(PROJECT_STATUS_LABELS)}
        return self.render(request, "projects.html", admin, filters=filters, options=options, **data)

    @admin_only
    async def project(self, request: Request, admin: Admin) -> Response:
        project_id = path_id(request, "project_id")
        return await self._project_page(request, admin, project_id,
                                        message=_done_message(request, "project", project_id))

    async def _project_page(self, request: Request, admin: Admin, project_id: int, status: int = 200,
                            **context: Any) -> Response:
        page = positive_int(request.query_params.get("page"))
        detail = await self.db(lambda s: projects.project_detail(s, admin.scope, project_id, page))
        context = {"error": "", "message": ""} | context
        return self.render(request, "project.html", admin, status=status, d=detail, pr=detail.project,
                           is_open=detail.project.status in projects.OPEN_PROJECT_STATUSES, **context)

    @admin_only
    async def finish_project(self, request: Request, admin: Admin) -> Response:
        """已完成 (done, an optional note) or 关闭 (closed, a reason); the project's need follows."""
        project_id = path_id(request, "project_id")
        action = request.path_params["action"]
        status = {"done": ProjectStatus.done, "close": ProjectStatus.closed}.get(action)
        if status is None:
            raise ledger.NotVisible(action)
        reason = form_text(await request.form(), "reason")

        async def refused(error: str) -> Response:
            return await self._project_page(request, admin, project_id, 400, error=error)

        return await self._act(lambda s, now, queued: projects.finish_project(
            s, admin.scope, project_id, status, reason, admin.actor, now, queued),
            f"{auth.PREFIX}/projects/{project_id}", action, refused)
