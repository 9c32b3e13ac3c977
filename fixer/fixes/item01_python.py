"""The Python of the image djfix generates (item 1): the one the project names or its old image
ran, else the one `djfix verify` ran the project with (`--python`, or the interpreter
`--install` chose), where an official slim bookworm image has it and the project's Django
release supports it (fixer.python_support); else the newest its Django supports. The image then
runs the Python that was verified, and the pins chosen for it install there."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from fixer.analysis.code_python import code_python
from fixer.analysis.image import app_dockerfile, image_python
from fixer.django_runner import interpreter_version
from fixer.project import ProjectModel
from fixer.python_support import allows, django_pythons, dotted_version, first_release_for

#: the newest Python a generated image gets when the project names none: the newest djfix's
#: images are tested on, and whose wheels the older pins of a legacy project are likeliest to have
DEFAULT_PYTHON = "3.12"
#: Python versions with an official -slim-bookworm image
BOOKWORM = ("3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
#: how the interpreter verification runs (`--python`, or the one `--install` made) is named
VERIFIED = "the Python the project is verified with"


@dataclass(frozen=True)
class PythonChoice:
    version: str  # X.Y
    notes: list[str]
    #: the Python verification ran, which the project's files do not name: the Dockerfile says so
    verified: bool = False


def python_choice(project: ProjectModel, python: object = None) -> tuple[str, list[str]]:
    """(X.Y of the image's Python, notes): `choose_python`'s."""
    choice = choose_python(project, python)
    return choice.version, choice.notes


def choose_python(project: ProjectModel, python: object = None) -> PythonChoice:
    """The image's Python. The project's Python (runtime.txt, .python-version,
    requires-python, Pipfile), else the old image's `python:X.Y` tag, else the Python of
    `python` (the interpreter verification runs: apply's `--python`), where an official slim
    bookworm image exists for it and the project's Django supports it; else the newest Python
    with such an image its Django supports, up to the one the project named (passed over),
    else up to DEFAULT_PYTHON. The notes say why a Python the project names was passed over,
    and when the verified one was taken."""
    django = project.django_pin or project.django_version
    supported = django_pythons(django)
    label = f"Django {dotted_version(django)}" if django else "its Django"
    passed: list[str] = []
    named: list[tuple[int, int]] = []
    verified = verified_python(python)
    # a range (`requires-python = ">=3.8"`) names the oldest Python the project allows: the old
    # image's Python comes first then, and the range's oldest only as the code can run on it
    if project.python_spec:
        named_first = [*_old_image_python(project), project_python(project)]
    else:
        named_first = [project_python(project), *_old_image_python(project)]
    for found, source in (*named_first, (verified, VERIFIED)):
        version = _minor(found)
        if version is None:
            continue
        text = dotted_version(version)
        named.append(version)
        if text not in BOOKWORM:
            passed.append(f"{source} names Python {text}, which has no official slim image")
        elif not allows(project.python_spec, version):
            passed.append(
                f"{source} names Python {text}, which {project.python_version_source} does not "
                f"allow ({project.python_spec})"
            )
        elif supported is not None and version not in supported:
            passed.append(
                f"{source} names Python {text}, which {label} does not support "
                f"(it supports {supported}){_upgrade_hint(django, version)}"
            )
        elif source == VERIFIED:
            chosen = f"the image uses Python {text}, {VERIFIED}"
            if not passed:
                chosen += " (the project names no Python)"
            return PythonChoice(text, ["; ".join([*passed, chosen])], verified=True)
        else:
            return PythonChoice(text, [])
    images = [v for v in map(_minor, BOOKWORM) if v is not None and allows(project.python_spec, v)]
    if supported is not None:
        fits = [v for v in images if v in supported]
    elif django is not None:
        fits = []  # a Django older than the table ran on Pythons no slim image has
    else:
        fits = images
    # the nearest below the Python the project named, else below the default
    cap = max(named) if named else (_minor(DEFAULT_PYTHON) or (3, 12))
    below = [v for v in fits if v <= cap]
    chosen = max(below) if below else (min(fits) if fits else images[0])
    if fits and supported is None:
        why = "djfix's default"
    elif fits:
        why = f"the newest {label} supports"
        if chosen != max(fits):
            why += f" up to {dotted_version(cap)}"
    else:
        range_ = f" ({supported})" if supported is not None else ""
        why = f"the oldest official slim image: none has a Python {label} supports{range_}"
    notes = []
    if passed or not fits:
        notes.append("; ".join([*passed, f"the image uses Python {dotted_version(chosen)}, {why}"]))
    return PythonChoice(dotted_version(chosen), notes)


def project_python(project: ProjectModel) -> tuple[str | None, str]:
    """(X.Y, where it is named) of the Python the project's files name: for a range, its oldest
    Python, or the newer one the code needs (`fixer.analysis.code_python`), said so."""
    version, source = project.python_version, project.python_version_source
    if not project.python_spec or version is None:
        return version, source
    needed = code_python(project)
    floor = _minor(version)
    if needed is None or floor is None or needed[0] <= floor:
        return version, source
    return dotted_version(needed[0]), (
        f"{source} allows Python {project.python_spec}, and {needed[1]}, which needs "
        f"{dotted_version(needed[0])}"
    )


def verified_python(python: object) -> str | None:
    """X.Y of the interpreter verification runs (apply's `--python`), or None: none named, or
    it does not run."""
    if not isinstance(python, str) or not python or python.lower() == "none":
        return None
    return _interpreter_version(python)


@functools.lru_cache(maxsize=32)
def _interpreter_version(python: str) -> str | None:
    # several plans ask for the same interpreter's version: it is run once
    return interpreter_version(python)


def _minor(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(m[1]), int(m[2])) if m else None


def _upgrade_hint(django: tuple[int, ...] | None, python: tuple[int, int]) -> str:
    """`; Django 4.2.8 and later do`, where a later release of the same series supports it."""
    if django is None or len(django) < 3:
        return ""
    first = first_release_for((django[0], django[1]), python)
    return f"; Django {django[0]}.{django[1]}.{first} and later do" if first else ""


def _old_image_python(project: ProjectModel) -> list[tuple[str, str]]:
    """[(X.Y, where it is written)] of the old image's `python:X.Y...` base: the Python the app
    ran on (the root Dockerfile's, else one a compose service builds or beside manage.py)."""
    df = app_dockerfile(project)
    version = image_python(df) if df is not None else None
    return [(version, f"{df.path}'s base image")] if df is not None and version else []
