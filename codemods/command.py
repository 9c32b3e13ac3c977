"""The codemod protocol djfix's transformers follow: LibCST's, without LibCST's codemod framework.

A command is a transformer with a context: a scratch pad the pass writes import requests to,
and the metadata wrapper of the module being transformed. `transform_module` resolves the
metadata the command declares, runs the pass, then makes the imports the pass asked for
(`need_import`) and removes those it no longer uses (`drop_import`): LibCST's
`CodemodCommand.transform_module` with its AddImportsVisitor and RemoveImportsVisitor, which a
bare transformer would silently leave undone.

Why not LibCST's own classes: importing `libcst.codemod` imports `libcst.matchers`, some 170
generated dataclasses, about a fifth of a second at the start of every `djfix apply` (and of
the parent process of `apply --repos`, before it forks its workers). Here the additions are
made by `add_imports`, which puts them where AddImportsVisitor does and spells them as it does
(tests/codemods/test_command.py compares the two on every shape); the removals, which need
LibCST's scope analysis, still go through RemoveImportsVisitor, loaded only for them. A context
of LibCST's own (`CodemodContext`) is taken as well: it has the same fields.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import libcst as cst
from libcst.helpers import get_absolute_module_from_package_for_import
from libcst.metadata import MetadataWrapper

#: the scratch keys of the requests: LibCST's own, so its visitors would read them as theirs
ADD_KEY = "AddImportsVisitor"
REMOVE_KEY = "RemoveImportsVisitor"


@dataclass(frozen=True)
class Context:
    """What the passes over one module share (the fields of LibCST's CodemodContext)."""

    warnings: list[str] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)
    filename: str | None = None
    full_module_name: str | None = None
    full_package_name: str | None = None
    wrapper: MetadataWrapper | None = None
    metadata_manager: Any = None


class ImportRequest(NamedTuple):
    """An import to add: `import module_name [as alias]` when `obj_name` is None, else `from
    module_name import obj_name [as alias]` (LibCST's ImportItem, `relative` dots before the
    module name)."""

    module_name: str
    obj_name: str | None = None
    alias: str | None = None
    relative: int = 0


def need_import(
    context: Any, module: str, obj: str | None = None, asname: str | None = None
) -> None:
    """Ask for an import, made after the pass unless the module has it at the top already
    (AddImportsVisitor.add_needed_import)."""
    context.scratch.setdefault(ADD_KEY, []).append(ImportRequest(module, obj, asname))


def drop_import(
    context: Any, module: str, obj: str | None = None, asname: str | None = None
) -> None:
    """Ask for an import to go after the pass when nothing uses it any more
    (RemoveImportsVisitor.remove_unused_import)."""
    context.scratch.setdefault(REMOVE_KEY, []).append((module, obj, asname))


class Command(cst.CSTTransformer):
    """A transformer run through `transform_module`, with `self.context` (see the module)."""

    DESCRIPTION = ""

    def __init__(self, context: Any) -> None:
        super().__init__()
        self.context = context

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return tree.visit(self)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # LibCST's Codemod: the pass runs on the module a metadata wrapper holds (a copy, so
        # the metadata is of the very nodes visited), then CodemodCommand's import passes
        wrapper = MetadataWrapper(tree)
        previous = self.context.wrapper
        with self.resolve(wrapper):
            self.context = dataclasses.replace(self.context, wrapper=wrapper)
            try:
                tree = self.transform_module_impl(wrapper.module)
            finally:
                self.context = dataclasses.replace(self.context, wrapper=previous)
        return make_requested_imports(self.context, tree)


def make_requested_imports(context: Any, tree: cst.Module) -> cst.Module:
    """`tree` with the imports `context` asks for added, then those it asks to remove removed
    where nothing uses them."""
    additions = context.scratch.get(ADD_KEY)
    if additions:
        tree = add_imports(tree, additions, context)
    removals = context.scratch.get(REMOVE_KEY)
    if removals:
        tree = _remove_imports(tree, context)
    return tree


