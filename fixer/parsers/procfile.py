"""Procfiles: one `process: command` a line."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixer.parsers.text import normalize_text


@dataclass
class ProcfileEntry:
    process: str
    command: str
    line: int


_PROCFILE_RE = re.compile(r"^([A-Za-z0-9_-]+)\s*:(.*)$")


def parse_procfile(text: str) -> tuple[list[ProcfileEntry], list[str]]:
    """(entries, problems) of a Procfile."""
    entries: list[ProcfileEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(normalize_text(text).split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _PROCFILE_RE.match(line)
        if m is None:
            problems.append(f"line {number}: expected 'process: command', got {line!r}")
            continue
        process, command = m.group(1), m.group(2).strip()
        if not command:
            problems.append(f"line {number}: process {process!r} has no command")
            continue
        if process in seen:
            problems.append(
                f"line {number}: process {process!r} is already defined on line {seen[process]}"
            )
        seen.setdefault(process, number)
        entries.append(ProcfileEntry(process, command, number))
    return entries, problems
