"""`schoolnet collector ...`: run the central collector and administer it (trusts, sites, tokens, keys)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err
from agent.errors import CannotRunError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DB_ENV = "SCHOOLNET_COLLECTOR_DB"
DEFAULT_DB = "sqlite:///schoolnet-collector.db"

collector_app = typer.Typer(
    help="The central collector: serve it and administer trusts, sites, tokens, keys.", no_args_is_help=True
)
trust_app = typer.Typer(help="Multi-academy trusts.", no_args_is_help=True)
site_app = typer.Typer(help="Schools (sites) within a trust.", no_args_is_help=True)
token_app = typer.Typer(
    help="One-time enrolment tokens and trust API tokens (create, list, revoke).", no_args_is_help=True
)
key_app = typer.Typer(help="Agents' signing keys: list, rotate, revoke.", no_args_is_help=True)
report_app = typer.Typer(help="Stored reports.", no_args_is_help=True)
collector_app.add_typer(trust_app, name="trust")
collector_app.add_typer(site_app, name="site")
collector_app.add_typer(token_app, name="token")
collector_app.add_typer(key_app, name="key")
collector_app.add_typer(report_app, name="report")

DbOption = Annotated[
    str, typer.Option("--db", envvar=DB_ENV, help="Database URL: sqlite:///FILE (default) or postgresql://...")
]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json.")]


def _require_collector() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        raise CannotRunError(
            f"the collector needs {exc.name}; install it with: pip install 'schoolnet-audit[collector]'"
        ) from None


@contextmanager
def _session(db: str) -> Iterator[Session]:
    _require_collector()
    from collector.admin import AdminError
    from collector.db import make_engine, migrate, session_factory

    with _database_errors(db):
        engine = make_engine(db)
        migrate(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    except AdminError as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()


@contextmanager
def _database_errors(db: str) -> Iterator[None]:
    """Map opening the database to exit codes, with every form of its password masked in the message."""
    from sqlalchemy.exc import OperationalError

    from collector.dburl import DatabaseUrlError, redact, scrub

    try:
        yield
    except DatabaseUrlError as exc:
        raise UsageError(f"--db {scrub(str(exc), db)}") from None
    except OperationalError as exc:
        raise CannotRunError(f"--db {redact(db)}: cannot open the database ({scrub(str(exc.orig), db)})") from None
    except OSError as exc:
        raise CannotRunError(f"--db {redact(db)}: cannot open the database ({scrub(str(exc), db)})") from None
    except Exception as exc:
        raise UsageError(f"--db {redact(db)}: {scrub(str(exc), db)}") from None


def _out(fmt: Format, data: dict[str, Any] | list[dict[str, Any]], text: str) -> None:
    emit(json.dumps(data, indent=2, default=str) if fmt is Format.json else text)


@collector_app.command("serve")
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes.")] = 1,
    max_body_bytes: Annotated[int, typer.Option(min=1024, help="Largest upload accepted.")] = 4 * 1024 * 1024,
    speed_max_bytes: Annotated[
        int, typer.Option(min=1, help="/speed: most bytes one download or upload may move.")
    ] = 1 << 30,
    speed_max_transfers: Annotated[
        int, typer.Option(min=1, help="/speed: concurrent downloads and uploads per client address.")
    ] = 16,
    speed_enrolled_only: Annotated[
        bool, typer.Option(help="/speed: only enrolled agents (a credential signed by their key).")
    ] = False,
) -> None:
    """Run the collector (FastAPI on uvicorn). Migrations are applied on start."""
    _require_collector()
    from collector.db import make_engine, migrate
    from collector.dburl import redact
    from collector.server import serve as run

    with _database_errors(db):  # open and migrate here, so a bad --db is a clear error, not a worker's traceback
        engine = make_engine(db)
        migrate(engine)
        engine.dispose()
    err.print(f"schoolnet collector on http://{host}:{port} (API docs at /docs), database {redact(db)}")
    from collector.speed import SpeedSettings

    speed = SpeedSettings(
        max_bytes=speed_max_bytes, max_transfers_per_client=speed_max_transfers, require_enrolled=speed_enrolled_only
    )
    run(db, host, port, workers=workers, max_body_bytes=max_body_bytes, speed=speed)


@trust_app.command("create")
def trust_create(
    name: Annotated[str, typer.Argument(help="The trust's name.")],
    slug: Annotated[str | None, typer.Option(help="Short id (default: from the name).")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Create a trust."""
    from collector.admin import create_trust

    with _session(db) as session:
        trust = create_trust(session, name, slug)
        _out(fmt, {"slug": trust.slug, "name": trust.name}, f"trust {trust.slug} created ({trust.name})")


