"""The broadband reference endpoint, served by the collector at ``/speed`` (the same protocol as
``schoolnet speed-server``; see ``contract.speed``), with the bounds a public trust server needs:

- bytes per request: a download asks for at most ``max_bytes`` and an upload sends at most that (400 / 413);
- concurrent transfers per client address: at most ``max_transfers_per_client`` downloads and uploads at once
  (429 with Retry-After), so one script cannot take the trust's whole uplink with a thousand streams;
- optionally only enrolled sites: with ``require_enrolled`` every request carries
  ``Authorization: SchoolnetKey <credential>`` signed by an enrolled, unrevoked agent key (401 otherwise).

It is a mounted sub-application (kept out of the collector's OpenAPI document: it is the probe's measurement
endpoint, not the collector API), wrapped by a small ASGI layer that counts transfers for their whole duration.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from collector.models import AgentKey
from contract import speed
from contract.envelope import public_key_from_raw

DEFAULT_MAX_BYTES = 1 << 30  # the http backend asks for 1 GiB per request and stops when its window ends
DEFAULT_MAX_TRANSFERS_PER_CLIENT = 16  # twice the agent's default 8 streams
TRANSFER_SUFFIXES = ("/download", "/upload", "/upload.php", ".jpg")
CREDENTIAL_CACHE_SIZE = 4096


@dataclass(frozen=True)
class SpeedSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_transfers_per_client: int = DEFAULT_MAX_TRANSFERS_PER_CLIENT
    require_enrolled: bool = False
    limit_mbps: float | None = None  # the server's own stated limit (its uplink), advertised in /info


CredentialCheck = Callable[[str], bool]


def speed_app(settings: SpeedSettings, check_credential: CredentialCheck | None = None) -> ASGIApp:
    """The ``/speed`` application: the endpoints, behind the transfer and credential bounds."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(speed_router(settings))
    return SpeedGuard(app, settings, check_credential)


def enrolled_key_check(sessions: sessionmaker[Session]) -> CredentialCheck:
    """A credential check against the collector's enrolled, unrevoked agent keys."""

    def check(credential: str) -> bool:
        keyid = speed.credential_keyid(credential)
        if keyid is None:
            return False
        with sessions() as session:
            key = session.get(AgentKey, keyid)
            if key is None or key.revoked_at is not None:
                return False
            return speed.check_credential(credential, public_key_from_raw(key.public_key))

    return check


class SpeedGuard:
    """Counts each client address's transfers for their whole duration and checks credentials."""

    def __init__(self, app: ASGIApp, settings: SpeedSettings, check_credential: CredentialCheck | None) -> None:
        self.app = app
        self.settings = settings
        self.check_credential = check_credential
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        # Verified credentials until they expire: a latency probe pings every 100 ms and each check is a database
        # query plus an Ed25519 verification.
        self._verified: OrderedDict[str, float] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.settings.require_enrolled and not await self._authorised(scope):
            await _refuse(
                send,
                401,
                "unauthorized",
                "this speed endpoint needs an enrolled site's credential",
                {"WWW-Authenticate": speed.AUTH_SCHEME},
            )
            return
        if not scope["path"].endswith(TRANSFER_SUFFIXES):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        with self._lock:
            active = self._active.get(client, 0)
            if active >= self.settings.max_transfers_per_client:
                busy = True
            else:
                busy = False
                self._active[client] = active + 1
        if busy:
            await _refuse(
                send,
                429,
                "too_many_transfers",
                f"at most {self.settings.max_transfers_per_client} transfers at once per address",
                {"Retry-After": "1"},
            )
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                left = self._active[client] - 1
                if left:
                    self._active[client] = left
                else:
                    del self._active[client]

    async def _authorised(self, scope: Scope) -> bool:
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), "")
        scheme, _, credential = header.partition(" ")
        if scheme != speed.AUTH_SCHEME or not credential or self.check_credential is None:
            return False
        now = time.monotonic()
        with self._lock:
            until = self._verified.get(credential)
            if until is not None and until > now:
                return True
        from anyio import to_thread

        if not await to_thread.run_sync(self.check_credential, credential):
            return False
        with self._lock:
            self._verified[credential] = now + speed.CREDENTIAL_VALID_S
            while len(self._verified) > CREDENTIAL_CACHE_SIZE:
                self._verified.popitem(last=False)
        return True


async def _refuse(send: Send, status: int, code: str, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def speed_router(settings: SpeedSettings | None = None) -> APIRouter:
    """The endpoints, bytes per request bounded (mount at ``/speed``; ``speed_app`` adds the other bounds)."""
    settings = settings or SpeedSettings()
    app = APIRouter()
    no_store = {"Cache-Control": "no-store"}
    limit = settings.max_bytes

    def generated(nbytes: int) -> Iterator[bytes]:
        yield from speed.generated_chunks(nbytes)

    async def sink(request: Request) -> int | None:
        """Bytes received, or None when the body passed the limit (the rest is not read)."""
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    return None
        except ClientDisconnect:
            pass  # the client's test window ended mid-upload: normal here, not an error to log
        return received

    def too_large() -> Response:
        return JSONResponse({"error": "too_large", "detail": f"at most {limit} bytes per request"}, 413)

    def declared_too_large(request: Request) -> bool:
        declared = request.headers.get("content-length", "")
        return declared.isdigit() and int(declared) > limit

    @app.get("/ping", response_class=PlainTextResponse)
    def ping() -> Response:
        return PlainTextResponse("pong\n", headers=no_store)

    @app.get("/info")
    def info() -> Response:
        body = {**speed.info(settings.limit_mbps, None), "max_bytes": limit}
        return JSONResponse(body, headers=no_store)

    @app.get("/download")
    def download(nbytes: int = Query(speed.DEFAULT_DOWNLOAD_BYTES, alias="bytes", ge=0)) -> Response:
        if nbytes > limit:
            return JSONResponse({"error": "too_large", "detail": f"bytes: at most {limit}"}, 400)
        # Content-Length set, so the client can tell a complete transfer from one cut short.
        headers = {**no_store, "Content-Length": str(nbytes)}
        return StreamingResponse(generated(nbytes), media_type="application/octet-stream", headers=headers)

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        if declared_too_large(request):
            return too_large()
        received = await sink(request)
        if received is None:
            return too_large()
        return JSONResponse({"received_bytes": received}, headers=no_store)

    @app.get("/speedtest/latency.txt", response_class=PlainTextResponse)
    def latency() -> Response:
        return PlainTextResponse("test=test\n", headers=no_store)

    @app.get("/speedtest/random{side}x{side2}.jpg")
    def random_jpg(side: int, side2: int) -> Response:
        nbytes = speed.random_jpg_bytes(side)
        headers = {**no_store, "Content-Length": str(nbytes)}
        return StreamingResponse(generated(nbytes), media_type="image/jpeg", headers=headers)

    @app.post("/speedtest/upload.php", response_class=PlainTextResponse)
    async def upload_php(request: Request) -> Response:
        if declared_too_large(request):
            return too_large()
        received = await sink(request)
        if received is None:
            return too_large()
        return PlainTextResponse(f"size={received}", headers=no_store)

    @app.get("/speedtest-config.php")
    def config_xml() -> Response:
        return Response(speed.MINI_CONFIG_XML, media_type="text/xml", headers=no_store)

    return app
