"""Pipfile: the `[packages]` table, in the version style it already uses."""

from __future__ import annotations

from collections import Counter
from typing import Any

from codemods.dependencies.requirement import Package, Result, joined_names
from codemods.dependencies.toml_edit import (
    add_to_table,
    constraint_class,
    parse_toml,
    render_mapping,
    table_versions,
)


def _pipfile_style(table: dict[str, Any]) -> str:
    versions = table_versions(table)
    classes = Counter(constraint_class(v) for v in versions)
    classes[">="] += classes.pop("^", 0) + classes.pop("~", 0)
    if not versions or classes["*"] * 2 > len(versions):
        return "*"
    best = max((">=", "==", "~="), key=lambda kind: classes[kind])
    return best if classes[best] else "*"


def add_pipfile(text: str, packages: list[Package], label: str, *, locked: bool = True) -> Result:
    """Declare `packages` in the Pipfile's [packages] table; where the project has a
    Pipfile.lock, the note says to re-lock."""
    parsed = parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    table = data.get("packages")
    if not isinstance(table, dict):
        return Result(
            text, notes=[f"{label} has no [packages] table: add {joined_names(packages)} by hand"]
        )
    result = add_to_table(
        text, data, layout, ("packages",), packages, label, render_mapping, _pipfile_style(table)
    )
    if result.added and locked:
        result.notes.append(
            "Pipfile.lock is now stale: run `pipenv lock` and commit Pipfile.lock (an install "
            "from the lock leaves the new packages out)"
        )
    return result
