"""Ingest one signed report: verify first, then validate, then store exactly once.

Order matters: nothing in the payload is trusted (or even parsed) until its signature has been verified against a
key enrolled for a site. Every rejection is a 4xx with a machine code and one human sentence; nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from collector.models import AgentKey, RequirementRow, ResultRow, Site, StoredReport, table, utcnow
from collector.schema import IngestReport
from contract.envelope import PAYLOAD_TYPE, Envelope, EnvelopeError, public_key_from_raw
from contract.report import SCHEMA_VERSION

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024  # a full school report is ~100-300 KB; base64 adds a third
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class IngestOutcome:
    """What the endpoint answers: an HTTP status and a JSON body."""

    status_code: int
    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        key = "status" if self.status_code < 400 else "error"
        return {key: self.code, "detail": self.detail, **self.extra}


def reject(status_code: int, code: str, detail: str, **extra: Any) -> IngestOutcome:
    return IngestOutcome(status_code, code, detail, extra)


@dataclass(frozen=True)
class IngestSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW


def ingest(
    sessions: sessionmaker[Session],
    body: bytes,
    settings: IngestSettings,
    now: datetime | None = None,
    write_guard: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> IngestOutcome:
    now = now or utcnow()
    if len(body) > settings.max_body_bytes:
        return reject(413, "too_large", f"body is {len(body)} bytes; the limit is {settings.max_body_bytes}")
    try:
        # pydantic-core parses the JSON and decodes the base64 in one pass, with its nesting depth bounded (a body
        # nested 1,000 deep is a 400, not a RecursionError).
        envelope = Envelope.parse(body)
    except EnvelopeError as exc:
        status = 400 if str(exc).startswith("envelope is not valid JSON") else 422
        return reject(status, "malformed_envelope", str(exc))

    engine = _engine_of(sessions)
    with _connect(engine) as connection:
        # 1. The signature, against an enrolled key, before anything else. A Core query of the few columns needed:
        # ORM entities cost a unit of work and, once a rollback expires them, a reload query per attribute.
        keyids = envelope.keyids
        keys = {row.keyid: row for row in connection.execute(_KEY_LOOKUP, {"keyids": keyids})}
        if not keys:
            return reject(401, "unknown_key", f"no enrolled key with id {', '.join(keyids)[:200]}")
        usable = [k for k in keys.values() if k.revoked_at is None]
        if not usable:
            return reject(403, "key_revoked", "the signing key has been revoked; enrol the agent again")
        key = next((k for k in usable if envelope.verify(public_key_from_raw(k.public_key))), None)
        if key is None:
            return reject(401, "bad_signature", "signature does not verify: payload or payloadType altered")

        # 2. What was signed must be a report of a version we read.
        if envelope.payload_type != PAYLOAD_TYPE:
            return reject(415, "wrong_payload_type", f"payloadType {envelope.payload_type!r}; expected {PAYLOAD_TYPE}")
        outcome = _parse_report(envelope.payload)
        if isinstance(outcome, IngestOutcome):
            return outcome
        report = outcome
        if report.site.id != key.site_id:
            return reject(
                403, "site_mismatch", f"key is enrolled for site {key.site_id}, report is for {report.site.id}"
            )

        # 3. Timestamps: not from the future, not signed by a key after it was rotated out.
        rotated_at = _aware(key.rotated_at)
        if report.finished_at > now + settings.clock_skew or report.started_at > now + settings.clock_skew:
            return reject(422, "from_future", f"report finished at {report.finished_at.isoformat()}, after now")
        if report.started_at > report.finished_at:
            return reject(422, "bad_timestamps", "report started after it finished")
        if rotated_at is not None and report.finished_at > rotated_at:
            return reject(403, "key_rotated", f"key was replaced at {rotated_at.isoformat()}; sign with the new key")

        # 4. Exactly once per report id: the primary key decides, even between concurrent uploads.
        payload_sha256 = hashlib.sha256(envelope.payload).hexdigest()
        report_id = str(report.report_id)
        connection.rollback()  # end the read transaction: the write below starts from a fresh snapshot
        try:
            with write_guard():
                _store(connection, report, key.site_pk, key.keyid, body, payload_sha256, now)
                connection.commit()
        except IntegrityError:
            connection.rollback()
            existing = connection.execute(_STORED_SHA256, {"report_id": report_id}).first()
            if existing is None:
                raise
            return _duplicate(report_id, existing.payload_sha256, payload_sha256)
    return IngestOutcome(201, "stored", "report verified and stored", {"report_id": report_id, "site_id": key.site_id})


_KEY_LOOKUP = (
    select(
        AgentKey.keyid,
        AgentKey.site_pk,
        AgentKey.public_key,
        AgentKey.revoked_at,
        AgentKey.rotated_at,
        Site.site_id,
    )
    .join(Site, Site.id == AgentKey.site_pk)
    .where(AgentKey.keyid.in_(bindparam("keyids", expanding=True)))
)
_STORED_SHA256 = select(StoredReport.payload_sha256).where(StoredReport.report_id == bindparam("report_id"))


def _connect(engine: Engine) -> Connection:
    """PostgreSQL: autocommit, so the key lookup and the single storing statement are one round trip each (no
    BEGIN/COMMIT round trips; each statement commits durably on its own, synchronous_commit unchanged)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("ingest needs a sessionmaker bound to an Engine")
    return bind


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _duplicate(report_id: str, stored_sha256: str, payload_sha256: str) -> IngestOutcome:
    identical = stored_sha256 == payload_sha256
    detail = (
        "report id already stored with identical content (nothing stored again)"
        if identical
        else "report id already used by a different report (replay refused)"
    )
    return reject(409, "duplicate_report", detail, report_id=report_id, identical=identical)


