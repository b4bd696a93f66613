"""[upload] section: where signed reports go, and how hard to try."""

from __future__ import annotations

from pydantic import Field

from agent.config.sections import ConfigPath, Strict


class UploadConfig(Strict):
    enabled: bool = Field(default=False, description="sign each report, queue it in the outbox and upload it")
    url: str | None = Field(default=None, description="collector base URL, e.g. https://collector.trust.example")
    ca_bundle: ConfigPath | None = Field(default=None, description="PEM CA bundle for the collector's TLS certificate")
    allow_plain_http: bool = Field(default=False, description="plain HTTP beyond loopback (not recommended)")
    timeout_s: float = Field(default=30.0, gt=0, le=600, description="per HTTP request")
    max_attempts: int = Field(default=5, ge=1, le=100, description="tries per report in one run before it waits")
    backoff_initial_s: float = Field(default=1.0, ge=0, le=600, description="first retry delay (doubles each try)")
    backoff_max_s: float = Field(default=60.0, ge=0, le=3600, description="longest retry delay")

