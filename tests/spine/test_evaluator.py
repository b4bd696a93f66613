"""Every status path of the evaluator, phase applicability and attestation expiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contract.site import Attestation
from contract.status import Status
from standards_map.evaluate import evaluate, requirement_statuses, summarise
from standards_map.model import load_map
from tests.spine.helpers import NOW, failed_speed_record, requirement, site, smap, speed_record

DOWNLOAD = {
    "check": "broadband_download_meets_minimum",
    "params": {"primary": {"min_mbps": 100}, "secondary": {"min_mbps": 1000}},
}


def _one(results: list, check: str | None = None):
    chosen = [r for r in results if check is None or r.check == check]
    assert len(chosen) == 1, chosen
    return chosen[0]


@pytest.mark.parametrize(
    ("phase", "download_mbps", "expected"),
    [
        ("primary", 150, Status.PASS),
        ("primary", 60, Status.FAIL),
        ("secondary", 150, Status.FAIL),
        ("secondary", 955, Status.PASS),  # a 1 Gbps line carries ~94% as TCP payload
        ("secondary", 900, Status.FAIL),
    ],
)
def test_download_threshold_depends_on_phase(phase: str, download_mbps: float, expected: Status) -> None:
    results = evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [speed_record(download_mbps)],
                       site(phase), [], NOW)
    result = _one(results)
    assert result.status is expected
    assert result.evidence_ref == "ev-0001"
    assert result.measured == f"{download_mbps:.0f} Mbps"


def test_no_evidence_is_unknown_with_reason() -> None:
    result = _one(evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [], site(), [], NOW))
    assert result.status is Status.UNKNOWN
    assert "No evidence" in result.detail and "broadband" in result.detail


def test_failed_probe_is_unknown_never_fail() -> None:
    record = failed_speed_record("ConnectionRefusedError: server unreachable")
    result = _one(evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [record], site(), [], NOW))
    assert result.status is Status.UNKNOWN
    assert "server unreachable" in result.detail


def test_probe_that_could_not_plan_is_unknown_with_its_reason() -> None:
    from contract.evidence import EvidenceRecord

    record = EvidenceRecord.failed("ev-0001", "broadband", "broadband.plan", "broadband", NOW,
                                   "FileNotFoundError: iperf3 not installed")
    result = _one(evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [record], site(), [], NOW))
    assert result.status is Status.UNKNOWN
    assert result.detail == "Could not run the broadband probe: FileNotFoundError: iperf3 not installed"


def test_slow_nic_makes_speed_unknown_not_fail() -> None:
    record = speed_record(94, link_speed_mbps=100, interface="eth0")
    result = _one(evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [record], site(), [], NOW))
    assert result.status is Status.UNKNOWN
    assert "100 Mbps" in result.detail


def test_latency_warn_and_site_override() -> None:
    req = requirement("dfe.broadband.latency", checks=[{"check": "broadband_latency_under_load",
                                                      "params": {"all": {"max_increase_ms": 100}}}])
    record = speed_record(900, latency_idle_ms=10, latency_loaded_ms=160)
    assert _one(evaluate(smap(req), [record], site(), [], NOW)).status is Status.WARN
    relaxed = site(overrides={"broadband_latency_under_load": {"max_increase_ms": 200}})
    assert _one(evaluate(smap(req), [record], relaxed, [], NOW)).status is Status.PASS


def test_requirement_outside_its_phases_is_not_applicable() -> None:
    req = requirement("dfe.broadband.speed", phases=["secondary", "college"], checks=[DOWNLOAD])
    result = _one(evaluate(smap(req), [speed_record(10)], site("primary"), [], NOW))
    assert result.status is Status.NOT_APPLICABLE
    assert "primary" in result.detail


def test_check_without_params_for_phase_is_not_applicable() -> None:
    req = requirement("dfe.broadband.speed", checks=[DOWNLOAD])
    result = _one(evaluate(smap(req), [speed_record(10)], site("college"), [], NOW))
    assert result.status is Status.NOT_APPLICABLE


def test_a_check_that_raises_is_unknown_not_a_crash() -> None:
    req = requirement("dfe.broadband.speed", checks=[{"check": "broadband_download_meets_minimum",
                                                     "params": {"all": {"min_mbps": "not a number"}}}])
    result = _one(evaluate(smap(req), [speed_record(500)], site(), [], NOW))
    assert result.status is Status.UNKNOWN
    assert "could not judge" in result.detail


MANUAL = requirement(
    "dfe.broadband.review",
    assessment="manual",
    attestation={"prompt": "Confirm the review took place.", "review_every_days": 365, "when_stale": "fail"},
)
ANNUAL_WITH_TERMLY_REVIEW = requirement(
    "dfe.broadband.annual",
    assessment="manual",
    attestation={"prompt": "Confirm.", "review_every_days": 365, "when_stale": "fail", "warn_after_days": 122},
)
TERMLY = requirement(
    "dfe.broadband.termly",
    assessment="manual",
    attestation={"prompt": "Confirm the termly review.", "review_every_days": 122, "when_stale": "warn"},
)


def attest(rid: str, days_ago: int, outcome: str = "met") -> Attestation:
    return Attestation(requirement=rid, outcome=outcome, attested_by="A. Head", evidence="minutes",
                       attested_on=NOW.date() - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("req", "attestations", "expected"),
    [
        (MANUAL, [], Status.MANUAL),
        (MANUAL, [attest("dfe.broadband.review", 30)], Status.PASS),
        (MANUAL, [attest("dfe.broadband.review", 365)], Status.PASS),
        (MANUAL, [attest("dfe.broadband.review", 366)], Status.FAIL),
        (TERMLY, [attest("dfe.broadband.termly", 200)], Status.WARN),
        (TERMLY, [attest("dfe.broadband.termly", 10, "not_met")], Status.FAIL),
        (TERMLY, [attest("dfe.broadband.termly", 200, "not_met")], Status.FAIL),  # stale "not met" is still not met
        (MANUAL, [attest("dfe.broadband.review", -3)], Status.UNKNOWN),  # dated in the future
        (ANNUAL_WITH_TERMLY_REVIEW, [attest("dfe.broadband.annual", 100)], Status.PASS),
        (ANNUAL_WITH_TERMLY_REVIEW, [attest("dfe.broadband.annual", 150)], Status.WARN),  # termly review overdue
        (ANNUAL_WITH_TERMLY_REVIEW, [attest("dfe.broadband.annual", 400)], Status.FAIL),
        # the newest attestation counts
        (MANUAL, [attest("dfe.broadband.review", 400), attest("dfe.broadband.review", 20)], Status.PASS),
        (MANUAL, [attest("dfe.broadband.other", 20)], Status.MANUAL),
    ],
)
def test_attestation_paths(req: dict, attestations: list[Attestation], expected: Status) -> None:
    result = _one(evaluate(smap(req), [], site(), attestations, NOW))
    assert result.check == "attestation"
    assert result.status is expected


def test_manual_requirement_shows_prompt() -> None:
    result = _one(evaluate(smap(MANUAL), [], site(), [], NOW))
    assert "Confirm the review took place." in result.detail


def test_partial_requirement_reports_check_and_attestation() -> None:
    req = requirement("dfe.broadband.partial", assessment="partial", checks=[DOWNLOAD],
                      attestation={"prompt": "Confirm."})
    results = evaluate(smap(req), [speed_record(1200)], site(), [], NOW)
    assert {r.check: r.status for r in results} == {
        "broadband_download_meets_minimum": Status.PASS,
        "attestation": Status.MANUAL,
    }
    [status] = requirement_statuses(smap(req), results)
    assert status.status is Status.MANUAL  # worst of pass and manual


def test_one_result_per_evidence_target_and_summary() -> None:
    a = speed_record(1200)
    b = speed_record(200).model_copy(update={"id": "ev-0009", "target": "other"})
    results = evaluate(smap(requirement("dfe.broadband.speed", checks=[DOWNLOAD])), [a, b], site(), [], NOW)
    assert sorted(r.status.value for r in results) == ["fail", "pass"]
    counts = summarise(results)
    assert counts["pass"] == 1 and counts["fail"] == 1 and set(counts) == {s.value for s in Status}


def test_real_map_every_requirement_gets_a_result_for_every_phase() -> None:
    standards = load_map()
    for phase in ("primary", "secondary", "all_through", "college"):
        results = evaluate(standards, [], site(phase), [], NOW)
        judged = {r.requirement for r in results}
        assert judged == {req.id for req in standards.requirements}
        assert not [r for r in results if r.status is Status.FAIL]  # no evidence never fails


def test_real_map_phase_thresholds() -> None:
    standards = load_map()
    record = speed_record(500, 200)
    by_phase = {}
    for phase in ("primary", "secondary"):
        results = evaluate(standards, [record], site(phase), [], NOW)
        speed_checks = ("broadband_download_meets_minimum", "broadband_upload_meets_minimum")
        by_phase[phase] = {r.check: r.status for r in results
                           if r.check in speed_checks and r.requirement == "dfe.broadband.minimum-speed"}
    assert by_phase["primary"] == {"broadband_download_meets_minimum": Status.PASS,
                                   "broadband_upload_meets_minimum": Status.PASS}
    assert by_phase["secondary"] == {"broadband_download_meets_minimum": Status.FAIL,
                                     "broadband_upload_meets_minimum": Status.FAIL}


def test_attestation_date_type() -> None:
    assert isinstance(attest("x", 1).attested_on, date)