def _parse_report(payload: bytes) -> IngestReport | IngestOutcome:
    try:
        report = IngestReport.model_validate_json(payload)
    except ValidationError as exc:
        version = _schema_version_of(payload)
        if version is not None and version != SCHEMA_VERSION:
            return reject(422, "unsupported_schema_version", f"schema_version {version!r}; this collector reads 1")
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        if first["type"] == "json_invalid":
            return reject(422, "malformed_report", f"payload is not valid JSON: {first['msg']}")
        if first["type"] == "value_error" and where in ("started_at", "finished_at"):
            return reject(422, "bad_timestamps", f"{where}: {first['msg'].removeprefix('Value error, ')}")
        return reject(422, "invalid_report", f"{where}: {first['msg']}", errors=len(exc.errors()))
    if report.schema_version != SCHEMA_VERSION:
        return reject(
            422, "unsupported_schema_version", f"schema_version {report.schema_version}; this collector reads 1"
        )
    return report


def _schema_version_of(payload: bytes) -> Any:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return data.get("schema_version") if isinstance(data, dict) else None


def _store(
    connection: Connection,
    report: IngestReport,
    site_pk: int,
    keyid: str,
    body: bytes,
    payload_sha256: str,
    now: datetime,
) -> None:
    report_id = str(report.report_id)
    summary = {_text(k): v for k, v in report.summary.items()}
    results = [
        [_text(r.requirement), _text(r.check), str(r.status), _text(r.detail), _text(r.target), _text(r.evidence_ref)]
        for r in report.results
    ]
    requirements = [[_text(r.id), _text(r.standard), _text(r.title), str(r.status)] for r in report.requirements]
    # The report's own row, shared by both paths.
    row = {
        "report_id": report_id,
        "site_pk": site_pk,
        "keyid": keyid,
        "received_at": now,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "schema_version": report.schema_version,
        "standards_version": _text(report.standards_version),
        "agent_id": _text(report.agent.id),
        "agent_version": _text(report.agent.version),
        "payload_sha256": payload_sha256,
        "envelope": body,
    }
    if connection.dialect.name == "postgresql":
        # One statement (CTEs) for the report and its rows: one round trip, committed on its own (autocommit).
        connection.execute(
            _PG_STORE,
            {
                **row,
                "summary": json.dumps(summary),
                "results": json.dumps(results),
                "requirements": json.dumps(requirements),
            },
        )
        return
    # Core inserts (no ORM unit of work): this is the hot path of a national collector.
    connection.execute(
        insert(table(StoredReport)),
        {**row, "summary": summary},
    )
    if connection.dialect.name == "sqlite":
        _insert_rows_sqlite(connection, report_id, site_pk, report.finished_at, results, requirements)
        return
    result_columns = ("requirement", "check", "status", "detail", "target", "evidence_ref")
    if results:
        connection.execute(
            insert(table(ResultRow)),
            [{"report_id": report_id, **dict(zip(result_columns, row, strict=True))} for row in results],
        )
    if requirements:
        requirement_columns = ("requirement", "standard", "title", "status")
        connection.execute(
            insert(table(RequirementRow)),
            [
                {
                    "report_id": report_id,
                    "site_pk": site_pk,
                    "finished_at": report.finished_at,
                    **dict(zip(requirement_columns, row, strict=True)),
                }
                for row in requirements
            ],
        )


