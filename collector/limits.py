"""Bounds on what a request may send, and error bodies that never echo it back.

- ``BodyLimit``: one size limit for every endpoint (the ingest limit). A declared ``Content-Length`` over it is
  answered 413 before a byte of the body is read; a chunked body is counted as it arrives and cut off at the limit.
  Paths with their own bounds (the speed endpoint's upload) are exempt.
- ``install_error_handlers``: FastAPI's default 422 repeats the offending input (a 200 MiB body came back twice);
  ours names the field and the rule, never the value. Every error body is ``{"error": code, "detail": sentence}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("schoolnet.collector")

MAX_VALIDATION_ERRORS = 10
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so that FastAPI's body
    reading passes it on as is (it turns other exceptions into a 400) and the handler answers 413."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"body exceeds {limit_bytes} bytes")


class BodyLimit:
    """Pure ASGI middleware (no buffering of its own): 413 for bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            body = {"error": "too_large", "detail": f"body is {declared} bytes; limit {self.max_bytes}"}
            await _send_json(send, 413, body)
            return
        received = 0
        limit = self.max_bytes

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # The client may still be sending: tell it (and uvicorn) this connection ends here.
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def validation_problems(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, never the value: pydantic's ``input`` and ``ctx`` are dropped."""
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "")), "type": error["type"]}
        for error in exc.errors()[:MAX_VALIDATION_ERRORS]
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc)
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"]) or "request"
        detail = f"{where}: {first['msg']}"
        return JSONResponse({"error": "invalid_request", "detail": detail, "errors": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )
