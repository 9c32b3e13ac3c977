"""`djfix apply`: detect, plan every fix into a Changeset, re-detect on the result, then show the
diff or write all files at once.

Fix plans live in the check modules (a module-level `fix(ctx)`), and run in registry order, each
reading the files as the plans before it left them. After planning, the whole pipeline of
discovery and checks runs again on the planned files: a finding that survives a fix which did not
say why is a djfix bug, and is reported as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from fixer import git, pr_body, templating
from fixer.changeset import Changeset
from fixer.checks import ITEM_TITLES, NO_FIX_REASON, Selection, modules, run_checks
from fixer.findings import CheckResult, Finding, FixSafety
from fixer.fix_context import FixContext, created_files, rediscover
from fixer.fixes import envfiles, plan_for, release_trees
from fixer.project import ProjectModel
from fixer.sources import planned_files


def preload(pull_requests: bool = False) -> None:
    """Load now what planning loads on first use: every check's fix plan (with the codemods and
    libraries it writes with) and the compiled templates, the pull request's body only for a
    run that opens pull requests (a fifth of the templates' time). For a process about to fork
    workers (`djfix apply --repos`): each then starts with them instead of loading them again
    before its first repository."""
    for mod in modules():
        plan_for(mod)
    templating.compile_all(leave_out=() if pull_requests else (pr_body.TEMPLATE,))


@dataclass
class ItemSummary:
    item: int
    status: str  # fixed, partly fixed, open, pass, n/a, skipped
    fixed: list[Finding] = field(default_factory=list)
    open: list[tuple[Finding, str]] = field(default_factory=list)
    # what running the project said (`fixer.apply_verify`): True every step that ran passes
    # with this item's change; False its change was left out; None not run
    verified: bool | None = None
    left_out: str | None = None  # why its change was left out: "broke step 3: ..."
    not_verified: str | None = None  # why a change is not "verified"
    # the image was not built, which alone proves this item's change
    image_unbuilt: bool = False
    # the Dockerfile's collectstatic line (step 7) fails with the change: its image cannot be
    # built as it is, whatever the static re-check says
    build_step_fails: bool = False
    # the files its plan changed (its commit's files): an item whose findings all remain
    # but whose plan changed files is "partly fixed", never "open"
    changed: list[str] = field(default_factory=list)
    # n/a before the change, and applies after it (the change made the project use a service
    # the item is about): its status is what the change leaves, pass or open
    applies_now: bool = False

    @property
    def label(self) -> str:
        """The word for the checklist: fixed and verified / fixed / left out (broke step N) /
        open / pass / n/a / skipped; "applies now" after an item that was n/a before."""
        if self.left_out is not None:
            return "left out (" + self.left_out.split(":", 1)[0] + ")"
        if self.verified and self.status in ("fixed", "partly fixed"):
            return f"{self.status} and verified"
        if self.build_step_fails and self.status in ("fixed", "partly fixed"):
            return f"{self.status}, its collectstatic stage fails"
        if self.image_unbuilt and self.status in ("fixed", "partly fixed"):
            return f"{self.status}, image not built"
        if self.applies_now:
            return f"{self.status}, applies now"
        return self.status


@dataclass
class ApplyResult:
    project: ProjectModel
    changeset: Changeset
    context: FixContext
    before: CheckResult
    after: CheckResult
    items: list[ItemSummary]
    bugs: list[Finding]
    # the run of the project before and after (`fixer.apply_verify.Verification`), when it ran
    verification: Any = None
    # the items whose plans ran but whose changes are left out, and why
    left_out: dict[int, str] = field(default_factory=dict)


CONTAINER_ITEMS = (1, 2, 3, 4)


def with_shared(leave_out: dict[int, str], planned: set[int]) -> dict[int, str]:
    """`leave_out` with what must go with it: items 1-4 share one plan and one set of container
    files (the Dockerfile holds the app server and the static stage), so one of them left out
    leaves out the others whose plans would run (`planned`), each saying so."""
    out = dict(leave_out)
    first = next((i for i in CONTAINER_ITEMS if i in leave_out), None)
    if first is not None:
        for item in CONTAINER_ITEMS:
            if item in planned:
                out.setdefault(item, f"shares the container files with item {first}")
    return out


def plan_order() -> list[int]:
    """The checklist items in the order their plans run (and their commits follow)."""
    ordered = sorted(modules(), key=lambda mod: mod.ITEM in CONTAINER_ITEMS)
    return list(dict.fromkeys(mod.ITEM for mod in ordered if mod.ITEM is not None))


def plan(
    project: ProjectModel,
    selection: Selection,
    options: dict[str, Any],
    *,
    leave_out: dict[int, str] | None = None,
    before: CheckResult | None = None,
) -> ApplyResult:
    """Plan every available fix; nothing is written.

    `leave_out` maps items whose plans must not run to the reason (their findings stay open
    with it); `before` reuses the detection of an earlier plan of the same project.

    After each item's plan the changeset records a stage: the tracked files as that plan left
    them, plus what the environment files and dependency lists need for the items so far
    (`envfiles.finish` run on a copy). So the stage deltas give one commit per item, and each
    item's commit also carries its own variables in `.env.example` and its own packages.
    """
    if before is None:
        before = run_checks(project, selection, options)
    changeset = Changeset(project.root)
    wanted = frozenset(i for i in ITEM_TITLES if selection.wants_item(i))
    ctx = FixContext(project, changeset, options, wanted, before)
    leave_out = with_shared(leave_out or {}, {i for i in wanted if ctx.wants(i)})
    ctx.left_out = set(leave_out)
    # the container (items 1-4) is planned last: its files read the settings as the other
    # plans leave them (the variables they read, STATIC_ROOT)
    ordered = sorted(modules(), key=lambda mod: mod.ITEM in CONTAINER_ITEMS)
    stager = _Stager(ctx)
    ctx.on_write = stager.wrote
    late: dict[int, list[Finding]] = {}
    for mod in ordered:
        if mod.ITEM is None:
            continue
        if not ctx.wants(mod.ITEM):
            found = _late_findings(ctx, mod, selection)
            if not found:
                continue
            late[mod.ITEM] = found
        # a plan (and the codemods it writes with: item 10's about 7 ms, item 7's 11 ms) is
        # loaded only for an item with findings to fix
        fix = plan_for(mod)
        if fix is None:
            continue
        if mod.ITEM in leave_out:
            ctx.leave(mod.ITEM, None, f"left out ({leave_out[mod.ITEM]})")
            continue
        stager.switch(mod.ITEM)
        if mod.ITEM in late:
            # its findings are in a file an earlier plan created: it plans on the project as
            # the plans so far leave it
            original, ctx.project = ctx.project, rediscover(project, changeset)
            try:
                fix(ctx)
            finally:
                ctx.project = original
        else:
            fix(ctx)
    stager.flush()
    ctx.on_write = None
    for rider, owner in ctx.rides.items():
        # a shared plan wrote the rider's part under the item that ran it first: that item's
        # commit holds it (listed there, unless the rider has a commit of its own)
        stage = next((s for s in changeset.stages if s.item == owner), None)
        if stage is not None:
            stage.fixed.add(rider)
    envfiles.finish(ctx)
    release_trees()
    for problem in project.cache.problems():
        if problem.problem is not None and problem.problem.kind in ("undecodable", "unreadable"):
            ctx.notes.append(f"{problem.rel} {problem.problem.message}; djfix left it unchanged")
    # the re-check sees the files the plans create, in discovery and in every check
    with planned_files(created_files(project, changeset)):
        after_project = rediscover(project, changeset)
        after = run_checks(after_project, selection, options)
    result = _summarise(
        project, changeset, ctx, before, after, _rewritten_spans(ctx, after_project), late
    )
    result.left_out = leave_out
    for summary in result.items:
        if summary.item in leave_out:
            summary.left_out = leave_out[summary.item]
    return result


def _late_findings(ctx: FixContext, mod: Any, selection: Selection) -> list[Finding]:
    """The findings of an item that did not apply before the changes, in a Python file an
    earlier plan created (the stand-in item 5 writes for a git-ignored settings module, which
    brings the DATABASES no check saw): its plan then runs too, so djfix's own file is as
    deploy-ready as the rest. Nothing for an item that applied before, or without such a file."""
    item = mod.ITEM
    if item not in ctx.wanted_items or ctx.before.items.get(item) != "n/a":
        return []
    created = {c.rel for c in ctx.changeset.changes() if c.old is None and c.rel.endswith(".py")}
    # only a module the settings import brings settings (not the common app's modules): looked
    # for in the planned settings' text first, so most runs rediscover nothing here
    texts = [
        ctx.changeset.read(m.rel) or ""
        for m in ctx.project.settings_modules.values()
        if m.rel is not None
    ]
    created = {rel for rel in created if _imported_by(PurePosixPath(rel).stem, texts)}
    if not created:
        return []
    planned = rediscover(ctx.project, ctx.changeset)
    with planned_files(created_files(ctx.project, ctx.changeset)):
        if not mod.applies(planned):
            return []
        return [
            f
            for f in mod.check(planned, ctx.options)
            if f.path in created and selection.wants(f.code)
        ]


def _imported_by(stem: str, texts: list[str]) -> bool:
    """Whether one of `texts` imports a module named `stem` (`from .local_env import *`)."""
    pattern = re.compile(
        rf"^\s*(?:from\s+[\w.]*\b{re.escape(stem)}\b\s+import|import\s+[\w.]*\b{re.escape(stem)}\b)",
        re.M,
    )
    return any(pattern.search(text) for text in texts)


class _Stager:
    """Marks a stage on the changeset whenever the item that writes changes: after each item's
    plan, and inside a plan shared by several items (the container plan adds item 4's
    STATIC_ROOT before item 1-3's Dockerfile) between their writes. Each stage also holds what
    `envfiles.finish` adds for the items so far (run on a copy), so the variables and packages
    an item needs are committed with it. Inside a shared plan the stage is the context as it
    was right after the item's last write (the packages the next item's part adds before its
    own first write belong to that item)."""

    def __init__(self, ctx: FixContext) -> None:
        self.ctx = ctx
        self.item: int | None = None
        self.revision = ctx.changeset.revision
        self.last: FixContext | None = None  # the context right after the last write
        self.fixed: set[int] = set(ctx.fixed_items)  # fixed_items when the stage began

    def switch(self, item: int) -> None:
        """A plan of `item` starts: the stage of the plan before ends here."""
        if item != self.item:
            self.flush(self.ctx)
            self.item = item

    def wrote(self, item: int, done: bool) -> None:
        if done:
            self.last = self.ctx.fork() if self.item == item else None
        elif item != self.item:
            self.flush(self.last or self.ctx)
            self.item = item

    def flush(self, source: FixContext | None = None) -> None:
        changeset = self.ctx.changeset
        source = source or self.ctx
        self.last = None
        if self.item is not None and changeset.revision != self.revision:
            resolve = _finished(source.fork())
            fixed = source.fixed_items - self.fixed - {self.item}
            if changeset.stages and changeset.stages[-1].item == self.item:
                fixed |= changeset.stages.pop().fixed
            changeset.mark(self.item, resolve=resolve, fixed=fixed)
            self.fixed |= source.fixed_items
        self.revision = changeset.revision


def _finished(trial: FixContext) -> Callable[[], dict[str, str]]:
    """The state of `trial` once the environment files are finished, computed when asked."""

    def resolve() -> dict[str, str]:
        envfiles.finish(trial)
        return trial.changeset.state()

    return resolve


def _rewritten_spans(ctx: FixContext, after: ProjectModel) -> dict[tuple[int, str], list[range]]:
    """Where, in the planned files, the settings the codemods rewrote now stand."""
    spans: dict[tuple[int, str], list[range]] = {}
    for item, rel, setting in ctx.rewritten:
        for mod in after.settings_modules.values():
            for a in mod.own:
                if a.path == rel and a.name == setting and a.node is not None:
                    end = getattr(a.node, "end_lineno", a.line) or a.line
                    spans.setdefault((item, rel), []).append(range(a.node.lineno, end + 1))
    return spans


def item_files(changeset: Changeset) -> dict[int, set[str]]:
    """The files each item's plan changed (the stages as the plans wrote them)."""
    out: dict[int, set[str]] = {}
    previous: dict[str, str] = {}
    for stage in changeset.staged():
        raw = stage.raw
        changed = {r for r in set(raw) | set(previous) if raw.get(r) != previous.get(r)}
        if stage.item is not None and changed:
            out.setdefault(stage.item, set()).update(changed)
        previous = raw
    return out


def _summarise(project, changeset, ctx, before, after, spans, late=None) -> ApplyResult:
    before_by_item: dict[int, list[Finding]] = {}
    for f in before.findings:
        if f.item is not None:
            before_by_item.setdefault(f.item, []).append(f)
    # an item planned for what an earlier plan's new file brought: those are what it fixes
    for item, found in (late or {}).items():
        before_by_item.setdefault(item, []).extend(found)
    files = item_files(changeset)
    created = {c.rel for c in changeset.changes() if c.old is None}
    items: list[ItemSummary] = []
    bugs: list[Finding] = []
    for item, status in before.items.items():
        old = before_by_item.get(item, [])
        new = [f for f in after.findings if f.item == item]
        # conservative: while a finding of the same rule stays in the same file, none of them
        # counts as fixed (a re-check that lost sight of one must not read as a fix)
        remaining = {(n.code, n.path) for n in new}
        fixed = [f for f in old if (f.code, f.path) not in remaining]
        opened: list[tuple[Finding, str]] = []
        for f in new:
            # a finding the detector itself says no fix can take (fix=none, with its reason)
            # is not one the rewrite missed
            on_rewritten = (
                f.path is not None
                and f.effective_fix.safety is not FixSafety.NONE
                and any(f.line in span for span in spans.get((item, f.path), []))
            )
            if on_rewritten:
                bugs.append(f)
                reason = "djfix bug: the finding survives its own fix"
            elif (
                item in ctx.wanted_items
                and not ctx.wants(item)
                and item not in (late or {})
                and f.effective_fix.safety is not FixSafety.NONE
            ):
                reason = _not_planned(item, f, created)
            elif f.rule.fix is FixSafety.NONE and f.rule.fix_reason != NO_FIX_REASON:
                # a rule no plan fixes, saying why: why the item's plan left a module (a
                # globals() write) is not why this one stays; its own reason is
                reason = _why_open(f)
            else:
                reason = _reason(ctx, item, f) or _why_open(f)
            opened.append((f, reason))
        applies_now = status == "n/a" and after.items.get(item, "n/a") not in ("n/a", "skipped")
        if applies_now and item in (late or {}):
            summary = "partly fixed" if new else "fixed"
        elif applies_now:
            summary = "open" if new else "pass"
        elif status in ("n/a", "skipped"):
            summary = status
        elif not old:
            summary = "not verified" if status == "not verified" else "pass"
        elif not new:
            summary = "fixed"
        elif fixed or files.get(item):
            # its plan changed files, and something of the item is left
            summary = "partly fixed"
        else:
            summary = "open"
        changed = sorted(files.get(item, ()))
        items.append(
            ItemSummary(item, summary, fixed, opened, changed=changed, applies_now=applies_now)
        )
    return ApplyResult(project, changeset, ctx, before, after, items, bugs)


def _not_planned(item: int, f: Finding, created: set[str]) -> str:
    """Why a finding that came with the changes stays: its item had nothing to fix before
    them (n/a, or passing), so its plan did not run. Never "could not rewrite": it was not
    tried (a stand-in djfix writes for a git-ignored module shows settings no check saw)."""
    where = f"in {f.path}, a file djfix writes" if f.path in created else "found after the change"
    return (
        f"{f.message} ({where}: item {item} had nothing to fix before djfix's changes, so its "
        "fix did not run; a second `djfix apply` on the result plans it)"
    )


def _why_open(f: Finding) -> str:
    fix = f.effective_fix
    if fix.safety.value == "none":
        return fix.reason or "no automatic fix"
    # the finding's own words say what is wrong (a missing CSRF middleware, not "the cookie")
    return f"{f.message} (djfix could not rewrite this shape: change it by hand)"


#: a setting a message or a reason starts with: `DATA_DIR (line 14): ...`, `SECRETS['k'] in ...`
_LEFT_SETTING = re.compile(r"([A-Za-z_]\w*)(?:\[[^\]]*\])* \(")
_FINDING_SETTING = re.compile(r"([A-Za-z_]\w*)(?:\[[^\]]*\])* (?:in|of) ")


def _reason(ctx: FixContext, item: int, f: Finding) -> str | None:
    """Why the item's plan left `f`: what it said about the finding's rule there, else a
    reason left on its file, but not one about another rule's finding nor about another
    setting (the reason a computed DATA_DIR stayed is not why SECRETS['secret_key'] did)."""
    here = [
        left for left in ctx.left if left.item == item and (left.rel is None or left.rel == f.path)
    ]
    for left in here:
        if left.code == f.code:
            return left.reason
    about = _FINDING_SETTING.match(f.message)
    for left in here:
        if left.code is None:
            named = _LEFT_SETTING.match(left.reason)
            if about and named and named.group(1) != about.group(1):
                continue
            return left.reason
    return None


def write(result: ApplyResult) -> list[str]:
    """Write every planned file at once (all or nothing). An existing file git does not track
    that djfix changes has no other copy: it is kept beside, as `<name>.orig`."""
    changeset = result.changeset
    keep: list[str] = []
    if git.is_repository(changeset.root):
        replaced = [c.rel for c in changeset.changes(tracked=True) if c.old is not None]
        keep = git.untracked_files(changeset.root, replaced)
    return changeset.commit(keep=keep)
