"""``schoolnet firewall external-scan``: from the trust's server, scan each school's public addresses.

Every school in ``[[firewall.external.schools]]`` is scanned from here (outside the schools), its evidence judged,
and the whole run signed with this host's key (``schoolnet keys init``), which a trust administrator enrols on
the collector as the trust's scanner (``POST /api/v1/trust-scanners``). With ``--upload`` (or ``[upload] url``)
the signed scan goes to the collector, which files each school's part under that school.
"""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.common import Format, emit, err
from agent.errors import CannotRunError, UsageError


def run_external(config: Any, *, rate_pps: float | None = None, netns: str | None = None) -> Any:
    """Scan every configured school from here; returns the ExternalScan (unsigned)."""

    from agent.cli.firewall_network import judge
    from contract.evidence import EvidenceRecord
    from contract.external_scan import ExternalScan, ExternalScanSchool
    from probes.firewall.ports import parse_ports
    from probes.firewall.scan import plan, run
    from probes.firewall.settings import ScanSettings, ScanTarget
    from probes.firewall.vantage import run_in
    from standards_map.model import load_map

    fw = config.firewall
    ext = fw.external
    if not ext.schools:
        raise UsageError("no schools to scan: add [[firewall.external.schools]] (site_id, addresses, declared)")
    started = datetime.now(UTC)
    tcp = parse_ports(ext.ports, max_ports=fw.max_ports)
    schools = []
    for school in ext.schools:
        settings = ScanSettings(
            targets=[ScanTarget(host=a, role="public", declared=school.declared) for a in school.addresses],
            include_gateway=False, tcp_ports=tcp, udp_ports=ext.udp_ports, rate_pps=rate_pps or fw.rate_pps,
            timeout_s=fw.timeout_s, retries=fw.retries, method=fw.method, segment="outside", vantage="outside",
            netns=netns or fw.netns, identify=fw.identify, max_hosts=fw.max_hosts)
        err.print(f"{school.site_id}: scanning {', '.join(school.addresses)} ({len(tcp)} TCP, "
                  f"{len(ext.udp_ports)} UDP ports each) ...")
        outcomes = run_in(settings.netns, lambda s=settings: run(plan(s)))
        now = datetime.now(UTC)
        found = [(o.evidence.address, o.evidence) for o in outcomes if o.evidence is not None]
        results = judge(found, config)
        evidence = [EvidenceRecord.of(f"ev-{i + 1:04d}", "firewall", target, now, ev)
                    for i, (target, ev) in enumerate(found)]
        evidence += [EvidenceRecord.failed(f"ev-{len(found) + i + 1:04d}", "firewall", "firewall.exposure", o.target,
                                           now, o.error or "not scanned")
                     for i, o in enumerate(o for o in outcomes if o.evidence is None)]
        schools.append(ExternalScanSchool(site_id=school.site_id, addresses=list(school.addresses),
                                          evidence=evidence, results=results))
    return ExternalScan(scan_id=uuid.uuid4(), scanner=config.agent.id or socket.gethostname(), started_at=started,
                        finished_at=datetime.now(UTC), standards_version=load_map().version, schools=schools)


def sign(scan: Any, state_dir: Path) -> bytes:
    from agent.delivery.signing import envelope_bytes, load_keys, make_envelope
    from contract.external_scan import EXTERNAL_SCAN_TYPE

    keys = load_keys(state_dir)
    return envelope_bytes(make_envelope(keys.private_key, scan.model_dump_json().encode(), EXTERNAL_SCAN_TYPE))


def upload(body: bytes, url: str, *, ca_bundle: Path | None, allow_plain_http: bool, timeout_s: float) -> str:
    import requests

    from agent.delivery.upload import check_url, tls_verify

    base = check_url(url, allow_plain_http, what="--upload")
    try:
        response = requests.post(f"{base.rstrip('/')}/api/v1/external-scans", data=body, timeout=timeout_s,
                                 headers={"Content-Type": "application/json"}, verify=tls_verify(ca_bundle))
    except requests.RequestException as exc:
        raise CannotRunError(f"external-scan upload to {base} failed: {exc.__class__.__name__}") from None
    if response.status_code != 201:
        raise CannotRunError(f"the collector refused the external scan ({response.status_code}): "
                             f"{response.text[:300]}")
    return response.text


def register_external(firewall_app: typer.Typer) -> None:
    @firewall_app.command("external-scan")
    def external_scan(
        config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the signed scan here.")] = None,
        upload_to: Annotated[str | None, typer.Option("--upload", help="Collector URL (default: [upload] url "
                                                                       "when upload is enabled).")] = None,
        rate: Annotated[float | None, typer.Option("--rate", min=0.1, max=20000, help="Probes per second.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="text or json (the unsigned scan).")] = Format.text,
        netns: Annotated[str | None, typer.Option(help="Run from this network namespace (Linux, root).")] = None,
    ) -> None:
        """From outside the school (the trust's server): scan the schools' public addresses, sign, upload."""
        from agent.cli.firewall_network import _config, _exit, describe_host
        from contract.evidence.firewall_network import FirewallExposure

        cfg = _config(config)
        scan = run_external(cfg, rate_pps=rate, netns=netns)
        body = sign(scan, cfg.agent.state_dir)
        if output is not None:
            output.write_bytes(body)
            err.print(f"Signed external scan written to {output}")
        url = upload_to or (cfg.upload.url if cfg.upload.enabled else None)
        if url:
            answer = upload(body, url, ca_bundle=cfg.upload.ca_bundle, allow_plain_http=cfg.upload.allow_plain_http,
                            timeout_s=cfg.upload.timeout_s)
            err.print(f"Uploaded to {url}: {answer}")
        results = [r for school in scan.schools for r in school.results]
        if fmt is Format.json:
            emit(json.dumps(scan.model_dump(mode="json"), indent=2))
        else:
            lines = []
            for school in scan.schools:
                lines.append(f"{school.site_id}:")
                for record in school.evidence:
                    model = record.model()
                    if isinstance(model, FirewallExposure):
                        lines += ["  " + line for line in describe_host(model)]
                    else:
                        lines.append(f"  {record.target}: not scanned: {record.error}")
                lines += [f"  {r.status.value:<8} {r.check:<36} {r.detail}" for r in school.results
                          if r.status.value != "not_applicable" and r.requirement == "dfe.cyber.firewall"]
            emit("\n".join(lines))
        unmeasured = any(not record.ok for school in scan.schools for record in school.evidence)
        raise typer.Exit(_exit(results, unmeasured))
