"""What the `djfix` commands share: the output formats, the options several commands take, the
one error boundary, and loading the project with `[tool.djfix]` and the command line combined."""

from __future__ import annotations

import contextlib
import enum
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from fixer.checks import Selection, resolve_selection
from fixer.config import load_config
from fixer.errors import EXIT_FAILED, DjfixError, UsageError
from fixer.redaction import mask_text


class CheckFormat(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class Provider(str, enum.Enum):
    github = "github"
    gitlab = "gitlab"


class ListFormat(str, enum.Enum):
    text = "text"
    json = "json"


class VerifyFormat(str, enum.Enum):
    text = "text"
    json = "json"


def err(message: str) -> None:
    """A message on stderr, masked: djfix's one way to tell the user something went wrong."""
    typer.echo(f"djfix: {mask_text(message)}", err=True)


@contextlib.contextmanager
def boundary(debug: bool) -> Iterator[None]:
    """The one error boundary: a DjfixError becomes its message and exit code, anything else
    an internal error (exit 3); tracebacks only with --debug."""
    try:
        yield
    except DjfixError as exc:
        if debug:
            traceback.print_exc()
        err(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err(
            f"internal error: {type(exc).__name__}: {exc}. This is a djfix bug; "
            "run again with --debug for the traceback and report it."
        )
        raise typer.Exit(EXIT_FAILED) from None


def split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, as one list."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


PathArg = Annotated[
    Path,
    typer.Argument(
        metavar="PATH",
        help="The repository (default: the current directory).",
        show_default=False,
    ),
]
SelectOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--select",
        metavar="CODES",
        help="Only these rule codes, names or checklist item numbers (comma-separated).",
    ),
]
IgnoreOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--ignore", metavar="CODES", help="Leave out these rule codes, names or item numbers."
    ),
]
SettingsOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--settings",
        metavar="MODULE",
        help="The settings module to read (e.g. config.settings.prod).",
    ),
]
ManageOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--manage", metavar="PATH", help="The path of manage.py when the repository has several."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]
PythonOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--python",
        metavar="PYTHON",
        help="The interpreter that runs the project's Django for the migration checks "
        "(default: the python on PATH, when it can import Django; 'none' to skip them).",
    ),
]
CheckPythonOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--python",
        help="Run the project's Django with this interpreter for the migration checks that need "
        "it. Without it `check` runs nothing of the repository (those checks say 'not verified').",
    ),
]


def load_project(path: Path, settings: str | None, manage: str | None):
    """Discover the project at `path` with `[tool.djfix]` and the command line combined."""
    # discovery loads the parsers: only the commands that read a project pay for it
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer.discovery import discover

    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    config = load_config(path) if path.is_dir() else None
    project = discover(
        path,
        settings=settings or (config.settings if config else None),
        manage=manage or (config.manage if config else None),
    )
    return project, config


def selection_from(config, select: list[str] | None, ignore: list[str] | None):
    chosen = split_values(select) or (config.select if config and config.select else None)
    ignored = [*(config.ignore if config else []), *split_values(ignore)]
    return Selection(
        select=resolve_selection(chosen, "--select") if chosen else None,
        ignore=resolve_selection(ignored, "--ignore"),
    )
