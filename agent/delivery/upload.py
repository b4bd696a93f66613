"""Deliver signed reports from the outbox to the collector.

Retries with exponential back-off and full jitter; an outbox entry is deleted only when the collector answers
201 (stored) or 409 with ``identical: true`` (it already holds exactly this report: an earlier acknowledgement was
lost). A 4xx the collector answers with its own error code is permanent (the same envelope can never succeed) and
moves the report to the outbox's ``rejected/`` folder with the reason, except the refusals in ``WAIT_ERRORS``;
timeouts, 5xx, 408/425/429 and answers that are not the collector's keep it waiting for the next try.
Report ids make uploads idempotent. TLS is verified (CA bundle configurable); plain HTTP is refused except to
loopback or with ``allow_plain_http``.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from agent.config.upload import UploadConfig
from agent.delivery.outbox import Outbox, OutboxItem
from agent.delivery.signing import envelope_bytes, load_keys
from agent.errors import UsageError

log = logging.getLogger("schoolnet.upload")

REPORTS_PATH = "/api/v1/reports"
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
# Refusals by the collector that the same signed envelope can still overcome, so the report keeps waiting:
# a key not enrolled yet (enrol, and the next try verifies), a report "from the future" (this clock runs ahead).
WAIT_ERRORS = {"unknown_key", "from_future"}


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str | None, allow_plain_http: bool, *, what: str = "upload.url") -> str:
    """The collector URL, or a UsageError naming the key: https always, http only to loopback or when allowed."""
    if not url:
        raise UsageError(f"{what}: no collector URL configured")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{what}: {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not (allow_plain_http or is_loopback_host(parts.hostname)):
        raise UsageError(
            f"{what}: {url!r} uses plain HTTP to a non-loopback host; use https (or set allow_plain_http = true)"
        )
    return url.rstrip("/")


def tls_verify(ca_bundle: Path | None) -> bool | str:
    """requests' ``verify``: always on; a CA bundle path when configured."""
    if ca_bundle is None:
        return True
    path = ca_bundle.expanduser()
    if not path.is_file():
        raise UsageError(f"upload.ca_bundle: {path} does not exist")
    return str(path)


class Verdict(StrEnum):
    DELIVERED = "delivered"  # the collector holds it: delete from the outbox
    RETRY = "retry"  # transient: try again later
    REJECTED = "rejected"  # the collector refused it for good


@dataclass(frozen=True)
class Attempt:
    verdict: Verdict
    reason: str
    status_code: int | None = None


def send_once(session: requests.Session, url: str, body: bytes, *, timeout_s: float, verify: bool | str) -> Attempt:
    try:
        response = session.post(
            url + REPORTS_PATH,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=timeout_s,
            verify=verify,
        )
    except requests.exceptions.SSLError as exc:
        return Attempt(Verdict.RETRY, f"TLS verification failed: {_tls_reason(exc)} (set upload.ca_bundle?)")
    except requests.exceptions.Timeout:
        return Attempt(Verdict.RETRY, f"no answer within {timeout_s:g} s")
    except requests.exceptions.ConnectionError as exc:
        return Attempt(Verdict.RETRY, f"collector unreachable: {_root_cause(exc)}")
    except requests.exceptions.RequestException as exc:
        return Attempt(Verdict.RETRY, f"upload failed: {_short(exc)}")
    answer = _json(response)
    reason = (
        f"HTTP {response.status_code} {answer.get('error') or answer.get('status') or ''}: {answer.get('detail', '')}"
    )
    if response.status_code in (200, 201):
        return Attempt(Verdict.DELIVERED, reason.strip(), response.status_code)
    if response.status_code == 409 and answer.get("error") == "duplicate_report":
        if answer.get("identical") is True:
            return Attempt(Verdict.DELIVERED, "already stored (an earlier acknowledgement was lost)", 409)
        return Attempt(Verdict.REJECTED, reason, 409)
    if response.status_code in RETRY_STATUSES or response.status_code >= 500:
        return Attempt(Verdict.RETRY, reason, response.status_code)
    error = answer.get("error")
    if not isinstance(error, str):
        # Not the collector's own refusal (its errors carry a machine-readable "error"): a proxy, or a URL that is
        # not the collector. The report is fine; it waits until upload.url is put right.
        return Attempt(Verdict.RETRY, f"{reason.strip()} (not a collector's answer: is upload.url right?)",
                       response.status_code)
    if error in WAIT_ERRORS:
        return Attempt(Verdict.RETRY, reason, response.status_code)
    # Any other 4xx from the collector can never succeed with this envelope: set it aside with the reason.
    return Attempt(Verdict.REJECTED, reason, response.status_code)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return data if isinstance(data, dict) else {"detail": str(data)[:200]}


def _tls_reason(exc: BaseException) -> str:
    import ssl

    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            break
        for candidate in (current, *[a for a in current.args if isinstance(a, BaseException)]):
            if isinstance(candidate, ssl.SSLCertVerificationError) and candidate.verify_message:
                return candidate.verify_message
        current = getattr(current, "reason", None) or current.__cause__ or current.__context__
    return _short(exc)


