"""Hand djfix's changes over as a git branch: one commit per checklist item, optionally pushed.

`deliver(result)` turns a planned `ApplyResult` into the branch `djfix/deploy-ready`, made from
the current HEAD:

- One commit per checklist item that changed a file, titled "djfix: <item title>", in the order
  the plans ran (items 5-13, then the container items 1-4, whose files read the settings as the
  other items leave them). Commit k's tree is the project as item k's plan left it (the
  changeset's stages, `fixer.changeset.Stage`), so each commit holds only its item's delta, also
  inside a file several items change, and the environment variables and packages an item needs
  come with it (`.env.example`, the dependency file). The body lists the findings the item
  fixed and what is left to do by hand, the verification table when the project was run, and
  ends with the trailer ``Generated-by: djfix <version>``. That trailer is how djfix recognises
  its own branches: a branch of the same name whose commits (those not on HEAD) lack it belongs
  to someone else, and djfix refuses to touch it. An item whose findings another item's change
  fixed (item 3 by the container's Dockerfile) has no commit of its own and is listed in that
  commit's body.
- Files the plans mark untracked (`.env`, ignored by git) are written into the work tree and never
  committed.
- The commits are built with git's plumbing (a temporary index, `commit-tree`, one atomic
  `update-ref` that names the value it replaces): the user's branch, index and files are not
  touched while the branch is made, and no commit hook runs.
- A second run rebuilds the chain from the current HEAD and compares trees: when the existing
  djfix branch already sits on HEAD with the same tree, it is left as it is (no new commit);
  otherwise it is moved to the new chain (its old commits were all djfix's, and stay in the
  branch's reflog). Run on the djfix branch itself, the new commits fast-forward it.
- The project's own formatter runs on the Python files djfix touched (`fixer.formatting`).

Where the checkout ends: on the new branch, by default. `djfix apply` without git leaves fixed
files in the work tree, and ending on the branch keeps that promise (the user can run the tests,
`manage.py check --deploy` or a container build on the result at once), while the original
branch keeps exactly its commits and files (`git switch -` goes back). The untracked `.env` it
writes belongs with the settings of the new branch that read it. `stay=True` (`--stay`) keeps the
checkout on the original branch (files unchanged but for untracked ones such as `.env`): for bots
and for reviewing with `git diff main...djfix/deploy-ready`. When git cannot carry local changes
over to the branch, the checkout stays where it was and the report says why; nothing is lost.

`push` pushes the branch to that remote (default `origin`), replacing the remote branch only if
every commit there that is not on the local branch was made by djfix (checked after a fetch, and
enforced with `--force-with-lease`). A refusal raises `PushError`, which carries the delivery:
the branch is complete locally.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fixer import __version__, formatting, git, redaction
from fixer.changeset import Changeset, FileChange, Stage
from fixer.checks import ITEM_TITLES
from fixer.errors import DjfixError, UsageError

if TYPE_CHECKING:
    from fixer.apply import ApplyResult, ItemSummary
    from fixer.apply_verify import Verification
    from fixer.findings import Finding

DEFAULT_BRANCH = "djfix/deploy-ready"
DEFAULT_REMOTE = "origin"
TRAILER_KEY = "Generated-by"
TRAILER = f"{TRAILER_KEY}: djfix"
ITEM_TRAILER_KEY = "Djfix-Item"
OTHER_TITLE = "Supporting changes"
# at most this many commits are inspected to decide whether a branch is djfix's
OWNERSHIP_LIMIT = 500


class PushError(DjfixError):
    """The push failed; `delivery` says what was done before it (the branch exists locally)."""

    def __init__(self, message: str, delivery: Delivery) -> None:
        super().__init__(message)
        self.delivery = delivery


@dataclass
class Commit:
    sha: str
    item: int | None
    subject: str
    files: list[str]
    # the items with no commit of their own whose changes this one holds (item 2 in item 1's)
    also: list[int] = field(default_factory=list)


@dataclass
class Delivery:
    root: Path
    # written: not a git repository, files written; nothing: nothing to commit; created, updated,
    # unchanged: what happened to the branch
    state: str
    branch: str | None = None
    original: str | None = None
    base: str | None = None
    tip: str | None = None
    previous: str | None = None  # the branch's tip before this run, when it existed
    commits: list[Commit] = field(default_factory=list)
    # when the branch is unchanged: its commits (the ones an earlier run made), for the PR body
    on_branch: list[Commit] = field(default_factory=list)
    checked_out: str | None = None
    written: list[str] = field(default_factory=list)  # files written into the work tree
    pushed: str | None = None  # the remote the branch was pushed to
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines: list[str] = []
        if self.state == "written":
            lines.append(
                f"Not a git repository: {len(self.written)} file(s) written into "
                f"{self.root}; no branch or commit was made."
            )
        elif self.state == "nothing":
            lines.append(f"Nothing to commit: no branch made (HEAD {self.base and self.base[:7]}).")
        else:
            count = len(self.commits)
            verb = {"created": "created", "updated": "updated", "unchanged": "unchanged"}[
                self.state
            ]
            detail = (
                "no new commit: its tree is already what this run makes"
                if self.state == "unchanged"
                else f"{count} commit{'s' if count != 1 else ''} on {self.original} "
                f"({self.base and self.base[:7]})"
            )
            lines.append(f"Branch {self.branch} {verb}: {detail}")
            for commit in self.commits:
                lines.append(f"  {commit.sha[:7]} {commit.subject}  ({', '.join(commit.files)})")
            if self.previous and self.state == "updated" and self.previous != self.base:
                lines.append(
                    f"  it was at {self.previous[:7]} (kept in its reflog: "
                    f"git branch djfix-previous {self.previous[:7]})"
                )
            if self.checked_out == self.branch and self.original != self.branch:
                lines.append(
                    f"The checkout is now on {self.branch}; {self.original} is unchanged "
                    f"(back: git switch {self.original})."
                )
            elif self.checked_out == self.original and self.original != self.branch:
                lines.append(
                    f"The checkout stays on {self.original}; review with "
                    f"git diff {self.original}...{self.branch}, take it with "
                    f"git switch {self.branch}."
                )
        untracked = [w for w in self.written if self.state != "written"]
        if untracked:
            lines.append(f"Written into the work tree, never committed: {', '.join(untracked)}")
        if self.pushed:
            lines.append(f"Pushed {self.branch} to {self.pushed}.")
        lines.extend(f"Note: {note}" for note in self.notes)
        return redaction.mask_text("\n".join(lines) + "\n")


# -- the plan of commits ---------------------------------------------------------------------------


@dataclass
class _Group:
    """One commit: the tracked files as they stand after `item`'s stage, and which of them
    changed against the commit before."""

    item: int | None
    texts: dict[str, str]
    files: list[str] = field(default_factory=list)
    absorbed: list[int] = field(default_factory=list)  # items with no commit of their own
    continued: bool = False  # a second commit of the same item (its plan was interrupted)


def _groups(stages: list[Stage], final: dict[str, str]) -> list[_Group]:
    """The chain of commits: one per stage whose files differ from the stage before, in stage
    order, then what the final state holds beyond the last stage (changes made after every plan
    ran, which belong to no single item). An item another item's plan fixed on the way (item 3
    by the container plan) is listed in that plan's commit, unless it has a commit of its own."""
    groups: list[_Group] = []
    previous: dict[str, str] = {}
    seen: set[int | None] = set()
    for stage in [*stages, Stage(None, final)]:
        texts = stage.texts if stage.item is not None else final
        files = sorted(r for r in set(texts) | set(previous) if texts.get(r) != previous.get(r))
        if not files:
            continue
        if groups and groups[-1].item == stage.item:
            groups[-1].texts = texts
            groups[-1].files = sorted(set(groups[-1].files) | set(files))
        else:
            groups.append(_Group(stage.item, texts, files, continued=stage.item in seen))
            seen.add(stage.item)
        groups[-1].absorbed.extend(sorted(stage.fixed - set(groups[-1].absorbed)))
        previous = texts
    own = {g.item for g in groups}
    placed: set[int] = set()
    for group in groups:
        group.absorbed = [i for i in group.absorbed if i not in own and i not in placed]
        placed.update(group.absorbed)
    return groups


