"""Check registry. A check is a small pure function: (evidence, site, **params) -> Outcome.

Declare one with ``@check(evidence=Model)``; its id is the function name
(``<area>_<subject>_<expectation>``). Parameters come from the standards map (per phase), merged
with the site's overrides from the config. ``site`` is the evaluation's :class:`SiteProfile`, for
checks that need site knowledge (the school's SSIDs, its known access points).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract.evidence import Evidence
from contract.site import SiteProfile
from standards_map.outcome import Outcome

CheckFn = Callable[..., Outcome]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    area: str
    evidence: type[Evidence]
    fn: CheckFn
    summary: str
    params: tuple[str, ...]  # keyword parameters the function accepts (besides site)
    wants_site: bool

    @property
    def kind(self) -> str:
        return self.evidence.kind

    def run(self, evidence: Evidence, site: SiteProfile, params: dict[str, Any]) -> Outcome:
        unexpected = set(params) - set(self.params)
        if unexpected:
            raise TypeError(f"check {self.id} got unknown parameters {sorted(unexpected)}")
        kwargs = dict(params)
        if self.wants_site:
            kwargs["site"] = site
        return self.fn(evidence, **kwargs)


_REGISTRY: dict[str, CheckSpec] = {}


def check(*, evidence: type[Evidence]) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under its own name."""

    def register(fn: CheckFn) -> CheckFn:
        check_id = fn.__name__
        if check_id in _REGISTRY and _REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check id {check_id} registered twice")
        signature = inspect.signature(fn)
        names = [
            p.name
            for p in list(signature.parameters.values())[1:]
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        wants_site = "site" in names
        _REGISTRY[check_id] = CheckSpec(
            id=check_id,
            area=check_id.split("_", 1)[0],
            evidence=evidence,
            fn=fn,
            summary=(inspect.getdoc(fn) or "").splitlines()[0] if fn.__doc__ else "",
            params=tuple(n for n in names if n != "site"),
            wants_site=wants_site,
        )
        return fn

    return register


def registry() -> dict[str, CheckSpec]:
    """Every registered check, by id (imports the area modules on first use)."""
    from standards_map.checks import broadband, filtering, firewall_config, firewall_network, switching, wireless  # noqa: F401

    return dict(_REGISTRY)
