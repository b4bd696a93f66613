"""The namespace school lab: real network namespaces, veth links and nftables rules forming a small school.

Extension points (the filtering lab, agent/lab/filtering.py, plugs in here):

- ``NetnsLab(profile, workdir, plugins=[...], school_resolver=False)``: each plugin is a ``LabPlugin`` with
  ``name``, ``start(lab) -> dict`` (a config fragment, merged like a LabComponent's) and ``stop()``. Plugins
  start after the namespaces, links, nftables rules and the lab's own services are up, and stop first.
- ``lab.ns(role)`` names a namespace (roles: ``staff``, ``student``, ``guest`` (the agent's laptop on each
  segment), ``fw`` (the school's firewall and gateway), ``inet`` (the internet)); ``lab.popen(role, argv)``
  starts a process inside one (stopped by ``lab.stop()``), ``lab.run(role, argv)`` runs a command there.
- ``lab.add_internet_host(ip)`` adds an address in the internet namespace (a test site, a block-page server,
  a public DNS resolver); it is routed from every segment through the firewall (NAT on the WAN side).
- The school's resolver listens on each segment's gateway address (``SEGMENTS[name].gateway``) port 53 in the
  ``fw`` namespace, so a resolver can tell the segments apart by the address a query arrived on. Pass
  ``school_resolver=False`` to run your own there instead (the lab's own then does not start).
- ``lab.set_profile("well-kept" | "leaky")`` swaps the nftables rules in place (one atomic ``nft -f``) and
  writes ``workdir/profile``, which the lab resolvers read per query; plugins may read it too.
- Agent config per segment: ``lab.config_for(segment)`` is the TOML-shaped ``[firewall]`` section that makes
  the agent scan and test from that segment's namespace.

Names of namespaces, veth devices and nft tables start with ``snfw`` (this helper's prefix). Addresses are
private or documentation ranges and exist only inside the lab's namespaces; no traffic leaves them.
Needs root, ``ip`` and ``nft``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from agent.lab.procs import die_with_parent, wait_ready

log = logging.getLogger("schoolnet.lab")

Profile = Literal["well-kept", "leaky"]
PROFILES: tuple[Profile, ...] = ("well-kept", "leaky")
PREFIX = "snfw"


@dataclass(frozen=True)
class Segment:
    name: str
    net: str  # first three octets of the /24

    @property
    def gateway(self) -> str:
        return f"{self.net}.1"

    @property
    def agent(self) -> str:
        return f"{self.net}.20"


SEGMENTS: dict[str, Segment] = {
    "staff": Segment("staff", "10.80.10"),
    "student": Segment("student", "10.80.20"),
    "guest": Segment("guest", "10.80.30"),
}
WAN_FIREWALL = "198.51.100.1"  # the school's public address (documentation range, only inside the lab)
WAN_ISP = "198.51.100.254"  # the internet side of the WAN link; the external scanner sits here
ECHO_SERVER = "203.0.113.10"
OUTSIDE_RESOLVER = "203.0.113.53"
DOH_SERVER = "203.0.113.43"
VPN_PORTAL_PORT = 10443  # the one public service the school declares
SSH_BANNER = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
ADMIN_TITLE = "Lab Firewall - Administrator Login"
ADMIN_SERVER = "lab-fw-httpd"
DOH_NAMES = ("dns.google", "cloudflare-dns.com", "mozilla.cloudflare-dns.com", "dns.quad9.net",
             "doh.opendns.com")
ECHO_KEY = b"lab-echo-key-0123456789abcdef0123456789abcdef"

_counter = itertools.count()


class LabPlugin(Protocol):
    name: str

    def start(self, lab: NetnsLab) -> dict[str, Any]: ...

    def stop(self) -> None: ...


def available() -> str | None:
    """None when the lab can run here; otherwise why not (shown by the demo and in skipped tests)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and nftables)"
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    if missing:
        return f"needs {' and '.join(missing)} (Debian packages iproute2, nftables)"
    return None