@site_app.command("create")
def site_create(
    site_id: Annotated[str, typer.Argument(help="The site id agents report (e.g. the school's URN).")],
    trust: Annotated[str, typer.Option(help="Trust slug or name.")],
    name: Annotated[str, typer.Option(help="The school's name.")],
    phase: Annotated[str | None, typer.Option(help="primary, secondary, all_through or college.")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Create a site (school) in a trust."""
    from collector.admin import create_site

    with _session(db) as session:
        site = create_site(session, trust, site_id, name, phase)
        _out(fmt, {"site_id": site.site_id, "name": site.name, "trust": trust}, f"site {site.site_id} created")


@token_app.command("enrol")
def token_enrol(
    site_id: Annotated[str, typer.Argument(help="The site the agent will report for.")],
    ttl_hours: Annotated[float, typer.Option(min=0.01, help="Hours until the token expires.")] = 24.0,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Create a one-time enrolment token for a site (give it to the school: `schoolnet enroll URL --token T`)."""
    from collector.admin import create_enrolment_token

    with _session(db) as session:
        token, expires = create_enrolment_token(session, site_id, timedelta(hours=ttl_hours))
        _out(
            fmt,
            {"token": token, "site_id": site_id, "expires_at": expires.isoformat()},
            f"{token}\n(one use, for site {site_id}, expires {expires.isoformat()})",
        )


@token_app.command("viewer")
def token_viewer(
    trust: Annotated[str, typer.Argument(help="Trust slug or name the token may read.")],
    name: Annotated[str, typer.Option(help="Who the token is for.")] = "viewer",
    days: Annotated[float, typer.Option(min=0.01, help="Days until the token expires.")] = 365.0,
    role: Annotated[str, typer.Option(help="viewer (reads) or admin (also deletes reports).")] = "viewer",
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Create an API token for one trust's sites and reports (shown once; expires after --days)."""
    from collector.admin import issue_token

    with _session(db) as session:
        issued = issue_token(session, trust, name, ttl=timedelta(days=days), role=role)
        _out(
            fmt,
            {
                "token": issued.token,
                "id": issued.id,
                "trust": issued.trust,
                "name": name,
                "role": issued.role,
                "expires_at": issued.expires_at.isoformat(),
            },
            f"{issued.token}\n(token {issued.id}: {issued.role} of trust {issued.trust}, "
            f"expires {issued.expires_at.isoformat()})",
        )


@token_app.command("list")
def token_list(
    trust: Annotated[str | None, typer.Option(help="Only this trust's tokens.")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """List API tokens (never the tokens themselves): id, trust, role, state, expiry and last use."""
    from collector.admin import list_tokens, token_state

    with _session(db) as session:
        rows = [
            {
                "id": token.id,
                "trust": owner.slug,
                "name": token.name,
                "role": token.role,
                "state": token_state(token),
                "created_at": token.created_at.isoformat(),
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
                "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            }
            for token, owner in list_tokens(session, trust)
        ]
        text = "\n".join(
            f"{r['id']:>5}  {r['trust']:<24} {r['role']:<6} {r['state']:<7} expires {r['expires_at'] or 'never'}"
            f"  last used {r['last_used_at'] or 'never'}  {r['name']}"
            for r in rows
        )
        _out(fmt, rows, text or "no API tokens")


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id (from `token list`) or the token itself.")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Revoke an API token: the next request with it gets 401."""
    from collector.admin import revoke_token

    with _session(db) as session:
        row = revoke_token(session, token)
        revoked = row.revoked_at.isoformat() if row.revoked_at else None
        _out(fmt, {"id": row.id, "revoked_at": revoked}, f"token {row.id} revoked")


@report_app.command("delete")
def report_delete(
    report_id: Annotated[str, typer.Argument(help="The report's id (UUID).")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Delete a stored report and its results (e.g. one with wrong data); the agent may upload it again."""
    from collector.admin import delete_report

    with _session(db) as session:
        delete_report(session, report_id)
        _out(fmt, {"report_id": report_id, "status": "deleted"}, f"report {report_id} deleted")


@key_app.command("list")
def key_list(
    site: Annotated[str | None, typer.Option(help="Only this site's keys.")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """List enrolled agent keys and their state (active, rotated, revoked)."""
    from collector.admin import list_keys

    with _session(db) as session:
        rows = []
        for key, owner in list_keys(session, site):
            state = "revoked" if key.revoked_at else "rotated" if key.rotated_at else "active"
            rows.append(
                {
                    "keyid": key.keyid,
                    "site_id": owner.site_id,
                    "agent_id": key.agent_id,
                    "state": state,
                    "enrolled_at": key.enrolled_at.isoformat(),
                    "rotated_at": key.rotated_at.isoformat() if key.rotated_at else None,
                    "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
                }
            )
        text = "\n".join(f"{r['keyid']}  {r['site_id']:<16} {r['state']:<8} {r['agent_id'] or ''}" for r in rows)
        _out(fmt, rows, text or "no keys enrolled")


@key_app.command("revoke")
def key_revoke(
    keyid: Annotated[str, typer.Argument(help="Key id (sha256:...).")],
    reason: Annotated[str, typer.Option(help="Why (kept with the key).")] = "revoked by administrator",
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Revoke a key: nothing it signed is accepted any more, whatever its date."""
    from collector.admin import revoke_key

    with _session(db) as session:
        key = revoke_key(session, keyid, reason)
        _out(fmt, {"keyid": key.keyid, "revoked_at": key.revoked_at}, f"key {key.keyid} revoked")


@key_app.command("rotate")
def key_rotate(
    site_id: Annotated[str, typer.Argument(help="The site whose agent key is being replaced.")],
    ttl_hours: Annotated[float, typer.Option(min=0.01, help="Hours until the token expires.")] = 24.0,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.text,
) -> None:
    """Create a rotation token: the agent runs `keys init --force` then `enroll URL --token T`; the site's old
    keys then only verify reports finished before the rotation."""
    from collector.admin import create_enrolment_token

    with _session(db) as session:
        token, expires = create_enrolment_token(session, site_id, timedelta(hours=ttl_hours), rotate=True)
        _out(
            fmt,
            {"token": token, "site_id": site_id, "expires_at": expires.isoformat(), "rotates_keys": True},
            f"{token}\n(rotation token for site {site_id}, one use, expires {expires.isoformat()})",
        )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(collector_app, name="collector")


# The dashboard's administration commands (trust/site list, bulk import and tokens, accounts, audit) register here.
from agent.cli import collector_dashboard as _dashboard_commands  # noqa: E402,F401
