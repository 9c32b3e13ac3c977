"""Persistent database connections: every alias of `DATABASES` gets `CONN_MAX_AGE` (read from
the environment) and, on Django 4.1 and later, `CONN_HEALTH_CHECKS = True`.

Pure source -> source. `transform(source)` returns the new source, the aliases it changed and
the ones it left alone with the reason. It runs after `settings_env`, so `env` (django-environ)
is available in the module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from codemods.command import Context
from codemods.cst_tools import (
    AnyAssign,
    append_element,
    block_dict,
    code_of,
    deeper,
    describe,
    explode_dict,
    is_attribute,
    is_multiline,
    is_name,
    literal,
    module_statements,
    parse_module,
    string_code,
)
from codemods.module_level import (
    ModuleLevelCommand,
    module_code,
    preferred_quote,
    quiet_statements,
)

CONN_MAX_AGE = "CONN_MAX_AGE"
CONN_HEALTH_CHECKS = "CONN_HEALTH_CHECKS"
#: keyword arguments of dj_database_url.config()/parse() that already set the two keys
CALL_KEYWORDS = {"conn_max_age": CONN_MAX_AGE, "conn_health_checks": CONN_HEALTH_CHECKS}


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    # the code now reads CONN_MAX_AGE from the environment (not only CONN_HEALTH_CHECKS added)
    reads_variable: bool = False


def _databases_subscript(target: cst.BaseExpression) -> tuple[Any, ...] | None:
    """(alias,) for `DATABASES[alias]`, (alias, key) for `DATABASES[alias][key]`, literals only."""
    keys: list[Any] = []
    node = target
    while isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if not isinstance(index, cst.Index):
            return None
        ok, value = literal(index.value)
        if not ok:
            return None
        keys.insert(0, value)
        node = node.value
    if not is_name(node, "DATABASES") or not 1 <= len(keys) <= 2:
        return None
    return tuple(keys)


def _is_url_call(node: cst.BaseExpression) -> bool:
    """`dj_database_url.config(...)` / `.parse(...)` (imported as a module)."""
    return isinstance(node, cst.Call) and is_attribute(
        node.func, ("config", "parse"), of="dj_database_url"
    )


def _pooled(entry: cst.Dict) -> bool:
    """The alias asks for a connection pool: OPTIONS holds "pool" with anything but False."""
    for element in entry.elements:
        if not isinstance(element, cst.DictElement) or literal(element.key) != (True, "OPTIONS"):
            continue
        if not isinstance(element.value, cst.Dict):
            return False
        for option in element.value.elements:
            if isinstance(option, cst.DictElement) and literal(option.key) == (True, "pool"):
                return literal(option.value) not in ((True, False), (True, None))
    return False


def _is_zero(node: cst.BaseExpression) -> bool:
    ok, value = literal(node)
    return ok and (value is None or (isinstance(value, int) and value == 0))


class PersistentConnections(ModuleLevelCommand):
    DESCRIPTION = "Keep database connections open between requests and check them before reuse."

    def __init__(self, context: Context, *, conn_max_age: int, health_checks: bool) -> None:
        super().__init__(context)
        self.conn_max_age = conn_max_age
        self.health_checks = health_checks
        self.result = Result("")
        self.depth = 0
        self._quote = '"'
        self._unit = "    "
        #: keys set later by `DATABASES[alias][key] = value`, per alias
        self._set_later: dict[Any, set[str]] = {}
        #: lines of `DATABASES[alias][key] = value`, per (alias, key)
        self._key_lines: dict[tuple[Any, ...], list[int]] = {}
        #: module-level names bound to a dj_database_url call (`db_from_env = ...config(...)`)
        self._url_calls: dict[str, cst.Call] = {}
        self._quiet: frozenset[int] = frozenset()  # top-level statements that never name it

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        # every hook is on a statement that names DATABASES: the others are left as they are
        self._quiet = quiet_statements(tree, lambda text: "DATABASES" in text)
        try:
            return super().transform_module_impl(tree)
        finally:
            self._quiet = frozenset()

    def skip_statement(self, statement: cst.BaseStatement) -> bool:
        return id(statement) in self._quiet

    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._unit = node.default_indent
        for small, _, _ in module_statements(node):
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    keys = _databases_subscript(target.target)
                    if keys is not None and len(keys) == 2:
                        self._set_later.setdefault(keys[0], set()).add(keys[1])
                        self._key_lines.setdefault(keys, []).append(self.line_of(small))
                    if isinstance(target.target, cst.Name) and _is_url_call(small.value):
                        self._url_calls[target.target.value] = small.value  # type: ignore[assignment]
        for small, _, _ in module_statements(node):
            update = self._url_update(small)
            if update is not None:
                # DATABASES[alias].update(dj_database_url.config(...)) sets both keys
                # (dj-database-url 1.0+ writes CONN_HEALTH_CHECKS=False when not asked): the
                # missing ones go after it
                self._set_later.setdefault(update[0], set()).update(CALL_KEYWORDS.values())
        return True

    def _url_update(self, small: cst.BaseSmallStatement) -> tuple[Any, cst.Call] | None:
        """(alias, the dj_database_url call) for `DATABASES[alias].update(<call or its name>)`."""
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return None
        call = small.value
        if not is_attribute(call.func, "update") or len(call.args) != 1:
            return None
        keys = _databases_subscript(call.func.value)  # type: ignore[union-attr]
        if keys is None or len(keys) != 1:
            return None
        arg = call.args[0].value
        if isinstance(arg, cst.Name):
            arg = self._url_calls.get(arg.value, arg)
        return (keys[0], arg) if _is_url_call(arg) else None  # type: ignore[return-value]

    def leave_SimpleStatementLine(self, original, updated):
        if self.depth or len(updated.body) != 1:
            return updated
        update = self._url_update(updated.body[0])
        if update is None:
            return updated
        alias, call = update
        line = self.line_of(original)
        present = self._call_keys(call) | {
            key
            for key in CALL_KEYWORDS.values()
            if any(later > line for later in self._key_lines.get((alias, key), []))
        }
        wanted = [CONN_MAX_AGE, CONN_HEALTH_CHECKS] if self.health_checks else [CONN_MAX_AGE]
        missing = [key for key in wanted if key not in present]
        if not missing:
            return updated
        key = code_of(self._str(alias)) if isinstance(alias, str) else repr(alias)
        target = f"DATABASES[{key}]"
        lines = [
            cst.parse_statement(
                f"{target}[{code_of(self._str(key))}] = {code_of(self._value_for(key))}\n"
            )
            for key in missing
        ]
        self.result.rewritten.append((f"DATABASES[{alias!r}]", line))
        return cst.FlattenSentinel([updated, *lines])

    # -- helpers -----------------------------------------------------------------------------------
    def _str(self, value: str) -> cst.BaseExpression:
        return cst.parse_expression(string_code(value, self._quote))

    def _max_age(self) -> cst.BaseExpression:
        self.result.reads_variable = True
        var = string_code(CONN_MAX_AGE, self._quote)
        return cst.parse_expression(f"env.int({var}, default={int(self.conn_max_age)})")

    def _value_for(self, key: str) -> cst.BaseExpression:
        return self._max_age() if key == CONN_MAX_AGE else cst.Name("True")

    def _missing(self, alias: Any, present: set[str]) -> list[str]:
        """Keys to add to an alias that sets `present` (in the dict or via call keywords)."""
        present = present | self._set_later.get(alias, set())
        wanted = [CONN_MAX_AGE, CONN_HEALTH_CHECKS] if self.health_checks else [CONN_MAX_AGE]
        return [key for key in wanted if key not in present]

    @staticmethod
    def _call_keys(call: cst.BaseExpression) -> set[str]:
        if not isinstance(call, cst.Call):
            return set()
        return {
            CALL_KEYWORDS[arg.keyword.value]
            for arg in call.args
            if arg.keyword is not None and arg.keyword.value in CALL_KEYWORDS
        }

    # -- one alias ---------------------------------------------------------------------------------
    def _complete_dict(self, alias: Any, entry: cst.Dict) -> cst.Dict | None:
        """Add the missing keys to an alias given as a dict literal; None when nothing changes."""
        if _pooled(entry):
            # a connection pool (Django 5.1+, psycopg 3) keeps the connections: Django refuses
            # CONN_MAX_AGE next to it (ImproperlyConfigured)
            return None
        present: set[str] = set()
        replaced = False
        elements: list[cst.BaseDictElement] = []
        for element in entry.elements:
            if isinstance(element, cst.StarredDictElement):
                present |= self._call_keys(element.value)
            else:
                ok, key = literal(element.key)
                if ok and isinstance(key, str):
                    present.add(key)
                    if key == CONN_MAX_AGE and _is_zero(element.value):
                        element = element.with_changes(value=self._max_age())
                        replaced = True
            elements.append(element)
        new = entry.with_changes(elements=elements)
        missing = self._missing(alias, present)
        for key in missing:
            new = append_element(new, cst.DictElement(self._str(key), self._value_for(key)))
        return new if replaced or missing else None

    def _zero_keyword(self, call: cst.Call) -> cst.Call | None:
        """The call with `conn_max_age=0` (or None) read from the environment instead; None
        when it passes no such keyword."""
        args = []
        replaced = False
        for arg in call.args:
            keyword = arg.keyword
            if keyword is not None and keyword.value == "conn_max_age" and _is_zero(arg.value):
                arg = arg.with_changes(value=self._max_age())
                replaced = True
            args.append(arg)
        return call.with_changes(args=args) if replaced else None

    def _call_to_dict(
        self, alias: Any, call: cst.Call, *, indent: str, closing: str, indent_flag: bool
    ) -> cst.BaseExpression | None:
        """The entry given as a dj_database_url call, completed: the call itself where only a
        zero `conn_max_age=` changes, else a dict that unpacks it; None when nothing changes."""
        zero_replaced = self._zero_keyword(call)
        call = zero_replaced or call
        missing = self._missing(alias, self._call_keys(call))
        if not missing:
            return zero_replaced
        elements: list[cst.BaseDictElement] = [cst.StarredDictElement(deeper(call, self._unit))]
        elements += [cst.DictElement(self._str(key), self._value_for(key)) for key in missing]
        return block_dict(elements, indent=indent, closing=closing, indent_flag=indent_flag)

    # -- DATABASES = {...} -------------------------------------------------------------------------
    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if self.depth or len(updated.targets) != 1:
            return updated
        target = updated.targets[0].target
        if is_name(target, "DATABASES"):
            return self._databases(original, updated)
        keys = _databases_subscript(target)
        if keys is None:
            return updated
        line = self.line_of(original)
        label = f"DATABASES[{keys[0]!r}]"
        if len(keys) == 2:
            # DATABASES[alias]["CONN_MAX_AGE"] = 0
            if keys[1] == CONN_MAX_AGE and _is_zero(updated.value):
                self.result.rewritten.append((label, line))
                return updated.with_changes(value=self._max_age())
            return updated
        # DATABASES[alias] = {...} or = a call
        value = updated.value
        new: cst.BaseExpression | None
        if isinstance(value, cst.Dict):
            new = self._complete_dict(keys[0], value)
        elif isinstance(value, cst.Call):
            new = self._call_to_dict(
                keys[0], value, indent=self._unit, closing="", indent_flag=True
            )
        else:
            self.result.left.append(
                (label, line, f"it is {describe(value)}, not a dict literal or a call")
            )
            return updated
        if new is None:
            return updated
        self.result.rewritten.append((label, line))
        return updated.with_changes(value=new)

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if self.depth or updated.value is None:
            return updated
        if is_name(updated.target, "DATABASES"):
            return self._databases(original, updated)
        return updated

    def _databases(self, original: AnyAssign, updated: AnyAssign) -> AnyAssign:
        line = self.line_of(original)
        value = updated.value
        if not isinstance(value, cst.Dict) or not isinstance(original.value, cst.Dict):
            self.result.left.append(
                ("DATABASES", line, f"it is {describe(value)}, not a dict literal")
            )
            return updated
        outer = value
        originals = list(original.value.elements)
        single_line = not is_multiline(outer) and not isinstance(
            outer.rbrace.whitespace_before, cst.ParenthesizedWhitespace
        )
        new_values: dict[int, cst.BaseExpression] = {}
        needs_block = False
        for i, element in enumerate(outer.elements):
            if isinstance(element, cst.StarredDictElement):
                self.result.left.append(
                    (
                        "DATABASES",
                        self.line_of(originals[i]),
                        f"it unpacks {describe(element.value)}: those aliases are not visible here",
                    )
                )
                continue
            ok, alias = literal(element.key)
            label = f"DATABASES[{alias!r}]" if ok else f"DATABASES[{code_of(element.key)}]"
            alias = alias if ok else None
            entry_line = self.line_of(originals[i])
            entry = element.value
            new: cst.BaseExpression | None
            if isinstance(entry, cst.Dict):
                new = self._complete_dict(alias, entry)
            elif isinstance(entry, cst.Call):
                if single_line:
                    indent, closing, flag = self._unit * 2, self._unit, True
                else:
                    column = self.column_of(originals[i])
                    if column is None:
                        self.result.left.append((label, entry_line, "its position is unknown"))
                        continue
                    indent, closing, flag = " " * column + self._unit, " " * column, False
                new = self._call_to_dict(
                    alias, entry, indent=indent, closing=closing, indent_flag=flag
                )
                needs_block = needs_block or isinstance(new, cst.Dict)
            else:
                self.result.left.append(
                    (label, entry_line, f"it is {describe(entry)}, not a dict literal or a call")
                )
                continue
            if new is not None:
                new_values[i] = new
                self.result.rewritten.append((label, entry_line))
        if not new_values:
            return updated
        elements = [
            e.with_changes(value=new_values[i]) if i in new_values else e
            for i, e in enumerate(outer.elements)
        ]
        outer = outer.with_changes(elements=elements)
        if single_line and needs_block:
            outer = explode_dict(outer, self._unit)
        return updated.with_changes(value=outer)


def transform(source: str, *, conn_max_age: int = 60, health_checks: bool = True) -> Result:
    """Add CONN_MAX_AGE (from the environment, default `conn_max_age` seconds) and, when
    health_checks, CONN_HEALTH_CHECKS = True to every database alias of one settings module.
    Never raises on odd input: unparsable source comes back unchanged with a `left` entry."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = PersistentConnections(
        Context(), conn_max_age=conn_max_age, health_checks=health_checks
    )
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