def ruleset(profile: Profile, devs: dict[str, str]) -> str:
    """The firewall namespace's nftables rules for one profile (``devs``: role -> interface name)."""
    segs = ", ".join(f'"{devs[name]}"' for name in SEGMENTS)
    wan = devs["wan"]
    if profile == "well-kept":
        seg_input = (
            "tcp dport 53 accept\n udp dport { 53, 123 } accept\n"
            "tcp dport 23 accept\n"  # nothing listens: the scan sees a closed port (RST)
            "tcp dport 113 reject with icmpx type admin-prohibited\n"
            "udp dport 500 reject with icmpx type admin-prohibited\n"
        )
        wan_input = f"tcp dport {VPN_PORTAL_PORT} accept\n tcp dport 113 reject with icmpx type admin-prohibited\n"
        forward = (
            "tcp dport { 80, 443 } accept\n udp dport 123 accept\n"
            "tcp dport { 53, 853 } reject with icmpx type admin-prohibited\n"
            "udp dport 53 reject with icmpx type admin-prohibited\n"
            "tcp dport { 1194, 1723 } reject with tcp reset\n"
        )
    else:
        seg_input = (
            "tcp dport { 22, 53, 80, 443 } accept\n udp dport { 53, 123, 161 } accept\n"
            "tcp dport 23 accept\n tcp dport 113 reject with icmpx type admin-prohibited\n"
            "udp dport 500 reject with icmpx type admin-prohibited\n"
        )
        wan_input = f"tcp dport {{ 22, {VPN_PORTAL_PORT} }} accept\n"
        forward = "accept\n"
    return f"""
table inet {PREFIX} {{
  chain input {{
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif lo accept
    icmp type echo-request accept
    iifname {{ {segs} }} jump from_segments
    iifname "{wan}" jump from_wan
  }}
  chain from_segments {{
    {seg_input}
  }}
  chain from_wan {{
    {wan_input}
  }}
  chain forward {{
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname {{ {segs} }} oifname "{wan}" jump egress
  }}
  chain egress {{
    {forward}
  }}
}}
table ip {PREFIX}nat {{
  chain postrouting {{
    type nat hook postrouting priority 100;
    oifname "{wan}" masquerade
  }}
}}
"""


