"""What production gets for one setting: its value with DEBUG off and the environment empty,
read through the project's settings evaluation, including what an environment read gives when
its variable holds "False", "True" or nothing (the string traps of `bool(os.environ...)`).

Item 9 judges `check --deploy`'s settings with it."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fixer.project import ProjectModel
from fixer.settings_values import Assignment, EnvDict, EnvRef, Unknown, is_literal

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}

# What each library accepts as true / false when it casts an environment string to bool.
ENVIRON_TRUE = {"true", "on", "ok", "y", "yes", "1"}


DECOUPLE_TRUE = {"1", "yes", "true", "on"}


DECOUPLE_FALSE = {"0", "no", "false", "off", ""}


ENVIRONS_TRUE = {"1", "true", "t", "yes", "y", "on"}


STRTOBOOL_TRUE = {"y", "yes", "t", "true", "on", "1"}


STRTOBOOL_FALSE = {"n", "no", "f", "false", "off", "0"}


NOPE = object()  # "this expression cannot be computed"


@dataclass
class Setting:
    """What production gets for one setting.

    state: "absent" (Django's default applies), "value" (a literal, or the default of an
    environment read), "env" (the environment decides), "unknown" (cannot be computed).
    """

    name: str
    state: str
    value: Any
    path: str | None
    line: int | None
    ref: EnvRef | None = None
    from_default: bool = False
    # What the setting becomes when its variable holds "False" / "True" (None: not an env read)
    when_false: Any = NOPE
    when_true: Any = NOPE
    when_empty: Any = NOPE
    call: ast.AST | None = None  # the read in the assignment, where it is found there

    @property
    def string_trap(self) -> bool:
        """The raw environment string reaches the setting: "False" is true, only "" is false."""
        return (
            self.ref is not None
            and self.when_false is not NOPE
            and self.when_empty is not NOPE
            and bool(self.when_false)
            and not self.when_empty
        )

    @property
    def never_true(self) -> bool:
        """Even "True" in the environment does not give the boolean True (`is True` fails)."""
        return (
            self.ref is not None
            and self.when_true is not NOPE
            and not isinstance(self.when_true, bool)
        )

    @property
    def var(self) -> str:
        return (self.ref.var if self.ref is not None else None) or self.name


def environ_schemes(project: ProjectModel) -> dict[str, tuple[str | None, Any]]:
    """`environ.Env(DEBUG=(bool, False))` declarations: var -> (cast, default or NOPE)."""
    out: dict[str, tuple[str | None, Any]] = {}
    for module in list(project.settings_modules.values())[:50]:
        tree = module.file.tree if module.file is not None else None
        if tree is None or "Env(" not in (module.file.text or ""):
            continue
        for stmt in tree.body:
            value = getattr(stmt, "value", None)
            if not isinstance(value, ast.Call) or not dotted(value.func).endswith("Env"):
                continue
            for kw in value.keywords:
                if kw.arg is None:
                    continue
                node = kw.value
                if isinstance(node, ast.Tuple) and node.elts:
                    default = (
                        node.elts[1].value
                        if (len(node.elts) > 1 and isinstance(node.elts[1], ast.Constant))
                        else NOPE
                    )
                    out[kw.arg] = (dotted(node.elts[0]) or None, default)
                else:
                    out[kw.arg] = (dotted(node) or None, NOPE)
    return out


def dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _is_ref_node(node: ast.AST, ref: EnvRef) -> bool:
    return (
        isinstance(node, (ast.Call, ast.Subscript))
        and getattr(node, "lineno", None) == ref.line
        and getattr(node, "col_offset", -2) + 1 == ref.column
    )


def _find_ref_node(node: ast.AST, ref: EnvRef) -> ast.AST | None:
    for sub in ast.walk(node):
        if _is_ref_node(sub, ref):
            return sub
    return None


def smart_cast_off(project: ProjectModel) -> bool:
    """A settings module turns django-environ's smart cast off (`env.smart_cast = False`): a
    read without a cast then returns the environment's text whatever its default's type."""
    for module in list(project.settings_modules.values())[:50]:
        tree = module.file.tree if module.file is not None else None
        if tree is None or "smart_cast" not in (module.file.text or ""):
            continue
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(
                    isinstance(t, ast.Attribute) and t.attr == "smart_cast" for t in stmt.targets
                )
                and isinstance(stmt.value, ast.Constant)
                and not stmt.value.value
            ):
                return True
    return False


def _read_cast(
    call: ast.AST | None, ref: EnvRef, schemes: dict, smart_cast: bool = True
) -> str | None:
    """The cast the environment read itself applies (not casts wrapped around it)."""
    if ref.api in ("os.environ", "os.getenv"):
        return None
    if ref.helper is not None:
        return ref.cast  # the project's own reader converts the text itself
    if not isinstance(call, ast.Call):
        return ref.cast
    cast: str | None = None
    if isinstance(call.func, ast.Attribute) and ref.api in ("django-environ", "environs"):
        method = call.func.attr
        cast = {"bool": "bool", "int": "int", "float": "float", "list": "list"}.get(method)
        if method not in ("bool", "int", "float", "str") and cast is None:
            return ref.cast
    kw = next((k.value for k in call.keywords if k.arg == "cast"), None)
    if cast is None and kw is not None:
        cast = {"bool": "bool", "int": "int", "float": "float"}.get(dotted(kw))
    if cast is None and ref.api == "django-environ":
        scheme = schemes.get(ref.var or "")
        if scheme is not None:
            cast = {"bool": "bool", "int": "int", "float": "float"}.get(scheme[0] or "")
        elif ref.has_default and ref.default is not None and smart_cast:
            # django-environ's smart cast: the type of the default
            cast = {bool: "bool", int: "int", float: "float"}.get(type(ref.default))
    return cast


def _env_bool(api: str, text: str) -> Any:
    low = text.strip().lower()
    if api == "decouple":
        if low in DECOUPLE_TRUE:
            return True
        return False if low in DECOUPLE_FALSE else NOPE
    if api == "django-environ":
        try:
            return int(low) != 0
        except ValueError:
            return low in ENVIRON_TRUE
    return low in ENVIRONS_TRUE


def _read_result(ref: EnvRef, cast: str | None, raw: Any) -> Any:
    """What the environment read returns when the variable holds `raw` (a string) or is unset
    (`raw` is then the default, which django-environ returns as is)."""
    if not isinstance(raw, str) or cast is None:
        return raw
    if cast == "bool" and ref.helper is not None:
        value = ref.helper.is_true(raw)
        return NOPE if value is None else value
    if cast == "bool":
        return _env_bool(ref.api, raw)
    try:
        return int(raw) if cast == "int" else float(raw) if cast == "float" else raw
    except ValueError:
        return NOPE


def _eval_with(node: ast.AST, ref: EnvRef, read_value: Any, depth: int = 0) -> Any:
    """Compute the setting's expression with the environment read replaced by `read_value`."""
    if depth > 20 or read_value is NOPE:
        return NOPE
    if _is_ref_node(node, ref):
        return read_value
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [_eval_with(e, ref, read_value, depth + 1) for e in node.elts]
        return NOPE if any(i is NOPE for i in items) else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value = _eval_with(node.operand, ref, read_value, depth + 1)
        return NOPE if value is NOPE else not value
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left = _eval_with(node.left, ref, read_value, depth + 1)
        right = _eval_with(node.comparators[0], ref, read_value, depth + 1)
        if left is NOPE or right is NOPE:
            return NOPE
        try:
            return _COMPARE[type(node.ops[0])](left, right)
        except TypeError:
            return NOPE
    if isinstance(node, ast.BoolOp):
        values = [_eval_with(v, ref, read_value, depth + 1) for v in node.values]
        if any(v is NOPE for v in values):
            return NOPE
        result = values[0]
        for v in values[1:]:
            if (isinstance(node.op, ast.Or) and result) or (
                isinstance(node.op, ast.And) and not result
            ):
                break
            result = v
        return result
    if isinstance(node, ast.Call) and not node.keywords:
        converter = ref.converter
        if (
            converter is not None
            and len(node.args) == 1
            and dotted(node.func).rsplit(".", 1)[-1] == converter.name
        ):
            # the project's own text-to-bool function (`is_truthy(os.getenv(...))`)
            value = _eval_with(node.args[0], ref, read_value, depth + 1)
            return converter.of(value) if isinstance(value, str) else NOPE
        if dotted(node.func).rsplit(".", 1)[-1] == "strtobool" and len(node.args) == 1:
            value = _eval_with(node.args[0], ref, read_value, depth + 1)
            word = value.strip().lower() if isinstance(value, str) else None
            # distutils' strtobool: 1 or 0 (not True or False), and it raises on other words
            return 1 if word in STRTOBOOL_TRUE else 0 if word in STRTOBOOL_FALSE else NOPE
        if isinstance(node.func, ast.Name) and node.func.id in ("bool", "int", "float", "str"):
            if len(node.args) != 1:
                return NOPE
            value = _eval_with(node.args[0], ref, read_value, depth + 1)
            try:
                return (
                    NOPE
                    if value is NOPE
                    else {"bool": bool, "int": int, "float": float, "str": str}[node.func.id](value)
                )
            except (TypeError, ValueError):
                return NOPE
        if isinstance(node.func, ast.Attribute) and node.func.attr in (
            "lower",
            "upper",
            "strip",
            "casefold",
            "split",
        ):
            receiver = _eval_with(node.func.value, ref, read_value, depth + 1)
            args = [_eval_with(a, ref, read_value, depth + 1) for a in node.args]
            if not isinstance(receiver, str) or any(a is NOPE for a in args):
                return NOPE
            try:
                return getattr(receiver, node.func.attr)(*args)
            except (TypeError, ValueError):
                return NOPE
    return NOPE


