"""The fix plan of item 6: merge migrations for conflicts whose branches touch different models,
empty `__init__.py` files for migrations folders without one, and, where Django can run, the
migrations `makemigrations` writes for models that changed without one.

Nothing here writes to the user's tree: every file goes into the changeset; the migrations
`makemigrations` writes are made in a temporary copy of the tree and read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codemods import merge_migration
from fixer import django_runner, rule_codes
from fixer.analysis.variables import build_environment
from fixer.fix_context import FixContext
from fixer.migration_graph import Key, MigrationGraph, build_graph
from fixer.project import ProjectModel

ITEM = 6
#: same-app ancestors followed per leaf
_MAX_ANCESTORS = 20_000


@dataclass
class MergePlan:
    """What djfix would do about one app's conflict."""

    label: str
    leaves: list[str]
    rel: str | None = None  # the merge migration to write; None: not safe to merge
    name: str | None = None
    clashes: list[str] = field(default_factory=list)  # why not: the operations in the way


def python_option(options: dict[str, Any]) -> tuple[bool, str | None]:
    """(run Django?, interpreter). The option is absent: static checks only; None or "": the
    `python` on PATH; False or "none": never; anything else: that interpreter."""
    if "python" not in options:
        return False, None
    value = options["python"]
    if value is False or (isinstance(value, str) and value.lower() == "none"):
        return False, None
    return True, (value or None)


def _ancestors(graph: MigrationGraph, key: Key) -> set[Key]:
    seen = {key}
    queue = [key]
    for current in queue:
        if len(seen) >= _MAX_ANCESTORS:
            break
        for parent in graph.parents(current):
            if parent[0] == key[0] and parent not in seen and graph.migration(parent):
                seen.add(parent)
                queue.append(parent)
    return seen


def _branch_touches(project, graph, branch: list[Key], read) -> tuple[list, list[str]]:
    """[(migration name, Touch)] of a branch, and the ones djfix cannot read."""
    out: list[tuple[str, merge_migration.Touch]] = []
    unknown: list[str] = []
    for key in branch:
        migration = graph.migration(key)
        text = read(migration.rel) if migration else None
        touches = merge_migration.touches(text, key[0]) if text is not None else None
        if touches is None:
            unknown.append(f"{key[1]} (its operations are not a list djfix can read)")
            continue
        for touch in touches:
            out.append((key[1], touch))
            if touch.models is None:
                unknown.append(f"{key[1]}: {touch.operation} (djfix cannot tell which models)")
    return out, unknown


def plan_merge(project: ProjectModel, graph: MigrationGraph, label: str, read=None) -> MergePlan:
    """Whether the conflict of app `label` can be merged, and the merge migration's path."""
    read = read or (lambda rel: project.cache.python(project.root / rel).text)
    leaves = graph.conflicts().get(label, [])
    plan = MergePlan(label, leaves)
    app = project.local_app(label)
    if len(leaves) < 2 or app is None or app.migrations_rel is None:
        return plan
    ancestries = [_ancestors(graph, (label, leaf)) for leaf in leaves]
    common = set.intersection(*ancestries)
    if not common:
        plan.clashes.append(f"the leaves {', '.join(leaves)} share no ancestor")
        return plan
    branches = []
    for leaf, ancestry in zip(leaves, ancestries, strict=True):
        branch = sorted(ancestry - common)
        touches, unknown = _branch_touches(project, graph, branch, read)
        plan.clashes.extend(f"branch {leaf}: {u}" for u in unknown)
        branches.append((leaf, touches))
    if plan.clashes:
        return plan
    for i, (leaf_a, ops_a) in enumerate(branches):
        for leaf_b, ops_b in branches[i + 1 :]:
            plan.clashes.extend(_clashes(leaf_a, ops_a, leaf_b, ops_b))
    if plan.clashes:
        return plan
    # no time in the name or the header: a second run must write the same file
    plan.name = merge_migration.merge_name(leaves, None)
    plan.rel = f"{app.migrations_rel}/{plan.name}.py"
    return plan


def _clashes(leaf_a, ops_a, leaf_b, ops_b) -> list[str]:
    written_a = set().union(*(t.models for _, t in ops_a)) if ops_a else set()
    written_b = set().union(*(t.models for _, t in ops_b)) if ops_b else set()
    seen_a = written_a | set().union(*(t.refers for _, t in ops_a)) if ops_a else set()
    seen_b = written_b | set().union(*(t.refers for _, t in ops_b)) if ops_b else set()
    out = []
    for leaf, ops, other_written, other_seen in (
        (leaf_a, ops_a, written_b, seen_b),
        (leaf_b, ops_b, written_a, seen_a),
    ):
        for name, touch in ops:
            if touch.models & other_seen or touch.refers & other_written:
                out.append(f"branch {leaf}: {name}: {touch.operation}")
    return out


def _merge_source(project: ProjectModel, plan: MergePlan) -> str:
    version = ".".join(str(p) for p in project.django_version) if project.django_version else None
    return merge_migration.merge_source(plan.label, plan.leaves, None, version)


def _note(ctx: FixContext, text: str) -> None:
    if text not in ctx.notes:
        ctx.notes.append(text)


def migration_overlay(project: ProjectModel, overlay: dict[str, str]) -> dict[str, str]:
    """The planned files Django needs to see: those of the local apps' migrations folders (the
    other planned changes, settings above all, may need packages the interpreter lacks, and do
    not change what `makemigrations` finds)."""
    folders = [app.rel.rstrip("/") + "/migrations/" for app in project.apps]
    folders += [app.migrations_rel.rstrip("/") + "/" for app in project.apps if app.migrations_rel]
    return {rel: text for rel, text in overlay.items() if any(rel.startswith(f) for f in folders)}


def fix(ctx: FixContext) -> None:
    project = ctx.project
    codes = {f.code for f in ctx.findings(ITEM)}
    for app in project.apps:
        if app.migrations_rel is not None and not app.migrations_init:
            ctx.write(f"{app.migrations_rel}/__init__.py", "", ITEM)
    graph = build_graph(project)
    if rule_codes.MIGRATION_CONFLICT in codes:
        for label in graph.conflicts():
            plan = plan_merge(project, graph, label, ctx.changeset.read)
            newest = graph.migration((label, plan.leaves[-1])) if plan.leaves else None
            if plan.rel is None:
                ctx.leave(
                    ITEM,
                    newest.rel if newest else None,
                    f"the branches of app '{label}' change the same models ("
                    + "; ".join(plan.clashes)
                    + "): merge them by hand",
                )
                continue
            ctx.write(plan.rel, _merge_source(project, plan), ITEM)
    run, python = python_option(ctx.options)
    if not codes & {
        rule_codes.MIGRATION_CONFLICT,
        rule_codes.MIGRATIONS_MISSING,
        rule_codes.MIGRATIONS_MISSING_FOR_CHANGES,
    }:
        return
    if not run:
        if codes & {rule_codes.MIGRATIONS_MISSING, rule_codes.MIGRATIONS_MISSING_FOR_CHANGES}:
            ctx.leave(
                ITEM,
                None,
                "djfix writes missing migrations only where Django can run (--python)",
            )
        return
    overlay = migration_overlay(project, {c.rel: c.new for c in ctx.changeset.changes()})
    written, report = django_runner.make_migrations(
        project, python, overlay, variables=build_environment(project)
    )
    if report.note:
        _note(ctx, report.note)
        ctx.leave(ITEM, None, report.note)
    for rel, text in sorted(written.items()):
        ctx.write(rel, text, ITEM)
