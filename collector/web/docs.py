"""``/docs``: Swagger UI served from this collector (the swagger-ui-py package ships its files), so the API
documentation works on a trust network that cannot reach a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from collector.web.security import page_headers

router = APIRouter(include_in_schema=False)

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def swagger_static_dir() -> Path | None:
    try:
        import swagger_ui  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        return None
    path = Path(swagger_ui.__file__).resolve().parent / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>schoolnet collector API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><main id="swagger-ui"><p>Loading the API documentation&hellip; The machine-readable description is at
<a href="/openapi.json">/openapi.json</a>.</p></main>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/dashboard/swagger-init.js"></script></body></html>
"""

_FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>schoolnet collector API</title></head>
<body><main><h1>schoolnet collector API</h1><p>The interactive documentation needs the swagger-ui-py package
(installed with <code>pip install 'schoolnet-audit[collector]'</code>). The API description is at
<a href="/openapi.json">/openapi.json</a>.</p></main></body></html>
"""


@router.get("/docs")
def docs() -> HTMLResponse:
    page = _PAGE if swagger_static_dir() is not None else _FALLBACK
    return HTMLResponse(page, headers=page_headers(DOCS_CSP))