def read_setting(project: ProjectModel, name: str, django_default: Any, schemes: dict) -> Setting:
    s = project.settings
    where: Assignment | None = s.where(name)
    if where is None:
        return Setting(name, "absent", django_default, s.rel, None)
    value = where.value
    setting = Setting(name, "value", value, where.path, where.line)
    if where.conditional or isinstance(value, EnvDict):
        setting.state = "env"
        return setting
    if isinstance(value, EnvRef):
        setting.ref = value
        expr = getattr(where.node, "value", None)
        if where.path != value.path or not isinstance(expr, ast.AST):
            expr = None
        call = _find_ref_node(expr, value) if expr is not None else None
        setting.call = call
        cast = _read_cast(call, value, schemes, not smart_cast_off(project))

        def outcome(raw: Any) -> Any:
            result = _read_result(value, cast, raw)
            if call is None or expr is None:
                # the expression around the read is not known: take the read's own cast
                return _read_result(value, value.cast, raw) if result is raw else result
            return _eval_with(expr, value, result)

        setting.when_false = outcome("False")
        setting.when_true = outcome("True")
        setting.when_empty = outcome("")
        default: Any = value.default if value.has_default else NOPE
        if default is NOPE and value.api == "django-environ":
            default = schemes.get(value.var or "", (None, NOPE))[1]
        if default is NOPE:
            setting.state = "env"  # no default: the production environment must provide it
            return setting
        computed = outcome(default)
        if computed is NOPE:
            setting.state = "unknown"
            return setting
        setting.value, setting.from_default = computed, True
        return setting
    if isinstance(value, Unknown) or not is_literal(value):
        setting.state = "unknown"
    return setting


def is_true(setting: Setting) -> bool | None:
    """Django's `setting is True`, as production sees it: False when it can fail, True when it
    passes or the environment decides, None when djfix cannot tell."""
    if setting.state == "unknown":
        return None
    if setting.never_true:
        return False
    if setting.state == "env":
        return True
    return setting.value is True


def where(setting: Setting) -> str:
    return setting.path or "the production settings"
