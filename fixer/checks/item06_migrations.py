"""Item 6: valid migrations.

## What it checks
The migrations of every local app (the apps of `INSTALLED_APPS` that live in the repository),
read as Django's migration loader reads them, without a database:

- `migration-conflict` (DJ060): an app has several leaf migrations (two branches that both
  build on the same parent, typically after merging two feature branches);
- `migration-dependency-missing` (DJ061): a migration depends on (or `run_before`s) a migration
  of a local app that does not exist, also after squashed migrations replaced theirs, or on
  `__first__`/`__latest__` of a local app that has no migrations; and a squashed migration of
  which some replaced files were deleted while others remain;
- `migration-cycle` (DJ062): migrations that depend on each other in a circle;
- `migrations-init-missing` (DJ063): a migrations folder without `__init__.py`;
- `migration-unparsable` (DJ064): a migration file that cannot be read, does not parse, or
  defines no `Migration` class;
- `migrations-missing` (DJ065): an app whose `models.py` (or `models/` package) defines a
  concrete, managed model but that has no migration at all (no migrations folder, or an empty
  one).

Dependencies on apps outside the repository (`django.contrib.*`, third-party packages) cannot be
checked statically and are skipped, as are swappable dependencies on `AUTH_USER_MODEL` when the
user model is not local. A squashed migration stands in for the migrations it replaces (the
case of a new database). When a migration builds its dependencies in code, does not parse, or
depends on a missing migration of its own app, its app is not checked for conflicts: its edges
are unknown or broken, and DJ064 or DJ061 reports the cause. Models are recognised by their
bases (`models.Model`, a model class of the same file or `models/` package, and the usual
abstract bases such as `AbstractUser`, `TimeStampedModel`, `MPTTModel`); a class whose only
base comes from another app is not counted, and a models file that does not parse is reported
by DJ900. Apps whose migrations are turned off with `MIGRATION_MODULES = {"app": None}` are not
expected to have migrations.

## Why it matters
`manage.py migrate` is the first thing a deploy runs, and each of these stops it: with several
leaves it fails with "Conflicting migrations detected"; a missing dependency raises
`NodeNotFoundError`, a cycle `CircularDependencyError`, a file that does not import or has no
`Migration` class `BadMigrationError`. A migrations folder without `__init__.py` is a namespace
package, which Django's loader skips: the app counts as having no migrations, so `migrate`
silently creates none of its tables, `showmigrations` lists "(no migrations)" and
`makemigrations` says "No changes detected". An app with models but no migrations gets no tables
at all (only `migrate --run-syncdb` would create them, bypassing migrations), so its first query
fails with "relation does not exist".

## Example
```diff
 # blog/migrations/0003_merge.py, written by `python manage.py makemigrations --merge blog`
+from django.db import migrations
+
+
+class Migration(migrations.Migration):
+    dependencies = [
+        ("blog", "0002_comment_approved"),
+        ("blog", "0002_post_slug"),
+    ]
+
+    operations = []
```

## Fix safety
No automatic fix yet: run `python manage.py makemigrations --merge` for a conflict, and
`makemigrations <app>` for an app without migrations; the other problems need a person to decide
which migration is right.

## Options
None.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fixer.checks import rule
from fixer.findings import Finding, Severity
from fixer.migration_graph import Key, MigrationGraph, build_graph, migrations_of
from fixer.project import App, Migration, ProjectModel

ITEM = 6
TITLE = "Valid migrations"

MIGRATION_CONFLICT = rule(
    __name__,
    "DJ060",
    "migration-conflict",
    ITEM,
    Severity.ERROR,
    "An app has several leaf migrations, so `migrate` stops with conflicting migrations.",
)
MIGRATION_DEPENDENCY_MISSING = rule(
    __name__,
    "DJ061",
    "migration-dependency-missing",
    ITEM,
    Severity.ERROR,
    "A migration depends on a migration of a local app that does not exist.",
)
MIGRATION_CYCLE = rule(
    __name__,
    "DJ062",
    "migration-cycle",
    ITEM,
    Severity.ERROR,
    "Migrations depend on each other in a circle.",
)
MIGRATIONS_INIT_MISSING = rule(
    __name__,
    "DJ063",
    "migrations-init-missing",
    ITEM,
    Severity.ERROR,
    "A migrations folder has no __init__.py, so Django ignores every migration in it.",
)
MIGRATION_UNPARSABLE = rule(
    __name__,
    "DJ064",
    "migration-unparsable",
    ITEM,
    Severity.ERROR,
    "A migration file cannot be read or defines no Migration class.",
)
MIGRATIONS_MISSING = rule(
    __name__,
    "DJ065",
    "migrations-missing",
    ITEM,
    Severity.ERROR,
    "An app defines models but has no migrations, so its tables are never created.",
)
RULES = [
    MIGRATION_CONFLICT,
    MIGRATION_DEPENDENCY_MISSING,
    MIGRATION_CYCLE,
    MIGRATIONS_INIT_MISSING,
    MIGRATION_UNPARSABLE,
    MIGRATIONS_MISSING,
]
OPTIONS: dict[str, Any] = {}

#: files of a models/ package read at most, and classes followed per app
_MAX_MODEL_FILES = 200
#: base classes from well-known packages that make a class a model
_KNOWN_MODEL_BASES = frozenset(
    {
        "AbstractUser",
        "AbstractBaseUser",
        "MPTTModel",
        "PolymorphicModel",
        "TimeStampedModel",
        "TimeFramedModel",
        "StatusModel",
        "SoftDeletableModel",
        "UUIDModel",
        "OrderedModel",
        "TitleSlugDescriptionModel",
        "AbstractBaseSession",
        "GeoModel",
    }
)


def applies(project: ProjectModel) -> bool:
    return bool(project.apps)


def _dotted(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


def _class_line(project: ProjectModel, migration: Migration) -> int:
    """The line of the Migration class (1 when the file does not parse)."""
    tree = project.cache.python(project.root / migration.rel).tree
    for node in tree.body if tree else []:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            return node.lineno
    return 1


def _name_line(project: ProjectModel, migration: Migration, name: str) -> int:
    """The first line of the file that quotes `name`, else the Migration class line."""
    text = project.cache.python(project.root / migration.rel).text or ""
    for quote in ('"', "'"):
        at = text.find(f"{quote}{name}{quote}")
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return _class_line(project, migration)


# -- DJ060 / DJ061 / DJ062 ---------------------------------------------------------------------


def _conflicts(project: ProjectModel, graph: MigrationGraph) -> Iterator[Finding]:
    for label, leaves in graph.conflicts().items():
        newest = graph.migration((label, leaves[-1]))
        if newest is None:
            continue
        listing = ", ".join(leaves)
        yield Finding(
            MIGRATION_CONFLICT,
            f"app '{label}' has {len(leaves)} leaf migrations ({listing}), so `migrate` stops "
            'with "Conflicting migrations detected": run `python manage.py makemigrations '
            f"--merge {label}` and commit the merge migration it writes (djfix cannot write "
            "it yet)",
            newest.rel,
            _class_line(project, newest),
        )


def _missing(project: ProjectModel, graph: MigrationGraph) -> Iterator[Finding]:
    for migration, key, line in graph.missing_dependencies():
        own = (migration.app_label, migration.name)
        app = project.local_app(key[0])
        line = line or _name_line(project, migration, key[1])
        if key[1] in ("__first__", "__latest__"):
            yield Finding(
                MIGRATION_DEPENDENCY_MISSING,
                f"migration {_dotted(own)} depends on {_dotted(key)}, but app '{key[0]}' has no "
                'migrations, so `migrate` stops with "Dependency on app with no migrations": '
                f"run `python manage.py makemigrations {key[0]}` and commit the result",
                migration.rel,
                line,
            )
            continue
        if app is None or app.migrations_rel is None:
            where = f"app '{key[0]}' has no migrations folder"
        else:
            latest = graph.leaves(key[0])
            where = f"{app.migrations_rel} has no such file" + (
                f" (its latest migration is {latest[-1]})" if latest else ""
            )
        yield Finding(
            MIGRATION_DEPENDENCY_MISSING,
            f"migration {_dotted(own)} depends on {_dotted(key)}, but {where}, so `migrate` "
            "stops with NodeNotFoundError: restore the missing migration or point the "
            "dependency at one that exists",
            migration.rel,
            line,
        )
    for squash in graph.partial_squashes():
        migration = squash.migration
        gone = ", ".join(k[1] for k in squash.missing)
        kept = ", ".join(k[1] for k in squash.present)
        yield Finding(
            MIGRATION_DEPENDENCY_MISSING,
            f"squashed migration {migration.app_label}.{migration.name} replaces migrations of "
            f"which {gone} were deleted while {kept} remain, so a database that applied only "
            "some of them cannot migrate (NodeNotFoundError): restore the deleted ones, or "
            "delete all of them once every database has applied the squashed migration",
            migration.rel,
            _name_line(project, migration, squash.present[0][1]),
        )


def _cycles(project: ProjectModel, graph: MigrationGraph) -> Iterator[Finding]:
    for cycle in graph.cycles():
        first = graph.migration(cycle[0])
        if first is None:
            continue
        nxt = cycle[1] if len(cycle) > 1 else cycle[0]
        line = first.dependency_lines.get(nxt) or _name_line(project, first, nxt[1])
        chain = " -> ".join(_dotted(k) for k in [*cycle, cycle[0]])
        yield Finding(
            MIGRATION_CYCLE,
            f"migrations depend on each other in a circle ({chain}), so `migrate` stops with "
            "CircularDependencyError: remove the dependency that points back to a later "
            "migration",
            first.rel,
            line,
        )


# -- DJ063 / DJ064 -----------------------------------------------------------------------------


def _folder_problems(project: ProjectModel) -> Iterator[Finding]:
    for app in project.apps:
        migrations = migrations_of(app)
        if app.migrations_rel is not None and not app.migrations_init and migrations:
            yield Finding(
                MIGRATIONS_INIT_MISSING,
                f"{app.migrations_rel} has no __init__.py, so Django loads it as a namespace "
                f"package and treats app '{app.label}' as having no migrations: `migrate` "
                f"applies none of its {len(migrations)} migrations and creates none of its "
                "tables; add an empty __init__.py to the folder",
                app.migrations_rel,
                None,
            )
        for migration in migrations:
            if migration.problem is None:
                continue
            problem = migration.problem
            if "djfix" not in problem:
                problem += (
                    ", so Django cannot load it and `migrate` stops: fix the file (or delete it "
                    "if it is not a migration)"
                )
            yield Finding(
                MIGRATION_UNPARSABLE,
                f"migration {migration.app_label}.{migration.name} {problem}",
                migration.rel,
                migration.problem_line or 1,
            )


# -- DJ065 ---------------------------------------------------------------------------------------


def _model_files(app: App) -> list[Path]:
    single = app.path / "models.py"
    if single.is_file():
        return [single]
    package = app.path / "models"
    if not (package / "__init__.py").is_file():
        return []
    files: list[Path] = []
    # os.walk, not rglob: it never follows symlinked folders and reports no errors
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                files.append(Path(dirpath) / name)
        if len(files) >= _MAX_MODEL_FILES:
            break
    return files[:_MAX_MODEL_FILES]


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):  # Generic-style bases: Model[...]
        return _name_of(node.value)
    return ""


def _is_django_model_base(node: ast.expr, model_names: set[str]) -> bool:
    name = _name_of(node)
    if name in model_names or name in _KNOWN_MODEL_BASES:
        return True
    # models.Model, django.db.models.Model, gis.db.models.Model; a bare `Model` only when it
    # was imported from Django (see _model_imports)
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "Model"
        and _name_of(node.value) == "models"
    )


def _meta_flags(cls: ast.ClassDef) -> dict[str, Any]:
    flags: dict[str, Any] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for inner in stmt.body:
                if isinstance(inner, ast.Assign) and isinstance(inner.value, ast.Constant):
                    for target in inner.targets:
                        if isinstance(target, ast.Name):
                            flags[target.id] = inner.value.value
    return flags


def _model_imports(tree: ast.Module) -> set[str]:
    """Names bound to django.db.models.Model by `from django.db.models import Model`."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("db.models"):
            for alias in node.names:
                if alias.name == "Model":
                    out.add(alias.asname or alias.name)
    return out


