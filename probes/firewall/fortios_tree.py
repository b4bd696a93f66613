"""A small tree parser for FortiOS configuration text (``config`` / ``edit`` / ``set`` / ``next`` / ``end``).

No maintained library on PyPI does this well (pyfgtconflib and fortigate-config-parser are unmaintained
toys; fgtparser is not published), so this is ours: one pass over the lines, linear in the input, with
bounded nesting. It understands the quirks seen in real backups: quoted values spanning lines
(certificates, keys, comments), ``unset``/``append``/``select`` lines, a VDOM's ``edit`` closed by ``end``
(not ``next``) in multi-VDOM backups, and ``#`` header lines before the configuration.

The parser never raises on content: a truncated file or a stray ``next`` is recorded in ``problems``
with its line number, and sections still open at the end are marked incomplete so the code that reads
them can say ``unknown`` instead of trusting half a section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_DEPTH = 32  # FortiOS nests 5-6 deep; anything deeper is not a FortiOS configuration

# A token: a double-quoted string (backslash escapes) or a run of non-blanks.
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
_TOKEN_PLAIN = re.compile(r'"([^"]*)"|(\S+)')  # the common case: no backslash on the line
_UNESCAPE = re.compile(r"\\(.)")


@dataclass
class Node:
    """A ``config`` section (settings, nested sections, table entries) or one ``edit`` entry of a table."""

    line: int
    settings: dict[str, list[str]] = field(default_factory=dict)
    sections: dict[str, Node] = field(default_factory=dict)
    entries: dict[str, Node] = field(default_factory=dict)
    complete: bool = False

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first word of ``set key ...`` (None when not set)."""
        values = self.settings.get(key)
        return values[0] if values else default

    def words(self, key: str) -> list[str]:
        return self.settings.get(key, [])

    def section(self, path: str) -> Node | None:
        """A nested section by its space-separated path (``"system interface"``), or None."""
        return self.sections.get(path)


@dataclass
class Line:
    """One logical line: the command word, its arguments (unquoted), and where it starts."""

    number: int
    indent: int
    command: str
    args: list[str]
    raw: str  # the original text, possibly spanning several physical lines


@dataclass
class Tree:
    root: Node
    header: list[str]  # the '#' lines (Oxidized's status header, #config-version=...)
    problems: list[str]  # one sentence each, with the line number
    open_at_end: list[str]  # sections still open when the text ended (truncated)
    lines: int

    @property
    def complete(self) -> bool:
        return not self.open_at_end


def logical_lines(text: str) -> Iterator[Line]:
    """Split ``text`` into logical lines, joining a quoted value that spans physical lines."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    n = len(physical)
    while i < n:
        raw = physical[i]
        start = i
        i += 1
        stripped = raw.strip()
        if not stripped:
            continue
        # An odd number of unescaped quotes means the value goes on: join until it closes.
        while _open_quote(raw) and i < n:
            raw = raw + "\n" + physical[i]
            i += 1
        if stripped.startswith("#"):
            yield Line(start + 1, 0, "#", [], raw)
            continue
        tokens = split_words(raw)
        if not tokens:
            continue
        yield Line(start + 1, len(raw) - len(raw.lstrip()), tokens[0], tokens[1:], raw)


def split_words(raw: str) -> list[str]:
    """The words of one logical line, quotes removed (fast path when nothing is escaped)."""
    if "\\" not in raw:
        # findall gives (quoted, bare) pairs; a bare word is never empty, so an empty one means quoted.
        return [bare or quoted for quoted, bare in _TOKEN_PLAIN.findall(raw)]
    return [_UNESCAPE.sub(r"\1", t.group(1)) if t.group(1) is not None else t.group(2)
            for t in _TOKEN.finditer(raw)]


def _open_quote(text: str) -> bool:
    if '"' not in text:
        return False
    if "\\" not in text:
        return text.count('"') % 2 == 1
    count = 0
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            count += 1
    return count % 2 == 1


def parse(text: str) -> Tree:
    """Parse FortiOS configuration text into a tree (never raises on content)."""
    root = Node(line=0, complete=True)
    header: list[str] = []
    problems: list[str] = []
    # The stack holds (kind, name, node): kind is "config" or "edit".
    stack: list[tuple[str, str, Node]] = [("config", "", root)]
    count = 0
    for line in logical_lines(text):
        count = line.number
        command = line.command
        top_kind, _top_name, top = stack[-1]
        if command == "#":
            if len(stack) == 1:
                header.append(line.raw.strip())
            continue
        if command == "config":
            if not line.args:
                problems.append(f"line {line.number}: 'config' without a section name")
                continue
            if len(stack) >= MAX_DEPTH:
                problems.append(f"line {line.number}: sections nested deeper than {MAX_DEPTH}; the rest is ignored")
                break
            name = " ".join(line.args)
            # A section may appear twice (multi-VDOM backups declare 'config vdom' first, fill it later).
            node = top.sections.get(name)
            if node is None:
                node = Node(line=line.number)
                top.sections[name] = node
            node.complete = False
            stack.append(("config", name, node))
        elif command == "edit":
            if top_kind != "config" or len(stack) == 1:
                problems.append(f"line {line.number}: 'edit' outside a 'config' section")
                continue
            name = " ".join(line.args)
            entry = top.entries.get(name)
            if entry is None:
                entry = Node(line=line.number)
                top.entries[name] = entry
            entry.complete = False
            stack.append(("edit", name, entry))
        elif command in ("set", "append"):
            if not line.args:
                problems.append(f"line {line.number}: '{command}' without a setting name")
                continue
            key, values = line.args[0], line.args[1:]
            if command == "append" and key in top.settings:
                top.settings[key] = [*top.settings[key], *values]
            else:
                top.settings[key] = values
        elif command == "unset":
            if line.args:
                top.settings.pop(line.args[0], None)
        elif command in ("select", "unselect"):
            if line.args:
                key = line.args[0]
                current = top.settings.get(key, [])
                if command == "select":
                    top.settings[key] = [*current, *[v for v in line.args[1:] if v not in current]]
                else:
                    top.settings[key] = [v for v in current if v not in line.args[1:]]
        elif command == "next":
            if top_kind == "edit":
                top.complete = True
                stack.pop()
            else:
                problems.append(f"line {line.number}: 'next' outside an 'edit' entry")
        elif command == "end":
            if top_kind == "edit":
                # A VDOM's 'edit' in a multi-VDOM backup is closed by 'end', which also closes 'config vdom'.
                top.complete = True
                stack.pop()
            if len(stack) == 1:
                problems.append(f"line {line.number}: 'end' with no open section")
                continue
            stack[-1][2].complete = True
            stack.pop()
        else:
            problems.append(f"line {line.number}: unexpected '{command[:40]}'")
    open_at_end = [name for kind, name, _ in stack[1:] if kind == "config"]
    if open_at_end:
        problems.append(
            f"the configuration ends inside 'config {open_at_end[-1]}' (after line {count}): it is truncated"
        )
    return Tree(root=root, header=header, problems=problems, open_at_end=open_at_end, lines=count)


def parse_header(lines: list[str]) -> dict[str, str]:
    """``# Key: value`` lines (Oxidized's copy of ``get system status``) as a dict; also bare ``Key: value``."""
    out: dict[str, str] = {}
    for line in lines:
        text = line.lstrip("#").strip()
        if text.startswith("config-version="):
            out.setdefault("config-version", text.split("=", 1)[1])
            continue
        if ":" not in text:
            continue
        key, _, value = text.partition(":")
        key = key.strip()
        if key and key not in out and len(key) < 60:
            out[key] = value.strip()
    return out
