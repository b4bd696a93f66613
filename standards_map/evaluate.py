"""The evaluator: (map, evidence, site, attestations, now) -> results. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from contract.evidence import EvidenceRecord
from contract.results import RequirementStatus, Result
from contract.site import Attestation, SiteProfile
from contract.status import Status, worst
from standards_map.checks import CheckSpec, registry
from standards_map.model import CheckRef, Requirement, StandardsMap
from standards_map.outcome import Outcome

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
    """Each requirement's status: the worst of its DfE results; good practice can add at most a warning."""
    dfe: dict[str, list[Status]] = {}
    practice: dict[str, list[Status]] = {}
    for result in results:
        if result.requirement:
            into = practice if result.good_practice else dfe
            into.setdefault(result.requirement, []).append(result.status)
    return [
        RequirementStatus(
            id=req.id,
            standard=req.standard,
            headline=req.headline,
            title=req.title,
            assessment=req.assessment,
            status=_roll_up(dfe.get(req.id, []), practice.get(req.id, [])),
            when_to_meet=req.when_to_meet,
            due=req.due,
            remediation=req.remediation,
            source=req.source,
        )
        for req in standards.requirements
    ]


def _roll_up(dfe: list[Status], practice: list[Status]) -> Status:
    """Worst of the DfE results; a good-practice warning lowers a met requirement to attention, nothing more.

    A good-practice check that could not be measured says nothing about DfE's requirement, so it is left out
    (it still shows as its own row). With no DfE result at all, the good-practice ones decide (capped at warn).
    """
    if not dfe:
        return worst([_capped(s) for s in practice])
    base = worst(dfe)
    if base in (Status.PASS, Status.NOT_APPLICABLE) and Status.WARN in practice:
        return Status.WARN if base is Status.PASS else base
    return base


def _capped(status: Status) -> Status:
    return Status.WARN if status is Status.FAIL else status


def count_by_status(statuses: Iterable[Status]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for status in statuses:
        counts[status.value] += 1
    return counts


def summarise(
    results: Iterable[Result], requirements: Iterable[RequirementStatus] | None = None
) -> dict[str, int | dict[str, int]]:
    """The report's summary: results (checks) counted by status, and ``requirements`` counted by status."""
    summary: dict[str, int | dict[str, int]] = dict(count_by_status(r.status for r in results))
    if requirements is not None:
        summary["requirements"] = count_by_status(r.status for r in requirements)
    return summary


Priority = str  # "act_now", "plan", "by_2030", "confirm", "unmeasured" or "" (nothing to do)
PRIORITY_OF_DUE: dict[str, Priority] = {"now": "act_now", "next_upgrade": "plan", "by_2030": "by_2030"}


def priority(status: Status, due: str | None) -> Priority:
    """Where a requirement goes on the report's first screen: not met or needing attention, by DfE's timing.

    Red ("act now") is only what is not met (or needs attention) and due now; not met and due at the next
    upgrade is something to plan for, not an alarm.
    """
    if status in (Status.FAIL, Status.WARN):
        return PRIORITY_OF_DUE[due or "now"]  # no timing recorded (an old report): treat it as due
    if status is Status.MANUAL:
        return "confirm"
    if status is Status.UNKNOWN:
        return "unmeasured"
    return ""


def _evaluate_requirement(
    req: Requirement,
    evidence: Sequence[EvidenceRecord],
    site: SiteProfile,
    attestations: Sequence[Attestation],
    now: datetime,
    checks: dict[str, CheckSpec],
) -> list[Result]:
    practice = {ref.check: ref.good_practice.source for ref in req.checks if ref.good_practice is not None}

    def result(check: str, outcome: Outcome, target: str | None = None, ref: str | None = None) -> Result:
        source = practice.get(check)
        status = outcome.status
        detail = outcome.detail
        if source is not None and status is Status.FAIL:
            # DfE does not ask for this: short of good practice is "attention", never "not met".
            status = Status.WARN
        return Result(
            requirement=req.id,
            check=check,
            status=status,
            detail=detail,
            target=target,
            evidence_ref=ref,
            standard=req.standard,
            measured=outcome.measured,
            expected=outcome.expected,
            good_practice=source,
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
