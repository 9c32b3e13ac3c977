"""The `djfix` command line. One error boundary turns DjfixError into a message and exit code.

The commands import the pipeline (discovery, the renderers, the fix plan and its codemods, the
runner, the forge clients) when they run, not here: `djfix --help`, `--version`, `rules` and
`explain` then start in about 0.13 s instead of 0.34 s.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from fixer import __version__, progress
from fixer.checks import ITEM_TITLES, all_rules, run_checks
from fixer.cli_apply import apply
from fixer.cli_options import (
    CheckFormat,
    CheckPythonOpt,
    DebugOpt,
    IgnoreOpt,
    ListFormat,
    ManageOpt,
    PathArg,
    SelectOpt,
    SettingsOpt,
    VerifyFormat,
    boundary,
    err,
    load_project,
    selection_from,
    split_values,
)
from fixer.config import effective_options
from fixer.errors import EXIT_CLEAN, EXIT_FAILED, EXIT_FINDINGS, UsageError

app = typer.Typer(
    name="djfix",
    help="Make an existing Django repository deploy-ready: find every gap against the deploy "
    "checklist, fix it, and prove it.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


@app.command()
def check(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(
            metavar="PATH",
            help="The repository to check (default: the current directory); with --files, the "
            "files whose findings to show.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", metavar="[text|json|sarif|github]", help="The report's format."),
    ] = CheckFormat.text,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SettingsOpt = None,
    manage: ManageOpt = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to this file, not stdout."
        ),
    ] = None,
    python: CheckPythonOpt = None,
    files: Annotated[
        bool,
        typer.Option(
            "--files",
            help="Check the project in the current directory and show only the findings in the "
            "files given as arguments (what a pre-commit hook passes).",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print the findings and nothing else (text format)."),
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
    ] = False,
    show_statistics: Annotated[
        bool,
        typer.Option(
            "--statistics",
            help="Print how many findings each rule reported instead of the findings "
            "(text or json).",
        ),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Report every gap between the repository and the deploy checklist. Changes nothing.

    Paths in every format are relative to the repository root (the git top level). Exit status: 0
    no findings, 1 findings, 2 usage error, 3 djfix could not finish.
    """
    # the renderers load the project model and its parsers: only when a project is checked
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer import report

    with boundary(debug):
        if files:
            path, wanted = Path("."), _repository_paths(paths or [])
        elif len(paths or []) > 1:
            raise UsageError("give one PATH, or --files FILE... for the findings in some files")
        else:
            path, wanted = (paths or [Path(".")])[0], None
        if show_statistics and output_format not in (CheckFormat.text, CheckFormat.json):
            raise UsageError("--statistics prints text or json")
        with progress.phase(f"checking {path}"):
            project, config = load_project(path, settings, manage)
            selection = selection_from(config, select, ignore)
            options = effective_options(config)
            options.pop("python", None)
            if python:  # `check` is static: Django runs only with an interpreter named here
                options["python"] = python
            fixes = None
            if output_format is CheckFormat.sarif and not show_statistics:
                result, fixes = _checked_with_fixes(project, selection, options, debug)
            else:
                result = run_checks(project, selection, options, debug=debug)
        found = result.findings
        if wanted is not None:
            prefix = report.repository_prefix(project.root)
            found = [f for f in found if f.path and prefix + f.path in set(wanted)]
        color = output is None and report.use_color(sys.stdout)
        if show_statistics:
            text = report.render_statistics(found, output_format.value)
        elif output_format is CheckFormat.text:
            text = report.render_text(project, result, color=color, quiet=quiet, files=wanted)
        elif output_format is CheckFormat.json:
            text = report.render_json(project, result, files=wanted)
        elif output_format is CheckFormat.sarif:
            text = report.render_sarif(project, result, files=wanted, fixes=fixes)
        else:
            text = report.render_github(project, result, files=wanted)
        if output is not None:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"--output {output}: {exc.strerror or exc}") from exc
        else:
            typer.echo(text, nl=False, color=color)
        for error in result.internal_errors:
            err(f"internal error in {error}; run again with --debug for the traceback")
    if result.internal_errors:
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_FINDINGS if found and not exit_zero else EXIT_CLEAN)


def _checked_with_fixes(project, selection, options, debug: bool):
    """The check run and, for SARIF, the fixes djfix's plan makes (nothing is written). A plan
    that fails leaves the fixes out, with a note, and the findings are still reported."""
    # the fix plan loads every codemod: only for a SARIF report
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer import report
    from fixer.apply import plan

    try:
        applied = plan(project, selection, options)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err(f"the SARIF report has no fixes: planning them failed ({type(exc).__name__}: {exc})")
        return run_checks(project, selection, options, debug=debug), None
    return applied.before, report.sarif_fixes(applied, report.repository_prefix(project.root))


def _repository_paths(files: list[Path]) -> list[str]:
    """`files` (from the current directory) as paths from the repository root."""
    # lazy: see check()
    from fixer import report

    top = report.repository_root(Path("."))
    out = []
    for file in files:
        try:
            out.append(Path(os.path.abspath(file)).resolve().relative_to(top).as_posix())
        except ValueError:
            continue  # outside the repository: no finding can be in it
    return out