def _formatted_stages(changeset: Changeset, root: Path, raw: dict[str, str]) -> list[Stage]:
    """The stages in the project's formatting: a file whose stage text is its final text takes
    the final formatted text; the others run through the same formatters."""
    final = changeset.state()
    out: list[Stage] = []
    for stage in changeset.staged():
        texts = {}
        pending = Changeset(root)
        for rel, text in stage.texts.items():
            if raw.get(rel) == text and rel in final:
                texts[rel] = final[rel]
            else:
                pending.write(rel, text)
        if pending:
            formatting.format_changeset(pending, root)
            for rel, text in stage.texts.items():
                if rel not in texts:
                    texts[rel] = pending.read(rel) or text
        out.append(Stage(stage.item, texts, fixed=stage.fixed))
    return out


def _location(finding: Finding) -> str:
    if finding.path is None:
        return "the project"
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def _finding_lines(summary: ItemSummary | None) -> tuple[list[str], list[str]]:
    if summary is None:
        return [], []
    fixed = [
        f"- {f.code} {f.rule.name}, {_location(f)}: {f.message}"
        for f in sorted(summary.fixed, key=lambda f: f.sort_key())
    ]
    left = [
        f"- {f.code} {f.rule.name}, {_location(f)}: {reason}"
        for f, reason in sorted(summary.open, key=lambda pair: pair[0].sort_key())
    ]
    return fixed, left


