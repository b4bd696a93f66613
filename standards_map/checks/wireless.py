"""Wireless checks over one scan: security modes, PMF, generation, coverage and rogue radios."""

from __future__ import annotations

from probes.evidence.wifi import GuestIsolation, WifiNetwork, WifiScan
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, passed, unknown, warned
from standards_map.site import SiteProfile


def _school_networks(ev: WifiScan, site: SiteProfile) -> list[WifiNetwork]:
    """The school's own SSIDs when the config names them; otherwise everything heard."""
    if not site.wifi.ssids:
        return list(ev.networks)
    return [n for n in ev.networks if site.wifi.role_of(n.ssid) is not None]


def _names(networks: list[WifiNetwork]) -> str:
    names = sorted({n.ssid or "<hidden>" for n in networks})
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _nothing_heard(ev: WifiScan) -> Outcome | None:
    if not ev.networks:
        return unknown("The scan heard no networks.")
    return None


@check(evidence=WifiScan)
def wifi_no_open_networks(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Fail when a school network accepts anyone without encryption (an open guest SSID is flagged too)."""
    if (empty := _nothing_heard(ev)) is not None:
        return empty
    open_nets = [n for n in _school_networks(ev, site) if n.security == "open"]
    if not open_nets:
        return passed("Every school network heard requires encryption (or OWE for guests).")
    guest_only = all(site.wifi.role_of(n.ssid) == "guest" for n in open_nets)
    if guest_only:
        return warned(
            f"Guest network {_names(open_nets)} is open: guests' traffic can be read by anyone nearby. "
            "Use OWE (Enhanced Open) or a captive portal over WPA.",
            measured="open",
            expected="encrypted or OWE",
        )
    return failed(f"Open network(s) heard: {_names(open_nets)}.", measured="open", expected="encrypted")


@check(evidence=WifiScan)
def wifi_no_legacy_encryption(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Fail when a school network still offers WEP, WPA1 or TKIP."""
    if (empty := _nothing_heard(ev)) is not None:
        return empty
    legacy = [n for n in _school_networks(ev, site) if n.legacy_crypto]
    if not legacy:
        return passed("No school network offers WEP, WPA1 or TKIP.")
    return failed(f"Legacy encryption (WEP/WPA1/TKIP) offered by {_names(legacy)}.", measured="legacy crypto")


@check(evidence=WifiScan)
def wifi_school_ssids_wpa3_or_enterprise(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Staff and student SSIDs use WPA3 or 802.1X enterprise authentication."""
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs with roles, so staff and student networks are unknown.")
    wanted = {"wpa3-personal", "wpa2-enterprise", "wpa3-enterprise"}
    school = [n for n in ev.networks if site.wifi.role_of(n.ssid) in ("staff", "student")]
    if not school:
        return unknown("No staff or student SSID was heard in this scan.")
    weak = [n for n in school if n.security not in wanted]
    if not weak:
        return passed(f"Staff and student networks ({_names(school)}) use WPA3 or enterprise authentication.")
    modes = sorted({n.security for n in weak})
    return failed(
        f"{_names(weak)} use {', '.join(modes)}: a shared password cannot identify individual users.",
        measured=", ".join(modes),
        expected="wpa3-personal or enterprise",
    )


@check(evidence=WifiScan)
def wifi_pmf_enabled(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Protected management frames are at least offered by every encrypted school network."""
    if (empty := _nothing_heard(ev)) is not None:
        return empty
    encrypted = [n for n in _school_networks(ev, site) if n.security not in ("open", "wep")]
    if not encrypted:
        return unknown("No encrypted school network was heard.")
    none = [n for n in encrypted if n.pmf == "none"]
    if none:
        return failed(f"No protected management frames on {_names(none)}.", measured="pmf none")
    capable = [n for n in encrypted if n.pmf == "capable"]
    if capable:
        return warned(f"PMF is optional, not required, on {_names(capable)}.", measured="pmf capable")
    return passed("Every encrypted school network requires protected management frames.")


@check(evidence=WifiScan)
def wifi_latest_generation(
    ev: WifiScan, *, site: SiteProfile, pass_generation: int = 7, warn_generation: int = 6
) -> Outcome:
    """Wi-Fi 7 passes; Wi-Fi 6 is a warning (upgrade at the next refresh); older fails."""
    if (empty := _nothing_heard(ev)) is not None:
        return empty
    school = _school_networks(ev, site)
    known = [n.generation for n in school if n.generation is not None]
    if not known:
        return unknown("The generation of the school's access points could not be read from this source.")
    oldest = min(known)
    measured = f"Wi-Fi {oldest}"
    expected = f"Wi-Fi {pass_generation}"
    if oldest >= pass_generation:
        return passed(f"Every school access point heard is Wi-Fi {pass_generation} or newer.", measured, expected)
    if oldest >= warn_generation:
        return warned(
            f"The oldest school access points heard are Wi-Fi {oldest}; DfE asks for Wi-Fi {pass_generation} "
            "at the next upgrade.",
            measured,
            expected,
        )
    old = [n for n in school if n.generation is not None and n.generation < warn_generation]
    return failed(f"Access points older than Wi-Fi {warn_generation} serve {_names(old)}.", measured, expected)


@check(evidence=WifiScan)
def wifi_signal_coverage(ev: WifiScan, *, site: SiteProfile, min_signal_dbm: int = -67) -> Outcome:
    """At a survey location, the best signal of each school SSID reaches the threshold (industry practice)."""
    if ev.location is None:
        return unknown("Not a survey sample: coverage is judged per location (schoolnet wifi survey).")
    school = [n for n in _school_networks(ev, site) if n.signal_dbm is not None]
    if not school:
        return failed(f"No school network heard with a signal reading in {ev.location}.")
    best: dict[str, int] = {}
    for n in school:
        best[n.ssid] = max(best.get(n.ssid, -200), n.signal_dbm or -200)
    weakest_ssid, weakest = min(best.items(), key=lambda item: item[1])
    measured = f"{weakest} dBm ({weakest_ssid or '<hidden>'})"
    expected = f">= {min_signal_dbm} dBm"
    if weakest >= min_signal_dbm:
        return passed(
            f"Every school SSID is heard at {min_signal_dbm} dBm or better in {ev.location}.", measured, expected
        )
    return failed(f"{weakest_ssid or '<hidden>'} is weak in {ev.location}.", measured, expected)


@check(evidence=WifiScan)
def wifi_no_rogue_school_ssid(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Fail when a school SSID is broadcast by a radio that is not one of the school's access points."""
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs, so an impostor cannot be told apart.")
    if not site.wifi.known_bssids and not site.wifi.known_ouis:
        return unknown("The config lists no known access points (BSSIDs or OUIs) to compare against.")
    known = {b.lower() for b in site.wifi.known_bssids}
    ouis = tuple(o.lower() for o in site.wifi.known_ouis)
    rogues = [
        n
        for n in ev.networks
        if site.wifi.role_of(n.ssid) is not None and n.bssid not in known and not n.bssid.startswith(ouis)
    ]
    if not rogues:
        return passed("Every radio broadcasting a school SSID is a known school access point.")
    listed = ", ".join(f"{n.ssid} from {n.bssid}" for n in rogues[:5])
    return failed(f"Possible evil twin: {listed}.", measured=f"{len(rogues)} unknown radio(s)")


@check(evidence=GuestIsolation)
def wifi_guest_isolated(ev: GuestIsolation) -> Outcome:
    """From the guest SSID, no internal subnet or management address answers."""
    if not ev.probes:
        return unknown("No internal addresses were probed from the guest network.")
    reachable = [p for p in ev.probes if p.reachable]
    if not reachable:
        return passed(f"None of {len(ev.probes)} internal address/port probes answered from {ev.ssid}.")
    shown = ", ".join(f"{p.address}:{p.port}" for p in reachable[:5])
    return failed(f"From guest network {ev.ssid} these internal services answered: {shown}.")
