"""The filtering lab: a school's web filter in network namespaces, one segment per namespace.

Topology (every name starts with ``snfl``; every address lives only inside these namespaces)::

    snfl<tag>-sta (staff)    10.91.1.2 --veth-- 10.91.1.1 \\
    snfl<tag>-stu (student)  10.91.2.2 --veth-- 10.91.2.1  > snfl<tag>-net: resolvers (one profile per segment,
    snfl<tag>-gst (guest)    10.91.3.2 --veth-- 10.91.3.1 /  on its segment's gateway address), test sites
                                                             10.92.0.x, block pages, a TLS-intercepting filter,
                                                             nftables (table inet snfl_lab)

Each segment namespace has its own ``/etc/netns/<ns>/resolv.conf`` naming its segment's resolver, so a
command run with ``ip netns exec`` resolves exactly as a pupil's browser on that network would.

Profiles: ``well-kept`` (staff lenient, student strict, guest filtered) and ``leaky`` (student filtered like
staff: one blanket profile; Bing safe search off for students; guest unfiltered). Every way of blocking
appears on the student segment: NXDOMAIN, a 0.0.0.0 sinkhole, an answer in the block-page range, a
transparent block page (DNAT), a TLS-intercepting filter with its own CA, a TCP reset; plus a black-holed
address (timeout) and a name the resolver never answers.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from agent.lab import die_with_parent

log = logging.getLogger("schoolnet.lab.filtering")

LabProfile = Literal["well-kept", "leaky"]
SEGMENTS: tuple[tuple[str, str, int], ...] = (("staff", "sta", 1), ("student", "stu", 2), ("guest", "gst", 3))
DOMAIN = "sites.test"  # RFC 6761: never a real name
SCHOOL_SITE = "www.lab-school.test"
BLOCK_RANGE = "10.92.9.0/24"  # the filter's block-page range (configured as a sinkhole range)
DNS_BLOCK_PAGE = "10.92.9.4"  # what the resolver answers for blocked names (in BLOCK_RANGE)
TRANSPARENT_BLOCK_PAGE = "10.92.0.5"  # the in-path filter's block page (DNAT target; not in any range)
INTERCEPTOR = "10.92.0.6"  # the TLS-intercepting filter (DNAT target for https)
BLACKHOLE = "10.92.0.99"  # every packet to it is dropped
SITES: dict[str, str] = {  # test host -> its real address in the lab "internet"
    SCHOOL_SITE: "10.92.0.10",
    f"iwf.{DOMAIN}": "10.92.0.11",
    f"ctiru.{DOMAIN}": "10.92.0.12",
    f"adult.{DOMAIN}": "10.92.0.13",
    f"gambling.{DOMAIN}": "10.92.0.14",
    f"social.{DOMAIN}": "10.92.0.15",
    f"games.{DOMAIN}": "10.92.0.16",
    f"proxy.{DOMAIN}": "10.92.0.17",
    f"vpn.{DOMAIN}": "10.92.0.18",
    f"blackhole.{DOMAIN}": BLACKHOLE,
}
# The lab's test list: every category of the checks, each reached over the scheme its block needs.
VERDICT_TESTS: tuple[tuple[str, str], ...] = (
    ("allowed", f"https://{SCHOOL_SITE}/"),
    ("iwf", f"http://iwf.{DOMAIN}/test-page"),
    ("ctiru", f"http://ctiru.{DOMAIN}/test-page"),
    ("adult", f"http://adult.{DOMAIN}/"),
    ("gambling", f"http://gambling.{DOMAIN}/"),
    ("social", f"https://social.{DOMAIN}/"),
    ("games", f"http://games.{DOMAIN}/"),
    ("proxy", f"http://proxy.{DOMAIN}/"),
    ("vpn", f"https://vpn.{DOMAIN}/"),
)
OUTCOME_TESTS: tuple[tuple[str, str], ...] = (
    *VERDICT_TESTS,
    ("misc", f"http://blackhole.{DOMAIN}/"),  # black-holed: a timeout
    ("misc", f"http://silent.{DOMAIN}/"),  # the resolver never answers this name
)
EXPECT: dict[str, dict[str, list[str]]] = {
    "staff": {"expect_blocked": ["iwf", "ctiru", "adult", "gambling", "proxy", "vpn"],
              "expect_allowed": ["allowed", "social", "games"]},
    "student": {"expect_blocked": ["iwf", "ctiru", "adult", "gambling", "social", "games", "proxy", "vpn"],
                "expect_allowed": ["allowed"]},
    "guest": {"expect_blocked": ["iwf", "ctiru", "adult", "gambling", "proxy", "vpn"],
              "expect_allowed": ["allowed"]},
}
# Safe search: the engines' names and the lab addresses of their enforced endpoints and ordinary front ends.
SAFE_ENDPOINTS = {"forcesafesearch.google.com": "10.92.1.1", "restrict.youtube.com": "10.92.1.2",
                  "restrictmoderate.youtube.com": "10.92.1.3", "strict.bing.com": "10.92.1.4",
                  "safe.duckduckgo.com": "10.92.1.5"}
ENGINE_FRONTS = {"www.google.com": "10.92.1.11", "www.google.co.uk": "10.92.1.12", "www.youtube.com": "10.92.1.13",
                 "m.youtube.com": "10.92.1.14", "www.bing.com": "10.92.1.15", "duckduckgo.com": "10.92.1.16"}


def _run(*argv: str) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {done.stderr.strip() or done.returncode}")


def netns_available() -> str | None:
    """Why the namespace lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and nftables)"
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    return f"needs {' and '.join(missing)}" if missing else None


