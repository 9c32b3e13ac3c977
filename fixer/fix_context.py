"""What a fix plan works with: the project, the planned changes, the options, what detection
found, and what the plans record on the way (variables, secrets, packages, places left alone).

Below the checks and the orchestrator: a fix plan imports this, never `fixer.apply`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemods.env_calls import binds_env, env_reads, foreign_env_line
from fixer.analysis.app_paths import ImageLayout
from fixer.changeset import Changeset
from fixer.discovery import discover
from fixer.findings import CheckResult, Finding
from fixer.project import ProjectModel
from fixer.settings_values import star_closure
from fixer.sources import planned_files


@dataclass
class EnvVar:
    name: str
    comment: str
    example: str
    dev_value: str | None = None
    secret: bool = False
    required: bool = False
    # where the old value was written, as a setting path (`DATABASES['default']['PASSWORD']`),
    # and the line of its assignment (0: not known)
    setting: str | None = field(default=None, compare=False)
    setting_line: int = field(default=0, compare=False)


@dataclass
class SecretPlace:
    """A secret's value that was written in a tracked file: the variable that now holds it,
    the setting and the file where it was."""

    variable: str
    rel: str
    line: int
    setting: str


@dataclass
class Left:
    """A finding's place that a fix plan deliberately did not change, and why."""

    item: int
    rel: str | None
    reason: str
    code: str | None = None  # the rule it is about, where the place holds others' findings too


