"""The `djfix` command line. One error boundary turns DjfixError into a message and exit code."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
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
    rich_markup_mode=None,
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
    from fixer.redaction import mask_text

    typer.echo(f"djfix: {mask_text(message)}", err=True)


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
    from fixer.config import load_config
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
    from fixer.checks import Selection, resolve_selection

    chosen = _split(select) or (config.select if config and config.select else None)
    ignored = [*(config.ignore if config else []), *_split(ignore)]
    return Selection(
        select=resolve_selection(chosen, "--select") if chosen else None,
        ignore=resolve_selection(ignored, "--ignore"),
    )


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
    from fixer import progress, report
    from fixer.checks import run_checks
    from fixer.config import effective_options

    with _boundary(debug):
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
            _err(f"internal error in {error}; run again with --debug for the traceback")
    if result.internal_errors:
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_FINDINGS if found and not exit_zero else EXIT_CLEAN)


def _checked_with_fixes(project, selection, options, debug: bool):
    """The check run and, for SARIF, the fixes djfix's plan makes (nothing is written). A plan
    that fails leaves the fixes out, with a note, and the findings are still reported."""
    from fixer import report
    from fixer.apply import plan
    from fixer.checks import run_checks

    try:
        applied = plan(project, selection, options)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _err(f"the SARIF report has no fixes: planning them failed ({type(exc).__name__}: {exc})")
        return run_checks(project, selection, options, debug=debug), None
    return applied.before, report.sarif_fixes(applied, report.repository_prefix(project.root))


def _repository_paths(files: list[Path]) -> list[str]:
    """`files` (from the current directory) as paths from the repository root."""
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
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="A rule code such as DJ110, or its name.")
    ],
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
    verify: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--verify/--no-verify",
            metavar="",
            help="Run the project before and after the change (djfix verify, in temporary "
            "copies) and leave out an item whose change breaks a step that passed before. "
            "Default: when an interpreter that can import Django is known (--python).",
            show_default=False,
        ),
    ] = None,
    verify_budget: Annotated[
        int,
        typer.Option(
            "--verify-budget",
            min=1,
            max=20,
            help="At most this many re-verifications to find the item that broke a step.",
        ),
    ] = 4,
    database_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--database-url",
            help="A database server for the verification runs (default: a throwaway SQLite file).",
        ),
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="Verify with a cached virtualenv made from the project's dependency files (as "
            "`djfix verify --install` makes it) instead of --python.",
        ),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Fix every gap djfix can fix, check the result again, and hand the change over.

    In a git repository the fixes become the branch djfix/deploy-ready (--branch), one commit
    per checklist item, made from HEAD without touching the current branch; --no-branch writes
    the files into the work tree instead, all at once; --dry-run prints the diff. With an
    interpreter, the project runs before and after the change first, and an item whose change
    breaks a step is left out.

    Exit status: 0 nothing left to do, 1 changes pending (--dry-run) or findings still open,
    2 usage error, 3 djfix could not finish.
    """
    from fixer import git, progress, report
    from fixer.apply import write
    from fixer.apply_verify import plan_verified
    from fixer.config import effective_options

    with _boundary(debug):
        if pr and (dry_run or no_branch):
            raise UsageError("--pr needs the branch: not with --dry-run or --no-branch")
        if install and repos is not None:
            raise UsageError("--install works on one project, not with --repos")
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
                    verify=verify,
                    verify_budget=verify_budget,
                    database_url=database_url,
                )
            )
        _recover_interrupted(path, dry_run)
        # a branch name git would refuse is refused before any work
        wants_branch = not (dry_run or no_branch) and path.is_dir()
        if wants_branch and git.is_repository(path) and not git.valid_branch_name(path, branch):
            raise UsageError(f"--branch {branch!r} is not a valid git branch name")
        if install:
            if python:
                raise UsageError("--python and --install: give one of them")
            from fixer.verify_install import install_environment

            python, messages = install_environment(path, settings=settings, manage=manage)
            for message in messages:
                _err(message)
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
        result = plan_verified(
            project,
            selection,
            options,
            python=python,
            verify=verify,
            database_url=database_url,
            budget=verify_budget,
            progress=lambda message: typer.echo(f"djfix: {message}", err=True),
        )
        from fixer import formatting, handover

        color = report.use_color(sys.stderr if dry_run else sys.stdout)
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
            written = write(result)
            typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
            for note in fmt.notes:
                typer.echo(f"Note: {note}")
            for rel in written:
                if rel.endswith(".orig") or ".orig." in rel:
                    typer.echo(f"Note: git does not track it, so your version is kept as {rel}")
            if not no_branch:
                typer.echo("Note: not a git repository: the files were written, no branch made")
            pending = bool(result.after.findings)
        else:
            left = None
            if push or pr:
                with progress.phase(f"asking {remote} about {branch}"):
                    left = _left_alone(
                        project.root,
                        branch,
                        remote,
                        pr,
                        base,
                        provider.value if provider else None,
                        api_url,
                    )
            if left is not None:
                typer.echo(
                    report.render_apply_summary(result, written=False, color=color), nl=False
                )
                typer.echo(left.note)
                _outputs(branch, left.result, left.pull_request)
                raise typer.Exit(EXIT_CLEAN)
            try:
                with progress.phase(
                    "committing" + (f" and pushing to {remote}" if push or pr else "")
                ):
                    delivery = handover.deliver(
                        result, branch=branch, push=remote if (push or pr) else None, stay=stay
                    )
            except handover.PushError as exc:
                typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
                typer.echo(exc.delivery.render(), nl=False)
                raise
            typer.echo(report.render_apply_summary(result, written=True, color=color), nl=False)
            typer.echo(delivery.render(), nl=False)
            opened = _open_pr(result, delivery, remote, base, provider, api_url) if pr else None
            _outputs(branch, opened.state if opened else delivery.state, opened)
            pending = bool(result.after.findings)
    raise typer.Exit(EXIT_FINDINGS if pending else EXIT_CLEAN)


