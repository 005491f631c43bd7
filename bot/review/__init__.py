"""The administrators' review pages under /review, served by the same web app as the channel callbacks."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App

STATIC = Path(__file__).resolve().parent / "static"


def review_routes(app: App) -> list[BaseRoute]:
    """Routes to add to the Starlette app: `routes += review_routes(app)`."""
    from bot.review.audit import AuditPages
    from bot.review.projects import ProjectPages
    from bot.review.views import ReviewSite

    site = ReviewSite(app)
    project_pages = ProjectPages(site)
    return [
        Route("/review", lambda _: RedirectResponse("/review/", status_code=308)),
        Mount("/review", routes=[
            Route("/", site.matrix),
            Route("/login", site.login_form, methods=["GET"]),
            Route("/login", site.login_submit, methods=["POST"]),
            Route("/login/{token}", site.link_confirm, methods=["GET"]),
            Route("/login/{token}", site.link_submit, methods=["POST"]),
            Route("/logout", site.logout, methods=["POST"]),
            Route("/counties/{county_id:int}", site.county),
            Route("/pairings/{pairing_id:int}", site.pairing),
            Route("/pairings/{pairing_id:int}/change", site.change_pairing, methods=["POST"]),
            Route("/queue", site.queue),
            Route("/updates/{update_id:int}", site.update),
            Route("/updates/{update_id:int}/{action}", site.decide, methods=["POST"]),
            Route("/broadcasts", site.broadcasts),
            Route("/broadcasts/{broadcast_id:int}", site.broadcast),
            Route("/totals", site.totals),
            Route("/export", site.export, methods=["POST"]),
            *project_pages.routes(),
            *AuditPages(site).routes(),
            Mount("/static", StaticFiles(directory=STATIC), name="review-static"),
        ]),
    ]
