"""The agent's link: route lookup and negotiated speed from a sysfs-shaped tree."""

from __future__ import annotations

from probes.broadband.link import default_route_interface, link_speed_mbps, local_link


def test_speed_from_sysfs(tmp_path):
    for name, value in (("eth0", "1000\n"), ("eth1", "100\n"), ("wlan0", "-1\n"), ("bad0", "x\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "speed").write_text(value)
    assert link_speed_mbps("eth0", tmp_path) == 1000
    assert link_speed_mbps("eth1", tmp_path) == 100
    assert link_speed_mbps("wlan0", tmp_path) is None  # unknown speed (Wi-Fi, down)
    assert link_speed_mbps("bad0", tmp_path) is None
    assert link_speed_mbps("missing0", tmp_path) is None


def test_named_interface_speed(tmp_path):
    (tmp_path / "eth1").mkdir()
    (tmp_path / "eth1" / "speed").write_text("100")
    info = local_link("127.0.0.1", interface="eth1", sysfs=tmp_path)
    assert (info.interface, info.speed_mbps, info.note) == ("eth1", 100, None)


def test_loopback_route_has_no_speed():
    info = local_link("127.0.0.1")
    assert info.interface == "lo" and info.speed_mbps is None and "no negotiated speed" in (info.note or "")


def test_default_route_from_proc_format(tmp_path):
    route = tmp_path / "route"
    route.write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
        "eth9\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
        "eth7\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\n"
    )
    assert default_route_interface(route) == "eth7"
    assert default_route_interface(tmp_path / "absent") is None