def _recover_interrupted(path: Path, dry_run: bool) -> None:
    """A djfix killed while writing left a journal: complete or undo that write first (a dry
    run writes nothing: it only says so)."""
    from fixer.changeset import journal_path, recover

    if not path.is_dir() or not journal_path(path).exists():
        return
    if dry_run:
        _err(
            "an earlier run was stopped while writing its files: run `djfix apply` without "
            "--dry-run to complete or undo that write first"
        )
        return
    done = recover(path)
    if done is not None:
        _err(f"an earlier run was stopped while writing its files; that write is now {done}")


def _open_pr(result, delivery, remote, base, provider, api_url) -> None:
    from fixer import pr as pull_requests
    from fixer import progress

    try:
        with progress.phase("opening the pull request"):
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
        verb = {"created": "opened", "unchanged": "unchanged"}.get(opened.state, "updated")
        typer.echo(f"Pull request {verb}: {opened.url}")
    return opened


@dataclasses.dataclass(frozen=True)
class _LeftAlone:
    result: str  # the action's `result` output: left-alone or declined
    note: str
    pull_request: object = None


def _left_alone(root, branch, remote, pr, base, provider, api_url) -> _LeftAlone | None:
    """Before anything is pushed: a remote branch a person pushed to, or whose pull request was
    closed without merging, is left as it is (a scheduled job stays green: exit 0)."""
    from fixer import git, handover
    from fixer import pr as pull_requests

    top = git.toplevel(root)
    head = git.resolve(top, "HEAD")
    original = git.current_branch(top)
    if head is None or original is None or remote not in git.remotes(top):
        return None  # deliver() says what is wrong
    try:
        remote_tip = git.fetch_branch(top, remote, branch)
    except git.GitError:
        return None  # the push reports the unreachable remote, with the branch complete locally
    if remote_tip is None:
        return None
    limit = handover.OWNERSHIP_LIMIT
    commits = git.commit_messages(top, remote_tip, f"^{head}", limit=limit)
    foreign = [sha for sha, message in commits if not handover.is_djfix_message(message)]
    if foreign or len(commits) > limit:
        latest = foreign[0][:7] if foreign else remote_tip[:7]
        return _LeftAlone(
            "left-alone",
            f"Left alone: {remote}/{branch} has commits djfix did not make (latest {latest}), "
            f"so djfix pushes nothing to it; merge or close its pull request, or delete the "
            f"branch to let djfix start it again.",
        )
    if not pr:
        return None
    closed = pull_requests.declined(
        root,
        branch,
        original,
        remote=remote,
        base=base,
        provider=provider,
        api_url=api_url,
    )
    if closed is None:
        return None
    return _LeftAlone(
        "declined",
        f"Declined: pull request #{closed.number} ({closed.url}) was closed without merging, so "
        f"djfix leaves {branch} as it is. To ask again, delete the branch: "
        f"git push {remote} --delete {branch}",
        closed,
    )