@dataclass
class FixContext:
    project: ProjectModel
    changeset: Changeset
    options: dict[str, Any]
    # the checklist items the selection asks for (a rule of the item is selected)
    wanted_items: frozenset[int]
    before: CheckResult
    env_vars: dict[str, EnvVar] = field(default_factory=dict)
    secrets: list[tuple[str, str, int]] = field(default_factory=list)  # (name, rel, line)
    packages: set[str] = field(default_factory=set)
    # the checklist item a package of `packages` is declared for, where it is not item 5's (the
    # database driver the generated image needs is item 1's)
    package_items: dict[str, int] = field(default_factory=dict)
    # packages the generated Dockerfile installs in a step of its own, pinned ({name: version}),
    # because the dependency file it installs from cannot take them (hash-pinned)
    image_installs: dict[str, str] = field(default_factory=dict)
    left: list[Left] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fixed_items: set[int] = field(default_factory=set)
    # the label of the generated common app, once a plan made or found it
    common_label: str | None = None
    common_generated: bool = False
    container_planned: bool = False
    # the plans several items share (the container files, the common app): the item whose
    # plan ran each one first, and the items whose part of it was already written by then,
    # each with the item whose commit holds it (item 2 -> item 1: no commit of its own)
    shared_plans: dict[str, int] = field(default_factory=dict)
    rides: dict[int, int] = field(default_factory=dict)
    # the generated api image's layout, once the container plan made one: where the compose
    # services' volumes go
    image_layout: ImageLayout | None = None
    # (item, rel, setting) a codemod says it rewrote: a finding left there is a djfix bug
    rewritten: set[tuple[int, str, str]] = field(default_factory=set)
    # the secrets to rotate, by the setting that held them (`secrets` names the variables)
    secret_places: list[SecretPlace] = field(default_factory=list)
    # the variables item 5's rewrite made the settings need: said in a note once the
    # environment files are written (whether .env holds them is known only then)
    settings_need: list[str] = field(default_factory=list)
    # items whose plans verification left out: nothing may be written on their behalf
    left_out: set[int] = field(default_factory=set)
    # called with the item of every write, before (False) and after (True) it is made:
    # plan() keeps the stages with it
    on_write: Callable[[int, bool], None] | None = field(default=None, repr=False, compare=False)

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
            if not existing.setting and var.setting:
                existing.setting, existing.setting_line = var.setting, var.setting_line

    def fork(self) -> FixContext:
        """A copy a step can run on without changing this context or its changeset."""
        return dataclasses.replace(
            self,
            changeset=self.changeset.copy(),
            env_vars={k: dataclasses.replace(v) for k, v in self.env_vars.items()},
            secrets=list(self.secrets),
            packages=set(self.packages),
            package_items=dict(self.package_items),
            image_installs=dict(self.image_installs),
            left=list(self.left),
            notes=list(self.notes),
            fixed_items=set(self.fixed_items),
            shared_plans=dict(self.shared_plans),
            rides=dict(self.rides),
            rewritten=set(self.rewritten),
            secret_places=list(self.secret_places),
            on_write=None,
        )

    def defining_module(self, name: str) -> str | None:
        """The file (relative path) whose assignment gives the setting `name` its value."""
        where = self.project.settings.where(name)
        return where.path if where is not None else None

    def shared_plan(self, name: str, item: int) -> int | None:
        """The item that already ran the plan `name` several items share, or None when `item`
        is the first (it runs the plan). A later item's part of it is in the first one's
        changes: `rides` records where, so its commit can say so."""
        owner = self.shared_plans.get(name)
        if owner is None:
            self.shared_plans[name] = item
            return None
        if owner != item:
            self.rides.setdefault(item, owner)
        return owner

    def leave(self, item: int, rel: str | None, reason: str, code: str | None = None) -> None:
        self.left.append(Left(item, rel, reason, code))

    def write(self, rel: str, text: str, item: int, *, tracked: bool = True) -> bool:
        """Plan `text` for `rel`; False (with the reason left on the item) where the change is
        refused: what goes with it (notes, variables, packages) must then not be recorded."""
        refused = self.changeset.unwritable(rel)
        if refused is not None:  # a symbolic link or a submodule: reported, never written
            self.leave(item, rel, refused)
            if refused not in self.notes:
                self.notes.append(refused)
            return False
        before = self.changeset.read(rel)
        if rel.endswith(".py") and before is not None:
            taken = foreign_env_binding(before, text)
            if taken is not None:
                # djfix's reads go through django-environ's `env`, which the module's own
                # binding would shadow (or be shadowed by): the settings would not load
                self.leave(
                    item,
                    rel,
                    f"the module binds the name `env` itself (line {taken}), and djfix's change "
                    "reads the environment through django-environ's `env`: rename yours to have "
                    "djfix rewrite it",
                )
                return False
            inherited = self.inherited_foreign_env(rel, before, text)
            if inherited is not None:
                base, line = inherited
                self.leave(
                    item,
                    rel,
                    f"the module reads through the `env` its star import brings from {base}, "
                    f"bound there to something other than django-environ's Env (line {line}), "
                    "and djfix's change binds django-environ's `env` here, which those reads "
                    f"cannot use: rename the one in {base} to have djfix rewrite this module",
                )
                return False
        if self.on_write is not None:
            self.on_write(item, False)
        self.changeset.write(rel, text, item=item, tracked=tracked)
        if before != text:
            self.fixed_items.add(item)
        if self.on_write is not None:
            self.on_write(item, True)
        return True

    def inherited_foreign_env(self, rel: str, before: str, after: str) -> tuple[str, int] | None:
        """(the module, the line) where a settings module that `rel` star-imports binds `env` to
        something other than django-environ's Env (`env = os.environ`), when `rel` reads through
        that `env` itself and `after` adds reads through `env`: djfix's own `env` would take
        the place of the one those reads use. None otherwise."""
        if (
            not _ENV_NAME.search(before)
            or binds_env(before)
            or env_reads(after) <= env_reads(before)
        ):
            return None
        modules = self.project.settings_modules
        dotted = next((d for d, m in modules.items() if m.rel == rel), None)
        for current in star_closure(modules, dotted) if dotted is not None else []:
            base = modules.get(current)
            source = self.changeset.read(base.rel) if base is not None and base.rel else None
            if source is None:
                continue
            line = foreign_env_line(source)
            if line is not None:
                return base.rel or current, line
            if binds_env(source):
                return None  # the nearest binding is django-environ's
        return None


_ENV_NAME = re.compile(r"\benv\b")


def foreign_env_binding(before: str, after: str) -> int | None:
    """The line of a module-level binding of `env` to something other than django-environ's
    `Env()` (`env = os.environ`, `def env(...)`), when `after` reads through `env` more than
    `before` did: the change would not run. None otherwise."""
    if "env" not in before or env_reads(after) <= env_reads(before):
        return None
    return foreign_env_line(before)


def created_files(project: ProjectModel, changeset: Changeset) -> set[Path]:
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
    with planned_files(created_files(project, changeset)):
        return discover(
            project.root,
            settings=project.production_module if project.settings_origin == "given" else None,
            manage=project.manage_py,
            overlay={c.rel: c.new for c in changeset.changes()},
            reuse=project.cache,
        )