# --- certificates ---------------------------------------------------------------------------------------

def _write_ca_and_leaf(folder: Path, ca_name: str, names: list[str], stem: str) -> tuple[Path, Path, Path]:
    """A CA and one leaf certificate for ``names``; returns (ca.pem, leaf.pem, leaf.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name),
                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "schoolnet lab")])
    ca = (x509.CertificateBuilder().subject_name(ca_subject).issuer_name(ca_subject).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem, leaf_pem, leaf_key = folder / f"{stem}-ca.pem", folder / f"{stem}.pem", folder / f"{stem}.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    leaf_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    leaf_key.chmod(0o600)
    return ca_pem, leaf_pem, leaf_key


# --- policies --------------------------------------------------------------------------------------------

def dns_profile(segment: str, profile: LabProfile) -> dict[str, dict[str, Any]]:
    """What this segment's resolver answers for each name."""
    truthful = {name: {"a": [address]} for name, address in SITES.items()}
    records: dict[str, dict[str, Any]] = dict(truthful)
    records[f"silent.{DOMAIN}"] = {"drop": True}
    records.update({name: {"a": [address]} for name, address in SAFE_ENDPOINTS.items()})
    safe: dict[str, dict[str, Any]] = {"www.google.com": {"cname": "forcesafesearch.google.com"},
            "www.google.co.uk": {"cname": "forcesafesearch.google.com"},
            "www.youtube.com": {"cname": "restrictmoderate.youtube.com"},
            "m.youtube.com": {"cname": "restrictmoderate.youtube.com"},
            "www.bing.com": {"a": [SAFE_ENDPOINTS["strict.bing.com"]]},  # the same address: also enforced
            "duckduckgo.com": {"cname": "safe.duckduckgo.com"}}
    unfiltered = profile == "leaky" and segment == "guest"
    if unfiltered:
        records.update({name: {"a": [address]} for name, address in ENGINE_FRONTS.items()})
        return records
    records.update(safe)
    if profile == "leaky" and segment == "student":
        records["www.bing.com"] = {"a": [ENGINE_FRONTS["www.bing.com"]]}
    records[f"iwf.{DOMAIN}"] = {"nxdomain": True}
    records[f"ctiru.{DOMAIN}"] = {"a": ["0.0.0.0"]}
    records[f"adult.{DOMAIN}"] = {"a": [DNS_BLOCK_PAGE]}
    records[f"vpn.{DOMAIN}"] = {"nxdomain": True}
    if segment == "student" and profile == "well-kept":
        records[f"games.{DOMAIN}"] = {"nxdomain": True}
    return records