def _models_of(
    project: ProjectModel, app: App
) -> tuple[str | None, list[tuple[str, int]], list[str]]:
    """(models file, concrete managed models as (name, line), models that need no table)."""
    classes: list[tuple[str, ast.ClassDef]] = []
    model_names: set[str] = set()
    for path in _model_files(app):
        f = project.cache.python(path)
        if not f.text or "class " not in f.text or f.tree is None:
            continue
        model_names |= _model_imports(f.tree)
        classes.extend((f.rel, c) for c in f.tree.body if isinstance(c, ast.ClassDef))
    # a class is a model when a base is one; repeat until nothing changes, since subclasses may
    # come before their bases across the files of a package (bounded by the number of classes)
    models: dict[str, tuple[str, ast.ClassDef]] = {}
    for _ in range(len(classes) + 1):
        changed = False
        for rel, cls in classes:
            if cls.name in models:
                continue
            if any(_is_django_model_base(b, model_names) for b in cls.bases):
                models[cls.name] = (rel, cls)
                model_names.add(cls.name)
                changed = True
        if not changed:
            break
    concrete: list[tuple[str, int]] = []
    tableless: list[str] = []
    first_rel: str | None = None
    for name, (rel, cls) in models.items():
        flags = _meta_flags(cls)
        if flags.get("abstract") is True:
            continue
        if flags.get("proxy") is True or flags.get("managed") is False:
            tableless.append(name)
            continue
        if first_rel is None:
            first_rel = rel
        if rel == first_rel:
            concrete.append((name, cls.lineno))
    return first_rel, concrete, tableless


