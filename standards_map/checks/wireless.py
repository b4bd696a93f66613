"""Wireless checks: security modes, PMF and generation over a scan; coverage per survey location;
rogue radios; guest isolation.

Which networks are the school's: when the config lists the school's access points (BSSIDs or OUIs),
everything those radios send (hidden SSIDs included); a school SSID from any other radio is an
impostor, left to ``wifi_no_rogue_school_ssid`` rather than counted against the school's own security.
Without that list, every network broadcasting a school SSID. When the config names no SSIDs at all,
every network heard is judged and the detail says so: a neighbour's router can then fail the school,
which is why the config should name them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from contract.evidence.wifi import GuestIsolation, WifiNetwork, WifiScan, WifiSurvey
from contract.site import SiteProfile
from contract.status import Status
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, not_applicable, passed, unknown, warned

_PSK_AKMS = {"PSK", "FT-PSK", "PSK-SHA256", "PSK-SHA384", "FT-PSK-SHA384", "WPA-PSK"}
_STRONG_SCHOOL_MODES = {"wpa3-personal", "wpa2-enterprise", "wpa3-enterprise"}


def _says_how_much_was_read(fn: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A capture cut mid-record was read only up to its last whole record: every result on it says how much was
    read, and a pass becomes unknown (networks in the missing part were never heard, so "none is open" is not
    proven); a fail stands, because what was heard is real."""

    @functools.wraps(fn)
    def judged(ev: WifiScan, **kwargs: Any) -> Outcome:
        outcome = fn(ev, **kwargs)
        if not ev.truncated:
            return outcome
        read = f"{ev.bytes_read:,} of {ev.file_size_bytes:,} bytes" if ev.bytes_read is not None else "part"
        note = (f" The capture is cut short mid-record: only {read} ({ev.frames_total or 0} frames) could be read, "
                "so networks in the missing part were not heard.")
        if outcome.status is Status.PASS:
            return unknown(outcome.detail + note, outcome.measured, outcome.expected)
        return outcome.model_copy(update={"detail": outcome.detail + note})

    return judged


def _known_ap(n: WifiNetwork, site: SiteProfile) -> bool:
    return n.bssid in site.wifi.known_bssids or n.bssid.startswith(tuple(o + ":" for o in site.wifi.known_ouis))


def _is_school(n: WifiNetwork, site: SiteProfile) -> bool:
    if site.wifi.known_bssids or site.wifi.known_ouis:
        return _known_ap(n, site)
    return site.wifi.role_of(n.ssid) is not None


def _school_networks(ev: WifiScan, site: SiteProfile) -> list[WifiNetwork]:
    """The school's own networks when the config names SSIDs; otherwise everything heard."""
    if not site.wifi.ssids:
        return list(ev.networks)
    return [n for n in ev.networks if _is_school(n, site)]


def _scope(site: SiteProfile) -> str:
    return "" if site.wifi.ssids else " (the config names no school SSIDs, so every network heard was judged)"