def nft_rules(profile: LabProfile) -> str:
    """The in-path filter: block page by DNAT, TLS interception, TCP resets, a black hole (table inet snfl_lab)."""
    filtered = [f"10.91.{n}.0/24" for seg, _, n in SEGMENTS if not (profile == "leaky" and seg == "guest")]
    nets = "{ " + ", ".join(filtered) + " }"
    lines = [
        "table inet snfl_lab {",
        "  chain pre { type nat hook prerouting priority dstnat;",
        f"    ip saddr {nets} ip daddr {SITES['gambling.' + DOMAIN]} tcp dport 80 dnat ip to {TRANSPARENT_BLOCK_PAGE}",
    ]
    if profile == "well-kept":
        lines.append(f"    ip saddr 10.91.2.0/24 ip daddr {SITES['social.' + DOMAIN]} tcp dport 443 "
                     f"dnat ip to {INTERCEPTOR}")
    lines += [
        "  }",
        "  chain input { type filter hook input priority filter;",
        f"    ip daddr {BLACKHOLE} drop",
        f"    ip saddr {nets} ip daddr {SITES['proxy.' + DOMAIN]} tcp dport {{ 80, 443 }} reject with tcp reset",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class FilteringNetns:
    """The namespaces, the servers and the nft rules; a context manager that always removes them."""

    profile: LabProfile = "well-kept"
    tag: str = field(default_factory=lambda: f"{os.getpid() % 100000}")
    workdir: Path | None = None
    server: subprocess.Popen[str] | None = None
    created: list[str] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def net_ns(self) -> str:
        return f"snfl{self.tag}-net"

    def segment_ns(self, segment: str) -> str:
        short = next(s for name, s, _ in SEGMENTS if name == segment)
        return f"snfl{self.tag}-{short}"

    def resolver_of(self, segment: str) -> str:
        return f"10.91.{next(n for name, _, n in SEGMENTS if name == segment)}.1"

    def __enter__(self) -> FilteringNetns:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        reason = netns_available()
        if reason:
            raise RuntimeError(f"the filtering lab {reason}")
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="snfl-lab-")
            self.workdir = Path(self._tmp.name)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._namespaces()
        _run("ip", "netns", "exec", self.net_ns, "nft", "-f", str(self._write("rules.nft", nft_rules(self.profile))))
        self._servers()

    def _write(self, name: str, text: str) -> Path:
        assert self.workdir is not None
        path = self.workdir / name
        path.write_text(text, encoding="utf-8")
        return path

    def _namespaces(self) -> None:
        net = self.net_ns
        _run("ip", "netns", "add", net)
        self.created.append(net)
        _run("ip", "-n", net, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", net, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        web = sorted({*SITES.values(), TRANSPARENT_BLOCK_PAGE, INTERCEPTOR, DNS_BLOCK_PAGE,
                      *SAFE_ENDPOINTS.values(), *ENGINE_FRONTS.values()}, key=ipaddress.ip_address)
        for address in web:
            # On the namespace's loopback: local addresses, reached over each segment's veth (no dummy module needed).
            _run("ip", "-n", net, "addr", "add", f"{address}/32", "dev", "lo")
        for segment, short, n in SEGMENTS:
            ns = self.segment_ns(segment)
            _run("ip", "netns", "add", ns)
            self.created.append(ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            inside, outside = f"snfl{self.tag}{short}", f"snfl{self.tag}{short}g"
            _run("ip", "-n", ns, "link", "add", inside, "type", "veth", "peer", "name", outside, "netns", net)
            _run("ip", "-n", ns, "addr", "add", f"10.91.{n}.2/24", "dev", inside)
            _run("ip", "-n", ns, "link", "set", inside, "up")
            _run("ip", "-n", ns, "route", "add", "default", "via", f"10.91.{n}.1")
            _run("ip", "-n", net, "addr", "add", f"10.91.{n}.1/24", "dev", outside)
            _run("ip", "-n", net, "link", "set", outside, "up")
            etc = Path("/etc/netns") / ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "resolv.conf").write_text(f"nameserver 10.91.{n}.1\noptions timeout:1 attempts:1\n",
                                             encoding="utf-8")

    def _servers(self) -> None:
        assert self.workdir is not None
        names = [*SITES]
        public_ca, site_cert, site_key = _write_ca_and_leaf(self.workdir, "Lab Public Root CA", names, "site")
        _, icept_cert, icept_key = _write_ca_and_leaf(self.workdir, "Lab Filter Inspection CA", names, "intercept")
        self.public_ca = public_ca
        web: list[dict[str, Any]] = []
        for address in sorted(set(SITES.values()) - {BLACKHOLE}):
            web.append({"address": address, "port": 80, "mode": "site"})
            web.append({"address": address, "port": 443, "mode": "site", "cert": str(site_cert),
                        "key": str(site_key)})
        for address in (DNS_BLOCK_PAGE, TRANSPARENT_BLOCK_PAGE):
            web.append({"address": address, "port": 80, "mode": "blockpage"})
        web.append({"address": INTERCEPTOR, "port": 443, "mode": "site", "cert": str(icept_cert),
                    "key": str(icept_key)})
        spec = {
            "dns": [{"listen": self.resolver_of(seg), "records": dns_profile(seg, self.profile)}
                    for seg, _, _ in SEGMENTS],
            "web": web,
            "categories": {host: host.split(".")[0] for host in SITES},
        }
        spec_path = self._write("servers.json", json.dumps(spec))
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.net_ns, sys.executable, "-m", "agent.lab.filtering_servers", str(spec_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent,
        )
        assert self.server.stdout is not None
        line = self.server.stdout.readline()  # "ready", or EOF when it died
        if line.strip() != "ready":
            err = self.server.stderr.read() if self.server.stderr else ""
            raise RuntimeError(f"the filtering lab servers did not start: {err.strip()[-500:]}")

    def write_tests(self, name: str = "tests.csv", rows: tuple[tuple[str, str], ...] = VERDICT_TESTS) -> Path:
        return self._write(name, "category,url\n" + "".join(f"{c},{u}\n" for c, u in rows))

    def filtering_section(self, runs_file: Path, tests_file: Path) -> dict[str, Any]:
        """The [filtering] config for this lab (segments, expectations, block-page range, the lab's public CA)."""
        return {
            "tests_file": str(tests_file),
            "timeout_s": 2.0,
            "sinkhole_ranges": [BLOCK_RANGE],
            "ca_bundle": str(self.public_ca),
            "runs_file": str(runs_file),
            "block_pages": [{"provider": "SchoolNet Lab Filter", "pattern": "Blocked by SchoolNet Lab Filter"}],
            "segments": [{"name": seg, "role": seg, **EXPECT[seg]} for seg, _, _ in SEGMENTS],
        }

    def exec_argv(self, segment: str, *argv: str) -> list[str]:
        """``argv`` run inside ``segment``'s namespace (its resolv.conf is the segment's resolver)."""
        return ["ip", "netns", "exec", self.segment_ns(segment), *argv]

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=3)
        if self.server is not None:
            for stream in (self.server.stdout, self.server.stderr):
                if stream:
                    stream.close()
        self.server = None
        while self.created:
            ns = self.created.pop()
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)  # veths go with it
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class FilteringLab:
    """Lab component for ``schoolnet demo`` (root only): the well-kept filter, tested from each segment as a
    technician would, walking the laptop round; the scan then combines those runs (``test_here = false``:
    the demo's own machine is on none of the lab's segments)."""

    name = "filtering"

    def __init__(self, profile: LabProfile = "well-kept") -> None:
        self.lab: FilteringNetns | None = None
        self.profile = profile
        self.skipped: str | None = None

    def start(self, workdir: Path) -> dict[str, Any]:
        self.skipped = netns_available()
        if self.skipped:
            log.warning("filtering lab skipped: it %s; the filtering requirements show as not measured",
                        self.skipped)
            return {}
        folder = workdir / "filtering"
        self.lab = FilteringNetns(profile=self.profile, workdir=folder)
        self.lab.start()
        tests = self.lab.write_tests()
        section = self.lab.filtering_section(folder / "runs.jsonl", tests)
        config = folder / "segment-run.toml"
        import tomli_w

        config.write_text(tomli_w.dumps({"site": {"id": "LAB", "name": "lab", "phase": "secondary"},
                                         "agent": {"state_dir": str(folder / "state")},
                                         "filtering": section}), encoding="utf-8")
        started = time.monotonic()
        for segment, _, _ in SEGMENTS:
            done = subprocess.run(
                self.lab.exec_argv(segment, sys.executable, "-m", "agent", "filtering", "test", "--segment", segment,
                                   "--config", str(config), "--format", "json"),
                capture_output=True, text=True, check=False, timeout=120,
            )
            if done.returncode not in (0, 1, 4):
                raise RuntimeError(f"filtering test from the {segment} segment failed: {done.stderr.strip()[-300:]}")
        log.info("filtering lab: three segments tested in %.1f s", time.monotonic() - started)
        return {"filtering": {**section, "test_here": False}}

    def stop(self) -> None:
        if self.lab is not None:
            self.lab.stop()
            self.lab = None