def _migrations_disabled(project: ProjectModel, app: App) -> bool:
    modules = project.settings.get("MIGRATION_MODULES")
    return isinstance(modules, dict) and app.label in modules and modules[app.label] is None


def _missing_migrations(project: ProjectModel) -> Iterator[Finding]:
    for app in project.apps:
        if migrations_of(app) or _migrations_disabled(project, app):
            continue
        rel, concrete, tableless = _models_of(project, app)
        if rel is None or not concrete:
            continue
        names = ", ".join(n for n, _ in concrete[:5]) + (", ..." if len(concrete) > 5 else "")
        where = (
            f"its migrations folder {app.migrations_rel} holds no migration"
            if app.migrations_rel is not None
            else "it has no migrations folder"
        )
        extra = (
            f" ({', '.join(tableless[:5])} need no table: proxy or unmanaged)" if tableless else ""
        )
        yield Finding(
            MIGRATIONS_MISSING,
            f"app '{app.label}' defines models ({names}){extra} but {where}, so `migrate` never "
            f"creates their tables: run `python manage.py makemigrations {app.label}` and "
            "commit the migrations",
            rel,
            concrete[0][1],
        )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    graph = build_graph(project)
    yield from _folder_problems(project)
    yield from _conflicts(project, graph)
    yield from _missing(project, graph)
    yield from _cycles(project, graph)
    yield from _missing_migrations(project)