# The rows travel as one JSON parameter each that PostgreSQL unpacks in C (a third of the client CPU of a
# row-by-row executemany). The row inserts read the report id from the report insert, so they happen after it.
_PG_STORE = text(
    "WITH report AS ("
    " INSERT INTO reports (report_id, site_pk, keyid, received_at, started_at, finished_at, schema_version,"
    " standards_version, agent_id, agent_version, payload_sha256, summary, envelope)"
    " VALUES (:report_id, :site_pk, :keyid, :received_at, :started_at, :finished_at, :schema_version,"
    " :standards_version, :agent_id, :agent_version, :payload_sha256, CAST(:summary AS json), :envelope)"
    " RETURNING report_id, site_pk, finished_at"
    "), result_rows AS ("
    ' INSERT INTO results (report_id, requirement, "check", status, detail, target, evidence_ref)'
    " SELECT report.report_id, x.value ->> 0, x.value ->> 1, x.value ->> 2, x.value ->> 3, x.value ->> 4,"
    " x.value ->> 5 FROM report, json_array_elements(CAST(:results AS json)) AS x"
    ")"
    " INSERT INTO requirement_statuses (report_id, site_pk, finished_at, requirement, standard, title, status)"
    " SELECT report.report_id, report.site_pk, report.finished_at, x.value ->> 0, x.value ->> 1, x.value ->> 2,"
    " x.value ->> 3 FROM report, json_array_elements(CAST(:requirements AS json)) AS x"
)


_SQLITE_RESULTS = text(
    'INSERT INTO results (report_id, requirement, "check", status, detail, target, evidence_ref) '
    "SELECT :report_id, value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', "
    "value ->> '$[5]' FROM json_each(:rows)"
)
_SQLITE_REQUIREMENTS = text(
    "INSERT INTO requirement_statuses (report_id, site_pk, finished_at, requirement, standard, title, status) "
    "SELECT :report_id, :site_pk, :finished_at, value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', "
    "value ->> '$[3]' FROM json_each(:rows)"
).bindparams(bindparam("finished_at", type_=table(RequirementRow).c.finished_at.type))


def _insert_rows_sqlite(
    connection: Connection,
    report_id: str,
    site_pk: int,
    finished_at: datetime,
    results: list[list[str | None]],
    requirements: list[list[str | None]],
) -> None:
    """The same idea with SQLite's JSON functions (built in since 3.38): rows unpacked in C, one statement each."""
    if results:
        connection.execute(_SQLITE_RESULTS, {"report_id": report_id, "rows": json.dumps(results)})
    if requirements:
        connection.execute(
            _SQLITE_REQUIREMENTS,
            {"report_id": report_id, "site_pk": site_pk, "finished_at": finished_at, "rows": json.dumps(requirements)},
        )


def _text(value: str | None) -> str | None:
    """Normalised copies only: PostgreSQL text cannot hold NUL (hidden SSIDs are often NUL-padded). The envelope,
    stored as bytes, keeps the original exactly."""
    return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value
