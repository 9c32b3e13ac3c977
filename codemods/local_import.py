"""The settings' import of a module each installation writes (`local_settings.py`, git-ignored,
copied from a committed template) becomes "the installation's own file when it has one, else
the committed module that reads the same settings from the environment".

Pure source -> source. `transform(source, stem, env_stem, package)` wraps the one module-level
import of `stem` in a `try` whose handler imports `env_stem` in its place, only when it is `stem`
itself that is missing: `ModuleNotFoundError.name` names it (an ImportError raised inside the
installation's file is not swallowed), or, for `from . import local_settings` (whose error names
the package, not the module), `importlib.util.find_spec` finds no such module. The author's line
stays as written, its comment and the lines before it included. A shape it does not rewrite (the
import inside a block, twice, next to other names) leaves the source as it is, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from codemods.cst_tools import parse_module
from codemods.module_level import preferred_quote


@dataclass
class Result:
    code: str
    line: int = 0  # where the import was (0: not found)
    reason: str | None = None  # why the source was left as it is


def _dotted(node: cst.BaseExpression | None) -> str:
    return cst.Module([]).code_for_node(node) if node is not None else ""


def _names(node: cst.ImportFrom) -> list[tuple[str, str | None]]:
    if isinstance(node.names, cst.ImportStar):
        return [("*", None)]
    out: list[tuple[str, str | None]] = []
    for alias in node.names:
        asname = alias.asname.name if alias.asname is not None else None
        out.append((_dotted(alias.name), _dotted(asname) if asname is not None else None))
    return out


class _Finder(cst.CSTVisitor):
    """Every import statement naming `stem`, with whether it is directly in the module body."""

    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, stem: str, package: str) -> None:
        self.stem = stem
        self.package = package
        self.found: list[tuple[cst.CSTNode, int]] = []

    def names_stem(self, node: cst.Import | cst.ImportFrom) -> bool:
        stem, package = self.stem, self.package
        if isinstance(node, cst.Import):
            return any(stem in _dotted(a.name).split(".") for a in node.names)
        module = _dotted(node.module)
        if stem in module.split("."):
            return True
        imported = [n for n, _ in _names(node)]
        return stem in imported and (not module or module == package)

    def visit_Import(self, node: cst.Import) -> None:
        if self.names_stem(node):
            self.found.append(
                (node, self.get_metadata(cst.metadata.PositionProvider, node).start.line)
            )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.names_stem(node):
            self.found.append(
                (node, self.get_metadata(cst.metadata.PositionProvider, node).start.line)
            )


def _replacement(
    node: cst.Import | cst.ImportFrom, stem: str, env_stem: str, package: str
) -> tuple[str, str, str] | str:
    """(handler exception, the test that it is `stem` that is missing, the import of
    `env_stem` in its place), or why this import is not rewritten."""
    if isinstance(node, cst.Import):
        if len(node.names) != 1:
            return "it imports other modules on the same line"
        alias = node.names[0]
        name = _dotted(alias.name)
        asname = _dotted(alias.asname.name) if alias.asname is not None else None
        if name != stem:
            return f"`import {name}` binds the package, not the module: djfix cannot rename it"
        bound = asname or stem
        return (
            "ModuleNotFoundError",
            f"exc.name != {{q}}{stem}{{q}}",
            f"import {env_stem} as {bound}",
        )
    names = _names(node)
    module = _dotted(node.module)
    level = len(node.relative)
    if level > 1:
        return "it is a relative import from a parent package"
    dots = "." * level
    if module.split(".")[-1] == stem:
        # `from .local_settings import *`, `from mysite.local_settings import X`
        if level:
            missing = f"f{{q}}{{{{__package__}}}}.{module}{{q}}"
        else:
            missing = f"{{q}}{module}{{q}}"
        env_module = module.rsplit(".", 1)[0] + "." + env_stem if "." in module else env_stem
        listed = ", ".join(n if a is None else f"{n} as {a}" for n, a in names)
        return (
            "ModuleNotFoundError",
            f"exc.name != {missing}",
            f"from {dots}{env_module} import {listed}",
        )
    if stem in module.split("."):
        return f"it imports a module inside {stem}, a package"
    if len(names) != 1:
        return "it imports other names on the same line"
    _, asname = names[0]
    target = f"{{{{__package__}}}}.{stem}" if level else f"{module}.{stem}"
    prefix = "f" if level else ""
    return (
        "ImportError",
        f"importlib.util.find_spec({prefix}{{q}}{target}{{q}}) is not None",
        f"from {dots}{module} import {env_stem} as {asname or stem}",
    )


def transform(source: str, stem: str, env_stem: str, package: str) -> Result:
    """Guard the module-level import of `stem` (a module of `package`, the settings' own
    package, "" for a top-level settings module) with a fallback to `env_stem`."""
    module = parse_module(source)
    wrapper = cst.metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    finder = _Finder(stem, package)
    wrapper.visit(finder)
    if not finder.found:
        return Result(source, reason=f"the settings do not import {stem} by name")
    line = finder.found[0][1]
    if len(finder.found) > 1:
        lines = ", ".join(str(n) for _, n in finder.found[:5])
        return Result(source, line, f"the settings import {stem} more than once (lines {lines})")
    node = finder.found[0][0]
    index = next(
        (
            i
            for i, stmt in enumerate(module.body)
            if isinstance(stmt, cst.SimpleStatementLine) and any(s is node for s in stmt.body)
        ),
        None,
    )
    if index is None:
        return Result(
            source,
            line,
            f"the import of {stem} (line {line}) is inside a block, not at the module's top "
            "level: djfix does not rewrite it",
        )
    stmt = module.body[index]
    assert isinstance(stmt, cst.SimpleStatementLine)
    if len(stmt.body) != 1:
        return Result(source, line, f"line {line} holds other statements beside the import")
    how = _replacement(node, stem, env_stem, package)  # type: ignore[arg-type]
    if isinstance(how, str):
        return Result(source, line, f"the import of {stem} (line {line}): {how}")
    exception, test, fallback = how
    q = preferred_quote(module, source)
    test = test.format(q=q)
    indent = module.default_indent
    original = module.code_for_node(stmt.with_changes(leading_lines=[])).rstrip("\n")
    env_file = f"{env_stem}.py"
    if exception == "ModuleNotFoundError":
        handler = (
            f"except ModuleNotFoundError as exc:\n"
            f"{indent}if {test}:\n"
            f"{indent}{indent}raise  # an import inside {stem}.py failed: that error is its own\n"
        )
    else:
        handler = (
            f"except ImportError:\n"
            f"{indent}import importlib.util\n\n"
            f"{indent}if {test}:\n"
            f"{indent}{indent}raise  # {stem}.py is there: the error is raised inside it\n"
        )
    text = (
        f"try:\n"
        f"{indent}{original}\n"
        f"{handler}"
        f"{indent}# no {stem}.py in this installation: the same settings, read from the\n"
        f"{indent}# environment by {env_file}\n"
        f"{indent}{fallback}\n"
    )
    new = cst.parse_statement(text, config=module.config_for_parsing)
    new = new.with_changes(leading_lines=stmt.leading_lines)
    body = [*module.body[:index], new, *module.body[index + 1 :]]
    return Result(module.with_changes(body=body).code, line)
