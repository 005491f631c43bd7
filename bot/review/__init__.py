"""The administrators' review pages under /review, served by the same web app as the channel callbacks."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.review.locale import PageLocale
from bot.web_guard import RequestGuard

STATIC = Path(__file__).resolve().parent / "static"


def review_routes(app: App) -> list[BaseRoute]:
    """Routes to add to the Starlette app: `routes += review_routes(app)`."""
    from bot.review.audit import AuditPages
    from bot.review.projects import ProjectPages
    from bot.review.views import ReviewSite

    site = ReviewSite(app)
    # Ids in paths are plain segments, parsed by the views (`path_id`): one past the INTEGER keys, negative
    # or not a number is the same Chinese 404 as an id that does not exist (Starlette's `:int` passes 2^63 on).
    pages = Router(routes=[
        Route("/", site.matrix),
        Route("/login", site.login_form, methods=["GET"]),
        Route("/login", site.login_submit, methods=["POST"]),
        Route("/login/{token}", site.link_confirm, methods=["GET"]),
        Route("/login/{token}", site.link_submit, methods=["POST"]),
        Route("/logout", site.logout, methods=["POST"]),
        Route("/counties/{county_id}", site.county),
        Route("/pairings/{pairing_id}", site.pairing),
        Route("/pairings/{pairing_id}/change", site.change_pairing, methods=["POST"]),
        Route("/queue", site.queue),
        Route("/updates/{update_id}", site.update),
        Route("/updates/{update_id}/{action}", site.decide, methods=["POST"]),
        Route("/broadcasts", site.broadcasts),
        Route("/broadcasts/{broadcast_id}", site.broadcast),
        Route("/totals", site.totals),
        Route("/export", site.export, methods=["POST"]),
        *ProjectPages(site).routes(),
        *AuditPages(site).routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="review-static"),
    ])
    return [
        Route("/review", lambda _: RedirectResponse("/review/", status_code=308)),
        Mount("/review", app=PageLocale(RequestGuard(pages, app.settings.web.max_body_bytes), app.settings.app.locale,
                                         app.settings.web.public_url.startswith("https://"))),
    ]
