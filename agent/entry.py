"""Load "module:attribute" entries lazily, so listing a probe or a report table never imports its libraries."""

from __future__ import annotations

import importlib
from typing import Any


def load_entry(entry: str) -> Any:
    module_name, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
