"""Sign in (password, then a TOTP code when the account has one), sign out, and the account page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from collector.auth import accounts, totp
from collector.auth.accounts import Principal
from collector.auth.models import Account
from collector.web.security import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    new_signin_secret,
    read_form,
    render,
    require_csrf,
    safe_next,
    sessions_of,
    set_cookie,
    signed_in,
    source_of,
)

router = APIRouter(include_in_schema=False)


def _see_other(location: str) -> Response:
    return Response(status_code=303, headers={"Location": location})


def _signin_page(request: Request, secret: str, error: str | None = None, status_code: int = 200) -> Response:
    response = render(
        request,
        "login.html.j2",
        status_code=status_code,
        form_csrf=accounts.csrf_token(secret, "signin"),
        next=safe_next(request.query_params.get("next")),
        error=error,
        title="Sign in",
    )
    set_cookie(response, SIGNIN_COOKIE, secret)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _signin_page(request, request.cookies.get(SIGNIN_COOKIE) or new_signin_secret())


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    secret = request.cookies.get(SIGNIN_COOKIE)
    require_csrf(request, form, secret, "signin")
    assert secret is not None
    email, password = form.get("email", "")[:254], form.get("password", "")
    with sessions_of(request)() as session:
        outcome = accounts.check_password(session, email, password, source_of(request))
        if outcome.outcome == "locked":
            when = outcome.retry_at.strftime("%H:%M UTC") if outcome.retry_at else "a few minutes"
            message = f"Too many attempts for this account. Try again after {when}."
            return _signin_page(request, secret, message, 429)
        if outcome.outcome == "bad" or outcome.account is None:
            return _signin_page(request, secret, "That e-mail address and password do not match an account.", 401)
        pending = outcome.outcome == "totp_needed"
        token = accounts.start_session(session, outcome.account, source_of(request), mfa_pending=pending)
    target = safe_next(form.get("next"))
    response = _see_other(f"/login/code?next={quote(target)}" if pending else target)
    set_cookie(response, SESSION_COOKIE, token)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


def _pending_account(request: Request) -> tuple[str, Account] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with sessions_of(request)() as session:
        found = accounts.lookup_session(session, token)
    if found is None or not found[0].mfa_pending:
        return None
    return token, found[1]


@router.get("/login/code")
def code_form(request: Request) -> Response:
    pending = _pending_account(request)
    if pending is None:
        return _see_other("/login")
    return render(
        request,
        "login_code.html.j2",
        form_csrf=accounts.csrf_token(pending[0], "code"),
        next=safe_next(request.query_params.get("next")),
        title="Enter your code",
    )


@router.post("/login/code")
async def code(request: Request) -> Response:
    form = await read_form(request)
    pending = _pending_account(request)
    if pending is None:
        return _see_other("/login")
    token, account = pending
    require_csrf(request, form, token, "code")
    with sessions_of(request)() as session:
        account = session.get(Account, account.id) or account
        outcome = accounts.check_totp(session, account, form.get("code", "")[:20], source_of(request))
        if outcome.outcome != "ok":
            error = (
                "Too many attempts for this account; try again in a few minutes."
                if outcome.outcome == "locked"
                else "That code is not right (or was already used). Enter the current code from your app."
            )
            return render(
                request,
                "login_code.html.j2",
                status_code=429 if outcome.outcome == "locked" else 401,
                form_csrf=accounts.csrf_token(token, "code"),
                next=safe_next(form.get("next")),
                error=error,
                title="Enter your code",
            )
        accounts.end_session(session, token)
        full = accounts.start_session(session, account, source_of(request))
    response = _see_other(safe_next(form.get("next")))
    set_cookie(response, SESSION_COOKIE, full)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    require_csrf(request, form, token)
    assert token is not None
    with sessions_of(request)() as session:
        found = accounts.lookup_session(session, token)
        if found is not None:
            accounts.audit(session, "signout", found[1].email, found[1].trust_id)
        accounts.end_session(session, token)
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account_page(request: Request, principal: Principal = Depends(signed_in)) -> Response:
    with sessions_of(request)() as session:
        account = session.get(Account, principal.account_id)
        has_totp = bool(account and account.totp_secret)
    secret = totp.new_secret()
    return render(
        request,
        "account.html.j2",
        title="Your account",
        has_totp=has_totp,
        new_secret=secret,
        uri=totp.provisioning_uri(secret, principal.email),
        message=request.query_params.get("done"),
    )


@router.post("/account")
async def account_change(request: Request, principal: Principal = Depends(signed_in)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    action = form.get("action")
    with sessions_of(request)() as session:
        account = session.scalar(select(Account).where(Account.id == principal.account_id))
        assert account is not None
        if action == "password":
            from collector.auth import passwords

            if not passwords.verify_password(account.password_hash, form.get("current", "")):
                return _account_error(request, "Your current password is not right.")
            try:
                accounts.set_password(session, account, form.get("new", ""), principal.email)
            except accounts.AccountError as exc:
                return _account_error(request, str(exc))
            # set_password ended every session, this one too: sign in again with the new password
            response = _see_other("/login")
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        if action == "totp_on":
            if not accounts.enable_totp(
                session, account, form.get("secret", "")[:64], form.get("code", ""), principal.email
            ):
                return _account_error(request, "That code does not match the new secret; try the current code.")
            return _see_other("/account?done=totp_on")
        if action == "totp_off":
            accounts.disable_totp(session, account, principal.email)
            return _see_other("/account?done=totp_off")
    return _account_error(request, "Unknown action.")


def _account_error(request: Request, message: str) -> Response:
    secret = totp.new_secret()
    principal = current = request.state.principal
    with sessions_of(request)() as session:
        account = session.get(Account, current.account_id)
        has_totp = bool(account and account.totp_secret)
    return render(
        request,
        "account.html.j2",
        status_code=400,
        title="Your account",
        has_totp=has_totp,
        new_secret=secret,
        uri=totp.provisioning_uri(secret, principal.email),
        error=message,
    )
