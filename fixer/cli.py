"""The `djfix` command line. One error boundary turns DjfixError into a message and exit code."""

from __future__ import annotations

import contextlib
import enum
import json
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from fixer import __version__
from fixer.errors import EXIT_CLEAN, EXIT_FAILED, EXIT_FINDINGS, DjfixError, UsageError

app = typer.Typer(
    name="djfix",
    help="Make an existing Django repository deploy-ready: find every gap against the deploy "
    "checklist, fix it, and prove it.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CheckFormat(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class ListFormat(str, enum.Enum):
    text = "text"
    json = "json"


def _err(message: str) -> None:
    typer.echo(f"djfix: {message}", err=True)


@contextlib.contextmanager
def _boundary(debug: bool) -> Iterator[None]:
    try:
        yield
    except DjfixError as exc:
        if debug:
            traceback.print_exc()
        _err(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _err(
            f"internal error: {type(exc).__name__}: {exc}. This is a djfix bug; "
            "run again with --debug for the traceback and report it."
        )
        raise typer.Exit(EXIT_FAILED) from None


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _version(value: bool) -> None:
    if value:
        typer.echo(f"djfix {__version__}")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer reads the annotation at run time on 3.10
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """djfix: deploy-ready Django."""


PathArg = Annotated[
    Path,
    typer.Argument(help="The repository to check (default: the current directory)."),
]
SelectOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--select",
        help="Only these rule codes, names or checklist item numbers (comma-separated).",
    ),
]
IgnoreOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--ignore", help="Leave out these rule codes, names or item numbers."),
]
SettingsOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--settings", help="The settings module to read (e.g. config.settings.prod)."),
]
ManageOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--manage", help="The path of manage.py when the repository has several."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]


def load_project(path: Path, settings: str | None, manage: str | None):
    """Discover the project at `path` with `[tool.djfix]` and the command line combined."""
    from fixer.config import load_config
    from fixer.project import discover

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
    from fixer.checks import Selection, resolve_selection

    chosen = _split(select) or (config.select if config and config.select else None)
    ignored = [*(config.ignore if config else []), *_split(ignore)]
    return Selection(
        select=resolve_selection(chosen, "--select") if chosen else None,
        ignore=resolve_selection(ignored, "--ignore"),
    )


@app.command()
def check(
    path: PathArg = Path("."),
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="How to print the findings.")
    ] = CheckFormat.text,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SettingsOpt = None,
    manage: ManageOpt = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Report every gap between the repository and the deploy checklist. Changes nothing.

    Exit status: 0 no findings, 1 findings, 2 usage error, 3 djfix could not finish.
    """
    from fixer import report
    from fixer.checks import run_checks
    from fixer.config import effective_options

    with _boundary(debug):
        project, config = load_project(path, settings, manage)
        selection = selection_from(config, select, ignore)
        options = effective_options(config) if config else effective_options_default()
        result = run_checks(project, selection, options, debug=debug)
        if output_format is CheckFormat.text:
            color = output is None and sys.stdout.isatty()
            text = report.render_text(project, result, color=color)
        elif output_format is CheckFormat.json:
            text = report.render_json(project, result)
        elif output_format is CheckFormat.sarif:
            text = report.render_sarif(project, result)
        else:
            text = report.render_github(project, result)
        if output is not None:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"--output {output}: {exc.strerror or exc}") from exc
        else:
            typer.echo(text, nl=False)
        for error in result.internal_errors:
            _err(f"internal error in {error}; run again with --debug for the traceback")
    if result.internal_errors:
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)


def effective_options_default():
    from fixer.config import Config, effective_options

    return effective_options(Config())


@app.command()
def rules(
    output_format: Annotated[
        ListFormat, typer.Option("--format", help="text or json.")
    ] = ListFormat.text,
) -> None:
    """List every rule: code, name, checklist item, severity, fix availability, summary."""
    from fixer.checks import all_rules

    all_ = all_rules()
    if output_format is ListFormat.json:
        typer.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "item": r.item,
                        "severity": r.severity.value,
                        "fix": r.fix.value,
                        "summary": r.summary,
                    }
                    for r in all_
                ],
                indent=2,
            )
        )
        return
    width = max(len(r.name) for r in all_)
    typer.echo(f"{'code':<6} {'name':<{width}} {'item':>4}  {'severity':<8} {'fix':<6} summary")
    for r in all_:
        item = str(r.item) if r.item is not None else "-"
        typer.echo(
            f"{r.code:<6} {r.name:<{width}} {item:>4}  {r.severity.value:<8} "
            f"{r.fix.value:<6} {r.summary}"
        )


@app.command()
def explain(
    code: Annotated[str, typer.Argument(help="A rule code such as DJ110, or its name.")],
) -> None:
    """Print a rule's documentation."""
    from fixer.checks import ITEM_TITLES, all_rules

    wanted = code.strip()
    found = next(
        (r for r in all_rules() if r.code == wanted.upper() or r.name == wanted.lower()), None
    )
    if found is None:
        _err(f"no rule {code!r}; `djfix rules` lists them")
        raise typer.Exit(2)
    item = (
        f"checklist item {found.item}: {ITEM_TITLES[found.item]}"
        if found.item
        else "beyond the checklist"
    )
    fix = found.fix.value + (f" ({found.fix_reason})" if found.fix_reason else "")
    typer.echo(f"{found.code} {found.name}\n")
    typer.echo(f"{found.summary}\n")
    typer.echo(f"  {item}\n  severity: {found.severity.value}\n  fix: {fix}\n")
    typer.echo(found.doc)


@app.command()
def apply(
    path: PathArg = Path("."),
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the diff (it applies with `git apply`); write nothing."
        ),
    ] = False,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SettingsOpt = None,
    manage: ManageOpt = None,
    no_branch: Annotated[
        bool,
        typer.Option("--no-branch", help="Write into the work tree; make no branch or commit."),
    ] = False,
    allow_dirty: Annotated[
        bool,
        typer.Option("--allow-dirty", help="Run even when tracked files have uncommitted changes."),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Fix every gap djfix can fix, check the result again, and write all files at once.

    Exit status: 0 nothing left to do, 1 changes pending (--dry-run) or findings still open,
    2 usage error, 3 djfix could not finish.
    """
    from fixer import git, report
    from fixer.apply import plan, write
    from fixer.config import effective_options

    with _boundary(debug):
        project, config = load_project(path, settings, manage)
        selection = selection_from(config, select, ignore)
        options = effective_options(config) if config else effective_options_default()
        if not dry_run and not allow_dirty and git.is_repository(project.root):
            dirty = git.dirty_paths(project.root)
            if dirty:
                listing = "\n".join(f"  {p}" for p in dirty[:20])
                more = f"\n  ... and {len(dirty) - 20} more" if len(dirty) > 20 else ""
                raise UsageError(
                    f"the work tree has uncommitted changes, which djfix could mix with its own:"
                    f"\n{listing}{more}\ncommit or stash them, or pass --allow-dirty"
                )
        result = plan(project, selection, options)
        color = sys.stderr.isatty() if dry_run else sys.stdout.isatty()
        if dry_run:
            typer.echo(result.changeset.diff(), nl=False)
            typer.echo(
                report.render_apply_summary(result, written=False, color=color), err=True, nl=False
            )
            pending = bool(result.changeset)
        else:
            write(result)
            typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
            pending = bool(result.after.findings)
    raise typer.Exit(EXIT_FINDINGS if pending else EXIT_CLEAN)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
