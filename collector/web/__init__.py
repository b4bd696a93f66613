"""The trust dashboard: server-rendered pages (Jinja2), sign-in with roles, CSV on every table, print views.

``install(app)`` adds it to the collector's FastAPI app: the pages' routers, their static files (no CDN, no build
step), Swagger UI served locally at ``/docs``, and ``?format=csv`` on the read API's lists.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    # Imported here: collector.models imports this package's models module, so this __init__ stays light.
    from fastapi import Request
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.responses import Response
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from collector.web import admin_routes, auth_routes, docs, pages
    from collector.web.csv_api import ApiCsvMiddleware
    from collector.web.security import SignInRequired, login_redirect, render

    # FastAPI's own /docs loads Swagger UI from a CDN: replace it with the locally served one.
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) not in ("/docs", "/redoc")]
    app.include_router(auth_routes.router)
    app.include_router(pages.router)
    app.include_router(admin_routes.router)
    app.include_router(docs.router)
    app.mount("/static/dashboard", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    swagger = docs.swagger_static_dir()
    if swagger is not None:
        app.mount("/static/swagger", StaticFiles(directory=swagger), name="swagger-static")
    app.add_middleware(ApiCsvMiddleware)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return login_redirect(exc.next_url)

    # The API keeps the collector's own JSON error answers; a person in a browser gets a page with the message.
    api_handler = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/openapi", "/static/", "/speed")):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return render(
            request,
            "message.html.j2",
            status_code=exc.status_code,
            title={403: "Not allowed", 404: "Not found"}.get(exc.status_code, "Something is not right"),
            message=str(exc.detail),
        )
