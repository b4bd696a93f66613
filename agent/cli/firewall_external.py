"""``schoolnet firewall external-scan``: from the trust's server, scan each school's public addresses."""

from __future__ import annotations

import typer


def register_external(firewall_app: typer.Typer) -> None:
    @firewall_app.command("external-scan")
    def external_scan() -> None:
        """From outside the school (the trust's server): scan the schools' public addresses."""
        from agent.errors import CannotRunError

        raise CannotRunError("external-scan is not available yet")
