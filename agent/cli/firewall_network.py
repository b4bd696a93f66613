"""CLI commands for the firewall area, from the network (registered on ``firewall_app`` by agent.cli.firewall).

- ``schoolnet firewall scan [--target HOST]... [--ports LIST] [--rate PPS] [--segment NAME] [--dry-run]``
- ``schoolnet firewall egress --echo-server HOST [--key-file F]``
- ``schoolnet firewall external-scan``: from the trust's server, each school's public addresses
- ``schoolnet echo-server [--ports LIST] [--key-file F]``: the trust-hosted endpoint for ``egress``

"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.common import Format, emit, err
from agent.errors import CannotRunError, ConfigError, UsageError

if TYPE_CHECKING:
    from agent.config import Config
    from contract.evidence import Evidence
    from contract.results import Result

CHECKS_BY_KIND = {
    "firewall.exposure": ("firewall_admin_not_exposed", "firewall_inbound_only_declared"),
    "firewall.egress": ("firewall_egress_vpn_blocked", "firewall_egress_dns_bypass_blocked"),
}


def _config(path: Path | None) -> Config:
    """The config file, or an empty site when none is given and none is found (scans only what is named)."""
    from agent.config import Config, find_config, load_config

    try:
        found = find_config(path)
    except ConfigError:
        return Config.model_validate({"site": {"id": "adhoc", "name": "ad hoc run", "phase": "secondary"}})
    return load_config(found)


def judge(records: list[tuple[str, Evidence]], config: Config) -> list[Result]:
    """The firewall network checks on these observations, every requirement they count towards."""
    from contract.evidence import EvidenceRecord
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    now = datetime.now(UTC)
    evidence = [EvidenceRecord.of(f"ev-{i + 1:04d}", "firewall", target, now, ev)
                for i, (target, ev) in enumerate(records)]
    kinds = {ev.kind for _, ev in records}
    wanted = {check for kind in kinds for check in CHECKS_BY_KIND.get(kind, ())}
    results = evaluate(load_map(), evidence, config.site_profile(), [], now)
    return [r for r in results if r.check in wanted]


def _exit(results: list[Result], unmeasured: bool) -> int:
    if any(r.status.value == "fail" for r in results):
        return 1
    return 4 if unmeasured else 0


def _results_text(results: list[Result]) -> list[str]:
    lines, shown = [], set()
    for r in results:
        key = (r.check, r.target, r.detail)
        if key in shown:
            continue
        shown.add(key)
        if r.status.value != "not_applicable":
            lines.append(f"  {r.status.value:<8} {r.check:<36} {r.detail}")
    return lines


def exposure_json(segment: str | None, hosts: list[dict[str, Any]], results: list[Result]) -> str:
    return json.dumps({"segment": segment, "hosts": hosts, "results": [r.model_dump(mode="json") for r in results]},
                      indent=2)


def host_json(ev: Any) -> dict[str, Any]:
    return {"address": ev.address, "target": ev.target, "role": ev.role, "vantage": ev.vantage,
            "method": ev.method, "filtered_tcp": ev.filtered_tcp, "filtered_udp": ev.filtered_udp,
            "ports": [{"port": p.port, "protocol": p.protocol, "state": p.state, "reason": p.reason,
                       "service": p.service, "banner": p.banner, "admin": p.admin,
                       "http_title": p.http_title,
                       "tls": p.tls.model_dump(mode="json") if p.tls else None} for p in ev.ports]}


def describe_host(ev: Any) -> list[str]:
    lines = [f"{ev.address} ({ev.role}), seen from {ev.segment or 'this network'} by {ev.method} scan: "
             f"{ev.tcp_ports_scanned} TCP, {ev.udp_ports_scanned} UDP ports; {ev.filtered_tcp} TCP filtered"]
    for p in ev.ports:
        what = " ".join(x for x in [p.service or "", p.banner or "", f"'{p.http_title}'" if p.http_title else ""]
                        if x)
        cert = f" cert {p.tls.subject} issued by {p.tls.issuer}{' (self-signed)' if p.tls.self_signed else ''}" \
            if p.tls else ""
        lines.append(f"  {p.port:>5}/{p.protocol:<3} {p.state:<9} {p.reason:<17}{' ADMIN' if p.admin else ''} "
                     f"{what}{cert}".rstrip())
    return lines


def register(firewall_app: typer.Typer) -> None:
    """``firewall scan``, ``firewall egress`` and ``firewall external-scan``."""

    @firewall_app.command("scan")
    def scan(
        target: Annotated[list[str] | None, typer.Option("--target", help="Host to scan (repeatable); must be a "
                                                         "configured target or the default gateway.")] = None,
        ports: Annotated[str | None, typer.Option(help="TCP ports, nmap-style: 22,80,443,8000-8100.")] = None,
        rate: Annotated[float | None, typer.Option("--rate", min=0.1, max=20000,
                                                   help="Probes per second (default: the config's, 100).")] = None,
        segment: Annotated[str | None, typer.Option(help="staff, student, guest, management: where this is.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")] = False,
        fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
        config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
        netns: Annotated[str | None, typer.Option(help="Run from this network namespace (Linux, root).")] = None,
    ) -> None:
        """Exposure scan of the default gateway, the firewall and the management addresses."""
        from agent.config.firewall import scan_settings, scan_targets
        from probes.firewall.ports import PortListError
        from probes.firewall.scan import RefusedTarget, ScanError, authorise, default_gateway, plan, run
        from probes.firewall.settings import ScanTarget
        from probes.firewall.vantage import VantageError, run_in

        if fmt not in (Format.text, Format.json):
            raise UsageError("--format: firewall scan prints text or json")
        cfg = _config(config)
        configured = scan_targets(cfg)
        try:
            settings = scan_settings(cfg, segment=segment, netns=netns, ports=ports, rate_pps=rate,
                                     targets=None if not target else [
                                         next((t for t in configured if t.host == name), ScanTarget(host=name))
                                         for name in target],
                                     include_gateway=None if not target else False)
        except PortListError as exc:
            raise UsageError(f"--ports: {exc}") from None

        def prepare() -> Any:
            if target:
                authorise(list(target), [t.host for t in configured], default_gateway())
            return plan(settings)

        try:
            the_plan = run_in(settings.netns, prepare)
        except RefusedTarget as exc:
            raise UsageError(str(exc)) from None
        except (ScanError, VantageError) as exc:
            raise CannotRunError(f"firewall scan: {exc}") from None
        if dry_run:
            emit(the_plan.describe())
            return
        if not the_plan.hosts and not the_plan.unresolved:
            raise CannotRunError("firewall scan: nothing to scan (no default gateway found and no targets "
                                 "configured; give --target or [firewall] targets)")
        err.print(f"Scanning {len(the_plan.hosts)} host(s), {len(settings.tcp_ports)} TCP and "
                  f"{len(settings.udp_ports)} UDP ports each, at most {settings.rate_pps:g} probes/s ...")
        outcomes = run_in(settings.netns, run, the_plan)
        found = [(o.evidence.address, o.evidence) for o in outcomes if o.evidence is not None]
        failed = [o for o in outcomes if o.evidence is None]
        results = judge(found, cfg)
        if fmt is Format.json:
            hosts = [host_json(ev) for _, ev in found] + [
                {"address": None, "target": o.target, "error": o.error, "ports": []} for o in failed]
            emit(exposure_json(settings.segment, hosts, results))
        else:
            lines = [line for _, ev in found for line in describe_host(ev)]
            lines += [f"{o.target}: not scanned: {o.error}" for o in failed]
            emit("\n".join(lines + ["", "Checks:"] + _results_text(results)))
        raise typer.Exit(_exit(results, bool(failed)))

    @firewall_app.command("egress")
    def egress(
        echo_server: Annotated[str | None, typer.Option(help="The trust's echo server (default: the config's).")]
        = None,
        key_file: Annotated[Path | None, typer.Option(help="The shared echo key (any bytes, e.g. 64 hex "
                                                           "characters); default: the config's.")] = None,
        segment: Annotated[str | None, typer.Option(help="staff, student, guest, management: where this is.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
        config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
        netns: Annotated[str | None, typer.Option(help="Run from this network namespace (Linux, root).")] = None,
    ) -> None:
        """Which VPN, proxy and DNS-bypass routes out reach the trust's echo server."""
        from agent.config.firewall import egress_settings
        from probes.firewall.egress import test_egress
        from probes.firewall.scan import ScanError
        from probes.firewall.vantage import VantageError

        if fmt not in (Format.text, Format.json):
            raise UsageError("--format: firewall egress prints text or json")
        cfg = _config(config)
        try:
            settings = egress_settings(cfg, echo_server=echo_server, key_file=key_file, segment=segment, netns=netns)
        except ValueError as exc:
            raise UsageError(f"--key-file: {exc}") from None
        if settings is None:
            raise UsageError("no echo server: give --echo-server HOST or [firewall.egress] echo_server")
        err.print(f"Testing routes out to {settings.echo_server} ...")
        try:
            evidence = test_egress(settings)
        except (ScanError, VantageError) as exc:
            raise CannotRunError(f"firewall egress: {exc}") from None
        results = judge([(settings.echo_server, evidence)], cfg)
        if fmt is Format.json:
            emit(json.dumps({"segment": evidence.segment, "echo_server": evidence.echo_server,
                             "control_ok": evidence.control_ok,
                             "probes": [p.model_dump(mode="json") for p in evidence.probes],
                             "doh": [d.model_dump(mode="json") for d in evidence.doh],
                             "notes": evidence.notes,
                             "results": [r.model_dump(mode="json") for r in results]}, indent=2))
        else:
            lines = [f"Routes out to {evidence.echo_server} from {evidence.segment or 'this network'}:"]
            lines += [f"  {p.outcome:<8} {p.name:<18} {p.protocol}/{p.port:<6} {p.detail}" for p in evidence.probes]
            lines += [f"  {d.outcome:<8} DoH {d.hostname:<30} {d.detail}" for d in evidence.doh]
            lines += [f"  note: {n}" for n in evidence.notes]
            emit("\n".join(lines + ["", "Checks:"] + _results_text(results)))
        raise typer.Exit(_exit(results, not evidence.control_ok))

    from agent.cli.firewall_external import register_external

    register_external(firewall_app)


