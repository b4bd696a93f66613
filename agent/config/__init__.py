"""Load and validate the agent's TOML config. Every error names the file, the key and its line."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError

from agent.config.broadband import BroadbandConfig
from agent.config.filtering import FilteringConfig
from agent.config.firewall import FirewallConfig
from agent.config.sections import CONFIG_DIR, AgentConfig, ProbeLimits, SiteConfig, Strict, Thresholds
from agent.config.switches import SwitchesConfig
from agent.config.upload import UploadConfig
from agent.config.wifi import WifiConfig
from agent.errors import ConfigError
from contract.site import Attestation, SiteProfile, WifiSite

DEFAULT_CONFIG_PATHS = (Path("schoolnet.toml"), Path("/etc/schoolnet/schoolnet.toml"))


class Config(Strict):
    site: SiteConfig
    agent: AgentConfig = Field(default_factory=AgentConfig)
    probes: ProbeLimits = Field(default_factory=ProbeLimits)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    attestations: list[Attestation] = Field(default_factory=list)
    switches: SwitchesConfig = Field(default_factory=SwitchesConfig)
    wifi: WifiConfig = Field(default_factory=WifiConfig)
    broadband: BroadbandConfig = Field(default_factory=BroadbandConfig)
    firewall: FirewallConfig = Field(default_factory=FirewallConfig)
    upload: UploadConfig = Field(default_factory=UploadConfig)
    filtering: FilteringConfig | None = None  # runs only when configured: it tests the live network

    def site_profile(self) -> SiteProfile:
        """What the evaluator needs: phase, the school's Wi-Fi, and the site's own thresholds."""
        return SiteProfile(
            id=self.site.id,
            name=self.site.name,
            phase=self.site.phase,
            trust=self.site.trust,
            wifi=WifiSite(
                ssids=self.wifi.ssids,
                known_bssids=[b.lower() for b in self.wifi.known_bssids],
                known_ouis=[o.lower() for o in self.wifi.known_ouis],
            ),
            overrides={
                "wifi_signal_coverage": {"min_signal_dbm": self.thresholds.wifi_signal_min_dbm},
                "broadband_latency_under_load": {
                    "max_increase_ms": self.thresholds.broadband_latency_increase_warn_ms
                },
            },
        )


def find_config(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    for candidate in DEFAULT_CONFIG_PATHS:
        if candidate.exists():
            return candidate
    tried = ", ".join(str(p) for p in DEFAULT_CONFIG_PATHS)
    raise ConfigError(f"no config file given (--config) and none found at {tried}; start from config.example.toml")


def load_config(path: Path) -> Config:
    """Read ``path``; raise ConfigError naming the file, line and key on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Config.model_validate(raw, context={CONFIG_DIR: path.resolve().parent})  # relative paths: its folder
    except ValidationError as exc:
        raise ConfigError(_describe(path, text, exc)) from None


def _describe(path: Path, text: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = _dotted(loc)
        line = locate_line(text, loc)
        prefix = f"{path}:{line}" if line else f"{path}"
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(Config, loc[:-1])
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            lines.append(f"{prefix}: unknown key '{where}'{hint}")
        elif error["type"] == "missing":
            lines.append(f"{prefix}: missing required key '{where}'")
        else:
            got = error.get("input")
            secret_like = any(_SECRET_WORDS.search(str(part)) for part in loc)
            shown = "" if isinstance(got, dict | list) or secret_like else f" (got {got!r})"
            lines.append(f"{prefix}: '{where}': {error['msg']}{shown}")
    return "invalid config:\n  " + "\n  ".join(lines)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# A wrong value under a key like these is not echoed back: it may be a secret typed in by mistake.
_SECRET_WORDS = re.compile(r"pass|secret|key|community|token|psk|auth|priv", re.IGNORECASE)

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


def locate_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number (1-based) of the key at ``loc`` in TOML ``text``."""
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return None
    # The table the key lives in: every string part but the last, with array indexes kept apart.
    table_path: list[str] = []
    indexes: dict[str, int] = {}
    for part in loc[:-1]:
        if isinstance(part, int):
            indexes[".".join(table_path)] = part
        else:
            table_path.append(part)
    target_table = ".".join(table_path)
    key = loc[-1] if isinstance(loc[-1], str) else None

    seen: dict[str, int] = {}
    in_target = target_table == ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2).replace('"', "").replace(" ", "")
            if header.group(1) == "[[":
                seen[name] = seen.get(name, -1) + 1
            wanted_index = indexes.get(name)
            in_target = name == target_table and (wanted_index is None or seen.get(name) == wanted_index)
            if key is not None and target_table == "" and name.split(".")[0] == key:
                return number  # an unknown or misspelt table
            if key is not None and name == ".".join([*table_path, key]):
                return number  # the error is about a whole table
            continue
        if in_target and key is not None and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """list[X] -> X, X | None -> X."""
    while True:
        origin = get_origin(annotation)
        if origin in (list, tuple):
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation
