"""Environment readers a project writes itself: a module-level function of the settings (or of a
module they import) whose first parameter names a variable and whose result comes from
`os.getenv(name, default)`, `os.environ.get(name, default)` or `os.environ[name]`:

    def envbool(s: str, default: str) -> bool:
        v = os.getenv(s, default=default)
        if v not in ("", "True", "False"):
            raise ImproperlyConfigured(...)
        return v == "True"

`env_reader` recognises that shape in a bounded look at the function's own statements (no call
is followed, nothing is run) and describes it as an `EnvHelper`; `fixer.settings_eval` then
reads `DEBUG = envbool("DEBUG", "True")` as a read of DEBUG with the default "True", cast as the
function casts it. What the shape does not cover (a read of a computed name, a result built from
the text in another way, two reads of the name, a decorated function) is no reader: the call
stays unknown."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from fixer.literals import literal_eval
from fixer.settings_values import MISSING, EnvHelper, TextToBool, Unknown

#: what to do by hand about a secret's default passed to such a reader
DROP_DEFAULT = (
    "drop the default by hand where the function can do without one, and set the variable in "
    "every deployment"
)
#: more nodes than this in one function is not the small helper this looks for
MAX_NODES = 400
_CASTS = {"bool": "bool", "int": "int", "float": "float", "str": None}


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _own_nodes(func: ast.FunctionDef) -> list[ast.AST] | None:
    """The nodes of the function's body, without those of functions or classes nested in it;
    None past MAX_NODES."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(reversed(func.body))
    while todo:
        node = todo.pop()
        out.append(node)
        if len(out) > MAX_NODES:
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _is_name(node: ast.AST | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _read_of(node: ast.AST, param: str, qualify: Callable[[str], str]) -> ast.AST | None:
    """The default expression of `node` when it reads the variable `param` names (`ast.Constant`
    None for no default, `node` itself for `os.environ[...]`); None when it is no such read."""
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name is None or qualify(name) not in ("os.getenv", "os.environ.get"):
            return None
        if not node.args or not _is_name(node.args[0], param) or len(node.args) > 2:
            return None
        keywords = {k.arg: k.value for k in node.keywords}
        if None in keywords or set(keywords) - {"default"}:
            return None
        if len(node.args) == 2:
            return node.args[1] if "default" not in keywords else None
        return keywords.get("default", ast.Constant(None))
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        name = _dotted(node.value)
        if name is not None and qualify(name) == "os.environ" and _is_name(node.slice, param):
            return node
    return None


def _str_constants(node: ast.AST) -> tuple[str, ...] | None:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
            return tuple(values)
    return None


def _text_of(expr: ast.AST, subject: Callable[[ast.AST], bool]) -> bool | None:
    """Whether `expr` is the read's text lower-cased (`v.lower()`: True) or as read (False);
    None when it is neither."""
    if subject(expr):
        return False
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "lower"
        and not expr.args
        and not expr.keywords
        and subject(expr.func.value)
    ):
        return True
    return None


def _result(
    expr: ast.AST,
    subject: Callable[[ast.AST], bool],
    converters: Mapping[str, TextToBool] | None = None,
) -> tuple[Any, ...] | None:
    """(cast, truths, folded) of a returned expression built from the read's text; None when it
    is built another way. `truths` only for a bool cast that compares the text, `folded` when
    it compares the text lower-cased. `converters`: the module's functions that turn a text
    into a bool (`text_to_bool`), by name: `str_to_bool(os.getenv(key, default))`."""
    if subject(expr):
        return (None, None, False)
    if (
        converters
        and isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id in converters
        and len(expr.args) == 1
        and not expr.keywords
        and subject(expr.args[0])
    ):
        converter = converters[expr.func.id]
        return ("bool", converter.truths, converter.folded)
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
        left, op, right = expr.left, expr.ops[0], expr.comparators[0]
        if isinstance(op, ast.Eq):
            if _text_of(right, subject) is not None:
                left, right = right, left
            folded = _text_of(left, subject)
            constant = isinstance(right, ast.Constant) and isinstance(right.value, str)
            if folded is not None and constant:
                return ("bool", (right.value,), folded)
        if isinstance(op, ast.In):
            folded = _text_of(left, subject)
            values = _str_constants(right)
            if folded is not None and values is not None:
                return ("bool", values, folded)
        return None
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id in _CASTS
        and len(expr.args) == 1
        and not expr.keywords
        and subject(expr.args[0])
    ):
        return (_CASTS[expr.func.id], None, False)
    return None


def _mentions(node: ast.AST, subject: Callable[[ast.AST], bool]) -> bool:
    return any(subject(sub) for sub in ast.walk(node))


def _in_environ(test: ast.AST, param: str, qualify: Callable[[str], str]) -> type | None:
    """ast.In or ast.NotIn when `test` is `param in os.environ` (or `not in`); else None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    name = _dotted(test.comparators[0])
    if not _is_name(test.left, param) or name is None or qualify(name) != "os.environ":
        return None
    return type(test.ops[0]) if isinstance(test.ops[0], (ast.In, ast.NotIn)) else None


def _guarded(nodes: list[ast.AST], read: ast.AST, param: str, qualify: Callable) -> bool:
    """Whether `os.environ[name]` only runs when the variable is set: inside the body of
    `if name in os.environ:`, or after `if name not in os.environ: return ...`."""
    for node in nodes:
        if not isinstance(node, ast.If):
            continue
        guard = _in_environ(node.test, param, qualify)
        if guard is ast.In and any(read in ast.walk(stmt) for stmt in node.body):
            return True
        if guard is ast.NotIn and isinstance(node.body[-1], ast.Return) and not node.orelse:
            return True
    return False


def _unset_value(others: list[ast.AST | None], params: tuple[str, ...]) -> tuple[Any, ...] | None:
    """(default parameter, fixed default) of the returns that do not give the read's text
    (what the function returns when the variable is unset); None when they disagree or are
    computed. `None` in `others` is a bare `return` or the end of the function."""
    kinds = set()
    for value in others:
        if value is None:
            kinds.add(("fixed", None))
        elif isinstance(value, ast.Constant):
            kinds.add(("fixed", value.value))
        elif isinstance(value, ast.Name) and value.id in params:
            kinds.add(("param", value.id))
        else:
            return None
    if len(kinds) != 1:
        return None
    kind, value = kinds.pop()
    return (value, MISSING) if kind == "param" else (None, value)


def _literal(node: ast.AST) -> Any:
    try:
        return literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return Unknown(ast.unparse(node))


def env_reader(
    func: ast.FunctionDef,
    qualify: Callable[[str], str],
    rel: str,
    converters: Mapping[str, TextToBool] | None = None,
) -> EnvHelper | None:
    """The reader `func` is, or None (see the module docstring). `converters`: the functions
    bound where it is defined that turn a text into a bool, by name."""
    args = func.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if not positional:
        return None
    params = (*positional, *(a.arg for a in args.kwonlyargs))
    param = positional[0]
    nodes = _own_nodes(func)
    if nodes is None:
        return None
    reads = [(n, d) for n in nodes if (d := _read_of(n, param, qualify)) is not None]
    if len(reads) != 1:
        return None
    read, default_node = reads[0]
    default_param: str | None = None
    fixed: Any = MISSING
    if default_node is read:
        fixed = MISSING  # os.environ[name]: raises when unset
    elif isinstance(default_node, ast.Name) and default_node.id in params:
        default_param = default_node.id
    elif isinstance(default_node, ast.Constant):
        fixed = default_node.value
    else:
        return None
    # where the text goes: returned as it is read, or kept in one local name first
    holder: str | None = None
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is read:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                return None
            holder = targets[0].id
    if holder is not None:
        stores = [
            n
            for n in nodes
            if isinstance(n, ast.Name) and n.id == holder and isinstance(n.ctx, ast.Store)
        ]
        if len(stores) != 1 or holder in params:
            return None

    def subject(node: ast.AST) -> bool:
        return node is read if holder is None else _is_name(node, holder)

    raw_default = False
    results = set()
    others: list[ast.AST | None] = []  # the returns that do not give the text
    for node in nodes:
        if isinstance(node, ast.Return) and node.value is not None:
            if not _mentions(node.value, subject):
                others.append(node.value)
                continue  # another source (a secret file) or a special value (None)
            found = _result(node.value, subject, converters)
            if found is None:
                return None
            results.add(found)
        elif isinstance(node, ast.Return):
            others.append(None)
    if len(results) != 1:
        return None
    cast, truths, folded = results.pop()
    if not isinstance(func.body[-1], (ast.Return, ast.Raise)):
        others.append(None)  # the end of the function returns None
    if default_node is read and _guarded(nodes, read, param, qualify):
        # `if name in os.environ: return os.environ[name]` ... `return None`: an unset
        # variable gives what the other returns give, not a KeyError
        unset = _unset_value(others, params)
        if unset is None:
            return None
        default_param, fixed = unset
    elif isinstance(default_node, ast.Constant) and default_node.value is None:
        # `v = os.environ.get(name)` then `if v is None: return default`: that is the default
        for node in nodes:
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Compare)
                and len(node.test.ops) == 1
                and isinstance(node.test.ops[0], ast.Is)
                and subject(node.test.left)
                and isinstance(node.test.comparators[0], ast.Constant)
                and node.test.comparators[0].value is None
                and isinstance(node.body[-1], ast.Return)
            ):
                unset = _unset_value([node.body[-1].value], params)
                if unset is None:
                    return None
                default_param, fixed = unset
                raw_default = True
    accepted: tuple[str, ...] | None = None
    for node in nodes:
        # `if v not in ("", "True", "False"): raise ...`: the only spellings it takes
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and len(node.test.ops) == 1
            and isinstance(node.test.ops[0], ast.NotIn)
            and subject(node.test.left)
            and any(isinstance(n, ast.Raise) for n in node.body)
        ):
            accepted = _str_constants(node.test.comparators[0])
    defaults: list[tuple[str, Any]] = []
    with_defaults = positional[len(positional) - len(args.defaults) :] if args.defaults else []
    for name, node in zip(with_defaults, args.defaults, strict=True):
        defaults.append((name, _literal(node)))
    for arg, node in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if node is not None:
            defaults.append((arg.arg, _literal(node)))
    return EnvHelper(
        func.name,
        rel,
        func.lineno,
        params,
        cast,
        default_param,
        tuple(defaults),
        fixed,
        truths if cast == "bool" else None,
        accepted,
        len(args.posonlyargs),
        len(positional),
        folded=bool(folded),
        raw_default=raw_default,
    )


def default_left_reason(helper: EnvHelper, advice: str) -> str:
    """Why djfix leaves the default a call passes to the project's own reader, and `advice`."""
    return (
        f"the value is read by the project's own {helper.name}() ({helper.path}:{helper.line}), "
        f"which djfix does not rewrite: {advice}"
    )


def default_argument(call: ast.AST | None, helper: EnvHelper) -> tuple[str, ast.expr | None]:
    """How `call` gives `helper` its default: ("passed", the argument), ("omitted", None) when it
    passes none and one can be added by keyword, ("fixed", None) when it cannot be given (the
    default is written in the function's own read, or djfix does not see the call)."""
    if not isinstance(call, ast.Call) or helper.default_param is None:
        return ("fixed", None)
    index = helper.params.index(helper.default_param)
    for k in call.keywords:
        if k.arg == helper.default_param:
            return ("passed", k.value)
    if index < len(call.args):
        return ("passed", call.args[index])
    return ("omitted", None) if index >= helper.positional_only else ("fixed", None)


def helper_value(helper: EnvHelper, text: str, otherwise: Any) -> Any:
    """What `helper` returns for the text `text`; `otherwise` where that is not known."""
    if helper.cast == "bool":
        value = helper.is_true(text)
        return otherwise if value is None else value
    try:
        return {"int": int, "float": float}[helper.cast or ""](text)
    except (KeyError, ValueError):
        return otherwise


def call_arguments(node: ast.Call, helper: EnvHelper) -> dict[str, ast.expr] | None:
    """The argument of each parameter of a call to `helper`; None when they cannot be matched
    (`*args`, `**kwargs`, an unknown keyword, too many arguments)."""
    if len(node.args) > helper.positional or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    bound = dict(zip(helper.params, node.args, strict=False))
    keyword_ok = helper.params[helper.positional_only :]
    for k in node.keywords:
        if k.arg is None or k.arg not in keyword_ok or k.arg in bound:
            return None
        bound[k.arg] = k.value
    return bound