def _remove_imports(tree: cst.Module, context: Any) -> cst.Module:
    # only LibCST's scope analysis can decide a removal: its codemod framework (and
    # libcst.matchers with it) is loaded for one, lazily
    from libcst.codemod import CodemodContext  # lazy (see above)
    from libcst.codemod.visitors import RemoveImportsVisitor  # lazy (see above)

    libcst_context = (
        context
        if isinstance(context, CodemodContext)
        else CodemodContext(
            **{f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
        )
    )
    return RemoveImportsVisitor(libcst_context).transform_module(tree)


# -- the additions, as AddImportsVisitor makes them ------------------------------------------------


def add_imports(tree: cst.Module, requests: Iterable[Any], context: Any = None) -> cst.Module:
    """`tree` with the imports `requests` name (ImportRequest, or LibCST's ImportItem) that its
    top-of-module imports lack: a name from a module it already imports names from joins the
    first such statement (sorted, before the names there), the others come as new statements
    after the imports at the top (after a docstring or a `__strict__` flag), a blank line after
    them; `from __future__` ones first. What LibCST's AddImportsVisitor does, for a module
    outside any package (the context djfix gives): with a package (relative imports to
    resolve), that visitor is asked."""
    wanted = [ImportRequest(r.module_name, r.obj_name, r.alias, r.relative) for r in requests]
    package = getattr(context, "full_package_name", None) if context is not None else None
    if package is not None or any(r.relative for r in wanted):
        return _libcst_add_imports(tree, wanted, context)
    for r in wanted:
        if r.module_name == "__future__" and (r.obj_name is None or r.alias is not None):
            raise ValueError("Cannot import __future__ directly or with an alias!")
    plan = _Additions(wanted)
    top = _top_imports(tree)
    plan.drop_present(top)
    joined = plan.join(tree, top)
    return plan.insert(tree, joined)


def _libcst_add_imports(tree: cst.Module, wanted: list[ImportRequest], context: Any) -> cst.Module:
    # the rare request this module does not make itself: as `_remove_imports`
    from libcst.codemod import CodemodContext  # lazy (see above)
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem  # lazy (see above)

    values = (
        {f.name: getattr(context, f.name) for f in dataclasses.fields(context)} if context else {}
    )
    values["scratch"] = {}
    items = [ImportItem(*r) for r in wanted]
    return AddImportsVisitor(CodemodContext(**values), items).transform_module(tree)


class _Top:
    """The imports at the top of a module (each alone on its line, before any other statement
    but a docstring or a `__strict__` flag), and what they bind."""

    def __init__(self) -> None:
        self.nodes: list[cst.Import | cst.ImportFrom] = []
        self.modules: set[str] = set()  # import a
        self.module_aliases: dict[str, str] = {}  # import a as b
        self.objects: dict[str, set[str]] = {}  # from a import x ("*" for a star)
        self.object_aliases: dict[str, list[tuple[str, str]]] = {}  # from a import x as y


def _skip_first(module: cst.Module) -> bool:
    """A docstring or a `__strict__ = ...` flag opens the module: imports go after it."""
    if not module.body or not isinstance(module.body[0], cst.SimpleStatementLine):
        return False
    smalls = module.body[0].body
    if len(smalls) != 1:
        return False
    small = smalls[0]
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.SimpleString)
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == "__strict__"
    )


def _top_import_lines(module: cst.Module) -> tuple[int, int]:
    """(first, end): the statements `module.body[first:end]` are the top import lines."""
    first = 1 if _skip_first(module) else 0
    end = first
    for statement in module.body[first:]:
        if (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Import | cst.ImportFrom)
        ):
            end += 1
        else:
            break
    return first, end


def _top_imports(module: cst.Module) -> _Top:
    top = _Top()
    first, end = _top_import_lines(module)
    for statement in module.body[first:end]:
        node = statement.body[0]  # type: ignore[attr-defined]
        top.nodes.append(node)
        if isinstance(node, cst.Import):
            for alias in node.names:
                if alias.asname is not None:
                    top.module_aliases[alias.evaluated_name] = alias.evaluated_alias  # type: ignore[assignment]
                else:
                    top.modules.add(alias.evaluated_name)
            continue
        name = get_absolute_module_from_package_for_import(None, node)
        if name is None:
            continue  # relative: not resolved without a package
        if isinstance(node.names, cst.ImportStar):
            top.objects[name] = {"*"}
            continue
        aliased = [(a.evaluated_name, a.evaluated_alias) for a in node.names if a.asname]
        if aliased:
            top.object_aliases.setdefault(name, []).extend(aliased)  # type: ignore[arg-type]
        plain = {a.evaluated_name for a in node.names if a.asname is None}
        if plain:
            known = top.objects.setdefault(name, set())
            if "*" in known:
                top.objects[name] = {"*"}
                continue
            known.update(plain)
    return top


