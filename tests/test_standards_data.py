"""Lint of the standards map data (standards_map/data/*.yaml) against the schema and the check registry."""

from __future__ import annotations

import inspect
from collections import Counter

import pytest

from standards_map.checks import registry
from standards_map.model import STANDARD_FILES, Requirement, load_map

# The check ids fixed by the user-facing contract (/work/shared/design/contract.md).
CONTRACT_CHECK_IDS = (
    # switching
    "switch_telnet_disabled",
    "switch_ssh_v2_enabled",
    "switch_http_mgmt_disabled",
    "switch_snmp_default_community_absent",
    "switch_snmp_v3_only",
    "switch_central_aaa_configured",
    "switch_passwords_not_plaintext",
    "switch_unused_ports_disabled",
    "switch_access_ports_nac",
    "switch_mgmt_vlan_not_default",
    "switch_stp_enabled",
    "switch_ntp_configured",
    "switch_remote_logging_configured",
    "switch_access_port_speed_1g",
    "switch_uplink_capacity_2x10g",
    "switch_core_redundant_power",
    "switch_core_on_ups",
    "switch_firmware_supported",
    "switch_poe_lldp_med",
    # wireless
    "wifi_no_open_networks",
    "wifi_no_legacy_encryption",
    "wifi_school_ssids_wpa3_or_enterprise",
    "wifi_pmf_enabled",
    "wifi_latest_generation",
    "wifi_signal_coverage",
    "wifi_guest_isolated",
    "wifi_no_rogue_school_ssid",
    # broadband
    "broadband_download_meets_minimum",
    "broadband_upload_meets_minimum",
    "broadband_backup_connection",
    "broadband_full_fibre",
    "broadband_latency_under_load",
    "wifi_school_ssids_individual_auth",
)

MIN_REQUIREMENTS = {"broadband": 3, "switching": 4, "wireless": 4, "cyber": 7, "filtering": 4}
# DfE's own numbering of each core standard's clauses (research notes, dfe-standards.md).
DFE_REFS = {
    "broadband": {"BB-1", "BB-2", "BB-3", "BB-4"},
    "switching": {"NS-1", "NS-2", "NS-3", "NS-4"},
    "wireless": {"WN-1", "WN-2", "WN-3", "WN-4"},
    "cyber": {"CS-1", "CS-2", "CS-3", "CS-4", "CS-5", "CS-6", "CS-7"},
    "filtering": {"FM-1", "FM-2", "FM-3", "FM-4"},
}
GOV_UK = "https://www.gov.uk/guidance/meeting-digital-and-technology-standards-in-schools-and-colleges/"

SMAP = load_map()
REQUIREMENTS = SMAP.requirements


def _ids(req: Requirement) -> str:
    return req.id


def test_map_version_is_a_non_empty_string():
    assert isinstance(SMAP.version, str)
    assert SMAP.version.strip()


def test_all_five_standards_are_loaded():
    assert [s.id for s in SMAP.standards] == list(STANDARD_FILES)
    for standard in SMAP.standards:
        assert standard.title.strip()
        assert standard.source.startswith(GOV_UK), standard.id
        assert standard.core is True