def _names(networks: list[WifiNetwork]) -> str:
    names = sorted({n.ssid or f"<hidden {n.bssid}>" for n in networks})
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _preamble(ev: WifiScan, site: SiteProfile) -> Outcome | list[WifiNetwork]:
    """Unknown when nothing (of the school's) was heard; otherwise the networks to judge."""
    if not ev.networks:
        return unknown("The scan heard no networks.")
    school = _school_networks(ev, site)
    if not school:
        names = ", ".join(s.ssid for s in site.wifi.ssids[:5])
        return unknown(f"None of the school's SSIDs ({names}) was heard in this scan.")
    return school


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_no_open_networks(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """No school network (staff, student, IoT) lets anyone join without a login; guest SSIDs are judged on
    separation and filtering instead."""
    school = _preamble(ev, site)
    if isinstance(school, Outcome):
        return school
    open_nets = [n for n in school if n.security in ("open", "owe")]
    guests = [n for n in open_nets if site.wifi.role_of(n.ssid) == "guest"]
    not_guest = [n for n in open_nets if n not in guests]
    guest_note = (
        f" Guest network {_names(guests)} has no password; guests are judged on being kept apart from the "
        "school network and filtered (Enhanced Open, OWE, would also encrypt their traffic)."
        if guests else ""
    )
    if not not_guest:
        return passed(f"Every school network heard requires a login{_scope(site)}.{guest_note}")
    return failed(
        f"Anyone can join {_names(not_guest)} without a login{_scope(site)}.{guest_note}",
        ", ".join(sorted({n.security for n in not_guest})),
        "a login (802.1X or a key)",
    )


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_no_legacy_encryption(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """No school network still offers WEP, WPA1 or TKIP."""
    school = _preamble(ev, site)
    if isinstance(school, Outcome):
        return school
    legacy = [n for n in school if n.legacy_crypto]
    if not legacy:
        return passed(f"No school network offers WEP, WPA1 or TKIP{_scope(site)}.")
    kinds = sorted(
        {"WEP" if n.security == "wep" else "WPA1" if any(a.startswith("WPA-") for a in n.akm) else "TKIP"
         for n in legacy}
    )
    return failed(
        f"Legacy encryption ({'/'.join(kinds)}) offered by {_names(legacy)}{_scope(site)}.",
        measured="/".join(kinds),
        expected="CCMP/GCMP only (WPA2/WPA3)",
    )


_ENTERPRISE_MODES = {"wpa-enterprise", "wpa2-enterprise", "wpa3-enterprise"}
_PASSPHRASE_MODES = {"wpa-personal", "wpa2-personal", "wpa3-personal", "wep"}


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_school_ssids_individual_auth(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Staff and student SSIDs authenticate each user or device individually (802.1X / enterprise)."""
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs with roles, so staff and student networks are unknown.")
    school = [n for n in _school_networks(ev, site) if site.wifi.role_of(n.ssid) in ("staff", "student")]
    if not school:
        return unknown("No staff or student SSID was heard from the school's access points in this scan.")
    per_device = {s.ssid for s in site.wifi.ssids if s.per_device_keys}
    shared = [n for n in school if n.security in _PASSPHRASE_MODES and n.ssid not in per_device]
    nobody = [n for n in school if n.security in ("open", "owe")]
    expected = "802.1X (enterprise) or per-device keys"
    if nobody:
        return failed(
            f"Anyone in range can join {_names(nobody)}: there is no login at all.",
            measured=", ".join(sorted({n.security for n in nobody})),
            expected=expected,
        )
    if shared:
        modes = ", ".join(sorted({n.security for n in shared}))
        return failed(
            f"{_names(shared)} use one shared password ({modes}): it cannot tell users apart, and anyone who "
            "learns it can join. Use 802.1X logins, or per-device keys (iPSK/DPSK) and say so in the config.",
            measured=modes,
            expected=expected,
        )
    attested = [n for n in school if n.security in _PASSPHRASE_MODES]
    if attested:
        return warned(
            f"{_names(attested)} use a passphrase mode that the config says gives each device its own key "
            "(iPSK/DPSK/PPSK); a beacon cannot show that, so keep the controller's per-device key list as the "
            "record and have it confirmed (per_device_keys in the [wifi] ssids config).",
            measured="per-device keys (declared)",
            expected=expected,
        )
    other = [n for n in school if n.security not in _ENTERPRISE_MODES]
    if other:
        modes = ", ".join(sorted({n.security for n in other}))
        return unknown(f"Could not tell how {_names(other)} authenticate ({modes}).")
    return passed(
        f"Staff and student networks ({_names(school)}) use individual 802.1X (enterprise) logins.",
        measured=", ".join(sorted({n.security for n in school})),
        expected=expected,
    )


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_school_ssids_wpa3_or_enterprise(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Staff and student SSIDs use WPA3 or 802.1X enterprise authentication."""
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs with roles, so staff and student networks are unknown.")
    school = [n for n in _school_networks(ev, site) if site.wifi.role_of(n.ssid) in ("staff", "student")]
    if not school:
        return unknown("No staff or student SSID was heard from the school's access points in this scan.")
    weak = [n for n in school if n.security not in _STRONG_SCHOOL_MODES]
    if weak:
        modes = sorted({n.security for n in weak})
        why = (
            "anyone in range can join"
            if set(modes) <= {"open", "owe"}
            else "a shared password cannot identify individual users and is easily passed on"
        )
        return failed(
            f"{_names(weak)} use {', '.join(modes)}: {why}.",
            measured=", ".join(modes),
            expected="wpa3-personal or enterprise (802.1X)",
        )
    transition = [n for n in school if n.security == "wpa3-personal" and _PSK_AKMS.intersection(n.akm)]
    if transition:
        return warned(
            f"{_names(transition)} run WPA3 transition mode: WPA2-PSK is still accepted, so the shared password "
            "can still be attacked offline. Turn transition mode off once every device supports WPA3.",
            measured="wpa3-personal (transition)",
            expected="wpa3-personal or enterprise (802.1X)",
        )
    return passed(f"Staff and student networks ({_names(school)}) use WPA3 or enterprise authentication.")


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_pmf_enabled(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Protected management frames are required by every encrypted school network (capable warns)."""
    school = _preamble(ev, site)
    if isinstance(school, Outcome):
        return school
    encrypted = [n for n in school if n.security not in ("open", "wep")]
    if not encrypted:
        return unknown("No encrypted school network was heard.")
    readable = [n for n in encrypted if n.pmf is not None]
    if not readable:
        return unknown(f"This source ({ev.source}) does not report protected management frames; use iw or a capture.")
    none = [n for n in readable if n.pmf == "none"]
    if none:
        return failed(
            f"No protected management frames on {_names(none)}: anyone can forge de-authentication frames.",
            measured="pmf none",
            expected="pmf required",
        )
    capable = [n for n in readable if n.pmf == "capable"]
    if capable:
        return warned(f"PMF is optional, not required, on {_names(capable)}.", "pmf capable", "pmf required")
    unread = len(encrypted) - len(readable)
    note = f" ({unread} network(s) from a source that cannot show PMF)" if unread else ""
    return passed(f"Every encrypted school network requires protected management frames{note}.")


def _generation(n: WifiNetwork) -> int | None:
    if n.generation is not None:
        return n.generation
    return 3 if n.phy == "legacy" else None  # 802.11a/b/g: older than Wi-Fi 4


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_latest_generation(
    ev: WifiScan, *, site: SiteProfile, pass_generation: int = 7, warn_generation: int = 6
) -> Outcome:
    """Wi-Fi 7 passes; Wi-Fi 6 is a warning (upgrade at the next refresh); older fails."""
    school = _preamble(ev, site)
    if isinstance(school, Outcome):
        return school
    known = [(n, g) for n in school if (g := _generation(n)) is not None]
    if not known:
        return unknown(f"This source ({ev.source}) does not show the access points' Wi-Fi generation.")
    oldest = min(g for _, g in known)
    label = "802.11a/b/g" if oldest < 4 else f"Wi-Fi {oldest}"
    expected = f"Wi-Fi {pass_generation}"
    if oldest >= pass_generation:
        return passed(f"Every school access point heard is Wi-Fi {pass_generation} or newer.", label, expected)
    if oldest >= warn_generation:
        six_e = " (some on 6 GHz, Wi-Fi 6E)" if any(n.wifi_6e for n, _ in known) else ""
        return warned(
            f"The oldest school access points heard are Wi-Fi {oldest}{six_e}; DfE asks for Wi-Fi "
            f"{pass_generation} at the next upgrade.",
            label,
            expected,
        )
    old = [n for n, g in known if g < warn_generation]
    detail = f"Access points older than Wi-Fi {warn_generation} serve {_names(old)}{_scope(site)}."
    return failed(detail, label, expected)


@check(evidence=WifiSurvey)
def wifi_signal_coverage(
    ev: WifiSurvey,
    *,
    site: SiteProfile,
    min_signal_dbm: int = -67,
    roles: tuple[str, ...] = ("staff", "student"),
) -> Outcome:
    """At a survey location, the best signal of each staff/student SSID reaches the threshold."""
    where = ev.location or "this location"
    if not ev.samples:
        return unknown(f"No survey sample taken in {where} yet: run `schoolnet wifi survey --location \"{where}\"`.")
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs, so coverage of the school's networks cannot be judged.")
    wanted = [s.ssid for s in site.wifi.ssids if s.role in roles] or [s.ssid for s in site.wifi.ssids]
    best: dict[str, int] = {}
    estimated = False
    for n in ev.networks:
        if n.ssid in wanted and n.signal_dbm is not None and _is_school(n, site):
            if n.signal_dbm > best.get(n.ssid, -200):
                best[n.ssid] = n.signal_dbm
            estimated = estimated or n.signal_estimated
    heard_without_signal = {
        n.ssid for n in ev.networks if n.ssid in wanted and n.signal_dbm is None and _is_school(n, site)
    }
    missing = [s for s in wanted if s not in best and s not in heard_without_signal]
    expected = f">= {min_signal_dbm} dBm"
    if missing:
        return failed(f"{', '.join(missing)} not heard at all in {where}.", "not heard", expected)
    if not best:
        return unknown(f"The survey in {where} has no signal readings ({ev.source}).")
    weakest_ssid, weakest = min(best.items(), key=lambda item: item[1])
    note = " (estimated from nmcli's signal percentage)" if estimated else ""
    measured = f"{weakest} dBm ({weakest_ssid}){note}"
    if weakest >= min_signal_dbm:
        detail = f"Every staff/student SSID is heard at {min_signal_dbm} dBm or better in {where}."
        return passed(detail, measured, expected)
    weak = sorted(s for s, v in best.items() if v < min_signal_dbm)
    return failed(f"Weak signal in {where}: {', '.join(weak)} best {weakest} dBm{note}.", measured, expected)


@check(evidence=WifiSurvey)
def wifi_signal_present(
    ev: WifiSurvey, *, site: SiteProfile, roles: tuple[str, ...] = ("staff", "student")
) -> Outcome:
    """At a survey location, every staff/student SSID is heard from the school's access points at all."""
    where = ev.location or "this location"
    if not ev.samples:
        return unknown(f"No survey sample taken in {where} yet: run `schoolnet wifi survey --location \"{where}\"`.")
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs, so coverage of the school's networks cannot be judged.")
    wanted = [s.ssid for s in site.wifi.ssids if s.role in roles] or [s.ssid for s in site.wifi.ssids]
    heard = {n.ssid for n in ev.networks if n.ssid in wanted and _is_school(n, site)}
    missing = [s for s in wanted if s not in heard]
    if missing:
        return failed(f"No signal at all from {', '.join(missing)} in {where}.", "not heard", "heard")
    return passed(f"Every staff/student SSID is heard in {where}.", "heard", "heard")


@check(evidence=WifiScan)
@_says_how_much_was_read
def wifi_no_rogue_school_ssid(ev: WifiScan, *, site: SiteProfile) -> Outcome:
    """Only the school's own access points broadcast the school's SSIDs (no impostor)."""
    if not site.wifi.ssids:
        return unknown("The config names no school SSIDs, so an impostor cannot be told apart.")
    if not site.wifi.known_bssids and not site.wifi.known_ouis:
        return unknown("The config lists no known access points (BSSIDs or OUIs) to compare against.")
    school_heard = [n for n in ev.networks if site.wifi.role_of(n.ssid) is not None]
    if not school_heard:
        return unknown("No school SSID was heard in this scan.")
    rogues = [n for n in school_heard if not _known_ap(n, site)]
    if not rogues:
        return passed(f"All {len(school_heard)} radios broadcasting a school SSID are known school access points.")
    genuine = {n.ssid: n.security for n in school_heard if n not in rogues}
    listed = []
    for n in rogues[:5]:
        school_mode = genuine.get(n.ssid, n.security)
        downgrade = f", {n.security} where the school's is {school_mode}" if school_mode != n.security else ""
        signal = f", {n.signal_dbm} dBm" if n.signal_dbm is not None else ""
        listed.append(f"{n.ssid} from {n.bssid} (channel {n.channel or '?'}{signal}{downgrade})")
    return failed(f"Possible evil twin: {'; '.join(listed)}.", measured=f"{len(rogues)} unknown radio(s)", expected="0")


@check(evidence=GuestIsolation)
def wifi_guest_isolated(ev: GuestIsolation) -> Outcome:
    """From the guest SSID, no internal subnet or management address answers."""
    if not ev.probes:
        return unknown("No internal addresses were probed from the guest network.")
    if ev.connected_ssid is not None and ev.connected_ssid != ev.ssid:
        return not_applicable(
            f"The agent was on {ev.connected_ssid!r}, not the guest SSID {ev.ssid!r}: reachability from the guest "
            "network was not measured."
        )
    reachable = [p for p in ev.probes if p.reachable]
    if reachable:
        shown = ", ".join(f"{p.address}:{p.port}" for p in reachable[:5])
        more = f" and {len(reachable) - 5} more" if len(reachable) > 5 else ""
        return failed(
            f"From guest network {ev.ssid} these internal services answered: {shown}{more}.",
            measured=f"{len(reachable)} of {len(ev.probes)} reachable",
            expected="0 reachable",
        )
    refused = [p for p in ev.probes if p.outcome == "refused"]
    if refused:
        shown = ", ".join(sorted({p.address for p in refused})[:5])
        return warned(
            f"No internal service answered from {ev.ssid}, but {shown} refused connections: something inside "
            "answers guests (a firewall reject, or the hosts themselves). Drop guest traffic to internal ranges.",
            measured=f"0 reachable, {len(refused)} refused",
            expected="0 reachable",
        )
    return passed(
        f"None of {len(ev.probes)} internal address/port probes answered from {ev.ssid}.",
        measured=f"0 of {len(ev.probes)} reachable",
        expected="0 reachable",
    )