def read_arguments(
    node: ast.Call, helper: EnvHelper, args: list[Any], kwargs: dict[str, Any]
) -> tuple[str | None, Any] | None:
    """(variable, default) of a call to `helper` whose arguments evaluate to `args` and
    `kwargs`: the default its default parameter receives, else the function's own; None when
    the call cannot be matched or misses an argument (it raises)."""
    bound = call_arguments(node, helper)
    if bound is None or helper.params[0] not in bound:
        return None
    values = dict(zip(helper.params, args, strict=False))
    values.update(kwargs)
    var = values.get(helper.params[0])
    if helper.default_param is None:
        default = helper.fixed_default
    elif helper.default_param in values:
        default = values[helper.default_param]
    else:
        default = dict(helper.param_defaults).get(helper.default_param, MISSING)
        if default is MISSING:
            return None
    return (var if isinstance(var, str) else None, default)


def _text_chain(expr: ast.AST, param: str) -> tuple[bool, bool] | None:
    """(folded, stripped) where `expr` is the parameter's text, through `str(...)`, `.strip()`
    and `.lower()` (`str(arg).strip().lower()`); None for anything else."""
    folded = stripped = False
    for _ in range(8):  # a chain of a few calls at most
        if _is_name(expr, param):
            return folded, stripped
        if not isinstance(expr, ast.Call) or expr.args[1:] or expr.keywords:
            return None
        if isinstance(expr.func, ast.Name) and expr.func.id == "str" and len(expr.args) == 1:
            expr = expr.args[0]
        elif (
            isinstance(expr.func, ast.Attribute)
            and expr.func.attr in ("lower", "strip", "casefold")
            and not expr.args
        ):
            folded = folded or expr.func.attr != "strip"
            stripped = stripped or expr.func.attr == "strip"
            expr = expr.func.value
        else:
            return None
    return None


def _spellings(test: ast.AST, subject: Callable[[ast.AST], bool]) -> tuple[str, ...] | None:
    """The spellings `test` compares the text with (`v in ("yes", "1")`, `v == "true"`)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and subject(test.left)):
        return None
    op, right = test.ops[0], test.comparators[0]
    if isinstance(op, ast.In):
        return _str_constants(right)
    if isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        return (right.value,)
    return None


def _bool_guard(test: ast.AST, param: str) -> bool:
    """`isinstance(param, bool)`: a bool passed in is returned as it is."""
    return (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "isinstance"
        and len(test.args) == 2
        and _is_name(test.args[0], param)
        and _is_name(test.args[1], "bool")
    )


def text_to_bool(func: ast.FunctionDef, rel: str) -> TextToBool | None:
    """The converter `func` is when it turns its first parameter's text into a bool: every
    return gives True or False under a test of the text's spelling (`if v in ("y", "yes"):
    return True`), the comparison itself (`return v.lower() in ("true", "1")`), a final
    `return False`, or the parameter under `if isinstance(arg, bool)`; raising is allowed. The
    look is bounded and follows no call; anything else is no converter."""
    args = func.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if not positional or func.decorator_list:
        return None
    param = positional[0]
    nodes = _own_nodes(func)
    if nodes is None:
        return None
    # the text is the parameter itself, a chain of it, or one local name holding that chain
    chains: dict[str, tuple[bool, bool]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            chain = _text_chain(node.value, param)
            if isinstance(target, ast.Name) and chain is not None and target.id != param:
                if target.id in chains:
                    return None
                chains[target.id] = chain
    shapes: set[tuple[bool, bool]] = set()

    def subject(node: ast.AST) -> bool:
        found = chains.get(node.id) if isinstance(node, ast.Name) else None
        if found is None:
            found = _text_chain(node, param)
        if found is not None:
            shapes.add(found)
        return found is not None

    truths: list[str] = []
    accounted: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Return):
            value = node.body[-1].value
            if _bool_guard(node.test, param) and _is_name(value, param):
                accounted.add(id(node.body[-1]))
                continue
            words = _spellings(node.test, subject)
            if words is None or not isinstance(value, ast.Constant):
                continue
            if value.value is True:
                truths.extend(words)
            elif value.value is not False:
                return None
            accounted.add(id(node.body[-1]))
    for node in nodes:
        if not isinstance(node, ast.Return) or id(node) in accounted:
            continue
        value = node.value
        if isinstance(value, ast.Constant) and value.value is False:
            continue
        words = _spellings(value, subject) if value is not None else None
        if words is None:
            return None
        truths.extend(words)
    if not truths or len(shapes) != 1:
        return None
    folded, stripped = shapes.pop()
    return TextToBool(func.name, rel, func.lineno, tuple(truths), folded, stripped)
