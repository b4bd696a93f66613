"""Every path a user writes in the config is relative to the config file's folder, never to the current
directory: a nightly run starts in ``/``, where a relative capture, CA bundle or test list would not be found.

The test walks the config models, so a new path setting that bypasses ``ConfigPath`` fails here by name.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from agent.config import load_config
from agent.config.sections import ConfigPath, resolve_config_path

# Path settings that are deliberately not relative to the config (none today); name them here with the reason.
NOT_CONFIG_RELATIVE: dict[str, str] = {}


def _resolves_against_config(field: FieldInfo) -> bool:
    # pydantic moves a top-level Annotated's metadata onto the field
    return any(getattr(meta, "func", None) is resolve_config_path for meta in field.metadata)


def _contains_plain_path(annotation: object) -> bool:
    if annotation is Path:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return False  # ConfigPath (or another annotated type that carries its own rule)
    return any(_contains_plain_path(arg) for arg in typing.get_args(annotation))


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            stack: list[object] = [field.annotation]
            while stack:
                annotation = stack.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    todo.append(annotation)
                stack.extend(typing.get_args(annotation))
                if isinstance(annotation, types.UnionType):
                    stack.extend(annotation.__args__)
    return seen


def test_every_path_setting_is_a_config_path() -> None:
    from agent.config import Config

    plain = sorted(
        f"{model.__name__}.{name}"
        for model in _models(Config)
        if model.__module__.startswith("agent.config")
        for name, field in model.model_fields.items()
        if _contains_plain_path(field.annotation) and not _resolves_against_config(field)
        and f"{model.__name__}.{name}" not in NOT_CONFIG_RELATIVE
    )
    assert plain == [], f"path settings not declared as ConfigPath: {plain}"
    assert ConfigPath is not Path


def test_relative_capture_survey_and_test_list_resolve_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "etc" / "schoolnet"
    folder.mkdir(parents=True)
    config = folder / "schoolnet.toml"
    config.write_text(
        '[site]\nid = "URN-1"\nname = "Test School"\nphase = "primary"\n\n'
        '[wifi]\ncaptures = ["captures/beacons.pcapng", "/abs/other.pcap"]\nsurvey_file = "survey.jsonl"\n\n'
        '[filtering]\ntests_file = "lists/tests.csv"\n\n'
        '[upload]\nurl = "https://collector.example.org"\nca_bundle = "ca.pem"\n'
    )
    loaded = load_config(config)
    assert loaded.wifi is not None
    assert loaded.wifi.captures == [folder / "captures/beacons.pcapng", Path("/abs/other.pcap")]
    assert loaded.wifi.survey_file == folder / "survey.jsonl"
    assert loaded.filtering is not None and loaded.filtering.tests_file == folder / "lists/tests.csv"
    assert loaded.upload is not None and loaded.upload.ca_bundle == folder / "ca.pem"
