"""Simulated firewalls for the demo and the tests: FortiGate over SSH (fakenos) and over its REST API,
OPNsense's REST API, and pfSense's SSH exec, each answering from the recordings in ``firewall_data/``.

Everything runs in one child process (``python -m agent.lab.firewalls serve SPEC.json``) started and
stopped by PID, like the switch lab: fakenos for the FortiGate CLI, one HTTPS server per API device
(a self-signed certificate made at start; the config pins its SHA-256), and a paramiko server that
answers exec requests for pfSense. The FortiGate API answers ``/api/v2/cmdb/...`` with JSON recorded
from the same configuration the SSH device serves, so both paths tell one story.

Demo: FGT-CORE (FortiGate, well kept, SSH) and OPN-LEAKY (OPNsense, leaky, API).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.lab.procs import die_with_parent, free_port, lab_secret, stop_process

log = logging.getLogger("schoolnet.lab.firewalls")

DATA = Path(__file__).resolve().parent / "firewall_data"
LAB_USER = "auditor"
# Lab secrets look like canaries on purpose: the secrets tests prove none reaches a report or a log.
SSH_PASSWORD = "lab-CANARYfw-ssh-Pa55"
FORTI_TOKEN = "labCANARYfortitokenAAAAAAAAAABBBBBBBBBB"
FORTI_TOKEN_NO_RIGHTS = "labCANARYfortitokenNORIGHTSAAAAAAAAAA"
OPN_KEY = "labCANARYopnKEYAAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDD"
OPN_SECRET = "labCANARYopnSECRETAAAAAAAAAABBBBBBBBBBCCCCCCCCCC"

# FortiOS REST: cmdb path -> (configuration section, key field of its entries). Global tables, then per VDOM.
CMDB_GLOBAL: dict[str, tuple[str, str]] = {
    "system/global": ("system global", ""),
    "system/interface": ("system interface", "name"),
    "system/admin": ("system admin", "name"),
    "system/ha": ("system ha", ""),
    "system.snmp/sysinfo": ("system snmp sysinfo", ""),
    "system.snmp/community": ("system snmp community", "id"),
    "user/radius": ("user radius", "name"),
    "user/tacacs+": ("user tacacs+", "name"),
    "user/ldap": ("user ldap", "name"),
    "log.syslogd/setting": ("log syslogd setting", ""),
    "log.fortianalyzer/setting": ("log fortianalyzer setting", ""),
    "log.fortiguard/setting": ("log fortiguard setting", ""),
    "system/sdwan": ("system sdwan", ""),
}
CMDB_VDOM: dict[str, tuple[str, str]] = {
    "firewall/policy": ("firewall policy", "policyid"),
    "firewall/vip": ("firewall vip", "name"),
    "router/static": ("router static", "seq-num"),
}
_MEMBER_FIELDS = {"srcintf", "dstintf", "srcaddr", "dstaddr", "srcaddr6", "dstaddr6", "service", "member",
                  "interface-select", "groups"}


@dataclass(frozen=True)
class LabFirewall:
    """One simulated firewall: its recordings and how the agent reaches it."""

    name: str
    platform: str  # fortinet | opnsense | pfsense
    method: str  # ssh | api
    folder: str  # under firewall_data/
    wrong_credentials: bool = False  # the config gets a password/token the device refuses
    token_without_rights: bool = False  # FortiGate API: a token whose profile may read nothing useful
    untrusted_tls: bool = False  # the config does not pin the lab certificate: verification must fail
    truncated: bool = False  # the configuration output stops part-way (a session cut mid-transfer)
    version: str | None = None  # report this FortiOS version instead of the recorded one (e.g. one not yet listed)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return DATA / self.folder


DEMO_FIREWALLS: tuple[LabFirewall, ...] = (
    LabFirewall("FGT-CORE", "fortinet", "ssh", "fortigate_good"),
    LabFirewall("OPN-LEAKY", "opnsense", "api", "opnsense_leaky"),
)


def outputs_of(folder: Path) -> dict[str, str]:
    """Recorded CLI outputs: <command, spaces as underscores>.txt -> {command: text}."""
    return {f.stem.replace("_", " "): f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.txt"))}


# ------------------------------------------------------------------------------------------ FortiOS REST


def cmdb_json(node: Any, key_field: str) -> Any:
    """A configuration section as FortiOS's REST API returns it: a table is a list of entries, an object a dict."""
    if node.entries:
        rows = []
        for name, entry in node.entries.items():
            row = _object_json(entry)
            field_name = key_field or "name"
            row[field_name] = int(name) if name.isdigit() and field_name != "name" else name
            rows.append(row)
        return rows
    return _object_json(node)


