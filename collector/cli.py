"""``schoolnet-collector serve`` (and ``python -m collector``): run the collector on a host that installed only the
``[collector]`` extra. It imports nothing of the agent; ``schoolnet collector serve`` does the same from the agent's
CLI, and the administration commands live there (``schoolnet collector trust|site|token|key|report ...``)."""

from __future__ import annotations

import argparse
import os
import sys

from collector import DEFAULT_DB_URL, __version__

DB_ENV = "SCHOOLNET_COLLECTOR_DB"
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


def build_parser() -> argparse.ArgumentParser:
    from collector.ingest import DEFAULT_MAX_BODY_BYTES
    from collector.speed import SpeedSettings

    speed = SpeedSettings()
    parser = argparse.ArgumentParser(prog="schoolnet-collector", description="The schoolnet collector service.")
    parser.add_argument("--version", action="version", version=f"schoolnet-collector {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the collector (migrations are applied on start)")
    serve.add_argument("--db", default=os.environ.get(DB_ENV, DEFAULT_DB_URL), help="sqlite:///FILE or postgresql://")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="1-64")
    serve.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES, help="largest upload accepted")
    serve.add_argument("--speed-max-bytes", type=int, default=speed.max_bytes, help="/speed: bytes per request")
    serve.add_argument(
        "--speed-max-transfers", type=int, default=speed.max_transfers_per_client, help="/speed: per client address"
    )
    serve.add_argument("--speed-enrolled-only", action="store_true", help="/speed: enrolled agents only")
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(serve(args))


def serve(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from collector.db import make_engine, migrate
    from collector.dburl import DatabaseUrlError, redact, scrub
    from collector.server import serve as run
    from collector.speed import SpeedSettings

    db = args.db
    try:
        engine = make_engine(db)
        migrate(engine)
        engine.dispose()
    except DatabaseUrlError as exc:
        print(f"error: --db {scrub(str(exc), db)}", file=sys.stderr)
        return EXIT_USAGE
    except (OperationalError, OSError) as exc:
        reason = scrub(str(getattr(exc, "orig", None) or exc), db)
        print(f"error: --db {redact(db)}: cannot open the database ({reason})", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(
        f"schoolnet collector on http://{args.host}:{args.port} (API docs at /docs), database {redact(db)}",
        file=sys.stderr,
        flush=True,
    )
    speed = SpeedSettings(
        max_bytes=args.speed_max_bytes,
        max_transfers_per_client=args.speed_max_transfers,
        require_enrolled=args.speed_enrolled_only,
    )
    run(
        db,
        args.host,
        args.port,
        workers=args.workers,
        max_body_bytes=args.max_body_bytes,
        speed=speed,
        log_level=args.log_level,
    )
    return 0