def _title(item: int | None) -> str:
    return ITEM_TITLES.get(item, OTHER_TITLE) if item is not None else OTHER_TITLE


def _message(
    group: _Group,
    summaries: dict[int, ItemSummary],
    untracked: list[FileChange],
    verification: Verification | None = None,
) -> str:
    subject = f"djfix: {_title(group.item)}"
    paragraphs: list[str] = []
    if group.item is None:
        paragraphs.append(
            "Changes djfix made after every item's plan ran, which belong to no single "
            "checklist item."
        )
    elif group.continued:
        subject += " (continued)"
        paragraphs.append(
            f"More of checklist item {group.item}'s changes: its plan wrote again after another "
            "item's. Its findings are listed in its first commit."
        )
    else:
        paragraphs.append(f"Checklist item {group.item}: {_title(group.item)}.")
    if group.item is not None and not group.continued:
        fixed, left = _finding_lines(summaries.get(group.item))
        if fixed:
            paragraphs.append("Fixed:\n" + "\n".join(fixed))
        if left:
            paragraphs.append("Left to do by hand:\n" + "\n".join(left))
    for other in group.absorbed:
        other_fixed, other_left = _finding_lines(summaries.get(other))
        text = (
            f"Item {other} ({_title(other)}) has no commit of its own: its changes are part of "
            "this one."
        )
        if other_fixed:
            text += "\nFixed:\n" + "\n".join(other_fixed)
        if other_left:
            text += "\nLeft to do by hand:\n" + "\n".join(other_left)
        paragraphs.append(text)
    mine = [c.rel for c in untracked if group.item is not None and group.item in c.items]
    if mine and not group.continued:
        paragraphs.append(
            f"Written into the work tree but not committed (ignored by git): {', '.join(mine)}."
        )
    if verification is not None:
        paragraphs.append(verification.commit_text())
    trailers = [f"{TRAILER} {__version__}"]
    if group.item is not None:
        trailers.append(f"{ITEM_TRAILER_KEY}: {group.item}")
    return "\n\n".join([subject, *paragraphs, "\n".join(trailers)]) + "\n"


def is_djfix_message(message: str) -> bool:
    """True when the commit message ends with djfix's trailer."""
    trailers = message.strip().split("\n\n")[-1]
    return any(
        line.strip() == TRAILER or line.strip().startswith(TRAILER + " ")
        for line in trailers.splitlines()
    )


# -- preflight -------------------------------------------------------------------------------------


def _foreign_commits(top: Path, tip: str, *exclude: str) -> list[str] | None:
    """'sha subject' of the commits reachable from `tip` but not from `exclude` that djfix did
    not make; None when there are too many to look at."""
    commits = git.commit_messages(top, tip, *(f"^{e}" for e in exclude), limit=OWNERSHIP_LIMIT)
    if len(commits) > OWNERSHIP_LIMIT:
        return None
    return [
        f"{sha[:7]} {message.splitlines()[0] if message else ''}".rstrip()
        for sha, message in commits
        if not is_djfix_message(message)
    ]


