"""Who is signed in, CSRF on every form, security headers, and template rendering for the dashboard pages.

Cookies: the session token (``sn_session``) and, before sign-in, a random one for the sign-in form's CSRF token
(``sn_signin``). Both are Secure, HttpOnly and SameSite=Lax (Strict would sign people out when they follow a link
to the dashboard from an e-mail; every state change is a POST with a CSRF token anyway). Chromium accepts Secure
cookies from http://127.0.0.1 and http://localhost (trustworthy origins), so the demo works without TLS.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from collector.auth import accounts
from collector.auth.accounts import Principal
from collector.auth.models import ROLE_LABEL
from collector.web.rendering import STATUS_LABEL

SESSION_COOKIE = "sn_session"
SIGNIN_COOKIE = "sn_signin"
MAX_FORM_BYTES = 2 * 1024 * 1024  # a bulk import of a few thousand schools pasted as CSV fits

# No inline script anywhere; inline SVG charts need no style attributes (classes only).
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The stored report is the agent's self-contained HTML page (inline <style>, no script).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"

_env = Environment(
    loader=PackageLoader("collector.web", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)
_env.globals.update(status_label=STATUS_LABEL, role_label=ROLE_LABEL)


def _when(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return "never"
    return value.astimezone(UTC).strftime(fmt) + (" UTC" if "%H" in fmt else "")


_env.filters["when"] = _when
_env.filters["label"] = lambda status: STATUS_LABEL.get(status, "No report" if status == "none" else status)


class SignInRequired(Exception):
    """Raised by ``signed_in``; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def sessions_of(request: Request) -> sessionmaker[Session]:
    return request.app.state.sessions  # type: ignore[no-any-return]


def source_of(request: Request) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here when it trusts the proxy)."""
    return (request.client.host if request.client else "unknown")[:64]


def current_principal(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    with sessions_of(request)() as session:
        found = accounts.lookup_session(session, token)
        if found is None or found[0].mfa_pending:
            return None
        principal = accounts.principal_for(session, found[1])
    request.state.principal = principal
    return principal


def signed_in(request: Request) -> Principal:
    """FastAPI dependency for every page: the signed-in principal, or a redirect to sign in."""
    principal = current_principal(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return principal


def admin_only(request: Request) -> Principal:
    principal = signed_in(request)
    if not principal.is_admin:
        raise HTTPException(403, "only a trust administrator can do this")
    return principal


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def login_redirect(next_url: str) -> Response:
    return Response(status_code=303, headers={"Location": f"/login?next={quote(safe_next(next_url))}"})


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, bounded in size; the last value of a repeated key wins."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, f"form larger than {MAX_FORM_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"form larger than {MAX_FORM_BYTES} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "forms are sent as application/x-www-form-urlencoded")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"form could not be read: {exc}") from None
    return {key: values[-1] for key, values in parsed.items()}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # old browsers send none; "null" comes from sandboxed or privacy-stripped contexts
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def require_csrf(request: Request, form: dict[str, str], secret: str | None, purpose: str = "form") -> None:
    if not _same_origin(request) or not accounts.csrf_ok(secret, form.get("csrf"), purpose):
        raise HTTPException(403, "the form expired or came from another site; reload the page and try again")


def page_csrf(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE) or ""
    return accounts.csrf_token(token) if token else ""


def set_cookie(response: Response, name: str, value: str, max_age_s: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age_s, path="/", secure=True, httponly=True, samesite="lax")


def new_signin_secret() -> str:
    return secrets.token_urlsafe(24)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = current_principal(request)
    html = _env.get_template(template).render(
        request=request,
        principal=principal,
        csrf=page_csrf(request),
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=page_headers())


def page_headers(csp: str = PAGE_CSP) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",  # pages hold a trust's findings: not for shared caches or the back button
    }