def test_requirement_ids_are_unique():
    counts = Counter(req.id for req in REQUIREMENTS)
    assert [rid for rid, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("standard, minimum", sorted(MIN_REQUIREMENTS.items()))
def test_each_standard_has_enough_requirements(standard, minimum):
    mine = [req for req in REQUIREMENTS if req.standard == standard]
    assert len(mine) >= minimum


@pytest.mark.parametrize("standard, refs", sorted(DFE_REFS.items()))
def test_every_dfe_clause_is_covered(standard, refs):
    assert {req.ref for req in REQUIREMENTS if req.standard == standard} == refs


@pytest.mark.parametrize("req", REQUIREMENTS, ids=_ids)
def test_requirement_basics(req):
    assert req.id.startswith(f"dfe.{req.standard}."), "id prefix must match the standard"
    slug = req.id.split(".", 2)[2]
    assert slug.replace("-", "").isalnum() and slug == slug.lower(), f"slug {slug!r}"
    assert req.source.startswith(GOV_UK), "source must be the gov.uk page"
    assert req.source == SMAP.standard(req.standard).source, "source should be its standard's page"
    assert req.title.strip()
    assert req.summary.strip()
    assert req.when_to_meet.strip()
    assert req.remediation.strip()
    assert req.assessment in ("automated", "partial", "manual")
    assert req.phases, "a requirement must apply to at least one phase"


@pytest.mark.parametrize("req", REQUIREMENTS, ids=_ids)
def test_assessment_matches_checks_and_attestation(req):
    if req.assessment == "manual":
        assert req.attestation is not None, "manual requirements need an attestation prompt"
        assert req.checks == [], "manual requirements have no checks"
    elif req.assessment == "automated":
        assert req.checks, "automated requirements need at least one check"
    else:  # partial: some of it measured, some confirmed by a person
        assert req.checks, "partial requirements need at least one check"
        assert req.attestation is not None, "partial requirements need an attestation for the rest"
    if req.attestation is not None:
        assert req.attestation.prompt.strip()
        if req.attestation.review_every_days is not None:
            assert req.attestation.review_every_days > 0


@pytest.mark.parametrize("req", REQUIREMENTS, ids=_ids)
def test_checks_exist_and_params_fit_their_functions(req):
    checks = registry()
    for ref in req.checks:
        assert ref.check in checks, f"unknown check id {ref.check}"
        spec = checks[ref.check]
        required = {
            p.name
            for p in inspect.signature(spec.fn).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
            and p.default is inspect.Parameter.empty
            and p.name != "site"
        }
        for phase_key, params in ref.params.items():
            unknown = set(params) - set(spec.params)
            assert not unknown, f"{ref.check} ({phase_key}) does not accept {sorted(unknown)}"
            assert "site" not in params, "site is passed by the evaluator, never from the map"
        for phase in req.phases:
            params = ref.params_for(phase)
            assert params is not None, f"{ref.check} has no params for {phase}, which {req.id} applies to"
            missing = required - set(params)
            assert not missing, f"{ref.check} needs {sorted(missing)} for {phase}"


def test_every_contract_check_is_used():
    used = {ref.check for req in REQUIREMENTS for ref in req.checks}
    assert sorted(set(CONTRACT_CHECK_IDS) - used) == []


def test_contract_checks_are_all_registered():
    assert len(CONTRACT_CHECK_IDS) == 33
    assert sorted(set(CONTRACT_CHECK_IDS) - set(registry())) == []


def _ref(check_id: str) -> list:
    return [ref for req in REQUIREMENTS for ref in req.checks if ref.check == check_id]


@pytest.mark.parametrize(
    "check_id, expected",
    [
        (
            "broadband_download_meets_minimum",
            {"primary": 100, "secondary": 1000, "all_through": 1000, "college": 1000},
        ),
        (
            "broadband_upload_meets_minimum",
            {"primary": 30, "secondary": 1000, "all_through": 1000, "college": 1000},
        ),
    ],
)
def test_broadband_speed_thresholds_are_dfe(check_id, expected):
    refs = _ref(check_id)
    assert refs
    for ref in refs:
        assert "all" not in ref.params, "speeds differ by phase: give them per phase"
        for phase, mbps in expected.items():
            assert ref.params_for(phase) == {"min_mbps": mbps}


def test_other_thresholds():
    (access,) = _ref("switch_access_port_speed_1g")
    assert access.params_for("primary") == {"min_mbps": 1000}
    (uplink,) = _ref("switch_uplink_capacity_2x10g")
    assert uplink.params_for("secondary") == {"min_links": 2, "min_link_mbps": 10000}
    for ref in _ref("switch_core_redundant_power"):
        assert ref.params_for("college")["min_supplies"] >= 2
    (generation,) = _ref("wifi_latest_generation")
    # DfE: Wi-Fi 7 "at a minimum" when upgrading, so nothing older is met (it is due at the next upgrade).
    assert generation.params_for("primary") == {"pass_generation": 7, "warn_generation": 7}
    (signal,) = _ref("wifi_signal_coverage")
    assert signal.params_for("secondary") == {"min_signal_dbm": -67}
    assert signal.note and "not a DfE figure" in signal.note
    (latency,) = _ref("broadband_latency_under_load")
    assert latency.params_for("primary") == {"max_increase_ms": 100}
    assert latency.note and "not a dfe" in latency.note.lower()


def test_stale_review_periods_follow_dfe():
    by_id = {req.id: req for req in REQUIREMENTS}
    annual_fail = ["dfe.cyber.risk-assessment", "dfe.cyber.awareness-training", "dfe.cyber.backup-plan",
                   "dfe.filtering.annual-review"]
    for rid in annual_fail:
        att = by_id[rid].attestation
        assert att is not None and (att.review_every_days, att.when_stale) == (365, "fail"), rid
    termly_warn = ["dfe.cyber.user-accounts", "dfe.cyber.backup-restore-tests"]
    for rid in termly_warn:
        att = by_id[rid].attestation
        assert att is not None and (att.review_every_days, att.when_stale) == (122, "warn"), rid


def test_attestation_review_periods_are_ordered() -> None:
    for req in load_map().requirements:
        spec = req.attestation
        if spec is not None and spec.warn_after_days is not None:
            assert spec.review_every_days is not None and spec.warn_after_days < spec.review_every_days, req.id


def test_every_registered_check_is_used_by_a_requirement() -> None:
    """A check no requirement names would never run: a new check must be placed in the map."""
    used = {ref.check for req in load_map().requirements for ref in req.checks}
    assert set(registry()) - used == set()
