"""Initial data as RunPython data migrations (checklist item 12).

Everything here is static: fixtures are read as files (JSON, YAML, also compressed), and the
rows that `AppConfig.ready()` or a `post_migrate` handler creates are read from the literal
arguments of their `create()` / `get_or_create()` / `update_or_create()` calls (also inside a
`for` loop over a literal, or over a module-level constant bound to one). Nothing is imported.

`plan_app(...)` turns the rows of one app into the text of a migration that depends on the app's
current leaf, gets its models with `apps.get_model`, embeds the values (so later model changes
cannot break it), writes them with `update_or_create` on a natural key (a unique field the row
sets) or else on the primary key, and has a no-op reverse.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import json
import lzma
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codemods import ready_writes, remove_loaddata
from fixer.analysis.initial_data import all_commands, app_of, fixture_owner, post_migrate_handlers
from fixer.analysis.startup_code import creates_data, ready_methods, scan_body
from fixer.fix_context import rediscover
from fixer.migration_graph import build_graph
from fixer.parsers.commands import manage_py_commands
from fixer.project import App, ProjectModel
from fixer.templating import render as render_template

#: manager methods whose literal arguments describe the rows they create
CREATE_CALLS = frozenset({"create", "get_or_create", "update_or_create"})
MANAGERS = frozenset({"objects", "_default_manager"})
#: the arguments of a post_migrate handler: a condition on them only picks the app that migrates
SIGNAL_ARGUMENTS = frozenset(
    {"sender", "app_config", "kwargs", "using", "apps", "plan", "verbosity", "interactive"}
)
_RELATIONS = frozenset({"ForeignKey", "OneToOneField"})
_MANY = frozenset({"ManyToManyField"})
_MAX_ROWS = 5000
#: the first line of every data migration djfix writes
HEADER = "# Initial data of app"
_MAX_LOOP = 1000
_MAX_FIXTURE_BYTES = 5_000_000
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}


class NotLiteral(Exception):
    """A value djfix cannot know without running the code."""


@dataclass
class Row:
    app_label: str
    model: str  # the class name, as apps.get_model takes it
    values: dict[str, Any]
    pk: Any = None
    # fields the code looked the row up by (get_or_create's keyword arguments)
    lookup: tuple[str, ...] = ()
    source: str = ""  # where the row comes from, for the migration's comment

    @property
    def key(self) -> tuple[str, str]:
        return (self.app_label, self.model.lower())


@dataclass
class ModelInfo:
    name: str
    unique: list[str] = field(default_factory=list)  # in declaration order
    relations: set[str] = field(default_factory=set)
    many: set[str] = field(default_factory=set)
    pk_name: str = "id"


@dataclass
class Planned:
    """One app's data migration, or why there is none."""

    app: App
    rel: str | None = None
    text: str | None = None
    name: str | None = None
    rows: list[Row] = field(default_factory=list)


# -- model declarations --------------------------------------------------------------------------


def model_infos(app: App) -> dict[str, ModelInfo]:
    """{lowercase class name: ModelInfo} for the classes of the app's models module(s)."""
    files = [app.path / "models.py"]
    package = app.path / "models"
    if package.is_dir():
        files.extend(sorted(package.glob("*.py"))[:100])
    out: dict[str, ModelInfo] = {}
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for cls in tree.body:
            if isinstance(cls, ast.ClassDef):
                out[cls.name.lower()] = _model_info(cls)
    return out


class AppModels(Mapping[str, dict[str, ModelInfo]]):
    """{app label: model_infos(app)} of the project's apps, an app's models read when a row
    first asks for them (most runs embed no row), once per run."""

    def __init__(self, project: ProjectModel) -> None:
        self._project = project
        self._apps = {a.label: a for a in project.apps}

    def __getitem__(self, label: str) -> dict[str, ModelInfo]:
        app = self._apps[label]
        # read from disk, as every discovery of the run sees it
        return self._project.cache.store.remember(
            ("model-infos", app.path), lambda: model_infos(app)
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._apps)

    def __len__(self) -> int:
        return len(self._apps)


