"""Item 12: initial data comes from data migrations.

## What it checks
- `data-created-in-ready` (DJ120): `AppConfig.ready()` of a local app creates rows:
  `.create()`, `.get_or_create()`, `.update_or_create()`, `.bulk_create()`, `.save()` or
  `call_command("loaddata", ...)`, in `ready()` itself or, one level deep, in a function of the
  same file or a method of the same class that it calls (code in nested functions and in signal
  handlers it only connects does not run there and is not reported);
- `data-created-in-post-migrate` (DJ121): a `post_migrate` receiver defined in a local app
  (connected with `post_migrate.connect(handler, ...)`, also a lambda, or decorated with
  `@receiver(post_migrate)`) that creates rows the same ways. A handler djfix cannot find (one
  imported from a package outside the repository, or built at run time) is not reported, nor
  are rows written once for each model of the migrated app (`for model in
  sender.get_models():`): they follow the models, as Django's content types and permissions
  do, and no migration written today could hold the rows of models added later;
- `loaddata-in-script` (DJ122): `manage.py loaddata` (also `django-admin`, `python -m django`,
  behind `sh -c`, `poetry run` and the like) run by a shell script, a Makefile, a Procfile, a
  compose service's command or entrypoint, a CI file, or a Dockerfile RUN/CMD/ENTRYPOINT; also
  `call_command("loaddata", ...)` in the project's Python code that is not a test or a
  migration (a management command, an invoke `tasks.py`, a setup script beside the apps), one
  finding a file, where `ready()` or a `post_migrate` handler does not make the call;
- `initial-data-fixture` (DJ123): a fixture named `initial_data.json` (`.yaml`, `.yml`, `.xml`,
  also compressed) in a local app's `fixtures/` folder.

## Why it matters
Rows the application needs (statuses, categories, groups, a default site) must exist exactly
once on every database, including a new one, and must change with the schema that holds them. A
RunPython data migration does that: it runs once, in order with the schema changes, in the same
`migrate` that every deploy already runs, and it is recorded. Data created in `ready()` runs in
every process, before the tables exist on a new database; a `post_migrate` handler runs after
every `migrate`, with the current models rather than the historical ones, so it breaks as soon
as a later migration changes them; `loaddata` in a script overwrites rows edited since on every
run, and is forgotten by whoever deploys another way. Django stopped loading `initial_data`
fixtures for apps with migrations in 1.7 and removed the feature in 1.9: such a file is silently
never loaded.

## Example
```diff
 # Makefile
 seed:
-	python manage.py loaddata statuses
 # orders/apps.py
 class OrdersConfig(AppConfig):
     name = "orders"
-
-    def ready(self):
-        from .models import Status
-
-        Status.objects.get_or_create(name="new", defaults={"label": "New"})
 # orders/migrations/0002_initial_status.py (new)
+# Initial data of app 'orders', embedded from:
+#   orders/fixtures/statuses.json
+#   orders/apps.py (OrdersConfig.ready())
+# The values are copied here, so later changes to the models cannot break this migration.
+from django.db import migrations
+
+# (app label, model, lookup, other values): rows are found by the lookup, then created or updated
+ROWS = [
+    ("orders", "Status", {"name": "new"}, {"label": "New", "position": 10}),
+    ("orders", "Status", {"name": "paid"}, {"label": "Paid", "position": 20}),
+]
+
+
+def create_initial_data(apps, schema_editor):
+    db = schema_editor.connection.alias
+    for app_label, model_name, lookup, values in ROWS:
+        model = apps.get_model(app_label, model_name)
+        model._default_manager.using(db).update_or_create(defaults=values, **lookup)
+
+
+class Migration(migrations.Migration):
+    dependencies = [
+        ("orders", "0001_initial"),
+    ]
+
+    operations = [
+        # The reverse keeps the rows: they may be older than this migration (loaded by a script
+        # before) and other rows may point to them. Unapplying the app's first migration drops
+        # the tables anyway.
+        migrations.RunPython(create_initial_data, migrations.RunPython.noop),
+    ]
```

## Fix safety
Unsafe: review which rows the migration holds. `djfix apply` writes one RunPython data migration
per app (`NNNN_initial_<model>`, after the app's current leaf migration) holding the rows of:
the fixtures that scripts load (JSON and YAML, also compressed, read as files), the
`initial_data` fixtures, and the `create()` / `get_or_create()` / `update_or_create()` calls of
`ready()` and `post_migrate` handlers whose arguments are literals (also inside a `for` loop over
a literal or a module-level constant). The values are embedded, the models come from
`apps.get_model`, and each row is written with `update_or_create` on a unique field it sets (else
on its primary key, and the sequences are then moved past the rows, as `loaddata` does), so a
database that already holds the rows gets no duplicates. The reverse is a no-op: the rows may be
older than the migration, and other rows may point to them.

Then the `loaddata` commands go (only that command of an `a && b && c` chain), and so do the
writes: a `post_migrate` handler or a `ready()` left with nothing to do is deleted, with the
`post_migrate.connect` and the imports only they used. Left with the reason: values djfix cannot
read statically (a call, a variable, `**kwargs`), writes in a helper function, `bulk_create()`
and `save()`, `loaddata` with options other than `--verbosity`/`--settings`, after `||` or in a
pipe, alone in a compose `command:` or CI step, `call_command("loaddata", ...)` in Python code
(fix=none: the code around it may need the rows at that moment), fixtures in XML or outside a
local app's `fixtures/`, many-to-many values and natural-key references, and apps with several leaf
migrations (merge them first, item 6). An `initial_data` fixture is embedded but not deleted:
delete the file by hand. Module-level constants the removed code used are kept (another module
may import them).

## Options
None.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.initial_data import (
    COMPRESSIONS,
    FIXTURE_FORMATS,
    all_commands,
    app_of,
    fixture_names,
    fixture_owner,
    loaddata_calls,
    post_migrate_handlers,
)
from fixer.analysis.startup_code import (
    Hit,
    ReadyMethod,
    creates_data,
    ready_methods,
    scan_body,
    snippet,
    walk_expr,
)
from fixer.checks import rule
from fixer.findings import Finding, Fix, FixSafety, Severity
from fixer.parsers.commands import manage_py_commands
from fixer.parsers.shell import ScriptCommand
from fixer.project import ProjectModel

ITEM = 12
TITLE = "Initial data from migrations"

DATA_CREATED_IN_READY = rule(
    __name__,
    rule_codes.DATA_CREATED_IN_READY,
    "data-created-in-ready",
    ITEM,
    Severity.WARNING,
    "AppConfig.ready() creates rows instead of a data migration.",
    FixSafety.UNSAFE,
)
DATA_CREATED_IN_POST_MIGRATE = rule(
    __name__,
    rule_codes.DATA_CREATED_IN_POST_MIGRATE,
    "data-created-in-post-migrate",
    ITEM,
    Severity.WARNING,
    "A post_migrate signal handler creates rows instead of a data migration.",
    FixSafety.UNSAFE,
)
LOADDATA_IN_SCRIPT = rule(
    __name__,
    rule_codes.LOADDATA_IN_SCRIPT,
    "loaddata-in-script",
    ITEM,
    Severity.WARNING,
    "A deploy or setup script runs `manage.py loaddata` instead of a data migration.",
    FixSafety.UNSAFE,
)
INITIAL_DATA_FIXTURE = rule(
    __name__,
    rule_codes.INITIAL_DATA_FIXTURE,
    "initial-data-fixture",
    ITEM,
    Severity.ERROR,
    "An initial_data fixture relies on automatic loading, which Django removed.",
    FixSafety.UNSAFE,
)
RULES = [
    DATA_CREATED_IN_READY,
    DATA_CREATED_IN_POST_MIGRATE,
    LOADDATA_IN_SCRIPT,
    INITIAL_DATA_FIXTURE,
]
OPTIONS: dict[str, Any] = {}


def applies(project: ProjectModel) -> bool:
    return bool(project.apps)


# -- DJ120 ---------------------------------------------------------------------------------------


def _ready_message(ready: ReadyMethod, hit: Hit) -> str:
    line = getattr(hit.node, "lineno", 1)
    where = f"{ready.cls.name}.ready()"
    if hit.via_name:
        runs = f"{where} calls {hit.via_name}(), which creates data with `{snippet(hit.node)}` "
        runs += f"(line {line})"
    else:
        runs = f"{where} creates data with `{snippet(hit.node)}`"
    return (
        f"{runs} in every process that starts, before `migrate` has created the table on a new "
        f"database: create these rows in a RunPython data migration of app '{ready.app.label}'"
    )


def _data_in_ready(project: ProjectModel, lines: set[tuple[str, int]]) -> Iterator[Finding]:
    """DJ120; `lines` gets the (file, line) of every write found."""
    for ready in ready_methods(project):
        tree = ready.file.tree
        if tree is None:
            continue
        for hit in scan_body(ready.func, tree, ready.cls, creates_data):
            lines.add((ready.file.rel, getattr(hit.node, "lineno", hit.line)))
            yield Finding(
                DATA_CREATED_IN_READY,
                _ready_message(ready, hit),
                ready.file.rel,
                hit.line,
                getattr(hit.via or hit.node, "col_offset", 0) + 1,
            )


# -- DJ121 ---------------------------------------------------------------------------------------


def _per_model(handler: ast.AST, node: ast.AST) -> bool:
    """Whether `node` runs once for each model of the app registry (`for model in
    sender.get_models():`): a row per model kept in step with the models, as Django's own
    contenttypes and permissions are, not initial data a migration could hold."""
    for loop in ast.walk(handler):
        if (
            isinstance(loop, (ast.For, ast.AsyncFor))
            and isinstance(loop.iter, ast.Call)
            and isinstance(loop.iter.func, ast.Attribute)
            and loop.iter.func.attr == "get_models"
            and any(n is node for stmt in loop.body for n in ast.walk(stmt))
        ):
            return True
    return False


def _data_in_post_migrate(project: ProjectModel, lines: set[tuple[str, int]]) -> Iterator[Finding]:
    """DJ121; `lines` gets the (file, line) of every write found."""
    seen: set[tuple[str, int]] = set()
    handlers = sorted(post_migrate_handlers(project), key=lambda h: (h[0].rel, h[1].lineno))
    for hf, handler, how in handlers:
        if (hf.rel, handler.lineno) in seen or hf.tree is None:
            continue
        seen.add((hf.rel, handler.lineno))
        app = app_of(project, hf.path)
        if app is None:
            continue  # a handler outside the local apps (e.g. in the project package)
        if isinstance(handler, ast.Lambda):
            hits = [Hit(n, g) for n, g in walk_expr(handler.body, False) if creates_data(n)]
            name = "lambda"
        else:
            hits = scan_body(handler, hf.tree, None, creates_data)
            name = f"{handler.name}()"
        hits = [h for h in hits if not _per_model(handler, h.via or h.node)]
        lines.update((hf.rel, getattr(h.node, "lineno", h.line)) for h in hits)
        if not hits:
            continue
        hit = hits[0]
        node_line = getattr(hit.node, "lineno", handler.lineno)
        via = f" through {hit.via_name}()" if hit.via_name else ""
        yield Finding(
            DATA_CREATED_IN_POST_MIGRATE,
            f"post_migrate handler {name} ({how}) creates data{via} with "
            f"`{snippet(hit.node)}` (line {node_line}) after every `migrate`, with the current "
            "models instead of the historical ones: create these rows in a RunPython data "
            f"migration of app '{app.label}'",
            hf.rel,
            handler.lineno,
            handler.col_offset + 1,
        )


# -- DJ122 ---------------------------------------------------------------------------------------


def _loaddata_in_scripts(project: ProjectModel) -> Iterator[Finding]:
    seen: set[tuple[str, int, str]] = set()
    per_file: dict[str, list[ScriptCommand]] = {}
    for rel, command in all_commands(project):
        per_file.setdefault(rel, []).append(command)
    for rel, commands in per_file.items():
        for command, subcommand, args in manage_py_commands(commands):
            if subcommand != "loaddata":
                continue
            names = fixture_names(args)
            key = (rel, command.line, " ".join(names))
            if key in seen:
                continue
            seen.add(key)
            owners = sorted({a.label for n in names if (a := fixture_owner(project, n))})
            listed = ", ".join(names) if names else "(no fixture named)"
            target = (
                f"app '{owners[0]}'"
                if len(owners) == 1
                else ("apps " + ", ".join(f"'{o}'" for o in owners))
                if owners
                else "the app that owns the data"
            )
            yield Finding(
                LOADDATA_IN_SCRIPT,
                f"{rel} runs `loaddata {listed}`, which reloads the fixture on every run (undoing "
                "later edits to those rows) and is skipped by any other way of deploying: move "
                f"the data into a RunPython data migration of {target}",
                rel,
                command.line,
            )


#: why a loaddata call in Python code stays
_PYTHON_LOADDATA_LEFT = (
    "djfix removes loaddata from scripts only: a call in Python code stays, as the code around "
    "it may need the rows at that moment; move the rows into a data migration by hand"
)


def _loaddata_in_python(project: ProjectModel, reported: set[tuple[str, int]]) -> Iterator[Finding]:
    """`call_command("loaddata", ...)` in a setup task or a management command: one finding a
    file, at its first call (the calls ready() and post_migrate handlers make are theirs)."""
    per_file: dict[str, list[tuple[int, list[str]]]] = {}
    for rel, line, names in loaddata_calls(project):
        if (rel, line) not in reported:
            per_file.setdefault(rel, []).append((line, names))
    for rel, calls in per_file.items():
        every = [n for _, found in calls for n in found]
        names = list(dict.fromkeys(n for n in every if n != "?"))
        computed = "?" in every
        owners = sorted({a.label for n in names if (a := fixture_owner(project, n))})
        target = (
            f"app '{owners[0]}'"
            if len(owners) == 1
            else ("apps " + ", ".join(f"'{o}'" for o in owners))
            if owners
            else "the app that owns the data"
        )
        parts = names[:6] + ([f"{len(names) - 6} more"] if len(names) > 6 else [])
        parts += ["a computed name"] if computed else []
        shown = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
        lines = ", ".join(str(line) for line, _ in calls[:6]) + (", ..." if len(calls) > 6 else "")
        lines = f"line {lines}" if len(calls) == 1 else f"lines {lines}"
        yield Finding(
            LOADDATA_IN_SCRIPT,
            f"{rel} runs `loaddata {shown or '(no fixture named)'}` from Python (call_command, "
            f"{lines}), so a database made by `migrate` alone lacks those rows until someone "
            f"runs it: move the data into a RunPython data migration of {target}",
            rel,
            calls[0][0],
            fix=Fix(FixSafety.NONE, _PYTHON_LOADDATA_LEFT),
        )


# -- DJ123 ---------------------------------------------------------------------------------------


def _initial_data_fixtures(project: ProjectModel) -> Iterator[Finding]:
    for app in project.apps:
        folder = app.path / "fixtures"
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("initial_data.*")):
            suffix = path.name[len("initial_data.") :]
            fmt, _, compression = suffix.partition(".")
            if fmt not in FIXTURE_FORMATS or f".{compression}".rstrip(".") not in COMPRESSIONS:
                continue
            version = project.django_version
            if version is not None and version < (1, 9) and not app.migrations:
                # Django 1.7 and 1.8 still load it, but only for an app without migrations
                fate = (
                    "is loaded only while the app has no migrations and Django is older than "
                    "1.9 (the first migration or the upgrade silently stops it)"
                )
            else:
                fate = (
                    "is never loaded: Django stopped loading initial_data fixtures "
                    "automatically (for apps with migrations in 1.7, altogether in 1.9), so "
                    "this data silently never arrives"
                )
            yield Finding(
                INITIAL_DATA_FIXTURE,
                f"{project.rel(path)} {fate}: move it into a RunPython data migration of app "
                f"'{app.label}'",
                project.rel(path),
                1,
            )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    # the writes ready() and post_migrate handlers make are theirs, not DJ122's
    startup: set[tuple[str, int]] = set()
    yield from _data_in_ready(project, startup)
    yield from _data_in_post_migrate(project, startup)
    yield from _loaddata_in_scripts(project)
    yield from _loaddata_in_python(project, startup)
    yield from _initial_data_fixtures(project)
