"""Environment reads to django-environ: `os.environ[...]`, `os.environ.get`, `os.getenv`,
python-decouple's `config()` and environs' `env.*()` become `env(...)` calls, with a default
that is safe to commit (a secret default moves to the untracked .env), a cast that matches the
old one, and the variable recorded for `.env.example`.

`EnvReads` is the first layer of `settings_env.SettingsToEnv`: it also keeps the bookkeeping
the later layers share (where the code being visited is, the variables recorded so far).
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from codemods.command import Context
from codemods.cst_tools import (
    is_attribute,
    literal,
)
from codemods.env_calls import (
    DEFAULT_SECOND,
    ENVIRONS_RENAMES,
    SECRET_KEY_COMMENT,
    TRUTHY,
    EnvVariable,
    build_env_call,
    cast_literal,
    env_parts,
    py_literal,
    typed_default,
)
from codemods.module_level import ModuleLevelCommand
from codemods.secret_values import (
    has_credentials,
    is_secret_default,
    is_secret_name,
    strip_credentials,
)

#: what distutils' `strtobool` accepts (it raises on anything else)
STRTOBOOL_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
STRTOBOOL_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})
#: an `if` test that reads the environment: the block runs only where a deployment says so
_ENVIRONMENT_TEST = re.compile(r"\bos\.environ\b|\bgetenv\(|\benviron\b|\benv(\.\w+)?\(|\bconfig\(")


class EnvReads(ModuleLevelCommand):
    """Rewrites the environment reads of module-level code into `env` calls."""

    def __init__(self, context: Context, plan, result) -> None:
        """plan: the `settings_env.Plan` of the module; result: the `settings_env.Result` the
        layers fill."""
        super().__init__(context)
        self.plan = plan
        self.result = result
        self.depth = 0
        self._target_depth = 0
        self.uses_env = False
        self.aliases: dict[str, str] = dict(plan.inherited_aliases)
        self.has_env_binding = "env" in plan.inherited_aliases
        self.block_depth = 0
        self.environs_env = False
        # the module's own `env = environ.Env(...)`: True with a scheme, False without, None
        # when env comes from elsewhere
        self.env_has_scheme: bool | None = None
        self.quote = '"'  # the quote the module uses most, set by visit_Module
        self.unit = "    "  # the module's indent, set by visit_Module
        self._guards: list[str] = []  # the tests of the `if` blocks around the node
        self.current_setting: str | None = None  # the setting whose assignment is being visited
        # the setting being assigned and the dict keys inside it, to name where a secret was
        self._setting_name: str | None = None
        self._setting_node: cst.Assign | None = None
        # result.variables by name, as far as indexed (`_variables_named`)
        self._by_name: tuple[list[EnvVariable], int, dict[str, list[EnvVariable]]] | None = None
        self._keys: list[str] = []
        # distutils' strtobool was rewritten away: its import goes when nothing else uses it
        self.strtobool_imported = False

    @property
    def _setting_line(self) -> int:
        # asked for a secret's assignment only: positions cost a code generation of the
        # module up to the node, not worth paying for every assignment
        return self.line_of(self._setting_node) if self._setting_node is not None else 0

    def visit_If(self, node: cst.If) -> bool:
        self.block_depth += 1
        self._guards.append(cst.Module([]).code_for_node(node.test))
        return True

    def leave_If(self, original, updated):
        self.block_depth -= 1
        self._guards.pop()
        return updated

    def visit_Try(self, node: cst.Try) -> bool:
        self.block_depth += 1
        return True

    def leave_Try(self, original, updated):
        self.block_depth -= 1
        return updated

    def visit_With(self, node: cst.With) -> bool:
        self.block_depth += 1
        return True

    def leave_With(self, original, updated):
        self.block_depth -= 1
        return updated

    def visit_For(self, node: cst.For) -> bool:
        self.block_depth += 1
        return True

    def leave_For(self, original, updated):
        self.block_depth -= 1
        return updated

    def leave_AugAssign(self, original: cst.AugAssign, updated: cst.AugAssign):
        # `os.environ["PATH"] += ...` writes the environment: its target stays as it was
        return updated.with_changes(target=original.target)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self._setting_name = None
        return True

    def visit_DictElement(self, node: cst.DictElement) -> bool:
        ok, key = literal(node.key)
        self._keys.append(f"[{key!r}]" if ok else "[...]")
        return True

    def leave_DictElement(self, original, updated):
        self._keys.pop()
        return updated

    def _place(self) -> str | None:
        """`DATABASES['default']['PASSWORD']`: where the value being read is assigned."""
        return self._setting_name + "".join(self._keys) if self._setting_name else None

    def visit_Del(self, node: cst.Del) -> bool:
        return False  # `del os.environ["X"]` writes the environment too

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        self._target_depth += 1
        return True

    def leave_AssignTarget(self, original, updated):
        self._target_depth -= 1
        return updated

    def qualify(self, node: cst.BaseExpression) -> str:
        code = cst.Module([]).code_for_node(node)
        head, _, rest = code.partition(".")
        base = self.aliases.get(head, head if head in ("os",) else None)
        if base is None:
            return code
        return f"{base}.{rest}" if rest else base

    def literal_code(self, value: Any) -> str:
        """Python source for a literal, in the module's preferred quote."""
        return py_literal(value, self.quote)

    def env_call(self, method: str | None, var: str, default: Any = ..., default_node=None):
        """`env(var)` / `env.method(var, default=...)` in the module's preferred quote."""
        return build_env_call(method, var, default, default_node, quote=self.quote)

    # -- environment reads ------------------------------------------------------------------------
    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript):
        if not self.plan.convert or self.depth or self._target_depth or self._outside_only():
            return updated
        if self.qualify(updated.value) != "os.environ" or len(updated.slice) != 1:
            return updated
        index = updated.slice[0].slice
        if not isinstance(index, cst.Index):
            return updated
        ok, var = literal(index.value)
        if not ok or not isinstance(var, str):
            self._leave_read(original, index.value)
            return updated
        self.uses_env = True
        self._read(var)
        return self.env_call(None, var)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.plan.convert or self.depth or self._outside_only():
            return updated
        qualified = self.qualify(updated.func)
        if qualified in ("os.environ.get", "os.getenv"):
            return self._from_os(original, updated)
        if qualified == "decouple.config":
            return self._from_decouple(original, updated)
        if self.environs_env:
            converted = self._from_environs(updated)
            if converted is not None:
                return converted
        else:
            dropped = self._secret_default_of_env(updated)
            if dropped is not None:
                return dropped
        if (
            qualified.rsplit(".", 1)[-1] == "strtobool"
            and len(updated.args) == 1
            and updated.args[0].keyword is None
        ):
            return self._from_strtobool(updated, qualified)
        name = updated.func.value if isinstance(updated.func, cst.Name) else None
        if name == "bool" and len(updated.args) == 1:
            inner = updated.args[0].value
            parts = env_parts(inner) if isinstance(inner, cst.Call) else None
            if parts and parts[0] == "bool" and parts[1]:
                return inner  # bool(env.bool(...)), what bool(strtobool(...)) became
            if parts and parts[0] in ("int", "float") and parts[1] and self._read_of_os(original):
                # bool(os.environ.get("X", default=0)) is true for any text that is set:
                # env.int (from the number default) would stop the start on X=true
                for variable in self._variables_named(parts[1]):
                    if not variable.secret:
                        variable.example = ""  # "0" would be set, so on
                read = self.env_call("str", parts[1], default_node=parts[2])
                return updated.with_changes(args=[updated.args[0].with_changes(value=read)])
        # bool(os.environ.get(X)) asks "is X set": env.bool would parse it instead
        if name in ("int", "float") and len(updated.args) == 1:
            inner = updated.args[0].value
            if isinstance(inner, cst.Call):
                parts = env_parts(inner)
                if parts and parts[0] == name and parts[1]:
                    return inner  # int(env.int(...)): the read already casts
                if parts and parts[0] in (None, "str") and parts[1]:
                    return self._recast(parts[1], parts[2], name) or updated
                if parts and parts[0] == "bool" and parts[1] and self._read_of_os(original):
                    # int(os.getenv("SQL_DEBUG", False)) parses a number; env.bool (from the
                    # bool default of a switch's name) would read "2" as off
                    return self._recast(parts[1], parts[2], name) or updated
        if is_attribute(updated.func, "split") and isinstance(
            updated.func.value,
            cst.Call,  # type: ignore[union-attr]
        ):
            inner = updated.func.value  # type: ignore[union-attr]
            parts = env_parts(inner)
            sep_ok = bool(updated.args) and literal(updated.args[0].value) == (True, ",")
            if parts and parts[0] in (None, "str") and parts[1] and sep_ok:
                return self._recast(parts[1], parts[2], "list") or updated
            if parts and parts[0] in (None, "str") and parts[1] and parts[2] is not None:
                return self._split_unset(updated, inner, parts[1], parts[2])
        return updated

    def _read_of_os(self, call: cst.Call) -> bool:
        """Whether the one argument of `call`, as the author wrote it, is an os.environ read."""
        inner = call.args[0].value if call.args else None
        return isinstance(inner, cst.Call) and self.qualify(inner.func) in (
            "os.environ.get",
            "os.getenv",
        )

    def _from_strtobool(self, call: cst.Call, qualified: str) -> cst.BaseExpression:
        """`strtobool(os.environ.get("X", "False"))` (distutils', gone in Python 3.12, or the
        project's own of that name), also inside `bool(...)` or with `... or "False"`:
        `env.bool("X", default=False)`. Only where the default is one strtobool itself accepts;
        a read without one stays required."""
        arg = call.args[0].value
        default_node: cst.BaseExpression | None = None
        read = arg
        if isinstance(arg, cst.BooleanOperation) and isinstance(arg.operator, cst.Or):
            read, default_node = arg.left, arg.right
        parts = env_parts(read) if isinstance(read, cst.Call) else None
        if not parts or parts[0] not in (None, "str") or not parts[1]:
            return call
        var, own_default = parts[1], parts[2]
        if default_node is None:
            default_node = own_default
        elif own_default is not None and literal(own_default) != (True, None):
            return call  # `env("X", default="y") or "n"`: two defaults
        default: Any = ...
        if default_node is not None:
            ok, value = literal(default_node)
            if not ok or not (value is None or isinstance(value, str)):
                return call
            if isinstance(value, str):
                word = value.strip().lower()
                if word not in STRTOBOOL_TRUE | STRTOBOOL_FALSE:
                    return call  # strtobool raises on it: not a default to keep
                default = word in STRTOBOOL_TRUE
        self._retype(var, "bool", None if default is ... else default)
        if qualified == "distutils.util.strtobool":
            self.strtobool_imported = True
        return self.env_call("bool", var, default)

    def _split_unset(self, call: cst.Call, inner: cst.Call, var: str, default) -> cst.Call:
        """`env(X, default=None).split(" ")` fails when X is unset: read "" instead, and split
        on whitespace as the author did (env.list would split on commas)."""
        if literal(default) != (True, None):
            return call
        sep = literal(call.args[0].value) if call.args else (True, None)
        read = self.env_call("str", var, "")
        args: list[cst.Arg] = [] if sep in ((True, None), (True, " ")) else list(call.args)
        return call.with_changes(func=call.func.with_changes(value=read), args=args)  # type: ignore[union-attr]

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison):
        if not self.plan.convert or self.depth or len(updated.comparisons) != 1:
            return updated
        if self._outside_only():
            return updated
        left = updated.left
        if isinstance(left, cst.Call) and is_attribute(left.func, "lower"):
            left = left.func.value  # type: ignore[union-attr]
        if not isinstance(left, cst.Call):
            return updated
        parts = env_parts(left)
        if not parts or parts[0] not in (None, "str") or not parts[1]:
            return updated
        target = updated.comparisons[0]
        ok, lit = literal(target.comparator)
        if not ok:
            return updated
        lowered = left is not updated.left  # `.lower()` was called before comparing
        values = lit if isinstance(lit, (list, tuple, set)) else [lit]
        wanted = {str(v) for v in values}
        if (
            not isinstance(target.operator, (cst.Equal, cst.In))
            or not {w.lower() for w in wanted} <= TRUTHY
        ):
            return updated
        default_ok, default = (True, None) if parts[2] is None else literal(parts[2])
        if not default_ok:
            return updated
        # the default gives the same answer as the comparison did, case included
        text = None if default is None else str(default)
        if text is not None and lowered:
            text = text.lower()
        default_bool = text is not None and text in wanted
        self._retype(parts[1], "bool", default_bool)
        return self.env_call("bool", parts[1], default_bool)

    def _read(
        self, var: str, default: Any = ..., default_node=None, cast: str | None = None
    ) -> None:
        """Record a variable the settings now read, for .env.example."""
        if default_node is not None:
            ok, value = literal(default_node)
            default = value if ok else ...
        # `if "X" in os.environ: ... os.environ["X"]` reads X only when it is set, and a block
        # the environment switches on (`if "CLOUD_TOKEN" in os.environ:`, `if env.bool("S3")`)
        # needs its variables only where it is switched on
        guarded = any(
            re.search(rf"\b{re.escape(var)}\b", test) or _ENVIRONMENT_TEST.search(test)
            for test in self._guards
        )
        required = default is ... and default_node is None and not guarded
        if var == "SECRET_KEY":
            # a key the settings make when the variable is unset (get_random_secret_key()) is
            # kept with the read: the settings do not need the variable (a None default does)
            self.add_variable(
                EnvVariable(
                    var,
                    SECRET_KEY_COMMENT,
                    "change-me-to-a-long-random-string",
                    None,
                    True,
                    default_node is None and not guarded,
                )
            )
            return
        secret = is_secret_name(var)
        example = ""
        if default is ... or default is None:
            # a placeholder that parses with the read's cast: an empty value crashes int()
            example = {"int": "0", "float": "0", "bool": "False"}.get(cast or "", "")
        if default is not ... and default is not None and not secret:
            if isinstance(default, bool):
                # for a string read, "False" in a .env would be a non-empty, truthy string
                example = str(default) if cast == "bool" else ""
            elif isinstance(default, (list, tuple)):
                example = ",".join(map(str, default))
            else:
                example = str(default)
                if has_credentials(example):
                    example = strip_credentials(example)
        self.add_variable(
            EnvVariable(
                var, f"{var}{' (secret)' if secret else ''}.", example, None, secret, required
            )
        )

    def _secret_default_of_env(self, call: cst.Call) -> cst.Call | None:
        """`env("SECRET_KEY", default="CHANGEME")`, `env.str("MAILGUN_API_KEY", "key-1234")`,
        `env.str("STORAGE_URI", "postgres://user:pw@db/x")`: a read already on django-environ
        whose default is a secret's literal value, or a URL with credentials. The value moves to
        the untracked .env, as an os.environ read's would; SECRET_KEY keeps no default, another
        secret an empty one, a URL itself without its credentials. None where the call is
        anything else."""
        parts = env_parts(call)
        if not parts or parts[0] not in (None, "str") or not parts[1] or parts[2] is None:
            return None
        var, default_node = parts[1], parts[2]
        ok, value = literal(default_node)
        if not ok or not isinstance(value, str) or not value:
            return None
        # a URL whose credentials are the secret (`env.str("STORAGE_URI", "postgres://u:pw@db/x")`)
        if var != "SECRET_KEY" and not (is_secret_default(var, value) or has_credentials(value)):
            return None
        if any(arg.keyword is not None and arg.keyword.value != "default" for arg in call.args):
            return None  # `multiline=True`...: a read djfix would have to rebuild whole
        self.uses_env = True
        default, keep = self._safe_default(var, default_node)
        return (
            self.env_call(parts[0], var)
            if not keep
            else self.env_call(parts[0], var, default_node=default)
        )

    def _safe_default(self, var: str, default_node):
        """A default that may be committed: a secret default (or a URL's credentials) moves to
        the untracked .env, and the code keeps none (SECRET_KEY) or an empty / credential-free
        one. Returns (default node or None, keep_default)."""
        ok, value = literal(default_node)
        if not ok or not isinstance(value, str) or not value:
            return default_node, True
        if var == "SECRET_KEY" or is_secret_default(var, value):
            self.add_variable(
                EnvVariable(
                    var,
                    f"{var} (secret).",
                    "",
                    value,
                    True,
                    var == "SECRET_KEY",
                    setting=self._place(),
                    setting_line=self._setting_line,
                )
            )
            if var == "SECRET_KEY":
                return None, False
            return cst.parse_expression('""'), True
        if has_credentials(value):
            safe = strip_credentials(value)
            self.add_variable(
                EnvVariable(
                    var,
                    f"{var} (its credentials are a secret).",
                    safe,
                    value,
                    True,
                    setting=self._place(),
                    setting_line=self._setting_line,
                )
            )
            return cst.parse_expression(self.literal_code(safe)), True
        return default_node, True

    def _recast(self, var: str, default_node, cast: str) -> cst.Call | None:
        method = {"int": "int", "float": "float", "bool": "bool", "list": "list"}[cast]
        if default_node is None:
            self._retype(var, cast, None)
            return self.env_call(method, var)
        ok, value = literal(default_node)
        if not ok:
            return None
        ok, casted = cast_literal(value, cast)
        if not ok:
            return None
        self._retype(var, cast, casted)
        return self.env_call(method, var, casted)

    def _retype(self, var: str, cast: str, default: Any) -> None:
        """The .env.example value of a read that now casts: one the cast parses."""
        for variable in self._variables_named(var):
            if variable.secret:
                continue
            if cast == "bool":
                variable.example = str(bool(default))
            elif cast in ("int", "float"):
                variable.example = "0" if default is None else str(default)
            elif cast == "list":
                variable.example = ",".join(map(str, default or []))

    def _leave_read(self, original: cst.CSTNode, name: cst.BaseExpression) -> None:
        """A read of the environment whose variable name is computed (`os.environ.get(NAME)`):
        which variable it reads is not known, so it stays, and Result.left says why."""
        self.result.left.append(
            (
                self.current_setting or "<module>",
                self.line_of(original),
                f"the variable name `{cst.Module([]).code_for_node(name)}` is computed, not a "
                "literal, so djfix cannot tell which variable the read names: it stays as it is",
            )
        )

    def _from_os(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        if not call.args:
            return call
        ok, var = literal(call.args[0].value)
        if not ok or not isinstance(var, str):
            self._leave_read(original, call.args[0].value)
            return call
        self.uses_env = True
        default = call.args[1].value if len(call.args) > 1 else None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                default = arg.value
        if default is None:
            self._read(var, None)
            return self.env_call(None, var, None)
        default, keep = self._safe_default(var, default)
        if not keep:
            self._read(var)
            return self.env_call(None, var)
        method, default = typed_default(default, var)
        self._read(var, default_node=default, cast=method)
        return self.env_call(method, var, default_node=default)

    def _from_decouple(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        if not call.args:
            return call
        ok, var = literal(call.args[0].value)
        if not ok or not isinstance(var, str):
            self._leave_read(original, call.args[0].value)
            return call
        default_node = None
        cast = None
        for i, arg in enumerate(call.args):
            positional_default = arg.keyword is None and i == 1
            if positional_default or (arg.keyword is not None and arg.keyword.value == "default"):
                default_node = arg.value
            elif arg.keyword is not None and arg.keyword.value == "cast":
                cast_code = cst.Module([]).code_for_node(arg.value)
                if cast_code in ("bool", "int", "float", "str"):
                    cast = cast_code
                elif re.fullmatch(r"(decouple\.)?Csv\(\)", cast_code):
                    cast = "list"
                else:
                    # a cast djfix cannot translate: the read stays, and stays a finding
                    self.result.left.append(
                        (
                            self.current_setting or "<module>",
                            self.line_of(original),
                            f"its cast `{cast_code}` is not one djfix translates to "
                            "django-environ (bool, int, float, str, Csv()): it stays as it is",
                        )
                    )
                    return call
        self.uses_env = True
        method = None if cast in (None, "str") else cast
        if default_node is not None:
            self._read(var, default_node=default_node, cast=cast)
        else:
            self._read(var, cast=cast)
        if default_node is None:
            return self.env_call(method, var)
        if cast is None:
            default_node, keep = self._safe_default(var, default_node)
            if not keep:
                return self.env_call(None, var)
            return self.env_call(None, var, default_node=default_node)
        ok, value = literal(default_node)
        if not ok:
            return call
        ok, casted = cast_literal(value, cast)
        if not ok:
            return call
        return self.env_call(method, var, casted)

    def _from_environs(self, call: cst.Call) -> cst.Call | None:
        if not is_attribute(call.func, of="env"):
            return None
        attr = call.func.attr.value  # type: ignore[union-attr]
        new_attr = ENVIRONS_RENAMES.get(attr, attr)
        args = list(call.args)
        if new_attr in DEFAULT_SECOND and len(args) >= 2 and args[1].keyword is None:
            # environs takes the default second; django-environ takes a cast there
            args[1] = args[1].with_changes(
                keyword=cst.Name("default"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        self.uses_env = True
        parts = env_parts(call)
        if parts and parts[1]:
            self._read(parts[1], default_node=parts[2])
        return call.with_changes(
            func=call.func.with_changes(attr=cst.Name(new_attr)),  # type: ignore[union-attr]
            args=args,
        )

    def visit_Assign(self, node: cst.Assign) -> bool:
        target = node.targets[0].target if len(node.targets) == 1 else None
        # where a secret being read is assigned, for "Secrets to rotate"
        self._setting_name = target.value if isinstance(target, cst.Name) else None
        self._setting_node = node
        if not self.depth and isinstance(target, cst.Name):
            self.current_setting = target.value
        return True

    def _outside_only(self) -> bool:
        """Plan.only names the settings to rewrite, and the code is not part of one of them."""
        return self.plan.only is not None and self.current_setting not in self.plan.only

    def add_variable(self, variable: EnvVariable) -> None:
        existing = self._variable_named(variable.name)
        if existing is None:
            self.result.variables.append(variable)
            return
        if existing.dev_value is None and variable.dev_value is not None:
            existing.dev_value = variable.dev_value
        existing.secret = existing.secret or variable.secret
        existing.required = existing.required or variable.required
        if not existing.setting and variable.setting:
            existing.setting = variable.setting
            existing.setting_line = variable.setting_line
        if variable.example and not existing.example:
            existing.example = variable.example

    def _variable_named(self, name: str) -> EnvVariable | None:
        """The first of `result.variables` called `name`."""
        found = self._variables_named(name)
        return found[0] if found else None

    def _variables_named(self, name: str) -> list[EnvVariable]:
        """The `result.variables` called `name`, in order, through an index of the list (a
        scan for every read made a module of a thousand reads quadratic). The list only grows:
        what was appended since the last question is indexed first; another list is indexed
        anew."""
        variables = self.result.variables
        if self._by_name is None or self._by_name[0] is not variables:
            self._by_name = (variables, 0, {})
        _, seen, by_name = self._by_name
        for variable in variables[seen:]:
            by_name.setdefault(variable.name, []).append(variable)
        self._by_name = (variables, len(variables), by_name)
        return by_name.get(name, [])