def _run(argv: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")


def write_certificates(folder: Path) -> dict[str, Path]:
    """A lab CA with a certificate for the DoH names, and the firewall's self-signed admin certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "schoolnet lab")])

    def save(stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
        cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        return cert_path, key_path

    def build(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
              *, ca: bool, sans: tuple[str, ...] = (), days: int = 365) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]),
                                            critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("schoolnet lab CA", "schoolnet lab CA", ca_key, ca_key, ca=True, days=30)
    ca_cert, _ = save("lab-ca", ca, ca_key)
    doh_key = ec.generate_private_key(ec.SECP256R1())
    doh_cert, doh_key_path = save("doh", build("dns.google", "schoolnet lab CA", doh_key, ca_key, ca=False,
                                               sans=DOH_NAMES), doh_key)
    fw_key = ec.generate_private_key(ec.SECP256R1())
    fw_cert, fw_key_path = save("fw-admin", build("lab-fw.school.internal", "lab-fw.school.internal", fw_key,
                                                  fw_key, ca=False, days=3650), fw_key)
    return {"ca": ca_cert, "doh_cert": doh_cert, "doh_key": doh_key_path, "fw_cert": fw_cert, "fw_key": fw_key_path}


class NetnsLab:
    """The lab. ``with NetnsLab("leaky", workdir) as lab: ...`` or start()/stop(); stop() never raises."""

    def __init__(self, profile: Profile = "well-kept", workdir: Path | None = None, *,
                 plugins: list[LabPlugin] | None = None, school_resolver: bool = True) -> None:
        self.profile: Profile = profile
        self.workdir = workdir or Path(f"/tmp/{PREFIX}-lab-{os.getpid()}")
        self.plugins = list(plugins or [])
        self.school_resolver = school_resolver
        self.tag = f"{os.getpid() % 100000}{next(_counter)}"[-6:]
        self.namespaces = {role: f"{PREFIX}{self.tag}-{role}" for role in (*SEGMENTS, "fw", "inet")}
        # veth names: <= 15 characters; the fw end of each link is named after its role.
        short = {"staff": "sf", "student": "su", "guest": "gu", "wan": "wa"}
        self.devs = {role: f"{PREFIX}{self.tag}{code}" for role, code in short.items()}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started_plugins: list[LabPlugin] = []
        self.config: dict[str, Any] = {}
        self.certs: dict[str, Path] = {}
        self.key_file = self.workdir / "echo.key"

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> NetnsLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        why = available()
        if why is not None:
            raise RuntimeError(f"the namespace lab {why}")
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self._links()
            self.set_profile(self.profile)
            self.certs = write_certificates(self.workdir / "certs")
            self.key_file.write_bytes(ECHO_KEY)
            self.key_file.chmod(0o600)
            self._services()
            for plugin in self.plugins:
                fragment = plugin.start(self)
                self.started_plugins.append(plugin)
                self.config = _merge(self.config, fragment)
        except BaseException:
            self.stop()
            raise
        return self.config

    def stop(self) -> None:
        while self.started_plugins:
            plugin = self.started_plugins.pop()
            try:
                plugin.stop()
            except Exception as exc:
                log.warning("lab plugin %s did not stop cleanly: %s", plugin.name, exc)
        for proc in reversed(self.processes):
            _stop(proc)
        self.processes.clear()
        for ns in self.namespaces.values():  # deleting a namespace deletes its veth ends and nft tables
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)

    # -- building ----------------------------------------------------------------------------------------
    def ns(self, role: str) -> str:
        return self.namespaces[role]

    def run(self, role: str, argv: list[str], stdin: str | None = None) -> None:
        _run(["ip", "netns", "exec", self.ns(role), *argv], stdin)

    def popen(self, role: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(role), *argv], preexec_fn=die_with_parent,
                                **kwargs)
        self.processes.append(proc)
        return proc

    def add_internet_host(self, ip: str) -> None:
        self.run("inet", ["ip", "addr", "add", f"{ip}/32", "dev", "lo"])

    def _links(self) -> None:
        for ns in self.namespaces.values():
            _run(["ip", "netns", "add", ns])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        fw = self.ns("fw")
        for name, seg in SEGMENTS.items():
            self._veth(self.ns(name), "eth0", f"{seg.agent}/24", self.devs[name], f"{seg.gateway}/24")
            _run(["ip", "-n", self.ns(name), "route", "add", "default", "via", seg.gateway])
            # What DHCP would hand a laptop on this segment: the school's resolver. `ip netns exec` bind-mounts it
            # over /etc/resolv.conf for processes started there (the agent's own commands in the tests and demo).
            etc = Path("/etc/netns") / self.ns(name)
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "resolv.conf").write_text(f"nameserver {seg.gateway}\noptions timeout:1 attempts:1\n")
        self._veth(self.ns("inet"), "eth0", f"{WAN_ISP}/24", self.devs["wan"], f"{WAN_FIREWALL}/24")
        _run(["ip", "-n", fw, "route", "add", "default", "via", WAN_ISP])
        self.run("fw", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        # Linux sends at most ~1 ICMP error per second per destination by default (a real firewall limits them
        # too); the lab lifts the limit so every rejected or closed UDP port answers, and the tests are exact.
        for role in ("fw", "inet"):
            self.run(role, ["sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0"])
        for ip in (ECHO_SERVER, OUTSIDE_RESOLVER, DOH_SERVER):
            self.add_internet_host(ip)

    def _veth(self, ns: str, dev: str, addr: str, fw_dev: str, fw_addr: str) -> None:
        fw = self.ns("fw")
        _run(["ip", "link", "add", fw_dev, "netns", fw, "type", "veth", "peer", "name", f"{fw_dev}x", "netns", ns])
        _run(["ip", "-n", ns, "link", "set", f"{fw_dev}x", "name", dev])
        _run(["ip", "-n", ns, "addr", "add", addr, "dev", dev])
        _run(["ip", "-n", fw, "addr", "add", fw_addr, "dev", fw_dev])
        _run(["ip", "-n", ns, "link", "set", dev, "up"])
        _run(["ip", "-n", fw, "link", "set", fw_dev, "up"])

    def set_profile(self, profile: Profile) -> None:
        """Swap the firewall rules in one atomic nft transaction."""
        flush = f"table inet {PREFIX}\ndelete table inet {PREFIX}\ntable ip {PREFIX}nat\ndelete table ip {PREFIX}nat\n"
        self.run("fw", ["nft", "-f", "-"], stdin=flush + ruleset(profile, self.devs))
        self.profile = profile
        (self.workdir / "profile").write_text(profile)

    def _services(self) -> None:
        from probes.firewall.ports import echo_ports

        fw_spec: list[dict[str, Any]] = [
            {"kind": "ssh", "port": 22, "banner": SSH_BANNER},
            {"kind": "http", "port": 80, "server": ADMIN_SERVER, "redirect": "https://lab-fw.school.internal/"},
            {"kind": "http", "port": 443, "title": ADMIN_TITLE, "server": ADMIN_SERVER,
             "cert": str(self.certs["fw_cert"]), "key": str(self.certs["fw_key"])},
            {"kind": "http", "port": VPN_PORTAL_PORT, "title": "SSL-VPN Portal", "server": ADMIN_SERVER,
             "cert": str(self.certs["fw_cert"]), "key": str(self.certs["fw_key"])},
            {"kind": "ntp", "port": 123},
        ]
        if self.school_resolver:
            fw_spec.append({"kind": "dns", "port": 53, "profile_file": str(self.workdir / "profile"),
                            "records": {name: DOH_SERVER for name in DOH_NAMES} | {"echo.lab.test": ECHO_SERVER},
                            "nxdomain_by_profile": {"well-kept": list(DOH_NAMES)}})
        inet_spec: list[dict[str, Any]] = [
            {"kind": "echo", "host": ECHO_SERVER, "key_file": str(self.key_file),
             "tcp_ports": echo_ports("tcp"), "udp_ports": echo_ports("udp")},
            {"kind": "dns", "host": OUTSIDE_RESOLVER, "port": 53, "default": ECHO_SERVER,
             "records": {name: DOH_SERVER for name in DOH_NAMES}},
            {"kind": "http", "host": DOH_SERVER, "port": 443, "title": "DoH", "server": "doh",
             "cert": str(self.certs["doh_cert"]), "key": str(self.certs["doh_key"])},
        ]
        waiting = [self._service_process("fw", fw_spec), self._service_process("inet", inet_spec)]
        for proc in waiting:
            wait_ready(proc, "a lab service process", 15.0)

    def _service_process(self, role: str, spec: list[dict[str, Any]]) -> subprocess.Popen[bytes]:
        path = self.workdir / f"services-{role}.json"
        path.write_text(json.dumps(spec))
        return self.popen(role, [sys.executable, "-m", "agent.lab.netns_services", str(path)],
                          stdout=subprocess.PIPE, stderr=open(self.workdir / f"services-{role}.log", "wb"))

    # -- what the agent is told --------------------------------------------------------------------------
    def config_for(self, segment: str, *, egress: bool = True) -> dict[str, Any]:
        """The ``[firewall]`` section for an agent on ``segment`` (scans and egress tests run in its namespace)."""
        seg = SEGMENTS[segment]
        section: dict[str, Any] = {
            "segment": segment,
            "netns": self.ns(segment),
            "targets": [seg.gateway],
            "ports": "22,23,53,80,113,443,8080",
            "udp_ports": [53, 69, 123, 161, 500],
            "rate_pps": 500,
            "timeout_s": 0.5,
        }
        if egress:
            section["egress"] = {
                "echo_server": ECHO_SERVER,
                "key": {"file": str(self.key_file)},
                "resolver": seg.gateway,
                "ca_file": str(self.certs["ca"]),
                "timeout_s": 1.0,
            }
        return section




def _stop(proc: subprocess.Popen[bytes]) -> None:
    from agent.lab.procs import stop_process

    stop_process(proc)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    from agent.lab import _merge as merge

    return merge(base, extra)


class FirewallNetnsLab:
    """Lab component for ``schoolnet demo`` (root only): the leaky profile, so the report shows what a firewall
    that lets the student network reach its admin page, and lets VPNs and outside DNS out, looks like. The
    agent tests from the student and the staff segments (``netns`` vantage points); without root the
    component says so and starts nothing, and the firewall requirements show as not measured."""

    name = "firewall-netns"

    def __init__(self, profile: Profile = "leaky") -> None:
        self.profile: Profile = profile
        self.lab: NetnsLab | None = None
        self.skipped: str | None = None

    def start(self, workdir: Path) -> dict[str, Any]:
        self.skipped = available()
        if self.skipped:
            log.warning("namespace school lab (firewall exposure and egress) skipped: it %s; run the demo as root "
                        "to include it. The firewall requirements show as not measured.", self.skipped)
            self.name = "firewall-netns (skipped: not root)"
            return {}
        self.lab = NetnsLab(self.profile, workdir / "firewall-netns")
        self.lab.start()
        student = self.lab.config_for("student")
        staff = self.lab.config_for("staff", egress=False)
        return {"firewall": {"enabled": True, **student, "include_switches": False,
                             "also_from": [{"segment": "staff", "netns": staff["netns"]}]}}

    def stop(self) -> None:
        if self.lab is not None:
            self.lab.stop()
            self.lab = None