def _record_ref(branch: str) -> str:
    """Where djfix keeps the tip it made for `branch` (outside refs/heads: no branch shows)."""
    return f"refs/djfix/tips/{branch}"


def _remember_tip(top: Path, branch: str, tip: str) -> None:
    git.run(top, "update-ref", "-m", "djfix: the tip djfix made", _record_ref(branch), tip)


def _check_branch_is_ours(top: Path, branch: str, existing: str, base: str) -> None:
    foreign = _foreign_commits(top, existing, base)
    if foreign is None:
        raise DjfixError(
            f"the branch {branch} exists and has more than {OWNERSHIP_LIMIT} commits that are "
            "not on HEAD: djfix did not make it and will not change it; pass --branch NAME"
        )
    if foreign:
        shown = "\n".join(f"  {line}" for line in foreign[:10])
        raise DjfixError(
            f"the branch {branch} exists and has commits djfix did not make:\n{shown}\n"
            f"djfix will not change it: pass --branch NAME, or rename or delete that branch"
        )
    made = git.resolve(top, _record_ref(branch))
    if made is not None and made != existing:
        raise DjfixError(
            f"the branch {branch} was changed after djfix made it: its tip is {existing[:7]}, "
            f"djfix left it at {made[:7]} (a commit was amended or added). djfix will not "
            f"discard that work: merge it into your own branch, or rename the branch "
            f"(git branch -m {branch} NEW), or pass --branch NAME"
        )
    if git.is_ancestor(top, existing, base):
        # no commit of its own beyond HEAD: it is djfix's only if its last commit says so
        last = git.commit_messages(top, existing, limit=0)
        if not (last and is_djfix_message(last[0][1])):
            raise DjfixError(
                f"the branch {branch} exists and djfix did not make it (its last commit "
                f"{existing[:7]} has no '{TRAILER}' trailer): pass --branch NAME, or rename or "
                "delete that branch"
            )


def _dirty_overlap(top: Path, prefix: str, changes: list[FileChange]) -> list[str]:
    dirty = set(git.dirty_paths(top))  # unquoted, both paths of a rename
    return [c.rel for c in changes if prefix + c.rel in dirty]


# -- delivering ------------------------------------------------------------------------------------


def _write_untracked(root: Path, changes: list[FileChange], notes: list[str]) -> list[str]:
    """Write the files never committed (.env), and make sure git ignores them in the checkout
    as it is now: the `.gitignore` that ignores them may be only on the djfix branch (--stay, a
    refused switch), so they go into the repository's own exclude file too."""
    if not changes:
        return []
    overlay = Changeset(root)
    for change in changes:
        overlay.write(change.rel, change.new, tracked=False)
    written = overlay.commit()
    exposed = [rel for rel in written if not git.is_ignored(root, rel)]
    if exposed:
        try:
            _exclude(root, exposed)
        except (OSError, git.GitError) as exc:
            notes.append(
                f"{', '.join(exposed)} is NOT ignored by git in this checkout yet (it holds "
                f"values that must never be committed): add it to .gitignore ({exc})"
            )
        else:
            notes.append(
                f"{', '.join(exposed)} is ignored by git in this checkout through "
                ".git/info/exclude (the .gitignore line is on the djfix branch)"
            )
    return written


def _exclude(root: Path, rels: list[str]) -> None:
    top = git.toplevel(root)
    prefix = root.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    path = Path(git.out(top, "rev-parse", "--git-path", "info/exclude"))
    path = path if path.is_absolute() else top / path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = set(text.splitlines())
    added = [f"/{prefix}{rel}" for rel in rels if f"/{prefix}{rel}" not in lines]
    if added:
        sep = "" if not text or text.endswith("\n") else "\n"
        path.write_text(text + sep + "\n".join(added) + "\n", encoding="utf-8")


