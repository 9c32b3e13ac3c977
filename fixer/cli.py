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
from fixer.deep_stack import call_deep
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


class Provider(str, enum.Enum):
    github = "github"
    gitlab = "gitlab"


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
PythonOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--python",
        help="The interpreter that runs the project's Django for the migration checks "
        "(default: the python on PATH, when it can import Django; 'none' to skip them).",
    ),
]


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
    python: PythonOpt = None,
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
        options = effective_options(config)
        options["python"] = python
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
    python: PythonOpt = None,
    branch: Annotated[
        str, typer.Option("--branch", help="The branch djfix makes from HEAD.")
    ] = "djfix/deploy-ready",
    push: Annotated[bool, typer.Option("--push", help="Push the branch to --remote.")] = False,
    remote: Annotated[
        str, typer.Option("--remote", help="The remote --push pushes to.")
    ] = "origin",
    stay: Annotated[
        bool,
        typer.Option(
            "--stay", help="Keep the checkout on the current branch (default: end on the new one)."
        ),
    ] = False,
    pr: Annotated[
        bool,
        typer.Option(
            "--pr",
            help="Open or update a pull request (GitHub, token in GITHUB_TOKEN) or merge request "
            "(GitLab, GITLAB_TOKEN) for the branch; implies --push.",
        ),
    ] = False,
    base: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--base", help="The branch the pull request targets (default: the current)."),
    ] = None,
    provider: Annotated[
        Optional[Provider],  # noqa: UP045
        typer.Option("--provider", help="github or gitlab, when the remote's host does not say."),
    ] = None,
    api_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--api-url",
            help="The API root of a self-hosted server (https://git.example.com/api/v4).",
        ),
    ] = None,
    repos: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--repos",
            help="A file of clone URLs or paths, one a line: fix each in a fresh clone, "
            "several at once.",
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=32, help="Repositories at once (--repos).")
    ] = 4,
    workdir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--workdir", help="Keep the --repos clones here (default: removed)."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Fix every gap djfix can fix, check the result again, and hand the change over.

    In a git repository the fixes become the branch djfix/deploy-ready (--branch), one commit
    per checklist item, made from HEAD without touching the current branch; --no-branch writes
    the files into the work tree instead, all at once; --dry-run prints the diff.

    Exit status: 0 nothing left to do, 1 changes pending (--dry-run) or findings still open,
    2 usage error, 3 djfix could not finish.
    """
    from fixer import git, report
    from fixer.apply import plan, write
    from fixer.config import effective_options

    with _boundary(debug):
        if pr and (dry_run or no_branch):
            raise UsageError("--pr needs the branch: not with --dry-run or --no-branch")
        if repos is not None:
            if path != Path("."):
                raise UsageError("--repos FILE and PATH: give one of them")
            raise typer.Exit(
                _apply_many(
                    repos,
                    jobs,
                    workdir,
                    select=select,
                    ignore=ignore,
                    settings=settings,
                    manage=manage,
                    python=python,
                    branch=branch,
                    push=push or pr,
                    remote=remote,
                    pr=pr,
                    base=base,
                    provider=provider.value if provider else None,
                    api_url=api_url,
                )
            )
        project, config = load_project(path, settings, manage)
        selection = selection_from(config, select, ignore)
        options = effective_options(config)
        options["python"] = python
        if not dry_run and not allow_dirty and git.is_repository(project.root):
            dirty = git.dirty_paths(project.root)
            if dirty:
                listing = "\n".join(f"  {p}" for p in dirty[:20])
                more = f"\n  ... and {len(dirty) - 20} more" if len(dirty) > 20 else ""
                raise UsageError(
                    f"the work tree has uncommitted changes, which djfix could mix with its own:"
                    f"\n{listing}{more}\ncommit or stash them, or pass --allow-dirty"
                )
        # deep trees (a long `+` chain, hundreds of `elif`) need more than the default stack
        result = call_deep(plan, project, selection, options)
        from fixer import formatting, handover

        color = sys.stderr.isatty() if dry_run else sys.stdout.isatty()
        if dry_run:
            fmt = formatting.format_changeset(result.changeset, project.root)
            typer.echo(result.changeset.diff(), nl=False)
            summary = report.render_apply_summary(result, written=False, color=color)
            typer.echo(summary, err=True, nl=False)
            for note in fmt.notes:
                typer.echo(f"Note: {note}", err=True)
            pending = bool(result.changeset)
        elif no_branch or not git.is_repository(project.root):
            fmt = formatting.format_changeset(result.changeset, project.root)
            write(result)
            typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
            for note in fmt.notes:
                typer.echo(f"Note: {note}")
            if not no_branch:
                typer.echo("Note: not a git repository: the files were written, no branch made")
            pending = bool(result.after.findings)
        else:
            try:
                delivery = handover.deliver(
                    result, branch=branch, push=remote if (push or pr) else None, stay=stay
                )
            except handover.PushError as exc:
                typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
                typer.echo(exc.delivery.render(), nl=False)
                raise
            typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
            typer.echo(delivery.render(), nl=False)
            if pr:
                _open_pr(result, delivery, remote, base, provider, api_url)
            pending = bool(result.after.findings)
    raise typer.Exit(EXIT_FINDINGS if pending else EXIT_CLEAN)


def _open_pr(result, delivery, remote, base, provider, api_url) -> None:
    from fixer import pr as pull_requests

    try:
        opened = pull_requests.propose(
            result,
            delivery,
            remote=remote,
            base=base,
            provider=provider.value if provider else None,
            api_url=api_url,
        )
    except DjfixError as exc:
        raise type(exc)(
            f"{exc}\nthe branch {delivery.branch} is pushed to {remote}: run again to open the "
            "pull request"
        ) from None
    if opened is None:
        typer.echo("No pull request: djfix made no branch (nothing to commit).")
    else:
        verb = "opened" if opened.created else "updated"
        typer.echo(f"Pull request {verb}: {opened.url}")


def _apply_many(repos: Path, jobs: int, workdir: Path | None, **opts) -> int:
    """`apply --repos FILE`: every repository in a fresh clone, one process each at a time;
    returns the exit status."""
    import functools

    from fixer import many

    if not opts["push"] and workdir is None:
        raise UsageError(
            "--repos works in fresh clones: add --push or --pr to hand the branches over, or "
            "--workdir DIR to keep the clones"
        )
    # a bad --select fails once, here, rather than once per repository
    selection_from(None, opts["select"], opts["ignore"])
    worker = functools.partial(_apply_in_clone, opts)
    outcomes = many.run_many(repos, worker, jobs, workdir=workdir, processes=True)
    typer.echo(many.render_table(outcomes), nl=False)
    return many.exit_code(outcomes)


def _apply_in_clone(opts: dict, checkout):
    """The apply pipeline in one clone of `--repos`; runs in a pool process (module level, so
    it can be sent there)."""
    from fixer import handover, many
    from fixer import pr as pull_requests
    from fixer.apply import plan
    from fixer.config import effective_options

    project, config = load_project(checkout.path, opts["settings"], opts["manage"])
    selection = selection_from(config, opts["select"], opts["ignore"])
    options = effective_options(config)
    options["python"] = opts["python"]
    result = call_deep(plan, project, selection, options)
    delivery = handover.deliver(
        result,
        branch=opts["branch"],
        push=opts["remote"] if opts["push"] else None,
        stay=True,
    )
    opened = None
    if opts["pr"]:
        opened = pull_requests.propose(
            result,
            delivery,
            remote=opts["remote"],
            base=opts["base"],
            provider=opts["provider"],
            api_url=opts["api_url"],
        )
    status = {
        "created": "branch created",
        "updated": "branch updated",
        "unchanged": "branch unchanged",
        "nothing": "nothing to fix",
    }.get(delivery.state, delivery.state)
    if delivery.pushed:
        status += ", pushed"
    return many.RepoResult(
        status,
        sum(1 for s in result.items if s.status in ("fixed", "partly fixed")),
        opened.url if opened else None,
        EXIT_FINDINGS if result.after.findings else EXIT_CLEAN,
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
