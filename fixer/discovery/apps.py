"""The project's own apps (INSTALLED_APPS entries that are folders of the repository, with their
AppConfig) and what their migration files declare."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from fixer.project import App, Migration, ProjectModel
from fixer.sources import PyFile, is_dir, is_file, planned_paths


def _class_defs(tree: ast.Module | None) -> list[ast.ClassDef]:
    return [n for n in tree.body if isinstance(n, ast.ClassDef)] if tree else []


def _is_app_config(cls: ast.ClassDef) -> bool:
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("AppConfig"):
            return True
    return False


def _class_str_attr(cls: ast.ClassDef, attr: str) -> Any:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and t.id == attr:
                    return stmt.value.value
    return None


def read_apps(model: ProjectModel) -> None:
    migration_modules = model.settings.get("MIGRATION_MODULES")
    for entry in model.installed_apps:
        app = _resolve_app(model, entry)
        if app is None:
            continue
        has_override = isinstance(migration_modules, dict) and app.label in migration_modules
        override = migration_modules.get(app.label) if has_override else None
        if has_override and override is None:
            # MIGRATION_MODULES = {"app": None}: Django reads no migrations for the app
            model.apps.append(app)
            continue
        if isinstance(override, str):
            mig_path = model.module_path(override)
            mig_dir = (
                mig_path.parent if mig_path else model.source_root.joinpath(*override.split("."))
            )
        else:
            mig_dir = app.path / "migrations"
        if is_dir(mig_dir):
            app.migrations_rel = model.rel(mig_dir)
            app.migrations_init = is_file(mig_dir / "__init__.py")
            planned = {p for p in planned_paths() if p.parent == mig_dir and p.suffix == ".py"}
            prefix = f"{app.migrations_rel}/"
            if planned or any(rel.startswith(prefix) for rel in model.cache.overlay):
                files = sorted({*_migration_files(model, mig_dir), *planned})
                app.migrations = [_read_migration(model, app.label, f) for f in files]
            else:
                # the folder as it is on disk, read once per run: a rediscovery whose plans
                # leave it alone takes the same files and what they declare
                known = model.cache.store.remember(
                    ("migrations", app.label, mig_dir),
                    lambda d=mig_dir, label=app.label: tuple(
                        (f, model.python(f), _read_migration(model, label, f))
                        for f in _migration_files(model, d)
                    ),
                )
                model.cache.adopt((f, source) for f, source, _ in known)
                app.migrations = [migration for _, _, migration in known]
        model.apps.append(app)


def _migration_files(model: ProjectModel, folder: Path) -> tuple[Path, ...]:
    """The migration modules of a folder on disk, listed once per run, in file-name order."""
    return model.cache.store.remember(
        ("migration-files", folder),
        lambda: tuple(
            f
            for f in sorted(folder.glob("*.py"))
            if f.name != "__init__.py" and f.name[0] not in "_~"  # as Django's loader
        ),
    )


def _resolve_app(model: ProjectModel, entry: str) -> App | None:
    config_class = None
    module = entry
    path = model.module_path(entry)
    label = None
    if path is None and "." in entry:
        owner, _, cls_name = entry.rpartition(".")
        owner_path = model.module_path(owner)
        if owner_path is not None:
            tree = model.python(owner_path).tree
            for cls in _class_defs(tree):
                if cls.name == cls_name and _is_app_config(cls):
                    config_class = entry
                    name = _class_str_attr(cls, "name")
                    label = _class_str_attr(cls, "label")
                    module = name if isinstance(name, str) else owner.rpartition(".")[0]
                    path = model.module_path(module)
                    break
    if path is None:
        return None
    app_dir = path.parent if path.name == "__init__.py" else path.with_suffix("")
    if not is_dir(app_dir):
        return None
    apps_file = app_dir / "apps.py"
    if config_class is None and is_file(apps_file):
        configs = [c for c in _class_defs(model.python(apps_file).tree) if _is_app_config(c)]
        # Django 3.2+: the config marked default=True, else the only one (never default=False)
        eligible = [c for c in configs if _class_str_attr(c, "default") is not False]
        chosen = [c for c in eligible if _class_str_attr(c, "default") is True] or (
            eligible if len(eligible) == 1 else []
        )
        if len(chosen) >= 1:
            config_class = f"{module}.apps.{chosen[0].name}"
            label = _class_str_attr(chosen[0], "label")
    return App(
        name=module,
        label=label if isinstance(label, str) else module.rpartition(".")[2],
        path=app_dir,
        rel=model.rel(app_dir),
        entry=entry,
        config_class=config_class,
        apps_file=model.rel(apps_file) if is_file(apps_file) else None,
    )


def _pairs(node: ast.AST | None) -> list[tuple[tuple[str, str], int]]:
    out: list[tuple[tuple[str, str], int]] = []
    if not isinstance(node, (ast.List, ast.Tuple)):
        return out
    for elt in node.elts:
        if (
            isinstance(elt, (ast.Tuple, ast.List))
            and len(elt.elts) == 2
            and all(isinstance(e, ast.Constant) for e in elt.elts)
        ):
            out.append(((str(elt.elts[0].value), str(elt.elts[1].value)), elt.lineno))  # type: ignore[attr-defined]
        elif isinstance(elt, ast.Call):
            # migrations.swappable_dependency(settings.AUTH_USER_MODEL): satisfied by the user app
            out.append((("__setting__", ast.unparse(elt)), elt.lineno))
    return out


def _read_migration(model: ProjectModel, label: str, path: Path) -> Migration:
    """What a migration file declares; read once per content in a run (a rediscovery reuses
    it), and its tree is dropped afterwards: a project may hold thousands of migrations."""
    f = model.python(path)
    # shared by the discoveries of the run: nothing changes a Migration once it is read
    return f.memo(f"migration:{label}", lambda: _migration_facts(f, label, path))


def _migration_facts(f: PyFile, label: str, path: Path) -> Migration:
    parsed_here = not f.has_tree
    try:
        return _parse_migration(f, label, path)
    finally:
        if parsed_here:
            f.release()


def _parse_migration(f: PyFile, label: str, path: Path) -> Migration:
    mig = Migration(label, path.stem, f.rel)
    tree = f.tree
    if tree is None:
        mig.problem = f.problem.message if f.problem else "cannot be read"
        mig.problem_line = f.problem.line if f.problem else None
        return mig
    cls = next((c for c in _class_defs(tree) if c.name == "Migration"), None)
    if cls is None:
        mig.problem = "defines no Migration class"
        return mig
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if not isinstance(target, ast.Name):
                continue
            if target.id == "dependencies":
                for pair, line in _pairs(stmt.value):
                    mig.dependencies.append(pair)
                    mig.dependency_lines[pair] = line
            elif target.id == "replaces":
                mig.replaces = [p for p, _ in _pairs(stmt.value)]
            elif target.id == "run_before":
                mig.run_before = [p for p, _ in _pairs(stmt.value)]
            elif target.id == "initial" and isinstance(stmt.value, ast.Constant):
                mig.initial = bool(stmt.value.value)
    mig.has_run_python = "RunPython" in (f.text or "")
    mig.opaque = _edges_opaque(tree, f.text or "")
    return mig


def _edges_opaque(tree: ast.Module, text: str) -> bool:
    if ".dependencies" in text or ".run_before" in text or ".replaces" in text:
        return True
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == "Migration"):
            continue
        for base in cls.bases:
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name != "Migration":
                return True
        for stmt in cls.body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
                targets, value = [stmt.target], stmt.value
                if isinstance(stmt, ast.AugAssign):
                    value = None
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if not names & {"dependencies", "run_before", "replaces"}:
                continue
            if len(targets) != 1 or not isinstance(value, (ast.List, ast.Tuple)):
                return True
            for elt in value.elts:
                if isinstance(elt, ast.Call):
                    continue
                if not (
                    isinstance(elt, (ast.Tuple, ast.List))
                    and len(elt.elts) == 2
                    and all(isinstance(e, ast.Constant) for e in elt.elts)
                ):
                    return True
    return False
