"""Declare runtime packages (django-environ, django-redis, gunicorn, ...) in the dependency file
the project already uses, written in that file's own style.

Pure text -> text. `add_packages(kind, text, packages)` returns the new text, the packages it
added, the ones already declared (under any spelling), what the user must still do (lock,
compile), and the packages it could not add with the reason, as data (`not_added`: a file pinned
with hashes djfix does not know). Edits are insertions of new lines or items next to the
existing ones (plus the comma a list needs before a new last item, and a one-line setup.cfg
value opened into a list): comments, quotes, indentation, trailing commas, sorted order, line
endings and the newline at the end of the file stay as the author wrote them, and a second run
adds nothing. A file that cannot be edited safely (invalid TOML, a computed `install_requires`)
comes back unchanged with a note saying why; nothing here raises on bad input.

Each format has its module beside this one; `versions.packages_for` picks the versions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from codemods.dependencies.pipfile import add_pipfile
from codemods.dependencies.pyproject import add_dependency_group, add_pep621, add_poetry
from codemods.dependencies.requirement import Package, Result
from codemods.dependencies.requirements_txt import add_requirements
from codemods.dependencies.setup_cfg import add_setup_cfg
from codemods.dependencies.setup_py import add_setup_py

KINDS = (
    "requirements",
    "pip-tools",
    "pep621",
    "pep735",
    "uv",
    "poetry",
    "pipfile",
    "setup.py",
    "setup.cfg",
)

_DEFAULT_FILE = {
    "requirements": "requirements.txt",
    "pip-tools": "requirements.in",
    "pep621": "pyproject.toml",
    "pep735": "pyproject.toml",
    "uv": "pyproject.toml",
    "poetry": "pyproject.toml",
    "pipfile": "Pipfile",
    "setup.py": "setup.py",
    "setup.cfg": "setup.cfg",
}


#: the last answers of add_packages, by its arguments: an apply asks the same question once for
#: the plan and again for the commit of each item after the one that needs the package
_ANSWERS: dict[tuple[Any, ...], Result] = {}
_ANSWERS_KEPT = 8


def add_packages(
    kind: str,
    text: str,
    packages: list[Package],
    *,
    path: str = "",
    hashes: bool = False,
    locked: bool = True,
) -> Result:
    """Declare `packages` in a dependency file of `kind` (see KINDS), in the file's own style.

    Returns the new text, what was added, what was already declared, what could not be added
    and why (`not_added`), and notes: the command to run next (`uv lock`, `pip-compile ...`),
    or why the file was left unchanged. `hashes`: a pip-tools input compiled with
    --generate-hashes. `locked`: the project has the lock file (Pipfile.lock, poetry.lock) a
    note would tell to update; without one, no such note.
    """
    key = (kind, text, tuple(packages), path, hashes, locked)
    answer = _ANSWERS.get(key)
    if answer is None:
        answer = _add_packages(kind, text, packages, path, hashes=hashes, locked=locked)
        if len(_ANSWERS) >= _ANSWERS_KEPT:
            del _ANSWERS[next(iter(_ANSWERS))]
        _ANSWERS[key] = answer
    # the caller's own lists: the answer kept here stays as it was made
    return dataclasses.replace(
        answer,
        added=list(answer.added),
        already=list(answer.already),
        notes=list(answer.notes),
        not_added=list(answer.not_added),
    )


def _add_packages(
    kind: str, text: str, packages: list[Package], path: str, *, hashes: bool, locked: bool
) -> Result:
    label = path or _DEFAULT_FILE.get(kind, "the dependency file")
    if kind in ("requirements", "pip-tools"):
        return add_requirements(kind, text, packages, label, hashes=hashes)
    if kind in ("pep621", "uv"):
        return add_pep621(text, packages, label, kind)
    if kind == "pep735":
        return add_dependency_group(text, packages, label)
    if kind == "poetry":
        return add_poetry(text, packages, label, locked=locked)
    if kind == "pipfile":
        return add_pipfile(text, packages, label, locked=locked)
    if kind == "setup.py":
        return add_setup_py(text, packages, label)
    if kind == "setup.cfg":
        return add_setup_cfg(text, packages, label)
    return Result(text, notes=[f"unknown dependency file kind {kind!r}: nothing added"])
