"""`djfix apply`: detect, plan every fix into a Changeset, re-detect on the result, then show the
diff or write all files at once.

Fix plans live in the check modules (a module-level `fix(ctx)`), and run in registry order, each
reading the files as the plans before it left them. After planning, the whole pipeline of
discovery and checks runs again on the planned files: a finding that survives a fix which did not
say why is a djfix bug, and is reported as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer.changeset import Changeset
from fixer.checks import CheckResult, Selection, modules, run_checks
from fixer.findings import Finding
from fixer.project import ProjectModel, discover


@dataclass
class EnvVar:
    name: str
    comment: str
    example: str
    dev_value: str | None = None
    secret: bool = False
    required: bool = False


@dataclass
class Left:
    """A finding's place that a fix plan deliberately did not change, and why."""

    item: int
    rel: str | None
    reason: str


@dataclass
class FixContext:
    project: ProjectModel
    changeset: Changeset
    options: dict[str, Any]
    selection: Selection
    before: CheckResult
    env_vars: dict[str, EnvVar] = field(default_factory=dict)
    secrets: list[tuple[str, str, int]] = field(default_factory=list)  # (name, rel, line)
    packages: set[str] = field(default_factory=set)
    left: list[Left] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fixed_items: set[int] = field(default_factory=set)
    # the label of the generated common app, once a plan made or found it
    common_label: str | None = None
    common_generated: bool = False
    container_planned: bool = False
    # (item, rel, setting) a codemod says it rewrote: a finding left there is a djfix bug
    rewritten: set[tuple[int, str, str]] = field(default_factory=set)

    def findings(self, item: int) -> list[Finding]:
        return [f for f in self.before.findings if f.item == item]

    def wants(self, item: int) -> bool:
        return bool(self.findings(item))

    def add_env(self, var: EnvVar) -> None:
        existing = self.env_vars.get(var.name)
        if existing is None:
            self.env_vars[var.name] = var
        elif existing.dev_value is None and var.dev_value is not None:
            existing.dev_value = var.dev_value
            existing.secret = existing.secret or var.secret

    def leave(self, item: int, rel: str | None, reason: str) -> None:
        self.left.append(Left(item, rel, reason))

    def write(self, rel: str, text: str, item: int, *, tracked: bool = True) -> None:
        before = self.changeset.read(rel)
        self.changeset.write(rel, text, item=item, tracked=tracked)
        if before != text:
            self.fixed_items.add(item)


@dataclass
class ItemSummary:
    item: int
    status: str  # fixed, partly fixed, open, pass, n/a, skipped
    fixed: list[Finding] = field(default_factory=list)
    open: list[tuple[Finding, str]] = field(default_factory=list)


@dataclass
class ApplyResult:
    project: ProjectModel
    changeset: Changeset
    context: FixContext
    before: CheckResult
    after: CheckResult
    items: list[ItemSummary]
    bugs: list[Finding]


CONTAINER_ITEMS = (1, 2, 3, 4)


def plan(project: ProjectModel, selection: Selection, options: dict[str, Any]) -> ApplyResult:
    """Plan every available fix; nothing is written."""
    before = run_checks(project, selection, options)
    changeset = Changeset(project.root)
    ctx = FixContext(project, changeset, options, selection, before)
    # the container (items 1-4) is planned last: its files read the settings as the other
    # plans leave them (the variables they read, STATIC_ROOT)
    ordered = sorted(modules(), key=lambda mod: mod.ITEM in CONTAINER_ITEMS)
    for mod in ordered:
        fix = getattr(mod, "fix", None)
        if fix is None or mod.ITEM is None or not ctx.wants(mod.ITEM):
            continue
        fix(ctx)
    from fixer import envfiles

    envfiles.finish(ctx)
    from fixer.sources import planned_files

    # the re-check sees the files the plans create, in discovery and in every check
    with planned_files(_created(project, changeset)):
        after_project = rediscover(project, changeset)
        after = run_checks(after_project, selection, options)
    return _summarise(project, changeset, ctx, before, after, _rewritten_spans(ctx, after_project))


def _created(project: ProjectModel, changeset: Changeset) -> set[Path]:
    return {project.root / c.rel for c in changeset.changes() if c.old is None}


def rediscover(project: ProjectModel, changeset: Changeset) -> ProjectModel:
    """The project as the planned changes leave it, files the plans create included. Several
    plans ask for it: one discovery serves them until the planned files change."""
    cached = changeset.derived.get("project")
    if cached is not None and cached[0] == changeset.revision:
        return cached[1]  # type: ignore[return-value]
    planned = _discover_planned(project, changeset)
    changeset.derived["project"] = (changeset.revision, planned)
    return planned


def _discover_planned(project: ProjectModel, changeset: Changeset) -> ProjectModel:
    from fixer.sources import planned_files

    with planned_files(_created(project, changeset)):
        return discover(
            project.root,
            settings=project.production_module if project.settings_origin == "given" else None,
            manage=project.manage_py,
            overlay={c.rel: c.new for c in changeset.changes()},
            reuse=project.cache,
        )


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


def _summarise(project, changeset, ctx, before, after, spans) -> ApplyResult:
    before_by_item: dict[int, list[Finding]] = {}
    for f in before.findings:
        if f.item is not None:
            before_by_item.setdefault(f.item, []).append(f)
    items: list[ItemSummary] = []
    bugs: list[Finding] = []
    for item, status in before.items.items():
        old = before_by_item.get(item, [])
        new = [f for f in after.findings if f.item == item]
        fixed = [f for f in old if (f.code, f.path) not in {(n.code, n.path) for n in new}]
        opened: list[tuple[Finding, str]] = []
        for f in new:
            on_rewritten = f.path is not None and any(
                f.line in span for span in spans.get((item, f.path), [])
            )
            if on_rewritten:
                bugs.append(f)
                reason = "djfix bug: the finding survives its own fix"
            else:
                reason = _reason(ctx, item, f) or _why_open(f)
            opened.append((f, reason))
        if status in ("n/a", "skipped"):
            summary = status
        elif not old:
            summary = "pass"
        elif not new:
            summary = "fixed"
        elif fixed:
            summary = "partly fixed"
        else:
            summary = "open"
        items.append(ItemSummary(item, summary, fixed, opened))
    return ApplyResult(project, changeset, ctx, before, after, items, bugs)


def _why_open(f: Finding) -> str:
    fix = f.effective_fix
    if fix.safety.value == "none":
        return fix.reason or "no automatic fix"
    return "djfix could not rewrite this shape: change it by hand as the finding says"


def _reason(ctx: FixContext, item: int, f: Finding) -> str | None:
    for left in ctx.left:
        if left.item == item and (left.rel is None or left.rel == f.path):
            return left.reason
    return None


def write(result: ApplyResult) -> list[str]:
    """Write every planned file at once (all or nothing)."""
    return result.changeset.commit()