def _outputs(branch: str, result: str, opened) -> None:
    """The GitHub Action's outputs, when djfix runs in a workflow step."""
    from fixer import pr as pull_requests

    pull_requests.write_outputs(
        {
            "branch": branch,
            "result": result,
            "pr-url": opened.url if opened else "",
            "pr-number": str(opened.number) if opened else "",
        }
    )


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


class VerifyFormat(str, enum.Enum):
    text = "text"
    json = "json"


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
            help="An EMPTY throwaway database on this machine (postgres://... or mysql://...) "
            "instead of an SQLite file; step 6 needs one.",
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
    server on an empty database, migrate, pages with Redis down, the database down,
    collectstatic, and (--image) the images.

    Runs from a temporary copy with only the variables the settings read; never reads .env,
    never touches your databases, only talks to 127.0.0.1.

    Exit status: 0 every step that ran passed, 1 a step failed, 2 usage error, 3 djfix could
    not finish.
    """
    from fixer import progress
    from fixer import verify as verifying

    with _boundary(debug):
        only: set[int] | None = None
        if steps:
            try:
                only = {int(v) for v in _split(steps)}
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
            from fixer.verify_install import install_environment

            python, messages = install_environment(path, settings=settings, manage=manage)
            for message in messages:
                _err(message)
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
    import signal

    signal.signal(signal.SIGINT, _interrupted)


def _apply_in_clone(opts: dict, checkout):
    """The apply pipeline in one clone of `--repos`; runs in a pool process (module level, so
    it can be sent there)."""
    from fixer import handover, many
    from fixer import pr as pull_requests
    from fixer.apply_verify import plan_verified
    from fixer.config import effective_options

    project, config = load_project(checkout.path, opts["settings"], opts["manage"])
    selection = selection_from(config, opts["select"], opts["ignore"])
    options = effective_options(config)
    options["python"] = opts["python"]
    result = plan_verified(
        project,
        selection,
        options,
        python=opts["python"],
        verify=opts["verify"],
        database_url=opts["database_url"],
        budget=opts["verify_budget"],
    )
    if opts["push"]:
        left = _left_alone(
            checkout.path,
            opts["branch"],
            opts["remote"],
            opts["pr"],
            opts["base"],
            opts["provider"],
            opts["api_url"],
        )
        if left is not None:
            url = left.pull_request.url if left.pull_request else None
            return many.RepoResult(left.result.replace("-", " "), 0, url, EXIT_CLEAN)
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
        sum(1 for s in result.items if s.status in ("fixed", "partly fixed") and not s.left_out),
        opened.url if opened else None,
        EXIT_FINDINGS if result.after.findings else EXIT_CLEAN,
    )


def main() -> None:
    """Console-script entry point."""
    install_interrupt_handler()
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
