"""Shared CLI pieces: output formats, stdout discipline, logging to stderr."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum

from rich.console import Console

err = Console(stderr=True, soft_wrap=True)  # never wrap messages: they are grepped and logged


class Format(StrEnum):
    """Every output format; a command whose output works in all of them takes this."""

    json = "json"
    html = "html"
    csv = "csv"
    text = "text"


class TextJson(StrEnum):
    """For commands that print only text or JSON: `--help` then offers just these two."""

    json = "json"
    text = "text"


class TextJsonCsv(StrEnum):
    json = "json"
    csv = "csv"
    text = "text"


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Libraries below us are chatty at INFO (paramiko, fakenos); keep them to warnings.
    for noisy in ("paramiko", "fakenos", "netmiko", "scapy.runtime", "pysnmp", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def emit(text: str) -> None:
    """Write the command's result to stdout (and nothing else goes there)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