def _model_info(cls: ast.ClassDef) -> ModelInfo:
    info = ModelInfo(cls.name)
    for stmt in cls.body:
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
        ):
            continue
        name = stmt.targets[0].id
        func = stmt.value.func
        kind = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        flags = {
            kw.arg
            for kw in stmt.value.keywords
            if isinstance(kw.value, ast.Constant) and kw.value.value is True
        }
        if kind in _RELATIONS:
            info.relations.add(name)
        if kind in _MANY:
            info.many.add(name)
        if "primary_key" in flags:
            info.pk_name = name
        elif "unique" in flags or kind == "OneToOneField":
            info.unique.append(name)
    return info


# -- fixtures ------------------------------------------------------------------------------------


def fixture_paths(app: App, name: str) -> list[Path]:
    """The files of `app/fixtures/` that `loaddata name` would load."""
    folder = app.path / "fixtures"
    stem = Path(name).name
    if (folder / stem).is_file():
        return [folder / stem]
    found = []
    for path in sorted(folder.glob(f"{stem}.*"))[:20]:
        rest = path.name[len(stem) + 1 :]
        fmt, _, compression = rest.partition(".")
        if fmt in ("json", "yaml", "yml", "xml") and compression in ("", *_compressions()):
            found.append(path)
    return found


def _compressions() -> tuple[str, ...]:
    return ("gz", "bz2", "xz", "lzma", "zip")