def register_echo_server(app: typer.Typer) -> None:
    """``schoolnet echo-server``: a top-level command (it runs on the trust's server, not at a school)."""

    @app.command("echo-server")
    def echo_server_command(
        key_file: Annotated[Path, typer.Option(help="The shared key (any bytes; the agents use the same file).")],
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",
        ports: Annotated[str | None, typer.Option(help="TCP and UDP ports, nmap-style (default: every egress "
                                                       "test port).")] = None,
    ) -> None:
        """Serve the egress test's endpoint: answer each probe with the HMAC of its nonce."""
        from agent.echo_server import serve
        from probes.firewall.echo import load_key
        from probes.firewall.ports import PortListError, echo_ports, parse_ports

        try:
            key = load_key(key_file.read_bytes())
        except OSError as exc:
            raise UsageError(f"--key-file {key_file}: cannot read it ({exc.strerror})") from None
        except ValueError as exc:
            raise UsageError(f"--key-file {key_file}: {exc}") from None
        try:
            chosen = parse_ports(ports, max_ports=256) if ports else None
        except PortListError as exc:
            raise UsageError(f"--ports: {exc}") from None
        tcp = chosen or echo_ports("tcp")
        udp = chosen or echo_ports("udp")
        try:
            serve(host, tcp, udp, key, ready=lambda: err.print(
                f"schoolnet echo server on {host}: TCP {','.join(map(str, tcp))}; UDP {','.join(map(str, udp))} "
                "(Ctrl-C to stop)"))
        except OSError as exc:
            raise CannotRunError(str(exc)) from None
