"""Merge migrations, written as `manage.py makemigrations --merge` writes them, and the reading
of a migration's operations that decides whether two branches can be merged without a person.

Pure functions over source text: `touches(source)` lists what each operation of a migration
changes; `merge_name(leaves, now)` and `merge_source(app_label, leaves, ...)` give the file name
and text Django's `handle_merge` would write (same name rule, same header, dependencies on every
leaf, an empty operation list).
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: operations whose model is named by `name` (or the first positional argument)
_BY_NAME = frozenset(
    {
        "CreateModel",
        "DeleteModel",
        "AlterModelTable",
        "AlterModelTableComment",
        "AlterUniqueTogether",
        "AlterIndexTogether",
        "AlterOrderWithRespectTo",
        "AlterModelOptions",
        "AlterModelManagers",
    }
)
#: operations whose model is named by `model_name` (or the first positional argument)
_BY_MODEL_NAME = frozenset(
    {
        "AddField",
        "RemoveField",
        "AlterField",
        "RenameField",
        "AddIndex",
        "RemoveIndex",
        "RenameIndex",
        "AddConstraint",
        "RemoveConstraint",
        "AlterConstraint",
    }
)
_RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField", "ForeignObject"})


@dataclass(frozen=True)
class Touch:
    """One operation of a migration: which models of the app it changes, and which it refers to.
    `models` is None when djfix cannot tell (RunPython, RunSQL, an operation it does not know,
    a model name that is not a literal)."""

    operation: str  # e.g. "AddField(model_name='post', name='slug')"
    line: int
    models: frozenset[str] | None
    refers: frozenset[str] = frozenset()


def _call_name(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _arg(call: ast.Call, keyword: str, position: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > position:
        return call.args[position]
    return None


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _model_ref(value: str, app_label: str) -> str | None:
    """'blog.post' or 'Post' as a lower-case model name of `app_label`; None for other apps."""
    if "." in value:
        app, _, model = value.partition(".")
        return model.lower() if app == app_label else None
    if value == "self":
        return None
    return value.lower()


def _relations(node: ast.AST, app_label: str) -> set[str]:
    """Models of the app that relation fields inside `node` point to."""
    out: set[str] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and _call_name(call) in _RELATION_FIELDS:
            target = _text(_arg(call, "to", 0))
            ref = _model_ref(target, app_label) if target else None
            if ref:
                out.add(ref)
    return out


def _describe(call: ast.Call) -> str:
    parts = []
    for key in ("name", "model_name", "old_name", "new_name"):
        for kw in call.keywords:
            if kw.arg == key and _text(kw.value) is not None:
                parts.append(f"{key}={_text(kw.value)!r}")
    if not parts and call.args and _text(call.args[0]) is not None:
        parts.append(repr(_text(call.args[0])))
    return f"{_call_name(call)}({', '.join(parts)})"


def _operations(tree: ast.Module) -> list[ast.expr] | None:
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == "Migration"):
            continue
        for stmt in cls.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id == "operations"
            ):
                if isinstance(stmt.value, (ast.List, ast.Tuple)):
                    return list(stmt.value.elts)
                return None
        return []
    return None


def touches(source: str, app_label: str) -> list[Touch] | None:
    """What each operation of the migration `source` changes; None when the file does not parse
    or its operations are not a literal list."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    ops = _operations(tree)
    if ops is None:
        return None
    out: list[Touch] = []
    for op in ops:
        if not isinstance(op, ast.Call):
            out.append(Touch(ast.unparse(op)[:80], op.lineno, None))
            continue
        kind = _call_name(op)
        models: set[str] | None = None
        if kind in _BY_NAME:
            name = _text(_arg(op, "name", 0))
            models = {name.lower()} if name else None
        elif kind in _BY_MODEL_NAME:
            name = _text(_arg(op, "model_name", 0))
            models = {name.lower()} if name else None
        elif kind == "RenameModel":
            old, new = _text(_arg(op, "old_name", 0)), _text(_arg(op, "new_name", 1))
            models = {old.lower(), new.lower()} if old and new else None
        out.append(
            Touch(
                _describe(op),
                op.lineno,
                frozenset(models) if models is not None else None,
                frozenset(_relations(op, app_label)),
            )
        )
    return out


def parse_number(name: str) -> int | None:
    """Django's MigrationAutodetector.parse_number."""
    squashed = re.search(r".*_squashed_(\d+)", name)
    if squashed:
        return int(squashed[1])
    match = re.match(r"^\d+", name)
    return int(match[0]) if match else None


def merge_name(leaves: Sequence[str], now: datetime.datetime | None) -> str:
    """The name `makemigrations --merge` gives the merge migration of `leaves`. Django puts the
    time in a name that would be too long; with `now` None (djfix's own runs) a digest of the
    leaves stands there instead, so a second run writes the same file."""
    numbers = [n for n in (parse_number(leaf) for leaf in leaves) if n is not None]
    biggest = max(numbers) if numbers else 1
    leaf_names = "_".join(sorted(leaves))
    if len(leaf_names) <= 47:
        tail = leaf_names
    elif now is not None:
        tail = now.strftime("%Y%m%d_%H%M")
    else:
        tail = hashlib.sha1(leaf_names.encode()).hexdigest()[:8]
    return f"{biggest + 1:04d}_merge_{tail}"


def merge_source(
    app_label: str,
    leaves: Sequence[str],
    now: datetime.datetime | None,
    django_version: str | None = None,
) -> str:
    """The text of the merge migration, as Django's MigrationWriter writes it; with `now` None
    the header carries no time, so a second run writes the same file."""
    stamp = f" on {now.strftime('%Y-%m-%d %H:%M')}" if now is not None else ""
    header = (
        f"# Generated by Django {django_version}{stamp}"
        if django_version
        else (f"# Generated{stamp}" if stamp else "# Generated by djfix")
    )
    deps = "".join(f"        ({app_label!r}, {leaf!r}),\n" for leaf in leaves)
    return (
        f"{header}\n"
        "\n"
        "from django.db import migrations\n"
        "\n"
        "\n"
        "class Migration(migrations.Migration):\n"
        "\n"
        "    dependencies = [\n"
        f"{deps}"
        "    ]\n"
        "\n"
        "    operations = [\n"
        "    ]\n"
    )
