"""Generate docs/schema/: the report's JSON Schema and one schema per evidence kind.

Run ``python -m reports.schema`` after changing a model; tests/test_schema_drift.py fails while the
files on disk differ from what the models generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from contract.evidence import evidence_model, known_kinds
from contract.report import report_json_schema

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schema"


def generated() -> dict[str, str]:
    """File name (relative to docs/schema) -> JSON text."""
    files = {"report.schema.json": _dump(report_json_schema())}
    for kind in known_kinds():
        schema = evidence_model(kind).model_json_schema(mode="serialization")
        schema["title"] = f"evidence {kind}"
        files[f"evidence/{kind}.schema.json"] = _dump(schema)
    return files


def _dump(schema: object) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    written = []
    for name, text in generated().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        sys.stdout.write(f"wrote {path}\n")
