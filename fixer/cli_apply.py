"""`djfix apply`: plan the fixes, verify them, and write them or hand them over as a branch
(pushed, with a pull request), for one repository or for each of `--repos` in fresh clones."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fixer import git, progress
from fixer.changeset import journal_path, recover
from fixer.cli_options import (
    DebugOpt,
    IgnoreOpt,
    ManageOpt,
    PathArg,
    Provider,
    PythonOpt,
    SelectOpt,
    SettingsOpt,
    boundary,
    err,
    load_project,
    selection_from,
)
from fixer.config import effective_options
from fixer.deep_stack import collector_paused
from fixer.errors import EXIT_CLEAN, EXIT_FINDINGS, DjfixError, UsageError


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
            help="A PostgreSQL or MySQL server on this machine for the verification runs "
            "(default: a throwaway SQLite file): each run creates a new, empty database there "
            "and drops it at its end.",
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

    Exit status: 0 nothing left to do; 1 changes pending (--dry-run), findings still open, no
    change handed over, or a step failing with the change; 2 usage error; 3 djfix could not
    finish.
    """
    # the pipeline loads every check and codemod: imported when a command runs, so that
    # `djfix --help` and the cheap commands start fast
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer import formatting, report
    from fixer.apply import write
    from fixer.apply_verify import plan_verified

    with boundary(debug), contextlib.ExitStack() as stack:
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
            # lazy: heavy, and only for --install
            from fixer.verify_install import install_environment

            python, messages = install_environment(path, settings=settings, manage=manage)
            for message in messages:
                err(message)
        # one project's run: the cyclic collector waits until it is done (see the function)
        stack.enter_context(collector_paused())
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
        color = report.use_color(sys.stderr if dry_run else sys.stdout)
        if dry_run:
            fmt = formatting.format_changeset(result.changeset, project.root)
            typer.echo(result.changeset.diff(), nl=False)
            summary = report.render_apply_summary(result, written=False, color=color)
            typer.echo(summary, err=True, nl=False)
            for note in fmt.notes:
                typer.echo(f"Note: {note}", err=True)
            pending = bool(result.changeset) or _verification_pending(result)
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
            pending = _pending(result)
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
            # lazy: the hand-over is loaded for a run that makes the branch (a --dry-run does not)
            from fixer import handover

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
            pending = _pending(result)
    raise typer.Exit(EXIT_FINDINGS if pending else EXIT_CLEAN)


def _pending(result) -> bool:
    """Something is left to do: findings still open, or what the verification runs say."""
    return bool(result.after.findings) or _verification_pending(result)


def _verification_pending(result) -> bool:
    """The runs say no change is handed over, or a step fails with it: never exit 0 then."""
    verification = result.verification
    return bool(verification is not None and verification.leaves_work())


def _recover_interrupted(path: Path, dry_run: bool) -> None:
    """A djfix killed while writing left a journal: complete or undo that write first (a dry
    run writes nothing: it only says so)."""
    if not path.is_dir() or not journal_path(path).exists():
        return
    if dry_run:
        err(
            "an earlier run was stopped while writing its files: run `djfix apply` without "
            "--dry-run to complete or undo that write first"
        )
        return
    done = recover(path)
    if done is not None:
        err(f"an earlier run was stopped while writing its files; that write is now {done}")


def _open_pr(result, delivery, remote, base, provider, api_url) -> None:
    # lazy: the forge clients: only when a pull request is opened
    from fixer import pr as pull_requests

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
    # only when pushing: the handover and the forge clients
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer import handover
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
    # lazy: the forge clients: only after a handover
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
    # lazy: the parallel runner: only for --repos
    from fixer import many
    from fixer.apply import preload

    if not opts["push"] and workdir is None:
        raise UsageError(
            "--repos works in fresh clones: add --push or --pr to hand the branches over, or "
            "--workdir DIR to keep the clones"
        )
    # a bad --select fails once, here, rather than once per repository
    selection_from(None, opts["select"], opts["ignore"])
    worker = functools.partial(apply_in_clone, opts)
    outcomes = many.run_many(
        repos,
        worker,
        jobs,
        workdir=workdir,
        processes=True,
        preload=functools.partial(preload, pull_requests=opts["pr"]),
    )
    typer.echo(many.render_table(outcomes), nl=False)
    return many.exit_code(outcomes)


def apply_in_clone(opts: dict, checkout):
    """The apply pipeline in one clone of `--repos`; runs in a pool process (module level, so
    it can be sent there)."""
    # a pool process runs the whole pipeline: loaded there, not by `djfix --help`
    # lazy: loaded when this command runs, so `djfix --help` stays fast
    from fixer import handover, many
    from fixer.apply_verify import plan_verified

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
        # a pool process loads the forge clients (urllib, http.client, ssl) for --pr alone
        # lazy: about 25 ms a process
        from fixer import pr as pull_requests

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
        EXIT_FINDINGS if _pending(result) else EXIT_CLEAN,
    )
