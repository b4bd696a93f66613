"""Facts (a platform's reading of its configuration) -> the ``firewall.config`` evidence, secrets removed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contract.evidence.firewall_config import FirewallConfig

# The sanitised configuration is kept in the evidence so a reader can see what was judged; a very large one is
# left out (it would swell every report and upload) and the evidence says so.
MAX_KEPT_CONFIG_CHARS = 200_000

_FIELDS = set(FirewallConfig.model_fields)


def build_evidence(platform: Any, facts: dict[str, Any], raw_config: str | None, sources: list[str],
                   secrets: Iterable[str] = ()) -> FirewallConfig:
    """The evidence model for ``facts``; every string that came from the device passes the sanitiser."""
    secrets = list(secrets)
    clean = {k: v for k, v in facts.items() if k in _FIELDS}
    clean["platform"] = platform.name
    clean["sources"] = sources
    clean["collection_errors"] = [platform.sanitise(e, secrets) for e in facts.get("collection_errors", [])]
    if raw_config is not None:
        text = platform.sanitise(raw_config, secrets)
        if len(text) <= MAX_KEPT_CONFIG_CHARS:
            clean["configuration"] = text
        else:
            clean["configuration_omitted"] = (f"{len(text):,} characters after removing secrets, more than the "
                                              f"{MAX_KEPT_CONFIG_CHARS:,} kept in a report")
    evidence = FirewallConfig.model_validate(clean)
    if secrets:
        # Descriptions and names come from the device too: a secret typed into one must not survive.
        dumped = evidence.model_dump_json()
        if any(s and len(s) >= 3 and s in dumped for s in secrets):
            evidence = FirewallConfig.model_validate_json(platform.sanitise(dumped, secrets))
    return evidence
