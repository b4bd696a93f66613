"""The Wi-Fi probe: saved captures and scans, a live capture, the survey, and guest isolation.

One task per source: each capture file, the live interface, the survey file (one observation per
location), and the guest-isolation check. Probes collect; the wireless checks judge.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from probes.base import Observation, ProbeTask
from probes.wifi.settings import WifiSettings


class WifiProbe:
    """The Wi-Fi area's probe: takes only its own settings (built by the agent from [wifi])."""

    name = "wifi"

    def __init__(self, settings: WifiSettings) -> None:
        self.wifi = settings

    def tasks(self) -> list[ProbeTask]:
        if not self.wifi.enabled:
            return []
        tasks = [
            # The file name, not the whole path: the report is read by people, and paths can be long or temporary.
            ProbeTask(target=Path(path).name, kind="wifi.scan", run=partial(self._capture, Path(path)))
            for path in self.wifi.captures
        ]
        if self.wifi.live is not None:
            live = self.wifi.live
            tasks.append(
                ProbeTask(
                    target=f"live:{live.interface}",
                    kind="wifi.scan",
                    run=self._live,
                    timeout_s=live.seconds + 30,
                )
            )
        survey_path = self.wifi.survey_file
        if self.wifi.locations or survey_path.exists():
            tasks.append(ProbeTask(target=f"survey:{survey_path}", kind="wifi.scan", run=self._survey))
        if self.wifi.guest_isolation is not None:
            guest = self.wifi.guest_isolation
            tasks.append(
                ProbeTask(
                    target=f"guest:{guest.ssid}",
                    kind="wifi.guest_isolation",
                    run=self._guest,
                    timeout_s=guest.timeout_s * (guest.max_probes // 64 + 2) + 15,
                )
            )
        return tasks

    def _capture(self, path: Path) -> list[Observation]:
        from probes.wifi.files import analyze_file

        scan = analyze_file(path)
        return [Observation(kind=scan.kind, target=path.name, evidence=scan)]

    def _live(self) -> list[Observation]:
        from probes.wifi.live import live_capture

        live = self.wifi.live
        assert live is not None
        scan = live_capture(live.interface, live.seconds, live.channels, live.dwell_s)
        return [Observation(kind=scan.kind, target=f"live:{live.interface}", evidence=scan)]

    def _survey(self) -> list[Observation]:
        from probes.wifi.survey import aggregate, load_samples, site_scan

        samples = load_samples(self.wifi.survey_file)
        observations = [
            Observation(kind=scan.kind, target=scan.location or "survey", evidence=scan)
            for scan in aggregate(samples, self.wifi.locations)
        ]
        # The survey's networks feed the security checks only when nothing better is configured: a capture
        # or live scan reads PMF and generation, which an nmcli-based survey cannot.
        whole_site = site_scan(samples) if not self.wifi.captures and self.wifi.live is None else None
        if whole_site is not None:
            observations.append(Observation(kind=whole_site.kind, target="survey (all locations)", evidence=whole_site))
        return observations

    def _guest(self) -> list[Observation]:
        from probes.wifi.guest import check_guest_isolation

        guest = self.wifi.guest_isolation
        assert guest is not None
        evidence = check_guest_isolation(guest, self.wifi.scan_interface)
        return [Observation(kind=evidence.kind, target=guest.ssid, evidence=evidence)]