def deliver(
    result: ApplyResult,
    *,
    branch: str = DEFAULT_BRANCH,
    push: str | None = None,
    stay: bool = False,
) -> Delivery:
    """Commit the planned changes onto `branch` (one commit per item), write the untracked files,
    choose the checkout, and push when asked. Raises DjfixError before anything is written when
    the repository cannot take the branch."""
    changeset = result.changeset
    root = result.project.root
    if not git.is_repository(root):
        if push:
            raise UsageError(f"--push needs a git repository, and {root} is not in one")
        report = formatting.format_changeset(changeset, root)
        written = changeset.commit()
        return Delivery(
            root,
            "written",
            written=written,
            notes=[*report.notes, "not a git repository: the files are written, nothing committed"],
        )

    top = git.toplevel(root)
    prefix = root.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    original = git.current_branch(top)
    base = git.resolve(top, "HEAD")
    if original is None:
        raise DjfixError(
            "HEAD is detached, so there is no branch to start from: check a branch out "
            "(git switch NAME), or pass --no-branch to write the files into the work tree"
        )
    if base is None:
        raise DjfixError(
            f"the repository has no commit yet ({original} is empty), so there is nothing to "
            "branch from: commit first, or pass --no-branch to write the files into the work tree"
        )
    if not git.valid_branch_name(top, branch):
        raise UsageError(f"--branch {branch!r} is not a valid git branch name")
    if push and push not in git.remotes(top):
        raise UsageError(
            f"--push {push}: the repository has no remote of that name "
            f"(it has: {', '.join(git.remotes(top)) or 'none'})"
        )
    existing = git.resolve(top, f"refs/heads/{branch}")
    if existing is not None:
        _check_branch_is_ours(top, branch, existing, base)
        elsewhere = git.worktree_of(top, branch)
        if elsewhere is not None and elsewhere.resolve() != top.resolve():
            raise DjfixError(
                f"the branch {branch} is checked out in another work tree ({elsewhere}); "
                "djfix will not move it under that checkout"
            )

    tracked = changeset.changes(tracked=True)
    overlap = _dirty_overlap(top, prefix, tracked)
    if overlap:
        raise DjfixError(
            "these files have uncommitted changes and djfix changes them too, so its commits "
            "would carry your edits: " + ", ".join(overlap) + "; commit or stash them first"
        )
    paths = [prefix + c.rel for c in tracked]
    in_base = git.entries(top, base, paths)
    special = [p for p, (mode, _) in in_base.items() if mode in ("120000", "160000")]
    if special:
        raise DjfixError(
            "djfix would replace a symbolic link or submodule with a file: "
            + ", ".join(special)
            + "; change these by hand"
        )

    # everything that could refuse has been checked: from here on, the work is done
    formatted_from = changeset.state()
    report = formatting.format_changeset(changeset, root)
    delivery = Delivery(root, "nothing", branch=branch, original=original, base=base)
    delivery.notes.extend(report.notes)
    tracked = changeset.changes(tracked=True)
    untracked = changeset.changes(tracked=False)

    if not tracked:
        if existing is not None:
            delivery.state = "unchanged"
            delivery.tip = existing
        delivery.checked_out = original
        delivery.written = _write_untracked(root, untracked, delivery.notes)
        if push and existing is not None:
            _push(top, push, branch, base, delivery)
        elif push:
            delivery.notes.append("nothing was pushed: there is no branch to push")
        return delivery

    identity, fallback = git.identity_env(top)
    if fallback:
        delivery.notes.append(
            f"git has no user identity here, so the commits are by "
            f"{git.FALLBACK_NAME} <{git.FALLBACK_EMAIL}>"
        )
    groups = _groups(_formatted_stages(changeset, root, formatted_from), changeset.state())
    summaries = {s.item: s for s in result.items}
    for group in groups:
        # a shared plan runs once for several items; one whose findings it did not fix
        # (item 4's whitenoise, left by hand) has no change in this commit to point at
        group.absorbed = [i for i in group.absorbed if i not in summaries or summaries[i].fixed]
    verification = getattr(result, "verification", None)
    all_paths = sorted({prefix + rel for g in groups for rel in g.files})
    in_base = {**git.entries(top, base, all_paths), **in_base}
    commits: list[Commit] = []
    parent = base
    with git.temporary_index(top, base) as index:
        for group in groups:
            entries = []
            for rel in group.files:
                path = prefix + rel
                if rel not in group.texts:
                    # back to the text it has on HEAD (or gone, when HEAD has no such file)
                    mode, sha = in_base.get(path, ("0", "0" * 40))
                    entries.append((mode, sha, path))
                    continue
                mode = in_base.get(path, ("100644", ""))[0]
                blob = git.hash_blob(top, path, changeset.encode(rel, group.texts[rel]))
                entries.append((mode, blob, path))
            index.put(entries)
            tree = index.write()
            if tree == git.tree_of(top, parent):
                continue  # the filters made the files what they were: nothing to commit
            message = redaction.mask_text(_message(group, summaries, untracked, verification))
            parent = git.commit_tree(top, tree, parent, message, identity)
            commits.append(
                Commit(
                    parent, group.item, message.splitlines()[0], group.files, list(group.absorbed)
                )
            )
    tip = parent

    if existing is not None and (
        git.tree_of(top, existing) == git.tree_of(top, tip) and git.is_ancestor(top, base, existing)
    ):
        delivery.state = "unchanged"
        delivery.tip = existing
        delivery.previous = existing
        # the branch holds the same commits as this run made: describe them by their shas on
        # the branch, so the pull request body reads the same as the run that made them
        on_branch = git.out(top, "rev-list", "--reverse", f"{base}..{existing}").split()
        if len(on_branch) == len(commits):
            delivery.on_branch = [
                dataclasses.replace(c, sha=sha) for c, sha in zip(commits, on_branch, strict=True)
            ]
    elif not commits:
        delivery.state = "nothing"
    else:
        reason = f"djfix: {len(commits)} commit(s) on {original}"
        if original == branch:
            refused = git.fast_forward(top, tip)
            if refused:
                raise DjfixError(
                    f"could not fast-forward {branch} (checked out here) to djfix's commits: "
                    f"{refused}; nothing was changed"
                )
        else:
            git.update_ref(top, branch, tip, existing, reason)
        _remember_tip(top, branch, tip)
        delivery.state = "updated" if existing is not None else "created"
        delivery.tip = tip
        delivery.previous = existing
        delivery.commits = commits

    delivery.checked_out = original
    if original != branch and delivery.state != "nothing" and not stay:
        refused = git.switch(top, branch)
        if refused is None:
            delivery.checked_out = branch
        else:
            delivery.notes.append(
                f"the checkout stays on {original}: git would not switch to {branch} ({refused}); "
                f"the branch is complete"
            )
    delivery.written = _write_untracked(root, untracked, delivery.notes)
    if push:
        if delivery.state == "nothing":
            delivery.notes.append("nothing was pushed: there is no branch to push")
        else:
            _push(top, push, branch, base, delivery)
    return delivery


