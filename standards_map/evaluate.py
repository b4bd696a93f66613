"""The evaluator: (map, evidence, site, attestations, now) -> results. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from contract.evidence import EvidenceRecord
from contract.results import RequirementStatus, Result
from contract.site import Attestation, SiteProfile
from standards_map.checks import CheckSpec, registry
from standards_map.model import CheckRef, Requirement, StandardsMap
from standards_map.outcome import Outcome, Status, worst

ATTESTATION_CHECK = "attestation"

# Which probe collects each evidence kind, for the "no evidence" reason.
_PROBE_OF_KIND_PREFIX = {"switch": "switches", "wifi": "wifi", "broadband": "broadband", "firewall": "firewall"}


def evaluate(
    standards: StandardsMap,
    evidence: Sequence[EvidenceRecord],
    site: SiteProfile,
    attestations: Sequence[Attestation],
    now: datetime,
) -> list[Result]:
    """Judge every requirement of the map for this site."""
    checks = registry()
    results: list[Result] = []
    for req in standards.requirements:
        results.extend(_evaluate_requirement(req, evidence, site, attestations, now, checks))
    return results


def requirement_statuses(standards: StandardsMap, results: Iterable[Result]) -> list[RequirementStatus]:
    by_req: dict[str, list[Status]] = {}
    for result in results:
        if result.requirement:
            by_req.setdefault(result.requirement, []).append(result.status)
    return [
        RequirementStatus(
            id=req.id,
            standard=req.standard,
            headline=req.headline,
            title=req.title,
            assessment=req.assessment,
            status=worst(by_req.get(req.id, [])),
            when_to_meet=req.when_to_meet,
            remediation=req.remediation,
            source=req.source,
        )
        for req in standards.requirements
    ]


def summarise(results: Iterable[Result]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return counts


def _evaluate_requirement(
    req: Requirement,
    evidence: Sequence[EvidenceRecord],
    site: SiteProfile,
    attestations: Sequence[Attestation],
    now: datetime,
    checks: dict[str, CheckSpec],
) -> list[Result]:
    def result(check: str, outcome: Outcome, target: str | None = None, ref: str | None = None) -> Result:
        return Result(
            requirement=req.id,
            check=check,
            status=outcome.status,
            detail=outcome.detail,
            target=target,
            evidence_ref=ref,
            standard=req.standard,
            measured=outcome.measured,
            expected=outcome.expected,
        )

    if site.phase not in req.phases:
        phases = ", ".join(p.replace("_", "-") for p in req.phases)
        outcome = Outcome(
            status=Status.NOT_APPLICABLE,
            detail=f"Applies to {phases} settings; this site is {site.phase.replace('_', '-')}.",
        )
        names = [ref.check for ref in req.checks] or [ATTESTATION_CHECK]
        return [result(name, outcome) for name in names]

    out: list[Result] = []
    for ref in req.checks:
        out.extend(
            result(ref.check, outcome, target, ev_ref)
            for outcome, target, ev_ref in _run_check(ref, checks[ref.check], evidence, site)
        )
    if req.attestation is not None:
        out.append(result(ATTESTATION_CHECK, _judge_attestation(req, attestations, now)))
    return out


def _run_check(
    ref: CheckRef, spec: CheckSpec, evidence: Sequence[EvidenceRecord], site: SiteProfile
) -> list[tuple[Outcome, str | None, str | None]]:
    params = ref.params_for(site.phase)
    if params is None:
        detail = f"DfE sets no threshold for {site.phase.replace('_', '-')} settings here."
        return [(Outcome(status=Status.NOT_APPLICABLE, detail=detail), None, None)]
    params.update(site.overrides.get(spec.id, {}))

    records = [record for record in evidence if record.kind == spec.kind]
    if not records:
        probe = _PROBE_OF_KIND_PREFIX.get(spec.kind.split(".")[0], spec.kind.split(".")[0])
        could_not_plan = [r for r in evidence if r.probe == probe and r.kind.endswith(".plan") and not r.ok]
        if could_not_plan:
            detail = f"Could not run the {probe} probe: {could_not_plan[0].error}"
            return [(Outcome(status=Status.UNKNOWN, detail=detail), None, could_not_plan[0].id)]
        detail = f"No evidence: the {probe} probe collected no {spec.kind} data (not configured, or skipped)."
        return [(Outcome(status=Status.UNKNOWN, detail=detail), None, None)]

    outcomes: list[tuple[Outcome, str | None, str | None]] = []
    for record in records:
        model = record.model()
        if model is None:
            reason = record.error or "the probe returned no data"
            outcome = Outcome(status=Status.UNKNOWN, detail=f"Could not measure: {reason}")
        else:
            try:
                outcome = spec.run(model, site, params)
            except Exception as exc:  # a broken check must not stop the report; say so plainly
                outcome = Outcome(status=Status.UNKNOWN, detail=f"Check {spec.id} could not judge this: {exc}")
        outcomes.append((outcome, record.target, record.id))
    return outcomes


def _judge_attestation(req: Requirement, attestations: Sequence[Attestation], now: datetime) -> Outcome:
    spec = req.attestation
    assert spec is not None
    mine = [a for a in attestations if a.requirement == req.id]
    if not mine:
        return Outcome(status=Status.MANUAL, detail=f"Needs a person to confirm: {spec.prompt}")
    latest = max(mine, key=lambda a: a.attested_on)
    who = f"{latest.attested_by} on {latest.attested_on.isoformat()}"
    age_days = (now.date() - latest.attested_on).days
    if age_days < 0:
        return Outcome(
            status=Status.UNKNOWN,
            detail=f"Attestation by {who} is dated in the future; check the date in the config.",
        )
    if latest.outcome == "not_met":
        return Outcome(status=Status.FAIL, detail=f"{who} recorded that this is not met ({latest.evidence}).")
    if spec.review_every_days is not None and age_days > spec.review_every_days:
        return _stale(who, age_days, spec.review_every_days, Status(spec.when_stale))
    if spec.warn_after_days is not None and age_days > spec.warn_after_days:
        return _stale(who, age_days, spec.warn_after_days, Status.WARN)
    return Outcome(status=Status.PASS, detail=f"Confirmed by {who}; evidence: {latest.evidence}.")


def _stale(who: str, age_days: int, limit_days: int, status: Status) -> Outcome:
    return Outcome(
        status=status,
        detail=f"Attestation by {who} is {age_days} days old; DfE expects a review at least every {limit_days} days.",
        measured=f"{age_days} days old",
        expected=f"<= {limit_days} days",
    )
