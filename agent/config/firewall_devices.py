"""[[firewall.devices]]: firewalls whose own configuration is read, read-only (FortiGate, OPNsense, pfSense).

Secrets (SSH password, API token, API key and secret) are SecretRefs: an environment variable or a file,
never a literal in the config. TLS is verified by default; a private CA (``tls.ca_file``) or a pinned
certificate (``tls.fingerprint_sha256``, for a firewall with its own self-signed certificate) can be given.
Examples::

    [[firewall.devices]]                 # FortiGate over SSH (a read-only admin profile is enough)
    name = "FGT-CORE"
    host = "10.99.0.254"
    platform = "fortinet"
    method = "ssh"
    username = "auditor"
    password = { env = "SCHOOLNET_FIREWALL_PASSWORD" }

    [[firewall.devices]]                 # FortiGate REST API with a read-only API token
    name = "FGT-EDGE"
    host = "10.99.0.253"
    platform = "fortinet"
    method = "api"
    api_token = { file = "/etc/schoolnet/fortigate.token" }
    vdoms = ["root"]
    tls = { fingerprint_sha256 = "AB:CD:..." }

    [[firewall.devices]]                 # OPNsense REST API: key and secret of a read-only user
    name = "OPN-1"
    host = "10.99.0.252"
    platform = "opnsense"
    method = "api"
    api_key = { file = "/etc/schoolnet/opnsense.key" }
    api_secret = { file = "/etc/schoolnet/opnsense.secret" }
    tls = { ca_file = "/etc/schoolnet/school-ca.pem" }

    [[firewall.devices]]                 # pfSense over SSH: only 'cat /conf/config.xml' and 'cat /etc/version'
    name = "PF-1"
    host = "10.99.0.251"
    platform = "pfsense"
    method = "ssh"
    username = "auditor"
    password = { env = "SCHOOLNET_PFSENSE_PASSWORD" }
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from agent.config.secrets import SecretRef
from agent.config.sections import ConfigPath, Strict

if TYPE_CHECKING:
    from probes.firewall.device import DeviceSettings

# How each platform can be read (the first is the default).
METHODS: dict[str, tuple[str, ...]] = {"fortinet": ("ssh", "api"), "opnsense": ("api",), "pfsense": ("ssh",)}


class FirewallTls(Strict):
    """How the API's certificate is trusted: the system CAs (default), a CA file, or a pinned fingerprint."""

    ca_file: ConfigPath | None = Field(default=None, description="PEM bundle of the CA that signed the firewall's cert")
    fingerprint_sha256: str | None = Field(
        default=None, description="SHA-256 of the firewall's certificate (hex, colons allowed): pins that one cert"
    )

    @field_validator("fingerprint_sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        clean = re.sub(r"[:\s]", "", value).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", clean):
            raise ValueError("a SHA-256 fingerprint is 64 hex digits (colons allowed)")
        return clean


class FirewallDevice(Strict):
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    platform: str = Field(description="fortinet, opnsense or pfsense")
    method: Literal["ssh", "api"] | None = Field(default=None, description="ssh or api (the platform's default)")
    port: int | None = Field(default=None, ge=1, le=65535, description="22 for SSH, 443 for the API by default")
    username: str | None = Field(default=None, description="SSH user with read-only rights")
    password: SecretRef | None = None
    api_token: SecretRef | None = Field(default=None, description="FortiGate REST API token (read-only profile)")
    api_key: SecretRef | None = Field(default=None, description="OPNsense API key")
    api_secret: SecretRef | None = Field(default=None, description="OPNsense API secret")
    vdoms: list[str] = Field(default_factory=lambda: ["root"], description="FortiGate VDOMs to read over the API")
    tls: FirewallTls = Field(default_factory=FirewallTls)
    timeout_s: float = Field(default=30.0, gt=0, le=600, description="connection and longest single read")

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        from probes.firewall.platforms import UnsupportedPlatform, platform_for

        try:
            return str(platform_for(value).name)
        except UnsupportedPlatform as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _credentials_for_method(self) -> FirewallDevice:
        allowed = METHODS[self.platform]
        method = self.method or allowed[0]
        if method not in allowed:
            raise ValueError(f"{self.platform} is read over {' or '.join(allowed)}, not {method}")
        if method == "ssh" and (self.username is None or self.password is None):
            raise ValueError("method ssh needs username and password = {env = \"...\"} or {file = \"...\"}")
        if method == "api" and self.platform == "fortinet" and self.api_token is None:
            raise ValueError("a FortiGate over the API needs api_token = {env = \"...\"} or {file = \"...\"}")
        if method == "api" and self.platform == "opnsense" and (self.api_key is None or self.api_secret is None):
            raise ValueError("OPNsense over the API needs api_key and api_secret (env or file)")
        return self

    def settings(self) -> DeviceSettings:
        """What the probe needs, with the secrets read now (the probe never sees a SecretRef)."""
        from probes.firewall.device import DeviceSettings

        method = self.method or METHODS[self.platform][0]

        def read(ref: SecretRef | None) -> str | None:
            return ref.resolve().get_secret_value() if ref is not None else None

        return DeviceSettings(
            name=self.name, host=self.host, platform=self.platform, method=method,
            port=self.port or (22 if method == "ssh" else 443), username=self.username,
            password=read(self.password), api_token=read(self.api_token), api_key=read(self.api_key),
            api_secret=read(self.api_secret), vdoms=tuple(self.vdoms),
            ca_file=str(self.tls.ca_file) if self.tls.ca_file else None,
            fingerprint_sha256=self.tls.fingerprint_sha256, timeout_s=self.timeout_s,
        )
