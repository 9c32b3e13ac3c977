"""The default a setting passes to the project's own environment reader:
`DEBUG = envbool("DEBUG", "True")` -> `DEBUG = envbool("DEBUG", "False")`.

Only the default's literal changes (or, where the call passes none, one keyword argument is
added): the function, its name and the call's other arguments stay as the author wrote them.
The assignment changed is the last module-level `SETTING = function(...)` of the module, the one
that wins at import.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class Parameter:
    """The reader's default parameter: its name, its position, and whether a call may pass
    it by keyword."""

    name: str
    index: int
    keyword: bool = True


def _calls(value: cst.BaseExpression, function: str) -> bool:
    func = value.func if isinstance(value, cst.Call) else None
    if isinstance(func, cst.Name):
        return func.value == function
    return isinstance(func, cst.Attribute) and func.attr.value == function


def _quoted(text: str, like: cst.BaseExpression | None) -> cst.SimpleString:
    """`text` as a string literal in the quotes of `like` (a string of the call), else `"`."""
    quote = '"'
    if isinstance(like, cst.SimpleString) and not like.prefix.strip("rRuU"):
        quote = like.quote
    escaped = text.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    return cst.SimpleString(f"{quote}{escaped}{quote}")


def _literal(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value in ("True", "False", "None")


def _with_default(call: cst.Call, parameter: Parameter, text: str | bool) -> cst.Call | None:
    """`call` passing `text` for `parameter`; None when the argument there is not a plain
    string literal (a name, an f-string, a concatenation: not the author's literal to swap)."""
    args = list(call.args)
    first = args[0].value if args else None
    for i, arg in enumerate(args):
        named = arg.keyword is not None and arg.keyword.value == parameter.name
        positional = arg.keyword is None and arg.star == "" and i == parameter.index
        if not (named or positional):
            continue
        if isinstance(text, bool):
            # a default returned as it is (`if v is None: return default`): a Python value
            if not _literal(arg.value):
                return None
            if arg.value.value == str(text):
                return call
            args[i] = arg.with_changes(value=cst.Name(str(text)))
            return call.with_changes(args=args)
        if not isinstance(arg.value, cst.SimpleString) or "f" in arg.value.prefix.lower():
            return None
        if arg.value.evaluated_value == text:
            return call
        args[i] = arg.with_changes(value=_quoted(text, arg.value))
        return call.with_changes(args=args)
    if not parameter.keyword or any(a.star for a in args):
        return None
    last = args[-1] if args else None
    if last is not None and last.comma == cst.MaybeSentinel.DEFAULT:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(
        cst.Arg(
            value=cst.Name(str(text)) if isinstance(text, bool) else _quoted(text, first),
            keyword=cst.Name(parameter.name),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
    )
    return call.with_changes(args=args)


def transform(
    source: str, setting: str, function: str, parameter: Parameter, text: str | bool
) -> str:
    """`source` with the last module-level `setting = function(...)` passing `text` as the
    default; `source` unchanged where that call is not there or its default is not a literal."""
    module = cst.parse_module(source)
    body = list(module.body)
    for index in range(len(body) - 1, -1, -1):
        stmt = body[index]
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
            continue
        targets = small.targets if isinstance(small, cst.Assign) else [small]
        if not any(isinstance(t.target, cst.Name) and t.target.value == setting for t in targets):
            continue
        if not _calls(small.value, function):
            return source  # the setting's last assignment is something else
        assert isinstance(small.value, cst.Call)
        call = _with_default(small.value, parameter, text)
        if call is None or call is small.value:
            return source
        body[index] = stmt.with_changes(body=[small.with_changes(value=call)])
        return module.with_changes(body=body).code
    return source
