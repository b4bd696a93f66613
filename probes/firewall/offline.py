"""A saved firewall configuration (Oxidized backup, FortiOS text, config.xml) -> ``firewall.config`` evidence."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from contract.evidence.firewall_config import FirewallConfig
from probes.firewall.build import build_evidence
from probes.firewall.common import UnreadableConfig
from probes.firewall.platforms import UnsupportedPlatform, detect, platform_for

MAX_FILE_BYTES = 64 * 1024 * 1024


def read_config_file(path: Path) -> str:
    """The file's text; UnreadableConfig with a reason naming the file otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableConfig(f"{path}: {size:,} bytes, more than a firewall configuration "
                                   f"({MAX_FILE_BYTES // (1024 * 1024)} MiB at most)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableConfig(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableConfig(f"{path}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise UnreadableConfig(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableConfig(f"{path}: byte {exc.start} is not UTF-8: not a firewall configuration (text or "
                               "XML)") from None


def evidence_from_text(text: str, platform_name: str | None, where: str,
                       observed_on: date | None = None) -> tuple[Any, FirewallConfig]:
    """(platform, evidence) for a saved configuration; UnreadableConfig / UnsupportedPlatform say why not."""
    if platform_name:
        platform = platform_for(platform_name)
    else:
        platform = detect(text)
        if platform is None:
            raise UnsupportedPlatform(f"{where}: cannot tell which firewall this configuration is from; "
                                      "give --platform fortinet, opnsense or pfsense")
    try:
        facts = platform.parse_backup(text)
    except UnreadableConfig as exc:
        raise UnreadableConfig(f"{where}: {exc}") from None
    facts["observed_on"] = observed_on or date.today()
    return platform, build_evidence(platform, facts, text, ["config-file"])