@app.command()
def rules(
    output_format: Annotated[
        ListFormat, typer.Option("--format", metavar="[text|json]", help="text or json.")
    ] = ListFormat.text,
) -> None:
    """List every rule: code, name, checklist item, severity, fix availability, summary."""
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
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="A rule code such as DJ110, or its name.")
    ],
) -> None:
    """Print a rule's documentation."""
    wanted = code.strip()
    found = next(
        (r for r in all_rules() if r.code == wanted.upper() or r.name == wanted.lower()), None
    )
    if found is None:
        err(f"no rule {code!r}; `djfix rules` lists them")
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


app.command()(apply)


@app.command()
def verify(
    path: PathArg = Path("."),
    python: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--python", help="The project's interpreter (it must import Django)."),
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="Make (or reuse) a cached virtualenv from the project's dependency files, on "
            "an interpreter its Django supports, and run with it.",
        ),
    ] = False,
    database_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--database-url",
            help="A PostgreSQL or MySQL server on this machine (postgres://user@127.0.0.1/name "
            "or mysql://...) instead of an SQLite file; step 6 needs one. The run creates a new, "
            "empty database there and drops it at its end (the user needs the right to create "
            "databases; without it the run uses NAME as it is, and says so).",
        ),
    ] = None,
    image: Annotated[
        bool, typer.Option("--image", help="Also build the images and boot the api image.")
    ] = False,
    build_arg: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--build-arg", help="NAME=VALUE passed to the image builds (--image), repeatable."
        ),
    ] = None,
    steps: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--step", help="Only these step numbers (1-8, comma-separated)."),
    ] = None,
    output_format: Annotated[
        VerifyFormat, typer.Option("--format", help="text or json.")
    ] = VerifyFormat.text,
    settings: SettingsOpt = None,
    manage: ManageOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Run the project for real and report each step: check --deploy, migrations, the app
    server on an empty database, migrate, pages with the other services down, the database down,
    collectstatic, and (--image) the images.

    Runs from a temporary copy with only the variables the settings read; never reads .env,
    never touches your databases (with --database-url, each run has a new database on that
    server, dropped at its end), only talks to 127.0.0.1.

    Exit status: 0 every step that ran passed, 1 a step failed, 2 usage error, 3 djfix could
    not finish.
    """
    # lazy: the runner: only when a project is run
    from fixer import verify as verifying

    with boundary(debug):
        only: set[int] | None = None
        if steps:
            try:
                only = {int(v) for v in split_values(steps)}
            except ValueError:
                raise UsageError("--step takes step numbers 1-8, e.g. --step 1,2,3") from None
            if not only or not only <= set(range(1, 9)):
                raise UsageError("--step takes step numbers 1-8, e.g. --step 1,2,3")
        if not path.is_dir():
            raise UsageError(f"{path}: not a directory")
        build_args: dict[str, str] = {}
        for item in build_arg or []:
            name, eq, value = item.partition("=")
            if not eq or not name:
                raise UsageError(f"--build-arg {item}: give NAME=VALUE")
            build_args[name] = value
        if python and install:
            raise UsageError("--python and --install: give one of them")
        if not python and not install:
            raise UsageError(
                "verify runs the project with its own interpreter: name one that imports the "
                "project's Django with --python PATH, or pass --install to make a cached "
                "virtualenv from the project's dependency files"
            )
        if install:
            # lazy: heavy, and only for --install
            from fixer.verify_install import install_environment

            python, messages = install_environment(path, settings=settings, manage=manage)
            for message in messages:
                err(message)
        with progress.status(f"verifying {path}") as show:
            result = verifying.verify_project(
                path,
                python=python,
                database_url=database_url,
                image=image,
                only=only,
                settings=settings,
                manage=manage,
                build_args=build_args,
                on_step=lambda number, name: show(f"verify step {number}: {name}"),
            )
        if output_format is VerifyFormat.json:
            typer.echo(verifying.render_json(result), nl=False)
        else:
            typer.echo(verifying.render_table(result, color=sys.stdout.isatty()), nl=False)
    raise typer.Exit(EXIT_CLEAN if result.ok() else EXIT_FINDINGS)


def _interrupted(signum: int, frame: object) -> None:
    # Ctrl-C: one line and exit status 130, whatever was running (a write in progress defers
    # the signal until the tree is whole; a subprocess is killed by the unwinding)
    sys.stderr.write("djfix: interrupted\n")
    sys.stderr.flush()
    raise SystemExit(130)


def install_interrupt_handler() -> None:
    signal.signal(signal.SIGINT, _interrupted)


#: the cyclic collector's thresholds for a run (Python's: 700, 10, 10). A run builds trees of
#: hundreds of thousands of nodes (ASTs, LibCST modules) that hold no reference cycles and are
#: freed by reference counting; each young collection walks every one of them still young,
#: which took about a fifteenth of an `apply` on a large repository (200 collections). With
#: these, that apply makes none, a longer run one every half a million objects it keeps; what
#: little cyclic garbage there is waits for them (the peak memory moved by 1 MB).
COLLECTOR_THRESHOLDS = (500_000, 30, 30)


def main() -> None:
    """Console-script entry point."""
    install_interrupt_handler()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        app()
    except KeyboardInterrupt:
        err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