def _root_cause(exc: BaseException) -> str:
    """The OS-level reason under requests' and urllib3's wrappers: 'Connection refused', 'Name or service not known'."""
    stack: list[object] = [exc]
    seen: set[int] = set()
    while stack:
        current = stack.pop(0)
        if id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__, *current.args])
    if "Connection aborted" in str(exc) or "RemoteDisconnected" in str(exc):
        return "connection closed before the collector answered"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."


def backoff_delay_s(attempt: int, initial_s: float, max_s: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max, initial * 2**attempt)] so many schools never retry in step."""
    return rng.uniform(0, min(max_s, initial_s * (2**attempt)))


@dataclass
class FlushResult:
    delivered: list[str] = field(default_factory=list)
    waiting: list[OutboxItem] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "waiting": [{"report_id": i.report_id, "reason": i.reason()} for i in self.waiting],
            "rejected": [{"report_id": r, "reason": why} for r, why in self.rejected],
        }


def flush(
    outbox: Outbox,
    config: UploadConfig,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    session: requests.Session | None = None,
) -> FlushResult:
    """Send every waiting report, oldest first. Stops early when the collector is unreachable."""
    url = check_url(config.url, config.allow_plain_http)
    verify = tls_verify(config.ca_bundle)
    rng = rng or random.SystemRandom()
    http = session or requests.Session()
    result = FlushResult()
    with outbox.lock():
        items = outbox.items()
        for index, item in enumerate(items):
            attempt = _deliver(outbox, item, url, verify, config, http, sleep, rng)
            if attempt.verdict is Verdict.DELIVERED:
                result.delivered.append(item.report_id)
            elif attempt.verdict is Verdict.REJECTED:
                result.rejected.append((item.report_id, attempt.reason))
            else:
                result.waiting.append(item)
                if attempt.status_code is None:  # unreachable: the rest would only wait for the same timeouts
                    for later in items[index + 1 :]:
                        outbox.note_waiting(later, f"not tried: {attempt.reason}")
                        result.waiting.append(later)
                    break
    return result


def _deliver(
    outbox: Outbox,
    item: OutboxItem,
    url: str,
    verify: bool | str,
    config: UploadConfig,
    http: requests.Session,
    sleep: Callable[[float], None],
    rng: random.Random,
) -> Attempt:
    body = outbox.read(item)
    attempt = Attempt(Verdict.RETRY, "not tried")
    for number in range(config.max_attempts):
        attempt = send_once(http, url, body, timeout_s=config.timeout_s, verify=verify)
        if attempt.verdict is Verdict.DELIVERED:
            outbox.remove(item)
            log.info("report %s delivered (%s)", item.report_id, attempt.reason)
            return attempt
        if attempt.verdict is Verdict.REJECTED:
            outbox.move_to_rejected(item, attempt.reason)
            log.warning("report %s refused by the collector: %s", item.report_id, attempt.reason)
            return attempt
        delay_s = backoff_delay_s(number, config.backoff_initial_s, config.backoff_max_s, rng)
        last = number == config.max_attempts - 1
        next_at = datetime.now(UTC) + timedelta(seconds=delay_s) if not last else None
        outbox.record_failure(item, attempt.reason, next_at)
        log.info("report %s: %s (attempt %d/%d)", item.report_id, attempt.reason, number + 1, config.max_attempts)
        if not last:
            sleep(delay_s)
    return attempt


def queue_report(state_dir: Path, report_id: str, report_bytes: bytes, site_id: str | None = None) -> OutboxItem:
    """Sign the exact report.json bytes and put the envelope in the outbox (before any network call)."""
    keys = load_keys(state_dir)
    envelope = keys.sign(report_bytes)
    return Outbox(state_dir).put(report_id, envelope_bytes(envelope), site_id=site_id)


def deliver_after_scan(config: Any, report_id: str, report_path: Path) -> FlushResult | None:
    """The scan's delivery step: sign report.json as written, queue it, try to upload. Never raises for the
    network (the report waits in the outbox); a missing key or bad [upload] config is reported on stderr."""
    from agent.cli.common import err

    state_dir: Path = config.agent.state_dir
    try:
        queue_report(state_dir, report_id, report_path.read_bytes(), site_id=config.site.id)
        result = flush(Outbox(state_dir), config.upload)
    except UsageError as exc:
        err.print(f"[yellow]upload: {exc}[/yellow]", highlight=False)
        return None
    except Exception as exc:  # the scan's reports are written; delivery trouble must not lose them
        err.print(f"[yellow]upload: {type(exc).__name__}: {exc}; the report waits in the outbox[/yellow]")
        return None
    if result.delivered:
        err.print(f"Uploaded {len(result.delivered)} report(s) to {config.upload.url}")
    if result.waiting:
        err.print(
            f"[yellow]{len(result.waiting)} report(s) waiting in the outbox ({result.waiting[0].reason()}); "
            "`schoolnet upload` retries[/yellow]",
            highlight=False,
        )
    for report, why in result.rejected:
        err.print(f"[red]collector refused report {report}: {why}[/red]", highlight=False)
    return result
