"""Static evaluation of Django settings modules.

Settings are read, never imported: each module-level statement is evaluated over a small value
domain (Python literals, `EnvRef` for values read from the environment, `Unknown` for everything
else). Star imports merge the imported module's names, so a split package (base/dev/prod) is read
the way Python would execute it. Constructs that make settings impossible to read statically
(`exec`, `globals()` writes, `importlib` imports) are recorded as `dynamic`, so checks can say
"could not understand" instead of "clean". The value domain is in `fixer.settings_values`.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import glob
from pathlib import Path
from typing import Any

from fixer.literals import literal_eval
from fixer.settings_helpers import (
    call_arguments,
    env_reader,
    helper_value,
    read_arguments,
    text_to_bool,
)
from fixer.settings_values import (
    MISSING,
    URL_DICT_CASTS,
    Assignment,
    EnvDict,
    EnvFactory,
    EnvHelper,
    EnvRef,
    EnvUse,
    SettingsModule,
    TextToBool,
    Unknown,
    is_literal,
    url_dict,
)
from fixer.sources import NodeAt, SourceCache, is_file


def resolve_module(source_root: Path, dotted: str) -> Path | None:
    """The file of a dotted module below `source_root` (module.py or package/__init__.py)."""
    parts = dotted.split(".")
    base = source_root.joinpath(*parts)
    candidate = base.with_suffix(".py")
    if is_file(candidate):
        return candidate
    init = base / "__init__.py"
    if is_file(init):
        return init
    return None


_ENV_METHOD_CAST = {
    "str": None,
    "bool": "bool",
    "int": "int",
    "float": "float",
    "list": "list",
    "tuple": "tuple",
    "dict": "dict",
    "json": "json",
    "url": "url",
    "path": "path",
    "db": "db",
    "db_url": "db",
    "dj_db_url": "db",
    "cache": "cache",
    "cache_url": "cache",
    "dj_cache_url": "cache",
    "email": "email",
    "email_url": "email",
    "dj_email_url": "email",
    "search_url": "search",
    "decimal": "float",
    "parse_value": None,
}


#: the casts of a django-environ scheme, by the name written (`environ.Env(DEBUG=(bool, False))`)
_SCHEME_CASTS = {"bool": "bool", "int": "int", "float": "float", "list": "list", "tuple": "tuple"}


class _OpenUses:
    """The reads of a module's `env_uses` no assignment has claimed yet, by file and line, so an
    assignment finds the reads on its own lines without a scan of every read (which made the
    evaluation of a long settings module quadratic). The list only grows; the reads appended
    since the last question are indexed when the next one is asked."""

    def __init__(self, mod: SettingsModule) -> None:
        self.mod = mod
        self.seen = 0
        self.by_path: dict[str, dict[int, list[EnvUse]]] = {}

    def take(self, path: str, first: int, last: int) -> list[EnvUse]:
        """The unclaimed reads in `path` on lines `first` to `last`; claimed from now on."""
        uses = self.mod.env_uses
        for use in uses[self.seen :]:
            if use.setting is None:
                self.by_path.setdefault(use.path, {}).setdefault(use.line, []).append(use)
        self.seen = len(uses)
        lines = self.by_path.get(path)
        if not lines:
            return []
        if last - first >= len(lines):
            wanted = [line for line in lines if first <= line <= last]
        else:
            wanted = [line for line in range(first, last + 1) if line in lines]
        return [use for line in wanted for use in lines.pop(line) if use.setting is None]


class _Evaluator:
    def __init__(
        self,
        cache: SourceCache,
        source_root: Path,
        stack: tuple[str, ...],
        modules: dict[str, Any] | None = None,
    ) -> None:
        self.cache = cache
        self.source_root = source_root
        self.stack = stack
        # project modules read for a name (`configuration.PLUGINS`), shared by the evaluation
        self._modules: dict[str, Any] = modules if modules is not None else {}
        self.aliases: dict[str, str] = {}
        self.dotted = ""
        self._open: dict[int, _OpenUses] = {}  # by id of the SettingsModule written
        self._conditional = False  # the statement being evaluated runs under a condition
        # the variables the blocks being evaluated run only with (`if "X" in os.environ:`)
        self._present: frozenset[str] = frozenset()

    def _open_uses(self) -> _OpenUses:
        found = self._open.get(id(self.mod))
        if found is None or found.mod is not self.mod:
            found = self._open[id(self.mod)] = _OpenUses(self.mod)
        return found

    # -- module ---------------------------------------------------------------------------------
    def run(self, dotted: str, into: SettingsModule | None = None) -> SettingsModule:
        path = resolve_module(self.source_root, dotted)
        mod = SettingsModule(dotted, path, self.cache.rel(path) if path else None)
        if path is None:
            mod.missing = True
            return mod
        self._exec_file(path, dotted, mod, into)
        return mod

    def _exec_file(
        self, path: Path, dotted: str, mod: SettingsModule, into: SettingsModule | None
    ) -> None:
        pyfile = self.cache.python(path)
        mod.file = pyfile
        tree = pyfile.tree
        if tree is None:
            return
        self.mod = mod
        self.target = into or mod
        self.dotted = dotted
        self.is_package = path.name == "__init__.py"
        self.aliases: dict[str, str] = {}
        self.rel = pyfile.rel
        # the assignments keep their statements' places, not the nodes: the tree is the
        # store's to free (FileStore.make_room), whatever evaluations were made from it
        self.file = pyfile
        self._conditional = False
        self._block(tree.body, conditional=False)

    def _at(self, node: ast.stmt | ast.expr) -> NodeAt:
        return NodeAt.of(self.file, node)

    def _block(self, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            self._stmt(stmt, conditional)

    def _record_dynamic(self, node: ast.AST, reason: str) -> None:
        line = getattr(node, "lineno", 0)
        # one reason a line: a loop body `globals()[name] = value` is seen both by the scan of
        # the loop and by the assignment itself, and said twice what is one thing
        if any(rel == self.rel and at == line for rel, at, _ in self.mod.dynamic):
            return
        self.mod.dynamic.append((self.rel, line, reason))

    def _stmt(self, stmt: ast.stmt, conditional: bool) -> None:
        # the reads this statement makes run only when its block runs (EnvUse.conditional)
        self._conditional = conditional
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt, conditional)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value)
            for target in stmt.targets:
                self._assign(target, value, stmt, conditional)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt.target, self.eval(stmt.value), stmt, conditional)
        elif isinstance(stmt, ast.AugAssign):
            self._aug_assign(stmt, conditional)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._expr_call(stmt.value, conditional)
        elif isinstance(stmt, ast.If):
            self._note_required(stmt)
            test = self.eval(stmt.test)
            if isinstance(test, (Unknown, EnvRef, dict, list)):
                outer = self._present
                self._present = outer | self._presence_tested(stmt.test)
                try:
                    self._block(stmt.body, True)
                finally:
                    self._present = outer
                self._block(stmt.orelse, True)
            elif test:
                self._block(stmt.body, conditional)
            else:
                self._block(stmt.orelse, conditional)
        elif isinstance(stmt, ast.Try):
            self._block(stmt.body, conditional)
            for handler in stmt.handlers:
                self._block(handler.body, True)
            self._block(stmt.orelse, conditional)
            self._block(stmt.finalbody, conditional)
        elif isinstance(stmt, (ast.With, ast.For, ast.While)):
            if isinstance(stmt, ast.For):
                self._scan_dynamic(stmt)
            self._block(stmt.body, True)
        elif isinstance(stmt, ast.FunctionDef):
            self._define(stmt, conditional)
        # other definitions do not change settings at import time.

    def _presence_tested(self, test: ast.expr) -> frozenset[str]:
        """The variables `test` is true only with: `"X" in os.environ`, `os.getenv("X")`,
        `os.environ.get("X")`, and the terms of an `and` of them."""
        terms = (
            test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        )
        found: set[str] = set()
        for term in terms:
            if (
                isinstance(term, ast.Compare)
                and len(term.ops) == 1
                and isinstance(term.ops[0], ast.In)
                and isinstance(term.left, ast.Constant)
                and isinstance(term.left.value, str)
                and self._qualify(_dotted_name(term.comparators[0]) or "") == "os.environ"
            ):
                found.add(term.left.value)
            elif (
                isinstance(term, ast.Call)
                and term.args
                and isinstance(term.args[0], ast.Constant)
                and isinstance(term.args[0].value, str)
                and self._qualify(_dotted_name(term.func) or "") in ("os.getenv", "os.environ.get")
            ):
                found.add(term.args[0].value)
        return frozenset(found)

    def _note_required(self, stmt: ast.If) -> None:
        """`if not HOSTS:` (`HOSTS is None`, `HOSTS == ""`, `not os.getenv("HOSTS")`, terms of
        an `or`) whose body raises or exits, where each term is a read with an empty default
        (or a name holding one): those variables are needed, whatever their reads' defaults say.
        A test that stops the import when a variable IS set makes nothing needed."""
        terms = _unset_terms(stmt.test)
        if not terms or not _stops(stmt.body):
            return
        # the `if` evaluates its test next, recording these reads: evaluated here, they are not
        # recorded twice
        recorded = len(self.mod.env_uses)
        refs = [self.eval(term) for term in terms]
        del self.mod.env_uses[recorded:]
        for ref in refs:
            empty = isinstance(ref, EnvRef) and ref.var and ref.default in (None, "")
            if empty and ref.var not in self.mod.required_vars:
                self.mod.required_vars.append(ref.var)

    def _define(self, stmt: ast.FunctionDef, conditional: bool) -> None:
        """A reader of one variable (`fixer.settings_helpers`) is bound to its name."""
        # a decorator can make the function anything (`@overload` stubs are not readers)
        helper: EnvHelper | TextToBool | None = None
        if not stmt.decorator_list:
            converters = {
                name: a.value
                for name, a in self.target.names.items()
                if isinstance(a.value, TextToBool)
            }
            helper = env_reader(stmt, self._qualify, self.rel, converters) or text_to_bool(
                stmt, self.rel
            )
        if helper is None:
            old = self.target.names.get(stmt.name)
            if old is not None and isinstance(old.value, (EnvHelper, TextToBool)):
                del self.target.names[stmt.name]
            return
        self.target.names[stmt.name] = Assignment(
            stmt.name,
            helper,
            self.rel,
            stmt.lineno,
            stmt.col_offset + 1,
            self.dotted,
            stmt,
            conditional,
        )

    def _scan_dynamic(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                name = _dotted_name(sub.func)
                if name in ("globals", "locals", "vars"):
                    self._record_dynamic(sub, f"{name}() is written to")
                    return

    def _import_from(self, stmt: ast.ImportFrom, conditional: bool) -> None:
        module = stmt.module or ""
        if stmt.level:
            package_parts = self.dotted.split(".")
            if not self.is_package:
                package_parts = package_parts[:-1]
            if stmt.level > 1:
                package_parts = package_parts[: len(package_parts) - (stmt.level - 1)]
            target = ".".join([*package_parts, module] if module else package_parts)
        else:
            target = module
        for alias in stmt.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
        is_star = any(a.name == "*" for a in stmt.names)
        local_path = resolve_module(self.source_root, target) if target else None
        if local_path is None:
            # a third-party module or one that does not exist (an optional local.py)
            return
        if not is_star and all(
            resolve_module(self.source_root, f"{target}.{a.name}") for a in stmt.names
        ):
            # `from . import base`: submodules of the package, not names its code binds; no
            # circle where the package is the module importing this one
            return
        if target in self.stack or target == self.dotted:
            self._record_dynamic(stmt, f"circular import of {target}")
            return
        evaluator = _Evaluator(self.cache, self.source_root, (*self.stack, self.dotted))
        sub = evaluator.run(target)
        self.mod.env_uses.extend(sub.env_uses)
        self.mod.dynamic.extend(sub.dynamic)
        if is_star:
            self.mod.star_imports.append(target)
            # what the module imported comes along too (`from .base import *` brings base's
            # `from decouple import config`): a read through it is still decouple's
            for local, qualified in evaluator.aliases.items():
                if not local.startswith("_"):
                    self.aliases[local] = qualified
            for name, a in sub.names.items():
                if name.startswith("_"):
                    continue
                self._bind(name, copy.deepcopy(a.value), a, conditional or a.conditional)
        else:
            for alias in stmt.names:
                a = sub.names.get(alias.name)
                if a is not None:
                    self._bind(alias.asname or alias.name, copy.deepcopy(a.value), a, conditional)

    def _bind(self, name: str, value: Any, origin: Assignment, conditional: bool) -> None:
        self.target.names[name] = Assignment(
            name,
            value,
            origin.path,
            origin.line,
            origin.column,
            origin.module,
            origin.site,
            conditional,
        )

    def _assign(self, target: ast.expr, value: Any, stmt: ast.stmt, conditional: bool) -> None:
        if isinstance(target, ast.Name) and isinstance(stmt, ast.Assign):
            # `env = os.environ`, `getenv = os.environ.get`: reads through the name are reads
            dotted = _dotted_name(stmt.value)
            if dotted and self._qualify(dotted) in ("os.environ", "os.getenv", "os.environ.get"):
                self.aliases[target.id] = self._qualify(dotted)
        if isinstance(target, ast.Name):
            a = Assignment(
                target.id,
                value,
                self.rel,
                target.lineno,
                target.col_offset + 1,
                self.dotted,
                self._at(stmt),
                conditional,
            )
            self.target.names[target.id] = a
            self.mod.own.append(a)
            end = getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno
            items = value if isinstance(value, (list, tuple)) else ()
            for use in self._open_uses().take(self.rel, stmt.lineno, end):
                use.setting = target.id
                use.one_item = any(item is use.ref for item in items[:200])
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value if isinstance(value, (list, tuple)) else None
            for i, elt in enumerate(target.elts):
                v = values[i] if values is not None and i < len(values) else Unknown("unpacking")
                self._assign(elt, v, stmt, conditional)
        elif isinstance(target, ast.Subscript):
            container = self._lvalue_container(target.value)
            key = self.eval(target.slice)
            if isinstance(container, dict) and not isinstance(key, (Unknown, EnvRef)):
                with contextlib.suppress(TypeError):
                    container[key] = value
            root = _root_name(target)
            if root is not None and root in ("globals", "locals", "vars"):
                self._record_dynamic(stmt, f"settings are written through {root}()")
            self._touch(root, stmt, conditional)
        elif isinstance(target, ast.Attribute):
            pass

    def _touch(self, root: str | None, stmt: ast.stmt, conditional: bool) -> None:
        """Record that a mutation in this module changed setting `root` (so its place is known)."""
        if root is None or root not in self.target.names:
            return
        old = self.target.names[root]
        mutated = Assignment(
            root,
            old.value,
            old.path,
            old.line,
            old.column,
            old.module,
            old.site,
            old.conditional or conditional,
        )
        self.target.names[root] = mutated
        self.mod.own.append(
            Assignment(
                root,
                old.value,
                self.rel,
                stmt.lineno,
                stmt.col_offset + 1,
                self.dotted,
                self._at(stmt),
                conditional,
            )
        )

    def _lvalue_container(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            a = self.target.names.get(node.id)
            return a.value if a else None
        if isinstance(node, ast.Subscript):
            parent = self._lvalue_container(node.value)
            key = self.eval(node.slice)
            if isinstance(parent, dict) and not isinstance(key, (Unknown, EnvRef)):
                try:
                    return parent.get(key)
                except TypeError:
                    return None
        return None

    def _aug_assign(self, stmt: ast.AugAssign, conditional: bool) -> None:
        if not isinstance(stmt.target, ast.Name):
            if isinstance(stmt.target, ast.Subscript):
                self._touch(_root_name(stmt.target), stmt, conditional)
            return
        name = stmt.target.id
        current = self.target.names.get(name)
        right = self.eval(stmt.value)
        old = current.value if current else Unknown(name)
        if (
            isinstance(stmt.op, ast.Add)
            and isinstance(old, list)
            and isinstance(right, (list, tuple))
        ):
            new: Any = old + list(right)
        elif isinstance(stmt.op, ast.Add) and (
            (isinstance(old, tuple) and isinstance(right, tuple))
            or (isinstance(old, str) and isinstance(right, str))
        ):
            new = old + right
        else:
            new = Unknown(ast.unparse(stmt))
        a = Assignment(
            name,
            new,
            current.path if current else self.rel,
            current.line if current else stmt.lineno,
            current.column if current else stmt.col_offset + 1,
            current.module if current else self.dotted,
            current.site if current else self._at(stmt),
            (current.conditional if current else False) or conditional,
        )
        self.target.names[name] = a
        self.mod.own.append(
            Assignment(
                name,
                new,
                self.rel,
                stmt.lineno,
                stmt.col_offset + 1,
                self.dotted,
                self._at(stmt),
                conditional,
            )
        )

    def _expr_call(self, call: ast.Call, conditional: bool) -> None:
        func = call.func
        name = _dotted_name(func)
        if name in ("exec", "eval", "execfile"):
            self._record_dynamic(call, f"settings run {name}()")
            return
        if name and name.startswith(("globals().", "locals().", "vars().")):
            self._record_dynamic(call, "settings are written through globals()")
            return
        qualified = self._qualify(name) if name else None
        if qualified in ("split_settings.tools.include", "split_settings.include"):
            self._split_settings_include(call)
            return
        if qualified and qualified.endswith("read_env"):
            self.eval(call)
            return
        if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Subscript)):
            container = self._lvalue_container(func.value)
            args = [self.eval(a) for a in call.args]
            method = func.attr
            if isinstance(container, list) and method in ("append", "extend", "insert", "remove"):
                try:
                    if method == "append" and len(args) == 1:
                        container.append(args[0])
                    elif (
                        method == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple))
                    ):
                        container.extend(args[0])
                    elif method == "insert" and len(args) == 2 and isinstance(args[0], int):
                        container.insert(args[0], args[1])
                    elif method == "remove" and len(args) == 1 and args[0] in container:
                        container.remove(args[0])
                except TypeError:
                    pass
            elif (
                isinstance(container, dict)
                and method == "update"
                and len(args) == 1
                and isinstance(args[0], dict)
            ):
                container.update(args[0])
            self._touch(_root_name(func.value), call, conditional)  # type: ignore[arg-type]
            return
        self.eval(call)

    def _split_settings_include(self, call: ast.Call) -> None:
        base_dir = self.cache.root
        here = self.mod.path.parent if self.mod.path else base_dir
        for arg in call.args:
            optional = False
            if isinstance(arg, ast.Call) and _dotted_name(arg.func) in ("optional",):
                optional = True
                arg = arg.args[0] if arg.args else arg
            pattern = self.eval(arg)
            if not isinstance(pattern, str):
                self._record_dynamic(call, "include() with a computed path")
                continue
            matches = sorted(glob.glob(str(here / pattern)))
            if not matches and not optional:
                self._record_dynamic(call, f"include() of {pattern}, which does not exist")
            for match in matches:
                p = Path(match)
                rel_parts = p.relative_to(self.source_root).with_suffix("").parts
                dotted = ".".join(rel_parts)
                self.mod.includes.append(dotted)
                sub = _Evaluator(self.cache, self.source_root, (*self.stack, self.dotted))
                sub.aliases = {}
                holder = SettingsModule(dotted, p, self.cache.rel(p))
                sub._exec_file(p, dotted, holder, self.target)
                self.mod.env_uses.extend(holder.env_uses)
                self.mod.dynamic.extend(holder.dynamic)
                self.mod.own.extend(holder.own)

    # -- expressions ----------------------------------------------------------------------------
    def _qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head)
        if base is None:
            return dotted
        return f"{base}.{rest}" if rest else base

    def eval(self, node: ast.AST) -> Any:
        try:
            return self._eval(node)
        except RecursionError:
            return Unknown("deeply nested expression")

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items: list = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    inner = self._eval(e.value)
                    if isinstance(inner, (list, tuple)):
                        items.extend(inner)  # [*LOCAL_APPS, ...]
                    else:
                        items.append(Unknown(ast.unparse(e)))
                else:
                    items.append(self._eval(e))
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Set):
            return [self._eval(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            out: dict = {}
            # {**env.db("DATABASE_URL"), "OPTIONS": {...}} is still read from that variable
            ref: EnvRef | None = None
            for k, v in zip(node.keys, node.values, strict=True):
                value = self._eval(v)
                if k is None:
                    if isinstance(value, EnvDict):
                        ref = value.ref
                    if isinstance(value, dict):
                        out.update(value)
                    continue
                key = self._eval(k)
                try:
                    out[key] = value
                except TypeError:
                    out[repr(key)] = value
            return EnvDict(ref, out) if ref is not None else out
        if isinstance(node, ast.Name):
            a = self.target.names.get(node.id)
            if a is not None:
                return a.value
            return Unknown(node.id)
        if isinstance(node, ast.Subscript):
            name = _dotted_name(node.value)
            if name and self._qualify(name) == "os.environ":
                key = self._eval(node.slice)
                return self._env(
                    node, "os.environ", key if isinstance(key, str) else None, MISSING, None
                )
            base = self._eval(node.value)
            key = self._eval(node.slice)
            if isinstance(key, slice) and not isinstance(base, (list, tuple, str)):
                return Unknown(ast.unparse(node))
            if isinstance(base, (dict, list, tuple, str)) and not isinstance(key, Unknown):
                try:
                    return base[key]
                except (KeyError, IndexError, TypeError):
                    return Unknown(ast.unparse(node))
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.Slice):
            # `MIDDLEWARE[1:]`: the bounds of a slice of a list the settings wrote out
            bounds = [
                None if b is None else self._eval(b) for b in (node.lower, node.upper, node.step)
            ]
            if all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds):
                return slice(*bounds)
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left), self._eval(node.right)
            if isinstance(node.op, ast.Add):
                for kind in (list, tuple, str, int, float):
                    if isinstance(left, kind) and isinstance(right, kind):
                        return left + right
            if isinstance(node.op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
                return left * right
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.UnaryOp):
            operand = _default_of(self._eval(node.operand))
            if _is_debug(node.operand) and not isinstance(operand, bool):
                operand = False  # production runs with DEBUG off (DJ090 sees to it)
            if isinstance(node.op, ast.Not) and not isinstance(operand, (Unknown, EnvRef)):
                return not operand
            if isinstance(node.op, ast.USub) and isinstance(operand, (int, float)):
                return -operand
            if isinstance(operand, EnvRef) and isinstance(node.op, ast.Not):
                return operand.with_cast("bool")
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.BoolOp):
            values = [self._eval(v) for v in node.values]
            if (
                isinstance(node.op, ast.Or)
                and len(values) == 2
                and isinstance(values[0], EnvRef)
                and not isinstance(values[1], (Unknown, EnvRef))
            ):
                return dataclasses.replace(values[0], default=values[1])
            if not any(isinstance(v, (Unknown, EnvRef)) for v in values):
                result = values[0]
                for v in values[1:]:
                    if isinstance(node.op, ast.Or):
                        if result:
                            break
                    elif not result:
                        break
                    result = v
                return result
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.Compare):
            left = self._eval(node.left)
            if isinstance(left, EnvRef):
                return _as_bool(left)
            rights = [self._eval(c) for c in node.comparators]
            if any(isinstance(r, EnvRef) for r in rights):
                ref = next(r for r in rights if isinstance(r, EnvRef))
                return _as_bool(ref)
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.IfExp):
            read = self._eval(node.test)
            test = _default_of(read)
            if _is_debug(node.test) and not isinstance(test, bool):
                test = False  # production runs with DEBUG off (DJ090 sees to it)
            body, orelse = self._eval(node.body), self._eval(node.orelse)
            if (
                isinstance(read, EnvRef)
                and isinstance(body, EnvRef)
                and body.var == read.var
                and is_literal(orelse)
            ):
                # `hosts.split(",") if hosts else []`: the read, with the other branch for its
                # default (the variable sets the value; unset, the default is what it is)
                return dataclasses.replace(body, default=orelse)
            if isinstance(test, (Unknown, EnvRef)):
                return Unknown(ast.unparse(node))
            return body if test else orelse
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.JoinedStr):
            if all(isinstance(v, ast.Constant) for v in node.values):
                return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    self._eval(v.value)
            return Unknown(ast.unparse(node))
        if isinstance(node, ast.Attribute):
            module = self._local_module(node.value)
            if module is not None:
                # `configuration.PLUGINS`, `app_lists.LOCAL_APPS`: a name of a module of the
                # project, read the way its own code sets it
                found = module.names.get(node.attr)
                return copy.deepcopy(found.value) if found else Unknown(ast.unparse(node))
            self._eval(node.value)
            return Unknown(ast.unparse(node))
        if isinstance(
            node, (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.Lambda)
        ):
            return Unknown(ast.unparse(node))
        return Unknown(ast.unparse(node) if hasattr(ast, "unparse") else type(node).__name__)

    def _environ_scheme(self, node: ast.AST) -> tuple[tuple[str, tuple[str | None, Any]], ...]:
        """The scheme of `environ.Env(DEBUG=(bool, False), PORT=int)`: (variable, (cast,
        default)) pairs, the default MISSING where the scheme gives only a cast."""
        out = []
        for keyword in getattr(node, "keywords", []):
            value = keyword.value
            if keyword.arg is None:
                continue
            cast_node, default = value, MISSING
            if isinstance(value, ast.Tuple) and value.elts:
                cast_node = value.elts[0]
                if len(value.elts) > 1:
                    default = self._eval(value.elts[1])
                    if isinstance(default, (Unknown, EnvRef)):
                        continue
            cast = _SCHEME_CASTS.get(cast_node.id) if isinstance(cast_node, ast.Name) else None
            out.append((keyword.arg, (cast, default)))
        return tuple(out)

    def _env(
        self,
        node: ast.AST,
        api: str,
        var: str | None,
        default: Any,
        cast: str | None,
        kwargs=(),
        helper: EnvHelper | None = None,
    ) -> EnvRef:
        ref = EnvRef(
            var,
            api,
            cast,
            default,
            self.rel,
            getattr(node, "lineno", 0),
            getattr(node, "col_offset", 0) + 1,
            tuple(kwargs),
            helper,
        )
        default_node = None
        if helper is not None and isinstance(node, ast.Call):
            bound = call_arguments(node, helper) or {}
            default_node = bound.get(helper.default_param or "")
        elif isinstance(node, ast.Call):
            default_node = next((k.value for k in node.keywords if k.arg == "default"), None)
            if default_node is None and len(node.args) > 1 and api != "django-environ":
                default_node = node.args[1]  # os.environ.get(X, d), decouple's config(X, d)
        self.mod.env_uses.append(
            EnvUse(
                api,
                var,
                ref.path,
                ref.line,
                ref.column,
                None,
                ref,
                default_node is None or _literal_node(default_node),
                self._conditional,
                var in self._present,
            )
        )
        return ref

    def _call(self, node: ast.Call) -> Any:
        name = _dotted_name(node.func)
        args = [self._eval(a) for a in node.args]
        kwargs = {k.arg: self._eval(k.value) for k in node.keywords if k.arg}
        var = args[0] if args and isinstance(args[0], str) else None
        qualified = self._qualify(name) if name else None

        # os.environ / os.getenv
        if qualified in ("os.environ.get", "os.getenv", "os.environ.setdefault"):
            default = args[1] if len(args) > 1 else kwargs.get("default")
            if qualified == "os.environ.setdefault":
                # it sets the process environment (for libraries read later): not a settings
                # read for django-environ to take over, so it is not an env use
                return EnvRef(
                    var,
                    "os.environ",
                    None,
                    default,
                    self.rel,
                    getattr(node, "lineno", 0),
                    getattr(node, "col_offset", 0) + 1,
                )
            api = "os.getenv" if qualified == "os.getenv" else "os.environ"
            return self._env(node, api, var, default, None)
        # python-decouple
        if qualified in ("decouple.config",) or (
            isinstance(self._lookup_factory(name), EnvFactory)
            and self._lookup_factory(name).api == "decouple"  # type: ignore[union-attr]
        ):
            cast_node = next((k.value for k in node.keywords if k.arg == "cast"), None)
            cast = _decouple_cast(cast_node, self._qualify) if cast_node is not None else None
            default = kwargs.get("default", args[1] if len(args) > 1 else MISSING)
            return self._env(node, "decouple", var, default, cast)
        if qualified in ("decouple.AutoConfig", "decouple.Config", "decouple.RepositoryEnv"):
            return EnvFactory("decouple")
        # dj-database-url
        if qualified in ("dj_database_url.config", "dj_database_url.parse"):
            env_var = kwargs.get("env", "DATABASE_URL")
            if qualified == "dj_database_url.parse":
                if isinstance(args[0] if args else None, EnvRef):
                    ref = args[0]
                    merged = tuple((k, v) for k, v in kwargs.items())
                    return url_dict(
                        EnvRef(
                            ref.var,
                            ref.api,
                            "db",
                            ref.default,
                            ref.path,
                            ref.line,
                            ref.column,
                            merged,
                        )
                    )
                return Unknown(ast.unparse(node))
            return url_dict(
                self._env(
                    node,
                    "dj-database-url",
                    env_var if isinstance(env_var, str) else None,
                    kwargs.get("default", MISSING),
                    "db",
                    tuple((k, v) for k, v in kwargs.items() if k != "default"),
                )
            )
        # env factories
        if qualified in ("environ.Env", "environ.environ.Env"):
            return EnvFactory("django-environ", self._environ_scheme(node))
        if qualified in ("environs.Env", "environs.FileAwareEnv"):
            return EnvFactory("environs")
        if qualified and qualified.endswith(("Env.read_env", ".read_env")):
            return None
        # env("X") / env.bool("X") on a factory
        factory = self._lookup_factory(name)
        if isinstance(factory, EnvFactory) and name is not None:
            method = name.split(".")[-1] if "." in name else None
            cast = _ENV_METHOD_CAST.get(method) if method else None
            if cast is None and method is None:
                cast_kw = next((k.value for k in node.keywords if k.arg == "cast"), None)
                if cast_kw is not None and isinstance(cast_kw, ast.Name):
                    cast = {"bool": "bool", "int": "int", "float": "float", "list": "list"}.get(
                        cast_kw.id
                    )
            if factory.api == "django-environ" and method is None:
                # env("X", cast, default): django-environ's second positional is the cast
                default = kwargs.get("default", args[2] if len(args) > 2 else MISSING)
            else:
                default = kwargs.get("default", args[1] if len(args) > 1 else MISSING)
            scheme = dict(factory.scheme).get(var) if isinstance(var, str) else None
            if scheme is not None:
                # `environ.Env(DEBUG=(bool, False))`: the scheme's cast and default apply
                # where the call gives none
                cast = cast or scheme[0]
                default = scheme[1] if default is MISSING else default
            if factory.api == "decouple":
                return self._env(node, "decouple", var, default, cast)
            other = tuple((k, v) for k, v in kwargs.items() if k != "default")
            ref = self._env(node, factory.api, var, default, cast, other)
            return url_dict(ref) if cast in URL_DICT_CASTS else ref
        # strtobool(os.environ.get(...)): distutils' (or the project's own of that name)
        if name and name.rsplit(".", 1)[-1] == "strtobool" and len(args) == 1:
            if isinstance(args[0], EnvRef):
                return args[0].with_cast("bool")
            return Unknown(ast.unparse(node))
        # casts around env values: int(os.environ.get(...)), bool(...), str.split
        if name in ("int", "float", "bool", "str", "list", "tuple") and args:
            inner = args[0]
            if isinstance(inner, EnvRef):
                if name == "bool":
                    return _as_bool(inner)
                return inner.with_cast(None if name == "str" else name)
            if not isinstance(inner, Unknown) and name != "list":
                try:
                    return {"int": int, "float": float, "bool": bool, "str": str, "tuple": tuple}[
                        name
                    ](inner)
                except (TypeError, ValueError):
                    return Unknown(ast.unparse(node))
        if isinstance(node.func, ast.Attribute):
            receiver = self._eval(node.func.value)
            if isinstance(receiver, EnvRef):
                if node.func.attr == "split":
                    # the separator the value is split on (None: any whitespace), so a run can
                    # write a list the way this read takes it apart
                    sep = args[0] if args and isinstance(args[0], str) else None
                    listed = receiver.with_cast("list")
                    return dataclasses.replace(listed, kwargs=(*listed.kwargs, ("split", sep)))
                if node.func.attr in ("lower", "upper", "strip"):
                    return receiver
            if isinstance(receiver, str) and node.func.attr == "split":
                sep = args[0] if args and isinstance(args[0], str) else None
                return receiver.split(sep)
        function = self._project_function(node.func)
        converter = function if isinstance(function, TextToBool) else None
        if converter is not None and len(args) == 1 and not kwargs and isinstance(args[0], EnvRef):
            # is_truthy(os.getenv("DEBUG", "False")): the read, which the setting's value is
            # the bool the function makes of (`fixer.analysis.production_values` applies it)
            called = _dotted_name(node.func) or converter.name
            local = dataclasses.replace(converter, name=called.rsplit(".", 1)[-1])
            return dataclasses.replace(args[0], converter=local)
        helper = function if isinstance(function, EnvHelper) else None
        if helper is not None:
            # envbool("DEBUG", "True"): the variable its first argument names
            read = read_arguments(node, helper, args, kwargs)
            if read is None:
                return Unknown(ast.unparse(node))
            return self._env(node, "helper", read[0], read[1], helper.cast, (), helper)
        if name == "getattr" and len(args) in (2, 3) and isinstance(args[1], str):
            module = self._local_module(node.args[0])
            if module is not None:
                # getattr(configuration, "PLUGINS", []): the module's value, else the default
                found = module.names.get(args[1])
                if found is not None:
                    return copy.deepcopy(found.value)
                return args[2] if len(args) == 3 else Unknown(ast.unparse(node))
        if name == "dict" and not args:
            return dict(kwargs)
        if name in ("exec", "eval"):
            self._record_dynamic(node, f"settings run {name}()")
        fixed_name = bool(node.args) and isinstance(node.args[0], ast.Constant)
        if qualified and qualified.startswith("importlib.import_module") and not fixed_name:
            # import_module("ldap") names its module as an import statement does (written so
            # to tolerate its absence): only a name computed at run time is unknown
            self._record_dynamic(node, "settings import a module chosen at run time")
        return Unknown(ast.unparse(node))

    def _project_function(self, func: ast.AST) -> EnvHelper | TextToBool | None:
        """The project's environment reader (`fixer.settings_helpers.env_reader`) or text-to-bool
        function (`text_to_bool`) `func` names: a function of the settings (or one they import),
        or of a project module named through its import (`envtools.envbool`)."""
        found: Assignment | None = None
        if isinstance(func, ast.Name):
            found = self.target.names.get(func.id)
        elif isinstance(func, ast.Attribute):
            module = self._local_module(func.value)
            found = module.names.get(func.attr) if module is not None else None
        if found is not None and isinstance(found.value, (EnvHelper, TextToBool)):
            return found.value
        return None

    def _local_module(self, node: ast.AST) -> SettingsModule | None:
        """The project module an expression names through an import (`from proj import
        configuration`, `import proj.app_lists`), evaluated once per evaluation; None for
        anything else (a value bound in the settings, a third-party module, an import cycle)."""
        dotted = _dotted_name(node)
        if dotted is None or "()" in dotted or dotted.split(".")[0] in self.target.names:
            return None
        qualified = self._qualify(dotted)
        if qualified == dotted and dotted.split(".")[0] not in self.aliases:
            return None
        if qualified in self.stack or qualified == self.dotted:
            return None
        known = self._modules.get(qualified, MISSING)
        if known is MISSING:
            path = resolve_module(self.source_root, qualified)
            if path is None:
                known = None
            else:
                known = _Evaluator(
                    self.cache, self.source_root, (*self.stack, self.dotted), self._modules
                ).run(qualified)
            self._modules[qualified] = known
        return known  # type: ignore[return-value]

    def _lookup_factory(self, name: str | None) -> Any:
        if not name:
            return None
        head = name.split(".")[0]
        a = self.target.names.get(head)
        if a is not None and isinstance(a.value, EnvFactory):
            return a.value
        if "." in name:
            # environ.Env.bool(...) style class-level calls are rare; ignore.
            return None
        return None


_FALSY = {"", "0", "false", "no", "off", "n"}


def _as_bool(ref: EnvRef) -> EnvRef:
    """A read made a bool; one parsed as a number first (`bool(int(...))`, `int(...) == 1`)
    keeps that parse: its text must still be a number, or the settings stop at import."""
    if ref.cast in ("int", "float"):
        return dataclasses.replace(ref, cast="bool", kwargs=(*ref.kwargs, ("parse", ref.cast)))
    return ref.with_cast("bool")


def _is_debug(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "DEBUG"


def _default_of(value: Any) -> Any:
    """Inside an expression (`not DEBUG`, `x if DEBUG else y`), an environment read stands for
    the value it has when the variable is unset: its default, cast the way the read casts it.
    Production settings are judged with that value (the checks make sure DEBUG defaults off)."""
    if not isinstance(value, EnvRef) or not value.has_default:
        return value
    default = value.default
    if value.helper is not None and isinstance(default, str) and value.cast is not None:
        # the project's own reader converts its default as it converts the variable's text
        return helper_value(value.helper, default, value)
    if value.cast == "bool" and isinstance(default, str):
        return default.strip().lower() not in _FALSY
    if isinstance(default, (Unknown, EnvRef)):
        return value
    return default


def _decouple_cast(node: ast.AST, qualify) -> str | None:
    name = _dotted_name(node)
    if name in ("bool", "int", "float", "str"):
        return None if name == "str" else name
    if isinstance(node, ast.Call):
        inner = _dotted_name(node.func)
        if inner and qualify(inner).endswith("Csv"):
            return "list"
        if inner and qualify(inner).endswith("Choices"):
            return None
    if name and qualify(name).endswith(("parse", "db_url")):
        return "db"
    return None


def _dotted_name(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        parts.append(node.func.id + "()")
        return ".".join(reversed(parts))
    return None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _unset_terms(test: ast.expr) -> list[ast.expr]:
    """The expressions an `if` test asks to be unset (`not X`, `X is None`, `X == ""`, joined
    with `or`); [] where it asks anything else."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        parts = [_unset_terms(value) for value in test.values[:10]]
        return [term for part in parts for term in part] if all(parts) else []
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return [test.operand]
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is | ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value in (None, "")
    ):
        return [test.left]
    return []


def _stops(body: list[ast.stmt]) -> bool:
    """The block raises, or exits (`sys.exit(...)`)."""
    for node in (n for part in body for n in ast.walk(part)):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("exit", "_exit"):
                return True
    return False


def evaluate_settings(cache: SourceCache, source_root: Path, dotted: str) -> SettingsModule:
    """Evaluate settings module `dotted` (and everything it imports) statically."""
    return _Evaluator(cache, source_root, ()).run(dotted)


def _literal_node(node: ast.expr) -> bool:
    try:
        literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
