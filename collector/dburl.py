"""Database URLs: read them the way an administrator means them, and never show their password.

A password may sit in the userinfo (``postgresql://user:pw@host/db``) or in the query (``?password=pw``), and
administrators type passwords with ``:``, ``@`` or ``/`` in them without percent-encoding. ``parse`` takes the
userinfo up to the last ``@`` (so ``p@ss`` is one password, not a host ``ss@host``) and hands SQLAlchemy a URL
object, so nothing is re-parsed; ``redact`` hides every form for banners and errors; ``scrub`` removes the password
from any message (a driver's error may quote part of the URL).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MASK = "***"
_SECRET_KEYS = {"password", "sslpassword", "pass", "passwd"}
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.S)


class DatabaseUrlError(ValueError):
    """A database URL that cannot be used; the message names the part and never holds the password."""


def _split(text: str) -> tuple[str, str | None, str | None, str, str] | None:
    """(scheme, user, password, host-and-path, query) or None when it is not a ``scheme://`` URL."""
    match = _URL.match(text.strip())
    if match is None:
        return None
    scheme, rest = match["scheme"], match["rest"]
    rest, _, query = rest.partition("?")
    user: str | None = None
    password: str | None = None
    if "@" in rest and not scheme.startswith("sqlite"):  # a file path may hold an '@'
        userinfo, _, rest = rest.rpartition("@")
        user, colon, secret = userinfo.partition(":")
        password = secret if colon else None
    return scheme, user, password, rest, query


def secrets_of(text: str) -> list[str]:
    """Every password the URL carries, as typed and percent-decoded."""
    parts = _split(text)
    if parts is None:
        return []
    _, _, password, _, query = parts
    found = [password] if password else []
    found += [value for key, value in parse_qsl(query, keep_blank_values=True) if key.lower() in _SECRET_KEYS]
    found += [unquote(value) for value in found]
    # Longest first, so that scrubbing a password never leaves the tail of a longer one.
    return sorted({value for value in found if value}, key=len, reverse=True)


def redact(text: str) -> str:
    """The URL with every password replaced by ``***`` (userinfo and query alike)."""
    parts = _split(text)
    if parts is None:
        return text
    scheme, user, password, rest, query = parts
    userinfo = "" if user is None else user + (f":{MASK}" if password is not None else "") + "@"
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_KEYS else v) for k, v in pairs], safe="*/:=,")
    return f"{scheme}://{userinfo}{rest}" + (f"?{query}" if query else "")


def scrub(message: str, url_text: str) -> str:
    """``message`` with the URL's passwords (and the URL itself) masked."""
    message = message.replace(url_text, redact(url_text))
    for secret in secrets_of(url_text):
        message = message.replace(secret, MASK)
    return message


def normalise_scheme(scheme: str) -> str:
    """Plain ``postgresql://`` (and ``postgres://``) URLs use psycopg 3."""
    return "postgresql+psycopg" if scheme in ("postgresql", "postgres") else scheme


def parse(text: str) -> URL:
    """A SQLAlchemy URL for ``text``; DatabaseUrlError (redacted) when it is not one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    parts = _split(text)
    if parts is None:
        raise DatabaseUrlError(f"{redact(text)!r} is not a database URL (sqlite:///FILE or postgresql://...)")
    scheme, user, password, rest, query = parts
    # Build without the userinfo, so SQLAlchemy never parses a password, then set user and password as values.
    bare = f"{normalise_scheme(scheme)}://{rest}" + (f"?{query}" if query else "")
    try:
        url = make_url(bare)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUrlError(f"{redact(text)}: {scrub(str(exc), text)}") from None
    host_port = rest.split("/", 1)[0]
    if host_port.startswith("["):
        port_text = host_port.rpartition("]:")[2] if "]:" in host_port else ""
    else:
        port_text = host_port.rpartition(":")[2] if ":" in host_port else ""
    if port_text and not port_text.isdigit():
        raise DatabaseUrlError(f"{redact(text)}: the port {port_text!r} is not a number")
    try:
        _ = url.port
    except ValueError:
        raise DatabaseUrlError(f"{redact(text)}: the port is not a number") from None
    if user is not None:
        url = url.set(username=unquote(user), password=unquote(password) if password is not None else None)
    return url
