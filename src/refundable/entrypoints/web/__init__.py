"""The agent console and the customer portal: server-rendered pages (Jinja2) with htmx for
partial updates, served by the same process as the HTTP API.

``build_web(app, settings, mailer)`` returns an ASGI application (FastAPI, no OpenAPI of its
own) that the API's app factory mounts. htmx is vendored as a static file (0BSD licence, see
``static/htmx.LICENSE.txt``): no build chain, nothing downloaded at run or test time.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Scope

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import RefundableError
from refundable.entrypoints.web import (
    cases,
    console,
    policy_upload,
    portal,
    portal_cases,
    subscriptions,
)
from refundable.entrypoints.web.mail import mailer_for
from refundable.entrypoints.web.pages import (
    HERE,
    Redirect,
    Refused,
    Web,
    is_htmx,
    make_templates,
    web_of,
)
from refundable.entrypoints.web.security import Signer, secret_key
from refundable.entrypoints.web.seed import DemoLogin, seed_demo_logins
from refundable.service.ports import Mailer
from refundable.service.preview import Previewer

__all__ = [
    "DemoLogin", "Mailer", "PagesMount", "build_web", "mailer_for", "seed_demo_logins",
]  # fmt: skip


def build_web(
    app: App,
    settings: Settings,
    mailer: Mailer | None = None,
    secure_cookies: bool = False,
    previewer: Previewer | None = None,
) -> FastAPI:
    """The console (``/console/``) and portal (``/portal/``) as one ASGI app. ``mailer`` sends
    the portal's sign-in links; ``secure_cookies`` marks cookies HTTPS-only (behind TLS);
    ``previewer`` is the API's when both are served together (one cache, forgotten when
    either publishes a version)."""
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    previewer = previewer or Previewer(app.bus.read_uow_factory, app.catalog)
    web.state.web = Web(
        app, settings, mailer, Signer(secret_key(settings)), make_templates(), previewer,
        secure_cookies,
    )  # fmt: skip
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    web.include_router(console.router)
    web.include_router(policy_upload.router)
    web.include_router(cases.router)
    web.include_router(portal.router)
    web.include_router(subscriptions.router)
    web.include_router(portal_cases.router)
    web.add_api_route("/", _root, include_in_schema=False)
    web.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    web.add_exception_handler(Redirect, _redirect)
    web.add_exception_handler(Refused, _refused)
    web.add_exception_handler(RefundableError, _error)
    return web


PAGE_PATHS = ("/console", "/portal", "/static", "/favicon.ico")


class PagesMount(Mount):
    """The pages mounted at ``/`` that claim only their own paths (``PAGE_PATHS`` and ``/``
    itself), so every other path (``/v1/...``) stays the API's, with its problem+json 404."""

    def __init__(self, pages: ASGIApp) -> None:
        super().__init__("/", app=pages)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path != "/" and not path.startswith(PAGE_PATHS):
            return Match.NONE, {}
        return super().matches(scope)


def _root() -> Response:
    return RedirectResponse("/console/", status_code=303)


def _favicon() -> Response:
    """The icon every browser asks for at the root (it was a 404 on every page)."""
    return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")


def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    if is_htmx(request):  # htmx follows this header, not a 303
        return PlainTextResponse("", headers={"HX-Redirect": exc.to})
    return RedirectResponse(exc.to, status_code=303)


def _refused(request: Request, exc: Exception) -> Response:
    name = "_refused.html" if is_htmx(request) else "refused.html"
    return web_of(request).page(request, name, 403, reason=str(exc))


def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefundableError)
    return web_of(request).error_page(request, exc)