def _object_json(node: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, words in node.settings.items():
        if key in _MEMBER_FIELDS:
            out[key] = [{"name": w, "q_origin_key": w} for w in words]
        else:
            out[key] = " ".join(words)
    for name, section in node.sections.items():
        out[name] = cmdb_json(section, "seq-num" if name == "members" else "name")
    return out


def record_fortios_api(config_text: str, status_text: str, ha_text: str, out_dir: Path) -> None:
    """Write the JSON a FortiGate's API gives for ``config_text`` (the recordings the HTTPS lab serves)."""
    from probes.firewall.fortios_tree import parse, parse_header

    out_dir.mkdir(parents=True, exist_ok=True)
    tree = parse(config_text)
    root = tree.root
    for path, (section, key) in {**CMDB_GLOBAL, **CMDB_VDOM}.items():
        node = root.section(section)
        empty: Any = {} if not key else []
        results = cmdb_json(node, key) if node is not None else empty
        body = {"http_method": "GET", "results": results, "vdom": "root", "path": path.split("/")[0],
                "name": path.split("/")[1], "status": "success", "http_status": 200}
        (out_dir / ("cmdb__" + path.replace("/", "__") + ".json")).write_text(json.dumps(body), encoding="utf-8")
    status = parse_header(status_text.splitlines())
    version = status.get("Version", "")
    model, _, rest = version.partition(" ")
    body = {"http_method": "GET", "results": {"hostname": status.get("Hostname"), "model_name": "FortiGate",
                                              "model_number": model.removeprefix("FortiGate-"), "model": model},
            "status": "success", "serial": status.get("Serial-Number"), "version": rest.split(",")[0],
            "build": int(rest.split("build")[1].split(",")[0]) if "build" in rest else 0}
    (out_dir / "monitor__system__status.json").write_text(json.dumps(body), encoding="utf-8")
    ha = parse_header(ha_text.splitlines())
    peers = [{"serial_no": line.split(":", 1)[1].split(",")[0].strip(), "hostname": status.get("Hostname")}
             for line in ha_text.splitlines() if line.startswith(("Primary:", "Secondary:"))]
    body = {"http_method": "GET", "results": peers, "status": "success",
            "ha_health": ha.get("HA Health Status", "")}
    (out_dir / "monitor__system__ha-peer.json").write_text(json.dumps(body), encoding="utf-8")


# ------------------------------------------------------------------------------------------ the lab component


def self_signed(folder: Path, name: str) -> tuple[Path, Path, str]:
    """(cert, key, sha256 hex) of a fresh self-signed certificate for 127.0.0.1 / localhost."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path, hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


class FirewallLab:
    """The lab component: every simulated firewall in one child process, on loopback."""

    name = "firewalls"

    def __init__(self, firewalls: tuple[LabFirewall, ...] | list[LabFirewall] = DEMO_FIREWALLS) -> None:
        self.firewalls = list(firewalls)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self.fingerprint = ""
        self.cert_path: Path | None = None

    def start(self, workdir: Path) -> dict[str, Any]:
        workdir = workdir / "firewall-lab"
        (workdir / "secrets").mkdir(parents=True, exist_ok=True)
        try:
            return self._start(workdir)
        except BaseException:
            self.stop()
            raise

    def _start(self, workdir: Path) -> dict[str, Any]:
        self.cert_path, key_path, self.fingerprint = self_signed(workdir, "firewall-lab")
        self.ports = {f.name: free_port() for f in self.firewalls}
        devices_spec = []
        for fw in self.firewalls:
            folder = _faulty_copy(fw, workdir / "recordings" / fw.name) if fw.truncated or fw.version else fw.path
            spec: dict[str, Any] = {"name": fw.name, "platform": fw.platform, "method": fw.method,
                                    "port": self.ports[fw.name], "folder": str(folder)}
            if fw.platform == "fortinet" and fw.method == "api":
                recorded = workdir / "api" / fw.name
                outputs = outputs_of(folder)
                record_fortios_api(outputs["show full-configuration"], outputs.get("get system status", ""),
                                   outputs.get("get system ha status", ""), recorded)
                spec["recorded"] = str(recorded)
            devices_spec.append(spec)
        spec_path = workdir / "firewalls.json"
        spec_path.write_text(json.dumps({
            "devices": devices_spec, "cert": str(self.cert_path), "key": str(key_path), "password": SSH_PASSWORD,
            "token": FORTI_TOKEN, "token_no_rights": FORTI_TOKEN_NO_RIGHTS, "opn_key": OPN_KEY,
            "opn_secret": OPN_SECRET, "user": LAB_USER,
        }), encoding="utf-8")
        spec_path.chmod(0o600)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent.lab.firewalls", "serve", str(spec_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(workdir / "firewalls.log", "wb"),
            cwd=str(Path(__file__).resolve().parents[2]), preexec_fn=die_with_parent,
        )
        closed = _wait_ports(list(self.ports.values()), 20.0, self.proc)
        if closed:
            tail = (workdir / "firewalls.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(f"simulated firewalls did not open ports {closed}: {tail[-1] if tail else 'no output'}")
        devices = []
        for fw in self.firewalls:
            device: dict[str, Any] = {"name": fw.name, "host": "127.0.0.1", "platform": fw.platform,
                                      "method": fw.method, "port": self.ports[fw.name], "timeout_s": 10.0}
            wrong = "-wrong" if fw.wrong_credentials else ""
            if fw.method == "ssh":
                device["username"] = LAB_USER
                device["password"] = lab_secret(workdir, f"{fw.name}-password", SSH_PASSWORD + wrong)
            elif fw.platform == "fortinet":
                token = FORTI_TOKEN_NO_RIGHTS if fw.token_without_rights else FORTI_TOKEN + wrong
                device["api_token"] = lab_secret(workdir, f"{fw.name}-token", token)
            else:
                device["api_key"] = lab_secret(workdir, f"{fw.name}-key", OPN_KEY)
                device["api_secret"] = lab_secret(workdir, f"{fw.name}-secret", OPN_SECRET + wrong)
            if fw.method == "api" and not fw.untrusted_tls:
                device["tls"] = {"fingerprint_sha256": self.fingerprint}
            device.update(fw.extra)
            devices.append(device)
        return {"firewall": {"devices": devices}}

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


def _faulty_copy(fw: LabFirewall, folder: Path) -> Path:
    """The recordings with the fault applied: the configuration cut at 60 %, or another version reported."""
    import re
    import shutil

    shutil.copytree(fw.path, folder, dirs_exist_ok=True)
    for file in folder.iterdir():
        text = file.read_text(encoding="utf-8")
        if fw.truncated and file.name in ("show_full-configuration.txt", "config.xml", "cat_conf_config.xml.txt"):
            text = text[: int(len(text) * 0.6)]
        if fw.version:
            text = re.sub(r"(FortiGate-\S+ v)\d+\.\d+\.\d+", rf"\g<1>{fw.version}", text)
            text = re.sub(r"(#config-version=\w+-)\d+\.\d+\.\d+", rf"\g<1>{fw.version}", text)
        file.write_text(text, encoding="utf-8")
    return folder


def _wait_ports(ports: list[int], deadline_s: float, proc: subprocess.Popen[bytes]) -> list[int]:
    import socket

    waiting = set(ports)
    end = time.monotonic() + deadline_s
    while waiting and time.monotonic() < end and proc.poll() is None:
        for port in list(waiting):
            with socket.socket() as sock:
                sock.settimeout(0.2)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    waiting.discard(port)
        if waiting:
            time.sleep(0.05)
    return sorted(waiting)


# ------------------------------------------------------------------------------------------ the child process


def _fortigate_nos(device: dict[str, Any]) -> Any:
    from fakenos.core.nos import Nos

    top, glob = "{base_prompt} # ", "{base_prompt} (global) # "
    both = [top, glob]
    commands: dict[str, Any] = {}
    for command, text in outputs_of(Path(device["folder"])).items():
        commands[command] = {"output": text.rstrip("\n"), "help": command, "prompt": both}
    commands["config global"] = {"output": "", "help": "global context", "prompt": top, "new_prompt": glob}
    commands["end"] = {"output": "", "help": "leave context", "prompt": glob, "new_prompt": top}
    commands["_default_"] = {"output": "Unknown action 0\nCommand fail. Return code -1", "help": "", "prompt": both}
    return Nos(name=f"lab_{device['name'].lower().replace('-', '_')}", commands=commands, initial_prompt=top)


def _start_fakenos(devices: list[dict[str, Any]], spec: dict[str, Any]) -> Any:
    from fakenos import FakeNOS

    plugins = [_fortigate_nos(d) for d in devices]
    inventory = {
        "default": {"server": {"plugin": "ParamikoSshServer", "configuration": {"address": "127.0.0.1",
                                                                               "timeout": 1}}},
        "hosts": {d["name"]: {"port": d["port"], "username": spec["user"], "password": spec["password"],
                              "nos": {"plugin": f"lab_{d['name'].lower().replace('-', '_')}"},
                              "shell": {"plugin": "CMDShell", "configuration": {"intro": ""}}}
                  for d in devices},
    }
    net = FakeNOS(inventory=inventory, plugins=plugins)
    net.start()
    return net


def _api_handler(device: dict[str, Any], spec: dict[str, Any]) -> Any:
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        server_version = "lab-firewall"

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: requests carry tokens in headers
            return

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self._send(405, b'{"status":"error","error":"read-only lab"}')

        do_PUT = do_DELETE = do_PATCH = do_POST

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if device["platform"] == "fortinet":
                self._fortigate(path)
            else:
                self._opnsense(path)

        def _fortigate(self, path: str) -> None:
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            if token not in (spec["token"], spec["token_no_rights"]):
                return self._send(401, b'{"status":"error","http_status":401}')
            recorded = Path(device["recorded"])
            name = path.removeprefix("/api/v2/").replace("/", "__").replace("%2B", "+").replace("%2b", "+")
            file = recorded / f"{name}.json"
            if token == spec["token_no_rights"] and not name.startswith("monitor__system__status"):
                return self._send(403, b'{"status":"error","http_status":403}')
            if not file.is_file():
                return self._send(404, b'{"status":"error","http_status":404}')
            self._send(200, file.read_bytes())

        def _opnsense(self, path: str) -> None:
            expected = "Basic " + base64.b64encode(f"{spec['opn_key']}:{spec['opn_secret']}".encode()).decode()
            if self.headers.get("Authorization", "") != expected:
                return self._send(401, b'{"status":401,"message":"Authentication Failed"}')
            folder = Path(device["folder"])
            if path == "/api/core/firmware/status":
                version = (folder / "version.txt").read_text(encoding="utf-8").strip()
                body = {"product": {"product_name": "OPNsense", "product_version": version,
                                    "product_series": ".".join(version.split(".")[:2])}, "status": "none"}
                return self._send(200, json.dumps(body).encode())
            if path == "/api/core/backup/download/this":
                return self._send(200, (folder / "config.xml").read_bytes(), "application/xml")
            self._send(404, b'{"status":404}')

    return Handler


def _start_api(device: dict[str, Any], spec: dict[str, Any]) -> Any:
    import ssl
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", device["port"]), _api_handler(device, spec))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(spec["cert"], spec["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _start_exec_ssh(device: dict[str, Any], spec: dict[str, Any]) -> None:
    """A paramiko SSH server answering exec requests from the recordings (pfSense reads files with cat)."""
    import socket

    import paramiko

    host_key = paramiko.ECDSAKey.generate()
    outputs = outputs_of(Path(device["folder"]))

    class Server(paramiko.ServerInterface):  # type: ignore[misc]
        def __init__(self) -> None:
            self.command: bytes | None = None
            self.ready = threading.Event()

        def check_auth_password(self, username: str, password: str) -> int:
            ok = username == spec["user"] and password == spec["password"]
            return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

        def get_allowed_auths(self, username: str) -> str:
            return "password"

        def check_channel_request(self, kind: str, chanid: int) -> int:
            ok = kind == "session"
            return int(paramiko.OPEN_SUCCEEDED if ok else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

        def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
            self.command = command
            self.ready.set()
            return True

    def serve(conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(host_key)
        server = Server()
        try:
            transport.start_server(server=server)
            while transport.is_active():
                channel = transport.accept(timeout=5)
                if channel is None:
                    break
                server.ready.wait(5)
                server.ready.clear()
                command = (server.command or b"").decode("utf-8", errors="replace")
                # Recordings are named after the command with '/' and spaces as '_' (cat_conf_config.xml.txt).
                text = outputs.get(" ".join(command.replace("/", " ").split()))
                if text is None:
                    channel.sendall_stderr(f"{command.split()[0] if command else '?'}: not allowed here\n".encode())
                    channel.send_exit_status(1)
                else:
                    channel.sendall(text.encode())
                    channel.send_exit_status(0)
                channel.close()
        except (paramiko.SSHException, OSError, EOFError):
            pass
        finally:
            transport.close()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", device["port"]))
    listener.listen(16)

    def accept_loop() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()


def serve(spec_path: Path) -> None:
    """Child process: serve every simulated firewall of the spec until SIGTERM."""
    logging.basicConfig(level=logging.CRITICAL)
    for noisy in ("fakenos", "paramiko"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    cli = [d for d in spec["devices"] if d["method"] == "ssh" and d["platform"] == "fortinet"]
    if cli:
        _start_fakenos(cli, spec)
    for device in spec["devices"]:
        if device["method"] == "api":
            _start_api(device, spec)
        elif device["platform"] == "pfsense":
            _start_exec_ssh(device, spec)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            time.sleep(0.2)
    finally:
        os._exit(0)  # fakenos and paramiko threads may be blocked in accept(): leave at once


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m agent.lab.firewalls serve SPEC.json")
