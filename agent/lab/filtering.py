"""The filtering lab: a school's web filter, plugged into the namespace school lab (agent/lab/netns.py).

``FilteringPlugin`` adds to a ``NetnsLab(school_resolver=False)``: the school's resolver in the firewall
namespace (one profile per segment, told apart by the gateway address a query arrives on), test sites, block
pages and a TLS-intercepting filter with its own CA in the "internet" namespace, and an nftables table
``inet snfl`` in the firewall namespace (a transparent block page by DNAT, TLS interception by DNAT, TCP
resets, a black hole). Each segment namespace gets ``/etc/netns/<ns>/resolv.conf`` naming its gateway, so a
command run there with ``ip netns exec`` resolves exactly as a pupil's browser on that network would.

Profiles (the lab's): ``well-kept`` (staff lenient, student strict, guest filtered) and ``leaky`` (student
filtered like staff: one blanket profile; Bing safe search off for students; guest unfiltered). Every way
of blocking appears on the student segment of the well-kept lab: NXDOMAIN, a 0.0.0.0 sinkhole, an answer
in the block-page range, a transparent block page, TLS interception, a TCP reset; plus a black-holed
address (timeout) and a name the resolver never answers.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agent.lab.procs import wait_ready

if TYPE_CHECKING:
    from agent.lab.netns import NetnsLab

log = logging.getLogger("schoolnet.lab.filtering")

LabProfile = Literal["well-kept", "leaky"]
SEGMENT_NAMES: tuple[str, ...] = ("staff", "student", "guest")
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


def netns_available() -> str | None:
    """Why the namespace lab cannot run here, or None when it can."""
    from agent.lab.netns import available

    return available()


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


def nft_rules(profile: LabProfile, devs: dict[str, str]) -> str:
    """The in-path filter in the firewall namespace (table inet snfl): it runs before the firewall's own rules."""
    filtered = [f'"{devs[seg]}"' for seg in SEGMENT_NAMES if not (profile == "leaky" and seg == "guest")]
    ifaces = "{ " + ", ".join(filtered) + " }"
    lines = [
        "table inet snfl {",
        "  chain redirects { type nat hook prerouting priority -105;",
        f"    iifname {ifaces} ip daddr {SITES['gambling.' + DOMAIN]} tcp dport 80 dnat ip to {TRANSPARENT_BLOCK_PAGE}",
    ]
    if profile == "well-kept":
        lines.append(f'    iifname "{devs["student"]}" ip daddr {SITES["social." + DOMAIN]} tcp dport 443 '
                     f"dnat ip to {INTERCEPTOR}")
    lines += [
        "  }",
        "  chain blocks { type filter hook forward priority -5;",
        f"    ip daddr {BLACKHOLE} drop",
        f"    iifname {ifaces} ip daddr {SITES['proxy.' + DOMAIN]} tcp dport {{ 80, 443 }} reject with tcp reset",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"




class FilteringPlugin:
    """A ``LabPlugin`` for ``NetnsLab(school_resolver=False)``: the school's web filter (see the module doc)."""

    name = "filtering"

    def __init__(self) -> None:
        self.lab: NetnsLab | None = None
        self.folder: Path | None = None
        self.public_ca: Path | None = None
        self.resolv_dirs: list[Path] = []

    def start(self, lab: NetnsLab) -> dict[str, Any]:
        from agent.lab.netns import SEGMENTS

        if lab.school_resolver:
            raise RuntimeError("the filtering lab runs the school's resolver: start NetnsLab(school_resolver=False)")
        self.lab = lab
        profile: LabProfile = lab.profile
        self.folder = folder = lab.workdir / "filtering"
        folder.mkdir(parents=True, exist_ok=True)
        names = [*SITES]
        self.public_ca, site_cert, site_key = _write_ca_and_leaf(folder, "Lab Public Root CA", names, "site")
        _, icept_cert, icept_key = _write_ca_and_leaf(folder, "Lab Filter Inspection CA", names, "intercept")
        hosts = sorted({*SITES.values(), TRANSPARENT_BLOCK_PAGE, INTERCEPTOR, DNS_BLOCK_PAGE,
                        *SAFE_ENDPOINTS.values(), *ENGINE_FRONTS.values()})
        for address in hosts:
            lab.add_internet_host(address)
        web: list[dict[str, Any]] = []
        for address in sorted(set(SITES.values()) - {BLACKHOLE}):
            web.append({"address": address, "port": 80, "mode": "site"})
            web.append({"address": address, "port": 443, "mode": "site", "cert": str(site_cert),
                        "key": str(site_key)})
        for address in (DNS_BLOCK_PAGE, TRANSPARENT_BLOCK_PAGE):
            web.append({"address": address, "port": 80, "mode": "blockpage"})
        web.append({"address": INTERCEPTOR, "port": 443, "mode": "site", "cert": str(icept_cert),
                    "key": str(icept_key)})
        categories = {host: host.split(".")[0] for host in SITES}
        dns = [{"listen": SEGMENTS[seg].gateway, "records": dns_profile(seg, profile)} for seg in SEGMENT_NAMES]
        waiting = [
            (self._serve(lab, "inet", "web", {"dns": [], "web": web, "categories": categories}), "web servers"),
            (self._serve(lab, "fw", "dns", {"dns": dns, "web": []}), "resolver"),
        ]
        lab.run("fw", ["nft", "-f", "-"], stdin=nft_rules(profile, lab.devs))
        for seg in SEGMENT_NAMES:
            etc = Path("/etc/netns") / lab.ns(seg)
            etc.mkdir(parents=True, exist_ok=True)
            self.resolv_dirs.append(etc)
            (etc / "resolv.conf").write_text(f"nameserver {SEGMENTS[seg].gateway}\noptions timeout:1 attempts:1\n",
                                             encoding="utf-8")
        for proc, what in waiting:
            wait_ready(proc, f"the filtering lab's {what}")
        return {}

    def _serve(self, lab: NetnsLab, role: str, stem: str, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
        assert self.folder is not None
        path = self.folder / f"{stem}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        log_file = open(self.folder / f"{stem}.log", "wb")
        try:
            return lab.popen(role, [sys.executable, "-m", "agent.lab.filtering_servers", str(path)],
                             stdout=subprocess.PIPE, stderr=log_file)
        finally:
            log_file.close()

    def stop(self) -> None:
        # The processes are stopped by the lab, and the nft table goes with the firewall namespace.
        while self.resolv_dirs:
            shutil.rmtree(self.resolv_dirs.pop(), ignore_errors=True)

    def filtering_section(self, runs_file: Path, tests_file: Path) -> dict[str, Any]:
        """The [filtering] config for this lab (segments, expectations, block-page range, the lab's public CA)."""
        return {
            "tests_file": str(tests_file),
            "timeout_s": 2.0,
            "sinkhole_ranges": [BLOCK_RANGE],
            "ca_bundle": str(self.public_ca),
            "runs_file": str(runs_file),
            "block_pages": [{"provider": "SchoolNet Lab Filter", "pattern": "Blocked by SchoolNet Lab Filter"}],
            "segments": [{"name": seg, "role": seg, **EXPECT[seg]} for seg in SEGMENT_NAMES],
        }


@dataclass
class FilteringNetns:
    """The namespace school lab with the filter plugged in; a context manager that always removes it all."""

    profile: LabProfile = "well-kept"
    workdir: Path | None = None
    lab: NetnsLab | None = None
    plugin: FilteringPlugin = field(default_factory=FilteringPlugin)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> FilteringNetns:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from agent.lab.netns import NetnsLab

        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="snfl-lab-")
            self.workdir = Path(self._tmp.name)
        self.lab = NetnsLab(self.profile, self.workdir, plugins=[self.plugin], school_resolver=False)
        try:
            self.lab.start()
        except BaseException:
            self.stop()
            raise

    def namespaces(self) -> list[str]:
        return list(self.lab.namespaces.values()) if self.lab else []

    def write_tests(self, name: str = "tests.csv", rows: tuple[tuple[str, str], ...] = VERDICT_TESTS) -> Path:
        assert self.workdir is not None
        path = self.workdir / name
        path.write_text("category,url\n" + "".join(f"{c},{u}\n" for c, u in rows), encoding="utf-8")
        return path

    def filtering_section(self, runs_file: Path, tests_file: Path) -> dict[str, Any]:
        return self.plugin.filtering_section(runs_file, tests_file)

    def exec_argv(self, segment: str, *argv: str) -> list[str]:
        """``argv`` run inside ``segment``'s namespace (its resolv.conf names the segment's resolver)."""
        assert self.lab is not None
        return ["ip", "netns", "exec", self.lab.ns(segment), *argv]

    def resolver_of(self, segment: str) -> str:
        from agent.lab.netns import SEGMENTS

        return SEGMENTS[segment].gateway

    def stop(self) -> None:
        if self.lab is not None:
            self.lab.stop()
        self.plugin.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class FilteringLab:
    """Lab component for ``schoolnet demo`` (root only): the leaky filter (students filtered like staff, Bing safe
    search off for students, the guest network unfiltered: the findings the standard is about), tested from each
    segment as a technician would, walking the laptop round; the scan then combines those runs
    (``test_here = false``: the demo's own machine is on none of the lab's segments)."""

    name = "filtering"

    def __init__(self, profile: LabProfile = "leaky") -> None:
        self.lab: FilteringNetns | None = None
        self.profile = profile
        self.skipped: str | None = None

    def start(self, workdir: Path) -> dict[str, Any]:
        self.skipped = netns_available()
        if self.skipped:
            log.warning("filtering lab skipped: it %s; the filtering requirements show as not measured",
                        self.skipped)
            return {}
        folder = workdir / "filtering-lab"
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
        for segment in SEGMENT_NAMES:
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