def read_fixture(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """(objects, None) or ([], why djfix cannot embed the fixture)."""
    suffixes = path.name.split(".")[1:]
    compression = f".{suffixes[-1]}" if len(suffixes) > 1 else ""
    fmt = suffixes[-2] if compression else (suffixes[-1] if suffixes else "")
    if compression == ".zip" or fmt == "xml":
        return [], f"{path.name}: djfix embeds JSON and YAML fixtures only"
    try:
        if compression:
            with _OPENERS[compression](path, "rb") as handle:
                raw = handle.read(_MAX_FIXTURE_BYTES + 1)
        else:
            raw = path.read_bytes()[: _MAX_FIXTURE_BYTES + 1]
    except (OSError, EOFError, KeyError, lzma.LZMAError) as error:
        return [], f"{path.name}: cannot be read ({error})"
    if len(raw) > _MAX_FIXTURE_BYTES:
        return [], f"{path.name}: larger than {_MAX_FIXTURE_BYTES} bytes"
    try:
        text = raw.decode("utf-8")
        if fmt == "json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except ImportError:
        return [], f"{path.name}: reading YAML needs PyYAML"
    except Exception as error:  # any parse error of a user file becomes a reason
        return [], f"{path.name}: does not parse ({type(error).__name__})"
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        return [], f"{path.name}: not a list of objects"
    return data, None


def rows_from_fixture(
    objects: list[dict[str, Any]], models: Mapping[str, dict[str, ModelInfo]], source: str
) -> tuple[list[Row], str | None]:
    """Rows of a fixture's objects; `models` is {app label: model_infos(app)}."""
    rows: list[Row] = []
    for obj in objects[:_MAX_ROWS]:
        label = obj.get("model")
        if not isinstance(label, str) or label.count(".") != 1:
            return [], f"{source}: an object without a valid 'model'"
        app_label, model = label.split(".")
        fields = obj.get("fields", {})
        if not isinstance(fields, dict):
            return [], f"{source}: {label} has no 'fields' mapping"
        if fields.get("password") and label.lower() != "sessions.session":
            # an account with its password hash (a sample admin/123123): a data migration
            # would create it in every database, production's included
            return [], (
                f"{source}: it holds user accounts with their passwords ({label}): a data "
                "migration would create them in every database, production's included; create "
                "accounts with createsuperuser, or from variables in a migration of your own"
            )
        info = models.get(app_label, {}).get(model.lower())
        name = info.name if info else model
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if (info and key in info.many) or (isinstance(value, list) and info is None):
                return [], f"{source}: {label}.{key} is a many-to-many field"
            if info and key in info.relations:
                if isinstance(value, list):
                    return [], f"{source}: {label}.{key} uses a natural key"
                values[f"{key}_id"] = value
            else:
                values[key] = value
        if "pk" not in obj and not (info and any(u in values for u in info.unique)):
            return [], f"{source}: a {label} object has neither a pk nor a unique field"
        rows.append(Row(app_label, name, values, obj.get("pk"), source=source))
    return rows, None


# -- literal calls in ready() and post_migrate handlers --------------------------------------------


def literal(node: ast.AST, env: dict[str, Any]) -> Any:
    """The value of a literal expression; names bound in `env` are known."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [literal(e, env) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotLiteral(ast.unparse(node))
        return {
            literal(k, env): literal(v, env) for k, v in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = literal(node.operand, env)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    raise NotLiteral(ast.unparse(node))


def module_constants(tree: ast.Module) -> dict[str, Any]:
    """Module-level names bound once to a literal."""
    seen: dict[str, int] = {}
    values: dict[str, Any] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                seen[target.id] = seen.get(target.id, 0) + 1
                try:
                    values[target.id] = literal(stmt.value, {})
                except NotLiteral:
                    values.pop(target.id, None)
    return {k: v for k, v in values.items() if seen.get(k) == 1}


def _bind(target: ast.AST, value: Any, env: dict[str, Any]) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    if (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (tuple, list))
        and len(target.elts) == len(value)
    ):
        for t, v in zip(target.elts, value, strict=True):
            _bind(t, v, env)
        return
    raise NotLiteral(ast.unparse(target))


def _parents(func: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(func):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def model_name_of(call: ast.Call) -> str | None:
    """`Category` of `Category.objects.get_or_create(...)`."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in CREATE_CALLS):
        return None
    manager = func.value
    if (
        isinstance(manager, ast.Attribute)
        and manager.attr in MANAGERS
        and isinstance(manager.value, ast.Name)
    ):
        return manager.value.id
    return None


def model_module(func: ast.AST, tree: ast.Module, name: str) -> tuple[str, int] | None:
    """(module, level) that `name` is imported from, in the function or the module."""
    for scope in (func, tree):
        for node in ast.walk(scope):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name and alias.name == name:
                        return node.module or "", node.level
    return None


def rows_from_call(
    call: ast.Call,
    func: ast.AST,
    tree: ast.Module,
    app_label_of: dict[str, str] | None = None,
    default_app: str = "",
    source: str = "",
) -> tuple[list[Row], str | None]:
    """The rows a creating call makes, with every enclosing `for` loop over a literal expanded;
    or ([], why not). `app_label_of` maps an imported models module to its app label."""
    model = model_name_of(call)
    if model is None:
        return [], "creates data with a call djfix cannot read as rows"
    imported = model_module(func, tree, model)
    app_label = default_app
    if imported is not None:
        module, level = imported
        if not level:
            app_label = (app_label_of or {}).get(module, "")
            if not app_label:
                return [], f"{model} comes from {module}, not from a local app djfix knows"
    elif not any(isinstance(c, ast.ClassDef) and c.name == model for c in tree.body):
        return [], f"djfix cannot tell which model {model} is"
    parents = _parents(func)
    loops: list[ast.For] = []
    node: ast.AST = call
    for _ in range(100):
        parent = parents.get(id(node))
        if parent is None or parent is func:
            break
        if isinstance(parent, ast.For) and node in parent.body:
            loops.append(parent)
        elif isinstance(parent, ast.If) and _names_in(parent.test) <= SIGNAL_ARGUMENTS:
            pass  # `if sender.name == "orders":` in a post_migrate handler
        elif isinstance(parent, (ast.While, ast.If, ast.comprehension, ast.ListComp)):
            return [], "runs under a condition or a loop djfix cannot expand"
        node = parent
    constants = module_constants(tree)
    envs: list[dict[str, Any]] = [{}]
    try:
        for loop in reversed(loops):
            expanded: list[dict[str, Any]] = []
            for env in envs:
                values = literal(loop.iter, {**constants, **env})
                if not isinstance(values, (list, tuple, set)) or len(values) > _MAX_LOOP:
                    raise NotLiteral(ast.unparse(loop.iter))
                for value in values:
                    inner = dict(env)
                    _bind(loop.target, value, inner)
                    expanded.append(inner)
            envs = expanded
        rows = []
        for env in envs:
            scope = {**constants, **env}
            if call.args or any(kw.arg is None for kw in call.keywords):
                raise NotLiteral("positional or ** arguments")
            values: dict[str, Any] = {}
            lookup: list[str] = []
            defaults: dict[str, Any] = {}
            for kw in call.keywords:
                value = literal(kw.value, scope)
                if kw.arg in ("defaults", "create_defaults"):
                    if not isinstance(value, dict):
                        raise NotLiteral(ast.unparse(kw.value))
                    if kw.arg == "defaults":
                        defaults.update(value)
                else:
                    values[str(kw.arg)] = value
                    lookup.append(str(kw.arg))
            if any("__" in k for k in values):
                return [], "looks rows up through a related field or a lookup"
            merged = {**defaults, **values}
            pk = merged.pop("pk", None)
            names = tuple(k for k in lookup if k != "pk")
            if call.func.attr == "create":  # type: ignore[attr-defined]
                names = ()
            rows.append(Row(app_label, model, merged, pk, names, source))
    except NotLiteral as error:
        return [], f"a value djfix cannot read statically: `{error}`"
    if any(row.values.get("password") for row in rows):
        # an account with its password written in the code: as a data migration it would
        # exist in every database, production's included
        return [], (
            "creates user accounts with their passwords: a data migration would create them in "
            "every database, production's included; create accounts with createsuperuser, or "
            "from variables in a migration of your own"
        )
    return rows, None


# -- merging and rendering -----------------------------------------------------------------------


def _natural_key(row: Row, info: ModelInfo | None) -> tuple[str, ...]:
    if info is not None:
        for name in info.unique:
            if name in row.values:
                return (name,)
    if row.lookup and row.pk is None:
        return row.lookup
    return ()


def merge(
    rows: list[Row], models: Mapping[str, dict[str, ModelInfo]]
) -> tuple[list[Row], str | None]:
    """One row per natural key (or pk), in first-seen order; a fixture's values win over the
    defaults of a get_or_create, as `loaddata` ran after it. Keys are decided here."""
    out: dict[tuple, Row] = {}
    uses_relations = any(k.endswith("_id") for r in rows for k in r.values if not k.startswith("_"))
    for row in rows:
        info = models.get(row.app_label, {}).get(row.model.lower())
        keys = () if uses_relations and row.pk is not None else _natural_key(row, info)
        if keys:
            identity: tuple = (row.key, keys, tuple(repr(row.values.get(k)) for k in keys))
            row.lookup = keys
        elif row.pk is not None:
            identity = (row.key, ("pk",), (repr(row.pk),))
            row.lookup = ()
        else:
            return [], f"a {row.model} row has neither a unique field nor a pk to find it by"
        old = out.get(identity)
        if old is None:
            out[identity] = row
        else:
            fixture_wins = row.source.endswith((".json", ".yaml", ".yml")) or old.pk is None
            old.values = (
                {**old.values, **row.values}
                if fixture_wins
                else {
                    **row.values,
                    **old.values,
                }
            )
            old.pk = old.pk if old.pk is not None else row.pk
    return list(out.values()), None


def py(value: Any) -> str:
    """A Python literal for a fixture value, with double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))  # dates and times from YAML: their ISO text


def migration_name(leaf: str | None, rows: list[Row], taken: set[str]) -> str:
    number = 1
    match = re.match(r"(\d+)_", leaf or "")
    if match:
        number = int(match.group(1)) + 1
    models = list(dict.fromkeys(_snake(r.model) for r in rows))
    stem = "initial_" + "_".join(models[:2]) if len(models) <= 2 else "initial_data"
    name = f"{number:04d}_{stem}"[:80]
    for n in range(2, 50):
        if name not in taken:
            break
        name = f"{number:04d}_{stem}_{n}"
    return name


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render(
    app_label: str, dependencies: list[tuple[str, str]], rows: list[Row], sources: list[str]
) -> str:

    entries = []
    for row in rows:
        lookup = {k: row.values[k] for k in row.lookup} if row.lookup else {"pk": row.pk}
        values = {k: v for k, v in row.values.items() if k not in row.lookup}
        parts = [py(row.app_label), py(row.model), py(lookup), py(values)]
        one_line = "(" + ", ".join(parts) + "),"
        if len(one_line) <= 95:
            entries.append(one_line)
        else:
            entries.append("(\n" + "".join(f"        {p},\n" for p in parts) + "    ),")
    return render_template(
        "data_migration.py.jinja",
        app_label=app_label,
        dependencies=[(py(a), py(b)) for a, b in dependencies],
        rows=entries,
        sources=sources or ["the project"],
        reset_sequences=any(not r.lookup for r in rows),
    )


def plan_app(
    project: ProjectModel,
    app: App,
    rows: list[Row],
    sources: list[str],
    leaves: list[str],
) -> tuple[Planned, str | None]:
    """The data migration of `app` holding `rows`, or why none can be written."""
    if app.migrations_rel is None:
        return Planned(app), f"app '{app.label}' has no migrations package"
    if len(leaves) > 1:
        return Planned(app), (
            f"app '{app.label}' has several leaf migrations ({', '.join(leaves)}): merge them "
            "first (item 6)"
        )
    models = AppModels(project)
    merged, reason = merge(rows, models)
    if reason:
        return Planned(app), reason
    local = {a.label for a in project.apps}
    dependencies = [(app.label, leaves[0])] if leaves else []
    for other in sorted({r.app_label for r in merged} - {app.label}):
        if other in local:
            other_app = next(a for a in project.apps if a.label == other)

            other_leaves = build_graph(project).leaves(other)
            if len(other_leaves) != 1 or other_app.migrations_rel is None:
                return Planned(app), f"app '{other}' has no single leaf migration to depend on"
            dependencies.append((other, other_leaves[0]))
        else:
            dependencies.append((other, "__latest__"))
    taken = {m.name for m in app.migrations}
    name = migration_name(leaves[0] if leaves else None, merged, taken)
    rel = f"{app.migrations_rel}/{name}.py"
    text = render(app.label, dependencies, merged, sources)
    return Planned(app, rel, text, name, merged), None


# -- the fix plan --------------------------------------------------------------------------------


@dataclass
class _Call:
    rel: str
    line: int
    column: int
    app: str
    rows: list[Row]
    handler: str | None = None


def _already_embedded(project: ProjectModel, app: App, source: str) -> bool:
    """True when a data migration djfix wrote earlier names `source` in its header."""
    folder = app.path / "migrations"
    for path in sorted(folder.glob("0*.py"))[:500] if folder.is_dir() else []:
        head = (project.cache.text(path).text or "")[:3000]
        if head.startswith(HEADER) and f"\n#   {source}\n" in head:
            return True
    return False


def fix(ctx) -> None:
    """Item 12: embed fixtures and the rows ready() / post_migrate handlers create into one
    data migration per app, then remove the loaddata commands and the writes."""

    project = rediscover(ctx.project, ctx.changeset) if ctx.changeset else ctx.project
    apps = {a.label: a for a in project.apps}
    models_module = {f"{a.name}.models": a.label for a in project.apps}
    rows_of: dict[str, list[Row]] = {}  # app label -> rows
    sources_of: dict[str, list[str]] = {}

    # 1. rows created by ready() and post_migrate handlers, with literal arguments
    calls: list[_Call] = []
    for ready in ready_methods(project):
        tree = ready.file.tree
        if tree is None:
            continue
        for hit in scan_body(ready.func, tree, ready.cls, creates_data):
            line = getattr(hit.node, "lineno", hit.line)
            if hit.via is not None:
                ctx.leave(
                    12,
                    ready.file.rel,
                    f"line {line}: creates data in {hit.via_name}(), "
                    "which ready() calls: move it into a data migration by hand",
                )
                continue
            source = f"{ready.cls.name}.ready()"
            rows, reason = rows_from_call(
                hit.node, ready.func, tree, models_module, ready.app.label, source
            )
            if reason:
                ctx.leave(12, ready.file.rel, f"line {line}: {reason}")
                continue
            calls.append(_Call(ready.file.rel, line, hit.node.col_offset, ready.app.label, rows))
    seen: set[tuple[str, int]] = set()
    for hf, handler, _how in post_migrate_handlers(project):
        app = app_of(project, hf.path)
        if app is None or hf.tree is None or (hf.rel, handler.lineno) in seen:
            continue
        seen.add((hf.rel, handler.lineno))
        if isinstance(handler, ast.Lambda):
            ctx.leave(12, hf.rel, f"line {handler.lineno}: a lambda post_migrate handler")
            continue
        for hit in scan_body(handler, hf.tree, None, creates_data):
            line = getattr(hit.node, "lineno", hit.line)
            if hit.via is not None:
                ctx.leave(
                    12,
                    hf.rel,
                    f"line {line}: creates data in {hit.via_name}(), which "
                    "the handler calls: move it into a data migration by hand",
                )
                continue
            source = f"{handler.name}()"
            rows, reason = rows_from_call(
                hit.node, handler, hf.tree, models_module, app.label, source
            )
            if reason:
                ctx.leave(12, hf.rel, f"line {line}: {reason}")
                continue
            calls.append(_Call(hf.rel, line, hit.node.col_offset, app.label, rows, handler.name))
    # only statements the codemod can remove are embedded
    removable: set[tuple[str, int]] = set()
    for rel in sorted({c.rel for c in calls}):
        source_text = ctx.changeset.read(rel) or ""
        mine = [c for c in calls if c.rel == rel]
        dry = ready_writes.transform(
            source_text, [(c.line, c.column) for c in mine], {c.handler for c in mine if c.handler}
        )
        removable |= {(rel, line) for line in dry.removed}
        for line, reason in dry.left:
            ctx.leave(12, rel, f"line {line}: {reason}")
    calls = [c for c in calls if (c.rel, c.line) in removable]

    # 2. fixtures loaded by scripts, and initial_data fixtures
    fixtures: dict[str, tuple[str, list[Row], str] | str] = {}  # name -> (app, rows, rel) | why
    per_file: dict[str, list] = {}
    for rel, command in all_commands(project):
        per_file.setdefault(rel, []).append(command)
    loaded: dict[str, set[str]] = {}  # file -> fixture names its loaddata commands load
    models = AppModels(project)
    for rel, commands in per_file.items():
        for command, sub, args in manage_py_commands(commands):
            if sub != "loaddata":
                continue
            names, reason = remove_loaddata.fixture_args(args)
            if reason:
                ctx.leave(12, rel, f"line {command.line}: `{command.text.strip()}` stays: {reason}")
            for name in names:
                loaded.setdefault(rel, set()).add(name)
                if name not in fixtures:
                    fixtures[name] = _read_named_fixture(project, name, models)

    def embeddable(blocked: set[str]):
        def check(names: list[str]) -> str | None:
            for name in names:
                found = fixtures.get(name)
                if found is None:
                    return f"fixture {name} was not read"
                if isinstance(found, str):
                    return found
                if name in blocked:
                    return f"fixture {name} is also loaded where djfix cannot remove it"
            return None

        return check

    blocked: set[str] = set()
    for rel in loaded:
        dry = remove_loaddata.transform(ctx.changeset.read(rel) or "", embeddable(set()))
        for _line, command, _reason in dry.left:
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if "loaddata" in words:
                blocked |= set(
                    remove_loaddata.fixture_args(words[words.index("loaddata") + 1 :])[0]
                )
    for app in project.apps:
        folder = app.path / "fixtures"
        for path in sorted(folder.glob("initial_data.*"))[:10] if folder.is_dir() else []:
            rel = project.rel(path)
            if _already_embedded(project, app, rel):
                continue
            objects, reason = read_fixture(path)
            rows, reason = (rows_from_fixture(objects, models, rel)) if not reason else ([], reason)
            if reason:
                ctx.leave(12, rel, reason)
                continue
            rows_of.setdefault(app.label, []).extend(rows)
            sources_of.setdefault(app.label, []).append(rel)
            ctx.leave(
                12,
                rel,
                f"its rows are now in a data migration of app '{app.label}': "
                "delete the file (djfix does not delete files)",
            )
    for name, found in fixtures.items():
        if isinstance(found, str):
            for rel, names in loaded.items():
                if name in names:
                    ctx.leave(12, rel, found)
            continue
        if name in blocked:
            continue
        label, rows, rel = found
        rows_of.setdefault(label, []).extend(rows)
        sources_of.setdefault(label, []).append(rel)
    for call in calls:
        rows_of.setdefault(call.app, []).extend(call.rows)
        where = f"{call.rel} ({call.rows[0].source})" if call.rows else call.rel
        if where not in sources_of.setdefault(call.app, []):
            sources_of[call.app].append(where)

    # 3. one migration per app; an app that cannot have one keeps its scripts and writes
    graph = build_graph(project)
    failed: set[str] = set()
    for label, rows in rows_of.items():
        app = apps[label]
        planned, reason = plan_app(project, app, rows, sources_of[label], graph.leaves(label))
        if reason or planned.rel is None or planned.text is None:
            failed.add(label)
            ctx.leave(12, None, reason or f"no data migration for app '{label}'")
            continue
        ctx.write(planned.rel, planned.text, 12)
        ctx.notes.append(
            f"{planned.rel}: {len(planned.rows)} initial rows of app '{label}' "
            f"({', '.join(sources_of[label])})"
        )

    # 4. remove what the migrations replace
    for name, found in fixtures.items():
        if not isinstance(found, str) and found[0] in failed:
            blocked.add(name)
    for rel in sorted(loaded):
        source_text = ctx.changeset.read(rel) or ""
        result = remove_loaddata.transform(source_text, embeddable(blocked))
        for line, command, reason in result.left:
            ctx.leave(12, rel, f"line {line}: `{command}` stays: {reason}")
        if result.code != source_text:
            ctx.write(rel, result.code, 12)
    for rel in sorted({c.rel for c in calls}):
        mine = [c for c in calls if c.rel == rel and c.app not in failed]
        if not mine:
            continue
        source_text = ctx.changeset.read(rel) or ""
        result = ready_writes.transform(
            source_text, [(c.line, c.column) for c in mine], {c.handler for c in mine if c.handler}
        )
        if result.code != source_text:
            ctx.write(rel, result.code, 12)


def _read_named_fixture(
    project: ProjectModel, name: str, models: Mapping[str, dict[str, ModelInfo]]
) -> tuple[str, list[Row], str] | str:
    """(owner app label, rows, file) of the fixture `loaddata name` loads, or why not."""

    app = fixture_owner(project, name)
    if app is None:
        return f"fixture {name} is not in the fixtures folder of a local app"
    paths = fixture_paths(app, name)
    if len(paths) != 1:
        return f"fixture {name}: {len(paths)} files of app '{app.label}' match it"
    rel = project.rel(paths[0])
    objects, reason = read_fixture(paths[0])
    if reason:
        return reason
    rows, reason = rows_from_fixture(objects, models, rel)
    if reason:
        return reason
    return app.label, rows, rel
