"""CLI commands for the firewall area. Each part of the area registers its own commands on ``firewall_app``."""

from __future__ import annotations

import typer

from agent.cli import firewall_config, firewall_network

firewall_app = typer.Typer(help="Firewalls: the boundary seen from the network, and the firewall's own settings.",
                           no_args_is_help=True)
firewall_config.register(firewall_app)
firewall_network.register(firewall_app)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(firewall_app, name="firewall")
    firewall_network.register_echo_server(app)