class _Additions:
    def __init__(self, wanted: list[ImportRequest]) -> None:
        self.modules = {r.module_name for r in wanted if r.obj_name is None and r.alias is None}
        self.module_aliases = {
            r.module_name: r.alias for r in wanted if r.obj_name is None and r.alias is not None
        }
        plain = {r.module_name for r in wanted if r.obj_name is not None and r.alias is None}
        self.objects: dict[str, set[str]] = {
            module: {
                r.obj_name
                for r in wanted
                if r.module_name == module and r.obj_name is not None and r.alias is None
            }
            for module in sorted(plain)
        }
        aliased = {r.module_name for r in wanted if r.obj_name is not None and r.alias is not None}
        self.object_aliases: dict[str, list[tuple[str, str]]] = {
            module: [
                (r.obj_name, r.alias)
                for r in wanted
                if r.module_name == module and r.obj_name is not None and r.alias is not None
            ]
            for module in sorted(aliased)
        }

    def drop_present(self, top: _Top) -> None:
        """Forget what the top imports already give."""
        self.modules -= top.modules
        for module, alias in top.module_aliases.items():
            if self.module_aliases.get(module) == alias:
                del self.module_aliases[module]
        for module, pairs in top.object_aliases.items():
            for pair in pairs:
                if pair in self.object_aliases.get(module, []):
                    self.object_aliases[module].remove(pair)
                    if not self.object_aliases[module]:
                        del self.object_aliases[module]
        for module, names in top.objects.items():
            if module not in self.objects:
                continue
            if "*" in names:
                del self.objects[module]
                continue
            self.objects[module] -= names
            if not self.objects[module]:
                del self.objects[module]

    def join(self, tree: cst.Module, top: _Top) -> cst.Module:
        """The names from a module a top `from` import already imports from, joined to the
        first such statement."""
        changed: dict[int, cst.ImportFrom] = {}
        for node in top.nodes:
            if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
                continue
            module = get_absolute_module_from_package_for_import(None, node)
            if module is None or (module not in self.objects and module not in self.object_aliases):
                continue
            names = sorted(self.objects.pop(module, set()))
            pairs = sorted(self.object_aliases.pop(module, []))
            changed[id(node)] = node.with_changes(
                names=[
                    *(cst.ImportAlias(name=cst.Name(n)) for n in names),
                    *(
                        cst.ImportAlias(name=cst.Name(n), asname=cst.AsName(name=cst.Name(a)))
                        for n, a in pairs
                    ),
                    *node.names,
                ]
            )
        if not changed:
            return tree
        body = []
        for statement in tree.body:
            if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
                new = changed.get(id(statement.body[0]))
                if new is not None:
                    statement = statement.with_changes(body=[new])
            body.append(statement)
        return tree.with_changes(body=body)

    def insert(self, tree: cst.Module, joined: cst.Module) -> cst.Module:
        """`joined` with the statements for what is left, after the top imports of `tree`."""
        if not (self.modules or self.objects or self.module_aliases or self.object_aliases):
            return joined
        first, end = _top_import_lines(tree)
        before = list(joined.body[:first])
        imports = list(joined.body[first:end])
        after = _blank_line_before(list(joined.body[end:]))
        froms: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for module, pairs in self.object_aliases.items():
            froms[module].extend(pairs)
        for module, names in self.objects.items():
            froms[module].extend((name, None) for name in names)
        ordered = {module: sorted(pairs) for module, pairs in froms.items()}  # type: ignore[type-var]
        config = joined.config_for_parsing

        def from_import(module: str, pairs: Sequence[tuple[str, str | None]]) -> cst.BaseStatement:
            names = ", ".join(n if a is None else f"{n} as {a}" for n, a in pairs)
            return cst.parse_statement(f"from {module} import {names}", config=config)

        return joined.with_changes(
            body=(
                *before,
                *(from_import(m, p) for m, p in ordered.items() if m == "__future__"),
                *imports,
                *(cst.parse_statement(f"import {m}", config=config) for m in sorted(self.modules)),
                *(
                    cst.parse_statement(f"import {m} as {a}", config=config)
                    for m, a in self.module_aliases.items()
                ),
                *(from_import(m, p) for m, p in ordered.items() if m != "__future__"),
                *after,
            )
        )


def _blank_line_before(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """At least one empty line between the imports and the first statement after them."""
    if not statements:
        return statements
    first = statements[0]
    lines = first.leading_lines  # type: ignore[attr-defined]
    if lines and lines[0].comment is None:
        return statements
    return [first.with_changes(leading_lines=(cst.EmptyLine(), *lines)), *statements[1:]]