def _push(top: Path, remote: str, branch: str, base: str, delivery: Delivery) -> None:
    tip = delivery.tip or git.resolve(top, f"refs/heads/{branch}")
    assert tip is not None
    try:
        remote_tip = git.fetch_branch(top, remote, branch)
    except git.GitError as exc:
        raise PushError(
            f"could not reach the remote {remote}: {exc}; nothing was pushed, and the branch "
            f"{branch} is complete locally",
            delivery,
        ) from exc
    if remote_tip is not None and remote_tip != tip:
        foreign = _foreign_commits(top, remote_tip, tip, base)
        if foreign is None or foreign:
            shown = "\n".join(f"  {line}" for line in (foreign or [])[:10])
            raise PushError(
                f"{remote}/{branch} has commits djfix did not make"
                + (f":\n{shown}\n" if shown else " ")
                + "nothing was pushed (it would replace them); the branch is complete locally: "
                "merge them by hand, or push under another --branch",
                delivery,
            )
    result = git.push(top, remote, branch, remote_tip)
    if result.returncode != 0:
        said = git.redact(result.stderr.decode("utf-8", "replace").strip())
        rejected = [
            line
            for line in git.redact(result.stdout.decode("utf-8", "replace")).splitlines()
            if line.startswith("!")
        ]
        detail = "; ".join(rejected) or said or f"exit {result.returncode}"
        raise PushError(
            f"the push of {branch} to {remote} was rejected: {detail}\n"
            f"nothing is lost: the branch {branch} is complete locally",
            delivery,
        )
    delivery.pushed = remote
