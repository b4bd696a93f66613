"""schoolnet agent: configuration, orchestration, reports, signing, delivery and the CLI."""

__version__ = "0.1.0"
