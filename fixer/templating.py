"""Jinja2 rendering of the files djfix generates, from the `templates/` tree."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

import jinja2


def templates_dir() -> Path:
    """`templates/` inside the installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("djfix's templates/ folder is missing from the installation")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def compile_all(leave_out: Collection[str] = ()) -> None:
    """Compile every template but those in `leave_out` now rather than on first render (see
    `fixer.apply.preload`)."""
    env = environment()
    for name in env.list_templates(extensions=["jinja"]):
        if name not in leave_out:
            env.get_template(name)
