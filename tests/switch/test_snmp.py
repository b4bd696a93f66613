"""The SNMP walker against a real agent (snmpsim on loopback): v2c, v3 authPriv SHA/AES, faults, and agreement
between a live walk and the recorded file it was served from."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from probes.switch.snmp import COLUMNS, SCALARS, SnmpAuth, SnmpError, SnmpSession, facts_from_walk, parse_snmprec

AUTH_KEY, PRIV_KEY = "bench-auth-key-1", "bench-priv-key-1"


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[tuple[int, str]]:
    pytest.importorskip("snmpsim", reason="snmpsim (the [lab] extra) is not installed")
    from agent.lab.switches import SnmpAgent, benchmark_snmprec

    text = benchmark_snmprec(7)
    snmp = SnmpAgent(tmp_path_factory.mktemp("snmp"), {"sw7-secret": text, "self": text},
                     v3_auth=AUTH_KEY, v3_priv=PRIV_KEY)
    port = snmp.start()
    try:
        yield port, text
    finally:
        snmp.stop()


def walk(port: int, auth: SnmpAuth, **kwargs) -> dict:
    async def run() -> dict:
        session = SnmpSession()
        try:
            return await session.walk_device("127.0.0.1", port, auth, **kwargs)
        finally:
            session.close()

    return asyncio.run(run())


def wanted(oid: tuple[int, ...]) -> bool:
    return oid in SCALARS or any(oid[: len(c)] == c for c in COLUMNS)


def test_v2c_live_walk_equals_the_recording(agent):
    port, text = agent
    live = walk(port, SnmpAuth("v2c", community="sw7-secret"))
    recorded = {oid: value for oid, value in parse_snmprec(text).items() if wanted(oid)}
    assert live == recorded
    assert len(live) > 700


@pytest.mark.parametrize("max_repetitions", [1, 10, 50])
def test_walk_does_not_depend_on_max_repetitions(agent, max_repetitions):
    port, _ = agent
    base = walk(port, SnmpAuth("v2c", community="sw7-secret"))
    other = walk(port, SnmpAuth("v2c", community="sw7-secret"), max_repetitions=max_repetitions,
                 columns=COLUMNS)
    assert other == base


def test_v3_authpriv_sha_aes_empty_context(agent):
    port, _ = agent
    facts = facts_from_walk(walk(port, SnmpAuth("v3", user="auditor", auth_key=AUTH_KEY, priv_key=PRIV_KEY)))
    assert facts["hostname"] == "BENCH-SW007" and facts["serial"] == "JAE00000007"
    ports = facts["ports"]
    assert len(ports) == 50
    assert [p["name"] for p in ports if p["uplink"]] == ["TenGigabitEthernet1/1/1", "TenGigabitEthernet1/1/2"]
    assert all(p["speed_mbps"] == 10000 for p in ports if p["uplink"])
    assert {p["vlan"] for p in ports if p["mode"] == "access"} == {10, 20}
    assert facts["poe_ports_delivering"] == 12 and facts["stp_mode"] == "rstp"
    assert [n.system_name for n in facts["lldp_neighbours"]] == ["CORE-SW1", "CORE-SW1"]


def test_v3_wrong_key_is_a_precise_error(agent):
    port, _ = agent
    with pytest.raises(SnmpError, match="did not answer") as exc:
        walk(port, SnmpAuth("v3", user="auditor", auth_key="wrong-auth-key", priv_key=PRIV_KEY), timeout_s=0.5,
             retries=0)
    assert "wrong-auth-key" not in str(exc.value)


def test_wrong_community_times_out_quickly(agent):
    port, _ = agent
    with pytest.raises(SnmpError, match="No SNMP response received before timeout"):
        walk(port, SnmpAuth("v2c", community="guess"), timeout_s=0.3, retries=0)


def test_auth_repr_hides_keys():
    auth = SnmpAuth("v3", user="u", auth_key="k-secret-1", priv_key="k-secret-2")
    assert "secret" not in repr(auth) and "secret" not in str(auth)


def test_parse_snmprec_types(tmp_path: Path):
    text = "1.3.6.1.2.1.1.1.0|4|Cisco\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n1.3.6.1.2.1.2.2.1.8.1|2|1\n" \
           "1.3.6.1.2.1.1.9.1.3.1|4x|414243\nnot a record\n"
    walk_map = parse_snmprec(text)
    assert walk_map[(1, 3, 6, 1, 2, 1, 1, 1, 0)] == b"Cisco"
    assert walk_map[(1, 3, 6, 1, 2, 1, 1, 2, 0)] == (1, 3, 6, 1, 4, 1, 9, 1, 1)
    assert walk_map[(1, 3, 6, 1, 2, 1, 1, 9, 1, 3, 1)] == b"ABC"
    assert facts_from_walk(walk_map)["vendor"] == "Cisco"
